"""Calendars (issue 20): opening sessions past midnight, March's skipped hour and October's repeated
hour, in the slot finder, the walk-in, the board's day and the printed/reported times.

Times are stored in UTC and a session's wall times are turned into instants per date
(Europe/London), so a slot is a real interval: never a time that does not exist, October's
01:30 twice (labelled BST and GMT), and a session that runs past midnight gives the next day its
small hours, checked against that day's bookings.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from frontcounter.db.models import RELEASED_STATUSES, Appointment
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import LONDON, FixedClock, hhmm, local
from frontcounter.services.core.errors import NotFound, ValidationError
from frontcounter.services.scheduling import slots as finder
from frontcounter.services.scheduling.booking import (
    BookingRequest,
    WalkInRequest,
    book,
    book_walk_in,
    next_free_slot,
)
from frontcounter.services.scheduling.premises import add_session
from frontcounter.services.scheduling.roster import day_layout
from frontcounter.services.scheduling.slots import SlotNeeds
from tests.unit.roster_fixtures import add_duty, officers

FRIDAY, SATURDAY = date(2026, 11, 27), date(2026, 11, 28)  # after the demo's week: nothing booked
SPRING_SAT, SPRING_SUN = date(2027, 3, 27), date(2027, 3, 28)  # clocks forward 01:00 GMT -> 02:00 BST
AUTUMN_SAT, AUTUMN_SUN = date(2027, 10, 30), date(2027, 10, 31)  # clocks back 02:00 BST -> 01:00 GMT


def wall(day: date, hh: int, mm: int = 0, *, fold: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=LONDON).replace(fold=fold).astimezone(UTC)


def night_session(station: StationRuntime, supervisor: Actor, day: date, *, officers_on: int = 2,
                  start: time = time(22), end: time = time(2)) -> None:
    add_session(station.ctx, supervisor, day.weekday(), start, end)
    begin = wall(day, start.hour) - timedelta(minutes=30)
    close = wall(day + timedelta(days=1), end.hour) + timedelta(minutes=30)
    for o in officers(station)[:officers_on]:
        add_duty(station, o, begin, close)


def no_double_booking(station: StationRuntime) -> None:
    a, b = aliased(Appointment), aliased(Appointment)
    with station.ctx.read() as s:
        live = (a.deleted.is_(False), b.deleted.is_(False), a.status.not_in(RELEASED_STATUSES),
                b.status.not_in(RELEASED_STATUSES), a.id < b.id, a.start_at < b.end_at, b.start_at < a.end_at)
        clash = s.execute(select(a.reference, b.reference).where(*live, (a.room_id == b.room_id) | (
            (a.officer_id == b.officer_id) & a.officer_id.is_not(None))).limit(1)).first()
    assert clash is None, f"double booked: {clash}"


def test_every_slot_of_a_session_past_midnight_can_be_booked_and_none_is_offered_twice(
    station: StationRuntime, supervisor: Actor, counter: Actor
) -> None:
    night_session(station, supervisor, FRIDAY)
    small_hours = finder.find_slots(station.ctx, counter, SlotNeeds(), start_day=SATURDAY, days=1, limit=200)
    assert [hhmm(s.start) for s in small_hours if local(s.start).hour < 2][:1] == ["00:00"], \
        "Saturday's small hours come from Friday's session"
    # Book Saturday's small hours first: Friday's search must then see them as taken.
    booked: list[datetime] = []
    for offer in small_hours:
        if local(offer.start).date() == SATURDAY and local(offer.start).hour < 2:
            fresh = finder.find_slots(station.ctx, counter, SlotNeeds(), start_day=SATURDAY, days=1, limit=1)
            if not fresh:
                break
            book(station.ctx, counter, BookingRequest.for_slot(fresh[0], f"Small hours {len(booked)}"))
            booked.append(fresh[0].start)
    while True:  # then every offer of the whole night, until none is left: never a DoubleBooking
        found = finder.find_slots(station.ctx, counter, SlotNeeds(), start_day=FRIDAY, days=2, limit=1)
        if not found:
            break
        book(station.ctx, counter, BookingRequest.for_slot(found[0], f"Night {len(booked)}"))
        booked.append(found[0].start)
        assert len(booked) < 40, "the finder keeps offering taken slots"
    no_double_booking(station)
    night = [b for b in booked if wall(FRIDAY, 22) <= b < wall(SATURDAY, 2)]
    assert len(night) == 8, "two officers, each free for the four hours of 22:00-02:00"
    assert sum(1 for b in night if local(b).date() == SATURDAY) == 4, "00:00 and 01:00 for each officer"


@pytest.mark.wallclock
def test_a_walk_in_at_ten_past_midnight_gets_a_slot_from_the_session_begun_yesterday(
    station: StationRuntime, supervisor: Actor, counter: Actor, clock: FixedClock
) -> None:
    night_session(station, supervisor, FRIDAY, officers_on=2)
    clock.set(wall(SATURDAY, 0, 10))
    slot = next_free_slot(station.ctx, counter, SlotNeeds())
    assert (hhmm(slot.start), hhmm(slot.end)) == ("00:15", "01:15")
    view = book_walk_in(station.ctx, counter, WalkInRequest(visitor_name="Night Walk-in"))
    assert view.start == slot.start
    again = next_free_slot(station.ctx, counter, SlotNeeds())
    assert again.start == slot.start and again.officer_id != view.officer_id, "the other officer, not a clash"
    book_walk_in(station.ctx, counter, WalkInRequest(visitor_name="Second Walk-in"))
    with pytest.raises(NotFound, match="No free slot today"):  # 01:15 + an hour is past the 02:00 close
        next_free_slot(station.ctx, counter, SlotNeeds())
    no_double_booking(station)


def test_march_never_offers_a_time_the_clocks_skip(
    station: StationRuntime, supervisor: Actor, counter: Actor
) -> None:
    night_session(station, supervisor, SPRING_SAT, start=time(22), end=time(4))
    offers = finder.find_slots(station.ctx, counter, SlotNeeds(), start_day=SPRING_SUN, days=1, limit=200)
    sunday_night = [s for s in offers if s.start < wall(SPRING_SUN, 4)]
    assert sunday_night, "the small hours of Saturday's session"
    for s in sunday_night:
        here = local(s.start)
        assert here.hour != 1, f"{hhmm(s.start)} does not exist on 28 March"
        assert wall(SPRING_SUN, here.hour, here.minute) == s.start, "the wall time names this very instant"
        assert s.end - s.start == timedelta(hours=1), "an hour is an hour"
    labels = [hhmm(s.start) for s in sunday_night]
    assert labels[:4] == ["00:00", "00:15", "00:30", "00:45"] and labels[4] == "02:00"
    first_across = next(s for s in sunday_night if hhmm(s.start) == "00:30")
    assert hhmm(first_across.end) == "02:30", "00:30 GMT plus an hour is 02:30 BST"


def test_october_offers_the_repeated_hour_twice_labelled_bst_and_gmt_and_books_both(
    station: StationRuntime, supervisor: Actor, counter: Actor
) -> None:
    night_session(station, supervisor, AUTUMN_SAT, start=time(22), end=time(4), officers_on=2)
    offers = finder.find_slots(station.ctx, counter, SlotNeeds(), start_day=AUTUMN_SUN, days=1, limit=200)
    labels = [hhmm(s.start) for s in offers if s.start < wall(AUTUMN_SUN, 4)]
    assert labels[labels.index("00:45") + 1:labels.index("02:00")] == [
        "01:00 BST", "01:15 BST", "01:30 BST", "01:45 BST", "01:00 GMT", "01:15 GMT", "01:30 GMT", "01:45 GMT"]
    bst = next(s for s in offers if hhmm(s.start) == "01:30 BST")
    gmt = next(s for s in offers if hhmm(s.start) == "01:30 GMT")
    assert gmt.start - bst.start == timedelta(hours=1)
    assert hhmm(bst.end) == "01:30 GMT", "an hour after 01:30 BST"
    for s in (bst, gmt):
        book(station.ctx, counter, BookingRequest.for_slot(s, f"Autumn {hhmm(s.start)}"))
    no_double_booking(station)
    with station.ctx.read() as s:
        starts = sorted(s.scalars(select(Appointment.start_at).where(Appointment.visitor_name.like("Autumn%"))))
    assert [hhmm(t) for t in starts] == ["01:30 BST", "01:30 GMT"]


def test_the_board_day_shows_the_small_hours_of_the_night_before_and_counts_real_hours(
    station: StationRuntime, supervisor: Actor
) -> None:
    night_session(station, supervisor, AUTUMN_SAT, start=time(22), end=time(4))
    layout = day_layout(station.ctx, supervisor, AUTUMN_SUN)
    assert layout.sessions[0] == (wall(AUTUMN_SUN, 0), wall(AUTUMN_SUN, 4)), "00:00-04:00 from Saturday's session"
    assert layout.sessions[0][1] - layout.sessions[0][0] == timedelta(hours=5), "the repeated hour counts"
    saturday = day_layout(station.ctx, supervisor, AUTUMN_SAT)
    assert saturday.sessions[-1] == (wall(AUTUMN_SAT, 22), wall(AUTUMN_SUN, 0)), "Saturday's part ends at midnight"


def test_a_session_that_overlaps_the_next_days_across_midnight_is_refused(
    station: StationRuntime, supervisor: Actor
) -> None:
    add_session(station.ctx, supervisor, FRIDAY.weekday(), time(22), time(2))
    with pytest.raises(ValidationError, match="overlaps"):
        add_session(station.ctx, supervisor, SATURDAY.weekday(), time(1), time(3))


def _text(pdf: bytes) -> str:
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return " ".join(" ".join((page.extract_text() or "").split()) for page in doc.pages)  # (a narrow cell wraps)


def test_the_day_sheet_slip_and_report_name_the_repeated_hour(
    station: StationRuntime, supervisor: Actor, counter: Actor
) -> None:
    from frontcounter.services.documents.day_sheet import day_sheet_pdf
    from frontcounter.services.documents.slip import slip_pdf
    from frontcounter.services.reports.text import appointment_row

    night_session(station, supervisor, AUTUMN_SAT, start=time(22), end=time(4))
    offers = finder.find_slots(station.ctx, counter, SlotNeeds(), start_day=AUTUMN_SUN, days=1, limit=200)
    made = [book(station.ctx, counter, BookingRequest.for_slot(next(s for s in offers if hhmm(s.start) == label),
                                                                 f"Autumn {label}"))
            for label in ("01:30 BST", "01:30 GMT")]
    sheet = _text(day_sheet_pdf(station.ctx, supervisor, AUTUMN_SUN))
    assert "01:30 BST" in sheet and "01:30 GMT" in sheet and "to 01:30 GMT" in sheet and "to 02:30" in sheet
    slip = _text(slip_pdf(station.ctx, counter, made[1].reference))
    assert "01:30 GMT – 02:30" in slip
    rows = [appointment_row(m) for m in made]
    assert [(r[3], r[4]) for r in rows] == [("01:30 BST", "01:30 GMT"), ("01:30 GMT", "02:30")]


def test_the_board_labels_real_hours_across_the_clock_changes() -> None:
    from frontcounter.ui.views.day_board_paint import hour_label

    assert [hour_label(AUTUMN_SUN, h) for h in range(0, 4)] == ["00:00", "01:00 BST", "01:00 GMT", "02:00"]
    assert [hour_label(SPRING_SUN, h) for h in range(0, 3)] == ["00:00", "02:00", "03:00"]
    assert hour_label(FRIDAY, 18) == "18:00"
