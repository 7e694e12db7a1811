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


def test_verify_streams_each_table_in_batches(demo_dir: Path, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Verify reads a table a batch at a time (a five-year cache must not be held whole: 100,000
    appointments took the app's daily check past 600 MB) and finds the same rows across batch ends."""
    station, centre = _engines(demo_dir)
    sync_once(station, centre, "HH", clock=clock)
    whole = sync_verify.verify(station, centre, "HH")
    hurt = _damage(demo_dir / "station.sqlite")
    monkeypatch.setattr(sync_verify, "BATCH_ROWS", 2)
    read: list[int] = []
    original = sync_verify._stream

    def counting(session, model, station_id):  # type: ignore[no-untyped-def]
        for n, row in enumerate(original(session, model, station_id), start=1):
            read.append(n)
            yield row

    monkeypatch.setattr(sync_verify, "_stream", counting)
    report = sync_verify.verify(station, centre, "HH")
    assert read, "nothing was streamed"
    ids = {str(d.row_id).replace("-", "") for d in report.differences}
    assert {hurt["changed"].replace("-", ""), hurt["lost"].replace("-", ""), hurt["room"].replace("-", "")} <= ids
    assert [d.row_id for d in report.differences if d.table == "appointments" and d.kind == "different"] == sorted(
        d.row_id for d in report.differences if d.table == "appointments" and d.kind == "different")
    by_table = {t.table: t for t in whole.tables}
    for table in report.tables:
        if table.table != "appointments" and table.table != "follow_ups":
            assert table.station_rows == by_table[table.table].station_rows
    appointments = next(t for t in report.tables if t.table == "appointments")
    assert appointments.station_rows == by_table["appointments"].station_rows - 1
    assert appointments.centre_rows == by_table["appointments"].centre_rows
