"""Free slots: the slot finder (booking itself is in ``booking``).

Used by the counter's walk-in dialog and by the FCR's booking dialog, so it is general: a slot
lasts the visit's duration (15 minutes to 8 hours) and starts on the station's own granularity
(``Policy.slot_minutes``, 15 minutes unless set) counted from the start of one of its opening
sessions, so a walk-in is offered the earliest quarter-hour from now, not the next whole hour; in a room that is active and has the features the visitor needs, with an officer on appointment
duty who speaks the visitor's language, has the specialism asked for, and has no other appointment
then. The database refuses a double booking in any case (exclusion constraints / triggers); the
checks here exist to offer only slots that will go through and to say clearly why one did not.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import NullType

from frontcounter.db.models import (
    RELEASED_STATUSES,
    Appointment,
    Duty,
    Officer,
    OpeningSession,
    Room,
    Station,
)
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import LONDON, local, local_day_bounds
from frontcounter.services.core.commands import guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import NotFound, ValidationError
from frontcounter.services.core.permissions import Action
from frontcounter.services.scheduling.matching import haversine_km, is_english, speaks, trained

logger = logging.getLogger(__name__)

#: How many times a new reference is drawn again when the centre says it is taken.
REFERENCE_ATTEMPTS = 5
#: No appointment is longer than this; it also bounds how far back the finder looks for overlaps.
MAX_DURATION = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class SlotNeeds:
    """What the visitor needs from the room and the officer."""

    step_free: bool = False
    hearing_loop: bool = False
    video_link: bool = False
    child_friendly: bool = False
    #: A language the officer must speak ("Urdu", "BSL"); English is assumed of every officer.
    language: str | None = None
    #: An officer specialism, matched loosely ("sexual offences" matches "sexual offences (SOIT)").
    specialism: str | None = None
    duration_minutes: int = 60
    #: A video appointment: at a station that requires it (``Station.video_room_required``) only
    #: rooms with a video link; elsewhere any suitable room (the officer takes the call there).
    video_call: bool = False

    def describe(self) -> str:
        """The needs in words, for "no free slot with …" messages."""
        parts = [
            text
            for on, text in (
                (self.step_free, "a step-free room"),
                (self.hearing_loop, "a hearing loop"),
                (self.video_link, "a video link"),
                (self.child_friendly, "a child-friendly room"),
            )
            if on
        ]
        if self.language and not is_english(self.language):
            parts.append(f"an officer who speaks {self.language}")
        if self.specialism:
            parts.append(f"a {self.specialism} trained officer")
        if self.video_call:
            parts.append("a video appointment")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Slot:
    """One bookable time at one station, with the room and officer the finder chose for it."""

    station_id: uuid.UUID
    station_code: str
    station_name: str
    start: datetime
    end: datetime
    room_id: uuid.UUID
    room_name: str
    officer_id: uuid.UUID
    officer_label: str
    officer_languages: tuple[str, ...]
    #: From the first station asked about (0 for that station itself), or from the caller's place
    #: when the search had an ``origin``.
    distance_km: float = 0.0


# ---------------------------------------------------------------------------------------------
# Finding slots


def _overlaps(intervals: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    return any(s < end and start < e for s, e in intervals)


def _wall(day: date, t: time) -> datetime:
    return datetime.combine(day, t, tzinfo=LONDON).astimezone(UTC)


def _session_slots(day: date, start_time: time, end_time: time, step: timedelta,
                   duration: timedelta) -> list[tuple[datetime, datetime]]:
    """Slots of one session on one day, aligned to its start (a session may end after midnight)."""
    start = _wall(day, start_time)
    end = _wall(day + timedelta(days=1) if end_time <= start_time else day, end_time)
    out = []
    t = start
    while t + duration <= end:
        out.append((t, t + duration))
        t += step
    return out


@dataclass(frozen=True, slots=True)
class _RoomInfo:
    key: str  # the id as 32 hex digits (see _key)
    id: uuid.UUID
    name: str


@dataclass(frozen=True, slots=True)
class _OfficerInfo:
    key: str
    id: uuid.UUID
    label: str
    collar: str
    languages: tuple[str, ...]


Interval = tuple[datetime, datetime]


@dataclass
class _Period:
    """What the finder loads once for a set of stations and days, then computes on in Python.

    Keys are ids as hex strings and London days: a slot's checks look at that day's few bookings.
    """

    sessions: dict[str, dict[int, list[tuple[time, time]]]]
    rooms: dict[str, list[_RoomInfo]]
    #: By (station, day): the officers available then, from when and until when.
    duties: dict[tuple[str, date], list[tuple[str, datetime, datetime]]]
    officers: dict[str, _OfficerInfo]
    room_busy: dict[tuple[str, date], list[Interval]]
    officer_busy: dict[tuple[str, date], list[Interval]]


_JUST_BEFORE = timedelta(microseconds=1)


def _days_of(start: datetime, end: datetime) -> list[date]:
    """The London days an interval touches (usually one)."""
    first, last = start.astimezone(LONDON).date(), (end - _JUST_BEFORE).astimezone(LONDON).date()
    if first == last:
        return [first]
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _raw(column: Any) -> Any:
    """The column as the driver hands it back, without SQLAlchemy's conversion of each value.

    A search reads hundreds of duty and booking rows, and making each id a ``uuid.UUID`` and each
    time an aware datetime through the type system cost more than running the queries. ``_key``
    and ``_utc`` do what the finder needs instead, for PostgreSQL's native values and for SQLite's
    stored text alike (32 hex digits and naive UTC: the forms SQLAlchemy writes, and the ones the
    double-booking triggers already compare).
    """
    return type_coerce(column, NullType())


def _key(value: str | uuid.UUID) -> str:
    """An id as 32 lower-case hex digits: cheap to hash, the same from either database."""
    return value if isinstance(value, str) else value.hex


_from_iso = datetime.fromisoformat


def _utc(value: str | datetime) -> datetime:
    if isinstance(value, str):
        return _from_iso(value).replace(tzinfo=UTC)
    return value.astimezone(UTC)


# The finder's queries, built once: each search only binds its stations and period, so no
# statement is constructed (and no cache key computed from a fresh one) per search.
_STATIONS: BindParameter[Any] = bindparam("stations", expanding=True)
_SESSIONS_QUERY = select(
    OpeningSession.station_id, OpeningSession.weekday, OpeningSession.start_time, OpeningSession.end_time
).where(OpeningSession.station_id.in_(_STATIONS), OpeningSession.deleted.is_(False))
_ROOMS_QUERY = select(
    Room.id, Room.station_id, Room.name, Room.step_free, Room.hearing_loop, Room.video_link, Room.child_friendly
).where(Room.station_id.in_(_STATIONS), Room.active.is_(True), Room.deleted.is_(False))
_VIDEO_RULE_QUERY = select(Station.id, Station.video_room_required).where(Station.id.in_(_STATIONS))
_IN_PERIOD = (Duty.station_id.in_(_STATIONS), Duty.deleted.is_(False), Duty.start_at < bindparam("end"),
              Duty.end_at > bindparam("start"))
_DUTIES_QUERY = select(_raw(Duty.officer_id), _raw(Duty.station_id), _raw(Duty.start_at), _raw(Duty.end_at),
                       _raw(Duty.withdrawn_at)).where(*_IN_PERIOD)
_OFFICERS_QUERY = select(
    Officer.id, Officer.rank, Officer.collar_number, Officer.name, Officer.languages, Officer.specialisms
).where(Officer.id.in_(select(Duty.officer_id).where(*_IN_PERIOD)), Officer.active.is_(True),
        Officer.deleted.is_(False))
_LIVE = (Appointment.deleted.is_(False), Appointment.status.not_in(RELEASED_STATUSES),
         Appointment.start_at >= bindparam("since"), Appointment.start_at < bindparam("end"))
_BUSY = (_raw(Appointment.room_id), _raw(Appointment.officer_id), _raw(Appointment.start_at),
         _raw(Appointment.end_at))
# Two indexed queries that never return the same row, rather than one with OR: these stations'
# bookings, then their officers' bookings elsewhere (an officer may work at two stations).
_BUSY_HERE_QUERY = select(*_BUSY).where(Appointment.station_id.in_(_STATIONS), *_LIVE)
_BUSY_ELSEWHERE_QUERY = select(*_BUSY).where(
    Appointment.officer_id.in_(bindparam("officers", expanding=True)), Appointment.station_id.not_in(_STATIONS),
    *_LIVE)

_ROOM_FEATURES = ("step_free", "hearing_loop", "video_link", "child_friendly")


def _load_period(session: Session, station_ids: list[uuid.UUID], needs: SlotNeeds,
                 start: datetime, end: datetime) -> _Period:
    connection = session.connection()
    sessions: dict[str, dict[int, list[tuple[time, time]]]] = defaultdict(lambda: defaultdict(list))
    for sid, weekday, s, e in connection.execute(_SESSIONS_QUERY, {"stations": station_ids}):
        sessions[sid.hex][weekday].append((s, e))

    wanted = [f for f in _ROOM_FEATURES if getattr(needs, f)]
    video_rooms_only = {sid for sid, required in connection.execute(_VIDEO_RULE_QUERY, {"stations": station_ids})
                        if required} if needs.video_call else set()
    # The plainest suitable room first: keep the step-free and family rooms for those who need them.
    found_rooms = sorted(
        (r for r in connection.execute(_ROOMS_QUERY, {"stations": station_ids})
         if all(getattr(r, f) for f in wanted) and (r.video_link or r.station_id not in video_rooms_only)),
        key=lambda r: (_extras(r, needs), r.name.casefold()))
    rooms: dict[str, list[_RoomInfo]] = defaultdict(list)
    for room in found_rooms:
        rooms[room.station_id.hex].append(_RoomInfo(room.id.hex, room.id, room.name))
    # A station with no suitable room offers nothing: its duties and bookings need not be read
    # (a need no station meets, a hearing loop where none is fitted, read nothing more at all).
    station_ids = [sid for sid in station_ids if sid.hex in rooms]
    if not station_ids:
        return _Period(sessions, rooms, {}, {}, {}, {})

    in_period = {"stations": station_ids, "start": start, "end": end}
    officers = {
        o.id.hex: _OfficerInfo(o.id.hex, o.id, f"{o.rank} {o.collar_number} {o.name}", o.collar_number,
                               tuple(o.languages or ()))
        for o in connection.execute(_OFFICERS_QUERY, in_period)
        if speaks(o.languages or (), needs.language) and trained(o.specialisms or (), needs.specialism)
    }
    duties: dict[tuple[str, date], list[tuple[str, datetime, datetime]]] = defaultdict(list)
    if officers:
        for officer_id, station_id, d_start, d_end, withdrawn in connection.execute(_DUTIES_QUERY, in_period):
            officer_key = _key(officer_id)
            if officer_key not in officers:
                continue
            d_start, d_end = _utc(d_start), _utc(d_end)
            available_until = min(d_end, _utc(withdrawn)) if withdrawn is not None else d_end
            if available_until > d_start:
                for day in _days_of(d_start, available_until):
                    duties[(_key(station_id), day)].append((officer_key, d_start, available_until))

    period = {"stations": station_ids, "since": start - MAX_DURATION, "end": end}
    queries = [(_BUSY_HERE_QUERY, period)]
    if officers:
        queries.append((_BUSY_ELSEWHERE_QUERY, {**period, "officers": [o.id for o in officers.values()]}))
    room_busy: dict[tuple[str, date], list[Interval]] = defaultdict(list)
    officer_busy: dict[tuple[str, date], list[Interval]] = defaultdict(list)
    for query, params in queries:
        for room_id, busy_officer, a_start, a_end in connection.execute(query, params):
            interval = (_utc(a_start), _utc(a_end))
            if interval[1] <= start:
                continue
            room_key = _key(room_id)
            busy_key = _key(busy_officer) if busy_officer is not None else None
            for day in _days_of(*interval):
                room_busy[(room_key, day)].append(interval)
                if busy_key is not None:
                    officer_busy[(busy_key, day)].append(interval)
    return _Period(sessions, rooms, duties, officers, room_busy, officer_busy)


def _extras(room: Any, needs: SlotNeeds) -> int:
    """How many features the room (a ``Room`` or a row with its feature columns) has that the
    visitor does not need."""
    return sum(1 for f in _ROOM_FEATURES if getattr(room, f) and not getattr(needs, f))


def _officer_label(officer: Officer) -> str:
    return f"{officer.rank} {officer.collar_number} {officer.name}"


@dataclass(frozen=True, slots=True)
class _StationInfo:
    id: uuid.UUID
    code: str
    name: str
    distance_km: float


def _station_slots(station: _StationInfo, period: _Period, days: list[date], step: timedelta,
                   duration: timedelta, not_before: datetime, limit: int) -> list[Slot]:
    """The station's free slots on ``days``, earliest first.

    Times are instants (UTC), never wall-clock arithmetic: a session's wall times are turned into
    instants on each date (``_session_slots``), so October's repeated hour gives its slots twice
    (01:30 BST, then 01:30 GMT) and March's skipped hour gives none. A slot belongs to the London
    day it starts on, so a session that runs past midnight (20:00-02:00) gives the next day its
    small hours -- the day before's session is read too, or a walk-in at 00:10 would find nothing --
    and every check (bookings, duties) looks at the days the slot itself touches, not at the day
    its session began on, or a booking at 00:30 would not be seen and the slot offered again.
    """
    key = station.id.hex
    rooms = period.rooms.get(key, [])
    if not rooms:
        return []
    out: list[Slot] = []
    nothing: list[Interval] = []
    room_busy, officer_busy, officers = period.room_busy, period.officer_busy, period.officers
    distance = round(station.distance_km, 1)
    wanted_days = set(days)
    weekly = period.sessions.get(key, {})
    times = sorted({
        slot for d in (days[0] - timedelta(days=1), *days) for s, e in weekly.get(d.weekday(), [])
        for slot in _session_slots(d, s, e, step, duration) if slot[0] >= not_before
    })
    # Per day, the rooms and officers with their bookings, looked up once rather than per time; the
    # least-loaded officer that day first (then by collar number), so visitors are shared out.
    rooms_on: dict[date, list[tuple[_RoomInfo, list[Interval]]]] = {}
    officers_on: dict[date, list[tuple[list[Interval], _OfficerInfo, datetime, datetime]]] = {}

    def day_rooms(day: date) -> list[tuple[_RoomInfo, list[Interval]]]:
        if day not in rooms_on:
            rooms_on[day] = [(room, room_busy.get((room.key, day), nothing)) for room in rooms]
        return rooms_on[day]

    def day_officers(day: date) -> list[tuple[list[Interval], _OfficerInfo, datetime, datetime]]:
        if day not in officers_on:
            officers_on[day] = sorted(
                ((officer_busy.get((o, day), nothing), officers[o], d_start, d_end)
                 for o, d_start, d_end in period.duties.get((key, day), [])),
                key=lambda d: (len(d[0]), d[1].collar))
        return officers_on[day]

    for start, end in times:
        touched = _days_of(start, end)
        day = touched[0]
        if day not in wanted_days:
            continue
        on_duty = day_officers(day)
        if not on_duty:
            continue
        later = touched[1:]  # a slot across midnight: the next day's bookings count too
        room = next((r for r, busy in day_rooms(day) if not _overlaps(busy, start, end)
                     and not any(_overlaps(room_busy.get((r.key, d), nothing), start, end) for d in later)), None)
        if room is None:
            continue
        officer = next((o for busy, o, d_start, d_end in on_duty
                        if d_start <= start and end <= d_end and not _overlaps(busy, start, end)
                        and not any(_overlaps(officer_busy.get((o.key, d), nothing), start, end) for d in later)),
                       None)
        if officer is None:
            continue
        out.append(Slot(
            station_id=station.id, station_code=station.code, station_name=station.name, start=start,
            end=end, room_id=room.id, room_name=room.name, officer_id=officer.id,
            officer_label=officer.label, officer_languages=officer.languages, distance_km=distance,
        ))
        if len(out) >= limit:
            return out
    return out


def _nearest_first(session: Session, codes: list[str],
                   origin: tuple[float, float] | None = None) -> list[_StationInfo]:
    """The stations asked about, the first one first and the rest by distance from it; with an
    ``origin`` (the caller's place), all of them by distance from there."""
    by_code = {
        row.code: row
        for row in session.execute(
            select(Station.id, Station.code, Station.name, Station.latitude, Station.longitude)
            .where(Station.code.in_(codes), Station.deleted.is_(False)))
    }
    missing = [c for c in codes if c not in by_code]
    if missing:
        raise NotFound(f"No station with code {missing[0]!r}.")
    rows = list(dict.fromkeys(by_code[c] for c in codes))
    first = rows[0]
    lat, lon = origin if origin is not None else (first.latitude, first.longitude)
    stations = [_StationInfo(r.id, r.code, r.name, haversine_km(lat, lon, r.latitude, r.longitude))
                for r in rows]
    # Stable: stations at the same distance keep the order they were asked in.
    stations.sort(key=lambda s: (s.distance_km, origin is None and s.code != first.code))
    return stations


def find_slots(
    ctx: ServiceContext,
    actor: Actor,
    needs: SlotNeeds,
    *,
    station_codes: Sequence[str] | None = None,
    start_day: date | None = None,
    days: int = 1,
    limit: int = 10,
    not_before: datetime | None = None,
    origin: tuple[float, float] | None = None,
) -> list[Slot]:
    """Free slots, earliest first; with several stations, nearest to the first one first (or to
    ``origin``, the caller's latitude and longitude, when given).

    One slot per station and time, with the plainest suitable room and the least-loaded suitable
    officer on duty. ``not_before`` (default now) drops slots that start earlier. Needs
    ``book`` permission at every station asked about.

    Every slot of a nearer station comes before any of a farther one, so the stations are read
    nearest first in rounds, stopping once ``limit`` slots are found: a search the nearest station
    answers (the usual case) reads only that station's rows. Each round is at least twice the last
    and as large as the yield so far says will fill the limit, so asking for every slot takes two
    rounds and a rare need a handful, rather than one set of queries per station.

    Authority: a station cache holds only its own station's duties and appointments, so at a
    station (``ctx.mode == "station"``) the answer is only complete for that station; another
    station's slots are only authoritative at the centre (``ctx.mode == "central"``), where the
    FCR books. The database still refuses any double booking either way.
    """
    now = ctx.clock.now()
    not_before = now if not_before is None else not_before
    if days < 1 or days > 62:
        raise ValidationError("Search between 1 and 62 days at a time.")
    if needs.duration_minutes < 5 or timedelta(minutes=needs.duration_minutes) > MAX_DURATION:
        raise ValidationError("An appointment lasts between 5 minutes and 8 hours.")
    codes = list(station_codes or [actor.station_code or ctx.station_code or ""])
    first_day = start_day or local(max(now, not_before)).date()
    period_start = local_day_bounds(first_day)[0]
    period_end = local_day_bounds(first_day + timedelta(days=days - 1))[1]
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    step = timedelta(minutes=ctx.policy.slot_minutes)
    duration = timedelta(minutes=needs.duration_minutes)
    guard(ctx, actor, Action.BOOK, action="booking.find_slots", record=None)
    found: list[Slot] = []
    with ctx.read() as session:
        stations = _nearest_first(session, codes, origin)
        for station in stations:
            guard(ctx, actor, Action.BOOK, station_id=station.id, action="booking.find_slots",
                  record=f"station:{station.code}")
        batch, done = 1, 0
        while stations and len(found) < limit:
            chunk, stations = stations[:batch], stations[batch:]
            # (to the end of the last day's last slot, which may run past midnight)
            period = _load_period(session, [s.id for s in chunk], needs, period_start, period_end + duration)
            for station in chunk:
                found += _station_slots(station, period, day_list, step, duration, not_before, limit - len(found))
                if len(found) >= limit:
                    break
            done += len(chunk)
            # The next round: as many stations as the rate so far says will fill the limit, and at
            # least twice the last round (a need few stations meet yields nothing for a while).
            batch = max(2 * batch, math.ceil((limit - len(found)) * done / len(found)) if found else 0)
    return found
