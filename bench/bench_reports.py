"""How long the managers' reports take on a year of the whole force, against a plain GROUP BY.

The data: 11 stations, a year (2026), about 20 appointments a day each (~80,000 appointments, the
issue's figure), with the real mix of outcomes, reschedules, waits, ratings, duties and opening
sessions, in a migrated SQLite centre (the double-booking triggers included, so the rows are ones
the database would accept).

The floor is the least any report must do: one ``SELECT status, COUNT(*) … GROUP BY status`` over
the same period's rows, timed in the same run and interleaved with the figure's own runs (it reads
the reports' covering index, ``ix_appointments_report``, as the report does). The figure is
``compute_report`` for the FCR over all stations (target <= 200 ms), with its CPU time beside the
wall time (the machine is shared) and the statements it sends; also one station's year, a
drill-down (the ORM rows behind a bar, with its audit write) and the PDF with its charts.
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from bench.harness import figure, median, p95

YEAR_FROM, YEAR_TO = date(2026, 1, 1), date(2026, 12, 31)
NOW = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)
CODES = ("HH", "SG", "WD", "SA", "HF", "HT", "BS", "CH", "BW", "HI", "LG")
PER_DAY = 20
ROOMS, OFFICERS = 4, 8
#: Two sessions a day: 10:00–13:00 and 17:00–21:00 (Europe/London), seven hourly slots.
SLOTS = (10, 11, 12, 17, 18, 19, 20)


def build_year(engine: Any, *, seed: int = 2026) -> int:
    """Write a year of 11 stations into a migrated, empty SQLite database; returns the appointments."""
    from sqlalchemy import insert

    from frontcounter.db.models import Officer, OpeningSession, Room, Station, User
    from frontcounter.services.core.clock import LONDON

    rng = random.Random(seed)
    stations, sessions, rooms, officers, users = [], [], [], [], []
    for i, code in enumerate(CODES):
        station_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        stations.append({"id": station_id, "code": code, "name": f"Station {code}", "address": "Road",
                         "postcode": "AL1 1AA", "phone": "101", "latitude": 51.7, "longitude": -0.3,
                         "active": True, "version": 1, "deleted": False})
        for weekday in range(7):
            for start, end in ((10, 13), (17, 21)):
                sessions.append({"id": uuid.uuid4(), "station_id": station_id, "weekday": weekday,
                                 "start_time": clock_time(start), "end_time": clock_time(end), "version": 1,
                                 "deleted": False})
        station_rooms = [{"id": uuid.uuid4(), "station_id": station_id, "name": f"Interview Room {r + 1}",
                          "capacity": 3, "step_free": r == 0, "hearing_loop": False, "video_link": False,
                          "soundproofed": True, "child_friendly": False, "active": True, "version": 1,
                          "deleted": False} for r in range(ROOMS)]
        station_officers = [{"id": uuid.uuid4(), "station_id": station_id, "collar_number": f"{i}{o:03d}",
                             "name": f"Officer {code}{o}", "rank": "PC", "languages": ["English"],
                             "specialisms": [], "active": True, "version": 1, "deleted": False}
                            for o in range(OFFICERS)]
        rooms.append(station_rooms)
        officers.append(station_officers)
        users.append({"id": uuid.uuid4(), "username": f"fcr.{code}", "display_name": "FCR", "role": "fcr",
                      "station_id": station_id, "password_hash": "x", "must_change_password": False,
                      "active": True, "failed_attempts": 0, "version": 1, "deleted": False})

    appointments: list[dict[str, Any]] = []
    duties: list[dict[str, Any]] = []
    follow_ups: list[dict[str, Any]] = []
    day = YEAR_FROM
    serial = 0
    while day <= YEAR_TO:
        for s, station in enumerate(stations):
            # Officers 0-3 do the morning, 4-7 the evening: one duty each, 30 minutes either side.
            for o, officer in enumerate(officers[s]):
                start_hour, end_hour = (10, 13) if o < ROOMS else (17, 21)
                duties.append({
                    "id": uuid.uuid4(), "officer_id": officer["id"], "station_id": station["id"],
                    "start_at": datetime.combine(day, clock_time(start_hour), LONDON).astimezone(UTC)
                    - timedelta(minutes=30),
                    "end_at": datetime.combine(day, clock_time(end_hour), LONDON).astimezone(UTC)
                    + timedelta(minutes=30),
                    "withdrawn_at": None})
            cells = [(slot, r) for slot in range(len(SLOTS)) for r in range(ROOMS)]
            for slot, r in rng.sample(cells, PER_DAY):
                serial += 1
                hour = SLOTS[slot]
                start = datetime.combine(day, clock_time(hour), LONDON).astimezone(UTC)
                officer = officers[s][r + (0 if hour < 14 else ROOMS)]
                row = _appointment(rng, serial, station, rooms[s][r], officer, start)
                appointments.append(row)
                if row["status"] == "no_show":
                    follow_ups.append({"id": uuid.uuid4(), "appointment_id": row["id"],
                                       "station_id": station["id"], "officer_id": officer["id"],
                                       "status": rng.choice(("open", "done", "cancelled")),
                                       "created_at": start + timedelta(minutes=20)})
        day += timedelta(days=1)

    with engine.begin() as conn:
        for model, rows in ((Station, stations), (OpeningSession, sessions),
                            (Room, [r for rs in rooms for r in rs]), (Officer, [o for os_ in officers for o in os_]),
                            (User, users)):
            conn.execute(insert(model.__table__), rows)
        # The big tables go in through the driver: the rows never overlap (one appointment per
        # room and officer per slot), so the double-booking triggers are set aside for the load
        # and put back after it, and values are written in SQLAlchemy's SQLite storage format.
        # Through the ORM's per-value processing the load alone would eat the quick run's budget.
        triggers = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'appointments'").all()
        for name, _ in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        _raw_insert(conn, "duties", duties, {"version": 1, "deleted": 0})
        _raw_insert(conn, "appointments", appointments, {
            "channel": "'101_call'", "reason": "'report_crime'", "created_by": "'fcr'", "version": 1, "deleted": 0,
            "vulnerability_flags": "'[]'", "needs_step_free": 0, "needs_hearing_loop": 0})
        _raw_insert(conn, "follow_ups", follow_ups, {"version": 1, "deleted": 0, "kind": "'recontact'",
                                                     "created_by": "'counter'"})
        for _, sql in triggers:
            conn.exec_driver_sql(sql)
    return len(appointments)


def _sql_value(value: Any) -> Any:
    """A value as SQLAlchemy stores it in SQLite (UUIDs as hex, timestamps as naive UTC text)."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, bool):
        return int(value)
    return value


