"""Time comes from an injected clock, so tests and the sync rules never read the wall clock."""

from __future__ import annotations

import os
from collections.abc import Mapping
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


#: Pins "now" for a whole process (and the processes it starts) to one ISO 8601 instant, e.g.
#: ``2026-11-23T17:30:00+00:00``. The test suite sets it so that the CLI, the GUI and subprocesses
#: run on the same clock as the fixtures that built their data; a demo screenshot can use it too.
#: It grants nothing a local user could not get by setting the PC's clock: the centre's clock,
#: not the station's, orders sync.
CLOCK_ENV = "FRONTCOUNTER_CLOCK"


def parse_instant(text: str) -> datetime:
    """An aware ISO 8601 instant (``Z`` allowed), in UTC; ValueError names the variable."""
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{CLOCK_ENV}={text!r} is not an ISO 8601 instant such as 2026-11-23T17:30:00Z") from None
    if at.tzinfo is None:
        raise ValueError(f"{CLOCK_ENV}={text!r} has no UTC offset; add Z or +00:00")
    return at.astimezone(UTC)


def default_clock(environ: Mapping[str, str] | None = None) -> Clock:
    """The clock a process runs on when nobody injects one: the wall clock, unless CLOCK_ENV pins it."""
    value = (os.environ if environ is None else environ).get(CLOCK_ENV, "").strip()
    return FixedClock(parse_instant(value)) if value else SystemClock()


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
