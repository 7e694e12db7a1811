"""Import appointments exported from the command-and-control system (CSV or JSON).

Every row is validated and every problem of a row is reported with its line number; a rejected row
writes nothing. The file is streamed (``import_files``) and written in batches of
``BATCH_ROWS`` rows (``import_batch``), each batch one transaction: every row in it is still a
command of its own -- its own ``appointment.import`` audit event and, at a station, its own outbox
entry carrying the whole row, which the centre accepts or refuses alone -- but a batch commits
together or not at all. So a crash, Cancel or Ctrl+C leaves whole batches imported and the rest
untouched, and the command-and-control id (``external_id``, unique) makes importing the same file
again skip what is already here and carry on with the rest. Rejected rows go, as they are found,
to ``<name>.rejected.csv`` beside the file (line, id, why in words).

At the centre (``ServiceContext`` in central mode, ``import --central URL``) every station's rows
may be imported; a station's cache takes only its own station's rows.

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

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from frontcounter.db.models import Appointment, Channel, Reason, Station
from frontcounter.services.core import text_rules
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import LONDON, local
from frontcounter.services.core.commands import audit, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.core.permissions import Action, allowed
from frontcounter.services.scheduling.booking import validate_contact
from frontcounter.services.scheduling.import_batch import Placed, Premises, Row, write_batch
from frontcounter.services.scheduling.import_files import COLUMNS, REQUIRED, Record, open_records
from frontcounter.services.scheduling.import_rejected import RejectedRows

logger = logging.getLogger(__name__)

#: (rows done, rows in the file -- an estimate from how much of it has been read --, rejected so far)
Progress = Callable[[int, int, int], None]
#: Rows written per transaction: large enough that a transaction's cost is spread thin, small
#: enough that a cancelled import loses a second's work and the batch's picture stays small.
BATCH_ROWS = 2000
#: How many of each kind of row the report lists (the counts are whole; the rejected file has all).
KEEP = 1000


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
    """What an import did. The tuples list the first ``KEEP`` of each; the counts are whole."""

    file_name: str
    rows: int
    imported: tuple[str, ...]
    skipped: tuple[tuple[int, str], ...]
    rejected: tuple[RowProblem, ...]
    at_risk: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: The rejected rows as CSV beside the input (line, id, reason), to correct and import again.
    rejected_file: Path | None = None
    imported_count: int = -1
    skipped_count: int = -1
    rejected_count: int = -1
    at_risk_count: int = -1
    #: Stopped early (Cancel, Ctrl+C): whole batches went in; the same file again carries on.
    cancelled: bool = False

    def __post_init__(self) -> None:
        for name, items in (("imported_count", self.imported), ("skipped_count", self.skipped),
                            ("rejected_count", self.rejected), ("at_risk_count", self.at_risk)):
            if getattr(self, name) < 0:
                object.__setattr__(self, name, len(items))

    def describe(self) -> str:
        text = (f"{self.imported_count:,} imported, {self.skipped_count:,} skipped (already imported), "
                f"{self.rejected_count:,} rejected")
        if self.at_risk_count:
            text += f"; {self.at_risk_count:,} imported at risk (no officer on duty and free)"
        text += "."
        if self.cancelled:
            text += f" Stopped after {self.rows:,} rows: import the same file again to carry on."
        return text


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
) -> tuple[Row | None, list[str]]:
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
    return Row(line, get["external_id"].strip(), station, start, start + timedelta(minutes=duration),
                _clean(get["room"]), _clean(get["officer"]), fields), []


# --- Writing ---------------------------------------------------------------------------------------


def _batches(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class _Tally:
    done: int = 0
    imported: int = 0
    skipped: int = 0
    at_risk: int = 0
    first_imported: list[str] = field(default_factory=list)
    first_skipped: list[tuple[int, str]] = field(default_factory=list)
    first_rejected: list[RowProblem] = field(default_factory=list)
    first_at_risk: list[str] = field(default_factory=list)


def _keep(items: list[Any], item: Any) -> None:
    if len(items) < KEEP:
        items.append(item)


class _Importer:
    def __init__(self, ctx: ServiceContext, actor: Actor, path: Path) -> None:
        self.ctx, self.actor, self.path = ctx, actor, path
        self.now = ctx.clock.now()
        with ctx.read() as session:
            self.stations = {s.code: s for s in session.scalars(select(Station).where(Station.deleted.is_(False)))}
            for s in self.stations.values():
                session.expunge(s)
            self.premises = Premises.load(session)
        self.tally = _Tally()
        self.rejected = RejectedRows(path)

    def reject(self, line: int, external_id: str | None, errors: list[str] | tuple[str, ...]) -> None:
        problem = RowProblem(line, external_id, tuple(errors))
        _keep(self.tally.first_rejected, problem)
        self.rejected.add(line, external_id, problem.errors)

    def batch(self, records: list[Record]) -> None:
        ids = list({r.get("external_id", "").strip() for _, r in records} - {""})
        existing: set[str] = set()
        with self.ctx.read() as session:
            for i in range(0, len(ids), 500):
                existing.update(e for e in session.scalars(
                    select(Appointment.external_id).where(Appointment.external_id.in_(ids[i:i + 500]))) if e)
        problems: list[tuple[int, str | None, list[str]]] = []
        rows: list[Row] = []
        repeats: list[Row] = []  # a second row with an id already in this batch: after the first
        in_batch: set[str] = set()
        for line, record in records:
            external_id = record.get("external_id", "").strip() or None
            if external_id is not None and external_id in existing:
                self.tally.skipped += 1
                _keep(self.tally.first_skipped, (line, external_id))
                continue
            row, errors = validate_record(line, record, self.stations, self.now)
            ctx = self.ctx
            if row is not None and ctx.mode == "station" and ctx.station_code and row.station.code != ctx.station_code:
                errors = [f"this station's copy holds only {ctx.station_code}; import {row.station.code} rows "
                          "at the centre"]
                row = None
            if row is not None and not allowed(self.actor, Action.IMPORT, row.station.id):
                errors, row = [f"you may not import appointments for {row.station.name}"], None
            if row is None:
                problems.append((line, external_id, errors))
            elif row.external_id in in_batch:
                repeats.append(row)
            else:
                in_batch.add(row.external_id)
                rows.append(row)
        placed: list[Placed] = []
        while rows:
            done, refused = write_batch(self.ctx, self.actor, self.premises, rows)
            placed += done
            problems += [(row.line, row.external_id, errors) for row, errors in refused]
            # A repeated id is skipped when its first row went in, and tried in its place when not.
            went_in = {p.row.external_id for p in placed}
            rows, later, in_batch = [], [], set()
            for row in repeats:
                if row.external_id in went_in:
                    self.tally.skipped += 1
                    _keep(self.tally.first_skipped, (row.line, row.external_id))
                elif row.external_id in in_batch:
                    later.append(row)
                else:
                    in_batch.add(row.external_id)
                    rows.append(row)
            repeats = later
        for line, external_id, errors in sorted(problems, key=lambda p: p[0]):
            self.reject(line, external_id, errors)
        for p in sorted(placed, key=lambda p: p.row.line):
            self.tally.imported += 1
            _keep(self.tally.first_imported, p.reference)
            if p.risk:
                self.tally.at_risk += 1
                _keep(self.tally.first_at_risk, p.reference)
        self.tally.done += len(records)


def _check_fields_present(name: str, records: list[Record]) -> None:
    """A JSON file none of whose first rows has a required field is the wrong file: refused whole."""
    present = {k for _, r in records for k in r}
    missing = [c for c in REQUIRED if c not in present]
    if missing and any("__error__" not in r for _, r in records):
        raise ValidationError(f"{name} has no field(s) {', '.join(missing)} in any appointment.")


def import_file(
    ctx: ServiceContext,
    actor: Actor,
    path: Path | str,
    *,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    batch_rows: int | None = None,
) -> ImportReport:
    """Validate and import every row of ``path``, a batch at a time; what was imported, skipped, rejected.

    ``progress(done, total, rejected)`` is called after each batch (``total`` estimated from how
    much of the file has been read, exact at the end); ``cancel()`` is asked before each batch,
    and Ctrl+C (KeyboardInterrupt) stops the same way: the batch being written is rolled back
    whole, the rest stays, and the report says ``cancelled``.

    Raises ``ValidationError`` when the file as a whole cannot be read (format, missing columns,
    malformed JSON -- with the rows of the batches before it already in); a bad row is reported in
    the result and the other rows still go in.
    """
    path = Path(path)
    guard(ctx, actor, Action.IMPORT, action="appointment.import", record=f"file:{path.name}"[:120])
    warnings: list[str] = []
    source = open_records(path, warnings)
    job = _Importer(ctx, actor, path)
    cancelled = False
    reported: tuple[int, int, int] | None = None
    try:
        try:
            for number, records in enumerate(_batches(iter(source), max(1, batch_rows or BATCH_ROWS))):
                if cancel is not None and cancel():
                    cancelled = True
                    break
                if number == 0 and source.kind == "json":
                    _check_fields_present(path.name, records)
                job.batch(records)
                if progress is not None:
                    fraction = source.fraction
                    total = job.tally.done if fraction >= 1 else max(job.tally.done, round(job.tally.done / fraction))
                    reported = (job.tally.done, total, job.rejected.count)
                    progress(*reported)
        except KeyboardInterrupt:
            cancelled = True
        except ValidationError as exc:
            if not job.tally.done:
                raise
            raise ValidationError(f"{exc.message} The {job.tally.imported:,} rows before it were imported; correct "
                                  "the file and import it again to carry on.") from exc
    finally:
        source.close()
        rejected_file = job.rejected.finish()
    source.unknown_columns_warning()
    t = job.tally
    if progress is not None and not cancelled and reported != (t.done, t.done, job.rejected.count):
        progress(t.done, t.done, job.rejected.count)
    report = ImportReport(path.name, t.done, tuple(t.first_imported), tuple(t.first_skipped), tuple(t.first_rejected),
                          tuple(t.first_at_risk), tuple(warnings), rejected_file, imported_count=t.imported,
                          skipped_count=t.skipped, rejected_count=job.rejected.count, at_risk_count=t.at_risk,
                          cancelled=cancelled)
    audit(ctx, actor, category="collection", action="import.file", record=f"file:{path.name}"[:120],
          outcome="failed" if job.rejected.count else "success",
          details={"rows": t.done, "imported": t.imported, "skipped": t.skipped, "rejected": job.rejected.count,
                   "cancelled": cancelled})
    logger.info("import: %d rows, %d imported, %d skipped, %d rejected%s", t.done, t.imported, t.skipped,
                job.rejected.count, " (cancelled)" if cancelled else "")
    return report
