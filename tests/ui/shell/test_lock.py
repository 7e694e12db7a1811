"""The session lock with pytest-qt: idle lock after the configured time, lock now (Ctrl+L), no
input reaching the covered screen, unlock restoring exactly what was on screen, lockout after five
wrong passwords, switch user (same navigation, or a rebuilt window for another role), and an open
dialog covered and kept."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QMainWindow, QVBoxLayout
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import AuditEvent, Role, Station, User
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime
from frontcounter.services.security.auth import hash_password
from frontcounter.ui.app_state import AppState
from frontcounter.ui.shell.lock import SessionLock
from frontcounter.ui.shell.lock_screen import LockCover
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.views.audit import AuditView
from tests.conftest import actor_named
from tests.screens import screenshot_dir

#: Runs again under shifted wall clocks in CI (scripts/test-any-date.sh -m wallclock).
pytestmark = pytest.mark.wallclock

DOCS = screenshot_dir()
SECOND_PASSWORD = "Zebra-Lantern-42!"


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _add_user(runtime: StationRuntime, username: str, role: Role, password: str) -> None:
    with runtime.ctx.write.begin() as s:
        station = s.scalars(select(Station).where(Station.code == "HH")).one()
        s.add(User(id=uuid.uuid4(), username=username, display_name=username.title(), role=role.value,
                   station_id=station.id, password_hash=hash_password(password), active=True))


@pytest.fixture
def window(qtbot: QtBot, station: StationRuntime) -> Iterator[MainWindow]:
    """The auditor's main window (a screen that exists in every build), shown and idle."""
    state = AppState(station.ctx, actor_named(station, "auditor.HH"), station.settings, station.paths)
    main = MainWindow(state)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    qtbot.waitUntil(lambda: state.tasks.active == 0, timeout=10000)
    yield main
    state.tasks.wait(5000)


def _lock(window: MainWindow, **kwargs: object) -> SessionLock:
    kwargs.setdefault("idle_seconds", 0)
    return SessionLock(window, window.state, **kwargs)  # type: ignore[arg-type]


def _unlock(qtbot: QtBot, lock: SessionLock, password: str) -> None:
    assert lock.panel is not None
    lock.panel.password.setText(password)
    with qtbot.waitSignal(lock.unlocked, timeout=10000):
        lock.panel.unlock_button.click()


def test_idle_lock_after_the_configured_time(qtbot: QtBot, window: MainWindow) -> None:
    clock = FakeMonotonic()
    lock = _lock(window, idle_seconds=120, monotonic=clock, check_interval_ms=10)
    clock.now += 119
    qtbot.wait(60)
    assert not lock.is_locked
    qtbot.keyClick(window.search, Qt.Key.Key_A)  # a key press is activity: the count starts again
    clock.now += 119
    qtbot.wait(60)
    assert not lock.is_locked
    with qtbot.waitSignal(lock.locked, timeout=2000):
        clock.now += 2
    central = window.centralWidget()
    assert central is not None and not central.isVisible()
    covers = window.findChildren(LockCover)
    assert len(covers) == 1 and covers[0].geometry() == window.rect() and covers[0].isVisible()
    assert lock.panel is not None and lock.panel.isVisible()
    assert QApplication.focusWidget() is lock.panel.password
    assert "auditor.HH" in lock.panel.who.text()


def test_idle_time_comes_from_settings(qtbot: QtBot, window: MainWindow) -> None:
    window.state.settings.idle_lock_minutes = 3
    lock = SessionLock(window, window.state)
    assert lock.idle_seconds == 180
    window.state.settings.idle_lock_minutes = 0
    assert SessionLock(window, window.state).idle_seconds == 0  # off; Ctrl+L still locks


