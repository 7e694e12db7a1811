"""Sync against the real PostgreSQL: nothing lost, nothing applied twice.

- convergence: station processes and a central writer issue random commands concurrently; then
  every cache equals the centre for its scope, nobody is double-booked, every check-in is there
  exactly once;
- faults: a loopback proxy cuts the link before a push is sent, after the central commit but
  before the answer, in the middle of a pull, and at byte offsets across a whole sync;
- kill -9 of a syncing station process, many times;
- a central transaction that commits late is never skipped by a pull;
- hours offline, then every queued check-in lands, in order;
- the same sync under the centre's row-level security, as the station's own database role.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from frontcounter.db.engine import make_engine, make_session_factory
from frontcounter.db.models import (
    AppliedOp,
    Appointment,
    AttentionItem,
    AuditEvent,
    OutboxEntry,
    Status,
    SyncCursor,
)
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, create_demo, open_station
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.commands import next_central_version
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import OfflineError
from frontcounter.services.counter import checkin
from frontcounter.services.sync.connection import open_central, retry_delay
from frontcounter.services.sync.push import node_id
from frontcounter.services.sync.report import SyncReport
from frontcounter.services.sync.station import sync_once
from tests.conftest import DEMO_NOW
from tests.sync_support import (
    actor_in,
    central_context,
    create_appointment,
    cutting_proxy,
    differences,
    double_bookings,
    edit,
    rooms_and_officers,
)

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]


@dataclass
class World:
    url: str
    central: Engine
    centre: ServiceContext
    clock: FixedClock
    tmp: Path

    def station(self, code: str, name: str | None = None) -> StationRuntime:
        paths = Paths.resolve(self.tmp / (name or code))
        create_demo(paths, clock=self.clock, central_url=self.url, station_code=code)
        return open_station(paths, clock=self.clock)

    def clock_value(self) -> int:
        """How many station operations the centre has applied (each exactly once)."""
        with self.centre.read() as s:
            return int(s.scalar(select(func.count()).select_from(AppliedOp)) or 0)


@pytest.fixture
def world(pg_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[World]:
    central = make_engine(pg_url)
    # The demo's "now" plus ten days: every demo appointment has passed (no-shows allowed).
    clock.set(DEMO_NOW + timedelta(days=10))
    w = World(pg_url, central, central_context(central, clock), clock, tmp_path)
    yield w
    central.dispose()


def booked(runtime: StationRuntime, count: int) -> list[Appointment]:
    with runtime.ctx.read() as s:
        return list(s.scalars(select(Appointment).where(Appointment.status == Status.BOOKED.value)
                              .order_by(Appointment.start_at, Appointment.id).limit(count)))


def answered_exactly_once(runtime: StationRuntime, world: World) -> None:
    """Every outbox entry is answered, and the centre holds exactly one answer per op, the same one."""
    with runtime.ctx.read() as s:
        entries = {e.op_id: e.state for e in s.scalars(select(OutboxEntry))}
    node = node_id(runtime.engine, runtime.ctx.station_code or "")
    with world.centre.read() as s:
        answers = {a.op_id: a.result for a in s.scalars(select(AppliedOp).where(AppliedOp.station_code == node))}
    assert "pending" not in entries.values()
    assert answers == entries


def converged(runtime: StationRuntime, world: World) -> None:
    code = runtime.ctx.station_code or ""
    assert differences(runtime.engine, world.central, code) == []
    with make_session_factory(runtime.engine)() as s:
        assert double_bookings(s) == []


def settle(runtime: StationRuntime, world: World, engine: Engine | None = None, attempts: int = 6) -> SyncReport:
    """Sync until nothing waits and a sync moves nothing (other writers have stopped)."""
    report = None
    for _ in range(attempts):
        report = sync_once(runtime.engine, engine or world.central, runtime.ctx.station_code or "",
                           clock=world.clock)
        if report.waiting == 0 and report.pushed == 0 and report.pulled_total == 0:
            return report
    raise AssertionError(f"did not settle: {report}")


def queue_changes(runtime: StationRuntime, world: World, rng: random.Random, count: int) -> int:
    """Station commands of every kind; returns how many committed (each is one outbox entry)."""
    code = runtime.ctx.station_code or ""
    counter = actor_in(runtime.ctx, f"counter.{code}")
    rooms, officers = rooms_and_officers(runtime.ctx, code)
    made = 0
    for appt in booked(runtime, count):
        world.clock.advance(timedelta(minutes=1))
        kind = made % 3
        if kind == 0 or (kind == 1 and appt.start_at > world.clock.now() - timedelta(minutes=20)):
            checkin.check_in(runtime.ctx, counter, appt.reference, force=True)
        elif kind == 1:
            checkin.mark_no_show(runtime.ctx, counter, appt.id)
        else:
            start = (DEMO_NOW + timedelta(days=rng.randint(20, 60))).replace(hour=rng.randint(0, 23), minute=0,
                                                                            second=0, microsecond=0)
            create_appointment(runtime.ctx, counter, code, rng.choice(rooms).id, rng.choice(officers).id, start,
                               rng=rng)
        made += 1
    return made


# -- a central transaction that commits late ------------------------------------------------------


def test_a_central_transaction_that_commits_late_is_never_skipped(world: World) -> None:
    station = world.station("HH")
    settle(station, world)
    first, second = booked(station, 2)
    write = make_session_factory(world.central, write=True)

    late = write()
    late.begin()
    late_version = next_central_version(late)  # took its version first…
    row = late.get_one(Appointment, first.id)
    row.visitor_email, row.version = "late@example.org", late_version
    late.flush()

    done: list[int] = []

    def later_writer() -> None:  # …a second writer starts after it and commits first
        with write.begin() as s:
            version = next_central_version(s)
            other = s.get_one(Appointment, second.id)
            other.visitor_email, other.version = "later@example.org", version
        done.append(version)

    started = time.monotonic()
    thread = threading.Thread(target=later_writer)
    thread.start()
    thread.join(timeout=10)
    assert done and time.monotonic() - started < 2, "the later writer waited on the earlier one"
    assert done[0] > late_version
    sync_once(station.engine, world.central, "HH", clock=world.clock)  # a pull in the meantime
    with station.ctx.read() as s:
        # It may bring the later row, but its cursor stays below the transaction still running.
        assert s.get_one(SyncCursor, "appointments").cursor < late_version
        assert s.get_one(Appointment, first.id).visitor_email != "late@example.org"
    late.commit()
    late.close()

    after = sync_once(station.engine, world.central, "HH", clock=world.clock)

    assert after.pulled["appointments"] >= 1
    with station.ctx.read() as s:
        assert s.get_one(Appointment, first.id).visitor_email == "late@example.org"
        assert s.get_one(Appointment, second.id).visitor_email == "later@example.org"
    converged(station, world)


# -- faults on the link ------------------------------------------------------------------------


def _central_changes(world: World, code: str, count: int) -> None:
    """Separate central commands on a station's appointments (so a pull has several pages)."""
    fcr = actor_in(world.centre, f"fcr.{code}")
    with world.centre.read() as s:
        ids = list(s.scalars(select(Appointment.id).where(Appointment.reference.like(f"{code}-%"))
                             .order_by(Appointment.id).limit(count)))
    for n, appointment_id in enumerate(ids):
        edit(world.centre, fcr, appointment_id, "appointment.update_contact", visitor_email=f"c{n}@example.org")


