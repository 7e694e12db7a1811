"""Helpers every benchmark shares: statistics over runs, timed child processes, peak memory,
the machine's description, and reading a figure's target ("<= 1.3x", "<= 60 MB above floor").

Shared machines are noisy, so a figure is never a single run: take several, report the median,
and compare with a floor measured in the same run (interleaved with the figure's own runs where
possible, so a burst of noise hits both).
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent

# -- statistics ---------------------------------------------------------------------------------


def median(samples: Sequence[float]) -> float:
    if not samples:
        raise ValueError("no samples")
    return float(statistics.median(samples))


def p95(samples: Sequence[float]) -> float:
    """The 95th percentile by nearest rank (with few samples this is the slowest one)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return float(ordered[rank - 1])


def time_ms(fn: Callable[[], Any], *, runs: int, warmup: int = 1) -> list[float]:
    """Wall-clock milliseconds of ``fn()`` over ``runs`` runs, after ``warmup`` unmeasured ones."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    return samples


def figure(value: float, unit: str, floor: float, target: str, **extra: Any) -> dict[str, Any]:
    """One row of the table in the form every ``run(quick)`` returns."""
    ratio = value / floor if floor else math.nan
    return {"value": round(value, 3), "unit": unit, "floor": round(floor, 3), "ratio": round(ratio, 3),
            "target": target, **extra}


class Deadline:
    """The time a benchmark module has left (``python -m bench`` sets ``FRONTCOUNTER_BENCH_BUDGET_S``).

    A module that checks it before each optional step returns what it has measured instead of
    being stopped by the harness with nothing.
    """

    ENV = "FRONTCOUNTER_BENCH_BUDGET_S"

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds

    @classmethod
    def from_env(cls, default: float) -> Deadline:
        return cls(float(os.environ.get(cls.ENV, default)))

    def left(self) -> float:
        return self.ends - time.monotonic()

    def allows(self, seconds: float) -> bool:
        return self.left() > seconds


# -- child processes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildRun:
    """A finished child process: when it was spawned (``time.monotonic``), what it said, its status."""

    spawned_at: float
    returncode: int
    stdout: str
    stderr: str
    wall_s: float

    def values(self) -> dict[str, str]:
        """The child's ``KEY=value`` lines (the protocol our probe scripts print on stdout)."""
        found = {}
        for line in self.stdout.splitlines():
            key, sep, value = line.partition("=")
            if sep and key.isidentifier():
                found[key] = value.strip()
        return found

    def tail(self, lines: int = 3) -> str:
        text = (self.stderr or self.stdout).strip().splitlines()
        return " | ".join(text[-lines:]) if text else f"exit status {self.returncode}"


def run_child(args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 120.0,
              cwd: Path | None = None) -> ChildRun:
    """Run ``args`` to completion; the spawn time lets a child report "time since I was started".

    ``env`` is the child's whole environment (default: ours).

    ``CLOCK_MONOTONIC`` is one clock for every process on Linux, so a child's ``time.monotonic()``
    minus ``spawned_at`` is the time from just before ``fork``/``exec`` to that moment: it
    includes the interpreter's own start, as a user double-clicking the app would feel it.
    """
    full_env = dict(os.environ if env is None else env)
    spawned_at = time.monotonic()
    # In our own process group, so the harness stopping a module stops its children too.
    proc = subprocess.Popen(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=full_env, cwd=cwd or REPO_ROOT)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        stderr += f"\n(killed after {timeout:.0f} s)"
    return ChildRun(spawned_at, proc.returncode, stdout, stderr, time.monotonic() - spawned_at)


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """Stop a child we started and anything it started (it runs in a session of its own)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, 9)


def python() -> str:
    return sys.executable


# -- memory ------------------------------------------------------------------------------------

MB = 1024 * 1024  # "MB" in this project's tables is the MiB the kernel reports (as top does)


def vmhwm_mb(pid: int | str = "self") -> float:
    """Peak resident set size ("high water mark") of a live process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+)\s+kB", status, re.MULTILINE)
    if not match:
        raise RuntimeError("VmHWM not found in /proc status (not Linux?)")
    return int(match.group(1)) * 1024 / MB


