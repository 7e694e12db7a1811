"""The slot finder, tested hard from outside (services/booking.find_slots; issue #4's acceptance).

Every offered slot is checked against the database by an independent checker (needs, duty,
withdrawal, clashes, opening sessions), the offers are compared with a brute-force list of every
free time, stations come nearest first, evening sessions (and one past midnight) are honoured, and
booking offer after offer until none is left never double-books anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.models import (
    RELEASED_STATUSES,
    Appointment,
    Duty,
    Officer,
    OpeningSession,
    Room,
    Station,
    User,
)
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock, local
from frontcounter.services.core.context import Policy, ServiceContext
from frontcounter.services.core.errors import DoubleBooking, NotFound
from frontcounter.services.scheduling import changes as scheduling
from frontcounter.services.scheduling import slots as booking
from frontcounter.services.scheduling.booking import BookingRequest, book, next_free_slot
from frontcounter.services.scheduling.premises import add_session
from frontcounter.services.scheduling.reassignment import reassign_officer
from frontcounter.services.scheduling.roster import session_intervals
from frontcounter.services.scheduling.slots import Slot, SlotNeeds
from frontcounter.services.security.auth import actor_for
from tests.conftest import DEMO_NOW
from tests.demo_keys import with_demo_key
from tests.unit.roster_fixtures import QUIET_DAY, add_appointment, add_duty, at, officers, rooms

ALL_CODES = ["HH", "SG", "WD", "SA", "HF", "HT", "BS", "CH", "BW", "HI", "LG"]
FRIDAY = date(2026, 11, 27)  # after the demo's week: nothing rostered or booked
SATURDAY = date(2026, 11, 28)
SUNDAY = date(2026, 11, 29)


@pytest.fixture
def central(demo_dir: Path, clock: FixedClock) -> Iterator[ServiceContext]:
    """The demo's embedded centre: every station's duties and appointments, where the FCR books."""
    engine = make_engine(sqlite_url(Paths.resolve(demo_dir).embedded_central_db))
    yield ServiceContext(engine=engine, clock=clock, mode="central", workstation="fcr-test")
    engine.dispose()


def central_actor(ctx: ServiceContext, username: str) -> Actor:
    with ctx.read() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return with_demo_key(actor_for(user, s.get(Station, user.station_id), ctx.workstation), user.wrapped_private_key)


# --- the independent checker -------------------------------------------------------------------------


def _speaks(officer: Officer, language: str | None) -> bool:
    if not language or language.casefold() == "english":
        return True
    return language.casefold() in {lang.casefold() for lang in officer.languages}


def _trained(officer: Officer, specialism: str | None) -> bool:
    if not specialism:
        return True
    return any(specialism.casefold() in s.casefold() for s in officer.specialisms)


def _room_fits(room: Room, needs: SlotNeeds) -> bool:
    return room.active and not room.deleted and all(
        getattr(room, f) for f in ("step_free", "hearing_loop", "video_link", "child_friendly") if getattr(needs, f))


def _clash(session: Session, column, value: uuid.UUID, start: datetime, end: datetime) -> bool:  # type: ignore[no-untyped-def]
    return bool(session.scalar(select(func.count()).where(
        column == value, Appointment.deleted.is_(False), Appointment.status.not_in(RELEASED_STATUSES),
        Appointment.start_at < end, Appointment.end_at > start)))


def _on_duty(session: Session, officer_id: uuid.UUID, station_id: uuid.UUID, start: datetime, end: datetime) -> bool:
    duties = session.scalars(select(Duty).where(Duty.officer_id == officer_id, Duty.station_id == station_id,
                                                Duty.deleted.is_(False))).all()
    return any(d.start_at <= start and end <= d.end_at and (d.withdrawn_at is None or d.withdrawn_at >= end)
               for d in duties)


def _open_intervals(session: Session, station_id: uuid.UUID, day: date) -> list[tuple[datetime, datetime]]:
    out = []
    for d in (day - timedelta(days=1), day):
        rows = session.execute(select(OpeningSession.start_time, OpeningSession.end_time).where(
            OpeningSession.station_id == station_id, OpeningSession.weekday == d.weekday(),
            OpeningSession.deleted.is_(False))).all()
        out += session_intervals([(s, e) for s, e in rows], d)
    return out


def assert_valid(session: Session, slot: Slot, needs: SlotNeeds, not_before: datetime) -> None:
    room = session.get_one(Room, slot.room_id)
    officer = session.get_one(Officer, slot.officer_id)
    what = f"{slot.station_code} {local(slot.start):%a %H:%M}"
    assert room.station_id == slot.station_id and _room_fits(room, needs), f"{what}: room lacks a need"
    assert _speaks(officer, needs.language), f"{what}: officer does not speak {needs.language}"
    assert _trained(officer, needs.specialism), f"{what}: officer not {needs.specialism} trained"
    assert officer.active and not officer.deleted
    assert _on_duty(session, officer.id, slot.station_id, slot.start, slot.end), f"{what}: officer not on duty"
    assert not _clash(session, Appointment.room_id, room.id, slot.start, slot.end), f"{what}: room taken"
    assert not _clash(session, Appointment.officer_id, officer.id, slot.start, slot.end), f"{what}: officer taken"
    assert slot.end - slot.start == timedelta(minutes=needs.duration_minutes)
    assert slot.start >= not_before
    assert any(s <= slot.start and slot.end <= e
               for s, e in _open_intervals(session, slot.station_id, local(slot.start).date())), f"{what}: closed"


def brute_force_times(session: Session, station_id: uuid.UUID, day: date, needs: SlotNeeds,
                      not_before: datetime) -> set[datetime]:
    """Every start of the day's sessions, on the station's granularity (``Policy.slot_minutes``,
    15 minutes: it was every whole hour until issue 19 made the finder use the granularity), with
    some free suitable room and officer."""
    rooms_here = [r for r in session.scalars(select(Room).where(Room.station_id == station_id)) if _room_fits(r, needs)]
    officer_ids = set(session.scalars(select(Duty.officer_id).where(Duty.station_id == station_id)))
    candidates = [o for o in session.scalars(select(Officer).where(Officer.id.in_(officer_ids)))
                  if o.active and _speaks(o, needs.language) and _trained(o, needs.specialism)]
    out = set()
    duration = timedelta(minutes=needs.duration_minutes)
    rows = session.execute(select(OpeningSession.start_time, OpeningSession.end_time).where(
        OpeningSession.station_id == station_id, OpeningSession.weekday == day.weekday(),
        OpeningSession.deleted.is_(False))).all()
    for open_at, close_at in session_intervals([(s, e) for s, e in rows], day):
        t = open_at
        while t + duration <= close_at:
            end = t + duration
            if t >= not_before and any(
                not _clash(session, Appointment.room_id, r.id, t, end) for r in rooms_here
            ) and any(
                _on_duty(session, o.id, station_id, t, end) and not _clash(session, Appointment.officer_id, o.id, t, end)
                for o in candidates
            ):
                out.add(t)
            t += timedelta(minutes=Policy().slot_minutes)
    return out


def assert_no_double_booking(session: Session) -> None:
    a, b = aliased(Appointment), aliased(Appointment)
    live = lambda x: and_(x.deleted.is_(False), x.status.not_in(RELEASED_STATUSES))  # noqa: E731
    for column in ("room_id", "officer_id"):
        clashes = session.scalar(select(func.count()).select_from(a).join(b, and_(
            getattr(a, column) == getattr(b, column), a.id < b.id, a.start_at < b.end_at, b.start_at < a.end_at,
            live(a), live(b))))
        assert clashes == 0, f"{column} double-booked"


# --- needs respected (property-based, every station, 14 days) ------------------------------------------------

NEEDS = st.builds(
    SlotNeeds,
    step_free=st.booleans(),
    hearing_loop=st.booleans(),
    video_link=st.booleans(),
    child_friendly=st.booleans(),
    language=st.sampled_from([None, "English", "Urdu", "Polish", "Arabic", "BSL", "Romanian", "Klingon"]),
    specialism=st.sampled_from([None, "domestic abuse", "sexual offences", "hate crime", "fraud"]),
    duration_minutes=st.sampled_from([30, 60, 90]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(needs=NEEDS)
def test_every_offered_slot_meets_the_needs_and_is_really_free(central: ServiceContext, needs: SlotNeeds) -> None:
    fcr = central_actor(central, "fcr.HH")
    today = local(DEMO_NOW).date()
    slots = booking.find_slots(central, fcr, needs, station_codes=ALL_CODES, start_day=today, days=14, limit=60)
    with central.read() as session:
        for slot in slots:
            assert_valid(session, slot, needs, DEMO_NOW)
    keys = [(s.station_code, s.start) for s in slots]
    assert len(keys) == len(set(keys)), "one offer per station and time"


@pytest.mark.parametrize("needs", [
    SlotNeeds(),
    SlotNeeds(step_free=True),
    SlotNeeds(hearing_loop=True, language="Polish"),
    SlotNeeds(specialism="sexual offences"),
    SlotNeeds(duration_minutes=30),
    SlotNeeds(duration_minutes=15),
    SlotNeeds(duration_minutes=45),
    SlotNeeds(duration_minutes=480),
])
def test_offers_are_exactly_every_free_time_earliest_first(central: ServiceContext, needs: SlotNeeds) -> None:
    fcr = central_actor(central, "fcr.HH")
    today = local(DEMO_NOW).date()
    with central.read() as session:
        hh = session.scalars(select(Station).where(Station.code == "HH")).one()
        for offset in range(4):  # the demo rostered today and the next three days
            day = today + timedelta(days=offset)
            slots = booking.find_slots(central, fcr, needs, station_codes=["HH"], start_day=day, days=1, limit=100)
            starts = [s.start for s in slots]
            assert starts == sorted(starts)
            assert set(starts) == brute_force_times(session, hh.id, day, needs, DEMO_NOW), day


def test_limit_returns_the_earliest(central: ServiceContext) -> None:
    fcr = central_actor(central, "fcr.HH")
    every = booking.find_slots(central, fcr, SlotNeeds(), station_codes=["SG"], days=7, limit=100)
    assert len(every) > 3
    assert booking.find_slots(central, fcr, SlotNeeds(), station_codes=["SG"], days=7, limit=3) == every[:3]


# --- nearest station first ------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["LG", "WD", "BS"])
def test_across_all_stations_the_nearest_come_first(central: ServiceContext, origin: str) -> None:
    fcr = central_actor(central, "fcr.HH")
    codes = [origin] + [c for c in ALL_CODES if c != origin]
    slots = booking.find_slots(central, fcr, SlotNeeds(), station_codes=codes, start_day=local(DEMO_NOW).date(),
                               days=3, limit=500)
    with central.read() as session:
        where = {s.code: (s.latitude, s.longitude) for s in session.scalars(select(Station))}
    order = list(dict.fromkeys(s.station_code for s in slots))
    assert order[0] == origin
    expected = [booking.haversine_km(*where[origin], *where[c]) for c in order]
    assert expected == sorted(expected), "stations in order of distance from the first"
    assert all(abs(s.distance_km - booking.haversine_km(*where[origin], *where[s.station_code])) < 0.06
               for s in slots)
    assert len(order) >= 8, "most stations have free slots in the demo"


def test_a_need_only_a_distant_station_meets_is_found_there(central: ServiceContext) -> None:
    fcr = central_actor(central, "fcr.HH")
    with central.read() as session:
        hh = session.scalars(select(Station).where(Station.code == "HH")).one()
        hh_langs = {lang for o in session.scalars(select(Officer).where(Officer.station_id == hh.id))
                    for lang in o.languages}
        spoken = {}
        for o in session.scalars(select(Officer)):
            for lang in o.languages:
                spoken.setdefault(lang, set()).add(o.station_id)
    language = next(lang for lang in sorted(spoken) if lang not in hh_langs)
    slots = booking.find_slots(central, fcr, SlotNeeds(language=language), station_codes=ALL_CODES,
                               start_day=local(DEMO_NOW).date(), days=4, limit=20)
    assert all(s.station_code != "HH" for s in slots)
    assert not slots or slots[0].distance_km > 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(needs=NEEDS, codes=st.lists(st.sampled_from(ALL_CODES), min_size=1, max_size=11, unique=True),
       limit=st.sampled_from([1, 2, 7, 40, 150, 10_000]), days=st.integers(1, 7))
def test_a_search_across_stations_is_each_stations_offers_nearest_first_cut_at_the_limit(
    central: ServiceContext, needs: SlotNeeds, codes: list[str], limit: int, days: int
) -> None:
    """The finder reads stations in rounds and stops early; the answer must be exactly what asking
    each station on its own, nearest first, and cutting at ``limit`` gives."""
    fcr = central_actor(central, "fcr.HH")
    today = local(DEMO_NOW).date()
    with central.read() as session:
        where = {s.code: (s.latitude, s.longitude) for s in session.scalars(select(Station))}
    origin = codes[0]
    by_distance = sorted(codes, key=lambda c: (booking.haversine_km(*where[origin], *where[c]), c != origin))
    one_by_one = [slot for code in by_distance
                  for slot in booking.find_slots(central, fcr, needs, station_codes=[code], start_day=today,
                                                 days=days, limit=10_000)]
    together = booking.find_slots(central, fcr, needs, station_codes=codes, start_day=today, days=days, limit=limit)
    assert [(s.station_code, s.start, s.room_id, s.officer_id) for s in together] == [
        (s.station_code, s.start, s.room_id, s.officer_id) for s in one_by_one[:limit]]


# --- evening sessions --------------------------------------------------------------------------------------
# Quarter-hour starts (Policy.slot_minutes); these expected whole hours until issue 19.


def quarters(*spans: tuple[str, str]) -> list[str]:
    """The quarter-hour starts from each span's first to its last, inclusive ("17:00".."19:00")."""
    out = []
    for first, last in spans:
        h, m = map(int, first.split(":"))
        t = h * 60 + m
        lh, lm = map(int, last.split(":"))
        while t <= lh * 60 + lm:
            out.append(f"{t // 60:02d}:{t % 60:02d}")
            t += 15
    return out


