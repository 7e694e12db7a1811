"""The FCR desk's services (issue 14): the caller's place, nearest-first slot search over every
station at the centre, and the record of contacts with at-risk visitors."""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from frontcounter.db.models import (
    RELEASED_STATUSES,
    Appointment,
    AtRiskContact,
    AuditEvent,
    Duty,
    Officer,
    OpeningSession,
    Room,
    Station,
)
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, open_centre
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import LONDON, FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import PermissionDenied, ValidationError
from frontcounter.services.demo.seed import STATIONS
from frontcounter.services.scheduling import contacts, places, roster
from frontcounter.services.scheduling.booking import BookingRequest, book
from frontcounter.services.scheduling.reassignment import list_at_risk
from frontcounter.services.scheduling.slots import SlotNeeds, haversine_km
from tests.conftest import DEMO_NOW, actor_named
from tests.sync_support import actor_in


@pytest.fixture
def centre(demo_dir: Path, clock: FixedClock) -> Iterator[ServiceContext]:
    """The FCR desk's runtime on the demo's embedded centre (every station's rows)."""
    runtime = open_centre(Paths.resolve(demo_dir), clock=clock)
    yield runtime.ctx
    runtime.engine.dispose()


@pytest.fixture
def fcr(centre: ServiceContext) -> Actor:
    return actor_in(centre, "fcr.HH")


# --- the caller's place -----------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "label", "kind"), [
    ("Ware", "Ware", "town"), ("  ware ", "Ware", "town"), ("SG12 9AB", "SG12", "district"),
    ("sg129ab", "SG12", "district"), ("AL10", "AL10", "district"), ("welwyn g", "Welwyn Garden City", "town"),
    ("Bishop’s Stortford", "Bishop's Stortford", "town"), ("WD17 1DD", "WD17", "district"),
])
def test_a_town_or_postcode_is_a_place(typed: str, label: str, kind: str) -> None:
    place = places.locate(typed)
    assert (place.label, place.kind) == (label, kind)


@pytest.mark.parametrize(("typed", "words"), [
    ("", "Type the caller's town or postcode"),
    ("Luton", "not a Hertfordshire town"),
    ("LU1 3AA", "LU1 is not a Hertfordshire postcode district"),
    ("Welwyn", None),  # "Welwyn" is a town itself: not ambiguous
    ("B", "could be"),
])
def test_a_place_the_desk_does_not_know_is_said_in_words(typed: str, words: str | None) -> None:
    if words is None:
        assert places.locate(typed).label == "Welwyn"
        return
    with pytest.raises(ValidationError, match=words):
        places.locate(typed)


def test_the_shipped_places_are_in_hertfordshire_and_the_stations_match_the_centre() -> None:
    shipped = places.station_coordinates()
    assert {code for code, *_ in STATIONS} == set(shipped)
    for code, _name, _addr, _pc, lat, lon, _day in STATIONS:
        assert shipped[code] == (lat, lon)
    for name in places.towns():
        place = places.locate(name)
        assert 51.55 < place.latitude < 52.1 and -0.75 < place.longitude < 0.3, name
    # Each station's own town or district is nearest to that station.
    for code, _name, _addr, postcode, *_ in STATIONS:
        place = places.locate(postcode)
        nearest = min(shipped, key=lambda c: haversine_km(place.latitude, place.longitude, *shipped[c]))
        assert nearest == code, (postcode, nearest)


def test_the_search_ranks_every_station_from_the_caller_and_is_audited(centre: ServiceContext, fcr: Actor) -> None:
    place = places.locate("Ware")
    ranked = places.stations_nearest(centre, place)
    assert [code for code, _n, _d in ranked][:2] == ["HT", "CH"] and len(ranked) == 11
    found = places.find_nearest_slots(centre, fcr, place, SlotNeeds(), days=7, limit=60)
    assert found and found[0].station_code == "HT"
    distances = [s.distance_km for s in found]
    assert distances == sorted(distances)
    with centre.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "booking.find_slots")
                          .order_by(AuditEvent.local_seq.desc())).first()
    assert event is not None and event.username == "fcr.HH" and event.details["place"] == "Ware"
    assert event.details["results"] == len(found)


# --- nearest first, over random needs and rosters ---------------------------------------------

LANGUAGES = (None, None, "Urdu", "Polish", "BSL", "Arabic")
_windows = itertools.count(1)


