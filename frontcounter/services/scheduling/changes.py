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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from frontcounter.db.models import (
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
    station_by_code,
    to_view,
    to_views,
)
from frontcounter.services.core.clock import local, local_day_bounds
from frontcounter.services.core.commands import command, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import DoubleBooking, NotFound, ValidationError
from frontcounter.services.core.permissions import FORCE_WIDE_ROLES, Action
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
        view = to_view(new, load_lookups(scope.session))
    logger.info("appointment rescheduled (%s)", reason_value)
    return view


#: What a rescheduled appointment keeps: who the visitor is and everything they told us.
_CARRIED = (
    "channel", "reason", "crime_reference", "external_id", "visitor_name", "visitor_preferred_name",
    "visitor_dob", "visitor_phone", "visitor_email", "visitor_address", "safe_contact", "preferred_language",
    "interpreter_language", "needs_step_free", "needs_hearing_loop", "access_needs", "person_of_choice",
    "briefing_notes", "previous_appointment_id",
)


def _copy_for(old: Appointment, new_id: uuid.UUID, reference: str, now: datetime, actor: Actor) -> Appointment:
    new = Appointment(id=new_id, reference=reference, status=Status.BOOKED.value, at_risk=False,
                      created_at=now, created_by=actor.username, version=0, deleted=False)
    for name in _CARRIED:
        setattr(new, name, getattr(old, name))
    new.vulnerability_flags = list(old.vulnerability_flags or [])
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
        return to_view(appt, load_lookups(scope.session))


# --- The officer pulled away ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Moved:
    reference: str
    start: datetime
    officer: str


@dataclass(frozen=True, slots=True)
class Uncovered:
    reference: str
    start: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class ReassignmentSummary:
    officer: str
    duties_withdrawn: int
    moved: tuple[Moved, ...]
    at_risk: tuple[Uncovered, ...]

    @property
    def all_covered(self) -> bool:
        return not self.at_risk

    def describe(self) -> str:
        """One line for the banner and the CLI."""
        if not self.moved and not self.at_risk:
            return f"{self.officer} withdrawn; no remaining appointments to move."
        text = f"{self.officer} withdrawn: {len(self.moved)} appointment(s) moved to other officers"
        if self.at_risk:
            text += f", {len(self.at_risk)} at risk — contact the visitor(s)"
        return text + "."


def _officer_label(officer: Officer) -> str:
    return f"{officer.rank} {officer.collar_number} {officer.name}"


