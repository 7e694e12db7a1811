"""Hundreds of stations syncing through PgBouncer (transaction pooling) against one PostgreSQL (issue 22).

Each simulated station is its own client connection to PgBouncer (as 600 PCs would be), and
PgBouncer multiplexes them onto 20 server connections in ``pool_mode = transaction``. Every
station syncs every 10 s, staggered; 5 % of its syncs first commit a change of its own (a contact
detail edited at the counter, so the sync pushes one operation); the rest are no-ops. A full run
steps through 40, 200 and 600 stations (``FRONTCOUNTER_BENCH_STATIONS=40,200,600``); quick, 40.
Figures, per step:

- **p50 / p99 of a sync** through PgBouncer. Floor: a bare round trip (``SELECT 1``) through the
  same PgBouncer in the same run. Target p99 <= 100 ms.
- **server CPU per sync** (this database's PostgreSQL backends, from /proc). Floor: the server
  CPU of a bare round trip, measured the same way in the same run.
- **client CPU per sync** (the load processes' own CPU, from ``time.process_time``): on this
  machine the simulated stations share the cores with PostgreSQL and PgBouncer, so it is reported
  apart; and ``off_cpu_p99_ms``, the p99 of a sync's wall time minus its own thread's CPU (the
  time spent waiting on the centre, PgBouncer and the run queue).

And once: **central round trips of a no-op sync** (counted with a libpq trace; floor: 1, the bare
round trip), the figure the sync was cut down to.

Needs ``pgbouncer`` on the PATH (Debian: ``apt-get install pgbouncer``); without it the module
fails with that one line. It starts its own instance on a free port with a configuration in its
temporary directory, and stops it after. The stations are threads in two local Python processes,
so the latencies are upper bounds for real, separate PCs.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.bench_sync import (
    DEMO_NOW,
    PG_URL,
    Bench,
    _client_caches,
    _make_templates,
    _timed,
    bench_database,
)
from bench.harness import Deadline, figure

#: Station counts a full run steps through (the quick run: the first only).
STEPS = tuple(int(n) for n in os.environ.get("FRONTCOUNTER_BENCH_STATIONS", "40,200,600").split(",") if n.strip())
STATIONS = max(STEPS)
#: Load processes driving the stations (threads in each): one per core here.
PROCESSES = int(os.environ.get("FRONTCOUNTER_BENCH_PROCESSES", "2"))
PERIOD_S = 10.0
CHANGE_SHARE = 0.05
SERVER_POOL = 20
#: How often the separate-process probe station syncs during a step.
PROBE_PERIOD_S = 0.25


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: The log of the PgBouncer ``pgbouncer()`` started last (quoted when a load process fails).
LOG: list[Path] = []


@contextmanager
def pgbouncer(tmp: Path, pg_url: str) -> Any:
    """A PgBouncer of our own in front of the benchmark's PostgreSQL: yields its URL for ``pg_url``.

    Its configuration and log go in a folder of its own under ``tmp``, or, when run as root (it
    then drops to ``nobody``, who cannot enter a 0700 temporary folder such as the one
    ``python -m bench`` gives a module), under /tmp, removed afterwards."""
    if os.geteuid() == 0:
        with tempfile.TemporaryDirectory(prefix="fc-pgbouncer-", dir="/tmp") as own, \
                _pgbouncer(Path(own), pg_url) as found:
            yield found
    else:
        own_dir = tmp / "pgbouncer"
        own_dir.mkdir(exist_ok=True)
        with _pgbouncer(own_dir, pg_url) as found:
            yield found


@contextmanager
def _pgbouncer(tmp: Path, pg_url: str) -> Any:
    from sqlalchemy.engine import make_url

    url = make_url(pg_url)
    port = _free_port()
    LOG[:] = [tmp / "pgbouncer.log"]
    (tmp / "userlist.txt").write_text(f'"{url.username}" ""\n')
    (tmp / "pgbouncer.ini").write_text(f"""[databases]
