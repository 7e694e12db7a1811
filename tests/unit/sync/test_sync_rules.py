"""Sync on the embedded SQLite centre: push is idempotent, the conflict rules of DESIGN.md section 4
hold, rejections reach the needs-attention list, and the pull converges the cache to the centre."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text, update

from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.migrate import head_revision
from frontcounter.db.models import (
    AppliedOp,
    Appointment,
    AttentionItem,
    AuditEvent,
    FollowUp,
    OutboxEntry,
    Status,
    SyncCursor,
    SyncMeta,
)
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, create_demo, open_station
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import OfflineError, SchemaMismatch
from frontcounter.services.counter import checkin
from frontcounter.services.sync.push import local_status
from frontcounter.services.sync.report import SyncReport
from frontcounter.services.sync.station import SyncCancelled, sync_once
from tests.conftest import actor_named
from tests.sync_support import (
    actor_in,
    cancel,
    central_context,
    create_appointment,
    differences,
    edit,
    rooms_and_officers,
)

#: Runs again under shifted wall clocks in CI (scripts/test-any-date.sh -m wallclock).
pytestmark = pytest.mark.wallclock


@pytest.fixture
def centre(demo_dir: Path, clock: FixedClock) -> Iterator[ServiceContext]:
    engine = make_engine(sqlite_url(demo_dir / "central.sqlite"))
    yield central_context(engine, clock)
    engine.dispose()


@pytest.fixture
def fcr(centre: ServiceContext) -> Actor:
    return actor_in(centre, "fcr.HH")


def sync(station: StationRuntime, centre: ServiceContext, **kwargs: object) -> SyncReport:
    return sync_once(station.engine, centre.engine, "HH", clock=station.ctx.clock, **kwargs)  # type: ignore[arg-type]


def upcoming(station: StationRuntime, skip: int = 0) -> Appointment:
    """A booked appointment later today (the demo's evening session)."""
    now = station.ctx.clock.now()
    with station.ctx.read() as s:
        rows = s.scalars(
            select(Appointment).where(Appointment.status == Status.BOOKED.value, Appointment.start_at > now,
                                      Appointment.start_at < now + timedelta(hours=3))
            .order_by(Appointment.start_at, Appointment.reference)
        ).all()
    return rows[skip]


def central_row(centre: ServiceContext, appointment_id: uuid.UUID) -> Appointment:
    with centre.read() as s:
        return s.get_one(Appointment, appointment_id)


def local_row(station: StationRuntime, appointment_id: uuid.UUID) -> Appointment | None:
    with station.ctx.read() as s:
        return s.get(Appointment, appointment_id)


def attention(station: StationRuntime) -> list[AttentionItem]:
    with station.ctx.read() as s:
        return list(s.scalars(select(AttentionItem).order_by(AttentionItem.version)))


def outbox_states(station: StationRuntime) -> list[str]:
    with station.ctx.read() as s:
        return list(s.scalars(select(OutboxEntry.state).order_by(OutboxEntry.seq)))


def test_offline_commands_push_in_order_once_and_the_cache_equals_the_centre(
    station: StationRuntime, centre: ServiceContext, clock: FixedClock
) -> None:
    appt = upcoming(station)
    clock.set(appt.start_at - timedelta(minutes=5))
    counter, officer = actor_named(station, "counter.HH"), actor_named(station, "officer.HH")
    checkin.check_in(station.ctx, counter, appt.reference)
    checkin.start_meeting(station.ctx, officer, appt.id)
    checkin.complete(station.ctx, officer, appt.id)
    assert local_status(station.engine).waiting == 3

    report = sync(station, centre)

    # The station's own later ops are based on its earlier ones: no false conflicts.
    assert (report.pushed, report.applied, report.resolved, report.rejected) == (3, 3, 0, 0)
    assert outbox_states(station) == ["applied"] * 3 and report.waiting == 0
    assert central_row(centre, appt.id).status == Status.COMPLETED.value
    with centre.read() as s:
        ops = s.scalars(select(AppliedOp).order_by(AppliedOp.version)).all()
        assert [o.station_seq for o in ops] == [1, 2, 3]
        local_ids = set(station.ctx.read().scalars(select(AuditEvent.id)))
        central_ids = set(s.scalars(select(AuditEvent.id)))
    assert local_ids <= central_ids and report.audit_sent == len(local_ids)
    assert differences(station.engine, centre.engine, "HH") == []


def test_a_lost_acknowledgement_is_retried_without_applying_twice(
    station: StationRuntime, centre: ServiceContext, clock: FixedClock
) -> None:
    appt = upcoming(station)
    clock.set(appt.start_at - timedelta(minutes=5))
    checkin.check_in(station.ctx, actor_named(station, "counter.HH"), appt.reference)

    def lose_the_ack(step: str) -> None:
        if step == "push.after_commit":
            raise ConnectionResetError("the link dropped after the central commit")

    with pytest.raises(ConnectionResetError):
        sync(station, centre, on_step=lose_the_ack)
    assert outbox_states(station) == ["pending"]
    version_after_first = central_row(centre, appt.id).version

    report = sync(station, centre)

    assert (report.pushed, report.applied, report.replayed) == (1, 1, 1)
    assert central_row(centre, appt.id).version == version_after_first
    with centre.read() as s:
        assert s.scalar(select(func.count()).select_from(AppliedOp)) == 1
    assert outbox_states(station) == ["applied"]
    assert differences(station.engine, centre.engine, "HH") == []


def test_check_in_beats_a_central_cancel_and_the_cancel_is_flagged(
    station: StationRuntime, centre: ServiceContext, fcr: Actor, clock: FixedClock
) -> None:
    appt = upcoming(station)
    clock.set(appt.start_at - timedelta(minutes=5))
    cancel(centre, fcr, appt.id)  # the FCR cancels; the station has not heard yet
    checkin.check_in(station.ctx, actor_named(station, "counter.HH"), appt.reference)

    report = sync(station, centre)

    assert (report.resolved, report.rejected) == (1, 0)
    row = central_row(centre, appt.id)
    assert row.status == Status.ARRIVED.value and row.checked_in_by == "counter.HH"
    flagged = [a for a in attention(station) if a.kind == "flagged"]
    assert len(flagged) == 1 and flagged[0].appointment_id == appt.id
    assert "cancelled at the centre by fcr.HH" in flagged[0].message and "check-in stands" in flagged[0].message
    assert differences(station.engine, centre.engine, "HH") == []


def test_check_in_beats_a_central_reschedule_and_names_the_new_appointment(
    station: StationRuntime, centre: ServiceContext, fcr: Actor, clock: FixedClock
) -> None:
    appt = upcoming(station)
    clock.set(appt.start_at - timedelta(minutes=5))
    rooms, _ = rooms_and_officers(centre, "HH")
    new_id = create_appointment(centre, fcr, "HH", rooms[0].id, None, appt.start_at + timedelta(days=2, hours=6),
                                op_type="appointment.book")
    edit(centre, fcr, appt.id, "appointment.reschedule", status=Status.RESCHEDULED.value, rescheduled_to_id=new_id)
    checkin.check_in(station.ctx, actor_named(station, "counter.HH"), appt.reference)

    report = sync(station, centre)

    assert report.resolved == 1
    assert central_row(centre, appt.id).status == Status.ARRIVED.value
    new_ref = central_row(centre, new_id).reference
    (flag,) = [a for a in attention(station) if a.kind == "flagged"]
    assert f"rescheduled at the centre to {new_ref}" in flag.message


def test_no_show_is_rejected_when_the_slot_moved_and_the_cache_is_restored(
    station: StationRuntime, centre: ServiceContext, fcr: Actor, clock: FixedClock
) -> None:
    appt = upcoming(station)
    sync(station, centre)
    # The centre moves the appointment to a quiet hour two days later; the station has not heard.
    moved_start = appt.start_at + timedelta(days=2, hours=8)
    edit(centre, fcr, appt.id, start_at=moved_start, end_at=moved_start + timedelta(hours=1))
    clock.set(appt.start_at + timedelta(minutes=20))
    checkin.mark_no_show(station.ctx, actor_named(station, "counter.HH"), appt.reference)

    report = sync(station, centre)

    assert report.rejected == 1 and report.withheld == 1  # the no-show's follow-up never existed centrally
    row = central_row(centre, appt.id)
    assert row.status == Status.BOOKED.value and row.start_at == moved_start
    restored = local_row(station, appt.id)
    assert restored is not None and restored.status == Status.BOOKED.value and restored.start_at == moved_start
    with station.ctx.read() as s:
        # Kept (nothing the clerk did is lost) but set aside: it is on no list until resent.
        assert s.scalar(select(func.count()).select_from(FollowUp).where(
            FollowUp.appointment_id == appt.id, FollowUp.deleted.is_(False))) == 0
    (item,) = [a for a in attention(station) if a.kind == "rejected"]
    assert item.appointment_id == appt.id and "was moved at the centre" in item.message
    assert "no-show was not recorded" in item.message
    assert outbox_states(station) == ["rejected"]
    assert differences(station.engine, centre.engine, "HH") == []


def test_no_show_stands_when_only_contact_details_changed_centrally(
    station: StationRuntime, centre: ServiceContext, fcr: Actor, clock: FixedClock
) -> None:
    appt = upcoming(station)
    edit(centre, fcr, appt.id, visitor_email="new@example.org")
    clock.set(appt.start_at + timedelta(minutes=20))
    checkin.mark_no_show(station.ctx, actor_named(station, "counter.HH"), appt.reference)

    report = sync(station, centre)

    assert (report.resolved, report.rejected) == (1, 0)
    row = central_row(centre, appt.id)
    assert row.status == Status.NO_SHOW.value and row.visitor_email == "new@example.org"
    with centre.read() as s:  # the follow-up made with the no-show arrived in the same op
        assert s.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.appointment_id == appt.id)) == 1
    assert differences(station.engine, centre.engine, "HH") == []


