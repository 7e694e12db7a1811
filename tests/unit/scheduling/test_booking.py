"""The slot finder and booking: rooms with the features asked for, officers on duty who speak the
language, nothing ever double-booked (by the finder, by ``book``'s own checks and by the database),
one audit event and one outbox entry per booking, nearest station first at the centre.

The demo fills the week around DEMO_NOW; these tests work on ``QUIET`` (a week later), where it
booked nothing, and set up exactly the rooms, duties and appointments each one needs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.models import (
    Appointment,
    AuditEvent,
    Duty,
    Officer,
    OutboxEntry,
    Role,
    Room,
    Station,
    Status,
    User,
)
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import LONDON, FixedClock, local
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import DoubleBooking, NotFound, PermissionDenied, ValidationError
from frontcounter.services.core.references import new_reference
from frontcounter.services.scheduling import booking as booking_commands
from frontcounter.services.scheduling import slots as booking
from frontcounter.services.scheduling.booking import (
    BookingRequest,
    WalkInRequest,
    _book_once,
    book,
    book_walk_in,
    next_free_slot,
)
from frontcounter.services.scheduling.slots import SlotNeeds
from frontcounter.services.security.auth import actor_for
from tests.demo_keys import in_clear, with_demo_key

#: Monday a week after DEMO_NOW: HH has a daytime (10–13) and an evening (17–20) session.
QUIET = date(2026, 11, 30)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=LONDON).astimezone(UTC)


# --- set-up helpers (rows written directly: test set-up, not a user action) ----------------------


def station_id(runtime: StationRuntime, code: str = "HH") -> uuid.UUID:
    with runtime.ctx.read() as s:
        return s.scalars(select(Station.id).where(Station.code == code)).one()


def rooms_by_name(runtime: StationRuntime, code: str = "HH") -> dict[str, Room]:
    sid = station_id(runtime, code)
    with runtime.ctx.read() as s:
        return {r.name: r for r in s.scalars(select(Room).where(Room.station_id == sid))}


def set_rooms(runtime: StationRuntime, code: str = "HH", **features_by_name: dict[str, bool]) -> None:
    """Give rooms exactly these features (unlisted features off), so tests do not hang on the seed."""
    names = rooms_by_name(runtime, code)
    with runtime.ctx.write.begin() as s:
        for name, features in features_by_name.items():
            values = {"step_free": False, "hearing_loop": False, "video_link": False, "child_friendly": False,
                      "active": True, **features}
            s.execute(update(Room).where(Room.id == names[name].id).values(**values))


def add_officer(runtime: StationRuntime, name: str, *, languages: tuple[str, ...] = ("English",),
                specialisms: tuple[str, ...] = (), code: str = "HH", collar: str | None = None,
                username: str | None = None) -> uuid.UUID:
    officer_id = uuid.uuid4()
    with runtime.ctx.write.begin() as s:
        s.add(Officer(id=officer_id, station_id=station_id(runtime, code),
                      collar_number=collar or f"T{officer_id.hex[:10]}", name=name, rank="PC",
                      languages=list(languages), specialisms=list(specialisms), active=True, username=username))
    return officer_id


def add_duty(runtime: StationRuntime, officer_id: uuid.UUID, start: datetime, end: datetime, *,
             code: str = "HH", withdrawn_at: datetime | None = None) -> uuid.UUID:
    duty_id = uuid.uuid4()
    with runtime.ctx.write.begin() as s:
        s.add(Duty(id=duty_id, officer_id=officer_id, station_id=station_id(runtime, code), start_at=start,
                   end_at=end, withdrawn_at=withdrawn_at))
    return duty_id


def add_appointment(runtime: StationRuntime, room_id: uuid.UUID, officer_id: uuid.UUID | None,
                    start: datetime, *, code: str = "HH", status: str = Status.BOOKED.value,
                    name: str = "Set Up", **extra: object) -> Appointment:
    appt = Appointment(
        id=uuid.uuid4(), reference=new_reference(code), station_id=station_id(runtime, code), room_id=room_id,
        officer_id=officer_id, start_at=start, end_at=start + timedelta(hours=1), channel="101_call",
        reason="report_crime", visitor_name=name, visitor_phone="07700 900123", status=status,
        created_at=start - timedelta(days=2), created_by="fcr.HH", **extra,
    )
    with runtime.ctx.write.begin() as s:
        s.add(appt)
    return appt


def quiet_evening(runtime: StationRuntime, day: date = QUIET,
                  officers: dict[str, uuid.UUID] | None = None) -> dict[str, uuid.UUID]:
    """Two officers on the evening duty: an English-only one and an Urdu speaker."""
    if officers is None:
        officers = {
            "plain": add_officer(runtime, "Alex Plain", collar="8001"),
            "urdu": add_officer(runtime, "Bilal Urdu", languages=("English", "Urdu"),
                                specialisms=("domestic abuse",), collar="8002"),
        }
    for officer in officers.values():
        add_duty(runtime, officer, at(day, 16, 30), at(day, 20, 30))
    return officers


def counts(runtime: StationRuntime) -> tuple[int, int]:
    with runtime.ctx.read() as s:
        return (s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
                s.scalar(select(func.count()).select_from(OutboxEntry)) or 0)


@pytest.fixture
def rooms_set(station: StationRuntime) -> dict[str, Room]:
    """HH's three rooms with known features: only Interview Room 1 is step-free with a loop."""
    set_rooms(station, **{"Interview Room 1": {"step_free": True, "hearing_loop": True},
                          "Interview Room 2": {}, "Family Room": {"child_friendly": True}})
    return rooms_by_name(station)


