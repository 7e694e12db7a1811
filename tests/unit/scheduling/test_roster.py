"""The supervisor's set-up: duty roster, rooms and features, opening sessions (services/scheduling/roster.py)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import local
from frontcounter.services.core.errors import PermissionDenied, ValidationError
from frontcounter.services.scheduling import roster
from frontcounter.services.scheduling.premises import (
    RoomInput,
    add_room,
    add_session,
    remove_session,
    update_room,
    update_session,
)
from tests.conftest import DEMO_NOW, actor_named
from tests.unit.roster_fixtures import (
    QUIET_DAY,
    add_appointment,
    add_duty,
    at,
    counts,
    last_audit,
    last_outbox,
    officers,
    rooms,
)


def test_duty_add_update_remove_each_one_command(station: StationRuntime, supervisor: Actor) -> None:
    officer = officers(station)[0]
    before = counts(station)
    duty = roster.add_duty(station.ctx, supervisor, officer.id, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    assert counts(station) == (before[0] + 1, before[1] + 1)
    entry = last_outbox(station)[0]
    assert entry.op_type == "duty.add" and entry.payload["created"] and entry.entity == "duties"
    listed = roster.list_duties(station.ctx, supervisor, QUIET_DAY, days=1)
    assert [d.id for d in listed] == [duty.id] and listed[0].officer_label.endswith(officer.name)
    moved = roster.update_duty(station.ctx, supervisor, duty.id, at(QUIET_DAY, 17), at(QUIET_DAY, 21))
    assert (moved.start, moved.end) == (at(QUIET_DAY, 17), at(QUIET_DAY, 21))
    assert last_outbox(station)[0].op_type == "duty.update"
    roster.remove_duty(station.ctx, supervisor, duty.id)
    assert roster.list_duties(station.ctx, supervisor, QUIET_DAY, days=1) == []
    entry = last_outbox(station)[0]
    assert entry.op_type == "duty.remove" and entry.payload["row"]["deleted"] is True
    assert counts(station) == (before[0] + 3, before[1] + 3)


@pytest.mark.parametrize(("start", "end", "message"), [
    ((18, 0), (17, 0), "end after it starts"),
    ((1, 0), (23, 0), "at most 16 hours"),
])
def test_bad_shifts_are_refused(station: StationRuntime, supervisor: Actor, start: tuple[int, int],
                                end: tuple[int, int], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        roster.add_duty(station.ctx, supervisor, officers(station)[0].id, at(QUIET_DAY, *start), at(QUIET_DAY, *end))


def test_an_officer_cannot_be_on_two_overlapping_shifts(station: StationRuntime, supervisor: Actor) -> None:
    officer = officers(station)[0]
    roster.add_duty(station.ctx, supervisor, officer.id, at(QUIET_DAY, 16), at(QUIET_DAY, 20))
    before = counts(station)
    with pytest.raises(ValidationError, match="already on duty"):
        roster.add_duty(station.ctx, supervisor, officer.id, at(QUIET_DAY, 19), at(QUIET_DAY, 22))
    assert counts(station) == before


def test_a_shift_with_booked_visitors_cannot_be_cut_or_removed(station: StationRuntime, supervisor: Actor) -> None:
    officer = officers(station)[0]
    duty = roster.add_duty(station.ctx, supervisor, officer.id, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    add_appointment(station, rooms(station)[0], officer, at(QUIET_DAY, 19))
    with pytest.raises(ValidationError, match="outside the new shift"):
        roster.update_duty(station.ctx, supervisor, duty.id, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 18, 30))
    with pytest.raises(ValidationError, match="Officer pulled away"):
        roster.remove_duty(station.ctx, supervisor, duty.id)
    roster.update_duty(station.ctx, supervisor, duty.id, at(QUIET_DAY, 18), at(QUIET_DAY, 21))


def test_only_supervisors_keep_the_roster(station: StationRuntime, counter: Actor, officer: Actor) -> None:
    someone = officers(station)[0]
    for who in (counter, officer, actor_named(station, "admin.HH")):
        with pytest.raises(PermissionDenied):
            roster.add_duty(station.ctx, who, someone.id, at(QUIET_DAY, 17), at(QUIET_DAY, 20))
    assert last_audit(station)[0].outcome == "denied"


def test_rooms_and_features(station: StationRuntime, supervisor: Actor) -> None:
    admin = actor_named(station, "admin.HH")
    added = add_room(station.ctx, admin, RoomInput("Video Suite", capacity=4, video_link=True,
                                                            soundproofed=True))
    assert added.features == ("video link", "soundproofed")
    assert last_outbox(station)[0].op_type == "room.add"
    names = [r.name for r in roster.list_rooms(station.ctx, supervisor)]
    assert "Video Suite" in names
    with pytest.raises(ValidationError, match="already a room"):
        add_room(station.ctx, supervisor, RoomInput("Video Suite"))
    changed = update_room(station.ctx, supervisor, added.id,
                                 RoomInput("Video Suite", capacity=6, video_link=True, step_free=True))
    assert changed.step_free and not changed.soundproofed and changed.capacity == 6
    entry = last_outbox(station)[0]
    assert entry.op_type == "room.update"
    assert set(entry.payload["row"]) == {"capacity", "step_free", "soundproofed", "updated_at"}


def test_a_room_needed_by_booked_visitors_keeps_its_features_and_stays_in_use(
    station: StationRuntime, supervisor: Actor
) -> None:
    room = next(r for r in rooms(station) if r.step_free)
    add_appointment(station, room, None, at(QUIET_DAY, 17), needs_step_free=True)
    features = {f: getattr(room, f) for f in roster.FEATURES}
    with pytest.raises(ValidationError, match="step-free"):
        update_room(station.ctx, supervisor, room.id,
                           RoomInput(room.name, room.capacity, **{**features, "step_free": False}))
    with pytest.raises(ValidationError, match="move them first"):
        update_room(station.ctx, supervisor, room.id,
                           RoomInput(room.name, room.capacity, **features, active=False))


def test_opening_sessions_including_evenings(station: StationRuntime, supervisor: Actor) -> None:
    before = roster.list_sessions(station.ctx, supervisor)
    assert any(s.start_time == time(19) and s.weekday == 4 for s in before), "Friday evening 19:00–22:00"
    added = add_session(station.ctx, supervisor, 6, time(10), time(12))
    assert added.label == "Sunday 10:00–12:00"
    with pytest.raises(ValidationError, match="overlaps"):
        add_session(station.ctx, supervisor, 6, time(11), time(13))
    late = update_session(station.ctx, supervisor, added.id, 5, time(22), time(0, 30))
    assert late.weekday == 5 and late.end_time == time(0, 30)
    remove_session(station.ctx, supervisor, added.id)
    assert len(roster.list_sessions(station.ctx, supervisor)) == len(before)
    with pytest.raises(PermissionDenied):
        add_session(station.ctx, actor_named(station, "counter.HH"), 6, time(10), time(12))


def test_day_layout_is_the_boards_frame(station: StationRuntime, counter: Actor) -> None:
    today = local(DEMO_NOW).date()
    layout = roster.day_layout(station.ctx, counter, today)
    assert layout.station_code == "HH" and len(layout.rooms) == len(rooms(station))
    assert layout.officers and all(o.duties for o in layout.officers)
    assert [(local(s).time(), local(e).time()) for s, e in layout.sessions] == [(time(10), time(13)),
                                                                                (time(17), time(20))]
    add_duty(station, officers(station)[0], at(today + timedelta(days=7), 17), at(today + timedelta(days=7), 20))
    later = roster.day_layout(station.ctx, counter, today + timedelta(days=7))
    assert [o.officer.id for o in later.officers] == [officers(station)[0].id]