def _suitable_rooms(s: Session, station_id: uuid.UUID, needs: SlotNeeds) -> list[Room]:
    wanted = [f for f in ("step_free", "hearing_loop", "video_link", "child_friendly") if getattr(needs, f)]
    return [r for r in s.scalars(select(Room).where(Room.station_id == station_id, Room.active.is_(True),
                                                    Room.deleted.is_(False)))
            if all(getattr(r, f) for f in wanted)]


def _speaks(officer: Officer, language: str | None) -> bool:
    return language is None or language.casefold() in {x.casefold() for x in officer.languages or ()}


def _free_slot_exists(s: Session, station_id: uuid.UUID, needs: SlotNeeds, first: datetime, days: int,
                      step: timedelta) -> bool:
    """Brute force, independent of the finder: any session time in the window with a suitable room
    and a suitable officer on duty, both free."""
    duration = timedelta(minutes=needs.duration_minutes)
    end_of_window = first + timedelta(days=days)
    rooms = _suitable_rooms(s, station_id, needs)
    duties = [(d, s.get(Officer, d.officer_id)) for d in s.scalars(select(Duty).where(
        Duty.station_id == station_id, Duty.deleted.is_(False), Duty.start_at < end_of_window,
        Duty.end_at > first))]
    duties = [(d, o) for d, o in duties if o is not None and o.active and not o.deleted and _speaks(o, needs.language)]
    if not rooms or not duties:
        return False
    live = list(s.scalars(select(Appointment).where(
        Appointment.deleted.is_(False), Appointment.status.not_in(RELEASED_STATUSES),
        Appointment.start_at < end_of_window + duration, Appointment.end_at > first - duration)))

    def free(start: datetime, end: datetime, attr: str, key: uuid.UUID) -> bool:
        return not any(getattr(a, attr) == key and a.start_at < end and start < a.end_at for a in live)

    sessions = list(s.scalars(select(OpeningSession).where(OpeningSession.station_id == station_id,
                                                           OpeningSession.deleted.is_(False))))
    for offset in range(days):
        day = first.astimezone(LONDON).date() + timedelta(days=offset)
        for session in (x for x in sessions if x.weekday == day.weekday()):
            t = datetime.combine(day, session.start_time, tzinfo=LONDON).astimezone(UTC)
            end_day = day + timedelta(days=1) if session.end_time <= session.start_time else day
            stop = datetime.combine(end_day, session.end_time, tzinfo=LONDON).astimezone(UTC)
            while t + duration <= stop:
                e = t + duration
                if any(free(t, e, "room_id", r.id) for r in rooms) and any(
                        d.start_at <= t and e <= (min(d.end_at, d.withdrawn_at) if d.withdrawn_at else d.end_at)
                        and free(t, e, "officer_id", o.id) for d, o in duties):
                    return True
                t += step
    return False


