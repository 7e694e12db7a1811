"""Figures for station managers: are appointments kept, and are visitors satisfied?

The force runs this scheme so that appointments are kept and satisfaction rises; this module
answers whether that is happening, per station, over a chosen period. It computes; it draws
nothing (the reports view, the CLI and ``report_export`` show what it returns).

Definitions (the README and the report text say the same):

- **Period**: whole Europe/London days ``date_from`` to ``date_to`` inclusive. Every appointment
  is counted in the period by its *start* in Europe/London: an evening appointment that runs past
  midnight belongs to the day it started.
- **Booked**: every appointment record starting in the period (each link of a reschedule chain
  is a record of its own). Every record has exactly one outcome, so the outcomes add up to booked:
  **kept** (completed: the visitor was seen and the meeting closed), **postponed** (rescheduled),
  **cancelled**, **no-show**, **left unseen** (arrived, left before being seen) and **still
  open** (booked, arrived or in progress: the appointment has not ended, or nobody closed it).
- **Postponed**: a reschedule of a reschedule counts once for each record rescheduled; the final
  outcome is counted on the last link (whatever became of the visitor's last appointment).
- **Kept rate**: kept / (booked − still open). Postponed and cancelled records count against it:
  the point of the scheme is that the appointment made is the appointment kept.
- **Cancelled (and postponed) by reason**, from ``cancel_reason``: operational demand (the police
  side, e.g. the officer was pulled away), visitor request, and duplicate/other/not given.
- **No-shows** and their follow-ups (open, done, cancelled): a cancelled follow-up does not make
  the appointment cancelled; it stays a no-show.
- **At risk**: appointments flagged ``at_risk`` (officer pulled away, not yet replaced), by outcome.
- **Wait**: ``seen_at − arrived_at`` for every visitor with both times. The average is exact
  (minutes, one decimal); the 90th percentile is by nearest rank over waits rounded *up* to whole
  minutes ("90% were seen within N minutes" is then true). Wait bands use the same rounding:
  up to 5, 5–10, 10–15, 15–30, over 30 minutes.
- **Room utilisation**: booked hours (appointments not released, i.e. not cancelled or
  rescheduled; no-shows held the room and count) / the room's open hours, which are the station's
  opening-session hours on each day of the period (a session ending at or before its start time
  runs past midnight).
- **Officer hours used**: the same booked hours per officer / their appointment-duty hours at the
  station (duties by their start in the period, cut short at ``withdrawn_at``).
- **Satisfaction**: ratings 1–5 given at departure, by the week (Monday to Sunday) of the
  appointment's start; average rating, number of responses, and "satisfied" = rating 4 or 5.

Speed: a year of 11 stations (~80,000 appointments) is the case to plan for (<= 200 ms), so every
figure is aggregated in the database and only grouped rows reach Python. One pass along the index
``ix_appointments_report``, whose leading columns are the groups (station, room, officer, status,
at risk, reason) and which holds every column a report reads, counts outcomes, reasons, at risk and
room and officer hours, and lists each group's waits, week-and-rating pairs and no-show ids for
Python to count: SQLite, which has no hash aggregate, walks that index in group order without
sorting or touching the table, where grouping by a wait or a week would make it sort the year's
rows. Follow-ups are matched to the listed no-shows in Python; duties are summed along
``ix_duties_report`` the same way. The one thing SQL cannot do portably, the Europe/London week of
a UTC timestamp, is integer arithmetic on the day number plus the DST offset, whose transitions
Python supplies (no database needs time-zone data). ``bench/bench_reports.py`` measures it
against a plain ``GROUP BY status`` over the same rows.

A station cache holds its own station's appointments only, so force-wide reports need the centre
(``ctx.mode == "central"``); at a station the FCR sees that station and a note says why.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Session

from frontcounter.db.models import (
    RELEASED_STATUSES,
    Appointment,
    CancelReason,
    Duty,
    FollowUp,
    Officer,
    OpeningSession,
    Room,
    Station,
    Status,
)
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import AppointmentView, load_lookups, station_by_code, to_views
from frontcounter.services.core.clock import LONDON, local_day_bounds
from frontcounter.services.core.commands import audit, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import PermissionDenied, ValidationError
from frontcounter.services.core.permissions import FORCE_WIDE_ROLES, Action

logger = logging.getLogger(__name__)

#: Every appointment record has exactly one of these outcomes.
OUTCOMES: tuple[str, ...] = ("kept", "postponed", "cancelled", "no_show", "left_unseen", "open")
OUTCOME_STATUSES: dict[str, tuple[str, ...]] = {
    "kept": (Status.COMPLETED.value,),
    "postponed": (Status.RESCHEDULED.value,),
    "cancelled": (Status.CANCELLED.value,),
    "no_show": (Status.NO_SHOW.value,),
    "left_unseen": (Status.LEFT_UNSEEN.value,),
    "open": (Status.BOOKED.value, Status.ARRIVED.value, Status.IN_PROGRESS.value),
}
OUTCOME_OF_STATUS: dict[str, str] = {s: o for o, statuses in OUTCOME_STATUSES.items() for s in statuses}
OUTCOME_LABELS: dict[str, str] = {
    "kept": "Kept",
    "postponed": "Postponed",
    "cancelled": "Cancelled",
    "no_show": "No-show",
    "left_unseen": "Left unseen",
    "open": "Still open",
}

REASON_GROUPS: tuple[str, ...] = ("operational_demand", "visitor_request", "other")
REASON_LABELS: dict[str, str] = {
    "operational_demand": "Operational demand",
    "visitor_request": "Visitor request",
    "other": "Duplicate or other",
}
_NAMED_REASONS = (CancelReason.OPERATIONAL_DEMAND.value, CancelReason.VISITOR_REQUEST.value)

#: Wait bands over waits rounded up to whole minutes: (key, above, up to and including).
WAIT_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-5", -1, 5),
    ("5-10", 5, 10),
    ("10-15", 10, 15),
    ("15-30", 15, 30),
    ("30+", 30, None),
)
WAIT_BAND_LABELS: dict[str, str] = {
    "0-5": "Up to 5 min", "5-10": "5–10 min", "10-15": "10–15 min", "15-30": "15–30 min", "30+": "Over 30 min",
}

FOLLOW_UP_STATES: tuple[str, ...] = ("open", "done", "cancelled")
SATISFIED_FROM = 4  # a rating of 4 or 5 is "satisfied"
SECONDS_PER_HOUR = 3600


# --- What the report returns ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoomUse:
    room_id: uuid.UUID
    station_code: str
    name: str
    booked_hours: float
    open_hours: float
    appointments: int

    @property
    def utilisation(self) -> float | None:
        """Booked / open hours (may pass 1.0 when rooms are booked outside the sessions)."""
        return self.booked_hours / self.open_hours if self.open_hours else None


@dataclass(frozen=True, slots=True)
class OfficerUse:
    officer_id: uuid.UUID
    station_code: str
    label: str
    appointment_hours: float
    duty_hours: float
    appointments: int

    @property
    def used(self) -> float | None:
        return self.appointment_hours / self.duty_hours if self.duty_hours else None


@dataclass(frozen=True, slots=True)
class WeekSatisfaction:
    week_start: date  # a Monday
    responses: int
    rating_sum: int
    satisfied: int

    @property
    def average(self) -> float | None:
        return self.rating_sum / self.responses if self.responses else None


@dataclass(frozen=True)
class Figures:
    """Every figure for one station, or for the whole scope of a report."""

    outcomes: Mapping[str, int]
    cancelled_by_reason: Mapping[str, int]
    postponed_by_reason: Mapping[str, int]
    at_risk_outcomes: Mapping[str, int]
    follow_ups: Mapping[str, int]
    #: (wait in whole minutes rounded up, how many visitors), ascending.
    wait_histogram: tuple[tuple[int, int], ...]
    wait_seconds: int
    open_hours: float  # the station's session hours in the period (summed over stations for a total)
    rooms: tuple[RoomUse, ...]
    officers: tuple[OfficerUse, ...]
    satisfaction: tuple[WeekSatisfaction, ...]

    @property
    def booked(self) -> int:
        return sum(self.outcomes.values())

    def outcome(self, key: str) -> int:
        return self.outcomes.get(key, 0)

    @property
    def kept(self) -> int:
        return self.outcome("kept")

    @property
    def postponed(self) -> int:
        return self.outcome("postponed")

    @property
    def cancelled(self) -> int:
        return self.outcome("cancelled")

    @property
    def no_show(self) -> int:
        return self.outcome("no_show")

    @property
    def kept_rate(self) -> float | None:
        ended = self.booked - self.outcome("open")
        return self.kept / ended if ended else None

    @property
    def at_risk(self) -> int:
        return sum(self.at_risk_outcomes.values())

    @property
    def waits(self) -> int:
        return sum(n for _, n in self.wait_histogram)

    @property
    def wait_average(self) -> float | None:
        """Average minutes from arrival to being seen (exact, not rounded up)."""
        return self.wait_seconds / 60 / self.waits if self.waits else None

    @property
    def wait_p90(self) -> int | None:
        """90th-percentile wait by nearest rank, in whole minutes rounded up."""
        return percentile_from_histogram(self.wait_histogram, 90)

    @property
    def wait_bands(self) -> dict[str, int]:
        return {key: sum(n for minutes, n in self.wait_histogram if _in_band(minutes, above, upto))
                for key, above, upto in WAIT_BANDS}

    @property
    def room_booked_hours(self) -> float:
        return sum(r.booked_hours for r in self.rooms)

    @property
    def room_open_hours(self) -> float:
        return sum(r.open_hours for r in self.rooms)

    @property
    def room_utilisation(self) -> float | None:
        open_hours = self.room_open_hours
        return self.room_booked_hours / open_hours if open_hours else None

    @property
    def appointment_hours(self) -> float:
        return sum(o.appointment_hours for o in self.officers)

    @property
    def duty_hours(self) -> float:
        return sum(o.duty_hours for o in self.officers)

    @property
    def officer_hours_used(self) -> float | None:
        return self.appointment_hours / self.duty_hours if self.duty_hours else None

    @property
    def feedback_responses(self) -> int:
        return sum(w.responses for w in self.satisfaction)

    @property
    def feedback_average(self) -> float | None:
        responses = self.feedback_responses
        return sum(w.rating_sum for w in self.satisfaction) / responses if responses else None

    @property
    def feedback_satisfied_rate(self) -> float | None:
        responses = self.feedback_responses
        return sum(w.satisfied for w in self.satisfaction) / responses if responses else None


@dataclass(frozen=True)
class StationReport:
    code: str
    name: str
    figures: Figures


@dataclass(frozen=True)
class Report:
    date_from: date
    date_to: date
    generated_at: datetime
    #: The one station asked for, or None for every station in reach.
    station_code: str | None
    scope_label: str
    stations: tuple[StationReport, ...]
    total: Figures
    #: The Mondays of the weeks the period touches (the satisfaction chart's x axis).
    weeks: tuple[date, ...]
    #: Said under the report when its scope is narrower than asked (a station cache).
    note: str | None = None

    def figures_for(self, code: str | None) -> Figures:
        if code is None:
            return self.total
        for station in self.stations:
            if station.code == code:
                return station.figures
        raise KeyError(code)


# --- Small pure helpers (tested directly) --------------------------------------------------


def _in_band(minutes: int, above: int, upto: int | None) -> bool:
    return minutes > above and (upto is None or minutes <= upto)


def percentile_from_histogram(histogram: Iterable[tuple[int, int]], pct: int) -> int | None:
    """The nearest-rank percentile of values given as (value, count) pairs."""
    pairs = sorted(histogram)
    n = sum(count for _, count in pairs)
    if n == 0:
        return None
    rank = (pct * n + 99) // 100  # ceil(pct/100 × n), the nearest rank
    seen = 0
    for value, count in pairs:
        seen += count
        if seen >= rank:
            return value
    return pairs[-1][0]  # pragma: no cover - rank never exceeds n


def reason_group(cancel_reason: str | None) -> str:
    return cancel_reason if cancel_reason in _NAMED_REASONS else "other"


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_weeks(date_from: date, date_to: date) -> tuple[date, ...]:
    first, last = week_start(date_from), week_start(date_to)
    return tuple(first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1))


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """UTC [start, end) of the Europe/London days date_from..date_to inclusive."""
    return local_day_bounds(date_from)[0], local_day_bounds(date_to)[1]


def session_hours(start: time, end: time) -> float:
    """Wall-clock length of a session; one that ends at or before its start runs past midnight."""
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if minutes <= 0:
        minutes += 24 * 60
    return minutes / 60


def open_hours(sessions: Iterable[tuple[int, time, time]], date_from: date, date_to: date) -> float:
    """A station's opening-session hours over the days of the period."""
    per_weekday: dict[int, float] = defaultdict(float)
    for weekday, start, end in sessions:
        per_weekday[weekday] += session_hours(start, end)
    days = (date_to - date_from).days + 1
    whole_weeks, rest = divmod(max(days, 0), 7)
    first = date_from.weekday()
    # Each weekday comes whole_weeks times, and once more if it falls in the last part-week.
    return sum(hours * (whole_weeks + ((weekday - first) % 7 < rest)) for weekday, hours in per_weekday.items())


