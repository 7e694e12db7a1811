"""What the printed documents say: the briefing, the day sheet and the visitor's slip, as data.

The officer's briefing is the one place the confidential notes leave the database, so
:func:`load_briefing` checks ``read_briefing`` itself (a refusal is audited) and records the
consultation. The day sheet carries confidential content only when asked for the officers'
version, and the slip never does: it goes home in the visitor's pocket, where someone else may
read it, so it says nothing about why they are coming or who they will see.

Everything returned is a frozen dataclass (no ORM rows leave this module), and nothing here knows
about layout: ``frontcounter.services.documents.layout`` turns these into PDFs.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from frontcounter.db.models import Appointment, CancelReason, Channel, Officer, Reason, Room, Station, Status
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import normalise_reference, station_by_code
from frontcounter.services.core.clock import local_day_bounds
from frontcounter.services.core.commands import audit, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import NotFound
from frontcounter.services.core.permissions import Action
from frontcounter.services.core.sealing import SEALED_TEXT, SealedError, open_fields, try_open

REASON_LABELS: dict[str, str] = {
    Reason.REPORT_CRIME: "Report a crime",
    Reason.VICTIM_UPDATE: "Victim update",
    Reason.WITNESS_STATEMENT: "Witness statement",
    Reason.DOMESTIC_ABUSE: "Domestic abuse",
    Reason.SEXUAL_OFFENCE: "Sexual offence",
    Reason.HATE_CRIME: "Hate crime",
    Reason.FRAUD: "Fraud",
    Reason.PROPERTY: "Lost or found property",
    Reason.FIREARMS_LICENSING: "Firearms licensing",
    Reason.OTHER: "Other",
}
CHANNEL_LABELS: dict[str, str] = {
    Channel.CALL_101: "101 call",
    Channel.ONLINE: "Online",
    Channel.WALK_IN: "Front counter walk-in",
    Channel.COMMAND_AND_CONTROL: "Command and control",
    Channel.VIDEO: "Video appointment",
}
#: What happened at an earlier appointment, in words an officer reads at a glance.
OUTCOME_LABELS: dict[str, str] = {
    Status.BOOKED: "Booked",
    Status.ARRIVED: "Arrived",
    Status.IN_PROGRESS: "In progress",
    Status.COMPLETED: "Seen",
    Status.NO_SHOW: "Did not attend",
    Status.CANCELLED: "Cancelled",
    Status.RESCHEDULED: "Rescheduled",
    Status.LEFT_UNSEEN: "Left before being seen",
}
CANCEL_LABELS: dict[str, str] = {
    CancelReason.VISITOR_REQUEST: "at the visitor's request",
    CancelReason.OPERATIONAL_DEMAND: "operational demand",
    CancelReason.DUPLICATE: "duplicate booking",
    CancelReason.OTHER: "other reason",
}
#: How many earlier appointments a briefing lists; the chain of a long-running case can be long.
MAX_EARLIER = 20


def label(labels: dict[str, str], value: str | None) -> str:
    """A code as words (an unknown code from a newer centre prints as itself)."""
    if value is None:
        return ""
    return labels.get(value, value.replace("_", " ").capitalize())


@dataclass(frozen=True, slots=True)
class EarlierAppointment:
    reference: str
    start: datetime
    station_name: str
    reason: str
    outcome: str
    officer: str | None


@dataclass(frozen=True, slots=True)
class BriefingData:
    """Everything an officer's briefing prints, including the confidential notes."""

    appointment_id: uuid.UUID
    reference: str
    station_code: str
    station_name: str
    station_address: str
    station_postcode: str
    room_name: str
    room_features: tuple[str, ...]
    start: datetime
    end: datetime
    officer: str | None
    status: str
    at_risk: bool
    at_risk_reason: str | None
    channel: str
    reason: str
    crime_reference: str | None
    visitor_name: str | None
    visitor_preferred_name: str | None
    visitor_dob: date | None
    visitor_phone: str | None
    visitor_email: str | None
    visitor_address: str | None
    safe_contact: str | None
    preferred_language: str | None
    interpreter_language: str | None
    needs_step_free: bool
    needs_hearing_loop: bool
    access_needs: str | None
    person_of_choice: str | None
    vulnerability_flags: tuple[str, ...]
    notes: str | None
    earlier: tuple[EarlierAppointment, ...]


