"""The history generator writes rows the app reads like its own, and the start-up probe sees the
real app's first frame without heavy imports."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bench.bench_startup import app_args, probe
from bench.history import BENCH_NOW, add_history
from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.models import Appointment, AuditEvent, OutboxEntry
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime
from frontcounter.services.core import appointments
from frontcounter.services.sync.pull import get_meta
from frontcounter.services.sync.report import AUDIT_PUSHED
from tests.conftest import DEMO_NOW, actor_named

#: Loaded at start-up today through frontcounter/ui/shell/sync_controller.py, which imports the connection
#: dialog (and with it services/security/secrets.py and keyring) before it knows whether it will show it.
KNOWN_EARLY = {"keyring"}


def test_bench_clock_is_the_tests_clock() -> None:
    assert BENCH_NOW == DEMO_NOW


def test_history_rows_read_back_through_the_services(station: StationRuntime) -> None:
    engine = make_engine(sqlite_url(station.paths.station_db))
    with station.ctx.read() as session:
        before = {m: session.scalar(select(func.count()).select_from(m)) for m in (Appointment, AuditEvent, OutboxEntry)}
    summary = add_history(engine, "HH", years=1, per_year=730)
    engine.dispose()
    assert summary.appointments == 730
    with station.ctx.read() as session:
        after = {m: session.scalar(select(func.count()).select_from(m)) for m in (Appointment, AuditEvent, OutboxEntry)}
        assert all(after[m] - before[m] == 730 for m in after)
        oldest = session.scalars(select(Appointment).order_by(Appointment.start_at).limit(1)).one()
        assert isinstance(oldest.id, uuid.UUID) and oldest.start_at.tzinfo is UTC
        assert oldest.vulnerability_flags == [] and oldest.status in ("completed", "no_show", "cancelled")
        # local_seq follows time, as if the events had been written as it passed
        seqs = session.execute(select(AuditEvent.local_seq, AuditEvent.at).order_by(AuditEvent.local_seq)).all()
        assert [s for s, _ in seqs] == list(range(1, len(seqs) + 1))
        history_ats = [at for _, at in seqs[before[AuditEvent]:]]
        assert history_ats == sorted(history_ats)
        assert get_meta(session, AUDIT_PUSHED) == str(seqs[-1][0])  # already at the centre
        # the double-booking guard's own question, asked of every row: no room holds two at once
        clashes = session.execute(text(
            "SELECT count(*) FROM appointments a JOIN appointments b ON a.room_id = b.room_id AND a.id < b.id "
            "AND a.start_at < b.end_at AND b.start_at < a.end_at "
            "WHERE a.status NOT IN ('cancelled', 'rescheduled') AND b.status NOT IN ('cancelled', 'rescheduled')"
        )).scalar()
        assert clashes == 0
    counter = actor_named(station, "counter.HH")
    day_views = appointments.list_day(station.ctx, counter, summary.last_day)
    assert len(day_views) == 2
    assert {v.status for v in day_views} <= {"completed", "no_show", "cancelled"}
    assert summary.last_day < (DEMO_NOW - timedelta(days=5)).date()


def test_bare_window_probe() -> None:
    result = probe("bare")
    assert 0 < result["ms"] < 30_000
    assert result["vmhwm_mb"] > 10


def test_app_probe_paints_the_main_window_without_heavy_imports(demo_dir: Path) -> None:
    result = probe(*("app", *app_args(demo_dir, "counter.HH")), "--phases")
    loaded = {m for m in result["values"].get("loaded", "").split(",") if m}
    assert loaded - KNOWN_EARLY == set(), f"imported before the first frame: {sorted(loaded)}"
    assert "phase_sign_in_end" in result["values"]


def test_app_probe_reports_a_failed_sign_in(demo_dir: Path) -> None:
    with pytest.raises(RuntimeError, match="the sign-in window says: Wrong user name or password"):
        probe("app", *app_args(Paths.resolve(demo_dir).data_dir, "nobody.HH"))


def test_memory_by_import_names_every_layer() -> None:
    from bench.bench_startup import memory_by_import
    from bench.startup_probe import IMPORT_STEPS

    note = memory_by_import()
    assert "failed" not in note, note
    for label, _modules in IMPORT_STEPS:
        assert f"{label} +" in note


def test_cached_data_dirs_copies_under_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import history

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    demo, five_years = history.cached_data_dirs(1, per_year=50, copy_to=tmp_path / "copy")
    assert demo == tmp_path / "copy" / "demo" and (five_years / "station.sqlite").exists()
    shared_demo, _ = history.cached_data_dirs(1, per_year=50)  # built once: the second call finds it
    assert shared_demo.parent.parent == tmp_path / "cache" / "frontcounter-bench"
    assert len(list((tmp_path / "cache" / "frontcounter-bench").glob("data-*"))) == 1
