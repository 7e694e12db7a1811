"""The visit to its end: taken in (who and when), seen, left unseen; each one audited command with
one outbox entry; a short undo that is itself audited and refused once too late or moved on; the
CLI verbs beside ``check-in``; and the undo reaching the centre by sync."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from frontcounter.cli.main import main as cli_main
from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.models import Appointment, AuditEvent, OutboxEntry, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import IllegalTransition, ValidationError
from frontcounter.services.counter import checkin, visit
from frontcounter.services.sync.station import sync_once
from tests.sync_support import actor_in, central_context, edit
from tests.unit.counter.test_checkin import booked

pytestmark = pytest.mark.wallclock


def _arrived(station: StationRuntime, counter: Actor, clock: FixedClock) -> Appointment:
    appt = booked(station)
    clock.set(appt.start_at - timedelta(minutes=5))
    checkin.check_in(station.ctx, counter, appt.reference)
    return appt


def _events(station: StationRuntime, reference: str) -> list[tuple[str, str, str]]:
    with station.ctx.read() as s:
        return [(e.username, e.action, e.outcome) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.record == f"appointment:{reference}").order_by(AuditEvent.local_seq))]


def _outbox(station: StationRuntime) -> list[str]:
    with station.ctx.read() as s:
        return list(s.scalars(select(OutboxEntry.op_type).order_by(OutboxEntry.seq)))


def test_taken_in_seen_records_who_and_when_and_the_wait(
    station: StationRuntime, counter: Actor, officer: Actor, clock: FixedClock
) -> None:
    appt = _arrived(station, counter, clock)
    clock.advance(timedelta(minutes=12))
    taken = visit.take_in(station.ctx, officer, appt.reference)
    assert taken.status == Status.IN_PROGRESS.value
    assert taken.seen_at == clock.now() and taken.seen_by == "officer.HH"
    assert taken.seen_at - taken.arrived_at == timedelta(minutes=12)  # type: ignore[operator]
    clock.advance(timedelta(minutes=40))
    seen = visit.complete(station.ctx, counter, appt.reference)
    assert seen.status == Status.COMPLETED.value and seen.completed_at == clock.now()
    assert _events(station, appt.reference) == [
        ("counter.HH", "appointment.check_in", "success"),
        ("officer.HH", "appointment.start", "success"),
        ("counter.HH", "appointment.complete", "success"),
    ]
    assert _outbox(station)[-3:] == ["appointment.check_in", "appointment.start", "appointment.complete"]


def test_a_clerk_recording_the_take_in_names_the_appointments_officer(
    station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    appt = _arrived(station, counter, clock)
    with station.ctx.write.begin() as s:  # the demo officer's user name, as a linked officer has
        from frontcounter.db.models import Officer

        assert appt.officer_id is not None
        s.get_one(Officer, appt.officer_id).username = "pc.linked"
    taken = visit.take_in(station.ctx, counter, appt.reference)
    assert taken.seen_by == "pc.linked"
    assert _events(station, appt.reference)[-1] == ("counter.HH", "appointment.start", "success")


def test_only_a_waiting_visitor_can_be_taken_in_or_left_unseen(
    station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    appt = booked(station)
    with pytest.raises(IllegalTransition, match="booked; it cannot be marked in progress"):
        visit.take_in(station.ctx, counter, appt.reference)
    with pytest.raises(IllegalTransition, match="cannot be marked completed"):
        visit.complete(station.ctx, counter, appt.reference)
    appt = _arrived(station, counter, clock)
    with pytest.raises(IllegalTransition, match="cannot be marked completed"):
        visit.complete(station.ctx, counter, appt.reference)  # seen means taken in first
    assert visit.left_unseen(station.ctx, counter, appt.reference).status == Status.LEFT_UNSEEN.value


@pytest.mark.parametrize("steps", [("take_in",), ("take_in", "complete"), ("left_unseen",)])
def test_each_step_can_be_undone_for_a_few_seconds_and_the_undo_is_audited(
    station: StationRuntime, counter: Actor, clock: FixedClock, steps: tuple[str, ...]
) -> None:
    appt = _arrived(station, counter, clock)
    before = None
    for step in steps:
        before = getattr(visit, step)(station.ctx, counter, appt.reference)
    assert before is not None
    clock.advance(timedelta(seconds=visit.UNDO_SECONDS - 1))
    back = visit.undo(station.ctx, counter, appt.reference, Status(before.status))
    expected = {"take_in": Status.ARRIVED, "complete": Status.IN_PROGRESS, "left_unseen": Status.ARRIVED}[steps[-1]]
    assert back.status == expected.value
    if steps[-1] == "take_in":
        assert back.seen_at is None and back.seen_by is None
    if steps[-1] == "complete":
        assert back.completed_at is None and back.seen_at is not None
    if steps[-1] == "left_unseen":
        assert back.left_unseen_at is None
    assert _events(station, appt.reference)[-1] == ("counter.HH", "appointment.undo", "success")
    with station.ctx.read() as s:
        undo_event = s.scalars(select(AuditEvent).where(AuditEvent.action == "appointment.undo")).one()
    assert undo_event.details["undid"].startswith("appointment.")
    assert _outbox(station)[-1] == "appointment.undo"
    # Undone once: there is nothing more to undo from here.
    with pytest.raises(IllegalTransition, match="nothing to undo"):
        visit.undo(station.ctx, counter, appt.reference, Status(before.status))


def test_an_undo_after_the_window_is_refused_and_says_who_can_correct_it(
    station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    appt = _arrived(station, counter, clock)
    visit.take_in(station.ctx, counter, appt.reference)
    clock.advance(timedelta(seconds=visit.UNDO_SECONDS + 1))
    with pytest.raises(ValidationError, match="Too late to undo.*supervisor"):
        visit.undo(station.ctx, counter, appt.reference, Status.IN_PROGRESS)
    with station.ctx.read() as s:
        assert s.get_one(Appointment, appt.id).status == Status.IN_PROGRESS.value


def test_waiting_minutes_counts_only_a_waiting_visitor(
    station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    appt = _arrived(station, counter, clock)
    from frontcounter.services.core.appointments import list_day
    from frontcounter.services.core.clock import local_today

    mine = next(v for v in list_day(station.ctx, counter, local_today(clock)) if v.id == appt.id)
    assert visit.waiting_minutes(mine, clock.now() + timedelta(minutes=7, seconds=59)) == 7
    taken = visit.take_in(station.ctx, counter, appt.reference)
    assert visit.waiting_minutes(taken, clock.now()) is None


def test_cli_take_in_complete_left_unseen(
    station: StationRuntime, counter: Actor, clock: FixedClock, demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _arrived(station, counter, clock)
    second = booked(station, after=first.start_at)
    checkin.check_in(station.ctx, counter, second.reference, force=True)
    base = ["--data-dir", str(demo_dir)]
    assert cli_main([*base, "take-in", first.reference]) == 0
    assert f"Taken in {first.reference}" in capsys.readouterr().out
    assert cli_main([*base, "complete", first.reference]) == 0
    assert f"Seen {first.reference}" in capsys.readouterr().out
    assert cli_main([*base, "left-unseen", second.reference]) == 0
    assert f"Left unseen {second.reference}" in capsys.readouterr().out
    # Wrong step: exit 1 with one line.
    assert cli_main([*base, "take-in", first.reference]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and first.reference in err
    assert cli_main([*base, "complete", "HH-ZZZZZ"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    with station.ctx.read() as s:
        assert s.get_one(Appointment, first.id).status == Status.COMPLETED.value
        assert s.get_one(Appointment, second.id).status == Status.LEFT_UNSEEN.value


@pytest.fixture
def centre(demo_dir: Path, clock: FixedClock) -> Iterator[ServiceContext]:
    engine = make_engine(sqlite_url(demo_dir / "central.sqlite"))
    yield central_context(engine, clock)
    engine.dispose()


def test_the_visit_and_an_undo_reach_the_centre_and_a_stale_undo_is_rejected(
    station: StationRuntime, counter: Actor, clock: FixedClock, centre: ServiceContext
) -> None:
    appt = _arrived(station, counter, clock)
    visit.take_in(station.ctx, counter, appt.reference)
    visit.undo(station.ctx, counter, appt.reference, Status.IN_PROGRESS)
    visit.take_in(station.ctx, counter, appt.reference)
    visit.complete(station.ctx, counter, appt.reference)
    report = sync_once(station.engine, centre.engine, "HH", clock=clock)
    assert report.rejected == 0
    with centre.read() as s:
        row = s.get_one(Appointment, appt.id)
        assert row.status == Status.COMPLETED.value and row.seen_at is not None

    # A second visitor: taken in here and synced; completed at the centre (another PC); the undo of
    # the take-in made here meanwhile is refused at the centre, which keeps its record.
    other = booked(station, after=appt.start_at)
    checkin.check_in(station.ctx, counter, other.reference, force=True)
    visit.take_in(station.ctx, counter, other.reference)
    assert sync_once(station.engine, centre.engine, "HH", clock=clock).rejected == 0
    edit(centre, actor_in(centre, "supervisor.HH"), other.id, "appointment.complete",
         status=Status.COMPLETED.value, completed_at=clock.now())
    visit.undo(station.ctx, counter, other.reference, Status.IN_PROGRESS)
    report = sync_once(station.engine, centre.engine, "HH", clock=clock)
    assert report.rejected == 1
    assert "cannot be stepped back to arrived" in report.notes[0]
    with station.ctx.read() as s:
        assert s.get_one(Appointment, other.id).status == Status.COMPLETED.value
