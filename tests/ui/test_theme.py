"""Both themes load from the compiled resources without Qt warnings (pytest fails on any, see
qt_log_level_fail), every icon named in the .qrc loads, and the committed resources are current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from frontcounter.ui.theme import THEMES, apply_theme, icon

ROOT = Path(__file__).resolve().parents[2]
QRC = ROOT / "resources" / "frontcounter.qrc"


@pytest.mark.parametrize("name", sorted(THEMES))
def test_theme_applies_and_paints(qtbot: QtBot, name: str) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, name)
    try:
        w = QWidget()
        layout = QVBoxLayout(w)
        layout.addWidget(QLineEdit("Jane Smith"))
        layout.addWidget(QPushButton("Check in"))
        qtbot.addWidget(w)
        w.show()
        assert not w.grab().isNull()
        assert app.styleSheet()
    finally:
        apply_theme(app, "calm")


def test_every_icon_in_the_qrc_loads(qtbot: QtBot) -> None:
    names = re.findall(r'(?:alias="icons/|>icons/)([\w-]+)\.svg', QRC.read_text())
    assert len(names) >= 20
    for name in names:
        assert not icon(name).pixmap(24, 24).isNull(), name


@pytest.mark.skipif(not QRC.exists(), reason="resources/ not in this tree")
def test_compiled_resources_are_current() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "resources" / "build_resources.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