def test_walk_in_colliding_with_a_central_booking_loses_and_the_user_is_told(
    station: StationRuntime, centre: ServiceContext, fcr: Actor
) -> None:
    rooms, officers = rooms_and_officers(station.ctx, "HH")
    start = station.ctx.clock.now().replace(hour=3, minute=0, second=0, microsecond=0) + timedelta(days=1)
    central_id = create_appointment(centre, fcr, "HH", rooms[0].id, officers[0].id, start, op_type="appointment.book")
    counter = actor_named(station, "counter.HH")
    walk_in = create_appointment(station.ctx, counter, "HH", rooms[0].id, officers[1].id, start)
    rejected_ref = local_row(station, walk_in).reference  # type: ignore[union-attr]
    checkin.check_in(station.ctx, counter, rejected_ref, force=True)  # depends on the doomed row

    report = sync(station, centre)

    assert (report.pushed, report.rejected) == (2, 2)
    kept = local_row(station, walk_in)  # a rejected insert never existed centrally: kept, set aside
    assert kept is not None and kept.deleted and kept.reference == rejected_ref
    assert local_row(station, central_id) is not None  # and the booking that won is here now
    items = [a for a in attention(station) if a.kind == "rejected"]
    assert len(items) == 1, "the dependent check-in repeats the rejection quietly"
    assert rejected_ref in items[0].message and "room is already booked" in items[0].message
    assert report.waiting == 0
    assert differences(station.engine, centre.engine, "HH") == []