# --- finding slots -------------------------------------------------------------------------------
# Slots start every quarter-hour (the station's granularity, Policy.slot_minutes): until issue 19
# these expected only whole hours, which was the bug.


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


def test_slots_start_every_quarter_hour_within_the_opening_sessions_and_plainest_room_first(
    station: StationRuntime, counter: Actor, rooms_set: dict[str, Room]
) -> None:
    officers = quiet_evening(station)
    slots = booking.find_slots(station.ctx, counter, SlotNeeds(), start_day=QUIET, limit=50)
    assert [f"{local(s.start):%H:%M}" for s in slots] == quarters(("17:00", "19:00"))
    assert all(s.end - s.start == timedelta(hours=1) for s in slots)
    assert {s.room_name for s in slots} == {"Interview Room 2"}  # keeps the step-free room free
    assert {s.officer_id for s in slots} <= set(officers.values())
    assert all(s.station_code == "HH" and s.distance_km == 0 for s in slots)


def test_step_free_and_hearing_loop_only_get_rooms_that_have_them(
    station: StationRuntime, counter: Actor, rooms_set: dict[str, Room]
) -> None:
    quiet_evening(station)
    for needs in (SlotNeeds(step_free=True), SlotNeeds(hearing_loop=True)):
        slots = booking.find_slots(station.ctx, counter, needs, start_day=QUIET, limit=50)
        assert len(slots) == 9 and {s.room_name for s in slots} == {"Interview Room 1"}
    assert booking.find_slots(station.ctx, counter, SlotNeeds(video_link=True), start_day=QUIET) == []


def test_language_and_specialism_pick_an_officer_who_has_them(
    station: StationRuntime, counter: Actor, rooms_set: dict[str, Room]
) -> None:
    officers = quiet_evening(station)
    for needs in (SlotNeeds(language="urdu"), SlotNeeds(specialism="Domestic Abuse")):
        slots = booking.find_slots(station.ctx, counter, needs, start_day=QUIET, limit=50)
        assert len(slots) == 9 and {s.officer_id for s in slots} == {officers["urdu"]}
    assert booking.find_slots(station.ctx, counter, SlotNeeds(language="English"), start_day=QUIET)
    assert booking.find_slots(station.ctx, counter, SlotNeeds(language="Polish"), start_day=QUIET) == []


