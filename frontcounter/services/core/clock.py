"""Time comes from an injected clock, so tests and the sync rules never read the wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move (tests, demos, benchmarks)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def local(at: datetime) -> datetime:
    """A stored UTC time as Europe/London wall-clock time, for display."""
    return at.astimezone(LONDON)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of a Europe/London calendar day (23 or 25 hours at the clock change)."""
    start = datetime(day.year, day.month, day.day, tzinfo=LONDON)
    end = start + timedelta(days=1)
    end = datetime(end.year, end.month, end.day, tzinfo=LONDON)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_today(clock: Clock) -> date:
    return local(clock.now()).date()