@dataclass(frozen=True, slots=True)
class DaySheetRow:
    reference: str
    start: datetime
    end: datetime
    room_name: str
    officer: str | None
    visitor_name: str | None
    status: str
    needs: tuple[str, ...]
    #: Confidential: empty on the counter's version.
    vulnerability_flags: tuple[str, ...]
    notes_summary: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class DaySheetData:
    station_code: str
    station_name: str
    day: date
    confidential: bool
    rows: tuple[DaySheetRow, ...]


@dataclass(frozen=True, slots=True)
class SlipData:
    """The visitor's confirmation slip: where and when, what to bring. Nothing confidential."""

    reference: str
    visitor_name: str | None
    start: datetime
    end: datetime
    station_name: str
    station_address: str
    station_postcode: str
    crime_reference: str | None
    status: str
    #: A video appointment's joining link: the slip says how to join instead of where to come.
    meeting_link: str | None = None


def officer_label(officer: Officer | None) -> str | None:
    if officer is None:
        return None
    return f"{officer.rank} {officer.collar_number} {officer.name}"


def room_features(room: Room) -> tuple[str, ...]:
    flags = (
        (room.step_free, "step-free"),
        (room.hearing_loop, "hearing loop"),
        (room.video_link, "video link"),
        (room.soundproofed, "soundproofed"),
        (room.child_friendly, "child-friendly"),
    )
    return tuple(text for on, text in flags if on)


def needs_summary(a: Appointment) -> tuple[str, ...]:
    """The visitor's needs that the counter and the officer both must know (not confidential)."""
    needs = []
    if a.interpreter_language:
        needs.append(f"Interpreter: {a.interpreter_language}")
    if a.needs_step_free:
        needs.append("Step-free access")
    if a.needs_hearing_loop:
        needs.append("Hearing loop")
    if a.access_needs:
        needs.append(a.access_needs)
    if a.person_of_choice:
        needs.append(f"With: {a.person_of_choice}")
    return tuple(needs)


def _phone_key(phone: str | None) -> str | None:
    """A phone number reduced to what identifies it: digits only, +44 as a leading 0."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits if len(digits) >= 6 else None


def _name_key(name: str | None) -> str | None:
    if not name:
        return None
    return " ".join(name.split()).casefold() or None


def record_for(appointment_ref_or_id: str | uuid.UUID) -> str:
    """The audit record of an appointment as asked for, before anything is looked up."""
    text = str(appointment_ref_or_id)
    return f"appointment:{normalise_reference(text) or text.strip()[:100]}"


def _find(session: Session, appointment_ref_or_id: str | uuid.UUID) -> Appointment:
    row: Appointment | None = None
    if isinstance(appointment_ref_or_id, uuid.UUID):
        row = session.get(Appointment, appointment_ref_or_id)
    else:
        canonical = normalise_reference(appointment_ref_or_id)
        if canonical is not None:
            row = session.scalars(select(Appointment).where(Appointment.reference == canonical)).one_or_none()
        else:
            try:
                row = session.get(Appointment, uuid.UUID(appointment_ref_or_id.strip()))
            except ValueError:
                row = None
    if row is None or row.deleted:
        shown = str(appointment_ref_or_id).strip()[:40]
        raise NotFound(f"No appointment {shown} here. Check the reference, or search by name.")
    return row


def _earlier(session: Session, a: Appointment) -> list[Appointment]:
    """The visitor's earlier appointments: the ``previous_appointment_id`` chain, then any other
    appointment before this one under the same name and phone number."""
    found: dict[uuid.UUID, Appointment] = {}
    seen = {a.id}
    link = a.previous_appointment_id
    while link is not None and link not in seen and len(found) < MAX_EARLIER:
        seen.add(link)
        row = session.get(Appointment, link)
        if row is None:  # another station's appointment, absent from this cache
            break
        if not row.deleted:
            found[row.id] = row
        link = row.previous_appointment_id
    name, phone = _name_key(a.visitor_name), _phone_key(a.visitor_phone)
    if name and phone:
        # SQL narrows by the name without spaces, lower-cased (SQLite's lower() folds only ASCII,
        # PostgreSQL's folds everything, so both spellings are asked for); Python then decides.
        squashed = (a.visitor_name or "").replace(" ", "")
        ascii_lower = "".join(c.lower() if c.isascii() else c for c in squashed)
        column = func.lower(func.replace(Appointment.visitor_name, " ", ""))
        candidates = session.scalars(
            select(Appointment).where(
                Appointment.start_at < a.start_at,
                Appointment.deleted.is_(False),
                Appointment.id != a.id,
                or_(column == ascii_lower, column == squashed.lower()),
            )
        )
        for row in candidates:
            if _name_key(row.visitor_name) == name and _phone_key(row.visitor_phone) == phone:
                found.setdefault(row.id, row)
    return sorted(found.values(), key=lambda r: r.start_at, reverse=True)[:MAX_EARLIER]


_Row = TypeVar("_Row", Station, Officer)


def _by_id(session: Session, model: type[_Row], ids: set[uuid.UUID | None]) -> dict[uuid.UUID, _Row]:
    """The rows of ``model`` with these ids (None ignored), by id, in one query."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(wanted)))}


