"""Input hygiene at the counter: a scan replaces what the search box held; a banner goes when its
cause ends or at the next action; Enter confirms a confirmation's default (the no-show); the
screen mask hides every personal detail everywhere it shows, a banner raised before F9 included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QWidget
from pytestqt.qtbot import QtBot

from frontcounter.db.models import Appointment, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock
from frontcounter.ui.views.today_banner import Cause
from tests.ui.views.test_today_view import Counter, booked_today

pytestmark = pytest.mark.wallclock


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def at_counter(qtbot: QtBot, station: StationRuntime, counter: Actor) -> Iterator[Counter]:
    c = Counter(qtbot, station, counter)
    yield c
    c.state.tasks.wait(5000)


def test_a_scan_replaces_what_the_search_box_held(at_counter: Counter, station: StationRuntime) -> None:
    target = booked_today(station)
    search = at_counter.window.search
    ticks = FakeMonotonic()
    search._monotonic = ticks
    search.setFocus()
    for char in "smi":  # a clerk typed part of a name, then turned to the scanner
        at_counter.qtbot.keyClick(search, char)
        ticks.now += 0.25
    ticks.now += 2.0
    for char in target.reference:  # the scanner: a few ms a key, then Enter
        at_counter.qtbot.keyClick(search, char)
        ticks.now += 0.005
    assert search.text() == "smi" + target.reference
    with at_counter.qtbot.waitSignal(at_counter.today.action_finished, timeout=10000):
        at_counter.qtbot.keyClick(search, Qt.Key.Key_Return)
    at_counter.settle()
    assert "Checked in" in at_counter.banner() and target.reference in at_counter.banner()
    with station.ctx.read() as s:
        assert s.get_one(Appointment, target.id).status == Status.ARRIVED.value
    assert search.text() == ""


def test_typing_at_a_persons_pace_is_not_taken_for_a_scan(at_counter: Counter) -> None:
    search = at_counter.window.search
    ticks = FakeMonotonic()
    search._monotonic = ticks
    search.setText("Wright ")
    for char in "Thomas":
        at_counter.qtbot.keyClick(search, char)
        ticks.now += 0.15
    assert search.scanned_text() is None


def test_banners_go_when_their_cause_ends_or_at_the_next_action(at_counter: Counter, station: StationRuntime) -> None:
    today = at_counter.today
    at_counter.type("zzqx")
    at_counter.qtbot.keyClick(at_counter.window.search, Qt.Key.Key_Return)
    assert "Nobody today matches" in at_counter.banner() and today.banner.cause == Cause.SEARCH
    at_counter.window.search.clear()  # the search it was about is gone
    assert not today.banner.isVisible()

    target = booked_today(station)
    at_counter.scan(target.reference)
    assert "Checked in" in at_counter.banner()
    other = booked_today(station, after_minutes=30)
    at_counter.type(other.reference[:5])  # the next visitor: the last outcome has done its job
    assert not today.banner.isVisible()


def test_enter_confirms_a_no_show(at_counter: Counter, station: StationRuntime, clock: FixedClock) -> None:
    target = booked_today(station)
    clock.set(target.start + timedelta(minutes=16))
    at_counter.today.tick()
    assert at_counter.today.select_reference(target.reference)
    at_counter.today.no_show_action.trigger()
    assert "as a no-show?" in at_counter.banner()
    default = at_counter.today.banner.buttons[0]
    assert default.isDefault() and "Confirm no-show" in default.text().replace("&", "")
    with at_counter.qtbot.waitSignal(at_counter.today.action_finished, timeout=10000):
        at_counter.qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    at_counter.settle()
    with station.ctx.read() as s:
        assert s.get_one(Appointment, target.id).status == Status.NO_SHOW.value


def test_enter_in_the_list_confirms_rather_than_checks_in(
        at_counter: Counter, station: StationRuntime, clock: FixedClock) -> None:
    target = booked_today(station)
    clock.set(target.start + timedelta(minutes=16))
    at_counter.today.tick()
    assert at_counter.today.select_reference(target.reference)
    at_counter.today.no_show_action.trigger()
    at_counter.today.table.setFocus()
    with at_counter.qtbot.waitSignal(at_counter.today.action_finished, timeout=10000):
        at_counter.qtbot.keyClick(at_counter.today.table, Qt.Key.Key_Return)
    at_counter.settle()
    with station.ctx.read() as s:
        assert s.get_one(Appointment, target.id).status == Status.NO_SHOW.value


def visible_texts() -> list[str]:
    """Every string a visible widget shows or offers: text, tooltips, titles, accessible text, and
    each visible table cell's display text and tooltip."""
    out: list[str] = []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        out.append(top.windowTitle())
        for widget in [top, *top.findChildren(QWidget)]:
            if not widget.isVisible():
                continue
            for getter in ("text", "toolTip", "windowTitle", "accessibleName", "accessibleDescription",
                           "placeholderText", "title"):
                method = getattr(widget, getter, None)
                if callable(method):
                    try:
                        value = method()
                    except TypeError:
                        continue
                    if isinstance(value, str):
                        out.append(value)
            if isinstance(widget, QAbstractItemView) and widget.model() is not None:
                model = widget.model()
                try:
                    columns = model.columnCount(QModelIndex())
                except TypeError:  # a list model
                    columns = 1
                for row in range(min(model.rowCount(QModelIndex()), 200)):
                    for column in range(columns):
                        index = model.index(row, column)
                        for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                     Qt.ItemDataRole.AccessibleTextRole):
                            value = index.data(role)
                            if isinstance(value, str):
                                out.append(value)
    return out


def test_the_mask_hides_every_name_everywhere(at_counter: Counter, station: StationRuntime) -> None:
    target = booked_today(station)
    at_counter.scan(target.reference)  # a banner with the visitor's name, raised before F9
    assert target.visitor_name and target.visitor_name in at_counter.banner()
    today = at_counter.today
    assert today.select_reference(target.reference)
    today.open_selected()  # the appointment opened in full
    dialog = today.appointment_dialog
    assert dialog is not None
    at_counter.qtbot.waitExposed(dialog)
    names = {v.visitor_name for v in today.model.views() if v.visitor_name}
    names |= {v.person_of_choice for v in today.model.views() if v.person_of_choice}
    shown = "\n".join(visible_texts())
    assert target.visitor_name in shown  # the walk does see names when the mask is off

    at_counter.window.mask_action.trigger()  # F9
    QApplication.processEvents()
    shown = "\n".join(visible_texts())
    leaked = sorted(name for name in names if name in shown)
    assert not leaked, (leaked, [t for t in visible_texts() if any(n in t for n in leaked)])
    assert "Screen mask: on" in at_counter.window.mask_label.text()

    at_counter.window.mask_action.trigger()  # off again: the names come back
    QApplication.processEvents()
    assert target.visitor_name in at_counter.banner()
    dialog.reject()
