"""``python -m bench [--quick] [--json FILE]``: run every benchmark, print one table, write
``docs/PERFORMANCE.md`` (and the JSON with ``--json``).

Each ``bench/bench_*.py`` runs in a process of its own with a time budget, so one broken or hung
module is reported as failed (with its error) and the rest still run; a child process also keeps
one module's imports and memory from colouring the next one's figures. Modules run one after
another, never in parallel, since they time things.

Exit status: 0 when every module ran (a target missed is a finding, not a crash), 1 when a module
failed, 2 for bad options.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import REPO_ROOT, Deadline, kill_group, machine_info, target_status

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_MARKDOWN = REPO_ROOT / "docs" / "PERFORMANCE.md"
#: Per-module and total budgets in seconds: (quick, full). The whole quick run must stay under
#: 3 minutes and the full one under 15, whoever adds a module.
MODULE_BUDGET_S = {True: 60.0, False: 300.0}
#: Modules that need more than that in a full run (still inside the total): bench_pgbouncer steps
#: through 40, 200 and 600 simulated stations, each opened, warmed and run for 30 s.
MODULE_BUDGET_OVERRIDE_S = {"pgbouncer": {True: 60.0, False: 420.0}}
TOTAL_BUDGET_S = {True: 170.0, False: 870.0}
#: Modules read this (bench.harness.Deadline) to size their work to the time they have.
ENV_BUDGET = Deadline.ENV
REQUIRED_KEYS = ("value", "unit", "floor", "ratio")


@dataclass
class ModuleResult:
    name: str
    seconds: float = 0.0
    budget: float = 0.0
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None


def discover() -> list[str]:
    """Every ``bench/bench_*.py`` by its short name (``bench_startup`` → ``startup``)."""
    return sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))


# -- one module, in its own process -------------------------------------------------------------


def _validate(figures: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(figures, dict):
        raise TypeError(f"run() returned {type(figures).__name__}, not a dict of figures")
    clean: dict[str, dict[str, Any]] = {}
    for name, fig in figures.items():
        if not isinstance(fig, dict):
            raise TypeError(f"figure {name!r} is {type(fig).__name__}, not a dict")
        missing = [k for k in REQUIRED_KEYS if k not in fig]
        if "ratio" in missing and fig.get("floor"):
            fig = {**fig, "ratio": fig["value"] / fig["floor"]}
            missing.remove("ratio")
        if missing:
            raise ValueError(f"figure {name!r} lacks {', '.join(missing)}")
        clean[str(name)] = {k: _jsonable(v) for k, v in fig.items()}
    return clean


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def run_one(name: str, quick: bool, result_file: Path) -> int:
    """The child's side: import one module, run it, write its figures (or its error) as JSON.

    ``name`` is a short name (``startup`` for bench/bench_startup.py) or a dotted module path."""
    sys.path.insert(0, str(REPO_ROOT))
    try:
        module = importlib.import_module(name if "." in name else f"bench.bench_{name}")
        payload: dict[str, Any] = {"figures": _validate(module.run(quick))}
        status = 0
    except BaseException as exc:  # reported in the table; the other modules still run
        payload = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300],
                   "traceback": traceback.format_exc()}
        status = 1
    result_file.write_text(json.dumps(payload), encoding="utf-8")
    return status


def run_module(name: str, quick: bool, budget: float) -> ModuleResult:
    import subprocess

    result = ModuleResult(name, budget=budget)
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        out = Path(tmp) / "result.json"
        args = [sys.executable, "-m", "bench", "--run-one", name, "--result", str(out)]
        if quick:
            args.append("--quick")
        # The module aims to finish a little before the harness would stop it.
        # Everything the module puts in the temporary directory goes under ours, removed with it
        # even when the module is stopped half-way (a five-year cache copy is 150 MB).
        scratch = Path(tmp) / "tmp"
        scratch.mkdir()
        env = {**os.environ, ENV_BUDGET: f"{max(budget * 0.9 - 3, 1):.0f}", "PYTHONPATH": _pythonpath(),
               "TMPDIR": str(scratch)}
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        start = time.monotonic()
        proc = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            _stdout, stderr = proc.communicate(timeout=budget)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            proc.communicate()
            result.seconds = time.monotonic() - start
            result.error = f"exceeded its {'quick ' if quick else ''}budget of {budget:.0f} s and was stopped"
            return result
        result.seconds = time.monotonic() - start
        if out.exists():
            payload = json.loads(out.read_text(encoding="utf-8"))
            result.figures = payload.get("figures", {})
            result.error = payload.get("error")
            if result.error:
                sys.stderr.write(payload.get("traceback", ""))
        else:
            lines = [line for line in stderr.strip().splitlines() if line.strip()]
            result.error = (f"crashed (exit status {proc.returncode}): "
                            f"{lines[-1] if lines else 'no output'}")[:300]
            sys.stderr.write(stderr[-3000:])
    return result


def _pythonpath() -> str:
    existing = os.environ.get("PYTHONPATH")
    return f"{REPO_ROOT}{os.pathsep}{existing}" if existing else str(REPO_ROOT)


# -- the table ----------------------------------------------------------------------------------


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float | int):
        magnitude = abs(value)
        text = f"{value:,.0f}" if magnitude >= 100 else f"{value:.1f}" if magnitude >= 10 else f"{value:.2f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def rows(results: Sequence[ModuleResult]) -> list[dict[str, Any]]:
    table = []
    for result in results:
        if result.error and not result.figures:
            table.append({"figure": f"{result.name}: FAILED", "value": None, "unit": "", "floor": None,
                          "ratio": None, "target": "", "status": "failed", "module": result.name,
                          "error": result.error})
            continue
        for name, fig in result.figures.items():
            table.append({"figure": name, **fig, "status": target_status(fig), "module": result.name})
        if result.error:  # figures arrived, then the module failed
            table.append({"figure": f"{result.name}: FAILED", "value": None, "unit": "", "floor": None,
                          "ratio": None, "target": "", "status": "failed", "module": result.name,
                          "error": result.error})
    return table


def text_table(table: Sequence[dict[str, Any]]) -> str:
    header = ("figure", "value", "floor", "ratio", "target", "status")
    lines = [[r["figure"], fmt(r["value"], r["unit"]), fmt(r["floor"], r["unit"]),
              "—" if r["ratio"] is None else f"{r['ratio']:.2f}", r.get("target") or "", r["status"]]
             for r in table]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *lines, strict=False)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    for r in table:
        if r.get("error"):
            out.append(f"  {r['module']}: {r['error']}")
    return "\n".join(out)


def markdown(table: Sequence[dict[str, Any]], results: Sequence[ModuleResult], command: str,
             machine: dict[str, str], started: datetime, quick: bool) -> str:
    def cell(text: Any) -> str:
        return str(text).replace("|", "\\|")

    out = [
        "# Performance",
        "",
        f"Generated by `{command}` on {started:%Y-%m-%d %H:%M} UTC ({'quick' if quick else 'full'} run). "
        "Do not edit by hand: run the command again.",
        "",
        "Each figure is compared with a **floor** measured in the same run on the same machine "
        "(medians of several runs), so the **ratio** is what carries between machines. "
        "`status` reads the target: `ratio <= N` compares the ratio, `<= N MB above floor` the value "
        "minus the floor, anything else the value itself.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {cell(value)} |" for key, value in machine.items()),
        "",
        "## Figures",
        "",
        "| figure | value | floor | ratio | target | status | made by |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for r in table:
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        made_by = f"`python -m bench --only {r['module']}{' --quick' if quick else ''}`"
        out.append(f"| {cell(r['figure'])} | {fmt(r['value'], r['unit'])} | {fmt(r['floor'], r['unit'])} | "
                   f"{ratio} | {cell(r.get('target') or '')} | {r['status']} | {made_by} |")
    out += ["", "## Modules", "", "| module | took | budget | figures | result |", "|---|---:|---:|---:|---|"]
    for m in results:
        outcome = f"failed: {cell(m.error)}" if m.error else "ok"
        out.append(f"| `bench/bench_{m.name}.py` | {m.seconds:.1f} s | {m.budget:.0f} s | {len(m.figures)} | "
                   f"{outcome} |")
    out.append(f"\nWhole run: {sum(m.seconds for m in results):.0f} s.")
    failures = [(r["figure"], r["error"]) for r in table if r.get("error")]
    if failures:
        out += ["", "## Failures", ""]
        out += [f"- **{cell(name)}**: {cell(error)}" for name, error in failures]
    notes = [(r["figure"], r.get("note") or r.get("notes")) for r in table if r.get("note") or r.get("notes")]
    floors = [(r["figure"], r["floor_is"]) for r in table if r.get("floor_is")]
    if floors:
        out += ["", "## What each floor is", ""]
        out += [f"- **{cell(name)}**: {floor}" for name, floor in floors]
    if notes:
        out += ["", "## Notes", ""]
        out += [f"- **{cell(name)}**: {note}" for name, note in notes]
    return "\n".join(out) + "\n"


def json_figures(table: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for r in table:
        name = r["figure"]
        if name in merged:
            name = f"{name} ({r['module']})"
        merged[name] = {k: v for k, v in r.items() if k != "figure"}
    return merged


# -- the command ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and smaller data (under 3 minutes)")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the figures as JSON")
    parser.add_argument("--only", metavar="NAMES", default=None,
                        help="comma-separated modules (e.g. startup,documents); docs/PERFORMANCE.md is "
                        "then left alone unless --markdown is given")
    parser.add_argument("--markdown", metavar="FILE", type=Path, default=None,
                        help=f"where to write the report (default {DEFAULT_MARKDOWN.relative_to(REPO_ROOT)})")
    parser.add_argument("--list", action="store_true", help="list the benchmark modules and exit")
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.run_one:
        return run_one(args.run_one, args.quick, args.result)
    available = discover()
    if args.list:
        print("\n".join(available))
        return 0
    names = available
    if args.only:
        names = [n.strip().removeprefix("bench_") for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(names) - set(available))
        if unknown:
            parser.error(f"no such benchmark module: {', '.join(unknown)} (have: {', '.join(available)})")
    started = datetime.now(UTC)
    deadline = time.monotonic() + TOTAL_BUDGET_S[args.quick]
    results: list[ModuleResult] = []
    for name in names:
        remaining = deadline - time.monotonic()
        if remaining < 5:
            results.append(ModuleResult(name, error="not run: the whole run's budget was spent"))
            continue
        budget = min(MODULE_BUDGET_OVERRIDE_S.get(name, MODULE_BUDGET_S)[args.quick], remaining)
        print(f"bench: {name} (budget {budget:.0f} s)…", file=sys.stderr, flush=True)
        result = run_module(name, args.quick, budget)
        print(f"bench: {name} took {result.seconds:.1f} s"
              f"{', FAILED: ' + result.error if result.error else ''}", file=sys.stderr, flush=True)
        results.append(result)

    table = rows(results)
    print(text_table(table))
    print()
    print("module timings: " + ", ".join(f"{m.name} {m.seconds:.1f} s" for m in results)
          + f"; total {sum(m.seconds for m in results):.1f} s")
    command = "python -m bench" + ("".join(f" {a}" for a in argv) if argv else "")
    if args.json:
        args.json.write_text(json.dumps(json_figures(table), indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    markdown_file = args.markdown or (None if args.only else DEFAULT_MARKDOWN)
    if markdown_file is not None:
        markdown_file.parent.mkdir(parents=True, exist_ok=True)
        markdown_file.write_text(markdown(table, results, command, machine_info(), started, args.quick),
                                 encoding="utf-8")
        print(f"wrote {markdown_file}")
    return 1 if any(m.error for m in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
