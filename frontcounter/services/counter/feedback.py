"""Satisfaction at departure: the visitor's rating (1–5) and, with their consent, a comment.

The scheme exists so that satisfaction rises; the reports (``services/reports/figures.py``) chart these
ratings by week. The feedback reference printed on the slip is the appointment reference, so a
visitor who answers later (online, by phone) is matched to the same record.

Only a visitor who came can rate: the appointment must be in progress, completed or left unseen
(someone who waited and gave up has the most to tell). The rating alone is not personal data; a
comment may be, so it is kept only when the visitor agrees, and it never goes into the audit log
or the application log. Recording again replaces the earlier answer (a mistyped rating), and the
audit log keeps that it was replaced.
"""

from __future__ import annotations

import logging
import uuid

from frontcounter.db.models import Appointment, Status
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import AppointmentView, load_lookups, to_view
from frontcounter.services.core.commands import command
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import NotFound, ValidationError
from frontcounter.services.core.permissions import Action
from frontcounter.services.core.status import LABELS
from frontcounter.services.counter.checkin import authorise

logger = logging.getLogger(__name__)

#: Statuses at which a visitor can give feedback: they came to the station.
FEEDBACK_STATUSES = frozenset({Status.IN_PROGRESS.value, Status.COMPLETED.value, Status.LEFT_UNSEEN.value})
RATINGS = range(1, 6)
MAX_COMMENT = 2000


def can_give_feedback(status: str) -> bool:
    return status in FEEDBACK_STATUSES


def record_feedback(
    ctx: ServiceContext,
    actor: Actor,
    appointment: str | uuid.UUID,
    rating: int,
    comment: str | None = None,
    consent: bool = False,
) -> AppointmentView:
    """Record the visitor's rating (and comment, only with ``consent``); command ``appointment.feedback``."""
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in RATINGS:
        raise ValidationError("Choose a rating from 1 (very poor) to 5 (very good).")
    text = (comment or "").strip()
    if text and not consent:
        raise ValidationError("A comment can be kept only if the visitor agrees: tick consent or clear the comment.")
    if len(text) > MAX_COMMENT:
        raise ValidationError(f"The comment is too long ({len(text)} characters; at most {MAX_COMMENT}).")
    appointment_id, reference = authorise(ctx, actor, appointment, Action.RECORD_FEEDBACK, "appointment.feedback")
    with ctx.read() as session:
        existing = session.get(Appointment, appointment_id)
        replaced = existing is not None and existing.feedback_rating is not None
    record = f"appointment:{reference}"
    # The audit event is written first and is append-only, so its details are known up front.
    details = {"rating": rating, "comment": bool(text), "consent": consent, "replaced": replaced}
    with command(ctx, actor, category="collection", action="appointment.feedback", record=record,
                 details=details) as scope:
        row = scope.session.get(Appointment, appointment_id)
        if row is None or row.deleted:
            raise NotFound(f"No appointment {reference} here.")
        if not can_give_feedback(row.status):
            raise ValidationError(
                f"{reference} is {LABELS[Status(row.status)]}: feedback is taken when the visitor leaves "
                "(in progress, completed or left unseen)."
            )
        base = row.version
        row.feedback_rating = rating
        row.feedback_comment = text or None
        row.feedback_at = scope.now
        scope.changed(row, "appointment.feedback", base_version=base,
                      changes={"feedback_rating": rating, "feedback_comment": row.feedback_comment,
                               "feedback_at": scope.now})
        view = to_view(row, load_lookups(scope.session), scope.actor.key)
    logger.info("feedback recorded for an appointment (rating %s)", rating)
    return view