@pytest.mark.parametrize("step", ["push.before_send", "push.after_commit", "pull.page"])
def test_a_link_cut_at_each_step_loses_nothing_and_applies_nothing_twice(world: World, step: str) -> None:
    station = world.station("HH")
    rng = random.Random(step)
    with cutting_proxy(world.url) as proxy:
        engine = open_central(proxy.url_for(world.url))
        try:
            settle(station, world, engine)
            for _round in range(3):
                made = queue_changes(station, world, rng, 4)
                _central_changes(world, "HH", 6)
                before = world.clock_value()

                def cut_once(name: str, seen: list[str] = []) -> None:  # noqa: B006 - one list per round
                    seen.append(name)
                    if name == step and seen.count(step) == 2:  # the second time: mid-push, mid-pull
                        proxy.down = True  # the link goes, and stays gone for a while
                        proxy.cut()

                with pytest.raises(OfflineError, match="cannot be reached"):
                    sync_once(station.engine, engine, "HH", clock=world.clock, on_step=cut_once, page_size=3)
                proxy.down = False
                settle(station, world, engine)
                # Each op took exactly one central version, however many times it was sent.
                assert world.clock_value() - before == made
                answered_exactly_once(station, world)
                converged(station, world)
        finally:
            engine.dispose()
    assert proxy.cuts >= 3


