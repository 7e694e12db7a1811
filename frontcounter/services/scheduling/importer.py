"""Import appointments exported from the command-and-control system (CSV or JSON).

Every row is validated and every problem of a row is reported with its line number; a rejected row
writes nothing. Each accepted row is its own command (``appointment.import``, the whole row sent
to the centre), so a crash half-way leaves whole rows imported and the rest untouched. The
command-and-control id (``external_id``) is unique, so importing the same file again skips what
is already here instead of booking the visitor twice.

Columns (header names are case-insensitive; the order does not matter):

=====================  ========  ========================================================
column                 required  meaning
=====================  ========  ========================================================
external_id            yes       the command-and-control system's own id (64 characters)
station                yes       station code, e.g. ``HH``
start                  yes       ISO 8601 (``2026-11-30T18:00:00+00:00``) or
                                 ``YYYY-MM-DD HH:MM`` in Europe/London time
duration_minutes       no        5 to 480 (default 60)
room                   no        room name at that station; else a free suitable room
officer                no        collar number; else a free suitable officer on duty
reason                 yes       report_crime, victim_update, witness_statement,
                                 domestic_abuse, sexual_offence, hate_crime, fraud,
                                 property, firearms_licensing, other (or in words)
channel                no        101_call, online, walk_in, command_and_control (default)
crime_reference        no        letters, digits and / - (e.g. 41/12345/26)
visitor_name           yes
phone, email, address  no
safe_contact           no        e.g. "No voicemail"
preferred_language     no
interpreter_language   no        the officer must speak it
needs_step_free        no        yes/no, true/false, 1/0 (default no)
needs_hearing_loop     no        as above
access_needs           no
person_of_choice       no
vulnerability_flags    no        separated by semicolons (a list in JSON)
notes                  no        confidential briefing notes for the officer
may_text, may_email,   no        yes/no (default no): the visitor agreed to texts, email,
may_phone, may_voicemail         calls, voicemail; only_via_person_of_choice: nothing to them
text_number            no        the number for texts (default: phone, if may_text)
message_email          no        the address for email (default: email, if may_email)
=====================  ========  ========================================================

JSON is a list of objects with these keys (or ``{"appointments": [...]}``); the "line" reported
is the line where the row's object starts.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from frontcounter.db.models import (
    RELEASED_STATUSES,
    Appointment,
    Channel,
    Officer,
    OpeningSession,
    Reason,
    Room,
    Station,
    Status,
)
from frontcounter.services.core import text_rules
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import LONDON, local
from frontcounter.services.core.commands import audit, command, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import FrontCounterError, ValidationError
from frontcounter.services.core.files import write_atomically
from frontcounter.services.core.permissions import Action, allowed
from frontcounter.services.core.references import new_reference
from frontcounter.services.scheduling.booking import validate_contact
from frontcounter.services.scheduling.changes import (
    busy_officer_ids,
    free_suitable_officers,
    on_duty_officer_ids,
)
from frontcounter.services.scheduling.import_files import (
    COLUMNS,
    REQUIRED,
    read_records,
)
from frontcounter.services.scheduling.roster import session_intervals

logger = logging.getLogger(__name__)

#: (rows done, rows in the file, rows rejected so far)
Progress = Callable[..., None]


_PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{6,24}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CRIME_REF_RE = re.compile(r"^[A-Za-z0-9/ \-_.]{1,40}$")
_LOCAL_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"", "0", "false", "no", "n", "f"}
_LIMITS = {"external_id": 64, "visitor_name": 200, "phone": 40, "email": 200, "preferred_language": 40,
           "interpreter_language": 40, "person_of_choice": 200, "room": 80, "officer": 12, "text_number": 40,
           "message_email": 200}


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A rejected row: where it is in the file and everything wrong with it."""

    line: int
    external_id: str | None
    errors: tuple[str, ...]

    def describe(self) -> str:
        ident = f" ({self.external_id})" if self.external_id else ""
        return f"line {self.line}{ident}: " + "; ".join(self.errors)


