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
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import LONDON, FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import PermissionDenied, ValidationError
from frontcounter.services.reports import figures as reports
from frontcounter.services.reports.drill_down import appointments_behind
from frontcounter.services.reports.model import (
    FOLLOW_UP_STATES,
    OUTCOME_OF_STATUS,
    OUTCOMES,
    REASON_GROUPS,
    london_offset_spans,
    open_hours,
    percentile_from_histogram,
    period_bounds,
    period_weeks,
    reason_group,
    session_hours,
    week_start,
)

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
    return {v.reference for v in appointments_behind(ctx, actor, key, FROM, TO, station)}


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
    found = {key: len(appointments_behind(ctx, fcr, key, FROM, TO)) for key in expected}
    assert found == expected


def test_drill_down_is_audited_and_checked(ctx: ServiceContext, fcr: Actor, supervisor_aa: Actor) -> None:
    appointments_behind(ctx, fcr, "outcome:no_show", FROM, TO, "AA")
    with ctx.read() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
    assert event is not None
    assert (event.category, event.action, event.record) == ("consultation", "report.drill_down",
                                                            "report:outcome:no_show")
    assert event.details["results"] == 2 and event.details["station"] == "AA"
    with pytest.raises(PermissionDenied):
        appointments_behind(ctx, supervisor_aa, "booked", FROM, TO, "BB")
    with pytest.raises(ValidationError, match="Unknown report figure"):
        appointments_behind(ctx, fcr, "nonsense", FROM, TO)
    with pytest.raises(ValidationError):
        appointments_behind(ctx, fcr, "room:not-a-uuid", FROM, TO)


def test_aggregates_leave_no_audit_trail(ctx: ServiceContext, fcr: Actor) -> None:
    with ctx.read() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    reports.compute_report(ctx, fcr, FROM, TO)
    with ctx.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before


# --- Pure helpers ----------------------------------------------------------------------------


def test_percentile_is_nearest_rank() -> None:
    assert percentile_from_histogram([], 90) is None
    assert percentile_from_histogram([(m, 1) for m in range(1, 11)], 90) == 9
    assert percentile_from_histogram([(m, 1) for m in range(1, 12)], 90) == 10
    assert percentile_from_histogram([(5, 9), (60, 1)], 90) == 5
    assert percentile_from_histogram([(60, 1), (5, 8)], 90) == 60  # 9 values: rank 9


def test_session_hours_and_open_hours_cross_midnight() -> None:
    assert session_hours(time(17), time(20)) == 3
    assert session_hours(time(21), time(0)) == 3
    assert session_hours(time(22), time(1)) == 3
    sessions = [(0, time(17), time(20)), (4, time(21), time(0))]
    assert open_hours(sessions, FROM, TO) == 12


def test_offset_spans_follow_the_clock_changes() -> None:
    start, end = period_bounds(date(2026, 3, 1), date(2026, 11, 30))
    spans = london_offset_spans(start, end)
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
    from frontcounter.services.reports.text import (
        report_csv,
        report_json,
        report_text,
    )

    report = reports.compute_report(ctx, fcr, FROM, TO)
    text = report_csv(report, "OFFICIAL-SENSITIVE")
    lines = text.splitlines()
    assert lines[0] == "OFFICIAL-SENSITIVE" and lines[1] == "section,station,item,measure,value"
    for row in ("outcomes,AA,booked,count,19", "outcomes,AA,kept,count,8", "outcomes,ALL,booked,count,22",
                "cancelled_by_reason,AA,other,count,2", "postponed_by_reason,AA,operational_demand,count,1",
                "waits,AA,p90,minutes,45", "rooms,AA,Room A2,booked_hours,7.0", "rooms,BB,Room B1,utilisation,0.3333",
                "officers,AA,Sgt 102 Bob Baker,duty_hours,10.0", "satisfaction,AA,2026-06-08,responses,4",
                "no_show_follow_ups,AA,cancelled,count,1"):
        assert row in lines, row
    data = report_json(report)
    assert data["total"]["booked"] == 22 and data["stations"][0]["code"] == "AA"
    assert data["stations"][0]["figures"]["waits"]["p90_minutes"] == 45
    assert data["stations"][0]["figures"]["satisfaction"]["weeks"][1] == {
        "week_start": "2026-06-08", "responses": 4, "average": 2.25, "satisfied": 1}
    summary = report_text(report)
    assert summary[0] == "All stations — Mon 1 Jun 2026 – Sun 14 Jun 2026"
    assert any(line.startswith("Booked 22 · kept 9 (43% of those ended)") for line in summary)