def london_offset_spans(start: datetime, end: datetime) -> list[tuple[datetime, datetime, int]]:
    """[(from, to, UTC offset in seconds)] covering [start, end) in Europe/London."""

    def offset(at: datetime) -> int:
        delta = at.astimezone(LONDON).utcoffset()
        return int(delta.total_seconds()) if delta else 0

    spans: list[tuple[datetime, datetime, int]] = []
    span_start, current = start, offset(start)
    day = start
    while day < end:
        following = min(day + timedelta(days=1), end)
        if offset(following) != current:
            change = day
            while offset(change) == current:  # transitions fall on whole hours
                change += timedelta(hours=1)
            spans.append((span_start, change, current))
            span_start, current = change, offset(change)
        day = following
    spans.append((span_start, end, current))
    return spans


# --- SQL building blocks -------------------------------------------------------------------


def _seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[int]:
    """Whole seconds from ``start`` to ``end`` (two stored UTC timestamps), rounded.

    SQLite's ``julianday`` is the cheapest date arithmetic it has (cheaper than ``strftime``),
    which matters when it runs on every row of a year.
    """
    if dialect == "sqlite":
        return cast(func.round((func.julianday(end) - func.julianday(start)) * 86400), Integer)
    return cast(func.round(extract("epoch", end - start)), BigInteger)