def test_an_officer_must_be_on_duty_for_the_whole_slot_and_not_withdrawn(
    station: StationRuntime, counter: Actor, rooms_set: dict[str, Room]
) -> None:
    early = add_officer(station, "Early Leaver", languages=("English", "BSL"))
    add_duty(station, early, at(QUIET, 16, 30), at(QUIET, 18, 30))  # covers 17:00 to 17:30 only
    pulled = add_officer(station, "Pulled Away", languages=("English", "BSL"))
    add_duty(station, pulled, at(QUIET, 16, 30), at(QUIET, 20, 30), withdrawn_at=at(QUIET, 19, 30))
    slots = booking.find_slots(station.ctx, counter, SlotNeeds(language="BSL"), start_day=QUIET, limit=50)
    assert [f"{local(s.start):%H:%M}" for s in slots] == quarters(("17:00", "18:30"))  # nobody after
    assert slots[0].officer_id in {early, pulled}
    assert all(s.officer_id == pulled for s in slots if f"{local(s.start):%H:%M}" > "17:30")


def test_a_busy_room_or_officer_is_never_offered(
    station: StationRuntime, counter: Actor, rooms_set: dict[str, Room]
) -> None:
    officers = quiet_evening(station)
    # 17:00: both officers busy. 18:00: the Urdu speaker busy, the step-free room taken.
    add_appointment(station, rooms_set["Interview Room 2"].id, officers["plain"], at(QUIET, 17))
    add_appointment(station, rooms_set["Family Room"].id, officers["urdu"], at(QUIET, 17))
    add_appointment(station, rooms_set["Interview Room 1"].id, officers["urdu"], at(QUIET, 18))
    # A released (cancelled) booking frees its room and officer again.
    add_appointment(station, rooms_set["Interview Room 1"].id, officers["urdu"], at(QUIET, 19),
                    status=Status.CANCELLED.value)
    any_slots = booking.find_slots(station.ctx, counter, SlotNeeds(), start_day=QUIET, limit=50)
    assert [(f"{local(s.start):%H:%M}", s.officer_id) for s in any_slots] == [
        *((t, officers["plain"]) for t in quarters(("18:00", "18:45"))), ("19:00", any_slots[-1].officer_id)]
    urdu = booking.find_slots(station.ctx, counter, SlotNeeds(language="Urdu"), start_day=QUIET, limit=50)
    assert [f"{local(s.start):%H:%M}" for s in urdu] == ["19:00"]
    step_free = booking.find_slots(station.ctx, counter, SlotNeeds(step_free=True), start_day=QUIET, limit=50)
    assert [f"{local(s.start):%H:%M}" for s in step_free] == ["19:00"]


def test_officer_busy_at_another_station_is_not_offered(
    station: StationRuntime, counter: Actor, rooms_set: dict[str, Room]
) -> None:
    officers = quiet_evening(station)
    sg_room = next(iter(rooms_by_name(station, "SG").values()))
    add_appointment(station, sg_room.id, officers["urdu"], at(QUIET, 18), code="SG")
    urdu = booking.find_slots(station.ctx, counter, SlotNeeds(language="Urdu"), start_day=QUIET, limit=50)
    assert [f"{local(s.start):%H:%M}" for s in urdu] == ["17:00", "19:00"]


def test_today_starts_from_now_and_later_days_follow_in_order(
    station: StationRuntime, counter: Actor, clock: FixedClock, rooms_set: dict[str, Room]
) -> None:
    officers = quiet_evening(station)
    clock.set(at(QUIET, 17, 10))
    today = booking.find_slots(station.ctx, counter, SlotNeeds(), limit=50)
    assert [f"{local(s.start):%H:%M}" for s in today] == quarters(("17:15", "19:00"))
    quiet_evening(station, QUIET + timedelta(days=1), officers)
    two_days = booking.find_slots(station.ctx, counter, SlotNeeds(), days=2, limit=50)
    assert [s.start for s in two_days] == sorted(s.start for s in two_days)
    assert {local(s.start).date() for s in two_days} == {QUIET, QUIET + timedelta(days=1)}
    assert len(booking.find_slots(station.ctx, counter, SlotNeeds(), days=2, limit=3)) == 3


