"""Booking: the one way an appointment is created (the FCR's booking, a walk-in at the counter).

The request is validated, the room and officer are checked free and suitable, and the command
writes the appointment; the database constraints are the last word on a double booking."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from frontcounter.db.models import (
    CONTACT_FIELDS,
    RELEASED_STATUSES,
    Appointment,
    Channel,
    Duty,
    Officer,
    Reason,
    Room,
    Station,
    Status,
)
from frontcounter.services.core import text_rules
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import AppointmentView, view_of
from frontcounter.services.core.clock import hhmm, local
from frontcounter.services.core.commands import command, guard, lost_a_deadlock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import DoubleBooking, NotFound, ValidationError
from frontcounter.services.core.permissions import Action
from frontcounter.services.core.references import new_reference
from frontcounter.services.scheduling.slots import (
    MAX_DURATION,
    REFERENCE_ATTEMPTS,
    Slot,
    SlotNeeds,
    _officer_label,
    find_slots,
)

logger = logging.getLogger(__name__)


_PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{6,24}$")
_CRIME_REF_RE = re.compile(r"^[A-Za-z0-9/ \-_.]{1,40}$")

@dataclass(frozen=True)
class BookingRequest:
    """Everything a new appointment records. ``end`` defaults to ``start`` + ``duration_minutes``."""

    station_code: str
    start: datetime
    room_id: uuid.UUID
    officer_id: uuid.UUID | None
    visitor_name: str
    reason: str = Reason.REPORT_CRIME.value
    channel: str = Channel.CALL_101.value
    duration_minutes: int = 60
    end: datetime | None = None
    crime_reference: str | None = None
    visitor_preferred_name: str | None = None
    visitor_dob: date | None = None
    visitor_phone: str | None = None
    visitor_email: str | None = None
    visitor_address: str | None = None
    safe_contact: str | None = None
    preferred_language: str | None = None
    interpreter_language: str | None = None
    needs_step_free: bool = False
    needs_hearing_loop: bool = False
    access_needs: str | None = None
    person_of_choice: str | None = None
    # Safe contact, structured (issue 16): what the visitor agreed to be messaged by, and where.
    contact_may_text: bool = False
    contact_may_email: bool = False
    contact_may_phone: bool = False
    contact_may_voicemail: bool = False
    contact_via_person_only: bool = False
    contact_text_number: str | None = None
    contact_email_address: str | None = None
    vulnerability_flags: tuple[str, ...] = ()
    #: Confidential: written by whoever books, read only by roles with ``read_briefing``.
    briefing_notes: str | None = None
    previous_appointment_id: uuid.UUID | None = None
    external_id: str | None = None
    #: A video appointment's joining link (channel ``video``), typed by whoever books it.
    meeting_link: str | None = None

    @classmethod
    def for_slot(cls, slot: Slot, visitor_name: str, **details: object) -> BookingRequest:
        """A request for exactly the slot the finder offered (``details`` may override any field)."""
        fields: dict[str, object] = {"station_code": slot.station_code, "start": slot.start, "end": slot.end,
                                     "room_id": slot.room_id, "officer_id": slot.officer_id}
        fields.update(details)
        return cls(visitor_name=visitor_name, **fields)  # type: ignore[arg-type]

    @property
    def end_at(self) -> datetime:
        return self.end if self.end is not None else self.start + timedelta(minutes=self.duration_minutes)


@dataclass(frozen=True)
class WalkInRequest:
    """The minimum a walk-in needs, and optionally the slot the clerk was shown and accepted."""

    visitor_name: str
    reason: str = Reason.REPORT_CRIME.value
    visitor_phone: str | None = None
    crime_reference: str | None = None
    needs_step_free: bool = False
    needs_hearing_loop: bool = False
    #: The visitor's language; the finder looks for an officer who speaks it.
    interpreter_language: str | None = None
    person_of_choice: str | None = None
    #: The day to book (None: today, from now).
    day: date | None = None
    #: The proposal the clerk accepted; None books the next free slot.
    slot: Slot | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def needs(self) -> SlotNeeds:
        return SlotNeeds(step_free=self.needs_step_free, hearing_loop=self.needs_hearing_loop,
                         language=self.interpreter_language or None)


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    stripped = " ".join(text.split())
    return stripped or None


def validate(request: BookingRequest) -> BookingRequest:
    """Check and tidy what was typed; raise ``ValidationError`` with what to correct."""
    text_rules.check_fields({f: getattr(request, f) for f in request.__dataclass_fields__
                             if isinstance(getattr(request, f), str | tuple)})
    name = _clean(request.visitor_name)
    if not name:
        raise ValidationError("Enter the visitor's name.")
    if len(name) > 200:
        raise ValidationError("The visitor's name is too long (200 characters at most).")
    if request.reason not in {r.value for r in Reason}:
        raise ValidationError(f"Unknown reason {request.reason!r}.")
    if request.channel not in {c.value for c in Channel}:
        raise ValidationError(f"Unknown channel {request.channel!r}.")
    if request.start.tzinfo is None:
        raise ValidationError("The start time must carry its time zone.")
    end = request.end_at
    if end <= request.start or end - request.start > MAX_DURATION:
        raise ValidationError("An appointment lasts between 5 minutes and 8 hours.")
    phone = _clean(request.visitor_phone)
    if phone is not None and (not _PHONE_RE.match(phone) or sum(c.isdigit() for c in phone) < 6):
        raise ValidationError(f"The phone number {phone!r} does not look right: digits, spaces and + only.")
    email = _clean(request.visitor_email)
    if email is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise ValidationError(f"The email address {email!r} does not look right.")
    contact = validate_contact(
        {f: getattr(request, f) for f in CONTACT_FIELDS}, phone=phone, email=email)
    crime_ref = _clean(request.crime_reference)
    if crime_ref is not None and not _CRIME_REF_RE.match(crime_ref):
        raise ValidationError("A crime reference has letters, digits and / - only (e.g. 41/12345/26).")
    link = check_meeting_link(request.channel, request.meeting_link)
    return replace(
        request,
        **contact,
        visitor_name=name,
        end=end,
        visitor_phone=phone,
        visitor_email=email,
        crime_reference=crime_ref,
        meeting_link=link,
        visitor_preferred_name=_clean(request.visitor_preferred_name),
        interpreter_language=_clean(request.interpreter_language),
        preferred_language=_clean(request.preferred_language),
        person_of_choice=_clean(request.person_of_choice),
        safe_contact=(request.safe_contact or "").strip() or None,
        access_needs=(request.access_needs or "").strip() or None,
        briefing_notes=(request.briefing_notes or "").strip() or None,
        vulnerability_flags=tuple(f.strip() for f in request.vulnerability_flags if f.strip()),
    )


def check_meeting_link(channel: str, link: str | None) -> str | None:
    """A video appointment's joining link, tidied: https, no spaces, 500 characters at most."""
    link = (link or "").strip() or None
    if channel != Channel.VIDEO.value:
        if link is not None:
            raise ValidationError("A meeting link is only for video appointments; choose the video channel or "
                                  "clear the link.")
        return None
    if link is None:
        raise ValidationError("A video appointment needs its meeting link (the one the visitor will join with).")
    if not re.match(r"^https://[^\s/]+\.[^\s]+$", link) or len(link) > 500:
        raise ValidationError("The meeting link must be a web address starting https:// (500 characters at most).")
    return link