def test_a_commit_whose_answer_is_lost_is_answered_again_not_applied_again(world: World) -> None:
    station = world.station("HH")
    with cutting_proxy(world.url) as proxy:
        engine = open_central(proxy.url_for(world.url))
        try:
            settle(station, world, engine)
            made = queue_changes(station, world, random.Random(7), 3)
            before = world.clock_value()
            proxy.cut_after_client_sends(b"Q\x00\x00\x00\x0bCOMMIT\x00")  # the centre commits; the answer never comes back
            with pytest.raises(OfflineError):
                sync_once(station.engine, engine, "HH", clock=world.clock)
            deadline = time.monotonic() + 10  # the centre finishes the COMMIT it received on its own time
            while _applied_count(world) == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _applied_count(world) == 1  # committed centrally, though the station never heard
            report = sync_once(station.engine, engine, "HH", clock=world.clock)
            assert report.replayed == 1 and report.pushed == made
            assert world.clock_value() - before == made
            answered_exactly_once(station, world)
            converged(station, world)
        finally:
            engine.dispose()


def _applied_count(world: World) -> int:
    with world.centre.read() as s:
        return int(s.scalar(select(func.count()).select_from(AppliedOp)) or 0)


def test_cuts_at_byte_offsets_across_a_whole_sync_lose_nothing(world: World) -> None:
    station = world.station("HH")
    rng = random.Random(2018)
    with cutting_proxy(world.url) as proxy:
        engine = open_central(proxy.url_for(world.url))
        try:
            settle(station, world, engine)
            # How many bytes one sync of this size sends each way, to spread the cuts over.
            queue_changes(station, world, rng, 3)
            _central_changes(world, "HH", 6)
            up, down = proxy.bytes_up, proxy.bytes_down
            settle(station, world, engine)
            span = {"up": proxy.bytes_up - up, "down": proxy.bytes_down - down}
            failures = 0
            for n in range(12):
                direction = "up" if n % 2 == 0 else "down"
                made = queue_changes(station, world, rng, 3)
                _central_changes(world, "HH", 6)
                before = world.clock_value()
                proxy.cut_after_bytes(int(span[direction] * (n // 2 + 0.5) / 6), direction)
                try:
                    sync_once(station.engine, engine, "HH", clock=world.clock, page_size=3)
                except OfflineError:
                    failures += 1
                proxy.cut_after_bytes(10**12)  # disarmed
                settle(station, world, engine)
                assert world.clock_value() - before == made, f"cut {n} ({direction})"
                answered_exactly_once(station, world)
                if n % 3 == 2:
                    converged(station, world)
            assert failures >= 9, "most cuts should have hit a sync in flight"
        finally:
            engine.dispose()


# -- hours offline -------------------------------------------------------------------------------


def test_hours_offline_then_every_queued_check_in_lands_in_order(world: World) -> None:
    station = world.station("HH")
    counter = actor_in(station.ctx, "counter.HH")
    rooms, officers = rooms_and_officers(station.ctx, "HH")
    with cutting_proxy(world.url) as proxy:
        engine = open_central(proxy.url_for(world.url))
        try:
            settle(station, world, engine)
            proxy.down = True
            proxy.cut()
            checked_in: list[uuid.UUID] = []
            waited = 0
            for hour in range(6):  # six hours of a counter working with the link down
                for appt in booked(station, 5):
                    world.clock.advance(timedelta(minutes=4))
                    checkin.check_in(station.ctx, counter, appt.reference, force=True)
                    checked_in.append(appt.id)
                for k in range(4):  # walk-ins, booked and checked in while offline
                    world.clock.advance(timedelta(minutes=4))
                    start = (DEMO_NOW + timedelta(days=30, hours=hour * 4 + k)).replace(minute=0, second=0,
                                                                                      microsecond=0)
                    walk_in = create_appointment(station.ctx, counter, "HH", rooms[0].id, officers[0].id, start)
                    with station.ctx.read() as s:
                        reference = s.get_one(Appointment, walk_in).reference
                    checkin.check_in(station.ctx, counter, reference, force=True)
                    checked_in.append(walk_in)
                with pytest.raises(OfflineError):
                    sync_once(station.engine, engine, "HH", clock=world.clock)
                waited += retry_delay(hour + 1, 30)
            assert waited > 0 and len(checked_in) > 40

            proxy.down = False
            report = sync_once(station.engine, engine, "HH", clock=world.clock)
        finally:
            engine.dispose()

    assert report.rejected == 0 and report.waiting == 0
    node = node_id(station.engine, "HH")
    with world.centre.read() as s:
        ops = list(s.scalars(select(AppliedOp).where(AppliedOp.station_code == node).order_by(AppliedOp.station_seq)))
        versions = [o.version for o in ops]
        assert versions == sorted(versions) and len(set(versions)) == len(versions), "applied in queue order"
        for appointment_id in checked_in:
            row = s.get_one(Appointment, appointment_id)
            assert row.status == Status.ARRIVED.value and row.checked_in_by == "counter.HH"
    with station.ctx.read() as s:
        local_arrivals = {a.id: a.arrived_at for a in s.scalars(select(Appointment).where(Appointment.id.in_(checked_in)))}
    with world.centre.read() as s:
        central_arrivals = {a.id: a.arrived_at for a in s.scalars(select(Appointment).where(Appointment.id.in_(checked_in)))}
    assert central_arrivals == local_arrivals  # each one at the time it happened at the counter
    answered_exactly_once(station, world)
    converged(station, world)


# -- under row-level security -------------------------------------------------------------------


def test_sync_works_as_the_stations_own_database_role_under_row_level_security(world: World) -> None:
    from sqlalchemy.engine import make_url

    from frontcounter.db import rls
    from frontcounter.services.security import secrets

    station = world.station("HH")  # seeds the centre (as its owner) and sets up the cache
    rls.install_row_level_security(world.central)
    role = f"fc_sync_{uuid.uuid4().hex[:8]}_hh"
    rls.create_station_role(world.central, "HH", "hh-secret", role=role)
    role_url = make_url(world.url).set(username=role).render_as_string(hide_password=False)
    secrets.store_password(role_url, "hh-secret")
    engine = open_central(role_url)  # the password comes from the (test) keyring
    try:
        made = queue_changes(station, world, random.Random(3), 6)
        _central_changes(world, "HH", 4)
        report = sync_once(station.engine, engine, "HH", clock=world.clock)
        assert report.pushed == made and report.audit_sent > 0 and report.rejected == 0
        assert not report.notes or all("audit" not in n for n in report.notes)
        # A tampered entry aimed at another station's appointment is refused, not stuck in the queue.
        with world.centre.read() as s:
            sg_appt = s.scalars(select(Appointment).where(Appointment.reference.like("SG-%")).limit(1)).one()
        with station.ctx.write.begin() as s:
            s.add(OutboxEntry(op_id=uuid.uuid4(), station_code="HH", op_type="appointment.update_contact",
                              entity="appointments", entity_id=sg_appt.id, base_version=sg_appt.version,
                              payload={"created": False, "row": {"visitor_email": "x@example.org"},
                                       "also_created": []},
                              created_at=world.clock.now()))
        report = sync_once(station.engine, engine, "HH", clock=world.clock)
        assert report.rejected == 1 and report.waiting == 0
        with world.centre.read() as s:
            assert s.get_one(Appointment, sg_appt.id).visitor_email != "x@example.org"
        settle(station, world, engine)
        converged(station, world)
    finally:
        engine.dispose()
        with world.central.begin() as c:
            c.execute(text(f'DROP OWNED BY "{role}"'))
            c.execute(text(f'DROP ROLE "{role}"'))


# -- many processes at once --------------------------------------------------------------------


def _spawn(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with open(log.with_suffix(".out"), "ab") as out:  # the child keeps its own copy of the handle
        return subprocess.Popen([sys.executable, "-m", "tests.integration.sync_worker", *args], cwd=REPO,
                                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})


def _log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _check_ins_landed_once(stations: list[StationRuntime], world: World, logs: list[Path]) -> int:
    """Every check-in any station committed is at the centre exactly once (its audit event by id,
    its op answered once); the accepted ones left the appointment arrived or beyond."""
    committed = [r for log in logs for r in _log(log) if r.get("event") == "committed" and r["kind"] == "check_in"]
    with world.centre.read() as s:
        for record in committed:
            op = s.get(AppliedOp, uuid.UUID(record["op_id"]))
            assert op is not None, f"check-in {record['op_id']} never reached the centre"
            if op.result != "rejected" and "first record stands" not in (op.message or ""):
                row = s.get_one(Appointment, uuid.UUID(record["entity_id"]))
                assert row.arrived_at is not None and row.status in {
                    Status.ARRIVED.value, Status.IN_PROGRESS.value, Status.COMPLETED.value, Status.LEFT_UNSEEN.value}
        central_checkins = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "appointment.check_in", AuditEvent.workstation != "fcr-desk"))
    local_checkins = 0
    for runtime in stations:
        with runtime.ctx.read() as s:
            local_checkins += s.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "appointment.check_in", AuditEvent.outcome == "success")) or 0
    assert central_checkins == local_checkins, "each station check-in is in the central audit log exactly once"
    return len(committed)