@st.composite
def _case(draw: st.DrawFn) -> dict[str, object]:
    rarely = st.sampled_from((False, False, False, True))
    return {
        "town": draw(st.sampled_from(places.towns())),
        "needs": SlotNeeds(step_free=draw(rarely), hearing_loop=draw(rarely),
                           video_link=draw(rarely), child_friendly=draw(rarely),
                           language=draw(st.sampled_from(LANGUAGES)),
                           duration_minutes=draw(st.sampled_from((30, 60, 90)))),
        # The roster: (station index, officer index, day, start hour, hours) shifts on appointment duty.
        # (The demo's sessions: 17-20 or 19-22, and 10-13 on weekdays at the bigger stations.)
        "shifts": draw(st.lists(st.tuples(st.integers(0, 10), st.integers(0, 7), st.integers(0, 2),
                                          st.sampled_from((9, 10, 11, 15, 16, 17, 18, 19)), st.integers(2, 5)),
                                min_size=1, max_size=14)),
        "bookings": draw(st.integers(0, 3)),
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_case())
def test_the_first_offers_are_at_the_nearest_station_with_a_suitable_free_slot(
        centre: ServiceContext, fcr: Actor, case: dict[str, object]) -> None:
    needs = case["needs"]
    assert isinstance(needs, SlotNeeds)
    # A week far beyond the demo's roster, of its own for this example: only these shifts are on.
    first = (DEMO_NOW + timedelta(days=30 + 7 * next(_windows))).replace(hour=0, minute=0)
    first_day = first.astimezone(LONDON).date()
    first = datetime.combine(first_day, time(0), tzinfo=LONDON).astimezone(UTC)
    with centre.read() as s:
        stations = list(s.scalars(select(Station).order_by(Station.code)))
        staff = {st_.id: list(s.scalars(select(Officer).where(Officer.station_id == st_.id)
                                        .order_by(Officer.collar_number))) for st_ in stations}
    for station_i, officer_i, day, hour, hours in case["shifts"]:  # type: ignore[attr-defined]
        station = stations[station_i]
        officers = staff[station.id]
        if not officers:
            continue
        supervisor = actor_in(centre, f"supervisor.{station.code}")
        start = datetime.combine(first_day + timedelta(days=day), time(hour), tzinfo=LONDON).astimezone(UTC)
        # (A shift overlapping one already drawn for that officer is refused by the roster: fine.)
        with contextlib.suppress(ValidationError):
            roster.add_duty(centre, supervisor, officers[officer_i % len(officers)].id, start,
                            start + timedelta(hours=hours), station_code=station.code)
    place = places.locate(str(case["town"]))
    for _ in range(int(case["bookings"])):  # some of those slots taken already
        taken = places.find_nearest_slots(centre, fcr, place, needs, start_day=first_day, days=3, limit=1)
        if taken:
            book(centre, fcr, BookingRequest.for_slot(taken[0], "Earlier Caller"))
    found = places.find_nearest_slots(centre, fcr, place, needs, start_day=first_day, days=3, limit=5)
    ranked = places.stations_nearest(centre, place)
    step = timedelta(minutes=centre.policy.slot_minutes)
    with centre.read() as s:
        ids = {code: s.scalars(select(Station.id).where(Station.code == code)).one() for code, _n, _d in ranked}
        with_slot = [code for code, _n, _d in ranked if _free_slot_exists(s, ids[code], needs, first, 3, step)]
    event("no suitable free slot anywhere" if not with_slot else
          "the nearest station has one" if with_slot[0] == ranked[0][0] else "a farther station is first")
    if not with_slot:
        assert found == []
        return
    assert found, f"{with_slot[0]} has a free slot for {needs.describe() or 'no needs'} but none was offered"
    assert found[0].station_code == with_slot[0]
    assert [s.station_code for s in found if s.station_code != with_slot[0]] == \
        [s.station_code for s in found[len([x for x in found if x.station_code == with_slot[0]]):]]


# --- contacts with at-risk visitors -----------------------------------------------------------


def test_each_contact_with_an_at_risk_visitor_is_recorded_and_audited(centre: ServiceContext, fcr: Actor,
                                                                      clock: FixedClock) -> None:
    at_risk = list_at_risk(centre, fcr)
    assert {a.station_code for a in at_risk} > {"HH"}, "the FCR sees every station's at-risk list"
    target = at_risk[0]
    contacts.record_contact(centre, fcr, target.id, "no_answer")
    clock.advance(timedelta(minutes=20))
    contacts.record_contact(centre, fcr, target.id, "reached", "  Will come on Thursday instead.  ")
    found = contacts.contacts_for(centre, fcr, target.id)
    assert [(c.outcome, c.note) for c in found] == [("no_answer", None), ("reached", "Will come on Thursday instead.")]
    assert contacts.last_contacts(centre, fcr, [target.id])[target.id].outcome == "reached"
    with centre.read() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).where(
            AuditEvent.record == f"appointment:{target.reference}").order_by(AuditEvent.local_seq))]
    assert actions[-3:] == ["appointment.contact", "appointment.contact", "appointment.contacts"]
    with pytest.raises(ValidationError, match="how the contact went"):
        contacts.record_contact(centre, fcr, target.id, "shrug")


def test_contacts_are_the_fcr_desks_and_only_at_the_centre(centre: ServiceContext, station: StationRuntime) -> None:
    target = list_at_risk(centre, actor_in(centre, "fcr.HH"))[0]
    with pytest.raises(PermissionDenied):
        contacts.record_contact(centre, actor_in(centre, "counter.HH"), target.id, "reached")
    local = list_at_risk(station.ctx, actor_named(station, "fcr.HH"))
    if local:
        with pytest.raises(ValidationError, match="recorded at the FCR desk"):
            contacts.record_contact(station.ctx, actor_named(station, "fcr.HH"), local[0].id, "reached")
    with station.ctx.read() as s:
        assert s.scalars(select(AtRiskContact)).first() is None