def children_peak_rss_mb() -> float:
    """Largest peak RSS of any waited-for child so far (``getrusage(RUSAGE_CHILDREN)``, Linux kB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / MB


# -- the machine -------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))} (kernel {platform.release()})"
    except OSError:
        pass
    return platform.platform()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, str]:
    ram = _ram_gb()
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "ram": f"{ram:.1f} GB" if ram else "unknown",
        "os": _os_name(),
        "python": platform.python_version(),
        "pyside6": _version("PySide6-Essentials"),
        "sqlalchemy": _version("SQLAlchemy"),
    }


# -- targets -----------------------------------------------------------------------------------

_TIME_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1000.0, "sec": 1000.0, "min": 60_000.0}
_SIZE_MB = {"b": 1 / MB, "kb": 1 / 1024, "kib": 1 / 1024, "mb": 1.0, "mib": 1.0, "gb": 1024.0, "gib": 1024.0}
_OPS = {"<=": "<=", "≤": "<=", "<": "<", ">=": ">=", "≥": ">=", ">": ">", "at most": "<=",
        "under": "<", "below": "<", "at least": ">=", "over": ">"}
_TARGET = re.compile(
    r"^\s*(?P<subject>ratio\s*)?(?P<stat>(?:p\d{1,2}|median|mean|max|min)\s+)?(?P<op><=|>=|≤|≥|<|>|at most|at least|under|below|over)\s*"
    r"(?P<number>[0-9]*\.?[0-9]+)\s*(?P<unit>[a-zA-Zµ/%]+(?:/[a-zA-Z]+)?|[x×])?"
    r"\s*(?P<rest>.*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Target:
    """What a target string means: compare ``subject`` (value, ratio, or value minus floor)."""

    subject: str  # "value", "ratio" or "above_floor"
    op: str
    number: float
    unit: str | None
    #: "p95 <= 10 ms" compares the figure's "p95" entry when it has one, else its value.
    stat: str | None = None

    def holds(self, fig: Mapping[str, Any]) -> bool | None:
        """True/False when the figure meets the target, None when the units cannot be compared."""
        limit: float | None = self.number
        if self.subject == "ratio":
            measured = fig.get("ratio")
        else:
            measured = fig.get(self.stat, fig.get("value")) if self.stat else fig.get("value")
            if self.subject == "above_floor":
                floor = fig.get("floor")
                if measured is None or floor is None:
                    return None
                measured = measured - floor
            limit = _convert(self.number, self.unit, str(fig.get("unit") or ""))
        if limit is None or measured is None or (isinstance(measured, float) and math.isnan(measured)):
            return None
        return bool({"<=": measured <= limit, "<": measured < limit, ">=": measured >= limit,
                     ">": measured > limit}[self.op])


def _convert(number: float, unit: str | None, to_unit: str) -> float | None:
    if not unit or unit.lower() == to_unit.lower():
        return number
    for table in (_TIME_MS, _SIZE_MB):
        lowered = {k.lower(): v for k, v in table.items()}
        if unit.lower() in lowered and to_unit.lower() in lowered:
            return number * lowered[unit.lower()] / lowered[to_unit.lower()]
    return None


def parse_target(text: str | None) -> Target | None:
    """Read "<= 30 ms", "p95 <= 10 ms", "ratio <= 1.3", "<= 1.2x", "<= 60 MB above floor",
    ">= 500 rows/s"."""
    if not text:
        return None
    match = _TARGET.match(text)
    if not match:
        return None
    unit = match.group("unit")
    rest = (match.group("rest") or "").lower()
    subject = "value"
    if match.group("subject") or (unit and unit.lower() in ("x", "×")) or "of floor" in rest or \
            "x floor" in rest or "times" in rest:
        subject = "ratio"
        unit = None
    elif "above" in rest or "over floor" in rest or "more than" in rest:
        subject = "above_floor"
    stat = (match.group("stat") or "").strip().lower() or None
    return Target(subject, _OPS[match.group("op").lower()], float(match.group("number")), unit, stat)


def target_status(fig: Mapping[str, Any]) -> str:
    """"met", "not met", or "?" when there is no target or it cannot be read."""
    if fig.get("error"):
        return "failed"
    target = parse_target(fig.get("target"))
    if target is None:
        return "?"
    held = target.holds(fig)
    if held is None:
        return "?"
    return "met" if held else "NOT MET"