def _outcome(row: Appointment) -> str:
    text = label(OUTCOME_LABELS, row.status)
    if row.status == Status.CANCELLED and row.cancel_reason:
        text += f" ({label(CANCEL_LABELS, row.cancel_reason)})"
    return text


def load_briefing(ctx: ServiceContext, actor: Actor, appointment_ref_or_id: str | uuid.UUID) -> BriefingData:
    """The whole briefing for one appointment, confidential notes included (audited consultation)."""
    data, _ = fetch_briefing(ctx, actor, appointment_ref_or_id)
    audit(ctx, actor, category="consultation", action="briefing.open", record=f"appointment:{data.reference}")
    return data


def fetch_briefing(ctx: ServiceContext, actor: Actor, appointment_ref_or_id: str | uuid.UUID,
                   ) -> tuple[BriefingData, uuid.UUID]:
    """The briefing and its station's id, after the ``read_briefing`` checks (refusals audited),
    with the consultation NOT yet recorded: the caller records it, in the same transaction as what
    it does with the data (``documents.briefing_pdf`` adds the disclosure), so a print costs one
    durable write, not two. Anything else calls :func:`load_briefing`.
    """
    # Check the role before looking anything up, so a refused user learns nothing of what exists.
    guard(ctx, actor, Action.READ_BRIEFING, action="briefing.open", record=record_for(appointment_ref_or_id))
    with ctx.read() as session:
        a = _find(session, appointment_ref_or_id)
        record = f"appointment:{a.reference}"
        guard(ctx, actor, Action.READ_BRIEFING, station_id=a.station_id, action="briefing.open", record=record)
        try:
            secret = open_fields(a, actor.key)  # in this session's memory only
        except SealedError as exc:
            audit(ctx, actor, category="access", action="briefing.open", record=record, outcome="denied",
                  details={"reason": "sealed"})
            raise exc
        room = session.get_one(Room, a.room_id)
        earlier_rows = _earlier(session, a)
        # Only the stations and officers these appointments name: a national centre has thousands.
        stations = _by_id(session, Station, {a.station_id, *(row.station_id for row in earlier_rows)})
        officers = _by_id(session, Officer, {a.officer_id, *(row.officer_id for row in earlier_rows)})
        station = stations[a.station_id]
        officer = officers.get(a.officer_id) if a.officer_id else None
        earlier = tuple(
            EarlierAppointment(
                reference=row.reference,
                start=row.start_at,
                station_name=stations[row.station_id].name if row.station_id in stations else "another station",
                reason=label(REASON_LABELS, row.reason),
                outcome=_outcome(row),
                officer=officer_label(officers.get(row.officer_id)) if row.officer_id else None,
            )
            for row in earlier_rows
        )
        data = BriefingData(
            appointment_id=a.id,
            reference=a.reference,
            station_code=station.code,
            station_name=station.name,
            station_address=station.address,
            station_postcode=station.postcode,
            room_name=room.name,
            room_features=room_features(room),
            start=a.start_at,
            end=a.end_at,
            officer=officer_label(officer),
            status=a.status,
            at_risk=a.at_risk,
            at_risk_reason=a.at_risk_reason,
            channel=label(CHANNEL_LABELS, a.channel),
            reason=label(REASON_LABELS, a.reason),
            crime_reference=a.crime_reference,
            visitor_name=a.visitor_name,
            visitor_preferred_name=a.visitor_preferred_name,
            visitor_dob=a.visitor_dob,
            visitor_phone=a.visitor_phone,
            visitor_email=a.visitor_email,
            visitor_address=a.visitor_address,
            safe_contact=secret["safe_contact"],
            preferred_language=a.preferred_language,
            interpreter_language=a.interpreter_language,
            needs_step_free=a.needs_step_free,
            needs_hearing_loop=a.needs_hearing_loop,
            access_needs=a.access_needs,
            person_of_choice=a.person_of_choice,
            vulnerability_flags=tuple(secret["vulnerability_flags"] or ()),
            notes=secret["briefing_notes"],
            earlier=earlier,
        )
        return data, a.station_id