def validate_contact(values: dict[str, Any], *, phone: str | None, email: str | None) -> dict[str, Any]:
    """The safe-contact fields checked and tidied (booking forms and the import share this).

    A text or an email needs somewhere to go: the number or address given for it, else the
    visitor's phone or email (stored explicitly, so what the visitor agreed to is what is used).
    "Only via the person of choice" cannot be combined with messages to the visitor.
    """
    out: dict[str, Any] = {f: bool(values.get(f)) for f in CONTACT_FIELDS if f.startswith("contact_may_")}
    out["contact_via_person_only"] = bool(values.get("contact_via_person_only"))
    number = _clean(values.get("contact_text_number") or None) or (phone if out["contact_may_text"] else None)
    address = _clean(values.get("contact_email_address") or None) or (email if out["contact_may_email"] else None)
    if out["contact_via_person_only"] and any(out[f] for f in out if f.startswith("contact_may_")):
        raise ValidationError("'Only via the person of choice' cannot be combined with contacting the visitor "
                              "directly: untick one.")
    if out["contact_may_text"] and not number:
        raise ValidationError("Texts are allowed but no number is given: enter the number the visitor agreed to.")
    if number is not None and (not _PHONE_RE.match(number) or sum(c.isdigit() for c in number) < 6):
        raise ValidationError(f"The number for texts {number!r} does not look right: digits, spaces and + only.")
    if out["contact_may_email"] and not address:
        raise ValidationError("Email is allowed but no address is given: enter the address the visitor agreed to.")
    if address is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", address):
        raise ValidationError(f"The email address for messages {address!r} does not look right.")
    out["contact_text_number"], out["contact_email_address"] = number, address
    return out


