"""The one-line message a dialog or view shows in place, and the text an error gives it."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QWidget,
)

from frontcounter.services.core.errors import FrontCounterError

logger = logging.getLogger(__name__)


class Banner(QFrame):
    """A one-line message in place (info, warning or error): how expected errors are shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAccessibleName(self.tr("Message"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        prefix = {"error": "✗ ", "warning": "⚠ ", "info": "ℹ "}.get(kind, "")
        self.label.setText(prefix + text)
        self.setProperty("banner", kind)
        style = self.style()
        style.unpolish(self)
        style.polish(self)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def clear(self) -> None:
        self.label.clear()
        self.hide()


def error_text(exc: BaseException, fallback: str) -> str:
    """An expected error's own message; a bug becomes the fallback line (and goes to the log)."""
    if isinstance(exc, FrontCounterError):
        return exc.message
    logger.error("unexpected error in a background task", exc_info=exc)
    return fallback


def centre_error_text(exc: BaseException, url: str, fallback: str) -> str:
    """At the FCR desk (working on the centre, no cache): a lost link in words, saying that nothing
    was booked or changed and what was typed is kept; any other error as ``error_text``."""
    from frontcounter.services.sync.connection import FCR_CONSEQUENCE, classify

    if not isinstance(exc, FrontCounterError):
        translated = classify(exc, url, consequence=FCR_CONSEQUENCE)
        if translated is not None:
            logger.warning("the centre could not be reached: %s", exc)
            return translated.message
    return error_text(exc, fallback)
