"""Windows that fit the counter's screen, whatever it is (1280x720 laptops to 1920x1080 monitors).

No window has a fixed size: each asks for the size it would like and gets at most the screen's
available area (less the taskbar, less a window frame), centred there. The main window comes back
where the clerk left it (its geometry is kept in ``Paths.window_state_file``, apart from the user
settings) as long as that still fits the screen it is on now.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QRect, QSettings, QSize
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

logger = logging.getLogger(__name__)

#: What a window manager's title bar and borders take, at most (the frame is unknown before show).
FRAME_ALLOWANCE = QSize(16, 40)


def available_area(widget: QWidget | None = None) -> QRect:
    """The screen area a window may use: the widget's screen (or its parent's), else the primary."""
    screen: QScreen | None = None
    if widget is not None:
        anchor = widget.parentWidget() or widget
        screen = anchor.screen()
    if screen is None:
        screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 720)


def fitted_size(preferred: QSize, area: QRect) -> QSize:
    """``preferred``, shrunk to what fits ``area`` with room for a window frame."""
    return QSize(max(1, min(preferred.width(), area.width() - FRAME_ALLOWANCE.width())),
                 max(1, min(preferred.height(), area.height() - FRAME_ALLOWANCE.height())))


def fit_to_screen(widget: QWidget, preferred: QSize, area: QRect | None = None) -> None:
    """Size ``widget`` to ``preferred`` or the available area, whichever is smaller, and centre it."""
    area = area if area is not None else available_area(widget)
    size = fitted_size(preferred, area)
    _fit_minimum(widget, area)
    widget.resize(size)
    frame = QRect(0, 0, size.width(), size.height())
    frame.moveCenter(area.center())
    widget.move(max(area.left(), frame.left()), max(area.top(), frame.top()))


def _fit_minimum(widget: QWidget, area: QRect) -> None:
    """A minimum size larger than the screen would push the window's edge off it: lower it."""
    room = fitted_size(widget.minimumSize(), area)
    if room != widget.minimumSize():
        widget.setMinimumSize(room)


class WindowState:
    """The main window's geometry between runs (a QSettings INI file under the data dir)."""

    KEY = "main/geometry"

    def __init__(self, path: Path) -> None:
        self._settings = QSettings(str(path), QSettings.Format.IniFormat)

    def restore(self, window: QWidget, preferred: QSize) -> bool:
        """Put ``window`` back where it was, if that fits the screen now; else fit it. True if restored."""
        saved = self._settings.value(self.KEY)
        area = available_area(window)
        _fit_minimum(window, area)
        if saved is not None and window.restoreGeometry(saved):
            geometry = window.geometry()
            if area.contains(geometry) or window.isMaximized():
                return True
            logger.info("saved window geometry %s does not fit the screen %s; fitting it", geometry, area)
        fit_to_screen(window, preferred, area)
        return False

    def save(self, window: QWidget) -> None:
        self._settings.setValue(self.KEY, window.saveGeometry())
        self._settings.sync()
