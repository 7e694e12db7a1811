"""The centre's clock rules against a real PostgreSQL centre: its ``clock_timestamp()`` counts.

A station PC 3 h fast or 3 h slow: what it sends is stamped with the server's time, each sync
measures the offset, the station shows it and runs on the corrected time, and the centre refuses
a no-show before start + grace by its own clock.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from frontcounter.db.engine import make_engine
from frontcounter.db.models import AppliedOp, Appointment, AttentionItem, AuditEvent, Status
from frontcounter.paths import Paths
from frontcounter.runtime import create_demo, open_station
from frontcounter.services.core.clock import CLOCK_ENV, FixedClock
from frontcounter.services.core.errors import DoubleBooking, ValidationError
from frontcounter.services.counter import checkin
from frontcounter.services.sync.station import sync_once
from tests.sync_support import actor_in, central_context, create_appointment, rooms_and_officers

pytestmark = pytest.mark.postgres

THREE_HOURS = timedelta(hours=3)
#: How far the server's clock moves during the test (it is real time).
SLACK = timedelta(seconds=60)


@pytest.fixture
def central(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


def _server_now(engine: Engine) -> datetime:
    with engine.connect() as c:
        return c.execute(text("SELECT clock_timestamp()")).scalar_one()  # type: ignore[no-any-return]


def _book_in_a_free_room(centre: Any, fcr: Any, rooms: list[Any], start: datetime, *, seed: int) -> uuid.UUID:
    for room in rooms:
        try:
            return create_appointment(centre, fcr, "HH", room.id, None, start, op_type="appointment.book",
                                      minutes=20, rng=random.Random(seed))
        except DoubleBooking:
            continue
    raise AssertionError(f"every HH room is booked at {start}")


@pytest.mark.parametrize("skew", [THREE_HOURS, -THREE_HOURS], ids=["3h-fast", "3h-slow"])
def test_a_station_three_hours_off_against_postgresql(central: Engine, pg_url: str, tmp_path: Path,
                                                      skew: timedelta, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CLOCK_ENV)  # a real install: no pinned process clock, the server's counts
    now = _server_now(central).replace(microsecond=0)
    paths = Paths.resolve(tmp_path / "HH")
    create_demo(paths, clock=FixedClock(now), central_url=pg_url, station_code="HH")
    centre = central_context(central, FixedClock(now))
    fcr = actor_in(centre, "fcr.HH")
    rooms, _ = rooms_and_officers(centre, "HH")
    # A visit 30 minutes from now (too early for a no-show) and one that started an hour ago.
    # The demo is seeded round the real now (its late session), so take a room free at each time.
    soon = _book_in_a_free_room(centre, fcr, rooms, now + timedelta(minutes=30), seed=1)
    past = _book_in_a_free_room(centre, fcr, rooms, now - timedelta(hours=1), seed=2)
    honest = open_station(paths, clock=FixedClock(now))
    sync_once(honest.engine, central, "HH", clock=honest.ctx.clock)  # fetch them with a right clock
    honest.engine.dispose()

    station = open_station(paths, clock=FixedClock(now + skew))  # then the PC's clock goes wrong
    counter = actor_in(station.ctx, "counter.HH")
    if skew > timedelta(0):
        checkin.mark_no_show(station.ctx, counter, soon)  # the fast PC thinks the grace is over
        checkin.check_in(station.ctx, counter, _ref(station, past), force=True)  # at a "future" time
    else:
        with pytest.raises(ValidationError, match="Too early for a no-show"):
            checkin.mark_no_show(station.ctx, counter, past)  # the slow PC thinks it has not started

    report = sync_once(station.engine, central, "HH", clock=station.ctx.clock)
    server = _server_now(central)

    assert report.clock_offset is not None and abs(report.clock_offset + skew) < SLACK
    assert report.clock_skewed and any("against the centre's; the centre's time is used" in line
                                       for line in report.lines())
    assert abs(station.ctx.clock.now() - server) < SLACK  # the station now runs on the centre's time
    with central.connect() as c:
        applied = list(c.execute(select(AppliedOp.applied_at)).scalars())
        items = list(c.execute(select(AttentionItem.created_at, AttentionItem.message)).all())
        soon_row = c.execute(select(Appointment.status).where(Appointment.id == soon)).scalar_one()
        past_row = c.execute(select(Appointment.arrived_at).where(Appointment.id == past)).scalar_one()
    assert all(abs(at - server) < SLACK for at in applied)  # the server's time, not the station's
    if skew > timedelta(0):
        assert len(applied) == 2 and soon_row == Status.BOOKED.value  # the early no-show refused
        (item,) = [i for i in items if "by the centre's clock" in i.message]
        assert abs(item.created_at - server) < SLACK
        assert past_row is not None and abs(past_row - server) < SLACK  # not 3 h in the future
        with pytest.raises(ValidationError, match="Too early for a no-show"):
            checkin.mark_no_show(station.ctx, counter, soon)  # and now refused here too
    else:
        checkin.mark_no_show(station.ctx, counter, past)  # corrected: an hour after the start
        after = sync_once(station.engine, central, "HH", clock=station.ctx.clock)
        assert after.applied == 1 and after.rejected == 0
    sync_once(station.engine, central, "HH", clock=station.ctx.clock)
    with station.ctx.read() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.action == "sync.clock_skew")) == 1
    station.engine.dispose()


def _ref(station, appointment_id) -> str:  # type: ignore[no-untyped-def]
    with station.ctx.read() as s:
        return str(s.get_one(Appointment, appointment_id).reference)