def test_friday_evening_runs_19_to_22(station: StationRuntime, counter: Actor) -> None:
    officer = officers(station)[0]
    add_duty(station, officer, at(FRIDAY, 9), at(FRIDAY, 23))
    slots = booking.find_slots(station.ctx, counter, SlotNeeds(), start_day=FRIDAY, days=1, limit=50)
    assert [local(s.start).strftime("%H:%M") for s in slots] == quarters(("10:00", "12:00"), ("19:00", "21:00"))


def test_sunday_evening_and_a_session_past_midnight(station: StationRuntime, supervisor: Actor) -> None:
    officer = officers(station)[0]
    add_duty(station, officer, at(SUNDAY, 16), at(SUNDAY, 21))
    sunday = booking.find_slots(station.ctx, supervisor, SlotNeeds(), start_day=SUNDAY, days=1, limit=50)
    assert [local(s.start).strftime("%H:%M") for s in sunday] == quarters(("17:00", "19:00"))
    add_session(station.ctx, supervisor, SATURDAY.weekday(), time(22), time(0, 30))
    add_duty(station, officer, at(SATURDAY, 18, 30), at(SATURDAY, 18, 30) + timedelta(hours=7))
    saturday = booking.find_slots(station.ctx, supervisor, SlotNeeds(), start_day=SATURDAY, days=1, limit=50)
    assert [local(s.start).strftime("%H:%M") for s in saturday] == quarters(("19:00", "21:00"), ("22:00", "23:30"))


