"""The booking form end to end through its widgets: details typed, needs ticked, the finder's
proposals respect them, one confirmation books exactly that slot and shows the reference; errors
stay in place; the FCR chooses the station; a slot taken meanwhile is refused and re-offered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import Appointment, Officer, Room
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.scheduling.booking import BookingRequest, book
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.booking import BookingDialog, BookingForm, parse_dob
from frontcounter.ui.views.booking import BookingView
from tests.conftest import actor_named
from tests.demo_keys import in_clear
from tests.unit.roster_fixtures import QUIET_DAY, add_duty, at, counts, last_audit, last_outbox, officer_where


@pytest.fixture
def supervisor_state(station: StationRuntime, supervisor: Actor) -> Iterator[AppState]:
    state = AppState(station.ctx, supervisor, station.settings, station.paths)
    yield state
    state.tasks.wait(5000)


_alive: list[BookingView] = []


@pytest.fixture(autouse=True)
def _keep_views_alive() -> Iterator[None]:
    """qtbot holds widgets weakly; the test holds the form, so hold its view here."""
    yield
    _alive.clear()


def open_form(qtbot: QtBot, state: AppState) -> BookingForm:
    view = BookingView(state)
    _alive.append(view)
    qtbot.addWidget(view)
    view.resize(1300, 980)
    view.show()
    qtbot.waitExposed(view)
    return view.form


def find(qtbot: QtBot, form: BookingForm) -> None:
    form.from_day.setDate(QDate(QUIET_DAY.year, QUIET_DAY.month, QUIET_DAY.day))
    form.days.setValue(1)
    qtbot.mouseClick(form.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.find_button.isEnabled(), timeout=10000)


def test_book_end_to_end_with_needs_and_one_confirmation(
    qtbot: QtBot, supervisor_state: AppState, station: StationRuntime
) -> None:
    speaker = officer_where(station, language="Romanian")
    other = officer_where(station, without_language="Romanian")
    for o in (other, speaker):
        add_duty(station, o, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    form = open_form(qtbot, supervisor_state)
    qtbot.keyClicks(form.name, "Ioana Popa")
    qtbot.keyClicks(form.dob, "03/04/1990")
    qtbot.keyClicks(form.phone, "07700 900 456")
    qtbot.keyClicks(form.email, "ioana@example.org")
    form.reason.setCurrentIndex(form.reason.findData("victim_update"))
    qtbot.keyClicks(form.crime_ref, "41/23456/26")
    form.step_free.setFocus()
    qtbot.keyClick(form.step_free, Qt.Key.Key_Space)  # keyboard first
    form.interpreter.setCurrentText("Romanian")
    qtbot.keyClicks(form.safe_contact, "No voicemail")
    qtbot.keyClicks(form.person_of_choice, "Sister (Anna)")
    qtbot.keyClicks(form.flags, "repeat victim; mental health")
    qtbot.keyClicks(form.notes, "Forensic results back.")
    find(qtbot, form)
    offered = form.slots.slots()
    assert offered, form.banner.text()
    with station.ctx.read() as s:
        for slot in offered:
            assert s.get_one(Room, slot.room_id).step_free
            assert "Romanian" in s.get_one(Officer, slot.officer_id).languages
    assert {s.officer_id for s in offered} == {speaker.id}

    form.slots.setCurrentRow(1)
    chosen = offered[1]
    qtbot.mouseClick(form.book_button, Qt.MouseButton.LeftButton)
    assert form.confirm_frame.isVisible() and "Ioana Popa" in form.confirm_label.text()
    before = counts(station)
    with qtbot.waitSignal(form.booked, timeout=10000) as signal:
        qtbot.keyClick(form.confirm_button, Qt.Key.Key_Space)
    view = signal.args[0]
    assert view.reference in form.result_label.text() and form.result_frame.isVisible()
    assert counts(station) == (before[0] + 1, before[1] + 1)
    assert last_outbox(station)[0].op_type == "appointment.book"
    assert last_audit(station)[0].record == f"appointment:{view.reference}"
    with station.ctx.read() as s:
        row = in_clear(s, s.get_one(Appointment, view.id))  # stored sealed; as an officer reads it
    assert row is not None
    assert (row.start_at, row.room_id, row.officer_id) == (chosen.start, chosen.room_id, chosen.officer_id)
    assert (row.visitor_name, row.visitor_dob, row.visitor_email, row.reason, row.channel) == (
        "Ioana Popa", date(1990, 4, 3), "ioana@example.org", "victim_update", "101_call")
    assert (row.safe_contact, row.person_of_choice, row.briefing_notes, row.crime_reference) == (
        "No voicemail", "Sister (Anna)", "Forensic results back.", "41/23456/26")
    assert row.vulnerability_flags == ["repeat victim", "mental health"]
    assert row.needs_step_free and row.interpreter_language == "Romanian"
    qtbot.mouseClick(form.new_button, Qt.MouseButton.LeftButton)
    assert form.name.text() == "" and not form.result_frame.isVisible()


def test_what_was_typed_wrong_is_said_in_place(qtbot: QtBot, supervisor_state: AppState,
                                               station: StationRuntime) -> None:
    add_duty(station, officer_where(station), at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    form = open_form(qtbot, supervisor_state)
    qtbot.mouseClick(form.book_button, Qt.MouseButton.LeftButton)
    assert "Find slots" in form.banner.text()
    find(qtbot, form)
    qtbot.mouseClick(form.book_button, Qt.MouseButton.LeftButton)
    assert "visitor's name" in form.banner.text() and not form.confirm_frame.isVisible()
    qtbot.keyClicks(form.name, "Sam Example")
    qtbot.keyClicks(form.dob, "31/02/1990")
    qtbot.mouseClick(form.book_button, Qt.MouseButton.LeftButton)
    assert "Date of birth" in form.banner.text()
    form.dob.clear()
    qtbot.keyClicks(form.email, "not-an-email")
    qtbot.mouseClick(form.book_button, Qt.MouseButton.LeftButton)
    assert "email address" in form.banner.text()


def test_a_slot_taken_meanwhile_is_refused_and_the_next_offered(
    qtbot: QtBot, supervisor_state: AppState, station: StationRuntime, counter: Actor
) -> None:
    add_duty(station, officer_where(station), at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    form = open_form(qtbot, supervisor_state)
    qtbot.keyClicks(form.name, "Late Comer")
    find(qtbot, form)
    first = form.slots.current_slot()
    qtbot.mouseClick(form.book_button, Qt.MouseButton.LeftButton)
    book(station.ctx, counter, BookingRequest.for_slot(first, "Quicker Visitor"))  # another clerk
    qtbot.mouseClick(form.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(form.banner.text()), timeout=10000)
    assert "already" in form.banner.text()
    qtbot.waitUntil(lambda: form.find_button.isEnabled() and form.slots.count() > 0, timeout=10000)
    assert all(s.start != first.start or s.officer_id != first.officer_id for s in form.slots.slots())


def test_no_slot_for_the_needs_says_so(qtbot: QtBot, supervisor_state: AppState, station: StationRuntime) -> None:
    add_duty(station, officer_where(station), at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    form = open_form(qtbot, supervisor_state)
    form.interpreter.setCurrentText("Klingon")
    find(qtbot, form)
    assert form.slots.count() == 0 and "speaks Klingon" in form.banner.text()


def test_reason_asks_for_the_specialism_and_who_chooses_the_station(
    qtbot: QtBot, supervisor_state: AppState, station: StationRuntime
) -> None:
    form = open_form(qtbot, supervisor_state)
    form.reason.setCurrentIndex(form.reason.findData("sexual_offence"))
    assert form.specialism.currentData() == "sexual offences (SOIT)"
    form.reason.setCurrentIndex(form.reason.findData("fraud"))
    assert form.specialism.currentData() is None
    assert not form.station.isEnabled() and form.station.count() == 1
    assert not form.all_stations.isVisibleTo(form)
    fcr_state = AppState(station.ctx, actor_named(station, "fcr.HH"), station.settings, station.paths)
    dialog = BookingDialog(fcr_state)
    qtbot.addWidget(dialog)
    fcr = dialog.form
    assert fcr.station.isEnabled() and fcr.station.count() == 11
    assert fcr.all_stations.isVisibleTo(fcr) and fcr.authority_note.isVisibleTo(fcr)
    fcr.all_stations.setChecked(True)
    codes = fcr.station_codes()
    assert codes[0] == "HH" and sorted(codes) == sorted(fcr.station.itemData(i) for i in range(11))
    assert fcr.channel.currentData() == "101_call" and form.channel.currentData() == "101_call"


def test_counter_books_walk_ins_by_default(qtbot: QtBot, station: StationRuntime, counter: Actor) -> None:
    state = AppState(station.ctx, counter, station.settings, station.paths)
    form = open_form(qtbot, state)
    assert form.channel.currentData() == "walk_in"
    assert form.slip_button.isVisibleTo(form) or not form.result_frame.isVisible()


def test_parse_dob() -> None:
    assert parse_dob("") is None
    assert parse_dob("03/04/1990") == date(1990, 4, 3)
    assert parse_dob("1990-04-03") == date(1990, 4, 3)
    with pytest.raises(ValidationError, match="DD/MM/YYYY"):
        parse_dob("yesterday")


def test_the_booking_view_is_in_the_navigation(qtbot: QtBot, station: StationRuntime) -> None:
    from frontcounter.ui.shell.main_window import MainWindow

    state = AppState(station.ctx, actor_named(station, "supervisor.HH"), station.settings, station.paths)
    window = MainWindow(state)
    qtbot.addWidget(window)
    keys = [window.nav.item(i).data(Qt.ItemDataRole.UserRole) for i in range(window.nav.count())]
    assert {"board", "mine", "book", "roster"} <= set(keys)
    view = window.show_view("book")
    assert isinstance(view, BookingView)
    state.tasks.wait(5000)
    counter_state = AppState(station.ctx, actor_named(station, "counter.HH"), station.settings, station.paths)
    counter_window = MainWindow(counter_state)
    qtbot.addWidget(counter_window)
    counter_keys = {counter_window.nav.item(i).data(Qt.ItemDataRole.UserRole) for i in range(counter_window.nav.count())}
    assert "book" in counter_keys and "roster" not in counter_keys and "mine" not in counter_keys
    with station.ctx.read() as s:
        assert s.scalars(select(Appointment)).first() is not None
