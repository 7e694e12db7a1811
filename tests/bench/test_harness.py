"""The benchmark harness: reading targets, isolating broken modules, and the report it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import __main__ as bench_main
from bench.bench_startup import import_breakdown, phase_breakdown
from bench.harness import figure, median, p95, parse_target, target_status

FAKE = "tests.bench.fake_bench"


@pytest.mark.parametrize(
    ("target", "fig", "status"),
    [
        ("<= 30 ms", {"value": 29.0, "unit": "ms", "floor": 10.0, "ratio": 2.9}, "met"),
        ("<= 30 ms", {"value": 31.0, "unit": "ms", "floor": 10.0, "ratio": 3.1}, "NOT MET"),
        ("< 2 s", {"value": 1500.0, "unit": "ms", "floor": 1.0, "ratio": 1500.0}, "met"),
        ("ratio <= 1.3", {"value": 140.0, "unit": "ms", "floor": 100.0, "ratio": 1.4}, "NOT MET"),
        ("<= 1.2x", {"value": 110.0, "unit": "ms", "floor": 100.0, "ratio": 1.1}, "met"),
        ("<= 60 MB above floor", {"value": 110.0, "unit": "MB", "floor": 52.0, "ratio": 2.1}, "met"),
        ("<= 60 MB above floor", {"value": 113.0, "unit": "MB", "floor": 52.0, "ratio": 2.2}, "NOT MET"),
        ("<= 1 GB", {"value": 900.0, "unit": "MB", "floor": 1.0, "ratio": 900.0}, "met"),
        (">= 500 rows/s", {"value": 800.0, "unit": "rows/s", "floor": 1.0, "ratio": 800.0}, "met"),
        ("<= 30 ms", {"value": 3.0, "unit": "rows", "floor": 1.0, "ratio": 3.0}, "?"),
        ("fast please", {"value": 3.0, "unit": "ms", "floor": 1.0, "ratio": 3.0}, "?"),
        ("", {"value": 3.0, "unit": "ms", "floor": 1.0, "ratio": 3.0}, "?"),
        ("p95 <= 10 ms", {"value": 9.0, "unit": "ms", "floor": 1.0, "ratio": 9.0}, "met"),
        ("p95 <= 10 ms", {"value": 9.0, "p95": 12.0, "unit": "ms", "floor": 1.0, "ratio": 9.0}, "NOT MET"),
        ("<= 3x", {"value": 50.0, "unit": "ms", "floor": 10.0, "ratio": 5.0}, "NOT MET"),
        ("<= 150 µs", {"value": 111.0, "unit": "µs", "floor": 96.0, "ratio": 1.15}, "met"),
    ],
)
def test_targets_are_read_against_value_ratio_or_floor(target: str, fig: dict, status: str) -> None:
    assert target_status({**fig, "target": target}) == status


def test_parse_target_subjects() -> None:
    assert parse_target("ratio <= 1.3").subject == "ratio"  # type: ignore[union-attr]
    assert parse_target("<= 60 MB above floor").subject == "above_floor"  # type: ignore[union-attr]
    assert parse_target("<= 30 ms").subject == "value"  # type: ignore[union-attr]
    assert parse_target("whatever") is None


def test_statistics_and_figure() -> None:
    assert median([3, 1, 2]) == 2
    assert p95([float(i) for i in range(1, 101)]) == 95
    fig = figure(150.0, "ms", 100.0, "ratio <= 1.3", note="n")
    assert fig == {"value": 150.0, "unit": "ms", "floor": 100.0, "ratio": 1.5, "target": "ratio <= 1.3", "note": "n"}


@pytest.mark.parametrize(
    ("mode", "error"),
    [("raise", "RuntimeError: the fake benchmark broke"), ("exit", "crashed (exit status 7)"),
     ("malformed", "lacks value"), ("hang", "budget of 4 s")],
)
def test_a_broken_module_is_reported_not_fatal(monkeypatch: pytest.MonkeyPatch, mode: str, error: str) -> None:
    monkeypatch.setenv("FAKE_BENCH_MODE", mode)
    result = bench_main.run_module(FAKE, quick=True, budget=4)
    assert result.figures == {}
    assert result.error is not None and error in result.error
    table = bench_main.rows([result])
    assert table[0]["status"] == "failed" and error in table[0]["error"]


def test_a_working_module_gives_its_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_BENCH_MODE", "ok")
    result = bench_main.run_module(FAKE, quick=True, budget=30)
    assert result.error is None
    assert result.figures["fake figure"]["quick"] is True
    row = bench_main.rows([result])[0]
    assert row["status"] == "met" and row["module"] == FAKE


def test_report_and_json(tmp_path: Path) -> None:
    ok = bench_main.ModuleResult("startup", 12.5, 45, {"start-up": figure(200.0, "ms", 100.0, "ratio <= 1.3",
                                                                          note="imports mostly")})
    broken = bench_main.ModuleResult("sync", 3.0, 45, error="ValueError: boom")
    table = bench_main.rows([ok, broken])
    text = bench_main.text_table(table)
    assert "start-up" in text and "NOT MET" in text and "sync: ValueError: boom" in text
    machine = {"cpu": "Test CPU", "cores": "2"}
    from datetime import UTC, datetime

    doc = bench_main.markdown(table, [ok, broken], "python -m bench --quick", machine, datetime.now(UTC), True)
    assert "`python -m bench --quick`" in doc and "| cpu | Test CPU |" in doc
    assert "| `bench/bench_sync.py` | 3.0 s | 45 s | 0 | failed: ValueError: boom |" in doc
    assert "imports mostly" in doc
    assert "## Failures" in doc and "- **sync: FAILED**: ValueError: boom" in doc
    merged = bench_main.json_figures(table)
    assert merged["start-up"]["ratio"] == 2.0 and merged["start-up"]["status"] == "NOT MET"
    assert merged["sync: FAILED"]["error"] == "ValueError: boom"
    json.dumps(merged)  # serialisable as the --json file


def test_only_unknown_module_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        bench_main.main(["--only", "no_such_module"])
    assert exc.value.code == 2
    assert "no such benchmark module" in capsys.readouterr().err


def test_discover_lists_the_modules() -> None:
    assert "startup" in bench_main.discover()


def test_phase_breakdown_assigns_gaps_to_the_next_step() -> None:
    runs = [{"spawned_at": 100.0, "values": {"phase_probe": "100.02", "phase_qt_imported": "100.10",
                                              "phase_sign_in_start": "100.30", "phase_sign_in_end": "100.36",
                                              "first_frame": "100.40"}}]
    steps = dict(phase_breakdown(runs))
    assert steps["interpreter start"] == pytest.approx(20)
    assert steps["import PySide6"] == pytest.approx(80)
    assert steps["sign in (scrypt, worker)"] == pytest.approx(260)  # everything since the last marker
    assert steps["load today's list, show and paint the main window"] == pytest.approx(40)


def test_import_breakdown_sums_self_time_by_package() -> None:
    stderr = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:       100 |        100 |     sqlalchemy.util",
        "import time:       300 |        400 |   sqlalchemy",
        "import time:        50 |       2500 | alembic",
        "some other line",
    ])
    by_package, heavy = import_breakdown(stderr)
    assert by_package == {"sqlalchemy": 400, "alembic": 50}
    assert heavy == {"alembic": 2500}


def _sample(ms: float, mb: float, interactive_ms: float = float("nan"), loaded: str = "") -> dict:
    return {"ms": ms, "vmhwm_mb": mb, "values": {"loaded_at_interactive": loaded}, "stderr": "", "spawned_at": 0.0,
            "interactive_ms": interactive_ms, "interactive_cpu_ms": interactive_ms / 2}


def test_startup_figures_from_samples() -> None:
    from bench.bench_startup import _figures

    samples = {"bare": [_sample(100, 50), _sample(120, 50)], "stack": [_sample(300, 100)] * 2,
               "demo": [_sample(400, 120, 130), _sample(400, 120, 150)], "history": [_sample(440, 121)] * 2}
    memory = {"demo": [150.0], "history": [160.0]}
    out = _figures(samples, memory, {"demo": "today:20:130,reports:300:150"}, {"demo": "reportlab"}, {},
                   {"startup": "imports"})
    assert out["start-up to first painted main window (demo)"]["ratio"] == pytest.approx(400 / 110, abs=1e-3)
    note = out["start-up to first painted main window (demo)"]["note"]
    assert note.endswith("imports") and "Today view already filled" in note
    assert target_status(out["start-up to first painted main window (demo)"]) == "?"  # informational
    interactive = out["start-up to first interactive window (demo)"]
    assert interactive["value"] == 140 and interactive["floor"] == 110 and target_status(interactive) == "met"
    assert "none of sqlalchemy" in interactive["note"]
    assert out["start-up over the library stack (demo)"]["floor"] == 300
    assert target_status(out["start-up over the library stack (demo)"]) == "met"  # 400 / 300 <= 1.5
    assert out["start-up with 5 years of history (100,000 appointments)"]["ratio"] == pytest.approx(1.1)
    demo_memory = out["peak memory after opening every screen (demo)"]
    assert target_status(demo_memory) == "NOT MET"  # 150 - 50 = 100 MB above the bare window
    assert "peaks at 100 MB, 50 MB above the bare window, leaving 10 MB" in demo_memory["note"]
    assert "reports 300 ms → 150 MB" in demo_memory["note"] and "reportlab" in demo_memory["note"]
    assert target_status(out["peak memory after every screen over the library stack (demo)"]) == "met"
    assert target_status(out["peak memory after every screen with 5 years of history"]) == "met"


def test_startup_figures_when_the_app_does_not_start() -> None:
    from bench.bench_startup import _figures

    samples = {"bare": [_sample(100, 50)], "stack": [_sample(300, 100)]}
    out = _figures(samples, {}, {}, {}, {"demo": "a dialog appeared before the main window: crash",
                                         "history": "a dialog appeared before the main window: crash"}, {})
    assert all(target_status(fig) == "failed" for fig in out.values())
    assert "crash" in out["start-up to first painted main window (demo)"]["error"]
    assert "crash" in out["start-up to first interactive window (demo)"]["error"]


def test_interactive_window_figure_names_heavy_modules_loaded_before_it() -> None:
    from bench.bench_startup import _figures

    samples = {"bare": [_sample(100, 50)], "stack": [_sample(300, 100)],
               "demo": [_sample(400, 120, 200, "sqlalchemy,keyring")], "history": [_sample(400, 120)]}
    out = _figures(samples, {}, {}, {}, {}, {})
    fig = out["start-up to first interactive window (demo)"]
    assert target_status(fig) == "NOT MET" and "keyring, sqlalchemy" in fig["note"]