def test_csv_cells_cannot_run_as_formulas(ctx: ServiceContext, fcr: Actor, central: Engine) -> None:
    from frontcounter.services.reports.text import (
        appointments_csv,
    )

    views = appointments_behind(ctx, fcr, "outcome:kept", FROM, TO, "AA")
    view = views[0].__class__(**{**{f: getattr(views[0], f) for f in views[0].__dataclass_fields__},
                                 "visitor_name": "=HYPERLINK(\"http://x\")"})
    text = appointments_csv([view], "OFFICIAL-SENSITIVE", "+title")
    assert "'=HYPERLINK" in text and "\n'+title" in text.replace("\r", "")


def test_report_pdf_has_charts_marking_and_definitions(ctx: ServiceContext, fcr: Actor) -> None:
    import io

    from pypdf import PdfReader

    from frontcounter.services.reports import pdf as report_export
    from frontcounter.services.reports.export import export_report

    report = reports.compute_report(ctx, fcr, FROM, TO)
    pdf = export_report(ctx, fcr, report, "pdf")
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
    from frontcounter.services.reports.export import export_appointments

    views = appointments_behind(ctx, fcr, "outcome:no_show", FROM, TO)
    for fmt in ("csv", "pdf"):
        data = export_appointments(ctx, fcr, views, fmt, figure_key="outcome:no_show",
                                                 title="No-shows", date_from=FROM, date_to=TO,
                                                 destination=f"noshows.{fmt}")
        assert data
        with ctx.read() as s:
            event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
        assert event is not None and (event.category, event.action) == ("disclosure", "report.export_appointments")
        assert event.details["appointments"] == 3 and event.details["destination"] == f"noshows.{fmt}"
        assert sorted(event.details["references"]) == ["AA-N1", "AA-N2", "BB-B2"]
    with pytest.raises(PermissionDenied):  # BB's no-show is not the AA supervisor's to export
        export_appointments(ctx, supervisor_aa, views, "csv", figure_key="outcome:no_show",
                                          title="No-shows", date_from=FROM, date_to=TO)


