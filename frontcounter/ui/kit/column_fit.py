"""Today's columns sized to what they hold, the needs column taking the rest.

A fixed width per column either elides names on a 1280 px laptop or, on a 1920 px monitor, leaves
every column narrow and the needs column a wide empty band. Each column is instead as wide as its
widest main or detail line (bold where the model draws bold), within bounds, worked out once per
load from the model's cached cells; the last column stretches. The clerk may still drag a border.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QTableView

from frontcounter.ui.kit.appointment_delegate import AppointmentDelegate
from frontcounter.ui.kit.appointment_model import AppointmentTableModel, Column

#: Narrowest and widest each content-sized column may get (px at the base font).
BOUNDS: dict[Column, tuple[int, int]] = {
    Column.TIME: (72, 140),
    Column.VISITOR: (140, 340),
    Column.ROOM: (110, 260),
    Column.STATUS: (110, 240),
}


def content_widths(model: AppointmentTableModel, font: QFont) -> dict[Column, int]:
    """The width each content-sized column needs for its widest line (header included)."""
    bold = QFont(font)
    bold.setBold(True)
    small = QFont(font)
    if small.pointSizeF() > 0:
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.9))
    metrics = {"": QFontMetrics(font), "bold": QFontMetrics(bold), "struck": QFontMetrics(font)}
    small_metrics = QFontMetrics(small)
    padding = 2 * AppointmentDelegate.PADDING + 8
    out: dict[Column, int] = {}
    for column, (low, high) in BOUNDS.items():
        widest = QFontMetrics(bold).horizontalAdvance(str(model.headerData(column, Qt.Orientation.Horizontal)))
        seen: set[tuple[str, str]] = set()
        for row in range(model.rowCount()):
            cell = model.cell(row, column)
            if (cell.main, cell.font) not in seen:
                seen.add((cell.main, cell.font))
                widest = max(widest, metrics[cell.font].horizontalAdvance(cell.main))
            if cell.detail and (cell.detail, "small") not in seen:
                seen.add((cell.detail, "small"))
                widest = max(widest, small_metrics.horizontalAdvance(cell.detail))
        out[column] = max(low, min(high, widest + padding))
    return out


def fit_columns(table: QTableView, model: AppointmentTableModel) -> None:
    """Size the content columns to ``model``'s rows; the last (needs) column stretches."""
    for column, width in content_widths(model, table.font()).items():
        table.setColumnWidth(column, width)
