"""The demo and the CLI contract of DESIGN.md section 6."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from frontcounter.cli.main import main as cli_main
from frontcounter.db.engine import make_engine, make_session_factory, sqlite_url
from frontcounter.db.models import Appointment, Channel, Reason, Role, Station, Status, User
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.demo.seed import build_demo_rows
from tests.conftest import DEMO_NOW

#: Runs again under shifted wall clocks in CI (scripts/test-any-date.sh -m wallclock).
pytestmark = pytest.mark.wallclock

HERTS = {"HH", "SG", "WD", "SA", "HF", "HT", "BS", "CH", "BW", "HI", "LG"}


def test_demo_centre_has_eleven_stations_every_role_status_channel_and_reason(demo_dir: Path) -> None:
    engine = make_engine(sqlite_url(demo_dir / "central.sqlite"))
    with make_session_factory(engine)() as s:
        assert set(s.scalars(select(Station.code))) == HERTS
        users = set(s.scalars(select(User.username)))
        assert {f"{r.value}.{c}" for r in Role for c in HERTS} <= users
        assert set(s.scalars(select(Appointment.status).distinct())) == {x.value for x in Status}
        assert set(s.scalars(select(Appointment.channel).distinct())) == {x.value for x in Channel} - {Channel.VIDEO.value}
        assert set(s.scalars(select(Appointment.reason).distinct())) == {x.value for x in Reason}
        assert s.scalar(select(func.count()).where(Appointment.interpreter_language.is_not(None))) > 10
        assert s.scalar(select(func.count()).where(Appointment.previous_appointment_id.is_not(None))) > 5
    engine.dispose()


def test_demo_is_deterministic_from_its_seed() -> None:
    first = [getattr(r, "reference", None) for r in build_demo_rows(DEMO_NOW, seed=7)]
    second = [getattr(r, "reference", None) for r in build_demo_rows(DEMO_NOW, seed=7)]
    assert first == second


def test_station_cache_holds_only_its_own_appointments(demo_dir: Path) -> None:
    engine = make_engine(sqlite_url(demo_dir / "station.sqlite"))
    with make_session_factory(engine)() as s:
        hh = s.scalars(select(Station).where(Station.code == "HH")).one()
        assert s.scalar(select(func.count()).select_from(Station)) == 11
        assert set(s.scalars(select(Appointment.station_id).distinct())) == {hh.id}
        assert set(s.scalars(select(User.station_id).where(User.password_hash != "").distinct())) == {hh.id}
        # Other stations' users only as force-wide readers' public keys (issue 21: a station seals
        # rows to the FCR): no password hash, no wrapped private key, so no sign-in here.
        others = s.scalars(select(User).where(User.station_id != hh.id)).all()
        assert others and {u.role for u in others} == {"fcr"}
        assert all(u.password_hash == "" and u.wrapped_private_key is None and u.public_key for u in others)
    engine.dispose()


def test_cli_demo_then_appointments_json(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "d"
    assert cli_main(["demo", "--data-dir", str(data)]) == 0
    capsys.readouterr()
    assert cli_main(["appointments", "--data-dir", str(data), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows, "today has appointments in the demo"
    for row in rows:
        assert {"reference", "station", "start", "end", "status", "room", "officer", "visitor_name"} <= row.keys()
        assert row["station"] == "HH" and row["reference"].startswith("HH-")
        assert row["start"][-6] in "+-" and row["end"] > row["start"]
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_dir: Path) -> None:
    with pytest.raises(SystemExit) as usage:
        cli_main(["appointments", "--no-such-option"])
    assert usage.value.code == 2
    assert cli_main(["--data-dir", str(tmp_path / "empty"), "appointments"]) == 1
    assert "No station is configured" in capsys.readouterr().err
    assert cli_main(["--data-dir", str(demo_dir), "check-in", "HH-ZZZZZ"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "HH-ZZZZZ" in err


def test_self_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["--data-dir", str(tmp_path / "sc"), "--self-check"]) == 0
    assert "self-check ok" in capsys.readouterr().out


def test_fixed_clock_refuses_naive_time() -> None:
    from datetime import datetime

    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))


@pytest.mark.parametrize("command", [["sync", "--once"], ["db", "upgrade"], ["appointments"]])
def test_a_password_inside_central_url_is_refused_in_one_line(
    demo_dir: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """Issue 21: the process list shows every argument; the password goes to the keyring instead."""
    url = "postgresql+psycopg://frontcounter_station_hh:S3cret-Pw@db.example.invalid/fc"
    assert cli_main(["--data-dir", str(demo_dir), "--central", url, *command]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "sync --set-password" in err and "S3cret-Pw" not in err
    assert "S3cret-Pw" not in (demo_dir / "config.json").read_text()
