"""Every report figure on a hand-built data set whose answers are worked out by hand below.

Two stations over Mon 1 – Sun 14 June 2026 (British Summer Time, UTC+1, so local and UTC days
differ around midnight). Station AA "Alpha" opens Mon 17:00–20:00 and Fri 21:00–00:00 (a session
that ends at midnight); BB "Beta" opens Mon 10:00–13:00. Edge cases in the data:

- a reschedule of a reschedule (R1 → R2 → R3): two postponements, the final outcome (kept) on R3;
- a no-show whose follow-up was cancelled (N1): still a no-show, one follow-up cancelled;
- evening appointments across midnight (M1 Fri 23:30–00:30, M2 Sun 23:30–00:30) count on the day
  they start; W1 at 00:30 on Mon 8 June is Sunday 23:30 UTC, so it belongs to week 2 only in
  Europe/London; P0 at 00:30 on Mon 1 June (31 May in UTC) is inside the period, O1 at 00:30 on
  Mon 15 June (14 June in UTC) and O2 on Sun 31 May 23:30 are outside it;
- a tombstoned appointment (D1) counts nowhere; an inactive room without bookings (A3) is not shown;
- a duty cut short by ``withdrawn_at`` and a duty running past midnight.

Runs on SQLite and on PostgreSQL (the epoch and week arithmetic is written per dialect).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.migrate import upgrade
from frontcounter.db.models import (
    Appointment,
    AuditEvent,
    Duty,
    FollowUp,
    Officer,
    OpeningSession,
    Role,
    Room,
    Station,
    Status,
)
from frontcounter.services import reports
from frontcounter.services.actor import Actor
from frontcounter.services.clock import LONDON, FixedClock
from frontcounter.services.context import ServiceContext
from frontcounter.services.errors import PermissionDenied, ValidationError

FROM, TO = date(2026, 6, 1), date(2026, 6, 14)
WEEK1, WEEK2 = date(2026, 6, 1), date(2026, 6, 8)
NOW = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)


def _at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 6) -> datetime:
    """A Europe/London wall-clock time in June 2026, as the UTC instant the database stores."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=LONDON).astimezone(UTC)


def _uid(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"frontcounter-report-test:{name}")


class DataSet:
    """Builds the rows and remembers ids by short name."""

    def __init__(self) -> None:
        self.rows: list[Any] = []
        self.ids: dict[str, uuid.UUID] = {}

    def add(self, name: str, row: Any) -> Any:
        self.ids[name] = row.id
        self.rows.append(row)
        return row