def _when(at: datetime) -> str:
    return f"{hhmm(at)} on {local(at):%a %d %b}"


def _check_room_and_officer(session: Session, request: BookingRequest, station: Station) -> tuple[Room, Officer | None]:
    """The checks the database cannot phrase for a person: wrong room, officer off duty, clashes."""
    end = request.end_at
    room = session.get(Room, request.room_id)
    if room is None or room.deleted or room.station_id != station.id:
        raise ValidationError(f"That room is not at {station.name}.")
    if not room.active:
        raise ValidationError(f"{room.name} is out of use; choose another room.")
    if request.needs_step_free and not room.step_free:
        raise ValidationError(f"{room.name} is not step-free; the visitor needs a step-free room.")
    if request.needs_hearing_loop and not room.hearing_loop:
        raise ValidationError(f"{room.name} has no hearing loop; the visitor needs one.")
    video = request.channel == Channel.VIDEO.value
    if video and station.video_room_required and not room.video_link:
        raise ValidationError(f"{room.name} has no video link, and {station.name} holds video appointments only in "
                              "rooms with one. Choose another slot.")
    if video and request.officer_id is None:
        raise ValidationError("A video appointment needs an officer on duty to take it. Choose a slot with one.")
    live = (Appointment.deleted.is_(False), Appointment.status.not_in(RELEASED_STATUSES),
            Appointment.start_at < end, Appointment.end_at > request.start,
            Appointment.start_at >= request.start - MAX_DURATION)
    if session.scalar(select(Appointment.id).where(Appointment.room_id == room.id, *live).limit(1)):
        raise DoubleBooking(f"{room.name} is already booked at {_when(request.start)}. Choose another slot.")
    officer = None
    if request.officer_id is not None:
        officer = session.get(Officer, request.officer_id)
        if officer is None or officer.deleted or not officer.active:
            raise ValidationError("That officer is not available for appointments.")
        duties = session.execute(
            select(Duty.start_at, Duty.end_at, Duty.withdrawn_at).where(
                Duty.officer_id == officer.id, Duty.station_id == station.id, Duty.deleted.is_(False),
                Duty.start_at <= request.start, Duty.end_at >= end)
        ).all()
        if not any(w is None or w >= end for _s, _e, w in duties):
            raise ValidationError(
                f"{_officer_label(officer)} is not on appointment duty at {station.name} at "
                f"{_when(request.start)}. Choose another officer or slot."
            )
        if session.scalar(select(Appointment.id).where(Appointment.officer_id == officer.id, *live).limit(1)):
            raise DoubleBooking(
                f"{_officer_label(officer)} already has an appointment at {_when(request.start)}. "
                "Choose another slot."
            )
    return room, officer


def book(ctx: ServiceContext, actor: Actor, request: BookingRequest) -> AppointmentView:
    """Create an appointment (command ``appointment.book``): permission ``book`` at the station.

    A reference taken meanwhile (by another workstation, or at the centre) is drawn again; a room
    or officer taken meanwhile comes back as ``DoubleBooking`` with a message to choose again.
    """
    request = validate(request)
    with ctx.read() as session:
        station = session.scalars(
            select(Station).where(Station.code == request.station_code, Station.deleted.is_(False))
        ).one_or_none()
        if station is None:
            raise NotFound(f"No station with code {request.station_code!r}.")
        station_id, station_code = station.id, station.code
    guard(ctx, actor, Action.BOOK, station_id=station_id, action="appointment.book",
          record=f"station:{station_code}")
    if request.start < ctx.clock.now():
        raise ValidationError(f"{_when(request.start)} has already started; choose a later slot.")
    for attempt in range(REFERENCE_ATTEMPTS):
        try:
            return _book_once(ctx, actor, request, station_id)
        except DoubleBooking as exc:
            if not exc.message.startswith("That reference") or attempt == REFERENCE_ATTEMPTS - 1:
                raise
            logger.info("reference collision while booking; drawing again")
        except DBAPIError as exc:  # at the centre: a clashing booking committed at the same moment
            if not lost_a_deadlock(exc) or attempt == REFERENCE_ATTEMPTS - 1:
                raise
            logger.info("booking lost a deadlock to a clashing booking; checking again")
    raise AssertionError("unreachable")  # pragma: no cover


