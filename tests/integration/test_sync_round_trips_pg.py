"""What a sync costs the centre in round trips, and that it runs behind PgBouncer (issue 22, item 5).

- a no-op sync is one central round trip (the probe: schema, clock and news in one autocommit
  statement), counted in a libpq trace, whether or not other stations moved the centre's clock;
- news for the station after a no-op still arrives (the probe sends the sync on to the pull);
- a pooled connection the server closed while idle costs no failed sync: the first statement is
  retried once on a new connection (there is no pre-ping any more);
- the whole sync (push, audit, pull, rejection) through PgBouncer in transaction pooling, with
  the timeouts applied per transaction.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.engine import make_url

from frontcounter.db.engine import make_engine
from frontcounter.db.models import AppliedOp, Appointment, AuditEvent
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, create_demo, open_station
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.sync.connection import open_central
from frontcounter.services.sync.station import sync_once
from tests.sync_support import actor_in, central_context, differences, edit

pytestmark = pytest.mark.postgres


class Trace:
    """Every message psycopg sends to the centre on ``engine``'s connections (libpq trace)."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        from psycopg import pq

        self.path = folder / "libpq-trace.log"
        self._handle = self.path.open("w")
        self._mark = 0

        @event.listens_for(engine, "connect")
        def _traced(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.pgconn.trace(self._handle.fileno())
            dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    def _lines(self) -> list[str]:
        self._handle.flush()
        return self.path.read_text().splitlines()

    def mark(self) -> None:
        self._mark = len(self._lines())

    def sent(self) -> list[str]:
        """Message kinds sent since ``mark`` (Parse, Bind, Sync, Query…)."""
        return [line.split("\t")[2].split(" ")[0] for line in self._lines()[self._mark:]
                if line.startswith("F\t") and len(line.split("\t")) > 2]

    def round_trips(self) -> int:
        sent = self.sent()
        return sent.count("Sync") + sent.count("Query")

    def close(self) -> None:
        self._handle.close()


@pytest.fixture
def station(pg_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[StationRuntime]:
    paths = Paths.resolve(tmp_path / "HH")
    create_demo(paths, clock=clock, central_url=pg_url, station_code="HH")
    runtime = open_station(paths, clock=clock)
    yield runtime
    runtime.engine.dispose()


def _elsewhere(central: Engine, clock: FixedClock, n: int) -> None:
    """A central command on another station's appointment: the clock moves, nothing of HH's."""
    centre = central_context(central, clock)
    with centre.read() as s:
        appt = s.scalars(select(Appointment).where(Appointment.reference.like("SG-%")).limit(1)).one()
    edit(centre, actor_in(centre, "fcr.SG"), appt.id, visitor_email=f"elsewhere{n}@example.org")


def test_a_no_op_sync_is_one_central_round_trip(station: StationRuntime, pg_url: str, clock: FixedClock,
                                                tmp_path: Path) -> None:
    central = open_central(pg_url)
    trace = Trace(central, tmp_path)
    direct = make_engine(pg_url)
    try:
        sync_once(station.engine, central, "HH", clock=clock)
        sync_once(station.engine, central, "HH", clock=clock)
        for n in range(3):
            trace.mark()
            report = sync_once(station.engine, central, "HH", clock=clock)
            assert report.pushed == 0 and report.pulled_total == 0
            assert trace.round_trips() == 1, trace.sent()
            assert trace.sent().count("Parse") == 1  # one statement: no BEGIN, no COMMIT, no ping
            _elsewhere(direct, clock, n)  # the next no-op sees a moved clock, still nothing of HH's
        # News for HH after all those no-ops: the probe sends the sync on to the pull, which gets it.
        centre = central_context(direct, clock)
        with centre.read() as s:
            mine = s.scalars(select(Appointment).where(Appointment.reference.like("HH-%")).limit(1)).one()
        edit(centre, actor_in(centre, "fcr.HH"), mine.id, visitor_email="news@example.org")
        report = sync_once(station.engine, central, "HH", clock=clock)
        assert report.pulled.get("appointments") == 1
        with station.ctx.read() as s:
            assert s.get_one(Appointment, mine.id).visitor_email == "news@example.org"
        assert differences(station.engine, direct, "HH") == []
    finally:
        trace.close()
        central.dispose()
        direct.dispose()


def test_a_pooled_connection_the_server_closed_costs_no_failed_sync(station: StationRuntime, pg_url: str,
                                                                    clock: FixedClock) -> None:
    central = open_central(pg_url, connect_args={"application_name": "fc-stale-test"})
    admin = make_engine(pg_url)
    try:
        sync_once(station.engine, central, "HH", clock=clock)  # leaves one idle connection in the pool
        with admin.connect() as conn:  # the centre restarts, PgBouncer recycles: the backend is gone
            killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                       "WHERE application_name = 'fc-stale-test'")).scalar()
        assert killed == 1
        report = sync_once(station.engine, central, "HH", clock=clock)  # no OfflineError: retried once
        assert report.pushed == 0
        # With a change waiting, the first contact is the schema check: retried the same way.
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = 'fc-stale-test'"))
        with station.ctx.read() as s:
            appt = s.scalars(select(Appointment).where(Appointment.reference.like("HH-%")).limit(1)).one()
        edit(station.ctx, actor_in(station.ctx, "counter.HH"), appt.id, visitor_email="after@example.org")
        report = sync_once(station.engine, central, "HH", clock=clock)
        assert report.applied == 1
    finally:
        central.dispose()
        admin.dispose()


