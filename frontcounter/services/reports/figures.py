"""Figures for station managers: are appointments kept, and are visitors satisfied?

The force runs this scheme so that appointments are kept and satisfaction rises; this module
answers whether that is happening, per station, over a chosen period. It computes; it draws
nothing (the reports view, the CLI and ``text``/``pdf``/``export`` show what it returns).

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
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import (
    String,
    and_,
    case,
    func,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Session

from frontcounter.db.models import (
    RELEASED_STATUSES,
    Appointment,
    Duty,
    FollowUp,
    Officer,
    OpeningSession,
    Room,
    Station,
    Status,
)
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import station_by_code
from frontcounter.services.core.commands import guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.permissions import FORCE_WIDE_ROLES, Action
from frontcounter.services.reports.model import (
    FOLLOW_UP_STATES,
    OUTCOME_OF_STATUS,
    OUTCOMES,
    REASON_GROUPS,
    SATISFIED_FROM,
    SECONDS_PER_HOUR,
    Figures,
    OfficerUse,
    Report,
    RoomUse,
    StationReport,
    WeekSatisfaction,
    london_offset_spans,
    open_hours,
    period_weeks,
    reason_group,
    week_start,
)
from frontcounter.services.reports.query import (
    _day_anchor,
    _has_wait,
    _listed,
    _london_day,
    _resolve_scope,
    _Scope,
    _seconds_between,
    _wait_seconds,
)

logger = logging.getLogger(__name__)


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