def build_data_set() -> DataSet:
    d = DataSet()
    aa = d.add("AA", Station(id=_uid("AA"), code="AA", name="Alpha", address="1 Alpha Road", postcode="AL1 1AA",
                             latitude=51.7, longitude=-0.3))
    bb = d.add("BB", Station(id=_uid("BB"), code="BB", name="Beta", address="2 Beta Road", postcode="BE1 1BB",
                             latitude=51.8, longitude=-0.2))
    for name, station, weekday, start, end in (
        ("s-aa-mon", aa, 0, time(17), time(20)),
        ("s-aa-fri", aa, 4, time(21), time(0)),  # ends at midnight: 3 hours
        ("s-bb-mon", bb, 0, time(10), time(13)),
    ):
        d.add(name, OpeningSession(id=_uid(name), station_id=station.id, weekday=weekday, start_time=start,
                                   end_time=end))
    a1 = d.add("A1", Room(id=_uid("A1"), station_id=aa.id, name="Room A1"))
    a2 = d.add("A2", Room(id=_uid("A2"), station_id=aa.id, name="Room A2"))
    d.add("A3", Room(id=_uid("A3"), station_id=aa.id, name="Room A3 (closed)", active=False))
    b1 = d.add("B1", Room(id=_uid("B1"), station_id=bb.id, name="Room B1"))
    oa1 = d.add("OA1", Officer(id=_uid("OA1"), station_id=aa.id, collar_number="101", name="Ann Able"))
    oa2 = d.add("OA2", Officer(id=_uid("OA2"), station_id=aa.id, collar_number="102", name="Bob Baker", rank="Sgt"))
    ob1 = d.add("OB1", Officer(id=_uid("OB1"), station_id=bb.id, collar_number="201", name="Cat Cole"))

    def duty(name: str, officer: Officer, station: Station, start: datetime, end: datetime,
             withdrawn: datetime | None = None) -> None:
        d.add(name, Duty(id=_uid(name), officer_id=officer.id, station_id=station.id, start_at=start, end_at=end,
                         withdrawn_at=withdrawn))

    duty("d-oa1-mon1", oa1, aa, _at(1, 16, 30), _at(1, 20, 30))  # 4 h
    duty("d-oa1-mon8", oa1, aa, _at(8, 16, 30), _at(8, 20, 30))  # 4 h
    duty("d-oa1-fri5", oa1, aa, _at(5, 20, 30), _at(6, 0, 30))  # 4 h across midnight
    duty("d-oa1-fri12", oa1, aa, _at(12, 20, 30), _at(13, 0, 30), withdrawn=_at(12, 22, 30))  # 2 h
    duty("d-oa1-mon15", oa1, aa, _at(15, 16, 30), _at(15, 20, 30))  # outside the period
    duty("d-oa2-mon1-night", oa2, aa, _at(1, 0, 0), _at(1, 2, 0))  # 2 h; starts 31 May in UTC
    duty("d-oa2-mon1", oa2, aa, _at(1, 16, 30), _at(1, 20, 30))  # 4 h
    duty("d-oa2-mon8", oa2, aa, _at(8, 16, 30), _at(8, 20, 30))  # 4 h
    duty("d-oa2-sun31", oa2, aa, _at(31, 23, 0, month=5), _at(31, 23, 59, month=5))  # outside
    duty("d-ob1-mon1", ob1, bb, _at(1, 9, 30), _at(1, 13, 30))  # 4 h
    duty("d-ob1-mon8", ob1, bb, _at(8, 9, 30), _at(8, 13, 30))  # 4 h

    def appt(ref: str, station: Station, room: Room, officer: Officer | None, start: datetime, *,
             status: Status, minutes: int = 60, reason: str | None = None, at_risk: bool = False,
             arrived: datetime | None = None, seen: datetime | None = None, rating: int | None = None,
             deleted: bool = False) -> Appointment:
        return d.add(ref, Appointment(
            id=_uid(ref), reference=ref, station_id=station.id, room_id=room.id,
            officer_id=officer.id if officer else None, start_at=start, end_at=start + timedelta(minutes=minutes),
            channel="101_call", reason="report_crime", visitor_name=f"Visitor {ref}", status=status.value,
            cancel_reason=reason, at_risk=at_risk, arrived_at=arrived, seen_at=seen, feedback_rating=rating,
            feedback_at=seen + timedelta(hours=1) if rating and seen else (NOW if rating else None),
            deleted=deleted, created_at=_at(1, 9, month=5), created_by="fcr.AA",
        ))

    C, R, N = Status.COMPLETED, Status.RESCHEDULED, Status.NO_SHOW
    appt("AA-K1", aa, a1, oa1, _at(1, 17), status=C, arrived=_at(1, 16, 55), seen=_at(1, 17, 2), rating=5)
    appt("AA-N1", aa, a2, oa2, _at(1, 17), status=N)
    appt("AA-K2", aa, a1, oa1, _at(1, 18), status=C, arrived=_at(1, 18), seen=_at(1, 18, 10, 30), rating=4)
    r1 = appt("AA-R1", aa, a1, oa1, _at(1, 19), status=R, reason="operational_demand")
    appt("AA-D1", aa, a2, oa2, _at(1, 19), status=C, rating=5, deleted=True)
    appt("AA-P0", aa, a2, oa2, _at(1, 0, 30), status=Status.ARRIVED, arrived=_at(1, 0, 20))
    appt("AA-O2", aa, a1, oa1, _at(31, 23, 30, month=5), status=C, rating=1)
    appt("AA-C1", aa, a1, oa1, _at(5, 21), status=Status.CANCELLED, reason="operational_demand")
    appt("AA-K4", aa, a2, oa2, _at(5, 21), status=C)
    appt("AA-M1", aa, a1, oa1, _at(5, 23, 30), status=C, arrived=_at(5, 23, 25), seen=_at(5, 23, 40), rating=3)
    appt("AA-W1", aa, a2, oa2, _at(8, 0, 30), status=C, rating=1)
    appt("AA-K3", aa, a1, oa1, _at(8, 17), status=C, arrived=_at(8, 17), seen=_at(8, 17, 3), rating=2)
    appt("AA-AR2", aa, a2, oa2, _at(8, 17), status=C, at_risk=True, arrived=_at(8, 17), seen=_at(8, 17, 45))
    r2 = appt("AA-R2", aa, a1, oa1, _at(8, 18), status=R, reason="visitor_request")
    appt("AA-N2", aa, a2, oa2, _at(8, 18), status=N)
    r3 = appt("AA-R3", aa, a1, oa1, _at(8, 19), status=C, arrived=_at(8, 19), seen=_at(8, 19, 20), rating=5)
    appt("AA-C2", aa, a1, oa1, _at(12, 21), status=Status.CANCELLED, reason="visitor_request")
    appt("AA-C3", aa, a2, oa2, _at(12, 21), status=Status.CANCELLED, reason="duplicate")
    appt("AA-AR1", aa, a1, oa1, _at(12, 22), status=Status.CANCELLED, reason="operational_demand", at_risk=True)
    appt("AA-C4", aa, a2, None, _at(12, 22), status=Status.CANCELLED)
    appt("AA-M2", aa, a2, oa2, _at(14, 23, 30), status=Status.LEFT_UNSEEN, arrived=_at(14, 23, 20), rating=1)
    appt("AA-O1", aa, a1, oa1, _at(15, 0, 30), status=C, arrived=_at(15, 0, 30), seen=_at(15, 0, 31), rating=1)
    r1.rescheduled_to_id, r2.rescheduled_from_id = r2.id, r1.id
    r2.rescheduled_to_id, r3.rescheduled_from_id = r3.id, r2.id

    appt("BB-B1", bb, b1, ob1, _at(1, 10), status=C, arrived=_at(1, 9, 58), seen=_at(1, 10), rating=4)
    appt("BB-B2", bb, b1, ob1, _at(8, 11), status=N)
    appt("BB-B3", bb, b1, ob1, _at(8, 12), status=Status.CANCELLED, reason="visitor_request")

    for name, ref, status in (("f-n1", "AA-N1", "cancelled"), ("f-n2", "AA-N2", "done"), ("f-b2", "BB-B2", "open")):
        appointment_id = d.ids[ref]
        station_id = aa.id if ref.startswith("AA") else bb.id
        d.add(name, FollowUp(id=_uid(name), appointment_id=appointment_id, station_id=station_id,
                             kind="recontact", status=status, created_at=NOW, created_by="counter.AA"))
    return d


