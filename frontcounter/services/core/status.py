"""The appointment status machine, in one place (DESIGN.md section 3).

``booked → arrived → in_progress → completed``; ``booked → no_show``; ``booked → cancelled``;
``booked → rescheduled``; ``arrived → left_unseen``. Nothing else changes ``status``.
"""

from __future__ import annotations

from frontcounter.db.models import Appointment, Status
from frontcounter.services.core.errors import IllegalTransition

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.BOOKED: frozenset({Status.ARRIVED, Status.NO_SHOW, Status.CANCELLED, Status.RESCHEDULED}),
    Status.ARRIVED: frozenset({Status.IN_PROGRESS, Status.LEFT_UNSEEN}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED}),
    Status.COMPLETED: frozenset(),
    Status.NO_SHOW: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.RESCHEDULED: frozenset(),
    Status.LEFT_UNSEEN: frozenset(),
}

LABELS: dict[Status, str] = {
    Status.BOOKED: "booked",
    Status.ARRIVED: "arrived",
    Status.IN_PROGRESS: "in progress",
    Status.COMPLETED: "completed",
    Status.NO_SHOW: "no-show",
    Status.CANCELLED: "cancelled",
    Status.RESCHEDULED: "rescheduled",
    Status.LEFT_UNSEEN: "left unseen",
}


def can_transition(current: str, new: Status) -> bool:
    return new in TRANSITIONS[Status(current)]


def transition(appointment: Appointment, new: Status) -> str:
    """Move ``appointment`` to ``new`` or raise ``IllegalTransition``; returns the old status."""
    old = Status(appointment.status)
    if new not in TRANSITIONS[old]:
        raise IllegalTransition(
            f"{appointment.reference} is {LABELS[old]}; it cannot be marked {LABELS[new]}."
        )
    appointment.status = new.value
    return old.value