def _raw_insert(conn: Any, table: str, rows: list[dict[str, Any]], constants: dict[str, Any]) -> None:
    if not rows:
        return
    columns = [c for c in rows[0] if c not in constants]
    names = ", ".join([*columns, *constants])
    values = ", ".join(["?"] * len(columns) + [str(v) for v in constants.values()])
    conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({values})",
                         [tuple(_sql_value(row[c]) for c in columns) for row in rows])


def _appointment(rng: random.Random, serial: int, station: dict[str, Any], room: dict[str, Any],
                 officer: dict[str, Any], start: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": uuid.UUID(int=rng.getrandbits(128), version=4), "reference": f"{station['code']}-{serial:06d}",
        "station_id": station["id"], "room_id": room["id"], "officer_id": officer["id"], "start_at": start,
        "end_at": start + timedelta(hours=1), "visitor_name": f"Visitor {serial}", "status": "completed",
        "at_risk": rng.random() < 0.02, "cancel_reason": None, "arrived_at": None, "seen_at": None,
        "feedback_rating": None, "created_at": start - timedelta(days=7),
    }
    roll = rng.random()
    if roll < 0.06:
        row["status"], row["cancel_reason"] = "cancelled", rng.choice(
            ("operational_demand", "visitor_request", "duplicate", "other"))
    elif roll < 0.12:
        row["status"], row["cancel_reason"] = "rescheduled", rng.choice(("operational_demand", "visitor_request"))
    elif roll < 0.20:
        row["status"] = "no_show"
    else:
        arrived = start - timedelta(minutes=rng.randint(-10, 15), seconds=rng.randint(0, 59))
        row["arrived_at"] = arrived
        if roll < 0.23:
            row["status"] = "left_unseen"
        else:
            row["seen_at"] = arrived + timedelta(minutes=rng.randint(1, 40), seconds=rng.randint(0, 59))
            if rng.random() < 0.7:
                row["feedback_rating"] = rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 3, 8, 10))[0]
    return row


def _interleaved(fn: Callable[[], Any], floor: Callable[[], Any], runs: int,
                 cpu: list[float] | None = None) -> tuple[list[float], list[float]]:
    """``fn`` and ``floor`` timed alternately, after one warm-up each (so noise hits both).

    ``cpu`` collects ``fn``'s own CPU milliseconds: on a loaded machine the wall time also holds
    the time spent waiting for a core.
    """
    fn()
    floor()
    values, floors = [], []
    for _ in range(runs):
        start = time.perf_counter()
        floor()
        floors.append((time.perf_counter() - start) * 1000)
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        values.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
    return values, floors