* = host={url.host or '127.0.0.1'} port={url.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {tmp / 'userlist.txt'}
pool_mode = transaction
default_pool_size = {SERVER_POOL}
max_client_conn = {STATIONS + 100}
ignore_startup_parameters = extra_float_digits,options
logfile = {tmp / 'pgbouncer.log'}
""")
    command = [shutil.which("pgbouncer") or "pgbouncer", str(tmp / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root: it drops to nobody, who must read its files
        tmp.chmod(0o755)
        for name in ("userlist.txt", "pgbouncer.ini"):
            (tmp / name).chmod(0o644)
        (tmp / "pgbouncer.log").touch(mode=0o666)
        (tmp / "pgbouncer.log").chmod(0o666)
        command[1:1] = ["-u", "nobody"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        if proc.poll() is not None:
            _out, err = proc.communicate()
            raise RuntimeError(f"pgbouncer did not start (exit status {proc.returncode}): "
                               f"{(err or '').strip().splitlines()[-1:]}")
        time.sleep(0.05)
    try:
        yield url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # still draining 600 clients: stop it hard
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def _bouncer_connect_args() -> dict[str, Any]:
    from frontcounter.services.sync.connection import PG_CONNECT_ARGS

    # 600 logins at once through one PgBouncer on a loaded 2-core machine: allow them time.
    return {**PG_CONNECT_ARGS, "application_name": "bench-bouncer", "connect_timeout": 60}


def _run_clients(url: str, data_dirs: list[str], offsets: list[int], clients: int, seconds: float, seed: int,
                 ready: str, go: str, release: str, period: float = PERIOD_S,
                 change_share: float = CHANGE_SHARE) -> dict[str, Any]:
    """One load process: a thread and a PgBouncer client connection per station cache.

    Opens and warms every station (one sync each), writes ``ready``, then starts at the epoch the
    parent writes into ``go`` (so no fixed guess of how long 300 logins take on a loaded machine).
    """
    from sqlalchemy import create_engine, select
    from sqlalchemy.util import LRUCache

    from frontcounter.config import load_settings
    from frontcounter.db.engine import make_engine, sqlite_url
    from frontcounter.db.models import Appointment, Role
    from frontcounter.paths import Paths
    from frontcounter.services.core.actor import Actor
    from frontcounter.services.core.clock import FixedClock
    from frontcounter.services.core.commands import command
    from frontcounter.services.core.context import ServiceContext
    from frontcounter.services.sync.station import sync_once

    clock = FixedClock(DEMO_NOW)
    compiled = LRUCache(2000)  # warm apps: statements compiled once (see bench_sync)
    rng = random.Random(seed)
    stations = []
    for d in data_dirs:
        paths = Paths.resolve(d)
        code = load_settings(paths.config_file).station_code or ""
        engine = make_engine(sqlite_url(paths.station_db)).execution_options(compiled_cache=compiled)
        ctx = ServiceContext(engine=engine, clock=clock, station_code=code, workstation=f"bench-{d[-8:]}")
        with ctx.read() as s:
            mine = list(s.scalars(select(Appointment.id).limit(20)))
        actor = Actor(user_id=uuid.UUID(int=1), username=f"counter.{code}", display_name="bench",
                      role=Role.COUNTER, station_id=None, station_code=code, workstation=ctx.workstation)
        # As the station's own sync link (connection.open_central): no pre-ping, no prepared statements.
        central = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=60, pool_pre_ping=False,
                                connect_args=_bouncer_connect_args())
        stations.append((ctx, actor, mine, central))
    warm_failures: list[str] = []

    def warm(station: Any) -> None:
        ctx = station[0]
        for attempt in range(3):  # hundreds of logins at once on a loaded machine: some time out
            try:
                sync_once(ctx.engine, station[3], ctx.station_code or "", clock=clock)
                return
            except Exception as exc:
                warm_failures.append(f"{type(exc).__name__}: {str(exc)[:120]}")
                if attempt == 2:
                    raise
                time.sleep(1.0)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:  # connected and warm before the clock starts
        list(pool.map(warm, stations))
    Path(ready).touch()
    while not Path(go).exists():
        time.sleep(0.02)
    start_epoch = float(Path(go).read_text())
    times: list[float] = []
    pushes: list[float] = []
    off_cpu: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    ends = start_epoch + seconds
    cpu_before = time.process_time()

    def edit(ctx: Any, actor: Any, appointment_id: Any, n: int) -> None:
        with command(ctx, actor, category="alteration", action="appointment.update_contact",
                     record=f"appointment:{appointment_id}") as scope:
            row = scope.session.get_one(Appointment, appointment_id)
            base = row.version
            row.visitor_email = f"bench{n}@example.org"
            scope.changed(row, "appointment.update_contact", base_version=base,
                          changes={"visitor_email": row.visitor_email})

    def client(offset: int, station: Any, seed: int) -> None:
        ctx, actor, mine, central = station
        local_rng = random.Random(seed)
        next_at = start_epoch + period * offset / clients
        n = 0
        while next_at < ends:
            delay = next_at - time.time()
            if delay > 0:
                time.sleep(delay)
            n += 1
            changed = bool(mine) and local_rng.random() < change_share
            try:
                if changed:
                    edit(ctx, actor, local_rng.choice(mine), n)
                own = time.thread_time()
                elapsed = _timed(lambda: sync_once(ctx.engine, central, ctx.station_code or "", clock=clock))
                own = (time.thread_time() - own) * 1000
            except Exception as exc:  # counted, not fatal: the figure reports them
                with lock:
                    errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
            else:
                with lock:
                    (pushes if changed else times).append(elapsed)
                    off_cpu.append(max(0.0, elapsed - own))
            next_at += period

    threads = [threading.Thread(target=client, args=(o, s, rng.randrange(10**9)), daemon=True)
               for o, s in zip(offsets, stations, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:  # a sync still hanging 30 s after the window is reported, not awaited
        thread.join(timeout=max(0.1, ends + 30 - time.time()))
    client_cpu = time.process_time() - cpu_before
    unfinished = sum(thread.is_alive() for thread in threads)
    deadline = time.time() + 60
    while not unfinished and not Path(release).exists() and time.time() < deadline:
        time.sleep(0.05)
    if not unfinished:
        for ctx, _actor, _mine, central in stations:
            central.dispose()
            ctx.engine.dispose()
    with lock:
        return {"times": list(times), "pushes": list(pushes), "off_cpu": list(off_cpu), "errors": list(errors),
                "client_cpu_s": client_cpu, "unfinished": unfinished, "warm_up_retries": len(warm_failures),
                "warm_up_errors": sorted(set(warm_failures))[:3]}


def _copy_caches(templates: dict[str, Path], target: Path, count: int) -> list[str]:
    """``count`` station caches: plain file copies of the synced templates (each one a PC)."""
    from bench.bench_sync import CLIENT_CODES

    dirs = []
    for n in range(count):
        code = CLIENT_CODES[n % len(CLIENT_CODES)]
        folder = target / f"{n:03d}-{code}"
        shutil.copytree(templates[code], folder, ignore=shutil.ignore_patterns("logs"))
        dirs.append(str(folder))
    return dirs


def _no_op_round_trips(url: str, data_dir: str, bench: Bench | None = None,
                       runs: int = 200) -> tuple[int, int, float | None, float | None]:
    """Central round trips and statements of one no-op sync, counted in a libpq trace; then (with
    ``bench``) the server CPU and the client CPU of one uncontended no-op sync, in ms (means of
    ``runs`` back to back)."""
    from psycopg import pq
    from sqlalchemy import create_engine, event

    from frontcounter.config import load_settings
    from frontcounter.db.engine import make_engine, sqlite_url
    from frontcounter.paths import Paths
    from frontcounter.services.core.clock import FixedClock
    from frontcounter.services.sync.station import sync_once

    paths = Paths.resolve(data_dir)
    code = load_settings(paths.config_file).station_code or ""
    local = make_engine(sqlite_url(paths.station_db))
    central = create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=False,
                            connect_args=_bouncer_connect_args())
    trace = Path(data_dir) / "libpq-trace.log"
    handle = trace.open("w")

    @event.listens_for(central, "connect")
    def _traced(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.pgconn.trace(handle.fileno())
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    clock = FixedClock(DEMO_NOW)
    try:
        sync_once(local, central, code, clock=clock)  # connected and warm
        handle.flush()
        before = len(trace.read_text().splitlines())
        sync_once(local, central, code, clock=clock)
        handle.flush()
        sent = [line.split("\t")[2].split(" ")[0] for line in trace.read_text().splitlines()[before:]
                if line.startswith("F\t") and len(line.split("\t")) > 2]
        server_cpu = client_cpu = None
        if bench is not None:
            bench.cpu.start()
            client = time.process_time()
            for _ in range(runs):
                sync_once(local, central, code, clock=clock)
            client_cpu = (time.process_time() - client) * 1000 / runs
            server_cpu = bench.cpu.seconds() * 1000 / runs
    finally:
        central.dispose()
        local.dispose()
        handle.close()
    # Outside a pipeline each Sync (extended protocol) or Query (simple) waits for its answer.
    return (sent.count("Sync") + sent.count("Query"), sent.count("Parse") + sent.count("Query"),
            server_cpu, client_cpu)


def _bare_round_trips(bench: Bench, url: str, runs: int) -> tuple[float, float, float]:
    """Latency (ms, median), server CPU and client CPU (ms each) of ``SELECT 1`` through the same PgBouncer."""
    from sqlalchemy import create_engine

    engine = create_engine(url, pool_size=1, max_overflow=0, connect_args=_bouncer_connect_args())
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").scalar()
            conn.commit()
            bench.cpu.start()
            client = time.process_time()
            values = []
            for _ in range(runs):
                values.append(_timed(lambda: (conn.exec_driver_sql("SELECT 1").scalar(), conn.commit())))
            client = time.process_time() - client
            cpu = bench.cpu.seconds()
    finally:
        engine.dispose()
    return statistics.median(values), cpu * 1000 / runs, client * 1000 / runs


def _pct(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _step(bench: Bench, url: str, dirs: list[str], stations: int, window: float, tmp: Path,
          floors: tuple[float, float, float], budget: Deadline) -> dict[str, dict[str, Any]]:
    """``stations`` stations for ``window`` seconds through PgBouncer: their figures. Every wait is
    bounded by ``budget`` (the harness would otherwise stop the module with no figures at all)."""
    floor_ms, floor_cpu, floor_client = floors
    step_dir = tmp / f"step-{stations}"
    step_dir.mkdir()
    release, go = str(step_dir / "release"), str(step_dir / "go")
    procs = []
    for p in range(PROCESSES):
        spec = {"url": url, "data_dirs": dirs[:stations][p::PROCESSES],
                "offsets": list(range(stations))[p::PROCESSES], "clients": stations, "seconds": window,
                "seed": p, "ready": str(step_dir / f"ready-{p}"), "go": go, "release": release}
        spec_file = step_dir / f"load-{p}.json"
        spec_file.write_text(json.dumps(spec))
        procs.append((subprocess.Popen(
            [sys.executable, "-m", "bench.bench_pgbouncer", "--clients", str(spec_file)],
            cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True), spec_file))
    # One more station in a process of its own, syncing (no-ops) four times a second: the latency
    # one separate PC sees under this load, without the GIL and CPU of 300 simulated neighbours.
    spec = {"url": url, "data_dirs": [dirs[-1]], "offsets": [0], "clients": 1, "seconds": window, "seed": 99,
            "ready": str(step_dir / f"ready-{PROCESSES}"), "go": go, "release": release,
            "period": PROBE_PERIOD_S, "change_share": 0.0}
    spec_file = step_dir / "probe.json"
    spec_file.write_text(json.dumps(spec))
    probe = (subprocess.Popen([sys.executable, "-m", "bench.bench_pgbouncer", "--clients", str(spec_file)],
                              cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True), spec_file)
    everyone = [*procs, probe]

    def stop_all(why: str) -> RuntimeError:
        for proc, _spec in everyone:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
        return RuntimeError(why)

    deadline = time.monotonic() + min(120 + stations, budget.left() - window - 15)
    while not all((step_dir / f"ready-{p}").exists() for p in range(PROCESSES + 1)):
        if any(proc.poll() is not None for proc, _ in everyone):
            break
        if time.monotonic() > deadline:
            raise stop_all(f"{stations} stations were not all connected and warm in time "
                           f"({sum((step_dir / f'ready-{p}').exists() for p in range(PROCESSES + 1))} of "
                           f"{PROCESSES + 1} load processes ready)")
        time.sleep(0.05)
    start_epoch = time.time() + 1.0
    Path(go).write_text(repr(start_epoch))
    time.sleep(max(0.0, start_epoch - time.time()))
    load_before = os.getloadavg()[0]
    bench.cpu.start()
    time.sleep(window + 1.0)
    cpu = bench.cpu.seconds()
    load_after = os.getloadavg()[0]
    Path(release).touch()
    times: list[float] = []
    pushes: list[float] = []
    off_cpu: list[float] = []
    errors: list[str] = []
    client_cpu = 0.0
    warm_retries = 0
    unfinished = 0
    for proc, spec_file in procs:
        try:
            _out, err = proc.communicate(timeout=max(5.0, budget.left() - 10))
        except subprocess.TimeoutExpired:
            raise stop_all(f"the load processes of {stations} stations did not finish in time") from None
        if proc.returncode != 0:
            log = LOG[0].read_text(errors="replace").splitlines()[-5:] if LOG else []
            raise RuntimeError(f"a load process failed: {err.strip().splitlines()[-1:]}; "
                               f"pgbouncer.log ends: {log}")
        result = json.loads(Path(str(spec_file) + ".out").read_text())
        times += result["times"]
        pushes += result["pushes"]
        off_cpu += result["off_cpu"]
        errors += result["errors"]
        client_cpu += result["client_cpu_s"]
        warm_retries += result["warm_up_retries"]
        unfinished += result["unfinished"]
    try:
        _probe_out, probe_err = probe[0].communicate(timeout=max(5.0, budget.left() - 5))
    except subprocess.TimeoutExpired:
        raise stop_all("the separate-PC probe station did not finish in time") from None
    if probe[0].returncode != 0:
        raise RuntimeError(f"the probe station failed: {probe_err.strip().splitlines()[-1:]}")
    alone = json.loads(Path(str(probe[1]) + ".out").read_text())["times"]
    every = times + pushes
    syncs = len(every)
    if not syncs:
        raise RuntimeError(f"no sync completed at {stations} stations; first errors: {sorted(set(errors))[:3]}")

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    extra = {"syncs": syncs, "with_a_change": len(pushes), "errors": len(errors), "window_s": window,
             "server_pool": SERVER_POOL, "pool_mode": "transaction", "load_processes": PROCESSES,
             "warm_up_retries": warm_retries, "syncs_unfinished_30_s_after_the_window": unfinished,
             "client_cpu_ms_per_sync": round(client_cpu * 1000 / syncs, 2),
             "client_cpu_percent_of_one_core": round(100 * client_cpu / window, 1),
             "server_cpu_percent_of_one_core": round(100 * cpu / window, 1),
             "no_op_p50_ms": ms(_pct(times, 0.5)), "no_op_p99_ms": ms(_pct(times, 0.99)),
             "with_a_change_p50_ms": ms(_pct(pushes, 0.5)), "with_a_change_p99_ms": ms(_pct(pushes, 0.99)),
             "off_cpu_p50_ms": ms(_pct(off_cpu, 0.5)), "off_cpu_p99_ms": ms(_pct(off_cpu, 0.99)),
             "separate_pc_syncs": len(alone), "separate_pc_p50_ms": ms(_pct(alone, 0.5)),
             "separate_pc_p99_ms": ms(_pct(alone, 0.99)),
             "load_average": f"{load_before:.1f} -> {load_after:.1f} ({os.cpu_count()} cores)"}
    if errors:
        extra["first_errors"] = sorted(set(errors))[:3]
    label = f"load: {stations} stations through PgBouncer every 10 s"
    floor_is = "a bare round trip (SELECT 1) through the same PgBouncer"
    p50, p99 = _pct(every, 0.5), _pct(every, 0.99)
    assert p50 is not None and p99 is not None
    return {
        f"{label}, p50": figure(p50, "ms", floor_ms, "<= 100 ms", **extra, floor_is=floor_is),
        f"{label}, p99": figure(p99, "ms", floor_ms, "<= 100 ms", **extra, floor_is=floor_is,
                                note=f"stations are threads in {PROCESSES} local processes sharing the "
                                     "machine's cores with PostgreSQL and PgBouncer: an upper bound for "
                                     "separate PCs (client CPU and off-CPU time are in the extra fields)"),
        f"{label}, server CPU per sync": figure(
            cpu * 1000 / syncs, "ms", floor_cpu, "ratio <= 10", **extra,
            floor_is="server CPU of one bare round trip through the same PgBouncer"),
        f"{label}, p99 of a separate PC's no-op sync": figure(
            _pct(alone, 0.99) or 0.0, "ms", floor_ms, "<= 100 ms", **extra, floor_is=floor_is,
            note="one more station in a process of its own, syncing four times a second during the load: "
                 "the simulated neighbours' GIL and client CPU are not in its figure (the machine's run "
                 "queue still is)"),
        f"{label}, client CPU per sync": figure(
            client_cpu * 1000 / syncs, "ms", floor_client, "ratio <= 20", **extra,
            floor_is="client CPU of one bare round trip (psycopg + SQLAlchemy) in the bench process"),
    }


def run(quick: bool) -> dict[str, dict[str, Any]]:
    if shutil.which("pgbouncer") is None:
        raise RuntimeError("pgbouncer is not installed, so this bench cannot run (Debian: apt-get install pgbouncer)")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    deadline = Deadline.from_env(60 if quick else 420)
    steps = STEPS[:1] if quick else STEPS
    window = 10.0 if quick else 30.0
    figures: dict[str, dict[str, Any]] = {}
    with bench_database(PG_URL) as url, tempfile.TemporaryDirectory(prefix="bench-bouncer-") as tmp_name:
        tmp = Path(tmp_name)
        setup = time.monotonic()
        bench = Bench(url, tmp / "centre")
        try:
            templates = _make_templates(bench)
            _client_caches(bench, templates, 0)  # brings each template up to date
            with pgbouncer(tmp, url) as bouncer_url:
                floors = _bare_round_trips(bench, bouncer_url, 201)
                print(f"bench_pgbouncer: set up in {time.monotonic() - setup:.0f} s", file=sys.stderr, flush=True)
                dirs = _copy_caches(templates, tmp / "clients", max(steps) + 1)  # the last: the separate PC
                trips, statements, server_cpu, client_cpu = _no_op_round_trips(bouncer_url, dirs[0], bench)
                figures["central round trips of a no-op sync"] = figure(
                    trips, "round trips", 1, "<= 2", statements=statements,
                    uncontended_server_cpu_ms=round(server_cpu or 0, 3),
                    uncontended_client_cpu_ms=round(client_cpu or 0, 3),
                    floor_is="a bare round trip (SELECT 1): the least any sync can cost",
                    note="counted in a libpq trace: each Sync or simple Query outside a pipeline waits for "
                         "its answer")
                figures["server CPU of a no-op sync, uncontended"] = figure(
                    server_cpu or 0.0, "ms", floors[1], "ratio <= 5",
                    client_cpu_ms=round(client_cpu or 0, 3), client_floor_ms=round(floors[2], 3),
                    floor_is="server CPU of one bare round trip (SELECT 1) through the same PgBouncer")
                for stations in steps:
                    if not deadline.allows(window + 30 + stations * 0.25):
                        print(f"bench_pgbouncer: no time left for {stations} stations", file=sys.stderr)
                        break
                    began = time.monotonic()
                    try:
                        figures.update(_step(bench, bouncer_url, dirs, stations, window, tmp, floors, deadline))
                    except RuntimeError as exc:  # one step failing keeps the others' figures
                        figures[f"load: {stations} stations through PgBouncer every 10 s, p99"] = {
                            "value": None, "unit": "ms", "floor": round(floors[0], 3), "ratio": None,
                            "target": "<= 100 ms", "error": str(exc)[:300]}
                    print(f"bench_pgbouncer: {stations} stations took {time.monotonic() - began:.0f} s "
                          f"({deadline.left():.0f} s left)", file=sys.stderr, flush=True)
        finally:
            bench.central.dispose()
            bench.station.engine.dispose()
            bench.cpu.close()
    return figures


if __name__ == "__main__":  # python -m bench.bench_pgbouncer [--full] | --clients SPEC (a load process)
    if "--clients" in sys.argv:
        spec_path = sys.argv[sys.argv.index("--clients") + 1]
        spec = json.loads(Path(spec_path).read_text())
        Path(spec_path + ".out").write_text(json.dumps(_run_clients(**spec)))
        sys.stdout.flush()
        os._exit(0)  # threads still stuck in a sync (reported as unfinished) must not hold the exit
    else:
        print(json.dumps(run("--full" not in sys.argv), indent=2))
