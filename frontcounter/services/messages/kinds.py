"""The message kinds, their names in words, and when a queued message has gone stale."""

from __future__ import annotations

from datetime import datetime

from frontcounter.db.models import Appointment, Status, VisitorMessage
from frontcounter.services.core.visitor_messages import (
    AT_RISK,
    CANCELLATION,
    CONFIRMATION,
    EVENT_KINDS,
    REMINDER_PREFIX,
    RESCHEDULE,
    reminder_kind,
)

__all__ = ["AT_RISK", "CANCELLATION", "CONFIRMATION", "EVENT_KINDS", "RESCHEDULE", "all_kinds", "is_reminder",
           "label", "reminder_kind", "stale_reason"]

#: Kinds the visitor must hear about one way or another: when no message may be sent, or one
#: fails, the FCR is asked to reach them as their instructions allow.
MUST_REACH = frozenset({RESCHEDULE, CANCELLATION, AT_RISK})

_LABELS = {CONFIRMATION: "Booking confirmation", RESCHEDULE: "New time (rescheduled)",
           CANCELLATION: "Cancellation", AT_RISK: "We need to rearrange"}


def is_reminder(kind: str) -> bool:
    return kind.startswith(REMINDER_PREFIX)


def all_kinds(reminder_hours: tuple[int, ...]) -> tuple[str, ...]:
    return (*EVENT_KINDS, *(reminder_kind(h) for h in reminder_hours))


def label(kind: str) -> str:
    if is_reminder(kind):
        return f"Reminder ({kind.removeprefix(REMINDER_PREFIX).removesuffix('h')} h before)"
    return _LABELS.get(kind, kind)


def stale_reason(message: VisitorMessage, appt: Appointment | None, now: datetime) -> str | None:
    """Why ``message`` must no longer be sent (a later change overtook it), or None if it still holds."""
    if appt is None or appt.deleted or appt.purged_at is not None:
        return "the appointment no longer exists"
    status = appt.status
    if message.kind == CANCELLATION:
        return None if status == Status.CANCELLED.value else f"the appointment is no longer cancelled ({status})"
    if status != Status.BOOKED.value:
        return f"the appointment is now {status.replace('_', ' ')}"
    if appt.start_at != message.for_start_at:
        return "the appointment has moved since it was queued"
    if now >= appt.start_at:
        return "the appointment has already started"
    if message.kind == AT_RISK:
        return None if appt.at_risk else "the appointment is no longer at risk (an officer was found)"
    if is_reminder(message.kind) and appt.at_risk:
        return "the appointment is at risk: the visitor is told to rearrange instead"
    return None