def _statements(engine: Any, fn: Callable[[], Any]) -> int:
    """How many SQL statements one call of ``fn`` sends."""
    from sqlalchemy import event

    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(sent)


def run(quick: bool) -> dict[str, dict[str, Any]]:
    from sqlalchemy import func, select

    from frontcounter.db.engine import make_engine, sqlite_url
    from frontcounter.db.migrate import upgrade
    from frontcounter.db.models import Appointment, Role
    from frontcounter.services.core.actor import Actor
    from frontcounter.services.core.clock import FixedClock
    from frontcounter.services.core.context import ServiceContext
    from frontcounter.services.reports import figures as reports
    from frontcounter.services.reports import pdf as report_export
    from frontcounter.services.reports.drill_down import appointments_behind
    from frontcounter.services.reports.model import period_bounds

    runs = 5 if quick else 21
    figures: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(sqlite_url(Path(tmp) / "centre.sqlite"))
        upgrade(engine)
        started = time.perf_counter()
        count = build_year(engine)
        build_s = time.perf_counter() - started
        ctx = ServiceContext(engine=engine, clock=FixedClock(NOW), mode="central", workstation="bench")
        with ctx.read() as session:
            station_id = session.execute(select(Appointment.station_id).limit(1)).scalar_one()
            code = session.execute(select(Appointment.reference).where(
                Appointment.station_id == station_id).limit(1)).scalar_one()[:2]
        fcr = Actor(user_id=uuid.uuid4(), username="fcr.HH", display_name="FCR", role=Role.FCR,
                    station_id=station_id, station_code=code, workstation="bench")
        start_at, end_at = period_bounds(YEAR_FROM, YEAR_TO)

        def floor_all() -> None:
            with ctx.read() as session:
                session.execute(select(Appointment.status, func.count()).where(
                    Appointment.start_at >= start_at, Appointment.start_at < end_at,
                    Appointment.deleted.is_(False)).group_by(Appointment.status)).all()

        def floor_one() -> None:
            with ctx.read() as session:
                session.execute(select(Appointment.status, func.count()).where(
                    Appointment.station_id == station_id, Appointment.start_at >= start_at,
                    Appointment.start_at < end_at, Appointment.deleted.is_(False))
                    .group_by(Appointment.status)).all()

        report = reports.compute_report(ctx, fcr, YEAR_FROM, YEAR_TO)
        assert report.total.booked == count, (report.total.booked, count)
        cpu: list[float] = []
        values, floors = _interleaved(lambda: reports.compute_report(ctx, fcr, YEAR_FROM, YEAR_TO), floor_all, runs,
                                      cpu)
        figures[f"report: a year of 11 stations ({count:,} appointments)"] = figure(
            median(values), "ms", median(floors), "<= 200 ms", runs=runs, p95=round(p95(values), 3),
            cpu_ms=round(median(cpu), 3), data_build_s=round(build_s, 1),
            statements=_statements(engine, lambda: reports.compute_report(ctx, fcr, YEAR_FROM, YEAR_TO)))
        cpu = []
        values, floors = _interleaved(lambda: reports.compute_report(ctx, fcr, YEAR_FROM, YEAR_TO, code),
                                      floor_one, runs, cpu)
        figures["report: one station's year"] = figure(median(values), "ms", median(floors), "<= 60 ms",
                                                       runs=runs, p95=round(p95(values), 3),
                                                       cpu_ms=round(median(cpu), 3))
        values, floors = _interleaved(
            lambda: appointments_behind(ctx, fcr, "outcome:no_show", YEAR_FROM, YEAR_TO, code),
            floor_one, max(3, runs // 2))
        figures["drill-down: one station's no-shows for a year (~600 rows, audited)"] = figure(
            median(values), "ms", median(floors), "<= 250 ms", runs=max(3, runs // 2))
        values, floors = _interleaved(
            lambda: report_export.build_report_pdf(report, "OFFICIAL-SENSITIVE", "bench", NOW), floor_all,
            max(3, runs // 2))
        figures["report PDF with charts (11 stations, 53 weeks)"] = figure(
            median(values), "ms", median(floors), "<= 1500 ms", runs=max(3, runs // 2))
        engine.dispose()
    return figures


if __name__ == "__main__":
    for name, fig in run(quick=True).items():
        print(f"{name:70} {fig['value']:9.2f} {fig['unit']}  floor {fig['floor']:.2f}  x{fig['ratio']:.1f}  "
              f"target {fig['target']}")
