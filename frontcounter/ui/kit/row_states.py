"""What a row of the appointments table means at a glance: its state, the shape that says it, the
row tints, and the loud AT RISK mark. Apart from the model so each stays a readable size."""

from __future__ import annotations

import enum

from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPalette

from frontcounter.db.models import Status
from frontcounter.services.core.appointments import AppointmentView


class RowState(enum.StrEnum):
    """What a row means to the clerk right now (derived from status and the time)."""

    NEXT = "next"  # booked, and the earliest start still to come
    UPCOMING = "upcoming"
    LATE = "late"  # booked, start passed, not yet arrived
    WAITING = "waiting"  # arrived, waiting for the officer
    WITH_OFFICER = "with_officer"
    DONE = "done"  # completed, no-show, left unseen
    RELEASED = "released"  # cancelled or rescheduled: the slot no longer holds


#: Rows below Today's divider: nothing is left to do for them today.
FINISHED_STATES = frozenset({RowState.DONE, RowState.RELEASED})

#: Sorting by status puts who needs attention first.
STATUS_SORT_ORDER = (RowState.LATE, RowState.WAITING, RowState.NEXT, RowState.UPCOMING, RowState.WITH_OFFICER,
                     RowState.DONE, RowState.RELEASED)

#: Shapes that carry the status without colour (all in DejaVu Sans, the fallback on every desktop).
GLYPHS: dict[str, str] = {
    RowState.NEXT: "▶",
    RowState.UPCOMING: "○",
    RowState.LATE: "⚠",
    RowState.WAITING: "●",
    RowState.WITH_OFFICER: "◐",
    Status.COMPLETED: "✓",
    Status.NO_SHOW: "✗",
    Status.LEFT_UNSEEN: "↩",
    Status.CANCELLED: "⊘",
    Status.RESCHEDULED: "↷",
}


#: The at-risk mark: a shape of its own (a solid diamond, not the late ⚠), with the word AT RISK and a red row.
AT_RISK_GLYPH = "◆"


#: (text, fill, border) of an at-risk mark on the light theme: Today's rows, the board's blocks and
#: legend, and the week strip use the one red, which no status uses.
AT_RISK_LIGHT = ("#8a1020", "#fbdadd", "#8a1020")
#: The at-risk text on the dark (high-contrast) theme.
AT_RISK_DARK = "#ff6b6b"


def at_risk_text(count: int | None = None) -> str:
    """The mark in words, the same everywhere: "◆ AT RISK", or with a count "◆ 3 AT RISK"."""
    if count is None:
        return QGuiApplication.translate("AtRisk", "{0} AT RISK").format(AT_RISK_GLYPH)
    return QGuiApplication.translate("AtRisk", "{0} {1} AT RISK").format(AT_RISK_GLYPH, count)


def is_at_risk(view: AppointmentView) -> bool:
    """Booked or waiting, and the officer was pulled away with no one assigned yet."""
    return view.at_risk and view.status in (Status.BOOKED, Status.ARRIVED)


class RowColours:
    """Row tints for the light theme; on a dark (high-contrast) palette, text colours instead."""

    def __init__(self) -> None:
        dark = QGuiApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
        self.dark = dark
        if dark:
            self.background: dict[str, QBrush | None] = {s: None for s in RowState}
            self.at_risk: tuple[QBrush | None, QBrush | None] = (QBrush(QColor(AT_RISK_DARK)), None)
            self.foreground = {
                RowState.NEXT: QBrush(QColor("#ffffff")),
                RowState.LATE: QBrush(QColor("#ffff00")),
                RowState.WAITING: QBrush(QColor("#7fffd4")),
                RowState.RELEASED: QBrush(QColor("#c0c0c0")),
                RowState.DONE: QBrush(QColor("#c0c0c0")),
            }
        else:
            #: (text, fill) of an at-risk row: a red the status colours use nowhere else.
            self.at_risk = (QBrush(QColor(AT_RISK_LIGHT[0])), QBrush(QColor(AT_RISK_LIGHT[1])))
            self.background = {
                RowState.NEXT: QBrush(QColor("#e3ebf6")),
                RowState.LATE: QBrush(QColor("#fff0bf")),
                RowState.WAITING: QBrush(QColor("#d5efeb")),
                RowState.WITH_OFFICER: None,
                RowState.UPCOMING: None,
                RowState.DONE: None,
                RowState.RELEASED: None,
            }
            self.foreground = {
                RowState.LATE: QBrush(QColor("#5c4300")),
                RowState.WAITING: QBrush(QColor("#0d5249")),
                RowState.DONE: QBrush(QColor("#52606d")),
                RowState.RELEASED: QBrush(QColor("#616e7c")),
            }