@pytest.fixture
def bouncer_url(pg_url: str, tmp_path: Path) -> Iterator[str]:
    if shutil.which("pgbouncer") is None:
        pytest.skip("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    from bench.bench_pgbouncer import pgbouncer

    with pgbouncer(tmp_path, pg_url) as url:
        yield url


def test_the_whole_sync_runs_behind_pgbouncer_in_transaction_pooling(
        station: StationRuntime, pg_url: str, bouncer_url: str, clock: FixedClock, tmp_path: Path) -> None:
    assert make_url(bouncer_url).port != make_url(pg_url).port
    central = open_central(bouncer_url)
    trace = Trace(central, tmp_path)
    direct = make_engine(pg_url)
    other = None
    try:
        sync_once(station.engine, central, "HH", clock=clock)
        counter = actor_in(station.ctx, "counter.HH")
        with station.ctx.read() as s:
            appts = list(s.scalars(select(Appointment).where(Appointment.reference.like("HH-%"))
                                   .order_by(Appointment.id).limit(3)))
        for n, appt in enumerate(appts):
            edit(station.ctx, counter, appt.id, visitor_email=f"bounced{n}@example.org")
        # A second PC of the same station syncs through the same PgBouncer in between.
        other_paths = Paths.resolve(tmp_path / "HH-2")
        create_demo(other_paths, clock=clock, central_url=pg_url, station_code="HH")
        other = open_station(other_paths, clock=clock)
        sync_once(other.engine, central, "HH", clock=clock)
        report = sync_once(station.engine, central, "HH", clock=clock)
        assert (report.pushed, report.applied) == (3, 3)
        assert report.audit_sent >= 3
        # Nothing session-bound: no SET, no prepared statement, no session advisory lock was sent.
        sent = trace.path.read_text()
        assert "PREPARE" not in sent and "\tSET " not in sent and "pg_advisory_lock(" not in sent
        assert "set_config('lock_timeout'" in sent  # the timeouts travel inside each push transaction
        with direct.connect() as conn:
            node_ops = conn.execute(select(AppliedOp.op_id)).scalars().all()
            audits = conn.execute(select(AuditEvent.id).where(AuditEvent.action == "test.edit")
                                  ).scalars().all()
        assert len(node_ops) == 3 and len(audits) >= 3
        sync_once(other.engine, central, "HH", clock=clock)
        for runtime in (station, other):
            assert differences(runtime.engine, direct, "HH") == []
        assert uuid.UUID(str(appts[0].id))
    finally:
        trace.close()
        central.dispose()
        direct.dispose()
        if other is not None:
            other.engine.dispose()