def _summary(notes: str | None, limit: int = 160) -> str | None:
    if not notes:
        return None
    flat = " ".join(notes.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def load_day_sheet(
    ctx: ServiceContext, actor: Actor, day: date, *, confidential: bool, station_code: str | None = None
) -> DaySheetData:
    """One station's appointments for a Europe/London day, rooms by time.

    The officers' version (``confidential``) needs ``print_confidential_day_sheet`` and is the only
    one that reads notes and vulnerability at all; the counter's needs ``print_day_sheet``.
    """
    permission = Action.PRINT_CONFIDENTIAL_DAY_SHEET if confidential else Action.PRINT_DAY_SHEET
    code = station_code or actor.station_code or ctx.station_code or ""
    record = f"station:{code}:{day.isoformat()}"
    guard(ctx, actor, permission, action="day_sheet.print", record=record)
    with ctx.read() as session:
        station = station_by_code(session, code)
        guard(ctx, actor, permission, station_id=station.id, action="day_sheet.print", record=record)
        start, end = local_day_bounds(day)
        rows = session.scalars(
            select(Appointment)
            .where(
                Appointment.station_id == station.id,
                Appointment.start_at >= start,
                Appointment.start_at < end,
                Appointment.deleted.is_(False),
                Appointment.status.not_in((Status.CANCELLED.value, Status.RESCHEDULED.value)),
            )
            .order_by(Appointment.start_at, Appointment.reference)
        ).all()
        rooms = {r.id: r for r in session.scalars(select(Room).where(Room.station_id == station.id))}
        officers = _by_id(session, Officer, {a.officer_id for a in rows})
        # The officers' version opens each row in this session; one not yet shared with this user
        # (a new key pair, see core/reseal) says so instead of failing the whole sheet.
        opened = {a.id: try_open(a, actor.key) for a in rows} if confidential else {}
        sealed: dict[str, Any] = {"vulnerability_flags": [SEALED_TEXT], "briefing_notes": SEALED_TEXT}
        out = [
            DaySheetRow(
                reference=a.reference,
                start=a.start_at,
                end=a.end_at,
                room_name=rooms[a.room_id].name if a.room_id in rooms else "",
                officer=officer_label(officers.get(a.officer_id)) if a.officer_id else None,
                visitor_name=a.visitor_name,
                status=a.status,
                needs=needs_summary(a),
                vulnerability_flags=tuple((opened[a.id] or sealed)["vulnerability_flags"] or ()) if confidential
                else (),
                notes_summary=_summary((opened[a.id] or sealed)["briefing_notes"]) if confidential else None,
                reason=label(REASON_LABELS, a.reason) if confidential else None,
            )
            for a in rows
        ]
        out.sort(key=lambda r: (r.start, r.room_name.casefold(), r.reference))
        return DaySheetData(station.code, station.name, day, confidential, tuple(out))


def load_slip(ctx: ServiceContext, actor: Actor, appointment_ref_or_id: str | uuid.UUID) -> SlipData:
    """The visitor's slip (``print_slip`` at the appointment's station)."""
    guard(ctx, actor, Action.PRINT_SLIP, action="slip.print", record=record_for(appointment_ref_or_id))
    with ctx.read() as session:
        a = _find(session, appointment_ref_or_id)
        guard(ctx, actor, Action.PRINT_SLIP, station_id=a.station_id, action="slip.print",
              record=f"appointment:{a.reference}")
        station = session.get_one(Station, a.station_id)
        return SlipData(
            reference=a.reference,
            visitor_name=a.visitor_name,
            start=a.start_at,
            end=a.end_at,
            station_name=station.name,
            station_address=station.address,
            station_postcode=station.postcode,
            crime_reference=a.crime_reference,
            status=a.status,
            meeting_link=a.meeting_link if a.channel == "video" else None,
        )
