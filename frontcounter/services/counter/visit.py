"""The visit after check-in, to its end: taken in, seen, or left unseen — and undoing a slip.

The officer collects the visitor from the waiting area (``take_in``: ``in_progress``, who took
them in and when); the visit ends with ``complete`` (seen) or the visitor gives up first
(``checkin.mark_left_unseen``). The wait the reports measure is ``seen_at − arrived_at``, so these
are what fill them. Each is one command: audited, synced.

A clerk presses the wrong key, or the right key on the wrong row, while someone is talking to
them. ``undo`` steps a visit back along ``status.UNDO`` within ``UNDO_SECONDS`` of the step, as
a command of its own (audited ``appointment.undo``, naming what it undid), so the log keeps both
the slip and its correction; after that a supervisor's correction is the way.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontcounter.db.models import Appointment, Officer, Status
from frontcounter.services.core import status as status_machine
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import AppointmentView, view_of
from frontcounter.services.core.commands import command
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import NotFound, ValidationError
from frontcounter.services.core.permissions import Action
from frontcounter.services.counter import checkin
from frontcounter.services.counter.checkin import authorise

#: How long after a step it can still be undone by the counter.
UNDO_SECONDS = 30

#: For each status an undo leaves: the step's permission, its audit action, and the stamps
#: (and "by" fields) the step set, which the undo clears.
_STEPS: dict[Status, tuple[Action, str, tuple[str, ...]]] = {
    Status.IN_PROGRESS: (Action.START_MEETING, "appointment.start", ("seen_at", "seen_by")),
    Status.COMPLETED: (Action.COMPLETE, "appointment.complete", ("completed_at",)),
    Status.LEFT_UNSEEN: (Action.MARK_LEFT_UNSEEN, "appointment.left_unseen", ("left_unseen_at",)),
}


def take_in(ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID) -> AppointmentView:
    """The officer has collected the waiting visitor: ``in_progress``, stamped with who and when.

    "Who" is the officer: the signed-in officer, or — when the clerk records it — the officer the
    appointment is with (their user name, or rank, collar number and name where they have no
    sign-in). The audit event names the actor.
    """
    appointment_id, reference = authorise(ctx, actor, appointment, Action.START_MEETING, "appointment.start")
    with command(ctx, actor, category="alteration", action="appointment.start",
                 record=f"appointment:{reference}") as scope:
        appt = _load(scope.session, appointment_id, reference)
        base = appt.version
        status_machine.transition(appt, Status.IN_PROGRESS)
        appt.seen_at = scope.now
        appt.seen_by = _collector(scope.session, actor, appt)
        scope.changed(appt, "appointment.start", base_version=base,
                      changes={"status": appt.status, "seen_at": appt.seen_at, "seen_by": appt.seen_by})
        return view_of(scope.session, appt, scope.actor.key)


def complete(ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID) -> AppointmentView:
    """The visit is over and the visitor was seen (``completed``)."""
    return checkin.complete(ctx, actor, appointment)


def left_unseen(ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID) -> AppointmentView:
    """The waiting visitor left before anyone saw them (``left_unseen``)."""
    return checkin.mark_left_unseen(ctx, actor, appointment)


def undo(ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID, undoing: Status) -> AppointmentView:
    """Step the visit back from ``undoing`` (its status now) within ``UNDO_SECONDS`` of the step.

    Refused (``IllegalTransition``) when the visit has moved on since, and (``ValidationError``)
    when the step is older than the window.
    """
    if undoing not in _STEPS:
        raise ValidationError(f"A visit that is {status_machine.LABELS[undoing]} cannot be undone here.")
    permission, step_action, stamps = _STEPS[undoing]
    appointment_id, reference = authorise(ctx, actor, appointment, permission, "appointment.undo")
    with command(ctx, actor, category="alteration", action="appointment.undo", record=f"appointment:{reference}",
                 details={"undid": step_action}) as scope:
        appt = _load(scope.session, appointment_id, reference)
        stamped: datetime | None = getattr(appt, stamps[0])
        if appt.status == undoing.value and (
                stamped is None or scope.now - stamped > timedelta(seconds=UNDO_SECONDS)):
            raise ValidationError(
                f"Too late to undo: {reference} was marked {status_machine.LABELS[undoing]} more than "
                f"{UNDO_SECONDS} seconds ago. Ask a supervisor to correct it.")
        base = appt.version
        status_machine.revert(appt, undoing)
        changes: dict[str, object] = {"status": appt.status}
        for name in stamps:
            setattr(appt, name, None)
            changes[name] = None
        scope.changed(appt, "appointment.undo", base_version=base, changes=changes)
        return view_of(scope.session, appt, scope.actor.key)


def waiting_minutes(view: AppointmentView, now: datetime) -> int | None:
    """Whole minutes a checked-in visitor has been waiting (None unless they are waiting)."""
    if view.status != Status.ARRIVED.value or view.arrived_at is None:
        return None
    return max(0, int((now - view.arrived_at).total_seconds() // 60))


def _load(session: Session, appointment_id: uuid.UUID, reference: str) -> Appointment:
    row = session.get(Appointment, appointment_id)
    if row is None or row.deleted:
        raise NotFound(f"No appointment {reference} here.")
    return row


def _collector(session: Session, actor: Actor, appt: Appointment) -> str:
    mine = session.scalar(select(Officer.id).where(Officer.username == actor.username, Officer.deleted.is_(False)))
    if mine is not None or appt.officer_id is None:
        return actor.username
    theirs = session.get(Officer, appt.officer_id)
    if theirs is None:
        return actor.username
    # An officer without a sign-in of their own is named as the lists name them.
    return theirs.username or f"{theirs.rank} {theirs.collar_number} {theirs.name}"[:80]
