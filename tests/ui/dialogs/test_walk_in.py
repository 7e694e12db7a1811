"""The walk-in dialog driven through its real widgets: the proposal respects room features, the
officer's language and duty; Book books exactly that slot (channel walk_in); two clerks accepting
the same proposal never double-book; the day chooser; the slip is offered; the Today view opens it
with Ctrl+N and shows the new visitor.

At DEMO_NOW (Mon 23 Nov 17:30) the demo's two evening officers at HH are booked at 18:00 and 19:00;
each test adds the officer, duty and room features it is about.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import Appointment, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock, local
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.walk_in import WalkInDialog
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.views.today import TodayView
from tests.unit.scheduling.test_booking import add_duty, add_officer, at, set_rooms

TODAY = date(2026, 11, 23)


@pytest.fixture
def state(station: StationRuntime, counter: Actor) -> Iterator[AppState]:
    app_state = AppState(station.ctx, counter, station.settings, station.paths)
    yield app_state
    app_state.tasks.wait(5000)


@pytest.fixture
def family_room_step_free(station: StationRuntime) -> None:
    """Interview Room 1 (booked all evening) and the Family Room are step-free; Room 2 is not."""
    set_rooms(station, **{"Interview Room 1": {"step_free": True, "hearing_loop": True},
                          "Interview Room 2": {}, "Family Room": {"step_free": True, "child_friendly": True}})


def open_dialog(qtbot: QtBot, state: AppState) -> WalkInDialog:
    dialog = WalkInDialog(state)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def fill(qtbot: QtBot, dialog: WalkInDialog, name: str, *, phone: str = "07700 900 321", step_free: bool = False,
         language: str = "") -> None:
    qtbot.keyClicks(dialog.name, name)
    qtbot.keyClicks(dialog.phone, phone)
    dialog.reason.setCurrentIndex(dialog.reason.findData("property"))
    if step_free:
        qtbot.keyClick(dialog.step_free, Qt.Key.Key_Space)  # keyboard first
    if language:
        dialog.language.setCurrentText(language)


def find(qtbot: QtBot, dialog: WalkInDialog) -> object:
    with qtbot.waitSignal(dialog.proposed, timeout=10000) as signal:
        qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    return signal.args[0]


def book(qtbot: QtBot, dialog: WalkInDialog) -> None:
    with qtbot.waitSignals([dialog.booked], timeout=10000):
        qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)


def appointments_at(station: StationRuntime, start: object) -> list[Appointment]:
    with station.ctx.read() as s:
        return list(s.scalars(select(Appointment).where(Appointment.start_at == start,
                                                        Appointment.status != Status.CANCELLED.value,
                                                        Appointment.status != Status.RESCHEDULED.value)))


def test_walk_in_gets_a_step_free_room_and_an_officer_who_speaks_the_language(
    qtbot: QtBot, station: StationRuntime, state: AppState, family_room_step_free: None
) -> None:
    urdu = add_officer(station, "Bilal Urdu", languages=("English", "Urdu"))
    add_duty(station, urdu, at(TODAY, 16, 30), at(TODAY, 20, 30))
    off_duty = add_officer(station, "Off Duty Urdu", languages=("English", "Urdu"))  # speaks it, not rostered
    withdrawn = add_officer(station, "Pulled Away Urdu", languages=("English", "Urdu"))
    add_duty(station, withdrawn, at(TODAY, 16, 30), at(TODAY, 20, 30), withdrawn_at=at(TODAY, 17, 0))
    plain = add_officer(station, "Plain English")
    add_duty(station, plain, at(TODAY, 16, 30), at(TODAY, 20, 30))

    dialog = open_dialog(qtbot, state)
    fill(qtbot, dialog, "Walk In Visitor", step_free=True, language="Urdu")
    slot = find(qtbot, dialog)
    assert slot is not None
    assert (f"{local(slot.start):%H:%M}", slot.room_name, slot.officer_id) == ("18:00", "Family Room", urdu)
    assert slot.officer_id not in (off_duty, withdrawn, plain)
    text = dialog.proposal_label.text()
    assert "Today 18:00–19:00 · Family Room" in text and "Bilal Urdu" in text and "(speaks Urdu)" in text
    assert dialog.book_button.isEnabled() and dialog.book_button.isDefault()

    book(qtbot, dialog)
    view = dialog.appointment
    assert view is not None and "Booked: reference" in dialog.proposal_label.text()
    with station.ctx.read() as s:
        row = s.get_one(Appointment, view.id)
    assert (row.channel, row.room_id, row.officer_id, row.start_at) == ("walk_in", slot.room_id, urdu, slot.start)
    assert (row.visitor_name, row.visitor_phone, row.reason) == ("Walk In Visitor", "07700 900 321", "property")
    assert row.needs_step_free and row.interpreter_language == "Urdu" and row.created_by == "counter.HH"
    # The slip is offered next (Enter would open it).
    assert dialog.slip_button.isVisible() and dialog.slip_button.isDefault() and not dialog.book_button.isVisible()


def test_without_a_suitable_officer_the_next_free_day_is_proposed_or_none(
    qtbot: QtBot, station: StationRuntime, state: AppState, family_room_step_free: None
) -> None:
    dialog = open_dialog(qtbot, state)
    fill(qtbot, dialog, "Klingon Speaker", language="Klingon")
    assert find(qtbot, dialog) is None
    assert "No free slot from Mon 23 Nov for the next 14 days with an officer who speaks Klingon" in \
        dialog.proposal_label.text()
    assert not dialog.book_button.isEnabled()

    # Today's evening officers are all booked; a plain walk-in is offered the next free day instead.
    dialog.language.setCurrentText("")
    slot = find(qtbot, dialog)
    assert slot is not None and local(slot.start).date() > TODAY
    assert dialog.proposal_label.text().startswith("Nothing free on Mon 23 Nov. Next free slot:")


def test_two_clerks_accepting_the_same_slot_never_double_book(
    qtbot: QtBot, station: StationRuntime, state: AppState, family_room_step_free: None
) -> None:
    spare = add_officer(station, "Spare Officer")
    add_duty(station, spare, at(TODAY, 16, 30), at(TODAY, 20, 30))
    first, second = open_dialog(qtbot, state), open_dialog(qtbot, state)
    fill(qtbot, first, "First Walk In")
    fill(qtbot, second, "Second Walk In")
    slot_one, slot_two = find(qtbot, first), find(qtbot, second)
    assert slot_one == slot_two  # both see the same free slot
    book(qtbot, first)
    with qtbot.waitSignal(second.failed, timeout=10000) as failed:
        qtbot.mouseClick(second.book_button, Qt.MouseButton.LeftButton)
    assert "taken a moment ago" in failed.args[0] and second.appointment is None
    assert "Find next free slot" in second.proposal_label.text() and not second.book_button.isEnabled()
    assert len(appointments_at(station, slot_one.start)) == 3  # the demo's two and one walk-in: no clash
    # Finding again offers the next one, which books.
    slot_three = find(qtbot, second)
    assert slot_three is not None and slot_three.start > slot_one.start
    book(qtbot, second)
    assert second.appointment is not None


def test_changing_a_need_or_the_day_withdraws_the_proposal(
    qtbot: QtBot, station: StationRuntime, state: AppState, clock: FixedClock
) -> None:
    spare = add_officer(station, "Spare Officer")
    add_duty(station, spare, at(TODAY, 16, 30), at(TODAY, 20, 30))
    dialog = open_dialog(qtbot, state)
    fill(qtbot, dialog, "Choosy Visitor")
    assert find(qtbot, dialog) is not None
    qtbot.keyClick(dialog.hearing_loop, Qt.Key.Key_Space)
    assert dialog.proposal is None and not dialog.book_button.isEnabled()
    assert "find the next free slot again" in dialog.proposal_label.text()
    # The day chooser starts today and cannot go back.
    assert dialog.day.date() == QDate(2026, 11, 23) and dialog.day.minimumDate() == QDate(2026, 11, 23)
    dialog.day.setDate(QDate(2026, 11, 25))
    slot = find(qtbot, dialog)
    assert slot is None or local(slot.start).date() >= date(2026, 11, 25)


def test_book_without_a_name_asks_for_it(qtbot: QtBot, station: StationRuntime, state: AppState) -> None:
    spare = add_officer(station, "Spare Officer")
    add_duty(station, spare, at(TODAY, 16, 30), at(TODAY, 20, 30))
    dialog = open_dialog(qtbot, state)
    assert find(qtbot, dialog) is not None
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    assert dialog.error.isVisible() and "Enter the visitor's name" in dialog.error.text()
    assert dialog.appointment is None


def test_walk_in_from_today_with_the_keyboard_then_the_slip(
    qtbot: QtBot, station: StationRuntime, state: AppState, clock: FixedClock
) -> None:
    spare = add_officer(station, "Spare Officer", languages=("English", "Polish"))
    add_duty(station, spare, at(TODAY, 16, 30), at(TODAY, 20, 30))
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    today = window.view("today")
    assert isinstance(today, TodayView)
    qtbot.waitUntil(lambda: state.tasks.active == 0 and today.model.rowCount() > 0, timeout=10000)
    before = today.model.rowCount()
    qtbot.keyClick(window.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(today.walk_in_dialog, WalkInDialog) and today.walk_in_dialog.isVisible())
    dialog = today.walk_in_dialog
    assert isinstance(dialog, WalkInDialog)
    qtbot.keyClicks(dialog.name, "Keyboard Walker")
    dialog.language.setCurrentText("Polish")
    with qtbot.waitSignal(dialog.proposed, timeout=10000):
        qtbot.keyClick(dialog.name, Qt.Key.Key_Return)  # Enter: find
    with qtbot.waitSignal(today.loaded, timeout=10000), qtbot.waitSignal(dialog.booked, timeout=10000):
        qtbot.keyClick(dialog.name, Qt.Key.Key_Return)  # Enter again: book
    assert today.model.rowCount() == before + 1
    assert today.selected_view() is not None and today.selected_view().visitor_name == "Keyboard Walker"
    assert "Booked" in today.banner.text.text()
    qtbot.keyClick(dialog.slip_button, Qt.Key.Key_Return)  # and Enter once more: the slip
    qtbot.waitUntil(lambda: dialog.slip_dialog is not None, timeout=10000)
    assert dialog.slip_dialog is not None and dialog.appointment is not None
    assert dialog.appointment.reference in dialog.slip_dialog.windowTitle()
    dialog.slip_dialog.close()
    dialog.close()