def reassign_officer(
    ctx: ServiceContext,
    actor: Actor,
    officer_id: uuid.UUID,
    day: date,
    reason: str,
    *,
    station_code: str | None = None,
    progress: Progress | None = None,
) -> ReassignmentSummary:
    """One supervisor action: the officer is pulled away for the rest of ``day``.

    Withdraws their remaining duties at the station, then moves each of their remaining
    appointments that day (booked, or the visitor already waiting) to an on-duty officer who is
    free and suitable; any that cannot be covered are flagged at risk with the reason.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the officer is pulled away (e.g. 'called to a major incident').")
    reason = reason[:200]
    now = ctx.clock.now()
    day_start, day_end = local_day_bounds(day)
    with ctx.read() as session:
        station = station_by_code(session, station_code or actor.station_code or ctx.station_code or "")
        officer = session.get(Officer, officer_id)
        if officer is None or officer.deleted:
            raise NotFound("No such officer.")
        officer_text = _officer_label(officer)
        station_id = station.id
    guard(ctx, actor, Action.REASSIGN, station_id=station_id, action="officer.reassign",
          record=f"officer:{officer.collar_number}")
    with ctx.read() as session:
        duty_ids = list(session.scalars(
            select(Duty.id).where(
                Duty.officer_id == officer_id, Duty.station_id == station_id, Duty.deleted.is_(False),
                Duty.withdrawn_at.is_(None), Duty.end_at > max(now, day_start), Duty.start_at < day_end,
            ).order_by(Duty.start_at)
        ))
        appointment_ids = list(session.scalars(
            select(Appointment.id).where(
                Appointment.officer_id == officer_id, Appointment.station_id == station_id,
                Appointment.deleted.is_(False), Appointment.status.in_(REMAINING_STATUSES),
                Appointment.start_at >= day_start, Appointment.start_at < day_end, Appointment.end_at > now,
            ).order_by(Appointment.start_at, Appointment.reference)
        ))
    total = len(duty_ids) + len(appointment_ids)
    done = 0
    for duty_id in duty_ids:
        _withdraw_duty(ctx, actor, duty_id, reason)
        done += 1
        if progress:
            progress(done, total)
    moved: list[Moved] = []
    uncovered: list[Uncovered] = []
    for appointment_id in appointment_ids:
        outcome = _cover(ctx, actor, appointment_id, officer_id, reason)
        if isinstance(outcome, Moved):
            moved.append(outcome)
        elif outcome is not None:
            uncovered.append(outcome)
        done += 1
        if progress:
            progress(done, total)
    summary = ReassignmentSummary(officer_text, len(duty_ids), tuple(moved), tuple(uncovered))
    logger.info("officer reassigned: %d duties withdrawn, %d moved, %d at risk",
                len(duty_ids), len(moved), len(uncovered))
    return summary


def _withdraw_duty(ctx: ServiceContext, actor: Actor, duty_id: uuid.UUID, reason: str) -> None:
    with command(ctx, actor, category="alteration", action="duty.withdraw", record=f"duty:{duty_id}",
                 details={"reason": reason}) as scope:
        duty = scope.session.get_one(Duty, duty_id)
        base = duty.version
        duty.withdrawn_at = scope.now
        duty.withdrawn_reason = reason
        scope.changed(duty, "duty.withdraw", base_version=base,
                      changes={"withdrawn_at": scope.now, "withdrawn_reason": reason})


class _ChangedMeanwhile(Exception):
    """Rolls a reassignment back: someone else moved the appointment since we looked."""


def _cover(
    ctx: ServiceContext, actor: Actor, appointment_id: uuid.UUID, pulled: uuid.UUID, reason: str
) -> Moved | Uncovered | None:
    """Give one appointment a new officer, or flag it at risk (one command either way).

    The choice is made on a read first, so the command's audit event is complete before it is
    written; the database's double-booking guard catches an officer booked in between, and then
    the next candidate is tried.
    """
    tried: set[uuid.UUID] = {pulled}
    for _attempt in range(5):
        with ctx.read() as session:
            appt = session.get(Appointment, appointment_id)
            if appt is None or appt.officer_id != pulled or appt.status not in REMAINING_STATUSES:
                return None  # moved or closed by someone else meanwhile: nothing left to do
            reference = appt.reference
            candidates = free_suitable_officers(session, appt, exclude=tried)
            chosen = candidates[0] if candidates else None
            chosen_label = _officer_label(chosen) if chosen else ""
            why = None if chosen else _why_uncovered(session, appt, tried)[:200]
        action = "appointment.reassign" if chosen else "appointment.at_risk"
        try:
            with command(ctx, actor, category="alteration", action=action, record=f"appointment:{reference}",
                         details={"reason": reason}) as scope:
                appt = scope.session.get_one(Appointment, appointment_id)
                if appt.officer_id != pulled or appt.status not in REMAINING_STATUSES:
                    raise _ChangedMeanwhile
                base = appt.version
                if chosen is not None:
                    appt.officer_id = chosen.id
                    appt.at_risk = False
                    appt.at_risk_reason = None
                    scope.changed(appt, action, base_version=base,
                                  changes={"officer_id": chosen.id, "at_risk": False, "at_risk_reason": None})
                    return Moved(reference, appt.start_at, chosen_label)
                appt.at_risk = True
                appt.at_risk_reason = why
                scope.changed(appt, action, base_version=base, changes={"at_risk": True, "at_risk_reason": why})
                return Uncovered(reference, appt.start_at, why or "")
        except _ChangedMeanwhile:
            return None
        except DoubleBooking:
            assert chosen is not None
            tried.add(chosen.id)  # booked elsewhere between our read and our write: try the next one
    return None  # pragma: no cover - five clashes in a row


def suitable_officers(ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """Officers a supervisor could give this appointment to by hand: on duty, free, suitable."""
    _authorise(ctx, actor, appointment, Action.REASSIGN, "appointment.assign_officer")
    with ctx.read() as session:
        appt = _find(session, appointment)
        exclude = {appt.officer_id} if appt.officer_id else set()
        return [(o.id, _officer_label(o)) for o in free_suitable_officers(session, appt, exclude=exclude)]


def assign_officer(
    ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID, officer_id: uuid.UUID
) -> AppointmentView:
    """Give an appointment (typically one at risk) to a named officer; clears the at-risk flag."""
    appointment_id, reference, _ = _authorise(ctx, actor, appointment, Action.REASSIGN, "appointment.assign_officer")
    with command(ctx, actor, category="alteration", action="appointment.assign_officer",
                 record=f"appointment:{reference}") as scope:
        appt = _find(scope.session, appointment_id)
        if appt.status not in REMAINING_STATUSES:
            raise ValidationError(f"{appt.reference} is {status_machine.LABELS[Status(appt.status)]}; "
                                  "its officer cannot be changed.")
        officer = scope.session.get(Officer, officer_id)
        if officer is None or officer.deleted or not officer.active:
            raise NotFound("That officer is not available.")
        why = unsuitable_because(officer, appt)
        if why:
            raise ValidationError(f"{appt.reference} {why}.")
        if officer_id not in on_duty_officer_ids(scope.session, appt.station_id, appt.start_at, appt.end_at):
            raise ValidationError(f"{officer.name} is not on appointment duty then.")
        base = appt.version
        appt.officer_id = officer_id
        appt.at_risk = False
        appt.at_risk_reason = None
        scope.changed(appt, "appointment.assign_officer", base_version=base,
                      changes={"officer_id": officer_id, "at_risk": False, "at_risk_reason": None})
        return to_view(appt, load_lookups(scope.session))


# --- Reading: at risk, counts, an officer's own appointments ----------------------------------------


def _stations_in_reach(session: Session, actor: Actor, station_code: str | None) -> list[Station]:
    if station_code:
        return [station_by_code(session, station_code)]
    if actor.role in FORCE_WIDE_ROLES:
        return list(session.scalars(select(Station).where(Station.deleted.is_(False)).order_by(Station.code)))
    if actor.station_code is None:
        return []
    return [station_by_code(session, actor.station_code)]


def list_at_risk(
    ctx: ServiceContext, actor: Actor, *, station_code: str | None = None, days: int = 14
) -> list[AppointmentView]:
    """Booked appointments from now on that no officer covers: contact the visitor before they travel.

    The FCR sees every station this database holds (all of them at the centre, only its own in a
    station cache); everyone else sees their own station.
    """
    now = ctx.clock.now()
    with ctx.read() as session:
        stations = _stations_in_reach(session, actor, station_code)
        for s in stations:
            guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=s.id, action="appointments.at_risk",
                  record=f"station:{s.code}")
        rows = session.scalars(
            select(Appointment).where(
                Appointment.station_id.in_([s.id for s in stations]),
                Appointment.at_risk.is_(True),
                Appointment.deleted.is_(False),
                Appointment.status.in_(REMAINING_STATUSES),
                Appointment.end_at > now,
                Appointment.start_at < now + timedelta(days=days),
            ).order_by(Appointment.start_at, Appointment.reference)
        )
        return to_views(rows, load_lookups(session))


@dataclass(frozen=True, slots=True)
class OutcomeCounts:
    """Kept, postponed and cancelled, the scheme's own measure (DESIGN.md section 1)."""

    kept: int = 0
    postponed: int = 0
    cancelled: int = 0
    no_show: int = 0
    left_unseen: int = 0
    pending: int = 0
    at_risk: int = 0
    postponed_by_reason: dict[str, int] = field(default_factory=dict)
    cancelled_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.kept + self.postponed + self.cancelled + self.no_show + self.left_unseen + self.pending