@dataclass(frozen=True, slots=True)
class ImportReport:
    file_name: str
    rows: int
    imported: tuple[str, ...]
    skipped: tuple[tuple[int, str], ...]
    rejected: tuple[RowProblem, ...]
    at_risk: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: The rejected rows as CSV beside the input (line, id, reason), to correct and import again.
    rejected_file: Path | None = None

    def describe(self) -> str:
        text = (f"{len(self.imported)} imported, {len(self.skipped)} skipped (already imported), "
                f"{len(self.rejected)} rejected")
        if self.at_risk:
            text += f"; {len(self.at_risk)} imported at risk (no officer on duty and free)"
        return text + "."


@dataclass
class _Row:
    """A row that passed validation, in the model's terms."""

    line: int
    external_id: str
    station: Station
    start: datetime
    end: datetime
    room_name: str | None
    collar: str | None
    fields: dict[str, Any] = field(default_factory=dict)


# --- Validating a row -------------------------------------------------------------------------------


def parse_start(text: str) -> datetime:
    """ISO 8601 with an offset, or local Europe/London 'YYYY-MM-DD HH:MM'; aware UTC either way."""
    value = text.strip()
    match = _LOCAL_RE.match(value)
    if match:
        day, hh, mm, ss = match.groups()
        try:
            naive = datetime.fromisoformat(f"{day}T{int(hh):02d}:{mm}:{ss or '00'}")
        except ValueError:
            raise ValueError(f"start {value!r} is not a real date and time") from None
        aware = naive.replace(tzinfo=LONDON)
        if aware.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != naive:
            raise ValueError(f"start {value!r} does not exist in UK time (the clocks go forward then)")
        return aware.astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"start {value!r} is not a date and time (use 2026-11-30 18:00 or ISO 8601)") from None
    if parsed.tzinfo is None:
        return parse_start(parsed.strftime("%Y-%m-%d %H:%M:%S"))
    return parsed.astimezone(UTC)


def _choice(text: str, enum_values: list[str], what: str, errors: list[str]) -> str | None:
    key = re.sub(r"[\s\-]+", "_", text.strip().casefold())
    if key in enum_values:
        return key
    errors.append(f"{what} {text.strip()!r} is not one of: {', '.join(enum_values)}")
    return None


def _flag(text: str, what: str, errors: list[str]) -> bool:
    key = text.strip().casefold()
    if key in _TRUE:
        return True
    if key not in _FALSE:
        errors.append(f"{what} must be yes or no, not {text.strip()!r}")
    return False


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    return " ".join(value.split()) or None


