"""GUI start-up (issue 15): the sign-in window is on screen and takes typing while the station cache
is still opening behind it (a slow migration injected through frontcounter.runtime's ``upgrade``),
the main window follows with today's list filled, and a start-up problem is shown in words."""

from __future__ import annotations

import errno
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy.exc
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import frontcounter.runtime
from frontcounter.ui.shell.startup import Startup, StationOpener, start
from tests.conftest import actor_named

#: Runs again under shifted wall clocks in CI (scripts/test-any-date.sh -m wallclock).
pytestmark = pytest.mark.wallclock


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Holds the migration (run on the start-up worker) until the test sets it."""
    released = threading.Event()
    real = frontcounter.runtime.upgrade

    def slow_upgrade(engine: Any) -> None:
        assert released.wait(20), "the test never let the migration finish"
        real(engine)

    monkeypatch.setattr(frontcounter.runtime, "upgrade", slow_upgrade)
    yield released
    released.set()  # never leave a worker blocked behind a failed test


def _start(qtbot: QtBot, demo_dir: Path, **kwargs: Any) -> Startup:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    startup = start(app, demo_dir, station_code=None, demo=False, preset_user=None, **kwargs)
    qtbot.addWidget(startup.window)
    qtbot.waitExposed(startup.window)
    return startup


def _close(startup: Startup) -> None:
    startup.tasks.wait(20000)
    if startup.main_window is not None:
        state = startup.main_window.state  # type: ignore[attr-defined]
        startup.main_window.close()
        state.tasks.wait(20000)
    startup.deleteLater()


def test_sign_in_window_takes_typing_while_the_database_is_still_migrating(
        qtbot: QtBot, demo_dir: Path, gate: threading.Event, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRONTCOUNTER_PASSWORD", raising=False)
    startup = _start(qtbot, demo_dir)
    window = startup.window
    try:
        assert window.isVisible() and window.objectName() == "SignInWindow"
        assert "Hemel Hempstead" in window.station_label.text()  # from config.json, no database yet
        assert window.marking_label.text() == "OFFICIAL-SENSITIVE"
        qtbot.waitUntil(lambda: startup.tasks.active == 1)  # the worker is inside the migration
        assert "Opening the station database" in window.message.text()

        window.user.clear()
        qtbot.keyClicks(window.user, "supervisor.HH")
        qtbot.keyClick(window.user, Qt.Key.Key_Return)  # Enter moves to the password
        assert window.password.hasFocus() or QApplication.focusWidget() is window.password
        qtbot.keyClicks(window.password, "demo")
        qtbot.keyClick(window.password, Qt.Key.Key_Return)
        assert window.user.text() == "supervisor.HH" and window.password.text() == "demo"
        assert startup.result is None and startup.main_window is None  # still migrating
        assert "Still opening" in window.message.text()

        with qtbot.waitSignal(startup.main_shown, timeout=20000) as shown:
            gate.set()
        main = shown.args[0]
        qtbot.addWidget(main)
        assert main.isVisible() and not window.isVisible()
        assert main.state.actor.username == "supervisor.HH"
        today = main.view("today")
        assert today.model.rowCount() > 0  # shown with today's list already in it
    finally:
        _close(startup)


def test_a_wrong_password_is_said_and_the_user_can_try_again(
        qtbot: QtBot, demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRONTCOUNTER_PASSWORD", raising=False)
    startup = _start(qtbot, demo_dir)
    window = startup.window
    try:
        qtbot.waitUntil(lambda: startup.result is not None, timeout=20000)
        window.user.setText("counter.HH")
        window.password.setText("not-the-password")
        window.sign_in_button.click()
        qtbot.waitUntil(lambda: window.password.text() == "" and not window.password.isReadOnly(), timeout=20000)
        assert window.banner.isVisible() and window.message.text()
        assert startup.main_window is None and window.isVisible()
        window.password.setText("demo")
        with qtbot.waitSignal(startup.main_shown, timeout=20000) as shown:
            window.sign_in_button.click()
        qtbot.addWidget(shown.args[0])
    finally:
        _close(startup)


def _locked(_engine: Any) -> None:
    raise sqlalchemy.exc.OperationalError("PRAGMA ...", {}, sqlite3.OperationalError("database is locked"))


def _broken_migration(_engine: Any) -> None:
    raise KeyError("0007_rooms_capacity")


@pytest.mark.parametrize(("upgrade", "words"), [
    (_locked, "The station database is locked: another FrontCounter"),
    (_broken_migration, "could not be brought up to date for this version of FrontCounter (migration failed"),
])
def test_a_start_up_problem_is_shown_in_words_with_retry(
        qtbot: QtBot, demo_dir: Path, monkeypatch: pytest.MonkeyPatch, upgrade: Any, words: str) -> None:
    monkeypatch.delenv("FRONTCOUNTER_PASSWORD", raising=False)
    real = frontcounter.runtime.upgrade
    monkeypatch.setattr(frontcounter.runtime, "upgrade", upgrade)
    startup = _start(qtbot, demo_dir)
    window = startup.window
    try:
        qtbot.waitUntil(lambda: window.retry_button.isVisible(), timeout=20000)
        assert words in window.message.text()
        assert "Traceback" not in window.message.text()
        assert not window.sign_in_button.isEnabled() and window.banner.property("banner") == "error"
        window.grab().save(str(demo_dir.parent / "startup-problem.png"))

        monkeypatch.setattr(frontcounter.runtime, "upgrade", real)  # the other program closed
        window.retry_button.click()
        qtbot.waitUntil(lambda: startup.result is not None, timeout=20000)
        assert window.sign_in_button.isEnabled() and not window.retry_button.isVisible()
    finally:
        _close(startup)


def test_a_read_only_data_dir_is_shown_in_words(qtbot: QtBot, demo_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRONTCOUNTER_PASSWORD", raising=False)

    def read_only() -> Any:
        raise PermissionError(errno.EROFS, "Read-only file system", str(demo_dir / "station.sqlite"))

    startup = _start(qtbot, demo_dir, open_station=read_only)
    try:
        qtbot.waitUntil(lambda: startup.window.retry_button.isVisible(), timeout=20000)
        text = startup.window.message.text()
        assert f"The data folder {demo_dir} cannot be written (Read-only file system)" in text
    finally:
        _close(startup)


def test_the_default_opener_opens_and_names_the_station(demo_dir: Path) -> None:
    opened = StationOpener(demo_dir, station_code=None, demo=False)()
    try:
        assert opened.runtime.ctx.station_code == "HH" and not opened.never_synced
        assert opened.runtime.settings.station_name == "Hemel Hempstead"
    finally:
        opened.runtime.engine.dispose()


def test_a_temporary_password_is_changed_before_the_main_window_opens(
        qtbot: QtBot, demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An administrator's reset forces a new password at the first sign-in of the day too, not only
    at Switch user (the start-up sign-in window hands over to the same dialog)."""
    from PySide6.QtCore import QTimer

    from frontcounter.paths import Paths
    from frontcounter.runtime import open_station
    from frontcounter.services.security.users import reset_password
    from frontcounter.ui.dialogs.login import LoginDialog

    monkeypatch.delenv("FRONTCOUNTER_PASSWORD", raising=False)
    runtime = open_station(Paths.resolve(demo_dir))
    reset_password(runtime.ctx, actor_named(runtime, "admin.HH"), "counter.HH", "Temporary-Pass-1")
    runtime.engine.dispose()
    seen: list[str] = []

    def answer() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, LoginDialog) and w.isVisible())
        seen.append(dialog.error.text())
        dialog.password.setText("Temporary-Pass-1")
        dialog._on_buttons_accepted()  # the temporary password again: the dialog asks for a new one
        dialog.new_password.setText("Lantern-Harbour-93!")
        dialog.repeat_password.setText("Lantern-Harbour-93!")
        dialog._on_buttons_accepted()

    startup = _start(qtbot, demo_dir)
    window = startup.window
    try:
        qtbot.waitUntil(lambda: startup.result is not None, timeout=20000)
        window.user.setText("counter.HH")
        window.password.setText("Temporary-Pass-1")
        QTimer.singleShot(300, answer)
        with qtbot.waitSignal(startup.main_shown, timeout=20000) as shown:
            window.sign_in_button.click()
        qtbot.addWidget(shown.args[0])
        assert seen and "temporary" in seen[0]
        assert shown.args[0].state.actor.username == "counter.HH"
    finally:
        _close(startup)