def test_contact_details_merge_per_field(
    station: StationRuntime, centre: ServiceContext, fcr: Actor
) -> None:
    appt = upcoming(station)
    edit(centre, fcr, appt.id, visitor_email="centre@example.org")
    edit(station.ctx, actor_named(station, "supervisor.HH"), appt.id, "appointment.update_contact",
         visitor_phone="07700 900999")

    report = sync(station, centre)

    assert report.resolved == 1
    row = central_row(centre, appt.id)
    assert (row.visitor_email, row.visitor_phone) == ("centre@example.org", "07700 900999")
    assert differences(station.engine, centre.engine, "HH") == []


def test_a_status_change_illegal_from_the_central_status_is_rejected_clearly(
    station: StationRuntime, centre: ServiceContext, fcr: Actor, clock: FixedClock
) -> None:
    appt = upcoming(station)
    clock.set(appt.start_at + timedelta(minutes=20))
    edit(centre, fcr, appt.id, "appointment.check_in", status=Status.ARRIVED.value, arrived_at=clock.now(),
         checked_in_by="counter.HH")  # another counter PC checked the visitor in
    checkin.mark_no_show(station.ctx, actor_named(station, "counter.HH"), appt.reference)

    report = sync(station, centre)

    assert report.rejected == 1
    assert f"{appt.reference} is arrived at the centre, so it cannot be marked no-show" in report.notes[0]
    assert central_row(centre, appt.id).status == Status.ARRIVED.value
    assert local_row(station, appt.id).status == Status.ARRIVED.value  # type: ignore[union-attr]
    assert differences(station.engine, centre.engine, "HH") == []


