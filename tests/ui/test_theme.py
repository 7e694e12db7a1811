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


def test_themes_switch_both_ways_without_leaving_colours_behind(qtbot: QtBot, station) -> None:  # type: ignore[no-untyped-def]
    """High contrast → calm left the late rows' yellow text on the calm theme's white."""
    from frontcounter.ui.app_state import AppState
    from frontcounter.ui.kit.appointment_model import RowState
    from frontcounter.ui.shell.main_window import MainWindow
    from frontcounter.ui.views.today import TodayView
    from tests.conftest import actor_named

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    state = AppState(station.ctx, actor_named(station, "counter.HH"), station.settings, station.paths)
    try:
        apply_theme(app, "high-contrast")
        window = MainWindow(state)
        qtbot.addWidget(window)
        window.show()
        today = window.view("today")
        assert isinstance(today, TodayView)
        qtbot.waitUntil(lambda: today.model.rowCount() > 0 and state.tasks.active == 0, timeout=10000)

        def foregrounds() -> set[str]:
            model = today.model
            return {c.foreground.color().name() for r in range(model.rowCount()) for col in range(5)
                    if (c := model.cell(r, col)).foreground is not None}

        dark = foregrounds()
        assert dark & {"#ffffff", "#c0c0c0"}  # the high-contrast text colours are in use
        for theme, unwanted in (("calm", {"#ffff00", "#ffffff", "#7fffd4", "#c0c0c0"}),
                                ("high-contrast", {"#5c4300", "#0d5249", "#52606d", "#616e7c"}),
                                ("calm", {"#ffff00", "#ffffff", "#7fffd4", "#c0c0c0"})):
            apply_theme(app, theme)
            QApplication.processEvents()
            assert not foregrounds() & unwanted, (theme, foregrounds())
        assert today.model.state_at(0) in RowState
    finally:
        apply_theme(app, "calm")
        state.tasks.wait(5000)


def test_the_bundled_fallback_fonts_draw_cjk_and_arabic_names(qtbot: QtBot) -> None:
    """A visitor called 陈伟 or محمد is drawn in glyphs, not boxes, even without system CJK fonts."""
    from PySide6.QtGui import QFontDatabase, QFontMetrics
    from PySide6.QtWidgets import QLabel

    from frontcounter.ui.theme import FALLBACK_FONTS, register_bundled_fonts

    assert register_bundled_fonts() == len(FALLBACK_FONTS)
    families = set(QFontDatabase.families())
    assert "Droid Sans Fallback" in families and any("Arabic" in f for f in families)
    assert QFontDatabase.WritingSystem.SimplifiedChinese in QFontDatabase.writingSystems("Droid Sans Fallback")
    label = QLabel("陈伟")
    qtbot.addWidget(label)
    assert QFontMetrics(label.font()).horizontalAdvance("陈伟") > 0
