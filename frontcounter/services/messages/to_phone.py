"""The FCR's "Messages to phone": every visitor message that failed, or that the safe-contact
instructions kept from being sent, where the visitor must still hear and may be phoned (the
worker sets ``phone_instead``), with the visitor's number and what the instructions allow.

The call made is recorded as a contact with the visitor (``scheduling/contacts``: the same record
the at-risk list keeps, so whoever rings next sees it there too). A message counts as handled once
a contact that reached the visitor (spoke, or left a message as allowed) is recorded after the
message failed; a "no answer" leaves it to ring again.

``frontcounter notify --failures`` (``history.failures``) is the worker's own listing and also
shows failures where phoning is not agreed; this list shows only what the FCR can act on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from frontcounter.db.models import Appointment, VisitorMessage
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import AppointmentView, ContactConsent, load_lookups, to_views
from frontcounter.services.core.commands import audit, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.permissions import Action
from frontcounter.services.messages.history import MessageRow, _row
from frontcounter.services.messages.safe_contact import reach_by_phone
from frontcounter.services.scheduling import contacts

#: Contact outcomes after which the message needs no further call.
HANDLED_OUTCOMES = frozenset({"reached", "message_left"})


@dataclass(frozen=True, slots=True)
class PhoneCall:
    """One message to phone about, with the appointment it belongs to."""

    message: MessageRow
    appointment: AppointmentView
    #: When it failed or was held back (the message's last change).
    at: datetime
    #: Why it did not reach the visitor, in words.
    reason: str
    #: What the safe-contact instructions allow the FCR to do now, in words.
    what_to_do: str
    #: The latest contact recorded for the appointment since the message failed, if any.
    called: contacts.ContactRecord | None

    @property
    def handled(self) -> bool:
        return self.called is not None and self.called.outcome in HANDLED_OUTCOMES


def _reason(m: VisitorMessage) -> str:
    """The worker's words for why, without the "; phone the visitor…" it appended when it decided
    (the What to do column says that from the instructions as they are now)."""
    detail = (m.detail or m.state).strip()
    head, sep, tail = detail.rpartition("; ")
    if sep and tail.startswith(("phone the visitor", "contact the visitor")):
        detail = head
    return detail[:1].upper() + detail[1:]


def messages_to_phone(ctx: ServiceContext, actor: Actor, *, include_handled: bool = False,
                      limit: int = 500) -> list[PhoneCall]:
    """The messages the FCR should phone about, newest first (read at the centre: stations hold none).

    Not audited here: the screen audits its listing as a consultation when the count changes.
    """
    guard(ctx, actor, Action.VIEW_APPOINTMENTS, action="messages.to_phone", record="station:all")
    with ctx.read() as session:
        found = session.execute(
            select(VisitorMessage, Appointment)
            .join(Appointment, Appointment.id == VisitorMessage.appointment_id)
            .where(VisitorMessage.phone_instead.is_(True), VisitorMessage.state.in_(("failed", "not_sent")),
                   Appointment.deleted.is_(False), Appointment.purged_at.is_(None))
            .order_by(VisitorMessage.updated_at.desc(), VisitorMessage.created_at.desc()).limit(limit)).all()
        appts = {a.id: a for _m, a in found}
        views = {v.id: v for v in to_views(appts.values(), load_lookups(session), actor.key)}
        consents = {a.id: ContactConsent.of(a) for a in appts.values()}
        messages = [(m, m.updated_at or m.created_at) for m, _a in found]
    # The latest contact is after the message failed exactly when some contact is.
    latest = contacts.last_contacts(ctx, actor, list(appts))
    calls = []
    for m, at in messages:
        view = views[m.appointment_id]
        instead = reach_by_phone(consents[m.appointment_id])
        what = instead or "phoning is no longer agreed: do not phone"
        row = _row(m, view.reference, view.station_code)
        last = latest.get(m.appointment_id)
        called = last if last is not None and _naive(last.at) >= _naive(at) else None
        call = PhoneCall(row, view, at, _reason(m), what[:1].upper() + what[1:], called)
        if include_handled or not call.handled:
            calls.append(call)
    return calls


def _naive(at: datetime) -> datetime:
    """SQLite hands back naive UTC, PostgreSQL aware: compare them alike."""
    return at if at.tzinfo is None else at.astimezone(UTC).replace(tzinfo=None)


def audit_listing(ctx: ServiceContext, actor: Actor, count: int) -> None:
    """s.62: who saw the force's list of visitors to phone, and how many."""
    audit(ctx, actor, category="consultation", action="messages.to_phone", record="station:all",
          details={"count": count, "view": "fcr_messages_to_phone"})


def record_call(ctx: ServiceContext, actor: Actor, call: PhoneCall, outcome: str,
                note: str | None = None) -> contacts.ContactRecord:
    """The call made about ``call``'s message: a contact with the visitor, audited (``appointment.contact``)."""
    said = f"About the {call.message.kind_label.lower()} message that did not reach them"
    note = (note or "").strip()
    return contacts.record_contact(ctx, actor, call.appointment.id, outcome, f"{said}: {note}" if note else said)


def find(calls: list[PhoneCall], message_id: uuid.UUID) -> PhoneCall | None:
    return next((c for c in calls if c.message.id == message_id), None)