def _book_once(ctx: ServiceContext, actor: Actor, request: BookingRequest, station_id: uuid.UUID) -> AppointmentView:
    with command(ctx, actor, category="collection", action="appointment.book", record=None,
                 details={"channel": request.channel}) as scope:
        session = scope.session
        # The audit event learns its record (the new reference) before anything is flushed: once
        # written, an audit row can never be updated.
        with session.no_autoflush:
            station = session.get_one(Station, station_id)
            room, officer = _check_room_and_officer(session, request, station)
            reference = new_reference(station.code)
            while session.scalar(select(Appointment.id).where(Appointment.reference == reference)):
                reference = new_reference(station.code)
        scope.event.record = f"appointment:{reference}"
        appt = Appointment(
            id=uuid.uuid4(),
            version=0,
            deleted=False,
            reference=reference,
            station_id=station.id,
            room_id=room.id,
            officer_id=officer.id if officer else None,
            start_at=request.start,
            end_at=request.end_at,
            channel=request.channel,
            reason=request.reason,
            crime_reference=request.crime_reference,
            external_id=request.external_id,
            visitor_name=request.visitor_name,
            visitor_preferred_name=request.visitor_preferred_name,
            visitor_dob=request.visitor_dob,
            visitor_phone=request.visitor_phone,
            visitor_email=request.visitor_email,
            visitor_address=request.visitor_address,
            safe_contact=request.safe_contact,
            preferred_language=request.preferred_language,
            interpreter_language=request.interpreter_language,
            needs_step_free=request.needs_step_free,
            needs_hearing_loop=request.needs_hearing_loop,
            access_needs=request.access_needs,
            person_of_choice=request.person_of_choice,
            **{f: getattr(request, f) for f in CONTACT_FIELDS},
            vulnerability_flags=list(request.vulnerability_flags),
            briefing_notes=request.briefing_notes,
            meeting_link=request.meeting_link,
            previous_appointment_id=request.previous_appointment_id,
            status=Status.BOOKED.value,
            at_risk=False,
            created_at=scope.now,
            created_by=actor.username,
        )
        session.add(appt)
        scope.changed(appt, "appointment.book", base_version=0, created=True)
        session.flush()
        return view_of(session, appt, actor.key)


def book_walk_in(ctx: ServiceContext, actor: Actor, request: WalkInRequest) -> AppointmentView:
    """Book someone standing at the counter into the accepted slot, or the next free one.

    Today the search starts now; on a chosen day it covers that whole day. If the accepted slot was
    taken meanwhile, ``DoubleBooking`` asks the clerk to find the next one again.
    """
    slot = request.slot
    if slot is None:
        slot = next_free_slot(ctx, actor, request.needs(), day=request.day)
    details: dict[str, object] = {
        "reason": request.reason,
        "channel": Channel.WALK_IN.value,
        "visitor_phone": request.visitor_phone,
        "crime_reference": request.crime_reference,
        "needs_step_free": request.needs_step_free,
        "needs_hearing_loop": request.needs_hearing_loop,
        "interpreter_language": request.interpreter_language,
        "preferred_language": request.interpreter_language,
        "person_of_choice": request.person_of_choice,
        **request.extra,
    }
    return book(ctx, actor, BookingRequest.for_slot(slot, request.visitor_name, **details))


def next_free_slot(ctx: ServiceContext, actor: Actor, needs: SlotNeeds, *, day: date | None = None) -> Slot:
    """The earliest free slot at the actor's station today from now (or on ``day``), or a clear refusal."""
    found = find_slots(ctx, actor, needs, start_day=day, days=1, limit=1)
    if found:
        return found[0]
    when = "today" if day is None or day == local(ctx.clock.now()).date() else f"on {day:%a %d %b}"
    wanted = needs.describe()
    detail = f" with {wanted}" if wanted else ""
    raise NotFound(f"No free slot {when}{detail}. Try another day, or call 101 to book at another station.")
