"""The FCR's follow-up of at-risk appointments (their officer was pulled away and nobody covers
them): a record of each contact made with the visitor, so the next call taker sees who was
rung, when, and how it went, before the visitor travels for nothing.

Recording is a command (rows + audit, at the centre: the FCR desk works there directly); reading
a visitor's contacts is a consultation, audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from frontcounter.db.models import Appointment, AtRiskContact
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.commands import audit, command, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import NotFound, ValidationError
from frontcounter.services.core.permissions import Action

#: How a contact went, in the words the list shows.
OUTCOMES: dict[str, str] = {
    "reached": "Spoke to the visitor",
    "message_left": "Left a message (as the safe-contact instructions allow)",
    "no_answer": "No answer",
    "wrong_number": "Wrong or dead number",
}
MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class ContactRecord:
    id: uuid.UUID
    appointment_id: uuid.UUID
    at: datetime
    username: str
    outcome: str
    note: str | None

    @property
    def outcome_text(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)


def _record(row: AtRiskContact) -> ContactRecord:
    return ContactRecord(row.id, row.appointment_id, row.at, row.username, row.outcome, row.note)


def record_contact(ctx: ServiceContext, actor: Actor, appointment_id: uuid.UUID, outcome: str,
                   note: str | None = None) -> ContactRecord:
    """Record one contact with the visitor of an appointment (command ``appointment.contact``)."""
    if outcome not in OUTCOMES:
        raise ValidationError("Choose how the contact went.")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise ValidationError(f"The note is too long ({MAX_NOTE} characters at most).")
    with ctx.read() as session:
        appt = session.get(Appointment, appointment_id)
        if appt is None or appt.deleted:
            raise NotFound("That appointment no longer exists.")
        station_id, reference = appt.station_id, appt.reference
    guard(ctx, actor, Action.RECORD_CONTACT, station_id=station_id, action="appointment.contact",
          record=f"appointment:{reference}")
    if ctx.mode != "central":  # a station cache would keep it to itself: the table is not synced
        raise ValidationError("Contacts with at-risk visitors are recorded at the FCR desk, which works on "
                              "the centre; nothing was recorded here.")
    with command(ctx, actor, category="collection", action="appointment.contact",
                 record=f"appointment:{reference}", details={"outcome": outcome}) as scope:
        row = AtRiskContact(id=uuid.uuid4(), appointment_id=appointment_id, station_id=station_id,
                            at=scope.now, username=actor.username, outcome=outcome, note=note)
        scope.session.add(row)
        scope.session.flush()
        return _record(row)


def contacts_for(ctx: ServiceContext, actor: Actor, appointment_id: uuid.UUID) -> list[ContactRecord]:
    """Every contact recorded for an appointment, oldest first (a consultation, audited)."""
    with ctx.read() as session:
        appt = session.get(Appointment, appointment_id)
        if appt is None:
            raise NotFound("That appointment no longer exists.")
        station_id, reference = appt.station_id, appt.reference
        guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=station_id, action="appointment.contacts",
              record=f"appointment:{reference}")
        rows = session.scalars(select(AtRiskContact).where(AtRiskContact.appointment_id == appointment_id)
                               .order_by(AtRiskContact.at, AtRiskContact.id)).all()
        found = [_record(r) for r in rows]
    audit(ctx, actor, category="consultation", action="appointment.contacts", record=f"appointment:{reference}",
          details={"count": len(found)})
    return found


def last_contacts(ctx: ServiceContext, actor: Actor, appointment_ids: list[uuid.UUID]) -> dict[uuid.UUID, ContactRecord]:
    """The latest contact of each appointment in a list (for the at-risk list's column)."""
    guard(ctx, actor, Action.VIEW_APPOINTMENTS, action="appointments.at_risk", record=None)
    if not appointment_ids:
        return {}
    with ctx.read() as session:
        rows = session.scalars(select(AtRiskContact).where(AtRiskContact.appointment_id.in_(appointment_ids))
                               .order_by(AtRiskContact.at)).all()
        return {r.appointment_id: _record(r) for r in rows}