def test_two_counter_pcs_at_one_station_check_in_the_same_visitor_once(
    station: StationRuntime, centre: ServiceContext, clock: FixedClock, demo_dir: Path, tmp_path: Path
) -> None:
    second_paths = Paths.resolve(tmp_path / "second-pc")
    create_demo(second_paths, clock=clock, central_url=sqlite_url(demo_dir / "central.sqlite"), station_code="HH")
    second = open_station(second_paths, clock=clock)
    try:
        appt = upcoming(station)
        clock.set(appt.start_at - timedelta(minutes=5))
        checkin.check_in(station.ctx, actor_named(station, "counter.HH"), appt.reference)
        checkin.check_in(second.ctx, actor_named(second, "supervisor.HH"), appt.reference)

        first_report = sync(station, centre)
        second_report = sync(second, centre)
        sync(station, centre)

        assert first_report.applied == 1
        assert second_report.resolved == 1 and "the first record stands" in second_report.notes[0]
        assert central_row(centre, appt.id).checked_in_by == "counter.HH"
        with centre.read() as s:
            nodes = set(s.scalars(select(AppliedOp.station_code)))
        assert len(nodes) == 2 and all(n.startswith("HH") for n in nodes)  # one sequence per PC
        for runtime in (station, second):
            assert differences(runtime.engine, centre.engine, "HH") == []
    finally:
        second.engine.dispose()


def test_a_centre_with_another_schema_version_is_refused_and_nothing_moves(
    station: StationRuntime, centre: ServiceContext, clock: FixedClock
) -> None:
    appt = upcoming(station)
    clock.set(appt.start_at - timedelta(minutes=5))
    checkin.check_in(station.ctx, actor_named(station, "counter.HH"), appt.reference)
    with centre.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))


    with pytest.raises(SchemaMismatch,
                       match=rf"schema is version 0099_future but this app speaks {head_revision()}.*update this app"):
        sync(station, centre)
    assert outbox_states(station) == ["pending"]
    assert central_row(centre, appt.id).status == Status.BOOKED.value


def test_audit_events_reach_the_centre_exactly_once_even_if_the_cursor_is_lost(
    station: StationRuntime, centre: ServiceContext, clock: FixedClock
) -> None:
    appt = upcoming(station)
    clock.set(appt.start_at - timedelta(minutes=5))
    checkin.check_in(station.ctx, actor_named(station, "counter.HH"), appt.reference)
    sync(station, centre)
    with station.ctx.write.begin() as s:
        s.execute(update(SyncMeta).where(SyncMeta.key == "audit_pushed_seq").values(value="0"))

    report = sync(station, centre)

    with station.ctx.read() as s:
        local_count = s.scalar(select(func.count()).select_from(AuditEvent))
    with centre.read() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.action == "appointment.check_in")))
    assert report.audit_sent == local_count and actions == ["appointment.check_in"]


def test_one_huge_central_version_arrives_in_pages_and_an_interrupted_pull_resumes(
    station: StationRuntime, centre: ServiceContext, fcr: Actor
) -> None:
    sync(station, centre)
    with centre.write.begin() as s:  # one central transaction touching every HH appointment
        from frontcounter.services.core.commands import next_central_version

        version = next_central_version(s)
        hh = s.scalars(select(Appointment).where(Appointment.reference.like("HH-%"))).all()
        for row in hh:
            row.access_needs = "Needs a quiet room"
            row.version = version
    calls = []

    def cut_after_first_page(step: str) -> None:
        calls.append(step)
        if step == "pull.page" and calls.count("pull.page") == 1:
            raise ConnectionResetError("link dropped mid-pull")

    with pytest.raises(OfflineError, match="cannot be reached"):
        sync(station, centre, page_size=7, on_step=cut_after_first_page)
    with station.ctx.read() as s:
        assert s.get_one(SyncCursor, "appointments").cursor < version  # the version is not complete yet
        assert s.scalar(select(func.count()).where(Appointment.access_needs == "Needs a quiet room")) == 7

    report = sync(station, centre, page_size=7)

    assert report.pulled["appointments"] >= len(hh) - 7
    with station.ctx.read() as s:
        assert s.get_one(SyncCursor, "appointments").cursor == version
    assert differences(station.engine, centre.engine, "HH") == []


def test_a_no_op_sync_reads_only_the_schema_and_the_clock(
    station: StationRuntime, centre: ServiceContext
) -> None:
    sync(station, centre)
    statements: list[str] = []
    event.listen(centre.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2].split()[0].upper()))
    report = sync(station, centre)
    assert report.pulled_total == 0 and report.pushed == 0
    assert [s for s in statements if s == "SELECT"] == ["SELECT", "SELECT"], statements


