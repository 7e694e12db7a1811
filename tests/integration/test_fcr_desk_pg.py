"""The FCR desk against the real PostgreSQL centre (issue 14).

An FCR booking at SG, made at the centre, and a walk-in an SG station cache booked for the same
room, officer and hour, commit at the same moment (the FCR's transaction and the station's push),
fifty times: exactly one wins each time, the other is told in words (the FCR by the booking's
own ``DoubleBooking``, the station by the push's rejection, which waits in Not accepted), nobody is
double-booked at the centre, and the station cache converges with the centre after a sync.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from frontcounter.db.engine import make_engine, make_session_factory
from frontcounter.db.models import Appointment, AttentionItem, Channel, Status
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, create_demo, open_centre, open_station
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import DoubleBooking
from frontcounter.services.scheduling import roster
from frontcounter.services.scheduling.booking import BookingRequest, book
from frontcounter.services.scheduling.slots import SlotNeeds, find_slots
from frontcounter.services.sync.station import sync_once
from tests.sync_support import actor_in, differences, double_bookings, rooms_and_officers

pytestmark = pytest.mark.postgres

ROUNDS = 50


@dataclass
class Desk:
    central: Engine
    centre: ServiceContext
    sg: StationRuntime
    clock: FixedClock


@pytest.fixture
def desk(pg_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Desk]:
    paths = Paths.resolve(tmp_path / "SG")
    create_demo(paths, clock=clock, central_url=pg_url, station_code="SG")
    sg = open_station(paths, clock=clock)
    fcr_paths = Paths.resolve(tmp_path / "fcr")
    fcr_paths.ensure()
    centre = open_centre(fcr_paths, clock=clock, central_url=pg_url).ctx  # the FCR desk's own runtime
    central = make_engine(pg_url)
    yield Desk(central, centre, sg, clock)
    central.dispose()
    centre.engine.dispose()
    sg.engine.dispose()


def _sync(desk: Desk) -> object:
    return sync_once(desk.sg.engine, desk.central, "SG", clock=desk.clock)


def _more_duty_at_sg(desk: Desk) -> None:
    """The demo rosters a week; fifty rounds need more of SG's appointment duty (set at the centre)."""
    supervisor = actor_in(desk.centre, "supervisor.SG")
    _rooms, officers = rooms_and_officers(desk.centre, "SG")
    start = desk.clock.now().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=8)
    for day in range(10):
        for officer in officers[:3]:
            at = start + timedelta(days=day)
            roster.add_duty(desk.centre, supervisor, officer.id, at, at + timedelta(hours=8), station_code="SG")


def _race(desk: Desk, fcr: Actor, request: BookingRequest) -> dict[str, object]:
    """The FCR's booking at the centre and the station's push of its walk-in, released together."""
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def fcr_books() -> None:
        barrier.wait()
        try:
            outcome["fcr"] = book(desk.centre, fcr, request)
        except DoubleBooking as exc:
            outcome["fcr"] = exc

    def station_pushes() -> None:
        barrier.wait()
        try:
            outcome["sync"] = _sync(desk)
        except BaseException as exc:  # raised again below, in the test's own thread
            outcome["sync_error"] = exc

    threads = [threading.Thread(target=fcr_books), threading.Thread(target=station_pushes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if "sync_error" in outcome:
        raise outcome["sync_error"]  # type: ignore[misc]
    return outcome


def test_fcr_and_station_walk_in_race_for_one_room_and_hour(desk: Desk) -> None:
    fcr = actor_in(desk.centre, "fcr.HH")
    counter = actor_in(desk.sg.ctx, "counter.SG")
    _more_duty_at_sg(desk)
    _sync(desk)
    fcr_wins = station_wins = 0
    for round_no in range(ROUNDS):
        # The next free hour at SG as the centre knows it (the cache has converged with it).
        found = find_slots(desk.centre, fcr, SlotNeeds(), station_codes=["SG"], days=14, limit=1)
        assert found, f"round {round_no}: no free slot at SG (FCR {fcr_wins}, station {station_wins})"
        slot = found[0]
        walk_in = book(desk.sg.ctx, counter, BookingRequest.for_slot(
            slot, f"Walk In {round_no}", channel=Channel.WALK_IN.value, reason="other"))
        request = BookingRequest.for_slot(slot, f"Caller {round_no}", safe_contact="Text only",
                                          briefing_notes="Confidential: for the officer only")
        outcome = _race(desk, fcr, request)
        report = outcome["sync"]
        with desk.centre.read() as s:
            live = s.scalars(select(Appointment).where(
                Appointment.room_id == slot.room_id, Appointment.start_at < slot.end,
                Appointment.end_at > slot.start, Appointment.deleted.is_(False),
                Appointment.status.not_in((Status.CANCELLED.value, Status.RESCHEDULED.value)))).all()
        assert len(live) == 1, f"round {round_no}: {len(live)} live bookings for one room and hour"
        winner = live[0]
        if isinstance(outcome["fcr"], DoubleBooking):
            station_wins += 1
            assert winner.id == walk_in.id
            # In words: the room or officer is taken, choose another slot.
            assert "already" in outcome["fcr"].message and "Choose another slot" in outcome["fcr"].message
        else:
            fcr_wins += 1
            assert winner.reference == outcome["fcr"].reference  # type: ignore[attr-defined]
            assert report.rejected == 1  # type: ignore[attr-defined]
            assert any("already booked" in note or "booked for someone else" in note
                       for note in report.notes), report.notes  # type: ignore[attr-defined]
            with desk.sg.ctx.read() as s:
                item = s.scalars(select(AttentionItem).where(AttentionItem.appointment_id == walk_in.id)).first()
            if item is None:  # the rejection's item comes down with the next pull
                _sync(desk)
                with desk.sg.ctx.read() as s:
                    item = s.scalars(select(AttentionItem).where(AttentionItem.appointment_id == walk_in.id)).one()
            assert "room" in item.message or "officer" in item.message
        # The station converges: one more sync brings the centre's answer down, nothing differs.
        for _ in range(3):
            again = _sync(desk)
            if again.waiting == 0 and again.pushed == 0 and again.pulled_total == 0:  # type: ignore[attr-defined]
                break
        assert differences(desk.sg.engine, desk.central, "SG") == [], f"round {round_no}"
        with make_session_factory(desk.central)() as s:
            assert double_bookings(s) == []
        desk.clock.advance(timedelta(minutes=1))
    assert fcr_wins + station_wins == ROUNDS
    print(f"FCR won {fcr_wins}, the station's walk-in won {station_wins} of {ROUNDS}")