def test_unlock_gives_back_exactly_what_was_on_screen(qtbot: QtBot, window: MainWindow) -> None:
    from frontcounter.ui.theme import apply_theme

    apply_theme(QApplication.instance(), "calm")  # type: ignore[arg-type]
    lock = _lock(window)
    view = window.view("audit")
    assert isinstance(view, AuditView)
    with qtbot.waitSignal(view.searched, timeout=10000):
        view.search()
    assert view.model.rowCount() > 0
    view.table.selectRow(0)
    view.user.setText("counter.HH")
    window.search.setText("half-typed HH-")
    window.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search)

    with qtbot.waitSignal(lock.locked, timeout=2000):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert lock.panel is not None
    # Nothing typed or clicked reaches the covered screen, and no shortcut fires.
    qtbot.keyClicks(window.search, "xyz")
    qtbot.keyClick(window.search, Qt.Key.Key_F9)
    assert window.search.text() == "half-typed HH-" and not window.state.masked
    DOCS.mkdir(exist_ok=True)
    assert window.grab().save(str(DOCS / "lock-screen.png"))

    lock.panel.password.setText("not the password")
    with qtbot.waitSignal(lock.unlock_failed, timeout=10000) as failed:
        lock.panel.unlock_button.click()
    assert failed.args == ["Wrong user name or password."] and lock.is_locked
    assert lock.panel.password.text() == "" and lock.panel.error.isVisible()

    _unlock(qtbot, lock, "demo")
    assert not lock.is_locked and not window.findChildren(LockCover)
    assert window.centralWidget().isVisible()
    assert window.search.text() == "half-typed HH-"
    assert view.user.text() == "counter.HH"
    assert [i.row() for i in view.table.selectionModel().selectedRows()] == [0]
    assert window.current_key() == "audit"
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search)
    assert window.state.actor.username == "auditor.HH"


def test_lockout_after_five_wrong_passwords(qtbot: QtBot, window: MainWindow, station: StationRuntime) -> None:
    lock = _lock(window)
    lock.lock()
    assert lock.panel is not None
    messages = []
    for _ in range(6):
        lock.panel.password.setText("guess")
        with qtbot.waitSignal(lock.unlock_failed, timeout=10000) as failed:
            lock.panel.unlock_button.click()
        messages.append(failed.args[0])
    assert messages[:5] == ["Wrong user name or password."] * 5
    assert messages[5].startswith("Too many wrong passwords: this account is locked here for")
    # Locked out: even the right password is refused until the lockout ends.
    lock.panel.password.setText("demo")
    with qtbot.waitSignal(lock.unlock_failed, timeout=10000) as failed:
        lock.panel.unlock_button.click()
    assert "locked" in failed.args[0] and lock.panel.error.text() == failed.args[0]
    with station.ctx.read() as s:
        outcomes = [e.details.get("reason") for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action == "sign_in", AuditEvent.username == "auditor.HH")
            .order_by(AuditEvent.local_seq))]
    assert outcomes == ["password"] * 5 + ["locked"] * 2


def test_switch_user_with_the_same_navigation(qtbot: QtBot, window: MainWindow, station: StationRuntime) -> None:
    _add_user(station, "auditor2.HH", Role.AUDITOR, SECOND_PASSWORD)
    lock = _lock(window)
    window.search.setText("previous user's search")
    with qtbot.waitSignal(lock.locked, timeout=2000):
        lock.switch_action.trigger()
    panel = lock.panel
    assert panel is not None and panel.pages.currentIndex() == 1
    panel.switch_user.setText("auditor2.HH")
    panel.switch_password.setText(SECOND_PASSWORD)
    with qtbot.waitSignals([lock.unlocked, lock.user_switched], timeout=10000, order="strict"):
        panel.switch_button.click()
    assert window.state.actor.username == "auditor2.HH"
    assert window.search.text() == "" and window.isVisible() and not lock.is_locked
    assert window.user_button.text().startswith("auditor2.HH")