def test_session_slots_follow_london_time_across_the_clock_change() -> None:
    step, hour = timedelta(hours=1), timedelta(hours=1)
    summer = booking._session_slots(date(2026, 10, 24), time(17), time(20), step, hour)
    winter = booking._session_slots(date(2026, 10, 25), time(17), time(20), step, hour)
    assert [s.hour for s, _ in summer] == [16, 17, 18]  # BST: 17:00 London is 16:00 UTC
    assert [s.hour for s, _ in winter] == [17, 18, 19]
    late = booking._session_slots(date(2026, 11, 27), time(22), time(0), step, hour)
    assert len(late) == 2 and late[-1][1] == datetime(2026, 11, 28, 0, tzinfo=UTC)


def test_finder_checks_book_permission_and_station(
    station: StationRuntime, counter: Actor, officer: Actor
) -> None:
    with pytest.raises(PermissionDenied):
        booking.find_slots(station.ctx, officer, SlotNeeds(), start_day=QUIET)
    with pytest.raises(PermissionDenied):
        booking.find_slots(station.ctx, counter, SlotNeeds(), station_codes=["SG"], start_day=QUIET)
    with pytest.raises(NotFound):
        booking.find_slots(station.ctx, counter, SlotNeeds(), station_codes=["ZZ"], start_day=QUIET)


@pytest.fixture
def central(demo_dir: object, clock: FixedClock) -> Iterator[ServiceContext]:
    """The demo's embedded centre, where the FCR books at every station."""
    engine = make_engine(sqlite_url(Paths.resolve(demo_dir).embedded_central_db))  # type: ignore[arg-type]
    yield ServiceContext(engine=engine, clock=clock, mode="central", workstation="fcr-test")
    engine.dispose()


def _central_actor(ctx: ServiceContext, username: str) -> Actor:
    with ctx.read() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return with_demo_key(actor_for(user, s.get(Station, user.station_id), ctx.workstation), user.wrapped_private_key)


def test_several_stations_come_nearest_first_then_by_time(central: ServiceContext) -> None:
    fcr = _central_actor(central, "fcr.HH")
    assert fcr.role == Role.FCR
    day = date(2026, 11, 25)  # the demo rostered every station that day
    slots = booking.find_slots(central, fcr, SlotNeeds(), station_codes=["HH", "SG", "SA", "WD"],
                               start_day=day, limit=200)
    order = list(dict.fromkeys(s.station_code for s in slots))
    distances = [next(s.distance_km for s in slots if s.station_code == code) for code in order]
    assert order[0] == "HH" and distances == sorted(distances) and set(order) == {"HH", "SG", "SA", "WD"}
    for code in order:
        starts = [s.start for s in slots if s.station_code == code]
        assert starts == sorted(starts)
    # Every offer is really free: book one at the centre and it is not offered again.
    first_sa = next(s for s in slots if s.station_code == "SA")
    view = book(central, fcr, BookingRequest.for_slot(first_sa, "Centre Visitor"))
    assert view.station_code == "SA"
    with central.read() as s:
        assert s.get_one(Appointment, view.id).version > 0  # the centre stamps a version, no outbox
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 0
    again = booking.find_slots(central, fcr, SlotNeeds(), station_codes=["SA"], start_day=day, limit=200)
    assert all((s.start, s.room_id) != (first_sa.start, first_sa.room_id) for s in again)
    assert all((s.start, s.officer_id) != (first_sa.start, first_sa.officer_id) for s in again)


# --- booking -------------------------------------------------------------------------------------


