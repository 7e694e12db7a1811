"""Form fields that behave on a short screen, where a form scrolls.

- The wheel over a combo box or a spin box the clerk has not clicked into scrolls the form instead
  of changing the field (scrolling the booking form at 1280x720 had silently changed the visit's
  reason from "Report a crime" to "Fraud").
- A multi-line editor keeps the height it was given: the theme's "min-height: 1.4em" for every
  editor otherwise wins over ``setFixedHeight``, and the booking form's confidential notes shrank
  to one line with scroll arrows.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QPlainTextEdit,
    QWidget,
)


class WheelGuard(QObject):
    """Event filter: a wheel turn over an unfocused combo or spin box goes to the scroll area."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            area = _scroll_area_of(watched)
            if area is not None:
                QApplication.sendEvent(area.verticalScrollBar(), event)
            return True  # the field keeps its value
        return False


def _scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def guard_wheel(root: QWidget) -> WheelGuard:
    """Guard every combo and spin box under ``root`` (call once its fields exist)."""
    guard = WheelGuard(root)
    for field in [*root.findChildren(QComboBox), *root.findChildren(QAbstractSpinBox)]:
        field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel alone does not focus it
        field.installEventFilter(guard)
    return guard


def fixed_height(editor: QPlainTextEdit, pixels: int) -> None:
    """``editor`` exactly ``pixels`` tall whatever the theme's stylesheet says."""
    editor.setFixedHeight(pixels)
    editor.setStyleSheet(f"QPlainTextEdit {{ min-height: {pixels}px; max-height: {pixels}px; }}")