def test_cancel_stops_between_steps_and_the_next_sync_carries_on(
    station: StationRuntime, centre: ServiceContext, clock: FixedClock
) -> None:
    first, second = upcoming(station), upcoming(station, 1)
    clock.set(first.start_at - timedelta(minutes=5))
    counter = actor_named(station, "counter.HH")
    checkin.check_in(station.ctx, counter, first.reference)
    checkin.check_in(station.ctx, counter, second.reference, force=True)
    answered: list[str] = []

    def stop_after_one(step: str) -> None:
        answered.append(step)

    with pytest.raises(SyncCancelled, match="remaining changes wait"):
        sync(station, centre, on_step=stop_after_one, cancel=lambda: "push.after_commit" in answered)
    assert outbox_states(station) == ["applied", "pending"]
    report = sync(station, centre)
    assert report.pushed == 1 and outbox_states(station) == ["applied", "applied"]


def test_cli_sync_once_reports_what_moved(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from frontcounter.cli.main import main as cli_main

    # The copied demo's config names the template's centre: point at this test's own copy.
    central = sqlite_url(demo_dir / "central.sqlite")
    assert cli_main(["--data-dir", str(demo_dir), "check-in", _first_booked_reference(demo_dir), "--force"]) == 0
    capsys.readouterr()
    assert cli_main(["--data-dir", str(demo_dir), "--central", central, "sync", "--once"]) == 0
    out = capsys.readouterr().out
    assert "Pushed 1 change: 1 applied, 0 resolved, 0 rejected" in out
    assert "Pulled 1 row: appointments 1" in out and "0 changes waiting" in out


def _first_booked_reference(demo_dir: Path) -> str:
    engine = make_engine(sqlite_url(demo_dir / "station.sqlite"))
    with engine.connect() as conn:
        ref = conn.execute(text("SELECT reference FROM appointments WHERE status = 'booked' ORDER BY start_at "
                                "DESC LIMIT 1")).scalar_one()
    engine.dispose()
    return str(ref)


def test_the_bounded_overlap_guard_still_refuses_every_overlap_and_over_long_appointments(
    station: StationRuntime
) -> None:
    """The SQLite guard only searches a day back (so a first sync stays fast): that is only sound
    because no appointment may last longer than a day, which the database refuses too."""
    from sqlalchemy.exc import IntegrityError

    from frontcounter.services.core.errors import DoubleBooking

    counter = actor_named(station, "counter.HH")
    rooms, officers = rooms_and_officers(station.ctx, "HH")
    start = station.ctx.clock.now().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=30)
    create_appointment(station.ctx, counter, "HH", rooms[0].id, officers[0].id, start, minutes=24 * 60)
    # Starts 23 h 30 min after the day-long one began: still inside it, still refused.
    with pytest.raises(DoubleBooking, match="room is already booked"):
        create_appointment(station.ctx, counter, "HH", rooms[0].id, officers[1].id,
                           start + timedelta(hours=23, minutes=30))
    create_appointment(station.ctx, counter, "HH", rooms[0].id, officers[1].id, start + timedelta(hours=24))
    with pytest.raises(IntegrityError, match="ck_appointments_max_duration"):
        create_appointment(station.ctx, counter, "HH", rooms[1].id, officers[2].id, start + timedelta(days=3),
                           minutes=24 * 60 + 1)


def test_a_pull_is_not_blocked_by_a_stale_cache_row_that_a_later_version_moves(
    station: StationRuntime, centre: ServiceContext, fcr: Actor, clock: FixedClock
) -> None:
    """The centre moves B away, books C into B's old slot, and (after B's check-in arrives) B's
    newest version comes after C's: the cache must take C while its copy of B still sits there."""
    appt = upcoming(station)
    clock.set(appt.start_at - timedelta(minutes=5))
    moved_start = appt.start_at + timedelta(days=2, hours=8)
    edit(centre, fcr, appt.id, start_at=moved_start, end_at=moved_start + timedelta(hours=1))
    taken = create_appointment(centre, fcr, "HH", appt.room_id, appt.officer_id, appt.start_at,
                               op_type="appointment.book")
    checkin.check_in(station.ctx, actor_named(station, "counter.HH"), appt.reference)

    report = sync(station, centre)

    assert report.resolved == 1  # the check-in stands on the moved appointment
    assert local_row(station, taken) is not None
    assert local_row(station, appt.id).start_at == moved_start  # type: ignore[union-attr]
    assert differences(station.engine, centre.engine, "HH") == []
