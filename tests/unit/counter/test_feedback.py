"""Satisfaction at departure: who may record it, when, what is kept, and what it leaves behind."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from frontcounter.db.models import Appointment, AuditEvent, OutboxEntry, Station, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock, local_today
from frontcounter.services.core.errors import PermissionDenied, ValidationError
from frontcounter.services.counter import checkin
from frontcounter.services.counter.feedback import can_give_feedback, record_feedback
from frontcounter.services.reports import figures as reports
from tests.conftest import actor_named


def _one(runtime: StationRuntime, status: Status, *, rated: bool | None = None) -> Appointment:
    with runtime.ctx.read() as s:
        query = select(Appointment).where(Appointment.status == status.value, Appointment.deleted.is_(False))
        if rated is not None:
            query = query.where(Appointment.feedback_rating.is_not(None) if rated
                                else Appointment.feedback_rating.is_(None))
        row = s.scalars(query.order_by(Appointment.start_at)).first()
    assert row is not None, f"the demo has no {status} appointment"
    return row


def _counts(runtime: StationRuntime) -> tuple[int, int]:
    with runtime.ctx.read() as s:
        return (s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
                s.scalar(select(func.count()).select_from(OutboxEntry)) or 0)


def test_counter_records_rating_and_consented_comment_as_one_command(
    station: StationRuntime, counter: Actor
) -> None:
    appt = _one(station, Status.COMPLETED, rated=False)
    audits, outbox = _counts(station)
    view = record_feedback(station.ctx, counter, appt.reference, 4, "  Kind and on time.  ", consent=True)
    assert view.reference == appt.reference
    assert _counts(station) == (audits + 1, outbox + 1)
    with station.ctx.read() as s:
        row = s.get(Appointment, appt.id)
        entry = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc())).first()
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
    assert (row.feedback_rating, row.feedback_comment) == (4, "Kind and on time.")
    assert row.feedback_at == station.ctx.clock.now()
    assert entry.op_type == "appointment.feedback" and entry.entity_id == appt.id
    assert set(entry.payload["row"]) >= {"feedback_rating", "feedback_comment", "feedback_at"}
    assert (event.category, event.action, event.record) == ("collection", "appointment.feedback",
                                                            f"appointment:{appt.reference}")
    assert event.details == {"rating": 4, "comment": True, "consent": True, "replaced": False}
    assert "Kind" not in str(event.details)  # the comment itself never enters the audit log


def test_comment_needs_consent_and_rating_must_be_one_to_five(station: StationRuntime, counter: Actor) -> None:
    appt = _one(station, Status.COMPLETED, rated=False)
    audits, outbox = _counts(station)
    with pytest.raises(ValidationError, match="only if the visitor agrees"):
        record_feedback(station.ctx, counter, appt.reference, 5, "Great", consent=False)
    for bad in (0, 6, -1, True):
        with pytest.raises(ValidationError, match="from 1"):
            record_feedback(station.ctx, counter, appt.reference, bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="too long"):
        record_feedback(station.ctx, counter, appt.reference, 3, "x" * 2001, consent=True)
    assert _counts(station) == (audits, outbox)
    # A rating alone needs no consent; a blank comment is no comment.
    record_feedback(station.ctx, counter, appt.id, 2, "   ", consent=False)
    with station.ctx.read() as s:
        row = s.get(Appointment, appt.id)
    assert (row.feedback_rating, row.feedback_comment) == (2, None)


def test_only_visitors_who_came_can_rate(station: StationRuntime, counter: Actor) -> None:
    for status in (Status.BOOKED, Status.NO_SHOW, Status.CANCELLED, Status.RESCHEDULED):
        assert not can_give_feedback(status.value)
        appt = _one(station, status)
        with pytest.raises(ValidationError, match="feedback is taken when the visitor leaves"):
            record_feedback(station.ctx, counter, appt.reference, 5)
    for status in (Status.IN_PROGRESS, Status.COMPLETED, Status.LEFT_UNSEEN):
        assert can_give_feedback(status.value)


def test_visitor_who_left_unseen_can_still_rate(station: StationRuntime, counter: Actor, clock: FixedClock) -> None:
    appt = _one(station, Status.BOOKED)
    clock.set(appt.start_at - timedelta(minutes=5))
    checkin.check_in(station.ctx, counter, appt.reference)
    checkin.mark_left_unseen(station.ctx, counter, appt.reference)
    view = record_feedback(station.ctx, counter, appt.reference, 1, "Waited too long", consent=True)
    assert view.status == Status.LEFT_UNSEEN.value


def test_recording_again_replaces_and_says_so(station: StationRuntime, officer: Actor) -> None:
    appt = _one(station, Status.COMPLETED, rated=True)
    record_feedback(station.ctx, officer, appt.reference, 3)
    with station.ctx.read() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
        assert s.get(Appointment, appt.id).feedback_rating == 3
    assert event.details["replaced"] is True


def test_who_may_record_feedback(station: StationRuntime, counter: Actor) -> None:
    appt = _one(station, Status.COMPLETED, rated=False)
    with station.ctx.read() as s:
        stevenage = s.scalars(select(Station).where(Station.code == "SG")).one()
    counter_sg = replace(counter, username="counter.SG", station_id=stevenage.id, station_code="SG")
    others = [actor_named(station, name) for name in ("fcr.HH", "auditor.HH", "admin.HH")]
    for actor in (*others, counter_sg):
        with pytest.raises(PermissionDenied):
            record_feedback(station.ctx, actor, appt.reference, 5)
    record_feedback(station.ctx, actor_named(station, "supervisor.HH"), appt.reference, 5)


def test_recorded_rating_shows_in_the_report(station: StationRuntime, counter: Actor, supervisor: Actor) -> None:
    appt = _one(station, Status.COMPLETED, rated=False)
    day = local_today(station.ctx.clock)
    before = reports.compute_report(station.ctx, supervisor, day - timedelta(days=7), day).total
    record_feedback(station.ctx, counter, appt.reference, 5)
    after = reports.compute_report(station.ctx, supervisor, day - timedelta(days=7), day).total
    assert after.feedback_responses == before.feedback_responses + 1
    assert sum(w.satisfied for w in after.satisfaction) == sum(w.satisfied for w in before.satisfaction) + 1
