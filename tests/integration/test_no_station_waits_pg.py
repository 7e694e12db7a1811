"""No station waits on another (issue 22): a row lock held on one station's appointment delays
only the push that needs that row; another station's push (and the same station's push of other
rows) goes straight through. The blocked push times out on the lock in seconds, retries with
back-off, says so, and lands once the lock is gone.

The issue's figure was a 30 s lock; this test holds it 10 s (the bound asserted on the other
station's push, < 1 s, does not depend on the hold).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from frontcounter.db.engine import make_engine
from frontcounter.db.models import Appointment, Status
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, create_demo, open_station
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.counter import checkin
from frontcounter.services.sync import centre as central
from frontcounter.services.sync.connection import open_central
from frontcounter.services.sync.report import SyncReport
from frontcounter.services.sync.station import sync_once
from tests.conftest import DEMO_NOW
from tests.sync_support import actor_in, differences

pytestmark = pytest.mark.postgres

HOLD_S = 10.0


@pytest.fixture
def centre(pg_url: str) -> Iterator[Engine]:
    engine = open_central(pg_url)  # as a station connects: with the lock and statement timeouts
    yield engine
    engine.dispose()


def _station(pg_url: str, tmp_path: Path, code: str, clock: FixedClock) -> StationRuntime:
    paths = Paths.resolve(tmp_path / code)
    create_demo(paths, clock=clock, central_url=pg_url, station_code=code)
    return open_station(paths, clock=clock)


def _booked(runtime: StationRuntime, n: int) -> list[Appointment]:
    with runtime.ctx.read() as s:
        return list(s.scalars(select(Appointment).where(Appointment.status == Status.BOOKED.value)
                              .order_by(Appointment.start_at, Appointment.id).limit(n)))


def test_a_row_lock_on_one_stations_appointment_does_not_delay_another_stations_push(
    pg_url: str, centre: Engine, tmp_path: Path, clock: FixedClock
) -> None:
    clock.set(DEMO_NOW + timedelta(days=10))
    hh, sg = _station(pg_url, tmp_path, "HH", clock), _station(pg_url, tmp_path, "SG", clock)
    for runtime in (hh, sg):
        sync_once(runtime.engine, centre, runtime.ctx.station_code or "", clock=clock)
    locked, other_hh = _booked(hh, 2)
    (sg_appt,) = _booked(sg, 1)
    hh_counter, sg_counter = actor_in(hh.ctx, "counter.HH"), actor_in(sg.ctx, "counter.SG")

    holding = make_engine(pg_url)
    holder = holding.connect()  # someone holds one HH appointment (a report, a console)
    holder.begin()
    holder.execute(text("SELECT id FROM appointments WHERE id = :i FOR UPDATE"), {"i": locked.id})
    released = threading.Timer(HOLD_S, holder.rollback)
    released.start()
    started = time.monotonic()
    try:
        checkin.check_in(hh.ctx, hh_counter, locked.reference, force=True)
        hh_result: dict[str, object] = {}

        def hh_push() -> None:
            begun = time.monotonic()
            hh_result["report"] = sync_once(hh.engine, centre, "HH", clock=clock)
            hh_result["seconds"] = time.monotonic() - begun

        blocked = threading.Thread(target=hh_push)
        blocked.start()
        time.sleep(0.5)  # HH's push is now waiting on the held row

        checkin.check_in(sg.ctx, sg_counter, sg_appt.reference, force=True)
        begun = time.monotonic()
        sg_report = sync_once(sg.engine, centre, "SG", clock=clock)
        sg_seconds = time.monotonic() - begun
        assert time.monotonic() - started < HOLD_S, "the lock should still be held"
        blocked.join(timeout=HOLD_S + 40)
    finally:
        released.cancel()
        holder.close()
        holding.dispose()

    hh_report = hh_result["report"]
    assert isinstance(hh_report, SyncReport)
    hh_seconds = float(hh_result["seconds"])  # type: ignore[arg-type]
    print(f"lock held {HOLD_S:.0f} s on {locked.reference}: SG's push took {sg_seconds:.3f} s, "
          f"HH's push of the locked row {hh_seconds:.1f} s ({hh_report.busy_retries} busy retries)")
    assert sg_report.applied == 1 and sg_seconds < 1.0
    # HH's own push waited for the lock, timed out on it, retried with back-off, and landed.
    assert hh_report.applied == 1 and hh_report.busy_retries >= 1
    assert HOLD_S - 1 <= hh_seconds < HOLD_S + central.LOCK_TIMEOUT_S + 3
    assert any("The centre was busy" in line for line in hh_report.lines())
    # The same station's other rows are not held up either.
    second = open_central(pg_url)
    holding2 = make_engine(pg_url)
    holder2 = holding2.connect()
    holder2.begin()
    holder2.execute(text("SELECT id FROM appointments WHERE id = :i FOR UPDATE"), {"i": locked.id})
    try:
        checkin.check_in(hh.ctx, hh_counter, other_hh.reference, force=True)
        begun = time.monotonic()
        report = sync_once(hh.engine, second, "HH", clock=clock)
        assert report.applied == 1 and time.monotonic() - begun < 1.0
    finally:
        holder2.rollback()
        holder2.close()
        holding2.dispose()
        second.dispose()
    for runtime in (hh, sg):
        sync_once(runtime.engine, centre, runtime.ctx.station_code or "", clock=clock)
        assert differences(runtime.engine, centre, runtime.ctx.station_code or "") == []
        runtime.engine.dispose()


def test_a_push_that_keeps_timing_out_stays_queued_and_says_the_centre_is_busy(
    pg_url: str, centre: Engine, tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontcounter.services.core.errors import OfflineError
    from frontcounter.services.sync import push as sync

    monkeypatch.setattr(sync, "BUSY_DELAYS", (0.1,))
    monkeypatch.setattr(central, "LOCK_TIMEOUT_S", 1)
    clock.set(DEMO_NOW + timedelta(days=10))
    hh = _station(pg_url, tmp_path, "HH", clock)
    sync_once(hh.engine, centre, "HH", clock=clock)
    (locked,) = _booked(hh, 1)
    holding = make_engine(pg_url)
    holder = holding.connect()
    holder.begin()
    holder.execute(text("SELECT id FROM appointments WHERE id = :i FOR UPDATE"), {"i": locked.id})
    try:
        checkin.check_in(hh.ctx, actor_in(hh.ctx, "counter.HH"), locked.reference, force=True)
        with pytest.raises(OfflineError, match="is busy: a change waited for a lock held elsewhere 2 times"):
            sync_once(hh.engine, centre, "HH", clock=clock)
    finally:
        holder.rollback()
        holder.close()
        holding.dispose()
    report = sync_once(hh.engine, centre, "HH", clock=clock)
    assert report.applied == 1 and report.waiting == 0
    hh.engine.dispose()