def validate_record(
    line: int, record: dict[str, str], stations: dict[str, Station], now: datetime
) -> tuple[_Row | None, list[str]]:
    """Every problem with one row (not just the first), or the row in model terms."""
    errors: list[str] = []
    if "__error__" in record:
        errors.append(record["__error__"])
    if "__extra__" in record:
        errors.append(f"{record['__extra__']} more value(s) than there are columns (a stray comma?)")
    get = {c: record.get(c, "") for c in COLUMNS}
    for column in REQUIRED:
        if not get[column].strip():
            errors.append(f"{column} is missing")
    for column, value in get.items():
        why = text_rules.problem(value)
        if why is not None:
            errors.append(f"{column} contains {why}, which cannot be stored")
    for column, limit in _LIMITS.items():
        if len(get[column].strip()) > limit:
            errors.append(f"{column} is longer than {limit} characters")
    station = None
    code = get["station"].strip().upper()
    if code:
        station = stations.get(code)
        if station is None:
            errors.append(f"no station with code {code!r}")
    start = None
    if get["start"].strip():
        try:
            start = parse_start(get["start"])
        except ValueError as exc:
            errors.append(str(exc))
    duration = 60
    if get["duration_minutes"].strip():
        try:
            duration = int(get["duration_minutes"].strip())
            if not 5 <= duration <= 480:
                errors.append("duration_minutes must be between 5 and 480")
        except ValueError:
            errors.append(f"duration_minutes {get['duration_minutes'].strip()!r} is not a whole number")
    if start is not None and start <= now:
        errors.append(f"start {local(start):%Y-%m-%d %H:%M} is in the past")
    reason = _choice(get["reason"], [r.value for r in Reason], "reason", errors) if get["reason"].strip() else None
    channel = Channel.COMMAND_AND_CONTROL.value
    if get["channel"].strip():
        channel = _choice(get["channel"], [c.value for c in Channel], "channel", errors) or channel
    phone = _clean(get["phone"])
    if phone and (not _PHONE_RE.match(phone) or sum(ch.isdigit() for ch in phone) < 6):
        errors.append(f"phone {phone!r} does not look like a phone number")
    email = _clean(get["email"])
    if email and not _EMAIL_RE.match(email):
        errors.append(f"email {email!r} does not look like an email address")
    crime_ref = _clean(get["crime_reference"])
    if crime_ref and not _CRIME_REF_RE.match(crime_ref):
        errors.append("crime_reference may hold letters, digits and / - only")
    step_free = _flag(get["needs_step_free"], "needs_step_free", errors)
    hearing_loop = _flag(get["needs_hearing_loop"], "needs_hearing_loop", errors)
    contact: dict[str, object] = {}
    flags = {"contact_may_text": "may_text", "contact_may_email": "may_email", "contact_may_phone": "may_phone",
             "contact_may_voicemail": "may_voicemail", "contact_via_person_only": "only_via_person_of_choice"}
    given = {field: _flag(get[column], column, errors) for field, column in flags.items()}
    try:
        contact = validate_contact({**given, "contact_text_number": get["text_number"],
                                    "contact_email_address": get["message_email"]}, phone=phone, email=email)
    except ValidationError as exc:
        errors.append(exc.message)
    if errors or station is None or start is None or reason is None:
        return None, errors
    fields = {
        **contact,
        "reason": reason,
        "channel": channel,
        "crime_reference": crime_ref,
        "visitor_name": _clean(get["visitor_name"]),
        "visitor_phone": phone,
        "visitor_email": email,
        "visitor_address": get["address"].strip() or None,
        "safe_contact": get["safe_contact"].strip() or None,
        "preferred_language": _clean(get["preferred_language"]),
        "interpreter_language": _clean(get["interpreter_language"]),
        "needs_step_free": step_free,
        "needs_hearing_loop": hearing_loop,
        "access_needs": get["access_needs"].strip() or None,
        "person_of_choice": _clean(get["person_of_choice"]),
        "vulnerability_flags": [f.strip() for f in get["vulnerability_flags"].split(";") if f.strip()],
        "briefing_notes": get["notes"].strip() or None,
    }
    return _Row(line, get["external_id"].strip(), station, start, start + timedelta(minutes=duration),
                _clean(get["room"]), _clean(get["officer"]), fields), []


# --- Writing ---------------------------------------------------------------------------------------


