"""Sessions at a shared counter: Switch user and Sign out any number of times, without a crash or
a dialog that cannot be answered, and nothing of the previous user left on screen (views, banners,
search text, previews)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMainWindow, QWidget
from pytestqt.qtbot import QtBot

from frontcounter.runtime import StationRuntime
from frontcounter.ui.app_state import AppState
from frontcounter.ui.shell.lock import SessionLock
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.views.today import TodayView
from tests.conftest import actor_named

pytestmark = pytest.mark.wallclock


class Counter:
    """The app as __main__ builds it: a window, the lock, and a rebuild for another role."""

    def __init__(self, qtbot: QtBot, runtime: StationRuntime) -> None:
        self.qtbot = qtbot
        self.state = AppState(runtime.ctx, actor_named(runtime, "counter.HH"), runtime.settings, runtime.paths)
        self.windows: list[MainWindow] = []
        first = self._build()
        self.lock = SessionLock(first, self.state, idle_seconds=0, rebuild=self._build)
        first.show()
        qtbot.waitExposed(first)
        self.settle()

    def _build(self) -> QMainWindow:
        window = MainWindow(self.state)
        self.windows.append(window)
        return window

    @property
    def window(self) -> MainWindow:
        window = self.lock.window
        assert isinstance(window, MainWindow)
        return window

    def settle(self) -> None:
        self.qtbot.waitUntil(lambda: self.state.tasks.active == 0, timeout=15000)
        QApplication.processEvents()

    def sign_in_on_panel(self, username: str) -> None:
        panel = self.lock.panel
        assert panel is not None and panel.pages.currentIndex() == 1
        panel.switch_user.setText(username)
        panel.switch_password.setText("demo")
        with self.qtbot.waitSignal(self.lock.user_switched, timeout=15000):
            self.qtbot.keyClick(panel.switch_password, Qt.Key.Key_Return)
        self.settle()


@pytest.fixture
def counter(qtbot: QtBot, station: StationRuntime) -> Iterator[Counter]:
    app = Counter(qtbot, station)
    yield app
    app.state.tasks.wait(5000)
    for window in app.windows:
        if shiboken6.isValid(window):
            window.close()
            window.deleteLater()
    app.lock.dispose()
    QApplication.processEvents()


def _leave_traces(counter: Counter) -> str:
    """What a clerk leaves behind: a search, a selected visitor, a banner, an open slip preview."""
    window = counter.window
    today = window.view("today")
    assert isinstance(today, TodayView)
    counter.qtbot.waitUntil(lambda: today.model.rowCount() > 0, timeout=10000)
    view = today.model.views()[0]
    name = view.visitor_name or ""
    window.search.setText(name.split()[0])
    today.select_reference(view.reference)
    today.banner.show_message("info", f"Checked in {name}")
    return name


def _texts_on_screen() -> list[str]:
    texts = []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        for widget in [top, *top.findChildren(QWidget)]:
            if widget.isVisible():
                text = getattr(widget, "text", None)
                if callable(text) and isinstance(widget, QLabel | QWidget):
                    try:
                        value = text()
                    except TypeError:
                        continue
                    if isinstance(value, str):
                        texts.append(value)
                texts.append(widget.toolTip())
                texts.append(widget.windowTitle())
    return texts


def test_switch_user_five_times_then_sign_out(qtbot: QtBot, counter: Counter) -> None:
    users = ["supervisor.HH", "counter.HH", "officer.HH", "counter.HH", "supervisor.HH"]
    for username in users:
        name = _leave_traces(counter)
        counter.window.session_menu  # noqa: B018 (the menu exists in every window)
        with qtbot.waitSignal(counter.lock.locked, timeout=2000):
            counter.lock.switch_action.trigger()
        counter.sign_in_on_panel(username)
        window = counter.window
        assert window.isVisible() and not counter.lock.is_locked
        assert window.state.actor.username == username
        assert window.user_button.text().startswith(username)
        assert window.search.text() == ""
        assert not any(name in text for text in _texts_on_screen()), username
        assert not [d for d in QApplication.topLevelWidgets() if isinstance(d, QDialog) and d.isVisible()]

    name = _leave_traces(counter)
    window = counter.window
    with qtbot.waitSignal(counter.lock.signed_out, timeout=5000):
        counter.lock.sign_out_action.trigger()
    assert counter.lock.is_locked
    panel = counter.lock.panel
    assert panel is not None and panel.pages.currentIndex() == 1 and not panel.back_button.isVisible()
    assert "counter.HH" not in panel.who.text() and "supervisor.HH" not in panel.who.text()
    assert not any(name in text for text in _texts_on_screen())
    counter.sign_in_on_panel("counter.HH")
    assert counter.window.state.actor.username == "counter.HH" and counter.window.isVisible()
    assert counter.window is not window or counter.window.search.text() == ""


def test_a_crash_report_can_be_answered_while_the_screen_is_locked(qtbot: QtBot, counter: Counter) -> None:
    from PySide6.QtWidgets import QMessageBox

    from frontcounter.ui.shell.lock import CRASH_DIALOG

    counter.lock.lock()
    box = QMessageBox(QMessageBox.Icon.Critical, "FrontCounter", "Something went wrong.")
    box.setObjectName(CRASH_DIALOG)
    carry_on = box.addButton("Carry on", QMessageBox.ButtonRole.AcceptRole)
    box.show()
    qtbot.waitExposed(box)
    with qtbot.waitSignal(box.finished, timeout=2000):
        qtbot.mouseClick(carry_on, Qt.MouseButton.LeftButton)
    assert counter.lock.is_locked
    # Anything else still cannot be reached under the cover.
    today = counter.window.view("today")
    assert isinstance(today, TodayView)
    assert counter.lock.eventFilter(today.table.viewport(), _press())


def _press() -> object:
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent

    return QMouseEvent(QEvent.Type.MouseButtonPress, QPointF(5, 5), QPointF(5, 5), Qt.MouseButton.LeftButton,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)


def test_an_auditor_signing_in_after_a_clerk_is_refused_nothing(
        qtbot: QtBot, counter: Counter, station: StationRuntime) -> None:
    from sqlalchemy import select

    from frontcounter.db.models import AuditEvent

    _leave_traces(counter)
    counter.lock.switch_action.trigger()
    counter.sign_in_on_panel("auditor.HH")
    counter.settle()
    with station.ctx.read() as s:
        denied = s.scalars(select(AuditEvent).where(AuditEvent.username == "auditor.HH",
                                                    AuditEvent.outcome == "denied")).all()
    assert [e.action for e in denied] == []
    assert counter.window.current_key() == "audit"


def test_switching_to_a_user_with_a_temporary_password_asks_for_their_own(
        qtbot: QtBot, counter: Counter, station: StationRuntime) -> None:
    from frontcounter.services.security import auth, users

    temp = "Temporary-Pass-1"
    users.reset_password(station.ctx, actor_named(station, "admin.HH"), "officer.HH", temp)
    users.reset_password(station.ctx, actor_named(station, "admin.HH"), "supervisor.HH", temp)
    counter.lock.switch_action.trigger()
    panel = counter.lock.panel
    assert panel is not None
    panel.switch_user.setText("officer.HH")
    panel.switch_password.setText(temp)
    with qtbot.waitSignal(counter.lock.user_switched, timeout=15000):
        panel.switch_button.click()
    dialog = counter.lock.change_password_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.new_password.setText("Officers-Own-9")  # type: ignore[attr-defined]
    dialog.repeat_password.setText("Officers-Own-9")  # type: ignore[attr-defined]
    dialog._on_buttons_accepted()  # type: ignore[attr-defined]
    assert not counter.lock.is_locked
    assert auth.sign_in(station.ctx, "officer.HH", "Officers-Own-9")

    counter.lock.switch_action.trigger()
    panel = counter.lock.panel
    assert panel is not None
    panel.switch_user.setText("supervisor.HH")
    panel.switch_password.setText(temp)
    with qtbot.waitSignal(counter.lock.user_switched, timeout=15000):
        panel.switch_button.click()
    dialog = counter.lock.change_password_dialog
    assert dialog is not None
    with qtbot.waitSignal(counter.lock.signed_out, timeout=5000):
        dialog.reject()  # no own password: no session
    assert counter.lock.is_locked and counter.lock.is_signed_out