def test_a_station_open_only_in_the_evening_offers_no_daytime(central: ServiceContext) -> None:
    fcr = central_actor(central, "fcr.HT")
    with central.write.begin() as session:
        ht = session.scalars(select(Station).where(Station.code == "HT")).one()
        officer = session.scalars(select(Officer).where(Officer.station_id == ht.id)).first()
        session.add(Duty(id=uuid.uuid4(), officer_id=officer.id, station_id=ht.id, start_at=at(QUIET_DAY, 8),
                         end_at=at(QUIET_DAY, 21), version=1, deleted=False))
    slots = booking.find_slots(central, fcr, SlotNeeds(), station_codes=["HT"], start_day=QUIET_DAY, limit=50)
    assert [local(s.start).strftime("%H:%M") for s in slots] == quarters(("17:00", "19:00"))


def test_today_offers_only_what_has_not_started(station: StationRuntime, counter: Actor) -> None:
    slots = booking.find_slots(station.ctx, counter, SlotNeeds(), days=1, limit=50)
    assert all(s.start >= DEMO_NOW for s in slots)
    assert all(local(s.start).date() == local(DEMO_NOW).date() for s in slots)


# --- never a double booking ----------------------------------------------------------------------------------


def test_booking_offer_after_offer_fills_the_evening_and_never_double_books(
    station: StationRuntime, counter: Actor
) -> None:
    on_duty = officers(station)[:2]
    for o in on_duty:
        add_duty(station, o, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    add_appointment(station, rooms(station)[0], None, at(QUIET_DAY, 18))  # a room taken with no officer
    booked = 0
    while True:
        found = booking.find_slots(station.ctx, counter, SlotNeeds(), start_day=QUIET_DAY, days=1, limit=1)
        if not found:
            break
        book(station.ctx, counter, BookingRequest.for_slot(found[0], f"Visitor {booked}"))
        booked += 1
        assert booked < 20, "the finder keeps offering taken slots"
    assert booked == 6, "two officers for each of the three evening hours"
    with station.ctx.read() as session:
        assert_no_double_booking(session)
    with pytest.raises(NotFound, match="No free slot"):
        next_free_slot(station.ctx, counter, SlotNeeds(), day=QUIET_DAY)


def test_the_same_offer_taken_twice_is_refused_the_second_time(station: StationRuntime, counter: Actor,
                                                              supervisor: Actor) -> None:
    add_duty(station, officers(station)[0], at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    offer = booking.find_slots(station.ctx, counter, SlotNeeds(), start_day=QUIET_DAY, days=1, limit=1)[0]
    book(station.ctx, counter, BookingRequest.for_slot(offer, "First"))
    with pytest.raises(DoubleBooking):
        book(station.ctx, supervisor, BookingRequest.for_slot(offer, "Second"))
    with station.ctx.read() as session:
        assert_no_double_booking(session)


def test_an_officer_pulled_away_is_not_offered_again(station: StationRuntime, supervisor: Actor,
                                                     clock: FixedClock) -> None:
    clock.set(at(QUIET_DAY, 12))
    only = officers(station)[0]
    add_duty(station, only, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    assert booking.find_slots(station.ctx, supervisor, SlotNeeds(), start_day=QUIET_DAY, limit=5)
    reassign_officer(station.ctx, supervisor, only.id, QUIET_DAY, "Major incident")
    assert booking.find_slots(station.ctx, supervisor, SlotNeeds(), start_day=QUIET_DAY, limit=5) == []


def test_cancelled_and_rescheduled_slots_are_offered_again(station: StationRuntime, supervisor: Actor) -> None:
    officer = officers(station)[0]
    room = next(r for r in rooms(station) if r.step_free)
    add_duty(station, officer, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 18, 0))  # covers the 17:00 slot only
    taken = add_appointment(station, room, officer, at(QUIET_DAY, 17))
    needs = SlotNeeds(step_free=True)
    assert booking.find_slots(station.ctx, supervisor, needs, start_day=QUIET_DAY, limit=5) == []
    scheduling.cancel(station.ctx, supervisor, taken.id, "visitor_request")
    again = booking.find_slots(station.ctx, supervisor, needs, start_day=QUIET_DAY, limit=5)
    assert [(s.start, s.room_id, s.officer_id) for s in again] == [(at(QUIET_DAY, 17), room.id, officer.id)]


# --- the same answer from either database ------------------------------------------------------------------


def test_a_postgresql_centre_offers_exactly_what_the_sqlite_one_does(
    central: ServiceContext, pg_url: str, clock: FixedClock
) -> None:
    """The finder reads ids and times as the driver hands them back (text from SQLite, native
    values from psycopg) and converts them itself: both must give the same offers."""
    from frontcounter.db.migrate import upgrade
    from frontcounter.services.demo.seed import seed_central

    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        seed_central(engine, clock)
        pg = ServiceContext(engine=engine, clock=clock, mode="central", workstation="fcr-test")
        with central.write.begin() as session, pg.write.begin() as pg_session:
            # An officer pulled away part-way through a shift, in both.
            duty_id = session.scalars(select(Duty.id).where(Duty.start_at > DEMO_NOW)
                                      .order_by(Duty.start_at, Duty.id).limit(1)).one()
            for s in (session, pg_session):
                duty = s.get_one(Duty, duty_id)
                duty.withdrawn_at = duty.start_at + timedelta(hours=2)
        fcr = central_actor(central, "fcr.HH")
        today = local(DEMO_NOW).date()
        for needs in (SlotNeeds(), SlotNeeds(step_free=True, language="Polish"), SlotNeeds(duration_minutes=30)):
            for origin, limit in (("HH", 40), ("LG", 1000)):
                codes = [origin] + [c for c in ALL_CODES if c != origin]
                asked = dict(station_codes=codes, start_day=today, days=5, limit=limit)
                expected = booking.find_slots(central, fcr, needs, **asked)  # type: ignore[arg-type]
                assert expected
                assert booking.find_slots(pg, fcr, needs, **asked) == expected  # type: ignore[arg-type]
    finally:
        engine.dispose()