class _Rejected(FrontCounterError):
    """A row the database-backed checks refuse (all its problems, joined)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _room_for(session: Session, row: _Row, errors: list[str]) -> Room | None:
    rooms = list(session.scalars(select(Room).where(Room.station_id == row.station.id, Room.deleted.is_(False))))
    busy = set(session.scalars(
        select(Appointment.room_id).where(
            Appointment.room_id.in_([r.id for r in rooms]), Appointment.deleted.is_(False),
            Appointment.status.not_in(RELEASED_STATUSES), Appointment.start_at < row.end,
            Appointment.end_at > row.start)
    )) if rooms else set()
    needs_step_free, needs_loop = row.fields["needs_step_free"], row.fields["needs_hearing_loop"]

    def suits(r: Room) -> list[str]:
        problems = []
        if needs_step_free and not r.step_free:
            problems.append(f"room {r.name!r} is not step-free and the visitor needs it")
        if needs_loop and not r.hearing_loop:
            problems.append(f"room {r.name!r} has no hearing loop and the visitor needs one")
        return problems

    if row.room_name:
        room = next((r for r in rooms if r.name.casefold() == row.room_name.casefold()), None)
        if room is None:
            errors.append(f"no room {row.room_name!r} at {row.station.name}")
            return None
        if not room.active:
            errors.append(f"room {room.name!r} is out of use")
        errors.extend(suits(room))
        if room.id in busy:
            errors.append(f"room {room.name!r} is already booked at {local(row.start):%H:%M on %d %b}")
        return room
    fitting = sorted((r for r in rooms if r.active and not suits(r) and r.id not in busy),
                     key=lambda r: (r.step_free + r.hearing_loop + r.child_friendly, r.name))
    if not fitting:
        errors.append(f"no suitable room free at {row.station.name} at {local(row.start):%H:%M on %d %b}")
        return None
    return fitting[0]


def _in_session(session: Session, row: _Row) -> bool:
    day = local(row.start).date()
    found = []
    for d in (day - timedelta(days=1), day):  # a session may run past midnight
        times = session.execute(
            select(OpeningSession.start_time, OpeningSession.end_time).where(
                OpeningSession.station_id == row.station.id, OpeningSession.deleted.is_(False),
                OpeningSession.weekday == d.weekday())
        ).all()
        found += session_intervals([(s, e) for s, e in times], d)
    return any(s <= row.start and row.end <= e for s, e in found)


def _write(ctx: ServiceContext, actor: Actor, row: _Row) -> tuple[str, str | None]:
    """One row, one command; returns (reference, at-risk reason or None)."""
    with ctx.read() as session:
        reference = new_reference(row.station.code)
        while session.scalar(select(Appointment.id).where(Appointment.reference == reference)):
            reference = new_reference(row.station.code)
    with command(ctx, actor, category="collection", action="appointment.import",
                 record=f"appointment:{reference}",
                 details={"external_id": row.external_id, "line": row.line}) as scope:
        session = scope.session
        errors: list[str] = []
        if session.scalar(select(Appointment.id).where(Appointment.external_id == row.external_id)):
            raise _Rejected(["already imported (by someone else just now)"])
        room = _room_for(session, row, errors)
        appt = Appointment(id=uuid.uuid4(), version=0, deleted=False, reference=reference,
                           station_id=row.station.id, room_id=room.id if room else None, officer_id=None,
                           start_at=row.start, end_at=row.end, external_id=row.external_id,
                           status=Status.BOOKED.value, at_risk=False, created_at=scope.now,
                           created_by=actor.username, **row.fields)
        risk: str | None = None
        if row.collar:
            officer = session.scalars(select(Officer).where(Officer.collar_number == row.collar)).one_or_none()
            if officer is None or officer.deleted:
                errors.append(f"no officer with collar number {row.collar}")
            elif not officer.active:
                errors.append(f"officer {row.collar} is not active")
            elif officer.id in busy_officer_ids(session, row.start, row.end):
                errors.append(f"officer {row.collar} already has an appointment then")
            else:
                appt.officer_id = officer.id
                if officer.id not in on_duty_officer_ids(session, row.station.id, row.start, row.end):
                    risk = f"Imported: officer {row.collar} is not on appointment duty then"
        if errors:
            raise _Rejected(errors)
        if appt.officer_id is None:
            candidates = free_suitable_officers(session, appt)
            if candidates:
                appt.officer_id = candidates[0].id
            else:
                risk = "Imported: no suitable officer on duty and free; assign one"
        if risk is None and not _in_session(session, row):
            risk = f"Imported: outside {row.station.name}'s opening hours"
        if risk is not None:
            appt.at_risk, appt.at_risk_reason = True, risk
        session.add(appt)
        scope.changed(appt, "appointment.import", base_version=0, created=True)
    return reference, risk


def rejected_rows_path(path: Path) -> Path:
    """Where the rejected rows of ``path`` go: beside it, ``<name>.rejected.csv``."""
    return path.with_name(f"{path.stem}.rejected.csv")


def write_rejected_rows(path: Path, rejected: list[RowProblem]) -> Path | None:
    """The rejected rows, one a line (line number, the row's id, why in words), written whole.

    A folder the importer may read but not write (a read-only share) keeps the import going: the
    report lists the rows anyway, and the log says why the file is missing.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["line", "external_id", "reason"])
    for problem in rejected:
        writer.writerow([problem.line, problem.external_id or "", "; ".join(problem.errors)])
    target = rejected_rows_path(path)
    try:
        return write_atomically(target, buffer.getvalue().encode("utf-8-sig"))
    except FrontCounterError as exc:
        logger.warning("rejected rows not written: %s", exc.message)
        return None


