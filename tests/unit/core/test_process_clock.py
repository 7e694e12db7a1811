"""The CLI, the GUI start-up and subprocesses run on the fixture clock, never the wall clock.

The suite must pass on any date and at any hour (issue 17): data built at ``DEMO_NOW`` and a CLI
that read the real date used to disagree as soon as the calendar left the demo's week.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from frontcounter.cli.main import main as cli_main
from frontcounter.services.core.clock import CLOCK_ENV, FixedClock, SystemClock, default_clock, local_today

#: Runs again under shifted wall clocks in CI (scripts/test-any-date.sh -m wallclock).
pytestmark = pytest.mark.wallclock


def _days(appointments: list[dict[str, str]]) -> set[date]:
    return {date.fromisoformat(a["start"][:10]) for a in appointments}


def test_default_clock_follows_the_fixture_clock(clock: FixedClock) -> None:
    assert default_clock().now() == clock.now()
    clock.advance(timedelta(days=2, minutes=7))
    assert default_clock().now() == clock.now()


def test_default_clock_is_the_wall_clock_without_the_pin() -> None:
    assert isinstance(default_clock({}), SystemClock)
    assert default_clock({CLOCK_ENV: "2027-03-28T01:30:00Z"}).now().isoformat() == "2027-03-28T01:30:00+00:00"


@pytest.mark.parametrize("bad", ["tomorrow", "2026-11-23T17:30", "2026-13-01T00:00Z"])
def test_a_bad_pin_is_refused_with_its_name(bad: str) -> None:
    with pytest.raises(ValueError, match=CLOCK_ENV):
        default_clock({CLOCK_ENV: bad})


def test_cli_in_process_lists_the_fixture_day(
    demo_dir: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")
    args = ["--data-dir", str(demo_dir), "--user", "counter.HH", "appointments", "--json"]
    for _ in range(2):  # the demo's day, then the next: the CLI must follow the fixture as it moves
        assert cli_main(args) == 0
        listed = json.loads(capsys.readouterr().out)
        assert listed and _days(listed) == {local_today(clock)}
        clock.advance(timedelta(days=1))


def test_cli_subprocess_lists_the_fixture_day(demo_dir: Path, clock: FixedClock) -> None:
    clock.advance(timedelta(days=-1))  # the Sunday before DEMO_NOW: a day the wall clock is unlikely to be on
    env = {**os.environ, "FRONTCOUNTER_PASSWORD": "demo"}
    done = subprocess.run(
        [sys.executable, "-m", "frontcounter", "--data-dir", str(demo_dir), "--user", "counter.HH",
         "appointments", "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert listed and _days(listed) == {local_today(clock)}