def test_switch_to_another_role_rebuilds_the_window(qtbot: QtBot, station: StationRuntime) -> None:
    # Not registered with qtbot: the lock closes and deletes this window itself.
    state = AppState(station.ctx, actor_named(station, "auditor.HH"), station.settings, station.paths)
    window = MainWindow(state)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: state.tasks.active == 0, timeout=10000)
    built: list[QMainWindow] = []

    def rebuild() -> QMainWindow:
        new = MainWindow(state)
        qtbot.addWidget(new)
        built.append(new)
        return new

    lock = _lock(window, rebuild=rebuild)
    lock.switch_action.trigger()
    assert lock.panel is not None
    lock.panel.switch_user.setText("admin.HH")
    lock.panel.switch_password.setText("demo")
    with qtbot.waitSignal(lock.user_switched, timeout=10000):
        lock.panel.switch_button.click()
    assert len(built) == 1 and built[0].isVisible() and lock.window is built[0]
    assert "audit" not in [built[0].nav.item(i).data(Qt.ItemDataRole.UserRole) for i in range(built[0].nav.count())]
    qtbot.waitUntil(lambda: not shiboken6.isValid(window), timeout=2000)  # the old one is gone
    # The new window has the lock too.
    with qtbot.waitSignal(lock.locked, timeout=2000):
        qtbot.keyClick(built[0], Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    _unlock(qtbot, lock, "demo")
    state.tasks.wait(5000)


def test_an_open_dialog_is_covered_and_keeps_what_was_typed(qtbot: QtBot, window: MainWindow) -> None:
    lock = _lock(window)
    dialog = QDialog(window)
    dialog.setWindowTitle("Booking")
    field = QLineEdit("Visitor: Jane Smith")
    QVBoxLayout(dialog).addWidget(field)
    dialog.setModal(True)
    dialog.show()
    qtbot.waitExposed(dialog)
    with qtbot.waitSignal(lock.locked, timeout=2000):
        lock.lock()
    assert lock.panel is not None and dialog.isAncestorOf(lock.panel)  # the modal one takes the input
    assert [c.parentWidget() for c in window.findChildren(LockCover)] in ([window, dialog], [dialog, window])
    assert not window.centralWidget().isVisible()
    _unlock(qtbot, lock, "demo")
    assert dialog.isVisible() and field.text() == "Visitor: Jane Smith"
    assert not dialog.findChildren(LockCover)
    dialog.reject()


def test_the_app_starts_with_the_lock_in_the_session_menu(
    qtbot: QtBot, demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from frontcounter.cli.main import build_parser
    from frontcounter.config import load_settings, save_settings
    from frontcounter.startup import run_gui

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs its own
    # Local only: the copied demo's config names the shared template's centre, and a background
    # sync must not write there (nor outlive this test).
    config = Paths.resolve(demo_dir).config_file
    settings = load_settings(config)
    settings.central_url = None
    save_settings(config, settings)
    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")
    seen: dict[str, list[str]] = {}

    def fake_exec(_app: QApplication) -> int:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        assert len(windows) == 1
        seen["menu"] = [a.shortcut().toString() or a.text() for a in windows[0].session_menu.actions()]
        windows[0].state.tasks.wait(5000)
        windows[0].close()
        windows[0].deleteLater()
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    args = build_parser().parse_args(["--data-dir", str(demo_dir), "--user", "auditor.HH"])
    assert run_gui(args) == 0
    assert seen["menu"][0] == "Ctrl+L" and len(seen["menu"]) == 2


def test_the_sign_in_dialog_says_when_an_account_is_locked_out(qtbot: QtBot, station: StationRuntime) -> None:
    from frontcounter.ui.dialogs.login import LoginDialog

    dialog = LoginDialog(station.ctx, username="counter.HH")
    qtbot.addWidget(dialog)
    dialog.show()
    for _ in range(5):
        dialog.password.setText("not-it")
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
        assert dialog.error.text() == "Wrong user name or password." and dialog.actor is None
        assert dialog.password.text() == ""
    dialog.password.setText("demo")  # right, but too late
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.error.text().startswith("Too many wrong passwords: this account is locked here for 15 more minutes")
    assert dialog.actor is None and dialog.isVisible()
    # The lockout ends by itself.
    station.ctx.clock.advance(timedelta(minutes=16))  # type: ignore[attr-defined]
    dialog.password.setText("demo")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.actor is not None and dialog.actor.username == "counter.HH"
