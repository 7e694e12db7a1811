"""How a status reads without colour: a glyph and a word (day board, appointment dialog, My appointments)."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication

from frontcounter.db.models import Status
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.ui.kit.labels import status_label
from frontcounter.ui.kit.row_states import AT_RISK_GLYPH, is_at_risk

#: Shape that carries each status without colour; at risk (Today's ◆) overrides booked and waiting.
STATUS_GLYPHS: dict[str, str] = {
    Status.BOOKED: "○",
    Status.ARRIVED: "●",
    Status.IN_PROGRESS: "◐",
    Status.COMPLETED: "✓",
    Status.NO_SHOW: "✗",
    Status.LEFT_UNSEEN: "↩",
    Status.CANCELLED: "⊘",
    Status.RESCHEDULED: "↷",
    "at_risk": AT_RISK_GLYPH,
}


def status_key(view: AppointmentView) -> str:
    """The status the board shows: at risk wins while the visitor is booked or waiting (as in Today)."""
    if is_at_risk(view):
        return "at_risk"
    return view.status


def status_text(view: AppointmentView) -> str:
    key = status_key(view)
    if key == "at_risk":
        return QGuiApplication.translate("AtRisk", "AT RISK")
    if view.channel == "video" and view.status == Status.ARRIVED:  # on the call: "joined", not "arrived"
        return QGuiApplication.translate("DayBoard", "Joined (video)")
    return status_label(view.status)