def import_file(ctx: ServiceContext, actor: Actor, path: Path | str, *, progress: Progress | None = None) -> ImportReport:
    """Validate and import every row of ``path``; returns what was imported, skipped and rejected.

    Raises ``ValidationError`` only when the file as a whole cannot be read (format, missing
    columns); a bad row is reported in the result and the other rows still go in.
    """
    path = Path(path)
    guard(ctx, actor, Action.IMPORT, action="appointment.import", record=f"file:{path.name}"[:120])
    warnings: list[str] = []
    records = read_records(path, warnings)
    now = ctx.clock.now()
    with ctx.read() as session:
        stations = {s.code: s for s in session.scalars(select(Station).where(Station.deleted.is_(False)))}
        for s in stations.values():
            session.expunge(s)
        ids = [r.get("external_id", "").strip() for _, r in records if r.get("external_id", "").strip()]
        existing: set[str] = set()
        for i in range(0, len(ids), 500):
            existing.update(e for e in session.scalars(
                select(Appointment.external_id).where(Appointment.external_id.in_(ids[i:i + 500]))) if e)
    imported: list[str] = []
    skipped: list[tuple[int, str]] = []
    rejected: list[RowProblem] = []
    at_risk: list[str] = []
    total = len(records)
    for done, (line, record) in enumerate(records, start=1):
        external_id = record.get("external_id", "").strip() or None
        if external_id is not None and external_id in existing:
            skipped.append((line, external_id))
        else:
            row, errors = validate_record(line, record, stations, now)
            if row is not None and ctx.mode == "station" and ctx.station_code and row.station.code != ctx.station_code:
                errors = [f"this station's copy holds only {ctx.station_code}; import {row.station.code} rows "
                          "at the centre"]
                row = None
            if row is not None and not allowed(actor, Action.IMPORT, row.station.id):
                errors, row = [f"you may not import appointments for {row.station.name}"], None
            if row is None:
                rejected.append(RowProblem(line, external_id, tuple(errors)))
            else:
                try:
                    reference, risk = _write(ctx, actor, row)
                except _Rejected as exc:
                    rejected.append(RowProblem(line, external_id, tuple(exc.errors)))
                except FrontCounterError as exc:  # the database refused a double booking
                    rejected.append(RowProblem(line, external_id, (exc.message,)))
                except IntegrityError:
                    rejected.append(RowProblem(line, external_id, ("conflicts with an appointment already here",)))
                else:
                    imported.append(reference)
                    existing.add(row.external_id)
                    if risk:
                        at_risk.append(reference)
        if progress is not None:
            progress(done, total, len(rejected))
    rejected_file = write_rejected_rows(path, rejected) if rejected else None
    report = ImportReport(path.name, total, tuple(imported), tuple(skipped), tuple(rejected), tuple(at_risk),
                          tuple(warnings), rejected_file)
    audit(ctx, actor, category="collection", action="import.file", record=f"file:{path.name}"[:120],
          outcome="success" if not rejected else "failed",
          details={"rows": total, "imported": len(imported), "skipped": len(skipped), "rejected": len(rejected)})
    logger.info("import: %d rows, %d imported, %d skipped, %d rejected", total, len(imported), len(skipped),
                len(rejected))
    return report
