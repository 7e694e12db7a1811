"""The day board and the booking dialog's slot search (issue #4).

Figures, each against a floor measured in the same run (runs interleaved, so noise hits both):

- **slot search, 11 stations × 14 days, p95**: what the FCR's booking form asks the centre for —
  ``booking.find_slots`` across every station, nearest first, limit 40 — with a mix of needs
  (none, step-free, hearing loop with a language, a specialism, 30 minutes), on the demo's embedded
  centre with every station rostered for 14 days. Floor: one indexed ``SELECT`` of the same
  period's appointments through plain ``sqlite3``. Target p95 <= 50 ms.
- **day board, 200 appointments, built and painted**: a ``DayBoardCanvas`` made, given a day of
  200 appointments in 20 rooms with 20 officers on duty, laid out and painted (``grab()``) at
  1600 px wide. Floor: a bare ``QWidget`` of the same size painted (``grab()``). Target <= 100 ms.
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from bench.harness import Deadline, figure, median, p95

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: The demo's "now" (a Monday evening in a session), as the tests use.
NOW = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
DAYS = 14


# -- slot search -------------------------------------------------------------------------------------


def _roster(central_db: Path) -> None:
    """Duties for days 4–14 at every station (the demo rostered today-3 … today+3)."""
    from sqlalchemy import insert, select

    from frontcounter.db.engine import make_engine, sqlite_url
    from frontcounter.db.models import Duty, Officer, OpeningSession, Station
    from frontcounter.services.core.clock import LONDON, local

    rng = random.Random(11)
    engine = make_engine(sqlite_url(central_db))
    try:
        with engine.begin() as conn:
            stations = list(conn.execute(select(Station.id)).scalars())
            sessions = conn.execute(select(OpeningSession.station_id, OpeningSession.weekday,
                                           OpeningSession.start_time, OpeningSession.end_time)).all()
            officers: dict[Any, list[Any]] = {s: [] for s in stations}
            for oid, sid in conn.execute(select(Officer.id, Officer.station_id)):
                officers[sid].append(oid)
            rows = []
            today = local(NOW).date()
            for offset in range(4, DAYS + 1):
                day = today + timedelta(days=offset)
                for sid, weekday, s, e in sessions:
                    if weekday != day.weekday():
                        continue
                    start = datetime.combine(day, s, tzinfo=LONDON)
                    end = datetime.combine(day, e, tzinfo=LONDON)
                    for oid in rng.sample(officers[sid], min(len(officers[sid]), rng.randint(2, 3))):
                        rows.append({"id": uuid.uuid4(), "officer_id": oid, "station_id": sid,
                                     "start_at": start - timedelta(minutes=30), "end_at": end + timedelta(minutes=30),
                                     "version": 1, "deleted": False})
            conn.execute(insert(Duty), rows)
    finally:
        engine.dispose()


def _slot_search_figure(runs: int) -> dict[str, Any]:
    from sqlalchemy import select

    from frontcounter.db.engine import make_engine, sqlite_url
    from frontcounter.db.models import Station, User
    from frontcounter.paths import Paths
    from frontcounter.runtime import create_demo
    from frontcounter.services.core.clock import FixedClock, local, local_day_bounds
    from frontcounter.services.core.context import ServiceContext
    from frontcounter.services.scheduling import slots as booking
    from frontcounter.services.scheduling.slots import SlotNeeds
    from frontcounter.services.security.auth import actor_for

    tmp = Path(tempfile.mkdtemp(prefix="bench-board-"))
    paths = Paths.resolve(tmp)
    create_demo(paths, clock=FixedClock(NOW))
    central_db = paths.embedded_central_db
    _roster(central_db)
    engine = make_engine(sqlite_url(central_db))
    ctx = ServiceContext(engine=engine, clock=FixedClock(NOW), mode="central", workstation="bench")
    with ctx.read() as s:
        user = s.scalars(select(User).where(User.username == "fcr.HH")).one()
        fcr = actor_for(user, s.get(Station, user.station_id), "bench")
        codes = ["HH", *sorted(c for c in s.scalars(select(Station.code)) if c != "HH")]
    day: date = local(NOW).date()
    start, _ = local_day_bounds(day)
    _, end = local_day_bounds(day + timedelta(days=DAYS - 1))
    needs_mix = [SlotNeeds(), SlotNeeds(step_free=True), SlotNeeds(hearing_loop=True, language="Polish"),
                 SlotNeeds(specialism="domestic abuse"), SlotNeeds(duration_minutes=30)]
    found: list[int] = []

    def ours(needs: SlotNeeds) -> None:
        found.append(len(booking.find_slots(ctx, fcr, needs, station_codes=codes, start_day=day, days=DAYS,
                                            limit=40)))

    raw = sqlite3.connect(central_db)
    period = (end.strftime("%Y-%m-%d %H:%M:%S"), start.strftime("%Y-%m-%d %H:%M:%S"))

    def bare() -> None:
        raw.execute("SELECT id, room_id, officer_id, start_at, end_at FROM appointments "
                    "WHERE start_at < ? AND start_at >= ?", period).fetchall()

    ours(needs_mix[0])
    bare()
    samples_ours: list[float] = []
    samples_bare: list[float] = []
    for i in range(runs):
        needs = needs_mix[i % len(needs_mix)]
        t = time.perf_counter()
        ours(needs)
        samples_ours.append((time.perf_counter() - t) * 1000.0)
        t = time.perf_counter()
        bare()
        samples_bare.append((time.perf_counter() - t) * 1000.0)
    raw.close()
    engine.dispose()
    return figure(p95(samples_ours), "ms", p95(samples_bare), "p95 <= 50 ms",
                  median=round(median(samples_ours), 3), runs=runs,
                  notes=f"{len(codes)} stations × {DAYS} days at the centre, needs mix of {len(needs_mix)}, "
                        f"limit 40 (found {min(found)}–{max(found)}); floor: one indexed SELECT of the period")


# -- the board ------------------------------------------------------------------------------------------


def _synthetic_day(rooms: int = 20, hours: int = 10) -> tuple[Any, list[Any]]:
    """A station day of ``rooms × hours`` appointments (200), every room and hour full."""
    from frontcounter.services.core.appointments import AppointmentView
    from frontcounter.services.core.clock import LONDON
    from frontcounter.services.scheduling.roster import (
        DayLayout,
        DutyView,
        OfficerOnDuty,
        OfficerView,
        RoomView,
    )

    rng = random.Random(7)
    day = date(2026, 11, 23)
    station_id = uuid.uuid4()
    room_views = [RoomView(uuid.uuid4(), station_id, f"Interview Room {i + 1}", 3, i % 2 == 0, i % 3 == 0, False,
                           True, False, True, 1) for i in range(rooms)]
    first = datetime.combine(day, dtime(10), tzinfo=LONDON).astimezone(UTC)
    officers = []
    for i in range(rooms):
        officer = OfficerView(uuid.uuid4(), station_id, str(2000 + i), f"Officer {i + 1}", "PC", ("English",), (),
                              True, None)
        duty = DutyView(uuid.uuid4(), officer.id, f"PC {2000 + i} Officer {i + 1}", station_id,
                        first - timedelta(minutes=30), first + timedelta(hours=hours, minutes=30), None, None, 1)
        officers.append(OfficerOnDuty(officer, (duty,)))
    layout = DayLayout(station_id, "HH", "Hemel Hempstead", day, tuple(room_views), tuple(officers),
                       ((first, first + timedelta(hours=hours)),))
    statuses = ("booked", "arrived", "in_progress", "completed", "no_show", "booked", "booked")
    views = []
    for h in range(hours):
        for r, room in enumerate(room_views):
            officer = officers[(r + h) % rooms].officer
            start = first + timedelta(hours=h)
            views.append(AppointmentView(
                id=uuid.uuid4(), reference=f"HH-{rng.randrange(36**5):05X}"[:8], station_id=station_id,
                station_code="HH", station_name="Hemel Hempstead", room_id=room.id, room_name=room.name,
                room_step_free=room.step_free, room_hearing_loop=room.hearing_loop, officer_id=officer.id,
                officer_name=officer.name, officer_collar=f"PC {officer.collar_number}", start=start,
                end=start + timedelta(hours=1), status=rng.choice(statuses), at_risk=rng.random() < 0.05,
                at_risk_reason=None, channel="101_call", reason="report_crime", crime_reference=None,
                visitor_name=f"Visitor Number {h * rooms + r}", visitor_preferred_name=None, visitor_phone=None,
                visitor_email=None, safe_contact=None, preferred_language=None, interpreter_language=None,
                needs_step_free=False, needs_hearing_loop=False, access_needs=None, person_of_choice=None,
                arrived_at=None, checked_in_by=None, seen_at=None, completed_at=None, cancel_reason=None,
                rescheduled_to_id=None, rescheduled_from_id=None, version=1,
            ))
    return layout, views


def _board_figure(runs: int) -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication, QWidget

    from frontcounter.ui.views.day_board_canvas import DayBoardCanvas

    app = QApplication.instance() or QApplication(["bench-board"])
    layout, views = _synthetic_day()
    width = 1600
    probe = DayBoardCanvas()
    probe.resize(width, 900)
    probe.set_data(layout, views, NOW, False)
    height = max(900, probe.minimumHeight())
    probe.deleteLater()

    def ours() -> None:
        canvas = DayBoardCanvas()
        canvas.resize(width, height)
        canvas.set_data(layout, views, NOW, False)
        canvas.grab()
        canvas.deleteLater()

    def bare() -> None:
        widget = QWidget()
        widget.resize(width, height)
        widget.grab()
        widget.deleteLater()

    ours()
    bare()
    app.processEvents()
    samples_ours: list[float] = []
    samples_bare: list[float] = []
    for _ in range(runs):
        for fn, out in ((ours, samples_ours), (bare, samples_bare)):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000.0)
        app.processEvents()
    return figure(median(samples_ours), "ms", median(samples_bare), "<= 100 ms",
                  p95=round(p95(samples_ours), 3), runs=runs,
                  notes=f"{len(views)} appointments, {len(layout.rooms)} room and {len(layout.officers)} officer "
                        f"lanes, {width}×{height} px, offscreen; floor: a bare QWidget of that size painted")


def run(quick: bool) -> dict[str, dict[str, Any]]:
    deadline = Deadline.from_env(40.0 if quick else 240.0)
    figures: dict[str, dict[str, Any]] = {}
    figures["day board, 200 appointments, built and painted"] = _board_figure(10 if quick else 40)
    if deadline.allows(15.0):
        figures["slot search, 11 stations × 14 days, needs mix, p95"] = _slot_search_figure(20 if quick else 100)
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=2))
