"""The GUI meets the machine's failures with a message, never a crash (issue 20): a PDF saved into
a missing folder, a start-up on a damaged cache, a central password with no keyring (this session
only), and settings saved into a read-only data dir."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import AuditEvent, Role
from frontcounter.services.security import secrets
from frontcounter.ui.kit import pdf_preview
from frontcounter.ui.kit.keyring_fallback import store_password_or_ask
from tests.unit.doc_fixtures import World, add_appointment, make_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path)
    yield w
    w.ctx.engine.dispose()


def test_saving_a_pdf_into_a_missing_folder_says_so_and_audits_nothing(qtbot: QtBot, world: World) -> None:
    a = add_appointment(world, visitor_name="Ann Lee")
    dialog = pdf_preview.open_briefing(world.ctx, world.actor(Role.OFFICER), a.reference)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.save_to(Path("/no/such/dir/briefing.pdf"))
    assert dialog.error_label.isVisible()
    assert dialog.error_label.text() == "The folder /no/such/dir does not exist: create it or choose another path."
    with world.ctx.read() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.category == "disclosure")).all() == []


def test_a_damaged_cache_at_start_up_shows_a_message(qtbot: QtBot, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A real damaged station.sqlite (no fault injection): the sign-in window says so in words."""
    from frontcounter.ui.shell.startup import start

    monkeypatch.delenv("FRONTCOUNTER_PASSWORD", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.json").write_text('{"station_code": "HH"}')
    (data / "station.sqlite").write_bytes(b"garbage, not a database " * 100)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    startup = start(app, data, station_code=None, demo=False, preset_user=None)
    qtbot.addWidget(startup.window)
    try:
        qtbot.waitUntil(lambda: startup.window.retry_button.isVisible(), timeout=20000)
        text = startup.window.message.text()
        assert "station.sqlite" in text and "damaged" in text
        assert startup.main_window is None
    finally:
        startup.tasks.wait(20000)
        startup.deleteLater()


def test_no_keyring_offers_the_password_for_this_session_only(qtbot: QtBot) -> None:
    keyring.set_keyring(fail.Keyring())
    parent = QWidget()
    qtbot.addWidget(parent)
    url = "postgresql+psycopg://station_hh@centre.example:5432/frontcounter"
    seen: list[str] = []

    def choose_session() -> None:
        box = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "noKeyringMessage")
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        next(b for b in box.buttons() if "session only" in b.text()).click()

    QTimer.singleShot(0, choose_session)
    assert store_password_or_ask(parent, url, "s3cret")
    assert "No OS keyring is available" in seen[0]
    assert secrets.load_password(url) == "s3cret"  # held for this process only
    secrets._SESSION_ONLY.clear()


def test_settings_saved_to_a_read_only_folder_show_a_message(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontcounter.config import Settings
    from frontcounter.paths import Paths
    from frontcounter.ui.dialogs import connection_settings

    def read_only(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "config.json"))

    monkeypatch.setattr(connection_settings, "save_settings", read_only)
    from frontcounter.ui.tasks import TaskRunner

    tasks = TaskRunner()
    dialog = connection_settings.ConnectionSettingsDialog(Settings(station_code="HH"), Paths.resolve(tmp_path), tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog._on_buttons_accepted()
    assert "is on a read-only disk" in dialog.result.text()
    assert dialog.isVisible()  # it stays open to try again


def test_a_background_task_that_meets_a_locked_cache_hands_the_screen_one_line(qtbot: QtBot) -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from frontcounter.services.core.errors import FrontCounterError
    from frontcounter.ui.tasks import TaskRunner

    def locked(_progress: object) -> None:
        raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))

    tasks = TaskRunner()
    errors: list[BaseException] = []
    tasks.run(locked, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    (error,) = errors
    assert isinstance(error, FrontCounterError)
    assert "is in use by another program (locked)" in error.message
