"""The single write path: each legal command leaves exactly one audit event and one outbox entry;
an illegal status change is refused with a clear error and leaves neither."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from frontcounter.db.models import Appointment, AuditEvent, FollowUp, OutboxEntry, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.errors import IllegalTransition
from frontcounter.services.counter import checkin


def _counts(runtime: StationRuntime) -> tuple[int, int]:
    with runtime.ctx.read() as s:
        return (
            s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            s.scalar(select(func.count()).select_from(OutboxEntry)) or 0,
        )


def _booked_today(runtime: StationRuntime, *, started: bool) -> Appointment:
    now = runtime.ctx.clock.now()
    with runtime.ctx.read() as s:
        query = select(Appointment).where(Appointment.status == Status.BOOKED.value,
                                          Appointment.start_at >= now - timedelta(hours=1),
                                          Appointment.start_at < now + timedelta(hours=3))
        query = query.where(Appointment.start_at <= now) if started else query.where(Appointment.start_at > now)
        return s.scalars(query.order_by(Appointment.start_at)).first()


def test_every_legal_command_leaves_one_audit_event_and_one_outbox_entry(
    station: StationRuntime, counter: Actor, officer: Actor, clock: FixedClock
) -> None:
    appt = _booked_today(station, started=False)
    clock.set(appt.start_at - timedelta(minutes=5))
    steps = [
        (counter, lambda: checkin.check_in(station.ctx, counter, appt.reference), "appointment.check_in"),
        (officer, lambda: checkin.start_meeting(station.ctx, officer, appt.id), "appointment.start"),
        (officer, lambda: checkin.complete(station.ctx, officer, appt.id), "appointment.complete"),
    ]
    for _actor, run, op in steps:
        audits, outbox = _counts(station)
        run()
        assert _counts(station) == (audits + 1, outbox + 1), op
        with station.ctx.read() as s:
            entry = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc())).first()
            event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
        assert entry.op_type == op and entry.entity_id == appt.id and entry.state == "pending"
        assert event.action == op and event.record == f"appointment:{appt.reference}" and event.outcome == "success"
    with station.ctx.read() as s:
        assert s.get(Appointment, appt.id).status == Status.COMPLETED.value


def test_no_show_opens_a_follow_up_in_the_same_single_entry(
    station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    appt = _booked_today(station, started=False)
    clock.set(appt.start_at + timedelta(minutes=16))
    audits, outbox = _counts(station)
    checkin.mark_no_show(station.ctx, counter, appt.reference)
    assert _counts(station) == (audits + 1, outbox + 1)
    with station.ctx.read() as s:
        follow_up = s.scalars(select(FollowUp).where(FollowUp.appointment_id == appt.id)).one()
        entry = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc())).first()
    assert follow_up.kind in {"recontact", "welfare_check"}
    assert entry.payload["also_created"][0]["row"]["id"] == str(follow_up.id)


def test_illegal_transition_is_refused_clearly_and_leaves_nothing(
    station: StationRuntime, officer: Actor
) -> None:
    appt = _booked_today(station, started=False)
    audits, outbox = _counts(station)
    with pytest.raises(IllegalTransition, match=rf"{appt.reference} is booked; it cannot be marked completed"):
        checkin.complete(station.ctx, officer, appt.id)
    assert _counts(station) == (audits, outbox)
    with station.ctx.read() as s:
        assert s.get(Appointment, appt.id).status == Status.BOOKED.value


def test_crash_mid_write_loses_nothing_and_half_writes_nothing(
    station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    """An exception after the row changed but before commit rolls back row, audit and outbox."""
    from frontcounter.services.core.commands import command

    appt = _booked_today(station, started=False)
    audits, outbox = _counts(station)
    with pytest.raises(RuntimeError), command(station.ctx, counter, category="alteration",
                                              action="appointment.check_in", record="x") as scope:
        row = scope.session.get(Appointment, appt.id)
        row.status = Status.ARRIVED.value
        scope.changed(row, "appointment.check_in", base_version=row.version, changes={"status": "arrived"})
        raise RuntimeError("power cut")
    assert _counts(station) == (audits, outbox)
    with station.ctx.read() as s:
        assert s.get(Appointment, appt.id).status == Status.BOOKED.value
