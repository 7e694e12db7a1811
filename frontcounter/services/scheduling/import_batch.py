"""Writing an import's rows a batch at a time: rooms, officers and double bookings checked set-based.

Per batch a handful of queries load what the batch's rows can collide with -- the appointments
overlapping any of them, the duties covering any of them, each officer's count that day -- over
the batch's own time windows (an index range each), so the cost follows the batch, not the cache.
Rooms, officers and opening sessions are read once per file. The rows are then placed in Python
against that picture (and against each other), and the batch is written in one transaction
(``core.commands.command_batch``). The database's own guards (the exclusion constraints on
PostgreSQL, the triggers on SQLite) have the last word: should a batch still collide with a row
written meanwhile (a station's sync landing at the centre), it is split until the one row at
fault is found and rejected, and every other row goes in.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left, insort
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from frontcounter.db.models import (
    RELEASED_STATUSES,
    Appointment,
    Duty,
    Officer,
    OpeningSession,
    Room,
    Station,
    Status,
)
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import local, local_day_bounds
from frontcounter.services.core.commands import BatchScope, command_batch, translate_integrity_error
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.core.references import new_reference
from frontcounter.services.scheduling.changes import _preference, unsuitable_because
from frontcounter.services.scheduling.roster import session_intervals

#: No appointment lasts longer (the schema's own limit): only those starting this long before a
#: row can overlap it, which keeps each lookup an index range of a day.
MAX_LENGTH = timedelta(hours=8)


@dataclass
class Row:
    """A row that passed validation, in the model's terms."""

    line: int
    external_id: str
    station: Station
    start: datetime
    end: datetime
    room_name: str | None
    collar: str | None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Needs:
    """What the officer checks (``unsuitable_because``, the soft preferences) read of an appointment."""

    reason: str
    interpreter_language: str | None
    preferred_language: str | None


@dataclass
class Placed:
    row: Row
    reference: str
    risk: str | None