@pytest.mark.slow
def test_stations_and_a_central_writer_at_once_converge(world: World, tmp_path: Path) -> None:
    codes = ["HH", "SG", "WD"]
    stations = [world.station(code) for code in codes]
    seconds = float(os.environ.get("FRONTCOUNTER_SOAK_SECONDS", "20"))
    logs = [tmp_path / f"{code}.log" for code in codes]
    central_log = tmp_path / "central.log"
    procs = [_spawn(["station", str(s.paths.data_dir), world.url, code, str(seconds), str(n), str(log)], log)
             for n, (s, code, log) in enumerate(zip(stations, codes, logs, strict=True))]
    procs.append(_spawn(["central", "-", world.url, ",".join(codes), str(seconds), "99", str(central_log)],
                        central_log))
    for proc in procs:
        assert proc.wait(timeout=seconds + 90) == 0, f"a worker failed; see {tmp_path}/*.out"

    for runtime in stations:
        settle(runtime, world)
    for runtime in stations:  # a second round: the others' changes to shared rows, if any
        settle(runtime, world)
    work = {code: sum(1 for r in _log(log) if r.get("event") == "committed") for code, log in zip(codes, logs, strict=True)}
    assert all(n > 20 for n in work.values()), work
    assert sum(1 for r in _log(central_log) if r.get("event") == "committed") > 20
    with make_session_factory(world.central)() as s:
        assert double_bookings(s) == []
    for runtime in stations:
        answered_exactly_once(runtime, world)
        converged(runtime, world)
    assert _check_ins_landed_once(stations, world, logs) > 10
    with world.centre.read() as s:
        results = dict(s.execute(select(AppliedOp.result, func.count()).group_by(AppliedOp.result)).all())
        kinds = dict(s.execute(select(AttentionItem.kind, func.count()).group_by(AttentionItem.kind)).all())
    print(f"soak: station commands {work}, answers {results}, attention {kinds}")