def _wait_seconds(dialect: str) -> ColumnElement[int]:
    return _seconds_between(dialect, Appointment.arrived_at, Appointment.seen_at)


def _wait_minutes(dialect: str) -> ColumnElement[int]:
    return (_wait_seconds(dialect) + 59) // 60  # integer division: rounded up to whole minutes


def _london_day(dialect: str, column: Any, spans: list[tuple[datetime, datetime, int]]) -> ColumnElement[int]:
    """The Europe/London calendar day of a stored UTC timestamp, as an integer day number.

    The UTC offset comes from ``spans`` (the DST transitions in the period, from zoneinfo), so
    no database needs time-zone data. SQLite numbers days as Julian Day Numbers, PostgreSQL as
    days since 1970; ``_day_anchor`` gives a date's number on the same scale.
    """
    summer = [(and_(column >= a, column < b), off) for a, b, off in spans if off]
    if dialect == "sqlite":
        # julianday() is x.5 at midnight; the epsilon keeps float noise from moving a midnight start
        # to the day before. The constants are added up here, once, rather than on every row.
        shift = 0.5 + 1e-7
        shifted: Any = case(*[(c, off / 86400 + shift) for c, off in summer], else_=shift) if summer else shift
        return cast(func.julianday(column) + shifted, Integer)
    offset: Any = case(*summer, else_=0) if summer else 0
    return cast(func.floor((extract("epoch", column) + offset) / 86400), BigInteger)