@dataclass
class Premises:
    """What every batch of a file needs and no import changes: rooms, officers, opening sessions."""

    rooms: dict[uuid.UUID, list[Room]]
    officers: dict[uuid.UUID, Officer]
    by_collar: dict[str, Officer]
    sessions: dict[tuple[uuid.UUID, int], list[tuple[Any, Any]]]
    _open: dict[tuple[uuid.UUID, date], list[tuple[datetime, datetime]]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> Premises:
        rooms: dict[uuid.UUID, list[Room]] = defaultdict(list)
        for room in session.scalars(select(Room).where(Room.deleted.is_(False)).order_by(Room.name)):
            rooms[room.station_id].append(room)
        officers = {o.id: o for o in session.scalars(select(Officer))}
        sessions: dict[tuple[uuid.UUID, int], list[tuple[Any, Any]]] = defaultdict(list)
        for s in session.scalars(select(OpeningSession).where(OpeningSession.deleted.is_(False))):
            sessions[(s.station_id, s.weekday)].append((s.start_time, s.end_time))
        session.expunge_all()
        return cls(dict(rooms), officers, {o.collar_number: o for o in officers.values()}, dict(sessions))

    def open_at(self, station_id: uuid.UUID, start: datetime, end: datetime) -> bool:
        day = local(start).date()
        for d in (day - timedelta(days=1), day):  # a session may run past midnight
            key = (station_id, d)
            if key not in self._open:
                self._open[key] = session_intervals(self.sessions.get((station_id, d.weekday()), []), d)
            if any(s <= start and end <= e for s, e in self._open[key]):
                return True
        return False


class Busy:
    """Intervals per room or officer, sorted by start: is [start, end) free? in log time.

    No appointment lasts longer than MAX_LENGTH, so only intervals starting in
    (start - MAX_LENGTH, end) can overlap; bisect finds them.
    """

    def __init__(self) -> None:
        self._by: dict[uuid.UUID, list[tuple[datetime, datetime]]] = defaultdict(list)

    def add(self, key: uuid.UUID, start: datetime, end: datetime) -> None:
        insort(self._by[key], (start, end))

    def overlaps(self, key: uuid.UUID, start: datetime, end: datetime) -> bool:
        intervals = self._by.get(key)
        if not intervals:
            return False
        i = bisect_left(intervals, (start - MAX_LENGTH,))
        while i < len(intervals) and intervals[i][0] < end:
            if intervals[i][1] > start:
                return True
            i += 1
        return False


@dataclass
class _Picture:
    """What the batch's rows can collide with, loaded in a few set-based queries."""

    room_busy: Busy
    officer_busy: Busy
    duties: dict[uuid.UUID, list[tuple[uuid.UUID, datetime, datetime, datetime | None]]]
    load: Counter[tuple[uuid.UUID, datetime]]


#: Time windows per query: a sorted file's batch is one window; a shuffled one is many, in chunks.
_WINDOWS_PER_QUERY = 200


def windows(rows: list[Row]) -> list[tuple[uuid.UUID, datetime, datetime]]:
    """The batch's rows as few (station, from, to) windows: rows less than MAX_LENGTH apart share one."""
    out: list[tuple[uuid.UUID, datetime, datetime]] = []
    for station_id, start, end in sorted((r.station.id, r.start, r.end) for r in rows):
        if out and out[-1][0] == station_id and start - out[-1][2] < MAX_LENGTH:
            if end > out[-1][2]:
                out[-1] = (station_id, out[-1][1], end)
        else:
            out.append((station_id, start, end))
    return out


def _in_windows(start_col: Any, station_col: Any, chunk: list[tuple[uuid.UUID, datetime, datetime]],
                *, before: timedelta = MAX_LENGTH, end_col: Any = None) -> Any:
    """Rows of a table that may overlap one of the windows (an index range each)."""
    if end_col is None:
        return or_(*(and_(station_col == st, start_col > lo - before, start_col < hi) for st, lo, hi in chunk))
    return or_(*(and_(station_col == st, start_col < hi, end_col > lo) for st, lo, hi in chunk))


def _picture(session: Session, rows: list[Row]) -> _Picture:
    spans = windows(rows)
    room_busy, officer_busy = Busy(), Busy()
    duties: dict[uuid.UUID, list[tuple[uuid.UUID, datetime, datetime, datetime | None]]] = defaultdict(list)
    for i in range(0, len(spans), _WINDOWS_PER_QUERY):
        chunk = spans[i:i + _WINDOWS_PER_QUERY]
        taken = select(Appointment.room_id, Appointment.officer_id, Appointment.start_at, Appointment.end_at).where(
            _in_windows(Appointment.start_at, Appointment.station_id, chunk),
            Appointment.deleted.is_(False), Appointment.status.not_in(RELEASED_STATUSES))
        for room_id, officer_id, start, end in session.execute(taken):
            if room_id is not None:
                room_busy.add(room_id, start, end)
            if officer_id is not None:
                officer_busy.add(officer_id, start, end)
        covering = select(Duty.station_id, Duty.officer_id, Duty.start_at, Duty.end_at, Duty.withdrawn_at).where(
            _in_windows(Duty.start_at, Duty.station_id, chunk, end_col=Duty.end_at), Duty.deleted.is_(False))
        for station_id, officer_id, start, end, withdrawn in session.execute(covering):
            duties[station_id].append((officer_id, start, end, withdrawn))
    load: Counter[tuple[uuid.UUID, datetime]] = Counter()
    on_duty = sorted({d[0] for ds in duties.values() for d in ds})
    if on_duty:
        days = sorted({local_day_bounds(local(r.start).date()) for r in rows})
        for i in range(0, len(days), _WINDOWS_PER_QUERY):
            chunk_days = days[i:i + _WINDOWS_PER_QUERY]
            counts = select(Appointment.officer_id, Appointment.start_at).where(
                Appointment.officer_id.in_(on_duty), Appointment.deleted.is_(False),
                Appointment.status.not_in(RELEASED_STATUSES),
                or_(*(and_(Appointment.start_at >= d0, Appointment.start_at < d1) for d0, d1 in chunk_days)))
            for officer_id, start in session.execute(counts):
                if officer_id is not None:
                    load[(officer_id, local_day_bounds(local(start).date())[0])] += 1
    return _Picture(room_busy, officer_busy, dict(duties), load)


def _room(premises: Premises, picture: _Picture, row: Row, errors: list[str]) -> Room | None:
    rooms = premises.rooms.get(row.station.id, [])
    needs_step_free, needs_loop = row.fields["needs_step_free"], row.fields["needs_hearing_loop"]

    def suits(r: Room) -> list[str]:
        problems = []
        if needs_step_free and not r.step_free:
            problems.append(f"room {r.name!r} is not step-free and the visitor needs it")
        if needs_loop and not r.hearing_loop:
            problems.append(f"room {r.name!r} has no hearing loop and the visitor needs one")
        return problems

    def busy(r: Room) -> bool:
        return picture.room_busy.overlaps(r.id, row.start, row.end)

    if row.room_name:
        room = next((r for r in rooms if r.name.casefold() == row.room_name.casefold()), None)
        if room is None:
            errors.append(f"no room {row.room_name!r} at {row.station.name}")
            return None
        if not room.active:
            errors.append(f"room {room.name!r} is out of use")
        errors.extend(suits(room))
        if busy(room):
            errors.append(f"room {room.name!r} is already booked at {local(row.start):%H:%M on %d %b}")
        return room
    fitting = sorted((r for r in rooms if r.active and not suits(r) and not busy(r)),
                     key=lambda r: (r.step_free + r.hearing_loop + r.child_friendly, r.name))
    if not fitting:
        errors.append(f"no suitable room free at {row.station.name} at {local(row.start):%H:%M on %d %b}")
        return None
    return fitting[0]


def _on_duty(picture: _Picture, row: Row) -> set[uuid.UUID]:
    return {officer_id for officer_id, start, end, withdrawn in picture.duties.get(row.station.id, [])
            if start <= row.start and end >= row.end and (withdrawn is None or withdrawn >= row.end)}


def _officer(premises: Premises, picture: _Picture, row: Row, appt: Appointment,
             errors: list[str]) -> tuple[Officer | None, str | None]:
    """(the officer, an at-risk reason or None)."""
    on_duty = _on_duty(picture, row)
    if row.collar:
        officer = premises.by_collar.get(row.collar)
        if officer is None or officer.deleted:
            errors.append(f"no officer with collar number {row.collar}")
        elif not officer.active:
            errors.append(f"officer {row.collar} is not active")
        elif picture.officer_busy.overlaps(officer.id, row.start, row.end):
            errors.append(f"officer {row.collar} already has an appointment then")
        else:
            risk = None if officer.id in on_duty else f"Imported: officer {row.collar} is not on appointment duty then"
            return officer, risk
        return None, None
    day_start = local_day_bounds(local(row.start).date())[0]
    candidates = [
        o for i in on_duty if (o := premises.officers.get(i)) is not None and o.active and not o.deleted
        and not picture.officer_busy.overlaps(i, row.start, row.end) and unsuitable_because(o, appt) is None
    ]
    if not candidates:
        return None, "Imported: no suitable officer on duty and free; assign one"
    best = min(candidates, key=lambda o: (_preference(o, appt), picture.load[(o.id, day_start)], o.collar_number))
    return best, None


def _references(session: Session, rows: list[Row]) -> list[str]:
    """A new reference per row, none already in use (the unique constraint stays the last word)."""
    refs = [new_reference(r.station.code) for r in rows]
    while True:
        taken = set(session.scalars(select(Appointment.reference).where(Appointment.reference.in_(refs))))
        seen: set[str] = set()
        clashes = []
        for i, ref in enumerate(refs):
            if ref in taken or ref in seen:
                clashes.append(i)
            seen.add(ref)
        if not clashes:
            return refs
        for i in clashes:
            refs[i] = new_reference(rows[i].station.code)


def _place(scope: BatchScope, premises: Premises, rows: list[Row],
           rejected: list[tuple[Row, list[str]]]) -> list[Placed]:
    session = scope.session
    already = set(session.scalars(select(Appointment.external_id).where(
        Appointment.external_id.in_([r.external_id for r in rows]))))
    fresh = []
    for row in rows:
        if row.external_id in already:
            rejected.append((row, ["already imported (by someone else just now)"]))
        else:
            fresh.append(row)
    if not fresh:
        return []
    picture = _picture(session, fresh)
    placed = []
    for row, reference in zip(fresh, _references(session, fresh), strict=True):
        errors: list[str] = []
        room = _room(premises, picture, row, errors)
        needs = cast(Appointment, _Needs(row.fields["reason"], row.fields["interpreter_language"],
                                         row.fields["preferred_language"]))
        officer, risk = _officer(premises, picture, row, needs, errors)
        if errors or room is None:
            rejected.append((row, errors))
            continue
        if risk is None and not premises.open_at(row.station.id, row.start, row.end):
            risk = f"Imported: outside {row.station.name}'s opening hours"
        picture.room_busy.add(room.id, row.start, row.end)
        if officer is not None:
            picture.officer_busy.add(officer.id, row.start, row.end)
            picture.load[(officer.id, local_day_bounds(local(row.start).date())[0])] += 1
        scope.created(Appointment, {
            "id": uuid.uuid4(), "version": 0, "deleted": False, "reference": reference,
            "station_id": row.station.id, "room_id": room.id, "officer_id": officer.id if officer else None,
            "start_at": row.start, "end_at": row.end, "external_id": row.external_id,
            "status": Status.BOOKED.value, "at_risk": risk is not None, "at_risk_reason": risk,
            "created_at": scope.now, "created_by": scope.actor.username, **row.fields,
        }, category="collection", action="appointment.import", record=f"appointment:{reference}",
            details={"external_id": row.external_id, "line": row.line})
        placed.append(Placed(row, reference, risk))
    return placed


def write_batch(ctx: ServiceContext, actor: Actor, premises: Premises,
                rows: list[Row]) -> tuple[list[Placed], list[tuple[Row, list[str]]]]:
    """Place and write ``rows`` in one transaction; (what went in, what was refused and why).

    A batch the database refuses (a row written meanwhile that it now overlaps) is split in two
    and each half tried again, down to the single row at fault, which is refused in words.
    """
    if not rows:
        return [], []
    rejected: list[tuple[Row, list[str]]] = []
    try:
        with command_batch(ctx, actor) as scope:
            placed = _place(scope, premises, rows, rejected)
    except IntegrityError as exc:
        if len(rows) == 1:
            translated = translate_integrity_error(exc)
            return [], [(rows[0], [translated.message if translated else "conflicts with an appointment already here"])]
        half = len(rows) // 2
        first, first_rejected = write_batch(ctx, actor, premises, rows[:half])
        second, second_rejected = write_batch(ctx, actor, premises, rows[half:])
        return first + second, first_rejected + second_rejected
    except FrontCounterError as exc:  # text a database cannot hold, refused by the write path
        if len(rows) == 1:
            return [], [(rows[0], [exc.message])]
        half = len(rows) // 2
        first, first_rejected = write_batch(ctx, actor, premises, rows[:half])
        second, second_rejected = write_batch(ctx, actor, premises, rows[half:])
        return first + second, first_rejected + second_rejected
    return placed, rejected
