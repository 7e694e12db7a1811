"""The demo is useful at any hour: a newcomer who starts it at 21:00 or on a Sunday evening still
finds visitors to check in, and one who starts it near midnight is told when the next are due."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontcounter.db.models import Appointment, OpeningSession, Station, Status
from frontcounter.paths import Paths
from frontcounter.runtime import create_demo
from frontcounter.services.core.clock import LONDON, FixedClock, local
from frontcounter.services.demo.seed import DEMO_STATION, build_demo_rows

pytestmark = pytest.mark.wallclock


def _london(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(UTC)


def _ahead_today(now: datetime) -> list[Appointment]:
    rows = build_demo_rows(now)
    hh = next(r.id for r in rows if isinstance(r, Station) and r.code == DEMO_STATION)
    return [r for r in rows if isinstance(r, Appointment) and r.station_id == hh and r.status == Status.BOOKED.value
            and r.start_at > now and local(r.start_at).date() == local(now).date()]


@pytest.mark.parametrize("at", ["2026-11-23 21:00", "2026-11-29 21:00", "2026-11-28 22:10", "2026-11-22 19:45",
                                "2027-03-28 20:30", "2026-12-31 22:30", "2026-11-23 08:00"])
def test_visitors_are_still_to_come_in_the_evening(at: str) -> None:
    ahead = _ahead_today(_london(at))
    assert ahead, f"no visitors left to check in at {at}"
    assert all(a.room_id and a.officer_id and a.end_at > a.start_at for a in ahead)


@settings(max_examples=12, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)))
def test_any_hour_up_to_late_evening_has_visitors_ahead(at: datetime) -> None:
    """Before 22:45, when an hour-long slot still fits before midnight, today has someone to come."""
    now = at.replace(tzinfo=LONDON).astimezone(UTC)
    if local(now).time() < time(22, 45):
        assert _ahead_today(now)


def test_the_late_session_leaves_the_ordinary_demo_alone() -> None:
    """At the suite's DEMO_NOW (Monday 17:30, in session) the demo is exactly the one tests know."""
    rows = build_demo_rows(_london("2026-11-23 17:30"))
    late = [r for r in rows if isinstance(r, OpeningSession) and r.start_time not in (time(10), time(17), time(19))]
    assert late == []


def test_the_demo_command_says_what_is_ahead(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = create_demo(Paths.resolve(tmp_path / "late"), clock=FixedClock(_london("2026-11-23 21:00")))
    assert summary is not None and summary.ahead_today > 0
    midnight = create_demo(Paths.resolve(tmp_path / "midnight"), clock=FixedClock(_london("2026-11-23 23:50")))
    assert midnight is not None and midnight.ahead_today == 0
    assert midnight.next_visitor_at is not None and local(midnight.next_visitor_at).date().isoformat() == "2026-11-24"
    from frontcounter.cli.station import _demo_day_note

    assert "still to come today at HH" in _demo_day_note(summary, "HH")
    assert "the next is due Tue 24 Nov at 10:00" in _demo_day_note(midnight, "HH")


def test_a_demo_whose_week_has_ended_is_made_afresh(tmp_path: Path) -> None:
    from frontcounter.runtime import demo_has_ended, ensure_demo

    paths = Paths.resolve(tmp_path / "old-demo")
    seeded = _london("2026-11-23 17:30")
    ensure_demo(paths, station_code="HH", clock=FixedClock(seeded))
    assert not demo_has_ended(paths, FixedClock(seeded))
    ten_days_on = FixedClock(_london("2026-12-03 18:00"))
    assert demo_has_ended(paths, ten_days_on)
    ensure_demo(paths, station_code="HH", clock=ten_days_on)
    assert not demo_has_ended(paths, ten_days_on)
    assert _ahead_today(ten_days_on.now())  # the new week has visitors to come


def test_a_demo_seeded_into_a_real_centre_is_never_replaced(demo_dir: Path) -> None:
    from frontcounter.config import load_settings, save_settings
    from frontcounter.runtime import demo_has_ended

    paths = Paths.resolve(demo_dir)
    settings = load_settings(paths.config_file)
    settings.demo = False
    save_settings(paths.config_file, settings)
    assert not demo_has_ended(paths, FixedClock(_london("2027-06-01 12:00")))
