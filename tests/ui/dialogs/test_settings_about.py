"""The settings dialog writes config.json (never the password, which goes to the keyring) and the
About dialog names the version and the bundled licences."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QLabel, QTextBrowser
from pytestqt.qtbot import QtBot

from frontcounter import __version__
from frontcounter.config import Settings, load_settings
from frontcounter.paths import Paths
from frontcounter.services.security import secrets
from frontcounter.ui.dialogs.about import AboutDialog
from frontcounter.ui.dialogs.settings import SettingsDialog
from tests.conftest import MemoryKeyring


def test_settings_saved_without_the_password(qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    paths = Paths.resolve(tmp_path)
    paths.ensure()
    dialog = SettingsDialog(Settings(station_code="HH"), paths)
    qtbot.addWidget(dialog)
    saved: list[Settings] = []
    dialog.saved.connect(saved.append)
    dialog.central_url.setText("postgresql+psycopg://station_hh@central.example/fc")
    dialog.sslmode.setCurrentIndex(dialog.sslmode.findData("require"))
    dialog.password.setText("s3cret-Pa55")
    dialog.grace.setValue(20)
    dialog.idle_lock.setValue(3)
    dialog.marking.setText("OFFICIAL")
    dialog._on_buttons_accepted()

    on_disk = load_settings(paths.config_file)
    assert on_disk.central_url == "postgresql+psycopg://station_hh@central.example/fc?sslmode=require"
    assert (on_disk.no_show_grace_minutes, on_disk.idle_lock_minutes, on_disk.protective_marking) == (20, 3, "OFFICIAL")
    assert "s3cret" not in paths.config_file.read_text()
    assert json.loads(paths.config_file.read_text())["station_code"] == "HH"
    assert paths.config_file.stat().st_mode & 0o077 == 0
    assert secrets.load_password(on_disk.central_url) == "s3cret-Pa55"
    assert saved and saved[0].policy().no_show_grace_minutes == 20


def test_about_shows_version_and_licences(qtbot: QtBot) -> None:
    dialog = AboutDialog("OFFICIAL-SENSITIVE")
    qtbot.addWidget(dialog)
    labels = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert __version__ in labels and "OFFICIAL-SENSITIVE" in labels
    licences = dialog.findChild(QTextBrowser, "licences").toPlainText()
    assert "DejaVu" in licences and "Apache" in licences and "MIT" in licences
