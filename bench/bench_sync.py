"""Sync against the real PostgreSQL: what a sync costs, and whether it stays flat as the centre grows.

Everything runs in a benchmark database of its own (created, seeded with the demo, dropped). The
station is Hemel Hempstead's cache; "no-op" means nothing to send and nothing new for this
station, while other stations' changes have moved the central clock (so the pull really asks
every table, as it would in a busy force). Figures, each against a floor from the same run:

- **no-op sync, ~1,000 central appointments**: ``sync_once``. Floor: the least any sync must do,
  one central round trip reading the clock plus one local read (interleaved). Target <= 50 ms.
- **no-op sync, 1,000,000 central appointments** (200,000 in quick mode; the extra rows belong to
  another station): the same sync. Floor: the no-op at ~1,000. Target: flat, ratio <= 1.5.
- **incremental sync, 1,000 changed rows**: one central transaction changes 1,000 of the
  station's appointments; the sync pulls them. Floor: the same 1,000 rows read in one SELECT
  (interleaved). Target <= 1000 ms.
- **first sync of a station** (its ~3,000 rows into an empty cache). Floor: reading every row of
  the station's scope, one SELECT per table. Target <= 5000 ms.
- **load: 11 and 600 stations syncing every 10 s** (staggered, for 10 s quick / 60 s full, with
  a central writer committing twice a second elsewhere): p50 and p99 of a sync, and the
  PostgreSQL server's CPU per sync (from /proc of the postgres processes). Floors: one
  uncontended no-op sync, and its server CPU. The clients are threads in this one process sharing
  a pool of 20 connections, as stations would share PgBouncer; on a 2-core machine they compete
  with the server for CPU, so the load figures are upper bounds.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import Deadline, figure, median

PG_URL = os.environ.get("FRONTCOUNTER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DEMO_NOW = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
CODES = ("HH", "SG", "WD", "SA", "HF", "HT", "BS", "CH", "BW", "HI", "LG")
BULK_ROOMS = 200


@contextmanager
def bench_database(admin_url: str, prefix: str = "fc_bench_sync") -> Iterator[str]:
    """A PostgreSQL database of our own for the run (named ``prefix`` and a random tail), dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _cpu_of(pid: int) -> float:
    """CPU seconds of a process: /proc/PID/schedstat in nanoseconds where the kernel has it (the
    10 ms ticks of /proc/PID/stat are too coarse for a millisecond per sync)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerCpu:
    """CPU used by the PostgreSQL backends serving one database (from /proc; the server is local).

    Only this database's backends count, so other work on a shared server does not colour the
    figure; the server's shared background processes (WAL writer, checkpointer) are left out.
    """

    def __init__(self, admin_url: str, database: str) -> None:
        from sqlalchemy import create_engine

        self._admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=_null_pool())
        self._database = database
        self._start: dict[int, float] = {}

    def _backends(self) -> dict[int, float]:
        from sqlalchemy import text

        with self._admin.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d "
                                     "AND backend_type = 'client backend'"),
                                {"d": self._database}).scalars().all()
        found = {}
        for pid in pids:
            try:
                found[int(pid)] = _cpu_of(int(pid))
            except (OSError, IndexError, ValueError):
                continue  # ended meanwhile
        return found

    def start(self) -> None:
        self._start = self._backends()

    def seconds(self) -> float:
        """CPU seconds since ``start`` (a backend that appeared meanwhile counts whole)."""
        now = self._backends()
        return sum(cpu - self._start.get(pid, 0.0) for pid, cpu in now.items())

    def close(self) -> None:
        self._admin.dispose()


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _interleaved(fn: Callable[[], Any], floor: Callable[[], Any], runs: int,
                 before: Callable[[], Any] | None = None) -> tuple[list[float], list[float]]:
    """``fn`` and ``floor`` timed alternately after a warm-up; ``before`` runs untimed before each."""
    for f in (before, fn, floor):
        if f is not None:
            f()
    values, floors = [], []
    for _ in range(runs):
        floors.append(_timed(floor))
        if before is not None:
            before()
        values.append(_timed(fn))
    return values, floors


class Bench:
    """The centre, the station under test and the helpers every figure uses."""

    def __init__(self, url: str, tmp: Path) -> None:
        from sqlalchemy import select
        from sqlalchemy.engine import make_url

        from frontcounter.db.engine import make_session_factory
        from frontcounter.db.models import Station
        from frontcounter.paths import Paths
        from frontcounter.runtime import create_demo, open_station
        from frontcounter.services.core.clock import FixedClock
        from frontcounter.services.sync.connection import open_central

        self.url, self.tmp = url, tmp
        self.cpu = ServerCpu(PG_URL, make_url(url).database or "")
        self.clock = FixedClock(DEMO_NOW)
        create_demo(Paths.resolve(tmp / "HH"), clock=self.clock, central_url=url, station_code="HH")
        self.station = open_station(Paths.resolve(tmp / "HH"), clock=self.clock)
        self.central = open_central(url, connect_args={"application_name": "bench-sync"})
        self.write = make_session_factory(self.central, write=True)
        with make_session_factory(self.central)() as s:
            self.station_ids = {code: s.scalar(select(Station.id).where(Station.code == code)) for code in CODES}
        self._elsewhere = 0
        self._elsewhere_id: Any = None

    def sync(self, station: Any = None, engine: Any = None) -> Any:
        from frontcounter.services.sync.station import sync_once

        runtime = station or self.station
        return sync_once(runtime.engine, engine or self.central, runtime.ctx.station_code, clock=self.clock)

    def change_elsewhere(self) -> None:
        """Another station's change: the clock moves, nothing in HH's scope does."""
        from sqlalchemy import text

        self._elsewhere += 1
        with self.central.begin() as conn:
            if self._elsewhere_id is None:  # one row, found once: each change then costs the same
                self._elsewhere_id = conn.execute(text("SELECT id FROM appointments WHERE station_id = :s LIMIT 1"),
                                                  {"s": self.station_ids["LG"]}).scalar()
            version = conn.execute(text("UPDATE sync_clock SET value = value + 1 WHERE id = 1 RETURNING value")).scalar()
            conn.execute(text("UPDATE appointments SET visitor_email = :e, version = :v WHERE id = :i"),
                         {"e": f"b{self._elsewhere}@example.org", "v": version, "i": self._elsewhere_id})

    def floor_round_trip(self) -> None:
        """The least a sync can do: read the central clock, and read the cache once."""
        from sqlalchemy import func, select, text

        from frontcounter.db.models import OutboxEntry

        with self.central.connect() as conn:
            conn.execute(text("SELECT value FROM sync_clock WHERE id = 1")).scalar()
        with self.station.ctx.read() as s:
            s.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state == "pending"))

    def count(self, sql: str, **params: Any) -> int:
        from sqlalchemy import text

        with self.central.connect() as conn:
            return int(conn.execute(text(sql), params).scalar() or 0)

    def bulk_appointments(self, code: str, count: int, *, start_year: int, status: str, tag: str) -> None:
        """``count`` more appointments at ``code`` in one INSERT … SELECT generate_series, spread over
        rooms of their own (up to BULK_ROOMS) in hourly slots, so the double-booking guard accepts them."""
        from sqlalchemy import text

        station_id = self.station_ids[code]
        rooms = max(1, min(BULK_ROOMS, count // 5000 + 1))
        with self.central.begin() as conn:
            version = conn.execute(text("UPDATE sync_clock SET value = value + 1 WHERE id = 1 RETURNING value")).scalar()
            conn.execute(text(
                "INSERT INTO rooms (id, station_id, name, capacity, step_free, hearing_loop, video_link, soundproofed,"
                " child_friendly, active, version, deleted) SELECT md5(:tag || 'room' || n)::uuid, :s, 'Bulk room ' || n,"
                " 2, false, false, false, false, false, true, :v, false FROM generate_series(1, :rooms) n "
                "ON CONFLICT DO NOTHING"), {"tag": tag, "s": station_id, "v": version, "rooms": rooms})
            conn.execute(text(
                """
                INSERT INTO appointments (id, reference, station_id, room_id, officer_id, start_at, end_at, channel,
                    reason, visitor_name, visitor_phone, needs_step_free, needs_hearing_loop, vulnerability_flags,
                    status, at_risk, created_at, created_by, version, deleted, updated_at)
                SELECT md5(:tag || n)::uuid, left(:code || '-' || :tag || n, 16), :s,
                    md5(:tag || 'room' || (1 + n % :rooms))::uuid, NULL,
                    make_timestamptz(:year, 1, 1, 0, 0, 0, 'UTC') + (n / :rooms) * interval '1 hour',
                    make_timestamptz(:year, 1, 1, 1, 0, 0, 'UTC') + (n / :rooms) * interval '1 hour',
                    '101_call', 'other', 'Visitor ' || n, '07700 900000', false, false, '[]', :status, false,
                    now(), 'bench', :v, false, now()
                FROM generate_series(1, :n) AS n
                """), {"tag": tag, "code": code, "s": station_id, "rooms": rooms, "year": start_year,
                       "status": status, "v": version, "n": count})


def _incremental(bench: Bench, runs: int) -> dict[str, Any]:
    from sqlalchemy import text

    bench.bulk_appointments("HH", 2000, start_year=2030, status="booked", tag="inc")
    bench.sync()
    state = {"n": 0}

    def change_1000() -> None:
        state["n"] += 1
        with bench.central.begin() as conn:
            version = conn.execute(text("UPDATE sync_clock SET value = value + 1 WHERE id = 1 RETURNING value")).scalar()
            conn.execute(text("UPDATE appointments SET visitor_email = :e, version = :v WHERE id IN ("
                              "SELECT id FROM appointments WHERE created_by = 'bench' AND station_id = :s "
                              "ORDER BY id LIMIT 1000)"),
                         {"e": f"r{state['n']}@example.org", "v": version, "s": bench.station_ids["HH"]})

    def floor() -> None:
        from frontcounter.db.models import Appointment
        from frontcounter.services.sync.pull import columns_of as _columns

        columns = ", ".join(_columns(Appointment))
        with bench.central.connect() as conn:
            rows = conn.execute(text(f"SELECT {columns} FROM appointments WHERE created_by = 'bench' "
                                     "AND station_id = :s ORDER BY id LIMIT 1000"),
                                {"s": bench.station_ids["HH"]}).all()
        assert len(rows) == 1000

    pulled: list[int] = []

    def sync() -> None:
        pulled.append(bench.sync().pulled.get("appointments", 0))

    values, floors = _interleaved(sync, floor, runs, before=change_1000)
    assert all(n == 1000 for n in pulled[1:]), pulled
    return figure(median(values), "ms", median(floors), "<= 1000 ms", runs=runs,
                  floor_is="the same 1,000 rows read with one SELECT")


def _first_sync(bench: Bench, runs: int) -> tuple[str, dict[str, Any]]:
    from sqlalchemy import select

    from frontcounter.config import Settings, save_settings
    from frontcounter.db.engine import make_session_factory
    from frontcounter.db.models import SYNCED_MODELS
    from frontcounter.paths import Paths
    from frontcounter.runtime import open_station
    from frontcounter.services.sync.pull import columns_of as _columns
    from frontcounter.services.sync.pull import scope_of as _scope

    rows_pulled: list[int] = []
    values: list[float] = []
    floors: list[float] = []

    def floor() -> None:
        with make_session_factory(bench.central)() as s:
            for model in SYNCED_MODELS:
                table = model.__table__  # type: ignore[attr-defined]
                query = select(*(table.c[c] for c in _columns(model)))
                scope = _scope(model, bench.station_ids["HH"])
                if scope is not None:
                    query = query.where(scope)
                s.execute(query).all()

    floor()
    for n in range(runs):
        paths = Paths.resolve(bench.tmp / f"first-{n}")
        paths.ensure()
        save_settings(paths.config_file, Settings(station_code="HH", central_url=bench.url))
        fresh = open_station(paths, clock=bench.clock)  # migrated before the clock starts
        floors.append(_timed(floor))
        start = time.perf_counter()
        report = bench.sync(fresh)
        values.append((time.perf_counter() - start) * 1000)
        rows_pulled.append(report.pulled_total)
        fresh.engine.dispose()
        shutil.rmtree(paths.data_dir, ignore_errors=True)
    name = f"first sync of a station ({rows_pulled[0]:,} rows)"
    return name, figure(median(values), "ms", median(floors), "<= 5000 ms", runs=runs,
                        rows_per_s=round(rows_pulled[0] / (median(values) / 1000)),
                        floor_is="every row of the station's scope read, one SELECT per table")


#: The stations whose caches the load clients copy (HH and SG carry the bulk rows of other figures).
CLIENT_CODES = ("WD", "SA", "HF", "HT", "BS", "CH", "BW", "HI", "LG")


def _make_templates(bench: Bench) -> dict[str, Path]:
    """One synced cache per client station, made early (before the bulk loads make pulls long)."""
    from frontcounter.config import Settings, save_settings
    from frontcounter.paths import Paths
    from frontcounter.runtime import open_station

    templates = {}
    for code in CLIENT_CODES:
        paths = Paths.resolve(bench.tmp / f"template-{code}")
        paths.ensure()
        save_settings(paths.config_file, Settings(station_code=code, central_url=bench.url))
        runtime = open_station(paths, clock=bench.clock)
        bench.sync(runtime)
        runtime.engine.dispose()
        templates[code] = paths.data_dir
    return templates


def _client_caches(bench: Bench, templates: dict[str, Path], count: int) -> list[Any]:
    """``count`` station caches (file copies of the templates), each opened as its own runtime."""
    from frontcounter.paths import Paths
    from frontcounter.runtime import open_station

    for path in templates.values():  # bring each template up to date, so the copies start current
        runtime = open_station(Paths.resolve(path), clock=bench.clock)
        bench.sync(runtime)
        runtime.engine.dispose()
    shutil.rmtree(bench.tmp / "clients", ignore_errors=True)
    clients = []
    for n in range(count):
        code = CLIENT_CODES[n % len(CLIENT_CODES)]
        target = bench.tmp / "clients" / f"{n:03d}-{code}"
        shutil.copytree(templates[code], target, ignore=shutil.ignore_patterns("logs"))
        clients.append(open_station(Paths.resolve(target), clock=bench.clock))
    return clients


def _run_clients(url: str, data_dirs: list[str], offsets: list[int], clients: int, period: float,
                 start_epoch: float, seconds: float, pool: int, release: str | None = None) -> dict[str, Any]:
    """One load process: a thread per station cache, each syncing every ``period`` s from its slot."""
    from sqlalchemy import create_engine
    from sqlalchemy.util import LRUCache

    from frontcounter.config import load_settings
    from frontcounter.db.engine import make_engine, sqlite_url
    from frontcounter.paths import Paths
    from frontcounter.services.core.clock import FixedClock
    from frontcounter.services.sync.connection import PG_CONNECT_ARGS
    from frontcounter.services.sync.station import sync_once

    clock = FixedClock(DEMO_NOW)
    # Each simulated PC runs a warm app: its statements compiled once, as a real station's would be
    # after its first sync. One process simulating hundreds of PCs shares that cache between them.
    compiled = LRUCache(2000)
    caches = []
    for d in data_dirs:
        paths = Paths.resolve(d)
        engine = make_engine(sqlite_url(paths.station_db)).execution_options(compiled_cache=compiled)
        caches.append((engine, load_settings(paths.config_file).station_code))
    # PgBouncer-like: the stations share a few server connections.
    shared = create_engine(url, pool_size=pool, max_overflow=0, pool_timeout=120,
                           connect_args={**PG_CONNECT_ARGS, "application_name": "bench-load"})
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    ends = start_epoch + seconds
    sync_once(caches[0][0], shared, caches[0][1], clock=clock)  # compile once, untimed
    # Every server connection up, its catalog caches warm, before the clock starts: a connection's
    # first statements on each table cost the server far more than a sync, once.
    opened = [shared.connect() for _ in range(pool)]
    for conn in opened:
        conn.exec_driver_sql("SELECT 1 FROM stations, opening_sessions, rooms, officers, duties, users, "
                             "appointments, follow_ups, attention_items, sync_clock, alembic_version LIMIT 0")
        conn.close()
    for n in range(2 * pool):  # the pool hands connections round in turn: each runs a real sync
        sync_once(caches[n % len(caches)][0], shared, caches[n % len(caches)][1], clock=clock)
    cpu_before = time.process_time()

    def client(offset: int, cache: Any) -> None:
        next_at = start_epoch + period * offset / clients
        while next_at < ends:
            delay = next_at - time.time()
            if delay > 0 and stop.wait(delay):
                return
            try:
                elapsed = _timed(lambda: sync_once(cache[0], shared, cache[1], clock=clock))
            except Exception as exc:  # counted, not fatal: the figure reports them
                with lock:
                    errors.append(type(exc).__name__)
            else:
                with lock:
                    times.append(elapsed)
            next_at += period

    threads = [threading.Thread(target=client, args=(o, c), daemon=True) for o, c in zip(offsets, caches, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    stop.set()
    client_cpu = time.process_time() - cpu_before
    # Keep the server connections until the parent has read the server's CPU (their backends end
    # with them, and their CPU would go uncounted).
    deadline = time.time() + 120
    while release is not None and not Path(release).exists() and time.time() < deadline:
        time.sleep(0.05)
    shared.dispose()
    for engine, _code in caches:
        engine.dispose()
    return {"times": times, "errors": errors, "client_cpu_s": client_cpu}


def _load(bench: Bench, templates: dict[str, Path], clients: int, seconds: float, *, period: float = 10.0,
          change_cpu_ms: float = 0.0, processes: int = 2) -> dict[str, float]:
    """``clients`` stations syncing every ``period`` s, staggered, for ``seconds``, from ``processes``
    load processes (one Python process cannot drive hundreds of stations without its own lock
    becoming the bottleneck); a central writer commits twice a second meanwhile."""
    import json
    import subprocess
    import sys

    caches = _client_caches(bench, templates, clients)
    dirs = [str(c.paths.data_dir) for c in caches]
    for cache in caches:
        cache.engine.dispose()
    processes = max(1, min(processes, clients))
    start_epoch = time.time() + 4.0  # time for the load processes to start
    procs = []
    for p in range(processes):
        spec = {"url": bench.url, "data_dirs": dirs[p::processes], "offsets": list(range(clients))[p::processes],
                "clients": clients, "period": period, "start_epoch": start_epoch, "seconds": seconds,
                "pool": max(2, min(20 // processes, len(dirs[p::processes]))), "release": str(bench.tmp / f"load-{clients}.release")}
        spec_file = bench.tmp / f"load-{clients}-{p}.json"
        spec_file.write_text(json.dumps(spec))
        procs.append((subprocess.Popen([sys.executable, "-m", "bench.bench_sync", "--clients", str(spec_file)],
                                       cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True), spec_file))
    changes = [0]
    time.sleep(max(0.0, start_epoch - time.time()))
    bench.cpu.start()
    wall_before = time.monotonic()
    while time.time() < start_epoch + seconds:
        time.sleep(0.5)
        bench.change_elsewhere()
        changes[0] += 1
    time.sleep(1.0)  # the syncs started last finish (their server time counts)
    raw_cpu = bench.cpu.seconds()
    (bench.tmp / f"load-{clients}.release").touch()
    # The central writer's own statements are not a sync's cost: take them out.
    cpu = max(0.0, raw_cpu - changes[0] * change_cpu_ms / 1000)
    wall = time.monotonic() - wall_before
    times: list[float] = []
    errors = 0
    client_cpu = 0.0
    for proc, spec_file in procs:
        out, err = proc.communicate(timeout=seconds + 180)
        if proc.returncode != 0:
            raise RuntimeError(f"a load process failed: {err.strip().splitlines()[-1] if err.strip() else proc.returncode}")
        result = json.loads(Path(str(spec_file) + ".out").read_text())
        times += result["times"]
        errors += len(result["errors"])
        client_cpu += result["client_cpu_s"]
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))] if ordered else float("nan")
    return {"p50": statistics.median(ordered) if ordered else float("nan"), "p99": p99, "syncs": len(times),
            "errors": errors, "server_cpu_ms_per_sync": cpu * 1000 / max(1, len(times)),
            "server_cpu_percent": 100 * cpu / wall, "raw_server_cpu_s": raw_cpu, "writer_changes": changes[0],
            "client_cpu_ms_per_sync": client_cpu * 1000 / max(1, len(times))}


def _uncontended_server_cpu(bench: Bench, runs: int) -> tuple[float, float]:
    """Server CPU (ms) of one change elsewhere, and of one no-op sync after it, one client alone."""
    bench.change_elsewhere()  # warm: the connections exist before the meter starts
    bench.sync()
    bench.cpu.start()
    for _ in range(runs):
        bench.change_elsewhere()
    change_ms = bench.cpu.seconds() * 1000 / runs
    bench.cpu.start()
    for _ in range(runs):
        bench.change_elsewhere()
        bench.sync()
    return change_ms, max(0.0, bench.cpu.seconds() * 1000 / runs - change_ms)


def _no_op_pair(small: Bench, large: Bench, runs: int) -> tuple[list[float], list[float], list[float]]:
    """No-op syncs against the small and the large centre, interleaved with the round-trip floor, so
    a burst of noise on a shared machine hits all three alike."""
    small.sync()
    large.sync()
    values_small, values_large, floors = [], [], []
    for _ in range(runs + 1):
        floors.append(_timed(small.floor_round_trip))
        small.change_elsewhere()
        values_small.append(_timed(small.sync))
        large.change_elsewhere()
        values_large.append(_timed(large.sync))
    return values_small[1:], values_large[1:], floors[1:]


def run(quick: bool) -> dict[str, dict[str, Any]]:
    from sqlalchemy import create_engine

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    deadline = Deadline.from_env(60 if quick else 300)
    runs = 41 if quick else 101
    big = 100_000 if quick else 1_000_000
    window = 8.0 if quick else 60.0
    figures: dict[str, dict[str, Any]] = {}
    with bench_database(PG_URL) as url_small, bench_database(PG_URL) as url_large, \
            tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp_name:
        tmp = Path(tmp_name)
        small, large = Bench(url_small, tmp / "small"), Bench(url_large, tmp / "large")
        try:
            for bench in (small, large):
                total = bench.count("SELECT count(*) FROM appointments")
                bench.bulk_appointments("LG", max(0, 1000 - total), start_year=2020, status="completed", tag="k")
            small_count = small.count("SELECT count(*) FROM appointments")
            templates = _make_templates(large)  # (before the bulk load makes pulls long)
            started = time.perf_counter()
            # Other stations' history, released (cancelled) rows: the overlap index skips them, which
            # keeps the load quick; the pull never reads another station's rows either way.
            large.bulk_appointments("SG", big - small_count, start_year=2000, status="cancelled", tag="m")
            load_s = time.perf_counter() - started
            large_count = large.count("SELECT count(*) FROM appointments")
            # Settle the bulk load as autovacuum would within a minute (visibility map, statistics):
            # measured straight after it, every query on the server pays for the load's aftermath.
            vacuum = create_engine(url_large, isolation_level="AUTOCOMMIT")
            with vacuum.connect() as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
            vacuum.dispose()
            values_small, values_large, floors = _no_op_pair(small, large, runs)
            figures[f"no-op sync, {small_count:,} central appointments"] = figure(
                median(values_small), "ms", median(floors), "<= 50 ms", runs=runs,
                floor_is="one central round trip reading the clock + one local read")
            figures[f"no-op sync, {large_count:,} central appointments"] = figure(
                median(values_large), "ms", median(values_small), "ratio <= 1.5", runs=runs,
                bulk_load_s=round(load_s, 1),
                floor_is=f"the same no-op sync against a centre of {small_count:,} appointments (interleaved)")
            change_cpu, noop_cpu = _uncontended_server_cpu(large, runs)

            if deadline.allows(35):
                figures["incremental sync, 1,000 changed rows"] = _incremental(large, 3 if quick else 9)
            if deadline.allows(30):
                name, fig = _first_sync(large, 2 if quick else 5)
                figures[name] = fig
            single = median(values_large)
            for clients in (11, 600):
                if not deadline.allows(window + (12 if clients > 11 else 4)):
                    break
                load = _load(large, templates, clients, window, change_cpu_ms=change_cpu)
                label = f"load: {clients} stations syncing every 10 s"
                extra = {"syncs": load["syncs"], "errors": load["errors"], "window_s": window,
                         "central_appointments": large_count,
                         "client_cpu_ms_per_sync": round(load["client_cpu_ms_per_sync"], 2)}
                figures[f"{label}, p50"] = figure(load["p50"], "ms", single, "<= 100 ms", **extra,
                                                  floor_is="one uncontended no-op sync")
                figures[f"{label}, p99"] = figure(
                    load["p99"], "ms", single, "<= 500 ms", **extra, floor_is="one uncontended no-op sync",
                    note="the simulated stations are threads in two local Python processes sharing the "
                         "machine's cores with the server; their own CPU (client_cpu_ms_per_sync) is most "
                         "of the tail, so this is an upper bound for real, separate PCs")
                figures[f"{label}, server CPU per sync"] = figure(
                    load["server_cpu_ms_per_sync"], "ms", noop_cpu, "ratio <= 3", **extra,
                    server_cpu_percent_of_one_core=round(load["server_cpu_percent"], 1),
                    raw_server_cpu_s=round(load["raw_server_cpu_s"], 3), writer_changes=load["writer_changes"],
                    writer_cpu_ms_each=round(change_cpu, 3),
                    floor_is="server CPU (this database's client backends) of one uncontended no-op sync")
        finally:
            for bench in (small, large):
                bench.central.dispose()
                bench.station.engine.dispose()
                bench.cpu.close()
    return figures


if __name__ == "__main__":  # python -m bench.bench_sync [--full] | --clients SPEC (a load process)
    import json
    import sys

    if "--clients" in sys.argv:
        spec_path = sys.argv[sys.argv.index("--clients") + 1]
        spec = json.loads(Path(spec_path).read_text())
        Path(spec_path + ".out").write_text(json.dumps(_run_clients(**spec)))
    else:
        print(json.dumps(run("--full" not in sys.argv), indent=2))
