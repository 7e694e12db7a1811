"""Keeping appointments: reschedule, cancel, the officer pulled away, and what is at risk.

The scheme exists so that appointments are kept. When one cannot be, the change says why
(``CancelReason``) and who made it, and a reschedule links the old appointment to the new one, so
kept, postponed and cancelled can be counted afterwards (:func:`count_outcomes`).

When a supervisor pulls an officer away, :func:`reassign_officer` withdraws their duty and moves
each of their remaining appointments that day to another officer who is on duty, free and
suitable; whatever cannot be covered is flagged ``at_risk`` so the counter and the FCR contact the
visitor before they travel. Each change is its own command, so a crash half-way leaves every
appointment either moved, flagged or untouched, never half of one.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from frontcounter.db.models import (
    CONTACT_FIELDS,
    RELEASED_STATUSES,
    Appointment,
    CancelReason,
    Duty,
    Officer,
    Reason,
    Room,
    Station,
    Status,
)
from frontcounter.services.core import status as status_machine
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import (
    AppointmentView,
    load_lookups,
    normalise_reference,
    to_view,
)
from frontcounter.services.core.clock import local, local_day_bounds
from frontcounter.services.core.commands import command, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import DoubleBooking, NotFound, ValidationError
from frontcounter.services.core.permissions import Action
from frontcounter.services.core.references import new_reference

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

CANCEL_REASON_LABELS: dict[str, str] = {
    CancelReason.VISITOR_REQUEST: "Visitor request",
    CancelReason.OPERATIONAL_DEMAND: "Operational demand",
    CancelReason.DUPLICATE: "Duplicate",
    CancelReason.OTHER: "Other",
}

#: The specialism an officer needs for a reason. Domestic abuse and sexual offence victims must see
#: a trained officer (safeguarding); for the others a specialist is preferred, not required.
REASON_SPECIALISM: dict[str, str] = {
    Reason.DOMESTIC_ABUSE: "domestic abuse",
    Reason.SEXUAL_OFFENCE: "sexual offences (SOIT)",
    Reason.HATE_CRIME: "hate crime",
    Reason.FRAUD: "fraud",
}
REQUIRED_SPECIALISM_REASONS = frozenset({Reason.DOMESTIC_ABUSE.value, Reason.SEXUAL_OFFENCE.value})

#: Statuses an officer still has to turn up for: the visitor is booked, or already waiting.
REMAINING_STATUSES = (Status.BOOKED.value, Status.ARRIVED.value)


class SlotLike(Protocol):
    """Where and when an appointment goes: a slot from the slot finder, or one picked by hand."""

    @property
    def room_id(self) -> uuid.UUID: ...

    @property
    def officer_id(self) -> uuid.UUID | None: ...

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class ChosenSlot:
    """A slot chosen without the slot finder (tests, the CLI, a supervisor's manual choice)."""

    room_id: uuid.UUID
    officer_id: uuid.UUID | None
    start: datetime
    end: datetime


# --- Requirements of an appointment on its officer ----------------------------------------------


def _speaks(officer: Officer, language: str | None) -> bool:
    if not language:
        return True
    wanted = language.strip().casefold()
    return any(spoken.strip().casefold() == wanted for spoken in officer.languages or ())


def _has(officer: Officer, specialism: str | None) -> bool:
    if not specialism:
        return True
    return specialism.casefold() in {s.casefold() for s in officer.specialisms or ()}


def needed_language(a: Appointment) -> str | None:
    """The language the officer must speak: the interpreter language, unless it is English.

    The visitor cannot hold the meeting in English; an officer who speaks the language can, so an
    appointment never depends on an interpreter turning up.
    """
    language = (a.interpreter_language or "").strip()
    if not language or language.casefold() == "english":
        return None
    return language


def unsuitable_because(officer: Officer, a: Appointment) -> str | None:
    """Why ``officer`` cannot take ``a`` (a hard requirement), or None if they can."""
    language = needed_language(a)
    if not _speaks(officer, language):
        return f"needs an officer who speaks {language}"
    if a.reason in REQUIRED_SPECIALISM_REASONS and not _has(officer, REASON_SPECIALISM[a.reason]):
        return f"needs an officer trained in {REASON_SPECIALISM[a.reason]}"
    return None


def _preference(officer: Officer, a: Appointment) -> int:
    """Soft matches (lower is better): the visitor's preferred language, a helpful specialism."""
    score = 0
    preferred = (a.preferred_language or "").strip()
    if preferred and preferred.casefold() != "english" and not _speaks(officer, preferred):
        score += 1
    if a.reason in REASON_SPECIALISM and not _has(officer, REASON_SPECIALISM[a.reason]):
        score += 1
    return score


def on_duty_officer_ids(
    session: Session, station_id: uuid.UUID, start: datetime, end: datetime
) -> set[uuid.UUID]:
    """Officers whose appointment duty at the station covers [start, end) and who were not withdrawn."""
    rows = session.scalars(
        select(Duty.officer_id).where(
            Duty.station_id == station_id,
            Duty.deleted.is_(False),
            Duty.start_at <= start,
            Duty.end_at >= end,
            or_(Duty.withdrawn_at.is_(None), Duty.withdrawn_at >= end),
        )
    )
    return set(rows)


def busy_officer_ids(session: Session, start: datetime, end: datetime, *, ignore: uuid.UUID | None = None) -> set[uuid.UUID]:
    """Officers holding an appointment that overlaps [start, end) (the double-booking guard's view)."""
    query = select(Appointment.officer_id).where(
        Appointment.officer_id.is_not(None),
        Appointment.deleted.is_(False),
        Appointment.status.not_in(RELEASED_STATUSES),
        Appointment.start_at < end,
        Appointment.end_at > start,
    )
    if ignore is not None:
        query = query.where(Appointment.id != ignore)
    return {i for i in session.scalars(query) if i is not None}


def free_suitable_officers(
    session: Session, a: Appointment, *, exclude: Iterable[uuid.UUID] = ()
) -> list[Officer]:
    """On-duty, free, suitable officers for ``a``, best first (soft matches, then the lightest day)."""
    excluded = set(exclude)
    on_duty = on_duty_officer_ids(session, a.station_id, a.start_at, a.end_at) - excluded
    if not on_duty:
        return []
    busy = busy_officer_ids(session, a.start_at, a.end_at, ignore=a.id)
    officers = [
        o for o in session.scalars(select(Officer).where(Officer.id.in_(on_duty - busy)))
        if o.active and not o.deleted and unsuitable_because(o, a) is None
    ]
    day_start, day_end = local_day_bounds(local(a.start_at).date())
    load = Counter(
        session.scalars(
            select(Appointment.officer_id).where(
                Appointment.officer_id.in_([o.id for o in officers]),
                Appointment.deleted.is_(False),
                Appointment.status.not_in(RELEASED_STATUSES),
                Appointment.start_at >= day_start,
                Appointment.start_at < day_end,
            )
        )
    )
    return sorted(officers, key=lambda o: (_preference(o, a), load[o.id], o.collar_number))


def _why_uncovered(session: Session, a: Appointment, exclude: set[uuid.UUID]) -> str:
    """A short, specific reason no one could take ``a`` (shown to the counter and the FCR)."""
    on_duty = on_duty_officer_ids(session, a.station_id, a.start_at, a.end_at) - exclude
    if not on_duty:
        return "Officer pulled away; no other officer on duty then"
    busy = busy_officer_ids(session, a.start_at, a.end_at, ignore=a.id)
    free = [o for o in session.scalars(select(Officer).where(Officer.id.in_(on_duty - busy)))]
    if not free:
        return "Officer pulled away; every officer on duty then is booked"
    reasons = {unsuitable_because(o, a) for o in free} - {None}
    if reasons:
        return f"Officer pulled away; {sorted(r for r in reasons if r)[0]}"
    return "Officer pulled away; not yet replaced"


# --- Reschedule and cancel -----------------------------------------------------------------------


def _cancel_reason(reason: str | CancelReason, note: str | None) -> tuple[str, str | None]:
    try:
        value = CancelReason(reason).value
    except ValueError:
        choices = ", ".join(CANCEL_REASON_LABELS[r].lower() for r in CancelReason)
        raise ValidationError(f"Choose a reason ({choices}).") from None
    cleaned = (note or "").strip() or None
    if value == CancelReason.OTHER.value and cleaned is None:
        raise ValidationError("Say why in a note when the reason is 'other'.")
    if cleaned is not None and len(cleaned) > 2000:
        raise ValidationError("The note is too long (2,000 characters at most).")
    return value, cleaned


def _find(session: Session, appointment: str | uuid.UUID) -> Appointment:
    if isinstance(appointment, uuid.UUID):
        row = session.get(Appointment, appointment)
    else:
        canonical = normalise_reference(appointment)
        row = (
            session.scalars(select(Appointment).where(Appointment.reference == canonical)).one_or_none()
            if canonical
            else None
        )
    if row is None or row.deleted:
        raise NotFound(f"No appointment {appointment} here.")
    return row


def _authorise(
    ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID, permission: Action, action: str
) -> tuple[uuid.UUID, str, uuid.UUID]:
    with ctx.read() as session:
        row = _find(session, appointment)
        found = (row.id, row.reference, row.station_id)
    guard(ctx, actor, permission, station_id=found[2], action=action, record=f"appointment:{found[1]}")
    return found


def unused_reference(session: Session, station_code: str) -> str:
    """A fresh reference not yet used here (the unique constraint still guards the rare race)."""
    for _ in range(20):
        candidate = new_reference(station_code)
        if session.scalar(select(func.count()).where(Appointment.reference == candidate)) == 0:
            return candidate
    raise DoubleBooking("Could not find a free reference; please try again.")  # pragma: no cover


def reschedule(
    ctx: ServiceContext,
    actor: Actor,
    appointment: str | uuid.UUID,
    slot: SlotLike,
    reason: str | CancelReason,
    note: str | None = None,
) -> AppointmentView:
    """Move a booked appointment to ``slot``: one command, the old one linked to the new one.

    The old appointment becomes ``rescheduled`` (with the reason, who and when, and a link to the
    new one) and releases its room and officer; the new one carries everything the visitor told
    us, a new reference and a link back. Returns the new appointment.
    """
    reason_value, note_value = _cancel_reason(reason, note)
    appointment_id, reference, station_id = _authorise(
        ctx, actor, appointment, Action.RESCHEDULE, "appointment.reschedule"
    )
    if slot.end <= slot.start:
        raise ValidationError("The new slot must end after it starts.")
    if slot.start <= ctx.clock.now():
        raise ValidationError("The new slot has already started; choose a later one.")
    with ctx.read() as session:
        room = session.get(Room, slot.room_id)
        if room is None or room.deleted or not room.active:
            raise NotFound("That room is not available for booking.")
        target_station = room.station_id
        if slot.officer_id is not None:
            officer = session.get(Officer, slot.officer_id)
            if officer is None or officer.deleted or not officer.active:
                raise NotFound("That officer is not available.")
        target_code = session.get_one(Station, target_station).code
        new_ref = unused_reference(session, target_code)
    if target_station != station_id:
        guard(ctx, actor, Action.BOOK, station_id=target_station, action="appointment.reschedule",
              record=f"appointment:{reference}")
    with command(ctx, actor, category="alteration", action="appointment.reschedule",
                 record=f"appointment:{reference}",
                 details={"reason": reason_value, "new_reference": new_ref}) as scope:
        old = _find(scope.session, appointment_id)
        base = old.version
        status_machine.transition(old, Status.RESCHEDULED)
        new_id = uuid.uuid4()
        old.cancel_reason = reason_value
        old.cancel_note = note_value
        old.cancelled_by = actor.username
        old.cancelled_at = scope.now
        old.rescheduled_to_id = new_id
        old.at_risk = False
        old.at_risk_reason = None
        # Release the old slot first: the new one may reuse its room or officer.
        scope.session.flush()
        new = _copy_for(old, new_id, new_ref, scope.now, actor)
        new.station_id = target_station
        new.room_id = slot.room_id
        new.officer_id = slot.officer_id
        new.start_at = slot.start
        new.end_at = slot.end
        new.rescheduled_from_id = old.id
        scope.session.add(new)
        scope.session.flush()
        scope.changed(
            old, "appointment.reschedule", base_version=base,
            changes={"status": old.status, "cancel_reason": old.cancel_reason, "cancel_note": old.cancel_note,
                     "cancelled_by": old.cancelled_by, "cancelled_at": old.cancelled_at,
                     "rescheduled_to_id": old.rescheduled_to_id, "at_risk": False, "at_risk_reason": None},
            also_created=[new],
        )
        view = to_view(new, load_lookups(scope.session), scope.actor.key)
    logger.info("appointment rescheduled (%s)", reason_value)
    return view


#: What a rescheduled appointment keeps: who the visitor is and everything they told us.
_CARRIED = (
    "channel", "reason", "crime_reference", "external_id", "visitor_name", "visitor_preferred_name",
    "visitor_dob", "visitor_phone", "visitor_email", "visitor_address", "safe_contact", "preferred_language",
    "interpreter_language", "needs_step_free", "needs_hearing_loop", "access_needs", "person_of_choice",
    "briefing_notes", "previous_appointment_id", "meeting_link", *CONTACT_FIELDS,
)


def _copy_for(old: Appointment, new_id: uuid.UUID, reference: str, now: datetime, actor: Actor) -> Appointment:
    new = Appointment(id=new_id, reference=reference, status=Status.BOOKED.value, at_risk=False,
                      created_at=now, created_by=actor.username, version=0, deleted=False)
    for name in _CARRIED:
        setattr(new, name, getattr(old, name))
    new.vulnerability_flags = list(old.vulnerability_flags or [])
    # The confidential fields travel as ciphertext with the data key's sealed copies: the new row
    # opens for the same readers, and the writer needs no key to move them.
    new.sealed_keys = dict(old.sealed_keys or {})
    # The command-and-control id stays with the original row: it is unique, and re-importing the
    # file must find the original (rescheduled) and not book the visitor again.
    new.external_id = None
    return new


def cancel(
    ctx: ServiceContext,
    actor: Actor,
    appointment: str | uuid.UUID,
    reason: str | CancelReason,
    note: str | None = None,
) -> AppointmentView:
    """Cancel a booked appointment with a reason and who did it; the room and officer are freed."""
    reason_value, note_value = _cancel_reason(reason, note)
    appointment_id, reference, _ = _authorise(ctx, actor, appointment, Action.CANCEL, "appointment.cancel")
    with command(ctx, actor, category="alteration", action="appointment.cancel",
                 record=f"appointment:{reference}", details={"reason": reason_value}) as scope:
        appt = _find(scope.session, appointment_id)
        base = appt.version
        status_machine.transition(appt, Status.CANCELLED)
        appt.cancel_reason = reason_value
        appt.cancel_note = note_value
        appt.cancelled_by = actor.username
        appt.cancelled_at = scope.now
        appt.at_risk = False
        appt.at_risk_reason = None
        scope.changed(
            appt, "appointment.cancel", base_version=base,
            changes={"status": appt.status, "cancel_reason": reason_value, "cancel_note": note_value,
                     "cancelled_by": actor.username, "cancelled_at": scope.now, "at_risk": False,
                     "at_risk_reason": None},
        )
        return to_view(appt, load_lookups(scope.session), scope.actor.key)


# --- Reading: at risk, counts, an officer's own appointments ----------------------------------------


_KEPT = {Status.ARRIVED.value, Status.IN_PROGRESS.value, Status.COMPLETED.value}