def _day_anchor(dialect: str, day: date) -> int:
    if dialect == "sqlite":
        return day.toordinal() + 1721425  # the Julian Day Number of ``day``
    return (day - date(1970, 1, 1)).days


def _has_wait() -> ColumnElement[bool]:
    """Arrived and seen, in that order: NULL (so not true) when either time is missing."""
    return Appointment.seen_at >= Appointment.arrived_at


def _held() -> ColumnElement[bool]:
    """The appointment still holds its room and officer (not cancelled, not rescheduled)."""
    return Appointment.status.not_in(RELEASED_STATUSES)


def _reason_clause(group: str) -> ColumnElement[bool]:
    if group in _NAMED_REASONS:
        return Appointment.cancel_reason == group
    if group == "other":
        return or_(Appointment.cancel_reason.is_(None), Appointment.cancel_reason.not_in(_NAMED_REASONS))
    raise ValidationError(f"Unknown reason {group!r}.")


@dataclass
class _Scope:
    stations: list[Station]
    #: None: every station in the database (no station filter needed, the fast path).
    station_ids: list[uuid.UUID] | None
    station_code: str | None
    label: str
    note: str | None
    start: datetime
    end: datetime

    def appointment_clauses(self) -> list[ColumnElement[bool]]:
        clauses = [Appointment.start_at >= self.start, Appointment.start_at < self.end,
                   Appointment.deleted.is_(False)]
        if self.station_ids is not None:
            clauses.append(Appointment.station_id.in_(self.station_ids))
        return clauses


def _resolve_scope(
    ctx: ServiceContext, actor: Actor, session: Session, date_from: date, date_to: date,
    station_code: str | None, action: str,
) -> _Scope:
    """Who may see what: a supervisor their station, the FCR all stations (or one)."""
    if date_to < date_from:
        raise ValidationError("The period ends before it starts: choose a 'to' date on or after the 'from' date.")
    record = f"report:{station_code or 'all'}:{date_from.isoformat()}..{date_to.isoformat()}"
    guard(ctx, actor, Action.VIEW_REPORTS, action=action, record=record)
    start, end = period_bounds(date_from, date_to)
    here = ctx.station_code if ctx.mode == "station" else None
    if station_code is None and actor.role not in FORCE_WIDE_ROLES:
        station_code = actor.station_code
    if station_code is not None:
        station = station_by_code(session, station_code)
        try:
            guard(ctx, actor, Action.VIEW_REPORTS, station_id=station.id, action=action, record=record)
        except PermissionDenied:  # audited by guard; say it in report terms
            raise PermissionDenied(
                f"You can report on your own station ({actor.station_code}) only; the FCR reports on others."
            ) from None
        if here is not None and station.code != here:
            raise ValidationError(
                f"This workstation holds only {here}'s appointments: report on {station.name} from the centre."
            )
        note = _cache_note(station) if here is not None and actor.role in FORCE_WIDE_ROLES else None
        return _Scope([station], [station.id], station.code, station.name, note, start, end)
    if here is not None:
        station = station_by_code(session, here)
        return _Scope([station], [station.id], None, station.name, _cache_note(station), start, end)
    stations = list(session.scalars(
        select(Station).where(Station.deleted.is_(False), Station.active.is_(True)).order_by(Station.name)
    ))
    return _Scope(stations, None, None, "All stations", None, start, end)


def _cache_note(station: Station) -> str:
    return (f"This workstation holds {station.name}'s appointments only; connect to the centre to report on "
            "every station.")


# --- Computing -----------------------------------------------------------------------------

#: A rating and its week travel as one number, ``week × RATING_SLOTS + rating``; ratings are 1–5
#: (``services/counter/feedback.py`` accepts nothing else), so a rating never spills into the week.
RATING_SLOTS = 8
_RATINGS = (1, 5)


