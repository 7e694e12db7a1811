"""Accessibility: Tab reaches every control of each main screen, in a sensible order, and every
focusable control has an accessible name or a visible label (DESIGN.md: keyboard-first)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from frontcounter.runtime import StationRuntime
from frontcounter.ui.app_state import AppState
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.shell.navigation import views_for
from tests.conftest import actor_named

ROLES = ("counter.HH", "officer.HH", "supervisor.HH", "fcr.HH", "auditor.HH", "admin.HH")


def _focusable(root: QWidget) -> list[QWidget]:
    return [
        w for w in root.findChildren(QWidget)
        if w.isVisibleTo(root) and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus
        and w.focusProxy() is None and not w.objectName().startswith("qt_")
    ]


def _tab_cycle(qtbot: QtBot, window: MainWindow, limit: int = 400) -> list[QWidget]:
    others = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not window]
    assert not [w for w in others if w.isModal()], f"a modal window is open: {others}"
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search)
    seen: list[QWidget] = [window.search]
    for _ in range(limit):
        current = QApplication.focusWidget()
        qtbot.keyClick(current, Qt.Key.Key_Tab)
        nxt = QApplication.focusWidget()
        if nxt is None or nxt is window.search:
            break
        if nxt not in seen:
            seen.append(nxt)
    return seen


def _has_name(w: QWidget) -> bool:
    if w.accessibleName() or (isinstance(w, QAbstractButton) and w.text().strip()):
        return True
    # A QLabel buddy counts as a visible label.
    return any(label.buddy() is w for label in w.window().findChildren(QLabel))


@pytest.mark.parametrize("username", ROLES)
def test_tab_reaches_every_control_of_every_screen(qtbot: QtBot, station: StationRuntime, username: str) -> None:
    actor = actor_named(station, username)
    state = AppState(station.ctx, actor, station.settings, station.paths)
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    for spec in views_for(state):
        view = window.show_view(spec.key) if spec.key in window._built else None
        if view is None:
            window.nav.setCurrentRow([s.key for s in views_for(state)].index(spec.key))
            view = window.view(spec.key)
        qtbot.waitUntil(lambda: state.tasks.active == 0, timeout=10000)
        reached = _tab_cycle(qtbot, window)
        expected = [w for w in _focusable(window) if view.isAncestorOf(w) or w is window.search or w is window.nav]
        missing = [f"{type(w).__name__}:{w.objectName() or w.accessibleName() or getattr(w, 'text', str)()}" for w in expected if w not in reached]
        assert not missing, f"{username} / {spec.key}: Tab never reaches {missing}"
        # Sensible order: the search box first, then the navigation, then the view's own controls.
        assert reached[0] is window.search and reached[1] is window.nav, f"{spec.key}: {reached[:3]}"
        unnamed = [f"{type(w).__name__}:{w.objectName()}" for w in expected if not _has_name(w)]
        assert not unnamed, f"{username} / {spec.key}: no accessible name on {unnamed}"