_KEPT = {Status.ARRIVED.value, Status.IN_PROGRESS.value, Status.COMPLETED.value}


def count_outcomes(
    ctx: ServiceContext, actor: Actor, first_day: date, last_day: date, *, station_code: str | None = None
) -> OutcomeCounts:
    """How the appointments of [first_day, last_day] ended, by status and by cancel reason."""
    start, _ = local_day_bounds(first_day)
    _, end = local_day_bounds(last_day)
    with ctx.read() as session:
        stations = _stations_in_reach(session, actor, station_code)
        for s in stations:
            guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=s.id, action="appointments.count",
                  record=f"station:{s.code}")
        rows = session.execute(
            select(Appointment.status, Appointment.cancel_reason, Appointment.at_risk, func.count())
            .where(Appointment.station_id.in_([s.id for s in stations]), Appointment.deleted.is_(False),
                   Appointment.start_at >= start, Appointment.start_at < end)
            .group_by(Appointment.status, Appointment.cancel_reason, Appointment.at_risk)
        ).all()
    counts: Counter[str] = Counter()
    postponed: Counter[str] = Counter()
    cancelled: Counter[str] = Counter()
    at_risk = 0
    for status, cancel_reason, risk, n in rows:
        if status in _KEPT:
            counts["kept"] += n
        elif status == Status.RESCHEDULED.value:
            counts["postponed"] += n
            postponed[cancel_reason or CancelReason.OTHER.value] += n
        elif status == Status.CANCELLED.value:
            counts["cancelled"] += n
            cancelled[cancel_reason or CancelReason.OTHER.value] += n
        elif status == Status.NO_SHOW.value:
            counts["no_show"] += n
        elif status == Status.LEFT_UNSEEN.value:
            counts["left_unseen"] += n
        else:
            counts["pending"] += n
            if risk:
                at_risk += n
    return OutcomeCounts(
        kept=counts["kept"], postponed=counts["postponed"], cancelled=counts["cancelled"],
        no_show=counts["no_show"], left_unseen=counts["left_unseen"], pending=counts["pending"],
        at_risk=at_risk, postponed_by_reason=dict(postponed), cancelled_by_reason=dict(cancelled),
    )


