"""``sync --verify`` finds exactly what differs between a cache and the centre; ``--repair`` fixes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.services.sync import verify as sync_verify
from frontcounter.services.sync.station import sync_once
from tests.sync_support import differences

pytestmark = pytest.mark.wallclock


def _engines(demo_dir: Path):  # type: ignore[no-untyped-def]
    return make_engine(sqlite_url(demo_dir / "station.sqlite")), make_engine(sqlite_url(demo_dir / "central.sqlite"))


def _damage(station_db: Path) -> dict[str, str]:
    """Three kinds of damage a restored backup or a hand edit leaves: changed, lost, invented."""
    engine = make_engine(sqlite_url(station_db))
    with engine.begin() as c:
        changed, lost = [str(r[0]) for r in c.execute(text(
            "SELECT id FROM appointments WHERE status = 'booked' ORDER BY start_at, id LIMIT 2"))]
        c.execute(text("UPDATE appointments SET status = 'cancelled', visitor_phone = '0' WHERE id = :i"),
                  {"i": changed})
        c.execute(text("DELETE FROM follow_ups WHERE appointment_id = :i"), {"i": lost})
        c.execute(text("DELETE FROM appointments WHERE id = :i"), {"i": lost})
        room = str(c.execute(text("SELECT id FROM rooms ORDER BY id LIMIT 1")).scalar_one())
        c.execute(text("UPDATE rooms SET name = 'Broom cupboard' WHERE id = :i"), {"i": room})
    engine.dispose()
    return {"changed": changed, "lost": lost, "room": room}


def test_a_synced_cache_verifies_equal(demo_dir: Path, clock) -> None:  # type: ignore[no-untyped-def]
    station, centre = _engines(demo_dir)
    sync_once(station, centre, "HH", clock=clock)
    report = sync_verify.verify(station, centre, "HH")
    assert report.ok and report.differences == []
    assert {t.table for t in report.tables} >= {"appointments", "rooms", "stations"}
    assert all(t.same and t.station_rows == t.centre_rows for t in report.tables)
    assert report.lines()[-1].startswith("The cache equals the centre")


def test_verify_names_each_damaged_row_and_repair_re_pulls_them(demo_dir: Path, clock) -> None:  # type: ignore[no-untyped-def]
    station, centre = _engines(demo_dir)
    sync_once(station, centre, "HH", clock=clock)
    hurt = _damage(demo_dir / "station.sqlite")

    report = sync_verify.verify(station, centre, "HH")

    found = {(d.table, str(d.row_id).replace("-", "")): d for d in report.differences}
    changed = found[("appointments", hurt["changed"].replace("-", ""))]
    assert changed.kind == "different" and changed.columns == ("status", "visitor_phone")
    assert found[("appointments", hurt["lost"].replace("-", ""))].kind == "missing at the station"
    assert found[("rooms", hurt["room"].replace("-", ""))].columns == ("name",)
    assert not report.ok and {t.table for t in report.tables if not t.same} >= {"appointments", "rooms"}
    assert "0" not in " ".join(changed.columns) and "Broom" not in "\n".join(report.lines())  # no values shown

    repaired = sync_verify.repair(station, centre, "HH")

    assert repaired.ok and repaired.repaired >= 3
    assert differences(station, centre, "HH") == []


def test_a_row_with_a_change_waiting_is_not_counted_as_a_difference(demo_dir: Path, clock) -> None:  # type: ignore[no-untyped-def]
    from frontcounter.cli.main import main as cli_main

    station, centre = _engines(demo_dir)
    sync_once(station, centre, "HH", clock=clock)
    central = sqlite_url(demo_dir / "central.sqlite")
    with station.connect() as c:
        ref = c.execute(text("SELECT reference FROM appointments WHERE status = 'booked' "
                             "ORDER BY start_at DESC LIMIT 1")).scalar_one()
    assert cli_main(["--data-dir", str(demo_dir), "check-in", ref, "--force"]) == 0
    report = sync_verify.verify(station, centre, "HH")
    assert report.ok and report.waiting == 1
    assert cli_main(["--data-dir", str(demo_dir), "--central", central, "sync", "--verify"]) == 0


def test_cli_verify_and_repair_exit_codes_and_output(demo_dir: Path, clock,  # type: ignore[no-untyped-def]
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from frontcounter.cli.main import main as cli_main

    central = sqlite_url(demo_dir / "central.sqlite")
    base = ["--data-dir", str(demo_dir), "--central", central, "sync"]
    assert cli_main([*base, "--once"]) == 0
    capsys.readouterr()
    assert cli_main([*base, "--verify"]) == 0
    healthy = capsys.readouterr().out
    assert "The cache equals the centre" in healthy and "DIFFERENT" not in healthy
    _damage(demo_dir / "station.sqlite")
    assert cli_main([*base, "--verify"]) == sync_verify.EXIT_DIFFERENT
    damaged = capsys.readouterr().out
    assert "appointments" in damaged and "DIFFERENT" in damaged and "missing at the station" in damaged
    assert cli_main([*base, "--repair"]) == 0
    fixed = capsys.readouterr().out
    assert "Re-pulled 3 row(s)" in fixed and "The cache equals the centre" in fixed
    assert cli_main([*base, "--verify"]) == 0
