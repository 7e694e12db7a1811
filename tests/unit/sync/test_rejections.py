"""Whatever the centre refuses, the station keeps, lists and lets the clerk fix and resend (issue 20).

On the embedded SQLite centre: a booking with a NUL in its name (stored by an older version,
before the station checked text), a walk-in that lost its slot, a no-show judged against a moved
slot. Each is kept with its command, listed with the centre's words, and (once fixed) accepted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.models import Appointment, AttentionItem, OutboxEntry, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core import appointments
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import DoubleBooking, PermissionDenied, ValidationError
from frontcounter.services.counter import checkin
from frontcounter.services.sync import rejections
from frontcounter.services.sync.report import SyncReport
from frontcounter.services.sync.station import sync_once
from tests.conftest import actor_named
from tests.sync_support import (
    actor_in,
    central_context,
    create_appointment,
    differences,
    edit,
    rooms_and_officers,
)

pytestmark = pytest.mark.wallclock


@pytest.fixture
def centre(demo_dir: Path, clock: FixedClock) -> Iterator[ServiceContext]:
    engine = make_engine(sqlite_url(demo_dir / "central.sqlite"))
    yield central_context(engine, clock)
    engine.dispose()


def sync(station: StationRuntime, centre: ServiceContext) -> SyncReport:
    return sync_once(station.engine, centre.engine, "HH", clock=station.ctx.clock)


def legacy_text(station: StationRuntime, appointment_id: uuid.UUID, column: str, value: str) -> None:
    """What an older version let in: unstorable text in the cache row and in its queued booking."""
    with station.ctx.write.begin() as s:
        s.execute(text(f"UPDATE appointments SET {column} = :v WHERE id = :id"),
                  {"v": value, "id": appointment_id.hex})
        entry = s.scalars(select(OutboxEntry).where(OutboxEntry.entity_id == appointment_id)).one()
        entry.payload = {**entry.payload, "row": {**entry.payload["row"], column: value}}


def a_booking(station: StationRuntime, hours: int = 27) -> uuid.UUID:
    rooms, officers = rooms_and_officers(station.ctx, "HH")
    start = station.ctx.clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)
    return create_appointment(station.ctx, actor_named(station, "counter.HH"), "HH", rooms[-1].id,
                              officers[-1].id, start)


def test_a_nul_refused_by_the_centre_is_kept_listed_fixed_and_accepted(
    station: StationRuntime, centre: ServiceContext
) -> None:
    counter = actor_named(station, "counter.HH")
    appt_id = a_booking(station)
    legacy_text(station, appt_id, "visitor_name", "Ann\x00Lee")
    with station.ctx.read() as s:
        reference = s.get_one(Appointment, appt_id).reference

    first = sync(station, centre)

    assert (first.rejected, first.withheld) == (1, 1)
    with station.ctx.read() as s:
        kept = s.get_one(Appointment, appt_id)
        assert kept.visitor_name == "Ann\x00Lee" and kept.deleted  # kept whole, set aside
    (item,) = rejections.list_not_accepted(station.ctx, counter)
    assert item.reference == reference and item.withheld
    assert "Visitor's name: contains a NUL character (U+0000) at character 4" in item.reason
    assert item.problems == {"visitor_name": "Ann\x00Lee"}
    assert "NUL" in item.problem_words["visitor_name"]
    (attention,) = [a for a in _attention(station) if a.kind == "rejected"]
    assert "Visitor's name" in attention.message and attention.settled_at is None

    with pytest.raises(ValidationError, match="^Visitor's name: contains a NUL"):
        rejections.resend(station.ctx, counter, appt_id, {"visitor_name": "Ann\x00 Lee"})
    rejections.resend(station.ctx, counter, appt_id, {"visitor_name": "Ann Lee"})
    assert rejections.list_not_accepted(station.ctx, counter) == []
    second = sync(station, centre)

    assert (second.applied, second.rejected) == (1, 0)
    with centre.read() as s:
        assert s.get_one(Appointment, appt_id).visitor_name == "Ann Lee"
    assert appointments.get_by_reference(station.ctx, counter, reference).visitor_name == "Ann Lee"
    (attention,) = [a for a in _attention(station) if a.kind == "rejected"]
    assert attention.settled_by == "sync" and "accepted" in (attention.settlement or "")
    assert differences(station.engine, centre.engine, "HH") == []


def test_a_walk_in_that_lost_its_slot_is_kept_and_a_resend_into_the_taken_slot_is_refused_here(
    station: StationRuntime, centre: ServiceContext
) -> None:
    rooms, officers = rooms_and_officers(station.ctx, "HH")
    start = station.ctx.clock.now().replace(hour=3, minute=0, second=0, microsecond=0) + timedelta(days=1)
    create_appointment(centre, actor_in(centre, "fcr.HH"), "HH", rooms[0].id, officers[0].id, start,
                       op_type="appointment.book")
    counter = actor_named(station, "counter.HH")
    walk_in = create_appointment(station.ctx, counter, "HH", rooms[0].id, officers[1].id, start)
    checkin.check_in(station.ctx, counter, _reference(station, walk_in), force=True)

    report = sync(station, centre)

    assert (report.rejected, report.withheld) == (2, 1)
    (item,) = rejections.list_not_accepted(station.ctx, counter)  # one record, both of its refused ops
    assert len(item.op_ids) == 2 and item.withheld and "room is already booked" in item.reason
    assert item.problems == {}
    with pytest.raises(DoubleBooking, match="room is already booked"):
        rejections.resend(station.ctx, counter, walk_in, {})
    (still,) = rejections.list_not_accepted(station.ctx, counter)  # nothing changed by the refusal
    assert still.op_ids == item.op_ids


def test_a_refused_change_is_kept_and_sent_again_when_the_clerk_says_so(
    station: StationRuntime, centre: ServiceContext
) -> None:
    appt_id = a_booking(station)
    sync(station, centre)
    supervisor = actor_named(station, "supervisor.HH")
    edit(station.ctx, supervisor, appt_id, "appointment.update_contact", visitor_phone="07700 900111")
    with station.ctx.write.begin() as s:  # an older version queued a note with an escape character
        entry = s.scalars(select(OutboxEntry).where(OutboxEntry.state == "pending")).one()
        entry.payload = {**entry.payload, "row": {**entry.payload["row"], "access_needs": "ramp\x1b[0m"}}
        s.execute(text("UPDATE appointments SET access_needs = :v WHERE id = :id"),
                  {"v": "ramp\x1b[0m", "id": appt_id.hex})

    report = sync(station, centre)

    assert report.rejected == 1 and report.withheld == 0
    (item,) = rejections.list_not_accepted(station.ctx, supervisor)
    assert "Access needs: contains an invisible control character (U+001B)" in item.reason
    rejections.resend(station.ctx, supervisor, appt_id, {"access_needs": "ramp"})
    assert sync(station, centre).applied == 1
    with centre.read() as s:
        row = s.get_one(Appointment, appt_id)
        assert (row.visitor_phone, row.access_needs, row.status) == ("07700 900111", "ramp", Status.BOOKED.value)
    assert differences(station.engine, centre.engine, "HH") == []


def test_only_roles_that_read_the_notes_may_fix_them(station: StationRuntime, centre: ServiceContext) -> None:
    appt_id = a_booking(station)
    legacy_text(station, appt_id, "briefing_notes", "bad\x00note")
    sync(station, centre)
    counter = actor_named(station, "counter.HH")
    (item,) = rejections.list_not_accepted(station.ctx, counter)
    assert "briefing_notes" not in item.problems  # the counter never sees the notes
    assert "officer or supervisor must fix it" in item.problem_words["briefing_notes"]
    with pytest.raises(ValidationError, match="Only an officer or supervisor"):
        rejections.resend(station.ctx, counter, appt_id, {"briefing_notes": "note"})
    with pytest.raises(ValidationError, match="^Briefing notes: contains a NUL"):
        rejections.resend(station.ctx, counter, appt_id, {})
    officer = actor_named(station, "officer.HH")
    (seen,) = rejections.list_not_accepted(station.ctx, officer)
    assert seen.problems == {"briefing_notes": "bad\x00note"}
    rejections.resend(station.ctx, officer, appt_id, {"briefing_notes": "good note"})
    assert sync(station, centre).applied == 1


def test_the_list_is_refused_to_roles_without_case_content(station: StationRuntime) -> None:
    with pytest.raises(PermissionDenied):
        rejections.list_not_accepted(station.ctx, actor_named(station, "admin.HH"))


def _reference(station: StationRuntime, appointment_id: uuid.UUID) -> str:
    with station.ctx.read() as s:
        return s.get_one(Appointment, appointment_id).reference


def _attention(station: StationRuntime) -> list[AttentionItem]:
    with station.ctx.read() as s:
        return list(s.scalars(select(AttentionItem).order_by(AttentionItem.version)))


def test_a_pull_cleans_control_characters_the_centre_let_in(station: StationRuntime, centre: ServiceContext) -> None:
    """The centre is the authority and is never refused; what a direct write let in is shown as U+FFFD."""
    appt_id = a_booking(station)
    sync(station, centre)
    edit(centre, actor_in(centre, "fcr.HH"), appt_id, visitor_phone="07700 900222")  # a new version to pull
    with centre.write.begin() as s:  # then a direct write, behind every check
        s.execute(text("UPDATE appointments SET visitor_name = :v WHERE id = :id"),
                  {"v": "Bell\x07Ring", "id": appt_id.hex})

    sync(station, centre)

    with station.ctx.read() as s:
        assert s.get_one(Appointment, appt_id).visitor_name == "Bell\ufffdRing"
