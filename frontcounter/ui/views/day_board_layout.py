"""The day board's geometry and colours: lanes, blocks, and the palette per status and theme."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from PySide6.QtCore import QRectF
from PySide6.QtGui import (
    QColor,
    QPalette,
)

from frontcounter.db.models import Status
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.ui.kit.row_states import AT_RISK_DARK, AT_RISK_LIGHT

#: (fill, text, border) per status on the light theme, the same as the theme's status pills.
_LIGHT = {
    Status.BOOKED: ("#e3ebf6", "#1d3557", "#7d98c2"),
    Status.ARRIVED: ("#d5efeb", "#0d5249", "#4aa597"),
    Status.IN_PROGRESS: ("#1d3557", "#ffffff", "#1d3557"),
    Status.COMPLETED: ("#e2efd9", "#2b4a1a", "#89b56c"),
    Status.NO_SHOW: ("#fde6d4", "#7a3300", "#e08b4a"),
    Status.CANCELLED: ("#eceff1", "#3e4c59", "#9aa5b1"),
    Status.RESCHEDULED: ("#ede4f6", "#4a2a6a", "#b69ad3"),
    Status.LEFT_UNSEEN: ("#fbe2e3", "#861b22", "#e08a90"),
    "at_risk": (AT_RISK_LIGHT[1], AT_RISK_LIGHT[0], AT_RISK_LIGHT[2]),  # Today's at-risk red
}


@dataclass(frozen=True)
class _Lane:
    kind: str  # "room" or "officer"
    key: uuid.UUID
    title: str
    subtitle: str
    top: float
    height: float


@dataclass
class _Block:
    """One drawn block, with everything its paint needs worked out at layout time."""

    rect: QRectF
    view: AppointmentView
    lane: int
    key: str = ""
    released: bool = False
    title: str = ""
    #: The lines under the title, joined by newlines, already elided to the block's width.
    body: str = ""


class _Palette:
    """Colours for the current theme: status fills on light, outlines on the high-contrast theme."""

    def __init__(self, palette: QPalette) -> None:
        self.dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
        self.base = palette.color(QPalette.ColorRole.Base)
        self.text = palette.color(QPalette.ColorRole.Text)
        self.grid = QColor("#5f6b76") if self.dark else QColor("#d2d8df")
        self.lane_alt = QColor("#1a1a1a") if self.dark else QColor("#f7f8fa")
        self.closed = QColor("#262626") if self.dark else QColor("#eceff1")
        self.duty = QColor("#7fffd4") if self.dark else QColor("#6fbfb3")
        self.withdrawn = QColor("#ffff00") if self.dark else QColor("#b58900")
        self.now = QColor("#ffff00") if self.dark else QColor("#c81e1e")
        self.focus = palette.color(QPalette.ColorRole.Highlight)
        self.header = QColor("#ffffff") if self.dark else QColor("#1d3557")

    def block(self, key: str) -> tuple[QColor, QColor, QColor]:
        fill, text, border = _LIGHT.get(key, _LIGHT[Status.BOOKED])
        if self.dark:
            outline = {"at_risk": AT_RISK_DARK, Status.ARRIVED: "#7fffd4", Status.NO_SHOW: "#ffb347"}.get(key, "#ffffff")
            return QColor("#000000"), QColor("#ffffff"), QColor(outline)
        return QColor(fill), QColor(text), QColor(border)