def test_cli_report(demo_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from frontcounter.cli.main import main as cli_main
    from frontcounter.paths import Paths
    from frontcounter.runtime import embedded_central_url, open_station
    from tests.conftest import DEMO_NOW, actor_named

    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")
    base = ["--data-dir", str(demo_dir)]
    assert cli_main(["report", *base, "--user", "supervisor.HH", "--from", "2026-11-20", "--to", "2026-11-23",
                     "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    runtime = open_station(Paths.resolve(demo_dir), clock=FixedClock(DEMO_NOW))
    expected = reports.compute_report(runtime.ctx, actor_named(runtime, "supervisor.HH"), date(2026, 11, 20),
                                      date(2026, 11, 23))
    assert data["scope"] == "Hemel Hempstead" and data["total"]["booked"] == expected.total.booked
    assert data["total"]["outcomes"] == dict(expected.total.outcomes)

    assert cli_main(["report", *base, "--user", "supervisor.HH", "--from", "2026-11-20", "--to", "2026-11-23"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Hemel Hempstead — Fri 20 Nov 2026 – Mon 23 Nov 2026")

    # A supervisor asking for another station, a counter clerk, a backwards period: one line, exit 1.
    for extra, message in ((["--user", "supervisor.HH", "--station", "SG"], "your own station"),
                           (["--user", "counter.HH"], "may not view reports")):
        assert cli_main(["report", *base, *extra, "--from", "2026-11-20", "--to", "2026-11-23"]) == 1
        assert message in capsys.readouterr().err
    assert cli_main(["report", *base, "--user", "supervisor.HH", "--from", "2026-11-23", "--to", "2026-11-20"]) == 1
    with pytest.raises(SystemExit) as usage:
        cli_main(["report", *base, "--to", "2026-11-20"])
    assert usage.value.code == 2
    capsys.readouterr()

    # The FCR against the centre: every station, or the one named with --station.
    central = embedded_central_url(runtime.paths)
    assert cli_main(["report", *base, "--user", "fcr.HH", "--central", central, "--from", "2026-11-20",
                     "--to", "2026-11-23", "--station", "SG", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["station"] == "SG" and [s["code"] for s in data["stations"]] == ["SG"]
    assert cli_main(["report", *base, "--user", "fcr.HH", "--central", central, "--from", "2026-11-20",
                     "--to", "2026-11-23", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["stations"]) == 11
    runtime.engine.dispose()


# --- The fast SQL against a plain reading of the definitions -----------------------------------


def _random_data_set(seed: int) -> DataSet:
    """Two stations' appointments around both 2026 clock changes, with every field a report reads
    drawn at random: statuses, reasons, at risk, waits to the microsecond, ratings, tombstones,
    appointments without an officer, visiting officers, withdrawn duties and follow-ups. Each
    appointment has an hour of its own, so none overlaps another."""
    import random

    rng = random.Random(seed)
    d = DataSet()
    stations = [d.add(code, Station(id=_uid(f"{seed}-{code}"), code=code, name=f"Station {code}", address="Road",
                                    postcode="AL1 1AA", latitude=51.7, longitude=-0.3)) for code in ("AA", "BB")]
    rooms = {s.code: [d.add(f"{s.code}-room{i}", Room(id=_uid(f"{seed}-{s.code}-room{i}"), station_id=s.id,
                                                      name=f"Room {i}", active=i != 2)) for i in range(3)]
             for s in stations}
    officers = [d.add(f"officer{i}", Officer(id=_uid(f"{seed}-officer{i}"), station_id=stations[i % 2].id,
                                             collar_number=f"{seed}{i:03d}", name=f"Officer {i}")) for i in range(4)]
    for s in stations:
        d.add(f"{s.code}-session", OpeningSession(id=_uid(f"{seed}-{s.code}-session"), station_id=s.id,
                                                  weekday=rng.randrange(7), start_time=time(17), end_time=time(20)))
    statuses = list(Status)
    for start_day in (datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 10, 16, tzinfo=UTC)):
        hour = 0
        for n in range(90):
            hour += 2 + rng.randrange(4)
            station = rng.choice(stations)
            start = start_day + timedelta(hours=hour, minutes=rng.randrange(30), seconds=rng.choice((0, 0, 17)))
            status = rng.choice(statuses)
            arrived = start + timedelta(minutes=rng.randrange(-10, 10), microseconds=rng.randrange(10**6))
            seen = arrived + timedelta(seconds=rng.choice((0, 29.5, 30, 59, 60, 61, 600, 1799.4)) + rng.random())
            ref = f"{station.code}-{seed}-{n}-{start_day.month}"
            appointment = d.add(ref, Appointment(
                id=_uid(f"{seed}-{ref}"), reference=ref, station_id=station.id, room_id=rng.choice(rooms[station.code]).id,
                officer_id=rng.choice(officers).id if rng.random() < 0.9 else None,
                start_at=start, end_at=start + timedelta(minutes=rng.choice((15, 30, 45)), seconds=rng.choice((0, 1))),
                channel="101_call", reason="report_crime", status=status.value,
                cancel_reason=rng.choice((None, "operational_demand", "visitor_request", "duplicate")),
                at_risk=rng.random() < 0.2,
                arrived_at=arrived if rng.random() < 0.7 else None,
                seen_at=seen if rng.random() < 0.6 else (arrived - timedelta(minutes=1) if rng.random() < 0.1 else None),
                feedback_rating=rng.choice((None, 1, 2, 3, 4, 5)), deleted=rng.random() < 0.05,
                created_at=start, created_by="t"))
            if status == Status.NO_SHOW:
                for k in range(rng.randrange(3)):
                    d.add(f"{ref}-f{k}", FollowUp(id=_uid(f"{seed}-{ref}-f{k}"), appointment_id=appointment.id,
                                                  station_id=station.id, kind="recontact",
                                                  status=rng.choice(("open", "done", "cancelled")),
                                                  created_at=start + timedelta(minutes=30), created_by="t",
                                                  deleted=rng.random() < 0.2))
        for n in range(30):
            start = start_day + timedelta(hours=rng.randrange(24 * 20), minutes=rng.randrange(60))
            end = start + timedelta(hours=rng.randrange(1, 6), seconds=rng.choice((0, 0.4, 0.6)))
            withdrawn = rng.choice((None, None, start + timedelta(minutes=rng.randrange(-30, 400))))
            d.add(f"duty-{seed}-{start_day.month}-{n}", Duty(
                id=_uid(f"duty-{seed}-{start_day.month}-{n}"), officer_id=rng.choice(officers).id,
                station_id=rng.choice(stations).id, start_at=start, end_at=end, withdrawn_at=withdrawn,
                deleted=rng.random() < 0.05))
    return d


def _whole_seconds(delta: timedelta) -> int:
    """Seconds rounded half away from zero, as SQL's round() does."""
    seconds = delta.total_seconds()
    return int(seconds + 0.5) if seconds >= 0 else -int(-seconds + 0.5)


def _by_definition(data: DataSet, date_from: date, date_to: date) -> dict[str, dict[str, Any]]:
    """Every figure per station code, computed row by row from the module docstring's definitions."""
    start, end = period_bounds(date_from, date_to)
    rows = data.rows
    codes = {r.id: r.code for r in rows if isinstance(r, Station)}
    follow_ups = [f for f in rows if isinstance(f, FollowUp) and not f.deleted]
    weeks = period_weeks(date_from, date_to)
    out: dict[str, dict[str, Any]] = {}
    for station_id, code in codes.items():
        mine = [a for a in rows if isinstance(a, Appointment) and a.station_id == station_id and not a.deleted
                and start <= a.start_at < end]
        outcomes = {o: sum(OUTCOME_OF_STATUS.get(a.status, "open") == o for a in mine) for o in OUTCOMES}
        held = [a for a in mine if a.status not in ("cancelled", "rescheduled")]
        waits = [_whole_seconds(a.seen_at - a.arrived_at) for a in mine
                 if a.arrived_at is not None and a.seen_at is not None and a.seen_at >= a.arrived_at]
        histogram: dict[int, int] = {}
        for w in waits:
            histogram[(w + 59) // 60] = histogram.get((w + 59) // 60, 0) + 1
        no_shows = {a.id for a in mine if a.status == "no_show"}
        room_seconds: dict[uuid.UUID, int] = {}
        officer_seconds: dict[uuid.UUID, int] = {}
        for a in held:
            room_seconds[a.room_id] = room_seconds.get(a.room_id, 0) + _whole_seconds(a.end_at - a.start_at)
            if a.officer_id is not None:
                officer_seconds[a.officer_id] = officer_seconds.get(a.officer_id, 0) + _whole_seconds(a.end_at - a.start_at)
        duty_seconds: dict[uuid.UUID, int] = {}
        for duty in rows:
            if isinstance(duty, Duty) and duty.station_id == station_id and not duty.deleted \
                    and start <= duty.start_at < end:
                ends = duty.withdrawn_at if duty.withdrawn_at is not None and duty.withdrawn_at < duty.end_at \
                    else duty.end_at
                duty_seconds[duty.officer_id] = duty_seconds.get(duty.officer_id, 0) + max(
                    0, _whole_seconds(ends - duty.start_at))
        satisfaction = []
        for monday in weeks:
            rated = [a.feedback_rating for a in mine if a.feedback_rating is not None
                     and week_start(a.start_at.astimezone(LONDON).date()) == monday]
            satisfaction.append((monday, len(rated), sum(rated), sum(r >= 4 for r in rated)))
        out[code] = {
            "outcomes": outcomes,
            "cancelled": {g: sum(a.status == "cancelled" and reason_group(a.cancel_reason) == g for a in mine)
                          for g in REASON_GROUPS},
            "postponed": {g: sum(a.status == "rescheduled" and reason_group(a.cancel_reason) == g
                                 for a in mine) for g in REASON_GROUPS},
            "at_risk": {o: sum(a.at_risk and OUTCOME_OF_STATUS.get(a.status, "open") == o for a in mine)
                        for o in OUTCOMES},
            "follow_ups": {s: sum(f.appointment_id in no_shows and f.status == s for f in follow_ups)
                           for s in FOLLOW_UP_STATES},
            "wait_histogram": sorted(histogram.items()),
            "wait_seconds": sum(waits),
            "rooms": {k: (v / 3600, sum(a.room_id == k for a in held)) for k, v in room_seconds.items()},
            "officers": {k: (officer_seconds.get(k, 0) / 3600, duty_seconds.get(k, 0) / 3600)
                         for k in {*officer_seconds, *duty_seconds}},
            "satisfaction": satisfaction,
        }
    return out


@pytest.mark.parametrize(("backend", "seed"), [("sqlite", 1), ("sqlite", 2), ("sqlite", 3), ("postgresql", 4)])
def test_figures_match_a_plain_reading_of_the_definitions(
    backend: str, seed: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The one-pass SQL (ordered index walk, listed waits and ratings, follow-ups matched in
    Python) gives what reading every row by the definitions gives, across both clock changes."""
    url = sqlite_url(tmp_path / "c.sqlite") if backend == "sqlite" else request.getfixturevalue("pg_url")
    engine = make_engine(url)
    upgrade(engine)
    _load(engine, _random_data_set(seed))
    data = _random_data_set(seed)  # the same rows again, unbound, to read by the definitions
    ctx = ServiceContext(engine=engine, clock=FixedClock(NOW), mode="central")
    fcr = _actor(Role.FCR, "AA", data)
    for date_from, date_to in ((date(2026, 3, 23), date(2026, 4, 12)), (date(2026, 10, 19), date(2026, 11, 1)),
                               (date(2026, 3, 1), date(2026, 11, 30))):
        report = reports.compute_report(ctx, fcr, date_from, date_to)
        expected = _by_definition(data, date_from, date_to)
        for station in report.stations:
            f, want = station.figures, expected[station.code]
            assert dict(f.outcomes) == want["outcomes"]
            assert dict(f.cancelled_by_reason) == want["cancelled"]
            assert dict(f.postponed_by_reason) == want["postponed"]
            assert dict(f.at_risk_outcomes) == want["at_risk"]
            assert dict(f.follow_ups) == want["follow_ups"]
            assert list(f.wait_histogram) == want["wait_histogram"]
            assert f.wait_seconds == want["wait_seconds"]
            assert {r.room_id: (r.booked_hours, r.appointments) for r in f.rooms if r.appointments} == want["rooms"]
            assert {o.officer_id: (o.appointment_hours, o.duty_hours) for o in f.officers} == want["officers"]
            assert [(w.week_start, w.responses, w.rating_sum, w.satisfied) for w in f.satisfaction] \
                == want["satisfaction"]
    engine.dispose()