def test_booking_is_one_command_with_one_audit_event_and_one_outbox_entry(
    station: StationRuntime, counter: Actor, rooms_set: dict[str, Room]
) -> None:
    quiet_evening(station)
    slot = booking.find_slots(station.ctx, counter, SlotNeeds(step_free=True), start_day=QUIET)[0]
    before = counts(station)
    view = book(station.ctx, counter, BookingRequest.for_slot(
        slot, "  Jane   Smith ", visitor_phone="07700 900 123", needs_step_free=True,
        safe_contact="No voicemail", person_of_choice="Sister", vulnerability_flags=("repeat victim",),
        briefing_notes="Confidential note", crime_reference="41/12345/26", channel="101_call"))
    assert counts(station) == (before[0] + 1, before[1] + 1)
    assert view.visitor_name == "Jane Smith" and view.status == "booked" and view.reference.startswith("HH-")
    assert (view.room_id, view.officer_id, view.start) == (slot.room_id, slot.officer_id, slot.start)
    with station.ctx.read() as s:
        entry = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc())).first()
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
        row = in_clear(s, s.get_one(Appointment, view.id))
    assert row is not None
    assert row.briefing_notes == "Confidential note" and row.created_by == "counter.HH"
    assert row.vulnerability_flags == ["repeat victim"]
    assert entry is not None and event is not None
    assert entry.op_type == "appointment.book" and entry.payload["created"] is True
    # The counter typed the notes; the outbox holds them sealed (issue 21).
    assert "Confidential note" not in str(entry.payload) and entry.payload["row"]["sealed_keys"]
    assert entry.payload["row"]["reference"] == view.reference
    assert (event.action, event.category, event.record) == (
        "appointment.book", "collection", f"appointment:{view.reference}")


def test_the_same_slot_is_never_booked_twice(
    station: StationRuntime, counter: Actor, rooms_set: dict[str, Room]
) -> None:
    quiet_evening(station)
    slot = booking.find_slots(station.ctx, counter, SlotNeeds(), start_day=QUIET)[0]
    book(station.ctx, counter, BookingRequest.for_slot(slot, "First Visitor"))
    before = counts(station)
    with pytest.raises(DoubleBooking, match="Interview Room 2 is already booked at 17:00"):
        book(station.ctx, counter, BookingRequest.for_slot(slot, "Second Visitor"))
    other_room = BookingRequest.for_slot(slot, "Second Visitor", room_id=rooms_set["Family Room"].id)
    with pytest.raises(DoubleBooking, match="already has an appointment at 17:00"):
        book(station.ctx, counter, other_room)
    assert counts(station) == before