@pytest.mark.slow
def test_kill_9_of_a_syncing_station_at_random_moments_loses_nothing(world: World, tmp_path: Path) -> None:
    station = world.station("HH")
    station.engine.dispose()
    log = tmp_path / "HH.log"
    rng = random.Random(9)
    stop = threading.Event()

    def central_writer() -> None:  # the centre keeps changing things while the station dies and restarts
        fcr = actor_in(world.centre, "fcr.HH")
        n = 0
        while not stop.is_set():
            with world.centre.read() as s:
                ids = list(s.scalars(select(Appointment.id).where(Appointment.reference.like("HH-%")).limit(40)))
            edit(world.centre, fcr, rng.choice(ids), "appointment.update_contact", visitor_email=f"k{n}@example.org")
            n += 1
            time.sleep(0.1)

    writer = threading.Thread(target=central_writer, daemon=True)
    writer.start()
    kills = mid_sync = 0
    try:
        for n in range(15):
            started = sum(1 for r in _log(log) if r.get("event") == "started")
            proc = _spawn(["station", str(station.paths.data_dir), world.url, "HH", "30", str(100 + n), str(log)], log,
                          env={"SYNC_WORKER_SYNC_CHANCE": "1.0"})
            deadline = time.monotonic() + 30  # wait for it to be at work, then kill it at a random moment
            while sum(1 for r in _log(log) if r.get("event") == "started") == started and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.05, 2.0))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                kills += 1
            proc.wait(timeout=30)
            events = _log(log)
            mid_sync += bool(events) and events[-1].get("event") == "sync_start"
    finally:
        stop.set()
        writer.join(timeout=10)
    assert kills >= 12
    events = _log(log)
    print(f"kill -9: {kills} kills, {mid_sync} in the middle of a sync, "
          f"{sum(1 for r in events if r.get('event') == 'synced')} syncs finished between them")
    assert mid_sync >= 5, "the kills should land in the middle of syncs"

    with closing(sqlite3.connect(station.paths.station_db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    station = open_station(station.paths, clock=world.clock)
    committed = {uuid.UUID(r["op_id"]) for r in events if r.get("event") == "committed"}
    with station.ctx.read() as s:
        local_ops = set(s.scalars(select(OutboxEntry.op_id)))
    assert committed <= local_ops, "a command reported as committed was lost by the kill"
    settle(station, world)
    answered_exactly_once(station, world)
    converged(station, world)
    with station.ctx.read() as s:
        local_audit = set(s.scalars(select(AuditEvent.id)))
    with world.centre.read() as s:
        central_audit = set(s.scalars(select(AuditEvent.id).where(AuditEvent.id.in_(local_audit))))
    assert central_audit == local_audit
    station.engine.dispose()

