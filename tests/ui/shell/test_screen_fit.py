"""Any counter screen: no fixed window size. The main window fits the screen's available area (or
comes back where it was, if that still fits); every top-level dialog asks for no more than a
1280x720 screen holds, and once fitted there its buttons are inside it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QAbstractButton, QDialog, QDialogButtonBox, QWidget
from pytestqt.qtbot import QtBot

from frontcounter.runtime import StationRuntime
from frontcounter.services.core import appointments
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import local
from frontcounter.services.documents.briefing import briefing_pdf
from frontcounter.services.documents.slip import slip_pdf
from frontcounter.ui.app_state import AppState
from frontcounter.ui.kit.screen_fit import FRAME_ALLOWANCE, WindowState, available_area, fit_to_screen
from frontcounter.ui.shell.main_window import MainWindow
from tests.conftest import actor_named

pytestmark = pytest.mark.wallclock

SCREENS = (QRect(0, 0, 1280, 720), QRect(0, 0, 1366, 768), QRect(0, 0, 1920, 1080))


@pytest.fixture
def state(station: StationRuntime) -> Iterator[AppState]:
    app_state = AppState(station.ctx, actor_named(station, "supervisor.HH"), station.settings, station.paths)
    yield app_state
    app_state.tasks.wait(5000)


def _a_visitor(state: AppState) -> AppointmentView:
    day = local(state.ctx.clock.now()).date()
    return next(v for v in appointments.list_day(state.ctx, state.actor, day) if v.officer_id is not None)


def _dialogs(state: AppState, parent: QWidget) -> dict[str, Callable[[], QDialog]]:
    from frontcounter.ui.dialogs.about import AboutDialog
    from frontcounter.ui.dialogs.appointment import (
        AppointmentDialog,
        AssignOfficerDialog,
        CancelDialog,
        RescheduleDialog,
    )
    from frontcounter.ui.dialogs.booking import BookingDialog
    from frontcounter.ui.dialogs.connection_settings import ConnectionSettingsDialog
    from frontcounter.ui.dialogs.feedback import FeedbackDialog
    from frontcounter.ui.dialogs.import_appointments import ImportDialog
    from frontcounter.ui.dialogs.login import LoginDialog
    from frontcounter.ui.dialogs.roster import PulledAwayDialog, RoomDialog, SessionDialog
    from frontcounter.ui.dialogs.settings import SettingsDialog
    from frontcounter.ui.dialogs.walk_in import WalkInDialog
    from frontcounter.ui.kit.pdf_preview import PdfPreviewDialog

    view = _a_visitor(state)
    slip = slip_pdf(state.ctx, state.actor, view.reference, destination="screen")
    briefing = briefing_pdf(state.ctx, state.actor, view.reference, destination="screen")
    today: date = local(state.ctx.clock.now()).date()
    return {
        "about": lambda: AboutDialog("OFFICIAL-SENSITIVE", parent),
        "appointment": lambda: AppointmentDialog(state, view, parent),
        "assign officer": lambda: AssignOfficerDialog(state, view, parent),
        "cancel": lambda: CancelDialog(state, view, parent),
        "reschedule": lambda: RescheduleDialog(state, view, parent),
        "booking": lambda: BookingDialog(state, parent),
        "connection": lambda: ConnectionSettingsDialog(state.settings, state.paths, state.tasks, parent),
        "feedback": lambda: FeedbackDialog(state, view, parent),
        "import": lambda: ImportDialog(state, parent),
        "sign in": lambda: LoginDialog(state.ctx, username="counter.HH"),
        "slip preview": lambda: PdfPreviewDialog(slip, title="Slip", suggested_name="slip.pdf",
                                                 produce=lambda _d, _r: slip, parent=parent),
        "briefing preview": lambda: PdfPreviewDialog(briefing, title="Briefing", suggested_name="b.pdf",
                                                     produce=lambda _d, _r: briefing, parent=parent),
        "pulled away": lambda: PulledAwayDialog(state, today, parent),
        "room": lambda: RoomDialog(state, parent=parent),
        "session": lambda: SessionDialog(state, parent=parent),
        "settings": lambda: SettingsDialog(state.settings, state.paths, parent),
        "walk-in": lambda: WalkInDialog(state, parent),
    }


def test_every_dialog_fits_a_1280x720_screen_with_its_buttons_visible(qtbot: QtBot, state: AppState) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    room = QSize(1280 - FRAME_ALLOWANCE.width(), 720 - FRAME_ALLOWANCE.height())
    too_big = []
    for name, make in _dialogs(state, parent).items():
        dialog = make()
        if dialog.parent() is None:
            qtbot.addWidget(dialog)
        for what, hint in (("sizeHint", dialog.sizeHint()), ("minimumSizeHint", dialog.minimumSizeHint())):
            if hint.width() > room.width() or hint.height() > room.height():
                too_big.append(f"{name}: {what} {hint.width()}x{hint.height()}")
        fit_to_screen(dialog, dialog.size().expandedTo(dialog.sizeHint()), SCREENS[0])
        assert dialog.width() <= room.width() and dialog.height() <= room.height(), name
        dialog.show()
        qtbot.waitExposed(dialog)
        inside = dialog.rect()
        for box in dialog.findChildren(QDialogButtonBox):
            for button in box.findChildren(QAbstractButton):
                if button.isVisible():
                    corner = button.mapTo(dialog, button.rect().bottomRight())
                    assert inside.contains(corner), f"{name}: {button.text()} at {corner} outside {inside}"
        dialog.reject()
        state.tasks.wait(5000)
    assert not too_big, too_big


def test_the_main_window_fits_the_available_area(qtbot: QtBot, state: AppState) -> None:
    window = MainWindow(state)
    qtbot.addWidget(window)
    area = available_area(window)
    assert area.contains(window.geometry()), (window.geometry(), area)
    for screen in SCREENS:
        fit_to_screen(window, QSize(1920, 1200), screen)
        assert screen.contains(window.geometry())
        assert window.width() <= screen.width() - FRAME_ALLOWANCE.width()


def test_the_window_comes_back_where_it_was_when_that_fits(qtbot: QtBot, state: AppState) -> None:
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.resize(790, 650)
    window.move(2, 3)
    window.close()  # saves the geometry
    again = MainWindow(state)
    qtbot.addWidget(again)
    assert again.size() == QSize(790, 650)
    # A saved geometry that no longer fits (a bigger screen last time) is fitted instead.
    WindowState(state.paths.window_state_file).save(_huge(qtbot))
    fitted = MainWindow(state)
    qtbot.addWidget(fitted)
    assert available_area(fitted).contains(fitted.geometry())


def _huge(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.setGeometry(0, 0, 3000, 2000)
    return widget


def test_today_columns_fit_their_content_and_needs_takes_the_rest(qtbot: QtBot, state: AppState) -> None:
    from PySide6.QtGui import QFont, QFontMetrics

    from frontcounter.ui.kit.appointment_model import Column
    from frontcounter.ui.views.today import TodayView

    window = MainWindow(state)
    qtbot.addWidget(window)
    window.show()
    fit_to_screen(window, QSize(1920, 1200), SCREENS[2])
    today = window.view("today")
    assert isinstance(today, TodayView)
    qtbot.waitUntil(lambda: today.model.rowCount() > 0 and state.tasks.active == 0, timeout=10000)
    table = today.table
    bold = QFont(table.font())
    bold.setBold(True)
    longest = max(QFontMetrics(bold).horizontalAdvance(v.visitor_name or "") for v in today.model.views())
    assert table.columnWidth(Column.VISITOR) >= longest  # no name elided on a wide screen
    others = sum(table.columnWidth(c) for c in Column if c != Column.NEEDS)
    assert table.columnWidth(Column.NEEDS) >= table.viewport().width() - others - 2  # the rest
    assert table.columnWidth(Column.TIME) < table.columnWidth(Column.VISITOR)


@pytest.mark.parametrize("screen", [QRect(0, 0, 1280, 720), QRect(0, 0, 1600, 1000), QRect(0, 0, 1920, 1080)],
                         ids=["1280x720", "1600x1000", "1920x1080"])
def test_today_with_the_details_open_clips_no_column_and_no_button(
        qtbot: QtBot, station: StationRuntime, screen: QRect) -> None:
    """The columns are fitted to the table's real width (the details pane open beside it), again
    whenever it changes; nothing runs off the side, each column keeps at least its floor, and on a
    wide screen the needs column shares the room rather than taking it all."""
    from frontcounter.ui.kit.appointment_model import Column
    from frontcounter.ui.kit.column_fit import BOUNDS
    from frontcounter.ui.views.today import TodayView

    state = AppState(station.ctx, actor_named(station, "counter.HH"), station.settings, station.paths)
    window = MainWindow(state)
    qtbot.addWidget(window)
    fit_to_screen(window, QSize(3000, 3000), screen)
    window.show()
    qtbot.waitExposed(window)
    today = window.view("today")
    assert isinstance(today, TodayView)
    qtbot.waitUntil(lambda: today.model.rowCount() > 0 and state.tasks.active == 0, timeout=10000)
    today._select_proxy_row(3)
    assert today.details.isVisible() and today.selected_view() is not None
    table = today.table
    for width in (None, table.width() - 150, table.width() + 150):  # and as the splitter moves
        if width is not None:
            table.resize(width, table.height())
        viewport = table.viewport().width()
        widths = {c: table.columnWidth(c) for c in Column}
        assert table.horizontalScrollBar().maximum() == 0, (screen, widths, viewport)
        assert sum(widths.values()) <= viewport + 1, (screen, widths, viewport)
        for column, (low, _high) in BOUNDS.items():
            assert widths[column] >= low, (screen, column, widths)
        assert widths[Column.NEEDS] < viewport // 2, (screen, widths)  # the room is shared
    about = today.details.scroller.widget()  # the facts scroll rather than lose their last lines
    assert about.height() >= about.minimumSizeHint().height(), (screen, about.height())
    for button in today.details.findChildren(QAbstractButton):
        if button.isVisible():  # every label whole
            assert button.width() >= button.sizeHint().width(), (screen, button.text(), button.width())
    state.tasks.wait(5000)


def test_the_booking_form_keeps_its_multi_line_fields_tall_on_a_short_screen(
        qtbot: QtBot, state: AppState) -> None:
    """At 1280x720, in the calm theme, the booking form scrolls; the confidential notes keep their
    three lines rather than being squeezed to one by the theme's editor min-height."""
    from PySide6.QtWidgets import QApplication

    from frontcounter.ui.theme import apply_theme
    from frontcounter.ui.views.booking import BookingView

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, "calm")
    try:
        window = MainWindow(state)
        qtbot.addWidget(window)
        fit_to_screen(window, QSize(3000, 3000), SCREENS[0])
        window.show()
        book = window.show_view("book")
        assert isinstance(book, BookingView)
        qtbot.waitUntil(lambda: book.form.isVisible(), timeout=5000)
        assert book.form.notes.height() >= 90 and book.form.address.height() >= 52
    finally:
        app.setStyleSheet("")


def test_scrolling_the_booking_form_changes_none_of_its_fields(qtbot: QtBot, state: AppState) -> None:
    """The wheel over a combo box the clerk has not clicked into scrolls the form; the reason stays."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    from frontcounter.ui.views.booking import BookingView

    window = MainWindow(state)
    qtbot.addWidget(window)
    fit_to_screen(window, QSize(3000, 3000), SCREENS[0])
    window.show()
    book = window.show_view("book")
    assert isinstance(book, BookingView)
    qtbot.waitUntil(lambda: book.form.isVisible(), timeout=5000)
    reason = book.form.reason
    before = reason.currentIndex()
    centre = QPointF(reason.rect().center())
    wheel = QWheelEvent(centre, QPointF(reason.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(reason, wheel)
    assert reason.currentIndex() == before
