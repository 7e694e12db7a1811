"""The Qt binding must not leak references to None: PySide6 6.12.0 lost one per void call, and on
CPython 3.11 (None not immortal) the app aborted after a few thousand repaints. pyproject.toml
keeps that release out; this test keeps it out for good."""

from __future__ import annotations

import sys

from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


def test_void_calls_leave_none_alone(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    pixmap = QPixmap(10, 10)
    before = sys.getrefcount(None)
    for _ in range(20000):
        label.setText("x")
    painter = QPainter(pixmap)
    for _ in range(5000):
        painter.setPen(QColor("navy"))
    painter.end()
    assert sys.getrefcount(None) >= before - 100
