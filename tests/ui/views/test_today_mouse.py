"""The Today view by mouse as well as keys, on a 1,000-visitor day.

A click on a row selects it and the details pane shows that visitor at once (the same event-loop
turn, not the next 30-second tick); a double-click opens the row's main action; a right-click
opens a menu holding the row's own actions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from bench.bench_counter import _add_stress_day
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, open_station
from frontcounter.services.core.clock import FixedClock
from frontcounter.ui.app_state import AppState
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.views.today import TodayView
from tests.conftest import actor_named

pytestmark = pytest.mark.wallclock


@pytest.fixture
def busy_station(demo_dir: Path, clock: FixedClock) -> Iterator[StationRuntime]:
    """The demo station with 1,000 more visitors today."""
    _add_stress_day(demo_dir, clock.now())
    runtime = open_station(Paths.resolve(demo_dir), clock=clock)
    yield runtime
    runtime.engine.dispose()


def _open_today(qtbot: QtBot, runtime: StationRuntime) -> tuple[MainWindow, TodayView]:
    state = AppState(runtime.ctx, actor_named(runtime, "counter.HH"), runtime.settings, runtime.paths)
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    today = window.view("today")
    assert isinstance(today, TodayView)
    qtbot.waitUntil(lambda: state.tasks.active == 0 and not today._loading and today.model.rowCount() > 0,
                    timeout=20000)
    return window, today


def _row_point(today: TodayView, row: int) -> QPoint:
    index = today.proxy.index(row, 1)
    today.table.scrollTo(index)
    return today.table.visualRect(index).center()


def test_a_click_shows_the_visitor_at_once(qtbot: QtBot, busy_station: StationRuntime) -> None:
    window, today = _open_today(qtbot, busy_station)
    assert today.model.rowCount() >= 1000
    today.timer.stop()  # nothing but the click may update the pane
    for row in (3, 7, 2):
        view = today.model.view_at(today.proxy.mapToSource(today.proxy.index(row, 0)).row())
        QTest.mouseClick(today.table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         _row_point(today, row))
        # No event loop turn in between: the pane must already show the clicked visitor.
        assert today.selected_view() == view
        assert today.details.when.text().endswith(view.reference)
        assert today.details.name.text() == today.model.visitor_label(view)


# A popup menu on the offscreen platform (no display) says so; on a desktop it grabs as usual.
@pytest.mark.qt_log_ignore("does not support raise", "does not support grabbing")
def test_a_double_click_opens_and_a_right_click_offers_the_row_actions(
        qtbot: QtBot, busy_station: StationRuntime) -> None:
    window, today = _open_today(qtbot, busy_station)
    view = today.model.view_at(today.proxy.mapToSource(today.proxy.index(5, 0)).row())
    point = _row_point(today, 5)
    # What a real double-click delivers: a press and release, then the double-click press.
    QTest.mouseClick(today.table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    QTest.mouseDClick(today.table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    dialog = today.appointment_dialog
    assert dialog is not None and dialog.isVisible()
    assert view.reference in dialog.windowTitle()
    dialog.reject()

    other = today.model.view_at(today.proxy.mapToSource(today.proxy.index(2, 0)).row())
    today.table.customContextMenuRequested.emit(_row_point(today, 2))
    menu = today.row_menu_shown
    assert menu is not None and menu.isVisible()
    assert today.selected_view() == other  # the menu acts on the row under the pointer
    texts = {a.text().replace("&", ""): a for a in menu.actions() if not a.isSeparator()}
    assert {"Open appointment…", "Check in", "Mark no-show", "Print slip…"} <= set(texts)
    assert texts["Check in"] is today.check_in_action and texts["Check in"].isEnabled()
    menu.close()