def _actor(role: Role, station: str, data: DataSet) -> Actor:
    return Actor(user_id=uuid.uuid4(), username=f"{role.value}.{station}", display_name=f"{role.value} {station}",
                 role=role, station_id=data.ids[station], station_code=station, workstation="test")


def _load(engine: Engine, data: DataSet) -> None:
    from sqlalchemy.orm import Session

    from frontcounter.db.models import SYNCED_MODELS

    with Session(engine) as session, session.begin():
        for model in SYNCED_MODELS:
            session.add_all([r for r in data.rows if type(r) is model])
            session.flush()


@pytest.fixture(scope="module")
def data() -> DataSet:
    return build_data_set()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def central(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The data set in a central database (built once per backend for the whole module).

    Each database gets rows of its own (ORM rows belong to one session); ids are the same.
    """
    if request.param == "sqlite":
        engine = make_engine(sqlite_url(tmp_path_factory.mktemp("reports") / "central.sqlite"))
        upgrade(engine)
        _load(engine, build_data_set())
        yield engine
        engine.dispose()
        return
    yield from _pg_central(request, build_data_set())


def _pg_central(request: pytest.FixtureRequest, data: DataSet) -> Iterator[Engine]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = request.getfixturevalue("pg_available")
    name = f"fc_test_reports_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        _load(engine, data)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def ctx(central: Engine) -> ServiceContext:
    return ServiceContext(engine=central, clock=FixedClock(NOW), mode="central", workstation="test")


@pytest.fixture
def fcr(data: DataSet) -> Actor:
    return _actor(Role.FCR, "AA", data)


@pytest.fixture
def supervisor_aa(data: DataSet) -> Actor:
    return _actor(Role.SUPERVISOR, "AA", data)


# --- The figures -----------------------------------------------------------------------------


def test_outcomes_add_up_and_follow_the_definitions(ctx: ServiceContext, fcr: Actor) -> None:
    report = reports.compute_report(ctx, fcr, FROM, TO)
    assert [s.code for s in report.stations] == ["AA", "BB"]  # by name: Alpha, Beta
    aa = report.figures_for("AA")
    assert dict(aa.outcomes) == {"kept": 8, "postponed": 2, "cancelled": 5, "no_show": 2, "left_unseen": 1,
                                 "open": 1}
    assert aa.booked == 19
    assert aa.kept_rate == pytest.approx(8 / 18)
    assert dict(aa.cancelled_by_reason) == {"operational_demand": 2, "visitor_request": 1, "other": 2}
    assert dict(aa.postponed_by_reason) == {"operational_demand": 1, "visitor_request": 1, "other": 0}
    assert dict(aa.at_risk_outcomes) == {"kept": 1, "postponed": 0, "cancelled": 1, "no_show": 0,
                                         "left_unseen": 0, "open": 0}
    assert dict(aa.follow_ups) == {"open": 0, "done": 1, "cancelled": 1}

    bb = report.figures_for("BB")
    assert dict(bb.outcomes) == {"kept": 1, "postponed": 0, "cancelled": 1, "no_show": 1, "left_unseen": 0,
                                 "open": 0}
    assert bb.kept_rate == pytest.approx(1 / 3)
    assert dict(bb.follow_ups) == {"open": 1, "done": 0, "cancelled": 0}

    total = report.total
    assert total.booked == 22 and total.kept == 9 and total.no_show == 3 and total.cancelled == 6
    assert total.kept_rate == pytest.approx(9 / 21)
    assert dict(total.cancelled_by_reason) == {"operational_demand": 2, "visitor_request": 2, "other": 2}


def test_waits_average_p90_and_bands(ctx: ServiceContext, fcr: Actor) -> None:
    report = reports.compute_report(ctx, fcr, FROM, TO)
    aa = report.figures_for("AA")
    # K1 7, K2 10.5, M1 15, K3 3, AR2 45, R3 20 minutes; M2 left unseen and P0 not seen have no wait.
    assert aa.waits == 6
    assert aa.wait_average == pytest.approx((7 + 10.5 + 15 + 3 + 45 + 20) / 6)
    assert aa.wait_p90 == 45
    assert dict(aa.wait_histogram) == {3: 1, 7: 1, 11: 1, 15: 1, 20: 1, 45: 1}  # rounded up
    assert aa.wait_bands == {"0-5": 1, "5-10": 1, "10-15": 2, "15-30": 1, "30+": 1}
    total = report.total
    assert total.waits == 7 and total.wait_bands["0-5"] == 2  # BB-B1 waited 2 minutes
    assert total.wait_average == pytest.approx((7 + 10.5 + 15 + 3 + 45 + 20 + 2) / 7)


def test_room_utilisation_and_officer_hours(ctx: ServiceContext, fcr: Actor) -> None:
    report = reports.compute_report(ctx, fcr, FROM, TO)
    aa = report.figures_for("AA")
    # Sessions: Mondays 1 and 8 (3 h) and Fridays 5 and 12 (21:00–00:00, 3 h) = 12 open hours a room.
    rooms = {r.name: (r.booked_hours, r.open_hours, r.appointments) for r in aa.rooms}
    assert rooms == {"Room A1": (5.0, 12.0, 5), "Room A2": (7.0, 12.0, 7)}  # A3 closed, unused: not shown
    assert aa.room_utilisation == pytest.approx(12 / 24)
    officers = {o.label: (o.appointment_hours, o.duty_hours) for o in aa.officers}
    assert officers == {"PC 101 Ann Able": (5.0, 14.0), "Sgt 102 Bob Baker": (7.0, 10.0)}
    assert aa.officer_hours_used == pytest.approx(12 / 24)
    bb = report.figures_for("BB")
    assert [(r.name, r.booked_hours, r.open_hours) for r in bb.rooms] == [("Room B1", 2.0, 6.0)]
    assert [(o.appointment_hours, o.duty_hours) for o in bb.officers] == [(2.0, 8.0)]
    assert report.total.room_utilisation == pytest.approx(14 / 30)
    assert report.total.officer_hours_used == pytest.approx(14 / 32)


def test_satisfaction_by_local_week(ctx: ServiceContext, fcr: Actor) -> None:
    report = reports.compute_report(ctx, fcr, FROM, TO)
    assert report.weeks == (WEEK1, WEEK2)
    aa = report.figures_for("AA")
    # Week 1: K1 5, K2 4, M1 3 (Fri 23:30). Week 2: W1 1 (Mon 00:30 local, Sunday in UTC), K3 2,
    # R3 5, M2 1 (left unseen, still asked). O1 and O2 are outside the period, D1 is deleted.
    assert [(w.week_start, w.responses, w.rating_sum, w.satisfied) for w in aa.satisfaction] == [
        (WEEK1, 3, 12, 2), (WEEK2, 4, 9, 1)]
    assert aa.satisfaction[0].average == pytest.approx(4.0)
    assert aa.feedback_average == pytest.approx(21 / 7)
    assert aa.feedback_satisfied_rate == pytest.approx(3 / 7)
    total = report.total
    assert [(w.responses, w.rating_sum) for w in total.satisfaction] == [(4, 16), (4, 9)]


def test_one_station_one_day_and_an_empty_period(ctx: ServiceContext, fcr: Actor) -> None:
    # Friday 5 June alone: C1 cancelled, K4 kept, M1 (23:30, runs past midnight) kept.
    friday = reports.compute_report(ctx, fcr, date(2026, 6, 5), date(2026, 6, 5), station_code="AA")
    assert [s.code for s in friday.stations] == ["AA"] and friday.scope_label == "Alpha"
    assert friday.total.booked == 3 and friday.total.kept == 2 and friday.total.cancelled == 1
    assert friday.total.open_hours == 3.0
    # Saturday 6 June: nothing starts then (M1 ends then, but belongs to Friday).
    saturday = reports.compute_report(ctx, fcr, date(2026, 6, 6), date(2026, 6, 6), station_code="AA")
    assert saturday.total.booked == 0 and saturday.total.wait_average is None and saturday.total.wait_p90 is None
    assert saturday.total.kept_rate is None and saturday.total.room_utilisation is None
    assert saturday.total.feedback_average is None
    # Monday 15 June is the day O1 belongs to, though it started on 14 June in UTC.
    monday = reports.compute_report(ctx, fcr, date(2026, 6, 15), date(2026, 6, 15), station_code="AA")
    assert monday.total.kept == 1 and monday.total.duty_hours == 4.0


# --- Who sees what -------------------------------------------------------------------------


def test_supervisor_sees_own_station_only(ctx: ServiceContext, supervisor_aa: Actor) -> None:
    report = reports.compute_report(ctx, supervisor_aa, FROM, TO)
    assert [s.code for s in report.stations] == ["AA"] and report.station_code == "AA"
    with pytest.raises(PermissionDenied):
        reports.compute_report(ctx, supervisor_aa, FROM, TO, station_code="BB")
    with ctx.read() as s:
        denied = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert any(e.action == "report.view" and e.username == "supervisor.AA" for e in denied)


def test_counter_and_officer_may_not_view_reports(ctx: ServiceContext, data: DataSet) -> None:
    for role in (Role.COUNTER, Role.OFFICER, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            reports.compute_report(ctx, _actor(role, "AA", data), FROM, TO)


def test_a_station_cache_reports_on_its_own_station_and_says_so(central: Engine, fcr: Actor) -> None:
    at_station = ServiceContext(engine=central, clock=FixedClock(NOW), mode="station", station_code="AA")
    report = reports.compute_report(at_station, fcr, FROM, TO)
    assert [s.code for s in report.stations] == ["AA"]
    assert report.note and "centre" in report.note
    with pytest.raises(ValidationError, match="from the centre"):
        reports.compute_report(at_station, fcr, FROM, TO, station_code="BB")
    assert reports.report_stations(at_station, fcr) == [("AA", "Alpha")]


def test_period_must_not_end_before_it_starts(ctx: ServiceContext, fcr: Actor) -> None:
    with pytest.raises(ValidationError, match="ends before it starts"):
        reports.compute_report(ctx, fcr, TO, FROM)


# --- Drill-down ----------------------------------------------------------------------------


def _refs(ctx: ServiceContext, actor: Actor, key: str, station: str | None = "AA") -> set[str]:
    return {v.reference for v in reports.appointments_behind(ctx, actor, key, FROM, TO, station)}


def test_drill_down_lists_the_appointments_behind_each_figure(
    ctx: ServiceContext, fcr: Actor, data: DataSet
) -> None:
    assert _refs(ctx, fcr, "outcome:kept") == {"AA-K1", "AA-K2", "AA-K4", "AA-M1", "AA-W1", "AA-K3", "AA-AR2",
                                               "AA-R3"}
    assert _refs(ctx, fcr, "outcome:postponed") == {"AA-R1", "AA-R2"}
    assert _refs(ctx, fcr, "outcome:open") == {"AA-P0"}
    assert _refs(ctx, fcr, "postponed:operational_demand") == {"AA-R1"}
    assert _refs(ctx, fcr, "cancelled:other") == {"AA-C3", "AA-C4"}
    assert _refs(ctx, fcr, "cancelled:operational_demand") == {"AA-C1", "AA-AR1"}
    assert _refs(ctx, fcr, "at_risk") == {"AA-AR1", "AA-AR2"}
    assert _refs(ctx, fcr, "at_risk:kept") == {"AA-AR2"}
    assert _refs(ctx, fcr, "wait:10-15") == {"AA-K2", "AA-M1"}
    assert _refs(ctx, fcr, "wait:30+") == {"AA-AR2"}
    assert _refs(ctx, fcr, f"room:{data.ids['A1']}") == {"AA-K1", "AA-K2", "AA-M1", "AA-K3", "AA-R3"}
    assert _refs(ctx, fcr, f"officer:{data.ids['OA2']}") == {"AA-N1", "AA-P0", "AA-K4", "AA-W1", "AA-AR2",
                                                             "AA-N2", "AA-M2"}
    assert len(_refs(ctx, fcr, "station:AA")) == 12
    assert _refs(ctx, fcr, "feedback:2026-06-08") == {"AA-W1", "AA-K3", "AA-R3", "AA-M2"}
    assert _refs(ctx, fcr, "follow_up:cancelled") == {"AA-N1"}
    assert len(_refs(ctx, fcr, "booked", None)) == 22
    assert _refs(ctx, fcr, "outcome:no_show", None) == {"AA-N1", "AA-N2", "BB-B2"}


def test_every_chart_figure_matches_its_drill_down(ctx: ServiceContext, fcr: Actor) -> None:
    figures = reports.compute_report(ctx, fcr, FROM, TO).total
    expected: dict[str, int] = {"booked": figures.booked, "at_risk": figures.at_risk}
    expected.update({f"outcome:{k}": v for k, v in figures.outcomes.items()})
    expected.update({f"cancelled:{k}": v for k, v in figures.cancelled_by_reason.items()})
    expected.update({f"postponed:{k}": v for k, v in figures.postponed_by_reason.items()})
    expected.update({f"at_risk:{k}": v for k, v in figures.at_risk_outcomes.items()})
    expected.update({f"wait:{k}": v for k, v in figures.wait_bands.items()})
    expected.update({f"follow_up:{k}": v for k, v in figures.follow_ups.items()})
    expected.update({f"room:{r.room_id}": r.appointments for r in figures.rooms})
    expected.update({f"feedback:{w.week_start}": w.responses for w in figures.satisfaction})
    found = {key: len(reports.appointments_behind(ctx, fcr, key, FROM, TO)) for key in expected}
    assert found == expected


def test_drill_down_is_audited_and_checked(ctx: ServiceContext, fcr: Actor, supervisor_aa: Actor) -> None:
    reports.appointments_behind(ctx, fcr, "outcome:no_show", FROM, TO, "AA")
    with ctx.read() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
    assert event is not None
    assert (event.category, event.action, event.record) == ("consultation", "report.drill_down",
                                                            "report:outcome:no_show")
    assert event.details["results"] == 2 and event.details["station"] == "AA"
    with pytest.raises(PermissionDenied):
        reports.appointments_behind(ctx, supervisor_aa, "booked", FROM, TO, "BB")
    with pytest.raises(ValidationError, match="Unknown report figure"):
        reports.appointments_behind(ctx, fcr, "nonsense", FROM, TO)
    with pytest.raises(ValidationError):
        reports.appointments_behind(ctx, fcr, "room:not-a-uuid", FROM, TO)


def test_aggregates_leave_no_audit_trail(ctx: ServiceContext, fcr: Actor) -> None:
    with ctx.read() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    reports.compute_report(ctx, fcr, FROM, TO)
    with ctx.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before


# --- Pure helpers ----------------------------------------------------------------------------


def test_percentile_is_nearest_rank() -> None:
    assert reports.percentile_from_histogram([], 90) is None
    assert reports.percentile_from_histogram([(m, 1) for m in range(1, 11)], 90) == 9
    assert reports.percentile_from_histogram([(m, 1) for m in range(1, 12)], 90) == 10
    assert reports.percentile_from_histogram([(5, 9), (60, 1)], 90) == 5
    assert reports.percentile_from_histogram([(60, 1), (5, 8)], 90) == 60  # 9 values: rank 9


def test_session_hours_and_open_hours_cross_midnight() -> None:
    assert reports.session_hours(time(17), time(20)) == 3
    assert reports.session_hours(time(21), time(0)) == 3
    assert reports.session_hours(time(22), time(1)) == 3
    sessions = [(0, time(17), time(20)), (4, time(21), time(0))]
    assert reports.open_hours(sessions, FROM, TO) == 12


def test_offset_spans_follow_the_clock_changes() -> None:
    start, end = reports.period_bounds(date(2026, 3, 1), date(2026, 11, 30))
    spans = reports.london_offset_spans(start, end)
    assert [(a.isoformat(), off) for a, _, off in spans] == [
        (start.isoformat(), 0), ("2026-03-29T01:00:00+00:00", 3600), ("2026-10-25T01:00:00+00:00", 0)]
    assert spans[-1][1] == end


def test_satisfaction_weeks_across_the_autumn_clock_change(tmp_path: Path, data: DataSet) -> None:
    """Mon 26 Oct 00:30 is GMT again: it starts week 2 though it is the same UTC week day as 25 Oct."""
    engine = make_engine(sqlite_url(tmp_path / "c.sqlite"))
    upgrade(engine)
    small = DataSet()
    aa = small.add("AA", Station(id=data.ids["AA"], code="AA", name="Alpha", address="1 Alpha Road",
                                 postcode="AL1 1AA", latitude=51.7, longitude=-0.3))
    room = small.add("A1", Room(id=data.ids["A1"], station_id=aa.id, name="Room A1"))

    def rated(ref: str, start: datetime, rating: int) -> None:
        small.rows.append(Appointment(
            id=_uid(ref), reference=ref, station_id=aa.id, room_id=room.id, start_at=start,
            end_at=start + timedelta(minutes=30), channel="walk_in", reason="other", status="completed",
            feedback_rating=rating, created_at=start, created_by="t"))

    rated("AA-X1", datetime(2026, 10, 25, 23, 30, tzinfo=LONDON).astimezone(UTC), 5)  # Sun, week 1
    rated("AA-X2", datetime(2026, 10, 26, 0, 30, tzinfo=LONDON).astimezone(UTC), 1)  # Mon, week 2
    rated("AA-X3", datetime(2026, 10, 24, 23, 30, tzinfo=LONDON).astimezone(UTC), 3)  # Sat (BST), week 1
    _load(engine, small)
    ctx = ServiceContext(engine=engine, clock=FixedClock(NOW), mode="central")
    report = reports.compute_report(ctx, _actor(Role.FCR, "AA", data), date(2026, 10, 19), date(2026, 11, 1))
    assert [(w.week_start, w.responses, w.rating_sum) for w in report.total.satisfaction] == [
        (date(2026, 10, 19), 2, 8), (date(2026, 10, 26), 1, 1)]
    engine.dispose()


# --- Exports and the command line --------------------------------------------------------------


def test_csv_rows_json_and_text_carry_the_figures(ctx: ServiceContext, fcr: Actor) -> None:
    from frontcounter.services import report_export

    report = reports.compute_report(ctx, fcr, FROM, TO)
    text = report_export.report_csv(report, "OFFICIAL-SENSITIVE")
    lines = text.splitlines()
    assert lines[0] == "OFFICIAL-SENSITIVE" and lines[1] == "section,station,item,measure,value"
    for row in ("outcomes,AA,booked,count,19", "outcomes,AA,kept,count,8", "outcomes,ALL,booked,count,22",
                "cancelled_by_reason,AA,other,count,2", "postponed_by_reason,AA,operational_demand,count,1",
                "waits,AA,p90,minutes,45", "rooms,AA,Room A2,booked_hours,7.0", "rooms,BB,Room B1,utilisation,0.3333",
                "officers,AA,Sgt 102 Bob Baker,duty_hours,10.0", "satisfaction,AA,2026-06-08,responses,4",
                "no_show_follow_ups,AA,cancelled,count,1"):
        assert row in lines, row
    data = report_export.report_json(report)
    assert data["total"]["booked"] == 22 and data["stations"][0]["code"] == "AA"
    assert data["stations"][0]["figures"]["waits"]["p90_minutes"] == 45
    assert data["stations"][0]["figures"]["satisfaction"]["weeks"][1] == {
        "week_start": "2026-06-08", "responses": 4, "average": 2.25, "satisfied": 1}
    summary = report_export.report_text(report)
    assert summary[0] == "All stations — Mon 1 Jun 2026 – Sun 14 Jun 2026"
    assert any(line.startswith("Booked 22 · kept 9 (43% of those ended)") for line in summary)


def test_csv_cells_cannot_run_as_formulas(ctx: ServiceContext, fcr: Actor, central: Engine) -> None:
    from frontcounter.services import report_export

    views = reports.appointments_behind(ctx, fcr, "outcome:kept", FROM, TO, "AA")
    view = views[0].__class__(**{**{f: getattr(views[0], f) for f in views[0].__dataclass_fields__},
                                 "visitor_name": "=HYPERLINK(\"http://x\")"})
    text = report_export.appointments_csv([view], "OFFICIAL-SENSITIVE", "+title")
    assert "'=HYPERLINK" in text and "\n'+title" in text.replace("\r", "")


def test_report_pdf_has_charts_marking_and_definitions(ctx: ServiceContext, fcr: Actor) -> None:
    import io

    from pypdf import PdfReader

    from frontcounter.services import report_export

    report = reports.compute_report(ctx, fcr, FROM, TO)
    pdf = report_export.export_report(ctx, fcr, report, "pdf")
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2
    assert text.count("OFFICIAL-SENSITIVE") >= 2 * len(reader.pages)
    for words in ("Appointments report — All stations", "Room utilisation", "Satisfaction by week",
                  "Stations side by side", "How the figures are counted", f"Page 1 of {len(reader.pages)}"):
        assert words in text, words
    one = reports.compute_report(ctx, fcr, date(2026, 6, 6), date(2026, 6, 6), "AA")  # an empty day
    assert report_export.build_report_pdf(one, "OFFICIAL", "tester", NOW).startswith(b"%PDF")


def test_exporting_a_drill_down_is_an_audited_disclosure(ctx: ServiceContext, fcr: Actor,
                                                         supervisor_aa: Actor) -> None:
    from frontcounter.services import report_export

    views = reports.appointments_behind(ctx, fcr, "outcome:no_show", FROM, TO)
    for fmt in ("csv", "pdf"):
        data = report_export.export_appointments(ctx, fcr, views, fmt, figure_key="outcome:no_show",
                                                 title="No-shows", date_from=FROM, date_to=TO,
                                                 destination=f"noshows.{fmt}")
        assert data
        with ctx.read() as s:
            event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
        assert event is not None and (event.category, event.action) == ("disclosure", "report.export_appointments")
        assert event.details["appointments"] == 3 and event.details["destination"] == f"noshows.{fmt}"
        assert sorted(event.details["references"]) == ["AA-N1", "AA-N2", "BB-B2"]
    with pytest.raises(PermissionDenied):  # BB's no-show is not the AA supervisor's to export
        report_export.export_appointments(ctx, supervisor_aa, views, "csv", figure_key="outcome:no_show",
                                          title="No-shows", date_from=FROM, date_to=TO)


def test_cli_report(demo_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from frontcounter import cli
    from frontcounter.paths import Paths
    from frontcounter.runtime import embedded_central_url, open_station
    from tests.conftest import DEMO_NOW, actor_named

    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")
    base = ["--data-dir", str(demo_dir)]
    assert cli.main(["report", *base, "--user", "supervisor.HH", "--from", "2026-11-20", "--to", "2026-11-23",
                     "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    runtime = open_station(Paths.resolve(demo_dir), clock=FixedClock(DEMO_NOW))
    expected = reports.compute_report(runtime.ctx, actor_named(runtime, "supervisor.HH"), date(2026, 11, 20),
                                      date(2026, 11, 23))
    assert data["scope"] == "Hemel Hempstead" and data["total"]["booked"] == expected.total.booked
    assert data["total"]["outcomes"] == dict(expected.total.outcomes)

    assert cli.main(["report", *base, "--user", "supervisor.HH", "--from", "2026-11-20", "--to", "2026-11-23"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Hemel Hempstead — Fri 20 Nov 2026 – Mon 23 Nov 2026")

    # A supervisor asking for another station, a counter clerk, a backwards period: one line, exit 1.
    for extra, message in ((["--user", "supervisor.HH", "--station", "SG"], "your own station"),
                           (["--user", "counter.HH"], "may not view reports")):
        assert cli.main(["report", *base, *extra, "--from", "2026-11-20", "--to", "2026-11-23"]) == 1
        assert message in capsys.readouterr().err
    assert cli.main(["report", *base, "--user", "supervisor.HH", "--from", "2026-11-23", "--to", "2026-11-20"]) == 1
    with pytest.raises(SystemExit) as usage:
        cli.main(["report", *base, "--to", "2026-11-20"])
    assert usage.value.code == 2
    capsys.readouterr()

    # The FCR against the centre: every station, or the one named with --station.
    central = embedded_central_url(runtime.paths)
    assert cli.main(["report", *base, "--user", "fcr.HH", "--central", central, "--from", "2026-11-20",
                     "--to", "2026-11-23", "--station", "SG", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["station"] == "SG" and [s["code"] for s in data["stations"]] == ["SG"]
    assert cli.main(["report", *base, "--user", "fcr.HH", "--central", central, "--from", "2026-11-20",
                     "--to", "2026-11-23", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["stations"]) == 11
    runtime.engine.dispose()
