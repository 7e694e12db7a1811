"""What a report is: its figures per station and in total, the names of their groupings, and the
pure arithmetic on periods, waits and charts (tested directly; no database).

The definitions of every figure are in figures, which computes them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from frontcounter.db.models import (
    CancelReason,
    Status,
)
from frontcounter.services.core.clock import LONDON, local_day_bounds

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