@dataclass
class _Acc:
    """One station's figures while the grouped rows are read."""

    outcomes: Counter[str] = field(default_factory=Counter)
    cancelled: Counter[str] = field(default_factory=Counter)
    postponed: Counter[str] = field(default_factory=Counter)
    at_risk: Counter[str] = field(default_factory=Counter)
    follow_ups: Counter[str] = field(default_factory=Counter)
    waits: Counter[int] = field(default_factory=Counter)
    wait_seconds: int = 0
    room_seconds: Counter[uuid.UUID] = field(default_factory=Counter)
    room_count: Counter[uuid.UUID] = field(default_factory=Counter)
    officer_seconds: Counter[uuid.UUID] = field(default_factory=Counter)
    officer_count: Counter[uuid.UUID] = field(default_factory=Counter)
    duty_seconds: Counter[uuid.UUID] = field(default_factory=Counter)
    weeks: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    rated: Counter[str] = field(default_factory=Counter)

    def add_waits(self, listed: str) -> None:
        """Waits in whole seconds, as ``_listed`` gives them: the exact sum and the minute histogram."""
        seconds = list(map(int, listed.split(",")))
        self.wait_seconds += sum(seconds)
        self.waits.update([(s + 59) // 60 for s in seconds])  # rounded up to whole minutes

    def add_ratings(self, listed: str) -> None:
        """``week × RATING_SLOTS + rating`` values, as ``_listed`` gives them (see ``settle``)."""
        self.rated.update(listed.split(","))

    def settle(self) -> None:
        """Ratings into weeks, once per distinct value (a station's year has a few hundred)."""
        for value, n in self.rated.items():
            week_index, rating = divmod(int(value), RATING_SLOTS)
            totals = self.weeks[week_index]
            totals[0] += n
            totals[1] += rating * n
            totals[2] += n if rating >= SATISFIED_FROM else 0
        self.rated.clear()


def _listed(dialect: str, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """Every non-null ``value`` of a group as one comma-separated text (Python counts them)."""
    if dialect == "sqlite":
        return func.group_concat(value)  # integers come out as their decimal text
    return func.aggregate_strings(cast(value, String), ",")


def compute_report(
    ctx: ServiceContext, actor: Actor, date_from: date, date_to: date, station_code: str | None = None
) -> Report:
    """Every figure for the period, per station and in total (``view_reports``).

    A supervisor reports on their own station; the FCR on every station or on one. Reading
    aggregates holds no personal data, so it is not audited; a refusal is.
    """
    with ctx.read() as session:
        scope = _resolve_scope(ctx, actor, session, date_from, date_to, station_code, "report.view")
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            # PostgreSQL over-estimates the groups and, with its default 4 MB, sorts a year's
            # rows on disk; with room for a hash table it groups them in one pass.
            session.execute(text("SET LOCAL work_mem = '64MB'"))
        accs: dict[uuid.UUID, _Acc] = defaultdict(_Acc)
        no_shows = _tally_appointments(session, dialect, scope, date_from, accs)
        _tally_follow_ups(session, scope, no_shows)
        _tally_duties(session, dialect, scope, accs)
        station_reports = _station_reports(session, scope, accs, date_from, date_to)

    weeks = period_weeks(date_from, date_to)
    total = combine([s.figures for s in station_reports], weeks)
    return Report(
        date_from=date_from, date_to=date_to, generated_at=ctx.clock.now(), station_code=scope.station_code,
        scope_label=scope.label, stations=tuple(station_reports), total=total, weeks=weeks, note=scope.note,
    )


def _tally_appointments(
    session: Session, dialect: str, scope: _Scope, date_from: date, accs: dict[uuid.UUID, _Acc]
) -> dict[str, _Acc]:
    """Outcomes, reasons, at risk, rooms, officers, waits and ratings in one pass; returns the
    no-shows' ids (as ``_id_text`` gives them), each with its station's figures.

    The groups are the leading columns of ``ix_appointments_report``, which also holds every
    column read here: SQLite (which has no hash aggregate) then walks that index once, in group
    order, without touching the table or sorting; PostgreSQL hashes. Waits and week-and-rating
    pairs vary inside a group, so they come back as lists Python counts, rather than as grouping
    keys that would make SQLite sort the year's rows.
    """
    A = Appointment
    keys = (A.station_id, A.room_id, A.officer_id, A.status, A.at_risk, A.cancel_reason)
    spans = london_offset_spans(scope.start, scope.end)
    week = (_london_day(dialect, A.start_at, spans) - _day_anchor(dialect, week_start(date_from))) // 7
    rated = A.feedback_rating.between(*_RATINGS)
    statement = (
        select(
            # The ids as stored: the same few repeat in every group, so _Ids converts each once.
            *(type_coerce(k, String) for k in keys[:3]), *keys[3:],
            func.count(), func.sum(_seconds_between(dialect, A.start_at, A.end_at)),
            _listed(dialect, case((_has_wait(), _wait_seconds(dialect)), else_=None)),
            _listed(dialect, case((rated, week * RATING_SLOTS + A.feedback_rating), else_=None)),
            _listed(dialect, case((A.status == Status.NO_SHOW.value, A.id), else_=None)),
        )
        .where(*scope.appointment_clauses())
        .group_by(*keys)
    )
    ids = _Ids()
    station_accs: dict[Any, _Acc] = {}
    no_shows: dict[str, _Acc] = {}
    cancelled, rescheduled = Status.CANCELLED.value, Status.RESCHEDULED.value
    rows: Iterable[Any] = session.connection().execute(statement)  # Core rows: no ORM layer needed
    for station, room, officer, status, at_risk, reason, count, seconds, waits, ratings, no_show_ids in rows:
        acc = station_accs.get(station) or station_accs.setdefault(station, accs[ids[station]])
        outcome = OUTCOME_OF_STATUS.get(status, "open")
        acc.outcomes[outcome] += count
        if status == cancelled:
            acc.cancelled[reason_group(reason)] += count
        elif status == rescheduled:
            acc.postponed[reason_group(reason)] += count
        if at_risk:
            acc.at_risk[outcome] += count
        if status not in RELEASED_STATUSES:
            room_id = ids[room]
            acc.room_seconds[room_id] += int(seconds or 0)
            acc.room_count[room_id] += count
            if officer is not None:
                officer_id = ids[officer]
                acc.officer_seconds[officer_id] += int(seconds or 0)
                acc.officer_count[officer_id] += count
        if waits:
            acc.add_waits(waits)
        if ratings:
            acc.add_ratings(ratings)
        if no_show_ids:
            no_shows.update(dict.fromkeys(no_show_ids.split(","), acc))
    for acc in accs.values():
        acc.settle()
    return no_shows


class _Ids(dict[Any, uuid.UUID]):
    """Ids as read without the Uuid type (hex text on SQLite, UUIDs from psycopg), made UUIDs once."""

    def __missing__(self, value: Any) -> uuid.UUID:
        converted = value if isinstance(value, uuid.UUID) else uuid.UUID(value)
        self[value] = converted
        return converted


def _tally_follow_ups(session: Session, scope: _Scope, no_shows: Mapping[str, _Acc]) -> None:
    """The no-shows' follow-ups by state, matched in Python to the no-shows the main pass listed.

    A follow-up is opened when its no-show is recorded, with the appointment's station, and the
    no-show rule allows that only after the start (``services/counter/checkin.py``): so the period's
    follow-ups were all created since it began, at the station in scope, and these filters only
    spare reading the older ones. (Joining them to their appointments in SQL costs a lookup in
    the appointments table each.)
    """
    if not no_shows:
        return
    where = [FollowUp.deleted.is_(False), FollowUp.created_at >= scope.start]
    if scope.station_ids is not None:
        where.append(FollowUp.station_id.in_(scope.station_ids))
    for appointment_id, state in session.connection().execute(
        select(type_coerce(FollowUp.appointment_id, String), FollowUp.status).where(*where)
    ):
        acc = no_shows.get(_id_text(appointment_id))
        if acc is not None:
            acc.follow_ups[state if state in FOLLOW_UP_STATES else "open"] += 1


def _id_text(value: Any) -> str:
    """An id as the database writes it as text (hex on SQLite; psycopg hands PostgreSQL's as UUIDs,
    whose ``str`` is PostgreSQL's own text form)."""
    return value if isinstance(value, str) else str(value)


def _tally_duties(session: Session, dialect: str, scope: _Scope, accs: dict[uuid.UUID, _Acc]) -> None:
    """Appointment-duty seconds per station and officer, cut short at ``withdrawn_at``.

    Grouped in the order of ``ix_duties_report``, which holds every column read, so SQLite
    walks it without sorting; a duty withdrawn before it began counts nothing.
    """
    ends = case((and_(Duty.withdrawn_at.is_not(None), Duty.withdrawn_at < Duty.end_at), Duty.withdrawn_at),
                else_=Duty.end_at)
    where = [Duty.start_at >= scope.start, Duty.start_at < scope.end, Duty.deleted.is_(False), ends > Duty.start_at]
    if scope.station_ids is not None:
        where.append(Duty.station_id.in_(scope.station_ids))
    for station_id, officer_id, seconds in session.execute(
        select(Duty.station_id, Duty.officer_id, func.sum(_seconds_between(dialect, Duty.start_at, ends)))
        .where(*where).group_by(Duty.station_id, Duty.officer_id)
    ):
        accs[station_id].duty_seconds[officer_id] += int(seconds or 0)


def _station_reports(
    session: Session, scope: _Scope, accs: Mapping[uuid.UUID, _Acc], date_from: date, date_to: date
) -> list[StationReport]:
    ids = [s.id for s in scope.stations]
    sessions: dict[uuid.UUID, list[tuple[int, time, time]]] = defaultdict(list)
    for station_id, weekday, start, end in session.execute(
        select(OpeningSession.station_id, OpeningSession.weekday, OpeningSession.start_time, OpeningSession.end_time)
        .where(OpeningSession.station_id.in_(ids), OpeningSession.deleted.is_(False))
    ):
        sessions[station_id].append((weekday, start, end))
    rooms: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for room in session.execute(select(Room.id, Room.station_id, Room.name, Room.active, Room.deleted)
                                .where(Room.station_id.in_(ids)).order_by(Room.name)):
        rooms[room.station_id].append(room)
    officer_ids = {o for acc in accs.values() for o in (*acc.officer_seconds, *acc.duty_seconds)}
    officers = ({o.id: _officer_label(o.rank, o.collar_number, o.name) for o in session.execute(
        select(Officer.id, Officer.rank, Officer.collar_number, Officer.name).where(Officer.id.in_(officer_ids)))}
                if officer_ids else {})
    weeks = period_weeks(date_from, date_to)
    anchor = weeks[0]
    reports = []
    for station in scope.stations:
        acc = accs.get(station.id, _Acc())
        hours = open_hours(sessions[station.id], date_from, date_to)
        room_uses = tuple(
            RoomUse(r.id, station.code, r.name, acc.room_seconds[r.id] / SECONDS_PER_HOUR, hours,
                    acc.room_count[r.id])
            for r in rooms[station.id]
            if (r.active and not r.deleted) or acc.room_count[r.id]
        )
        officer_uses = sorted(
            (
                OfficerUse(oid, station.code, officers.get(oid, "Unknown officer"),
                           acc.officer_seconds[oid] / SECONDS_PER_HOUR, acc.duty_seconds[oid] / SECONDS_PER_HOUR,
                           acc.officer_count[oid])
                for oid in {*acc.officer_seconds, *acc.duty_seconds}
            ),
            key=lambda o: o.label,
        )
        satisfaction = tuple(
            WeekSatisfaction(anchor + timedelta(weeks=i), *acc.weeks.get(i, (0, 0, 0))) for i in range(len(weeks))
        )
        figures = Figures(
            outcomes={o: acc.outcomes[o] for o in OUTCOMES},
            cancelled_by_reason={g: acc.cancelled[g] for g in REASON_GROUPS},
            postponed_by_reason={g: acc.postponed[g] for g in REASON_GROUPS},
            at_risk_outcomes={o: acc.at_risk[o] for o in OUTCOMES},
            follow_ups={s: acc.follow_ups[s] for s in FOLLOW_UP_STATES},
            wait_histogram=tuple(sorted(acc.waits.items())),
            wait_seconds=acc.wait_seconds,
            open_hours=hours,
            rooms=room_uses,
            officers=tuple(officer_uses),
            satisfaction=satisfaction,
        )
        reports.append(StationReport(station.code, station.name, figures))
    return reports


def _officer_label(rank: str, collar_number: str, name: str) -> str:
    return f"{rank} {collar_number} {name}"


def _sum_maps(parts: Sequence[Mapping[str, int]], keys: Sequence[str]) -> dict[str, int]:
    return {k: sum(p.get(k, 0) for p in parts) for k in keys}


def combine(parts: Sequence[Figures], weeks: Sequence[date]) -> Figures:
    """The figures of several stations as one (sums; waits and ratings merged, not averaged)."""
    histogram: Counter[int] = Counter()
    for p in parts:
        for minutes, n in p.wait_histogram:
            histogram[minutes] += n
    by_week: dict[date, list[int]] = {w: [0, 0, 0] for w in weeks}
    for p in parts:
        for w in p.satisfaction:
            totals = by_week.setdefault(w.week_start, [0, 0, 0])
            totals[0] += w.responses
            totals[1] += w.rating_sum
            totals[2] += w.satisfied
    return Figures(
        outcomes=_sum_maps([p.outcomes for p in parts], OUTCOMES),
        cancelled_by_reason=_sum_maps([p.cancelled_by_reason for p in parts], REASON_GROUPS),
        postponed_by_reason=_sum_maps([p.postponed_by_reason for p in parts], REASON_GROUPS),
        at_risk_outcomes=_sum_maps([p.at_risk_outcomes for p in parts], OUTCOMES),
        follow_ups=_sum_maps([p.follow_ups for p in parts], FOLLOW_UP_STATES),
        wait_histogram=tuple(sorted(histogram.items())),
        wait_seconds=sum(p.wait_seconds for p in parts),
        open_hours=sum(p.open_hours for p in parts),
        rooms=tuple(r for p in parts for r in p.rooms),
        officers=tuple(o for p in parts for o in p.officers),
        satisfaction=tuple(WeekSatisfaction(w, *t) for w, t in sorted(by_week.items())),
    )


def report_stations(ctx: ServiceContext, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the stations the actor may report on from this database."""
    guard(ctx, actor, Action.VIEW_REPORTS, action="report.view")
    with ctx.read() as session:
        if ctx.mode == "station" and ctx.station_code:
            station = station_by_code(session, ctx.station_code)
            return [(station.code, station.name)]
        if actor.role not in FORCE_WIDE_ROLES:
            station = station_by_code(session, actor.station_code or "")
            return [(station.code, station.name)]
        return [(s.code, s.name) for s in session.scalars(
            select(Station).where(Station.deleted.is_(False), Station.active.is_(True)).order_by(Station.name))]


# --- Drill-down ----------------------------------------------------------------------------

#: The figure keys a chart bar can stand for; see ``figure_clauses``.
FIGURE_KINDS = ("booked", "outcome", "cancelled", "postponed", "at_risk", "wait", "room", "officer",
                "station", "feedback", "follow_up")


def _uuid_value(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationError(f"{value[:40]!r} is not a record id.") from None


def figure_clauses(
    session: Session, dialect: str, figure_key: str, date_from: date, date_to: date
) -> list[ColumnElement[bool]]:
    """The conditions that pick, from the period's appointments, the ones behind a figure.

    Keys: ``booked``; ``outcome:<kept|postponed|…>``; ``cancelled:<reason group>``;
    ``postponed:<reason group>``; ``at_risk`` or ``at_risk:<outcome>``; ``wait:<band>``;
    ``room:<id>``; ``officer:<id>``; ``station:<code>`` (what holds its rooms and officers);
    ``feedback`` or ``feedback:<Monday>``; ``follow_up:<open|done|cancelled>``.
    """
    A = Appointment
    kind, _, value = figure_key.partition(":")
    if kind == "booked":
        return []
    if kind == "outcome" and value in OUTCOME_STATUSES:
        return [A.status.in_(OUTCOME_STATUSES[value])]
    if kind in ("cancelled", "postponed"):
        status = Status.CANCELLED if kind == "cancelled" else Status.RESCHEDULED
        clauses = [A.status == status.value]
        return clauses + [_reason_clause(value)] if value else clauses
    if kind == "at_risk":
        clauses = [A.at_risk.is_(True)]
        if value:
            if value not in OUTCOME_STATUSES:
                raise ValidationError(f"Unknown outcome {value!r}.")
            clauses.append(A.status.in_(OUTCOME_STATUSES[value]))
        return clauses
    if kind == "wait":
        band = next((b for b in WAIT_BANDS if b[0] == value), None)
        if band is None:
            raise ValidationError(f"Unknown wait band {value!r}.")
        minutes = _wait_minutes(dialect)
        clauses = [_has_wait(), minutes > band[1]]
        return clauses + ([minutes <= band[2]] if band[2] is not None else [])
    if kind == "room":
        return [A.room_id == _uuid_value(value), _held()]
    if kind == "officer":
        return [A.officer_id == _uuid_value(value), _held()]
    if kind == "station":
        return [A.station_id == station_by_code(session, value).id, _held()]
    if kind == "feedback":
        clauses = [A.feedback_rating.is_not(None)]
        if value:
            try:
                monday = week_start(date.fromisoformat(value))
            except ValueError:
                raise ValidationError(f"{value[:20]!r} is not a date.") from None
            first = max(monday, date_from)
            last = min(monday + timedelta(days=6), date_to)
            start, end = period_bounds(first, last)
            clauses += [A.start_at >= start, A.start_at < end]
        return clauses
    if kind == "follow_up" and value in FOLLOW_UP_STATES:
        follow_ups = select(FollowUp.appointment_id).where(FollowUp.status == value, FollowUp.deleted.is_(False))
        return [A.status == Status.NO_SHOW.value, A.id.in_(follow_ups)]
    raise ValidationError(f"Unknown report figure {figure_key[:60]!r}.")


def appointments_behind(
    ctx: ServiceContext,
    actor: Actor,
    figure_key: str,
    date_from: date,
    date_to: date,
    station_code: str | None = None,
    *,
    limit: int = 2000,
) -> list[AppointmentView]:
    """The appointments behind one figure (a chart bar), in start order.

    They carry visitors' names, so this is a consultation and is audited with the figure asked.
    """
    with ctx.read() as session:
        scope = _resolve_scope(ctx, actor, session, date_from, date_to, station_code, "report.drill_down")
        dialect = session.get_bind().dialect.name
        clauses = figure_clauses(session, dialect, figure_key, date_from, date_to)
        rows = session.scalars(
            select(Appointment).where(*scope.appointment_clauses(), *clauses)
            .order_by(Appointment.start_at, Appointment.reference).limit(limit)
        )
        views = to_views(rows, load_lookups(session))
    audit(ctx, actor, category="consultation", action="report.drill_down", record=f"report:{figure_key[:100]}",
          details={"from": date_from.isoformat(), "to": date_to.isoformat(),
                   "station": scope.station_code or "all", "results": len(views)})
    return views


def wait_minutes_of(view: AppointmentView) -> int | None:
    """A visitor's wait rounded up to whole minutes, as the report counts it (None if not seen)."""
    if view.arrived_at is None or view.seen_at is None or view.seen_at < view.arrived_at:
        return None
    seconds = round((view.seen_at - view.arrived_at).total_seconds())
    return (seconds + 59) // 60


def period_label(report: Report) -> str:
    first, last = report.date_from, report.date_to
    if first == last:
        return f"{first:%a} {first.day} {first:%b %Y}"
    return f"{first:%a} {first.day} {first:%b %Y} – {last:%a} {last.day} {last:%b %Y}"


def axis_scale(values: Sequence[float], minimum: float = 1) -> tuple[float, float]:
    """A round axis top and a whole-number step for counts and hours (never a 0.5 visitor)."""
    top = max([minimum, *values])
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if top < step * 6:
            return float(step * (int(top) // step + 1)), float(step)
    return top * 1.1, top / 5