@dataclass(frozen=True, slots=True)
class DayCount:
    """One day of the week overview: how many appointments, and how many need attention."""

    day: date
    total: int
    booked: int
    at_risk: int
    released: int


def week_counts(
    ctx: ServiceContext, actor: Actor, first_day: date, *, days: int = 7, station_code: str | None = None
) -> list[DayCount]:
    """Counts per Europe/London day for the board's week strip (one query, grouped here)."""
    start, _ = local_day_bounds(first_day)
    _, end = local_day_bounds(first_day + timedelta(days=days - 1))
    with ctx.read() as session:
        station = station_by_code(session, station_code or actor.station_code or ctx.station_code or "")
        guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=station.id, action="appointments.list",
              record=f"station:{station.code}")
        rows = session.execute(
            select(Appointment.start_at, Appointment.status, Appointment.at_risk).where(
                Appointment.station_id == station.id, Appointment.deleted.is_(False),
                Appointment.start_at >= start, Appointment.start_at < end,
            )
        ).all()
    per_day: dict[date, list[int]] = {first_day + timedelta(days=i): [0, 0, 0, 0] for i in range(days)}
    for start_at, status, risk in rows:
        bucket = per_day.get(local(start_at).date())
        if bucket is None:
            continue
        if status in RELEASED_STATUSES:
            bucket[3] += 1
            continue
        bucket[0] += 1
        if status == Status.BOOKED.value:
            bucket[1] += 1
            if risk:
                bucket[2] += 1
    return [DayCount(d, *v) for d, v in per_day.items()]


def my_officer(ctx: ServiceContext, actor: Actor) -> tuple[uuid.UUID, str] | None:
    """The officer record signed in as ``actor`` (Officer.username) and its label, if there is one."""
    with ctx.read() as session:
        officer = session.scalars(
            select(Officer).where(Officer.username == actor.username, Officer.deleted.is_(False))
        ).first()
        return (officer.id, _officer_label(officer)) if officer is not None else None


def my_officer_id(ctx: ServiceContext, actor: Actor) -> uuid.UUID | None:
    found = my_officer(ctx, actor)
    return found[0] if found else None


def my_appointments(
    ctx: ServiceContext, actor: Actor, start: datetime, end: datetime
) -> list[AppointmentView]:
    """The signed-in officer's own appointments starting in [start, end), released ones left out."""
    guard(ctx, actor, Action.VIEW_APPOINTMENTS, action="appointments.mine", record=f"user:{actor.username}")
    officer_id = my_officer_id(ctx, actor)
    if officer_id is None:
        return []
    with ctx.read() as session:
        rows = session.scalars(
            select(Appointment).where(
                Appointment.officer_id == officer_id, Appointment.deleted.is_(False),
                Appointment.status.not_in(RELEASED_STATUSES),
                Appointment.start_at >= start, Appointment.start_at < end,
            ).order_by(Appointment.start_at, Appointment.reference)
        )
        return to_views(rows, load_lookups(session))


def linked(ctx: ServiceContext, actor: Actor, appointment_id: uuid.UUID) -> tuple[str | None, str | None]:
    """The references this appointment was rescheduled from and to (None where absent here)."""
    with ctx.read() as session:
        row = session.get(Appointment, appointment_id)
        if row is None:
            raise NotFound("That appointment no longer exists here.")
        guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=row.station_id, action="appointments.get",
              record=f"appointment:{row.reference}")
        refs = {}
        for key in ("rescheduled_from_id", "rescheduled_to_id"):
            other_id = getattr(row, key)
            other = session.get(Appointment, other_id) if other_id else None
            refs[key] = other.reference if other is not None else None
    return refs["rescheduled_from_id"], refs["rescheduled_to_id"]
