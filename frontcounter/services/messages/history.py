"""Reading the messages: one appointment's history, and the failures the FCR should phone about
(``frontcounter notify --failures``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from frontcounter.db.models import Appointment, Station, VisitorMessage
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.permissions import Action, require
from frontcounter.services.messages.kinds import label

#: The states in words, as the appointment's history shows them.
STATE_WORDS = {"queued": "queued", "sending": "sending", "sent": "sent", "delivered": "delivered",
               "failed": "failed", "not_sent": "not sent", "stale": "not sent (overtaken)"}


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: uuid.UUID
    kind: str
    kind_label: str
    state: str
    state_words: str
    channel: str | None
    masked_to: str | None
    detail: str | None
    queued_at: datetime
    sent_at: datetime | None
    phone_instead: bool
    reference: str | None = None
    station_code: str | None = None


def _row(m: VisitorMessage, reference: str | None = None, station_code: str | None = None) -> MessageRow:
    return MessageRow(m.id, m.kind, label(m.kind), m.state, STATE_WORDS.get(m.state, m.state), m.channel,
                      m.masked_to, m.detail, m.created_at, m.sent_at, m.phone_instead, reference, station_code)


def history(ctx: ServiceContext, actor: Actor, appointment_id: uuid.UUID) -> list[MessageRow]:
    """Every message of one appointment, oldest first (at the centre: stations hold none)."""
    with ctx.read() as session:
        appt = session.get(Appointment, appointment_id)
        require(actor, Action.VIEW_APPOINTMENTS, appt.station_id if appt else None)
        rows = session.scalars(select(VisitorMessage).where(VisitorMessage.appointment_id == appointment_id)
                               .order_by(VisitorMessage.created_at, VisitorMessage.kind))
        return [_row(m, appt.reference if appt else None) for m in rows]


def failures(ctx: ServiceContext, *, limit: int = 500) -> list[MessageRow]:
    """Every failed message, for the worker's own ``--failures`` listing (the centre's login)."""
    with ctx.read() as session:
        found = session.execute(
            select(VisitorMessage, Appointment.reference, Station.code)
            .join(Appointment, Appointment.id == VisitorMessage.appointment_id)
            .join(Station, Station.id == Appointment.station_id)
            .where(VisitorMessage.state.in_(("failed",)) | VisitorMessage.phone_instead.is_(True))
            .order_by(VisitorMessage.created_at.desc()).limit(limit)).all()
        return [_row(m, ref, code) for m, ref, code in found]
