"""The centre's clock rules on the embedded centre: a station PC 3 h fast or 3 h slow.

The centre (here the SQLite file, whose clock is the centre process's) stamps what it receives
with its own time; each sync measures the offset; a station more than 60 s off says so, audits it
once and runs its rules on the centre-corrected time; the centre refuses a no-show before start +
grace by its own clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.models import AppliedOp, Appointment, AttentionItem, AuditEvent, Status
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, open_station
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.counter import checkin
from frontcounter.services.sync.centre_clock import CorrectedClock, describe
from frontcounter.services.sync.report import SyncReport
from frontcounter.services.sync.station import sync_once
from tests.conftest import DEMO_NOW, actor_named

pytestmark = pytest.mark.wallclock

THREE_HOURS = timedelta(hours=3)


@pytest.fixture
def central(demo_dir: Path) -> Iterator:  # type: ignore[type-arg]
    engine = make_engine(sqlite_url(demo_dir / "central.sqlite"))
    yield engine
    engine.dispose()


def _station(demo_dir: Path, skew: timedelta) -> StationRuntime:
    return open_station(Paths.resolve(demo_dir), clock=FixedClock(DEMO_NOW + skew))


def _sync(station: StationRuntime, central, clock: FixedClock) -> SyncReport:  # type: ignore[no-untyped-def]
    return sync_once(station.engine, central, "HH", clock=station.ctx.clock, centre_clock=clock)


def _booked_starting(station: StationRuntime, after, before) -> Appointment:  # type: ignore[no-untyped-def]
    with station.ctx.read() as s:
        return s.scalars(select(Appointment).where(
            Appointment.status == Status.BOOKED.value, Appointment.start_at >= after, Appointment.start_at < before)
            .order_by(Appointment.start_at, Appointment.id)).first()  # type: ignore[return-value]


def test_a_station_three_hours_fast(demo_dir: Path, central, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    station = _station(demo_dir, THREE_HOURS)
    counter = actor_named(station, "counter.HH")
    # The centre's now is DEMO_NOW; this PC believes it is three hours later. Before any sync has
    # told it so, it checks a visitor in and marks a no-show for a visit 30 minutes from now.
    early = _booked_starting(station, DEMO_NOW + timedelta(minutes=15), DEMO_NOW + timedelta(hours=1))
    visitor = _booked_starting(station, early.start_at + timedelta(minutes=1), DEMO_NOW + timedelta(hours=3))
    checkin.check_in(station.ctx, counter, visitor.reference, force=True)
    checkin.mark_no_show(station.ctx, counter, early.id)  # this PC thinks the grace is long over

    report = _sync(station, central, clock)

    assert report.clock_skewed and report.clock_offset == -THREE_HOURS
    assert "This PC's clock is 3 h 0 min fast against the centre's; the centre's time is used" in report.lines()
    with central.connect() as c:
        arrived = c.execute(select(Appointment.arrived_at).where(Appointment.id == visitor.id)).scalar_one()
        applied = list(c.execute(select(AppliedOp.applied_at)).scalars())
        items = list(c.execute(select(AttentionItem.created_at, AttentionItem.message)).all())
        status = c.execute(select(Appointment.status).where(Appointment.id == early.id)).scalar_one()
    assert arrived == DEMO_NOW  # not in the centre's future: stamped with the centre's time
    assert applied and all(at == DEMO_NOW for at in applied)
    assert status == Status.BOOKED.value  # the early no-show was refused by the centre's clock
    (item,) = [i for i in items if "by the centre's clock" in i.message]
    assert item.created_at == DEMO_NOW
    # From now on this PC runs on the centre's time: the same early no-show is refused here.
    assert isinstance(station.ctx.clock, CorrectedClock) and station.ctx.clock.now() == DEMO_NOW
    with pytest.raises(ValidationError, match="Too early for a no-show"):
        checkin.mark_no_show(station.ctx, counter, early.id)
    # Audited once, however many syncs see the skew; the audit reaches the centre.
    _sync(station, central, clock)
    _sync(station, central, clock)
    with station.ctx.read() as s:
        skew_events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "sync.clock_skew")))
    assert len(skew_events) == 1 and skew_events[0].details["offset_seconds"] == -10800.0
    # Reopened (the app restarts), the correction is still there before any sync.
    station.engine.dispose()
    again = _station(demo_dir, THREE_HOURS)
    assert again.ctx.clock.now() == DEMO_NOW
    again.engine.dispose()


def test_a_station_three_hours_slow(demo_dir: Path, central, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    centre_now = DEMO_NOW + timedelta(hours=1)
    clock.set(centre_now)  # the centre's clock; this PC's is three hours behind it
    station = _station(demo_dir, timedelta(hours=1) - THREE_HOURS)
    counter = actor_named(station, "counter.HH")
    missed = _booked_starting(station, DEMO_NOW, centre_now - timedelta(minutes=15))  # past its grace
    with pytest.raises(ValidationError, match="Too early for a no-show"):  # the slow PC alone says so
        checkin.mark_no_show(station.ctx, counter, missed.id)
    report = _sync(station, central, clock)
    assert report.clock_offset == THREE_HOURS and describe(THREE_HOURS) == "3 h 0 min slow"
    assert "This PC's clock is 3 h 0 min slow against the centre's; the centre's time is used" in report.lines()
    assert station.ctx.clock.now() == centre_now  # corrected
    checkin.mark_no_show(station.ctx, counter, missed.id)
    report = _sync(station, central, clock)
    assert report.applied == 1 and report.rejected == 0
    with central.connect() as c:
        row = c.execute(select(Appointment.status, Appointment.no_show_at).where(Appointment.id == missed.id)).one()
        applied = c.execute(select(func.max(AppliedOp.applied_at))).scalar_one()
    assert row.status == Status.NO_SHOW.value and row.no_show_at == centre_now
    assert applied == centre_now
    with station.ctx.read() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.action == "sync.clock_skew")) == 1
    station.engine.dispose()


def test_a_station_within_a_minute_is_trusted_and_not_audited(demo_dir: Path, central,  # type: ignore[no-untyped-def]
                                                              clock: FixedClock) -> None:
    station = _station(demo_dir, timedelta(seconds=40))
    report = _sync(station, central, clock)
    assert not report.clock_skewed and report.clock_offset == -timedelta(seconds=40)
    assert station.ctx.clock.now() == DEMO_NOW + timedelta(seconds=40)  # no correction within the limit
    assert not any("clock" in line for line in report.lines())
    with station.ctx.read() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.action == "sync.clock_skew")) == 0
    station.engine.dispose()