def test_the_databases_own_refusal_comes_through_as_a_clear_message(
    station: StationRuntime, counter: Actor, rooms_set: dict[str, Room], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workstations racing: the Python check passed on both, the database refuses the second."""
    officers = quiet_evening(station)
    slot = booking.find_slots(station.ctx, counter, SlotNeeds(), start_day=QUIET)[0]
    book(station.ctx, counter, BookingRequest.for_slot(slot, "First Visitor"))
    other_officer = next(o for o in officers.values() if o != slot.officer_id)

    def blind_check(session, request, st):  # type: ignore[no-untyped-def]
        return session.get(Room, request.room_id), session.get(Officer, request.officer_id)

    monkeypatch.setattr(booking_commands, "_check_room_and_officer", blind_check)
    with pytest.raises(DoubleBooking, match="That room is already booked for that time"):
        book(station.ctx, counter,
                     BookingRequest.for_slot(slot, "Second Visitor", officer_id=other_officer))
    other_room = rooms_set["Family Room"].id
    with pytest.raises(DoubleBooking, match="That officer already has an appointment at that time"):
        book(station.ctx, counter, BookingRequest.for_slot(slot, "Third Visitor", room_id=other_room))
    with station.ctx.read() as s:
        failed = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
    assert failed is not None and (failed.action, failed.outcome) == ("appointment.book", "failed")


def test_a_taken_reference_is_drawn_again(
    station: StationRuntime, counter: Actor, rooms_set: dict[str, Room], monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet_evening(station)
    with station.ctx.read() as s:
        taken = s.scalars(select(Appointment.reference).where(Appointment.reference.like("HH-%"))).first()
    draws = iter([taken, taken, "HH-FRESH"])
    monkeypatch.setattr(booking_commands, "new_reference", lambda code: next(draws))
    slot = booking.find_slots(station.ctx, counter, SlotNeeds(), start_day=QUIET)[0]
    assert book(station.ctx, counter, BookingRequest.for_slot(slot, "New Visitor")).reference == "HH-FRESH"

    # A collision only the centre sees (another workstation's unsynced booking) is retried too.
    calls: list[int] = []
    real = _book_once

    def collide_once(*args):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise DoubleBooking("That reference is already in use; please try again.")
        return real(*args)

    monkeypatch.setattr(booking_commands, "_book_once", collide_once)
    monkeypatch.setattr(booking_commands, "new_reference", lambda code: "HH-AGAIN")
    second = booking.find_slots(station.ctx, counter, SlotNeeds(), start_day=QUIET)[0]
    assert book(station.ctx, counter, BookingRequest.for_slot(second, "Other")).reference == "HH-AGAIN"
    assert len(calls) == 2


def test_book_checks_room_features_duty_and_what_was_typed(
    station: StationRuntime, counter: Actor, rooms_set: dict[str, Room]
) -> None:
    officers = quiet_evening(station)
    slot = booking.find_slots(station.ctx, counter, SlotNeeds(), start_day=QUIET)[0]
    cases = [
        (dict(needs_step_free=True), ValidationError, "Interview Room 2 is not step-free"),
        (dict(needs_hearing_loop=True), ValidationError, "has no hearing loop"),
        (dict(start=at(QUIET, 21), end=at(QUIET, 22)), ValidationError, "is not on appointment duty"),
        (dict(officer_id=add_officer(station, "Off Duty")), ValidationError, "is not on appointment duty"),
        (dict(room_id=next(iter(rooms_by_name(station, "SG").values())).id), ValidationError, "not at Hemel"),
        (dict(visitor_phone="call me"), ValidationError, "phone number"),
        (dict(visitor_email="nobody"), ValidationError, "email address"),
        (dict(crime_reference="41/1234<script>"), ValidationError, "crime reference"),
        (dict(reason="gossip"), ValidationError, "Unknown reason"),
        (dict(end=slot.start), ValidationError, "between 5 minutes and 8 hours"),
    ]
    for changes, error, message in cases:
        request = BookingRequest.for_slot(slot, "Visitor", **changes)
        with pytest.raises(error, match=message):
            book(station.ctx, counter, request)
    with pytest.raises(ValidationError, match="Enter the visitor's name"):
        book(station.ctx, counter, BookingRequest.for_slot(slot, "   "))
    past = BookingRequest.for_slot(slot, "Visitor", start=at(date(2026, 11, 23), 17),
                                   end=at(date(2026, 11, 23), 18), officer_id=officers["plain"])
    with pytest.raises(ValidationError, match="has already started"):
        book(station.ctx, counter, past)


def test_book_needs_the_book_permission_at_that_station(
    station: StationRuntime, counter: Actor, officer: Actor, rooms_set: dict[str, Room]
) -> None:
    quiet_evening(station)
    slot = booking.find_slots(station.ctx, counter, SlotNeeds(), start_day=QUIET)[0]
    before = counts(station)
    with pytest.raises(PermissionDenied):
        book(station.ctx, officer, BookingRequest.for_slot(slot, "Visitor"))
    sg_room = next(iter(rooms_by_name(station, "SG").values()))
    with pytest.raises(PermissionDenied):
        book(station.ctx, counter, BookingRequest.for_slot(slot, "Visitor", station_code="SG",
                                                                   room_id=sg_room.id))
    after = counts(station)
    assert after == (before[0] + 2, before[1])  # two refusals audited, nothing queued to sync
    with station.ctx.read() as s:
        denied = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert {e.action for e in denied} >= {"appointment.book"}


# --- walk-ins ------------------------------------------------------------------------------------


def test_walk_in_takes_the_next_free_suitable_slot_today(
    station: StationRuntime, counter: Actor, clock: FixedClock, rooms_set: dict[str, Room]
) -> None:
    officers = quiet_evening(station)
    clock.set(at(QUIET, 17, 20))
    view = book_walk_in(station.ctx, counter, WalkInRequest(
        visitor_name="Walk In", visitor_phone="07700 900456", reason="property",
        needs_step_free=True, interpreter_language="Urdu", person_of_choice="Friend"))
    assert (f"{local(view.start):%H:%M}", view.room_name, view.officer_id) == (
        "17:30", "Interview Room 1", officers["urdu"])  # the next quarter-hour, not the next hour
    assert view.channel == "walk_in" and view.interpreter_language == "Urdu" and view.needs_step_free
    assert view.person_of_choice == "Friend" and view.reason == "property"
    # The next Urdu/step-free walk-in goes straight after, at 18:30; then the evening is full for them.
    second = book_walk_in(station.ctx, counter, WalkInRequest(
        visitor_name="Second", needs_step_free=True, interpreter_language="Urdu"))
    assert f"{local(second.start):%H:%M}" == "18:30"
    with pytest.raises(NotFound, match="No free slot today with a step-free room, an officer who speaks Urdu"):
        book_walk_in(station.ctx, counter, WalkInRequest(
            visitor_name="Third", needs_step_free=True, interpreter_language="Urdu"))


def test_walk_in_on_a_chosen_day_and_with_an_accepted_proposal(
    station: StationRuntime, counter: Actor, clock: FixedClock, rooms_set: dict[str, Room]
) -> None:
    quiet_evening(station)
    clock.set(at(QUIET - timedelta(days=2), 12))
    proposal = next_free_slot(station.ctx, counter, SlotNeeds(), day=QUIET)
    assert f"{local(proposal.start):%H:%M}" == "17:00"
    view = book_walk_in(station.ctx, counter, WalkInRequest(visitor_name="Chosen", slot=proposal))
    assert view.start == proposal.start and view.channel == "walk_in"
    # The same proposal accepted twice (two clerks): the second is told to find the next one.
    with pytest.raises(DoubleBooking, match="Choose another slot"):
        book_walk_in(station.ctx, counter, WalkInRequest(visitor_name="Late", slot=proposal))


# --- the station's own granularity ---------------------------------------------------------------


@pytest.mark.parametrize("step", [15, 30, 60])
def test_slots_follow_the_stations_granularity_for_any_duration(
    station: StationRuntime, counter: Actor, rooms_set: dict[str, Room], step: int
) -> None:
    from dataclasses import replace

    quiet_evening(station)
    station.ctx.policy = replace(station.ctx.policy, slot_minutes=step)
    for minutes in (15, 45, 60, 180):
        slots = booking.find_slots(station.ctx, counter, SlotNeeds(duration_minutes=minutes), start_day=QUIET,
                                   limit=100)
        starts = [local(s.start) for s in slots]
        assert starts, minutes
        assert all((t.minute - 0) % step == 0 for t in starts)
        assert all(s.end - s.start == timedelta(minutes=minutes) for s in slots)
        # Every start from 17:00 while the visit still ends by 20:00, and nothing later.
        last = at(QUIET, 20) - timedelta(minutes=minutes)
        expected = int((last - at(QUIET, 17)).total_seconds() // 60 // step) + 1
        assert len(slots) == expected and slots[-1].end <= at(QUIET, 20)
    # A whole working day does not fit a three-hour evening.
    assert booking.find_slots(station.ctx, counter, SlotNeeds(duration_minutes=480), start_day=QUIET) == []


def test_a_walk_in_at_a_quarter_past_gets_the_next_quarter_hour_with_the_earliest_free_room_and_officer(
    station: StationRuntime, counter: Actor, clock: FixedClock, rooms_set: dict[str, Room]
) -> None:
    officers = quiet_evening(station)
    add_appointment(station, rooms_set["Interview Room 2"].id, officers["plain"], at(QUIET, 17))
    clock.set(at(QUIET, 17, 37))
    view = book_walk_in(station.ctx, counter, WalkInRequest(visitor_name="Quarter Past"))
    assert f"{local(view.start):%H:%M}" == "17:45" and view.end - view.start == timedelta(hours=1)
    # The plain room is busy until 18:00 and its officer too: the finder took what is free now.
    assert view.room_name != "Interview Room 2" and view.officer_id == officers["urdu"]


def test_the_granularity_is_a_setting_defaulting_to_a_quarter_hour(tmp_path: Path) -> None:
    from frontcounter.config import Settings, load_settings, save_settings

    assert Settings().policy().slot_minutes == 15
    save_settings(tmp_path / "s.json", Settings(slot_minutes=30))
    assert load_settings(tmp_path / "s.json").policy().slot_minutes == 30
    assert Settings(slot_minutes=0).policy().slot_minutes == 15  # nonsense falls back to the default
