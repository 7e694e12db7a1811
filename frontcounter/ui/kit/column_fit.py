"""Today's columns sized to what they hold and to the width the table really has.

A fixed width per column either elides names on a 1280 px laptop or, on a 1920 px monitor, leaves
every column narrow and the needs column a wide empty band. Each column instead wants the width of
its widest main or detail line (bold where the model draws bold), within bounds, worked out once per
load from the model's cached cells. The widths are then fitted to the viewport each time it changes
size (the details pane opening, the splitter, the window): on a narrow table the columns give up
their spare room, down to a floor, and long text is elided (the cell's tooltip holds all of it); on
a wide one the spare room is shared by every column, so the needs column does not take it all.
The clerk may still drag a border; from then on the widths are theirs.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QTableView

from frontcounter.ui.kit.appointment_delegate import AppointmentDelegate
from frontcounter.ui.kit.appointment_model import AppointmentTableModel, Column

#: Narrowest and widest each content-sized column may get (px at the base font).
BOUNDS: dict[Column, tuple[int, int]] = {
    Column.TIME: (72, 140),
    Column.VISITOR: (120, 340),
    Column.ROOM: (100, 260),
    Column.STATUS: (100, 240),
    Column.NEEDS: (90, 420),
}

#: How many rows (from the top: the next visitors) the needs column is measured over.
NEEDS_SAMPLE = 300

#: The widest a column grows to on a wide table when what it holds needs less (the needs column: no limit).
GROW_TO: dict[Column, int] = {Column.TIME: 110, Column.VISITOR: 320, Column.ROOM: 250, Column.STATUS: 200}


def _fonts(font: QFont) -> tuple[dict[str, QFontMetrics], QFontMetrics]:
    bold = QFont(font)
    bold.setBold(True)
    small = QFont(font)
    if small.pointSizeF() > 0:
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.9))
    return {"": QFontMetrics(font), "bold": QFontMetrics(bold), "struck": QFontMetrics(font)}, QFontMetrics(small)


def content_widths(model: AppointmentTableModel, font: QFont) -> dict[Column, int]:
    """The width each column needs for its widest line (header included), within ``BOUNDS``.
    The needs column's is its badges on one line, as the delegate draws them."""
    metrics, small_metrics = _fonts(font)
    bold = metrics["bold"]
    padding = 2 * AppointmentDelegate.PADDING + 8
    out: dict[Column, int] = {}
    for column, (low, high) in BOUNDS.items():
        widest = bold.horizontalAdvance(str(model.headerData(column, Qt.Orientation.Horizontal)))
        seen: set[object] = set()
        # The needs cells are built only here and when painted: measuring them all on a
        # 10,000-row first sync stalled the event loop, so the rows nearest now stand for the rest.
        rows = min(model.rowCount(), NEEDS_SAMPLE) if column == Column.NEEDS else model.rowCount()
        for row in range(rows):
            cell = model.cell(row, column)
            if cell.badges:
                if cell.badges not in seen:
                    seen.add(cell.badges)
                    line = sum(small_metrics.horizontalAdvance(b) + 14 + 4 for b in cell.badges) - 4
                    widest = max(widest, line)
                continue
            if (cell.main, cell.font) not in seen:
                seen.add((cell.main, cell.font))
                widest = max(widest, metrics[cell.font].horizontalAdvance(cell.main))
            if cell.detail and (cell.detail, "small") not in seen:
                seen.add((cell.detail, "small"))
                widest = max(widest, small_metrics.horizontalAdvance(cell.detail))
        out[column] = max(low, min(high, widest + padding))
    return out


def fitted_widths(wanted: dict[Column, int], available: int) -> dict[Column, int]:
    """``wanted`` fitted to ``available`` px: spare room shared out evenly, a shortfall taken from
    each column's room above its floor (in proportion), never below the floors."""
    total = sum(wanted.values())
    if available <= 0:
        return dict(wanted)
    if total <= available:
        # Each column grows in proportion to what it holds, up to a width past which more room
        # only separates its text from the next column's; the needs column takes what is left.
        out = {c: max(w, min(GROW_TO.get(c, w), w * available // total)) for c, w in wanted.items()}
        out[Column.NEEDS] = wanted[Column.NEEDS] + available - sum(out.values())
        return out
    floors = {c: min(wanted[c], BOUNDS[c][0]) for c in wanted}
    slack = {c: wanted[c] - floors[c] for c in wanted}
    room = sum(slack.values())
    short = total - available
    if room <= short:  # even the floors do not fit: the floors (the table scrolls sideways)
        return floors
    out = {c: wanted[c] - (short * slack[c]) // room for c in wanted}
    over = sum(out.values()) - available  # rounding: take the odd pixels from the widest
    while over > 0:
        widest = max((c for c in out if out[c] > floors[c]), key=lambda c: out[c])
        out[widest] -= 1
        over -= 1
    return out


class ColumnFitter(QObject):
    """Keeps ``table``'s columns fitted to its viewport: ``refit()`` after each load (the content
    changed), and again by itself whenever the viewport changes width. A border the clerk drags
    stops it (``dragged``)."""

    def __init__(self, table: QTableView, model: AppointmentTableModel) -> None:
        super().__init__(table)
        self.table = table
        self.model = model
        self.dragged = False
        self.fitting = False
        self._wanted: dict[Column, int] | None = None
        self._width = -1
        table.viewport().installEventFilter(self)
        table.horizontalHeader().sectionResized.connect(self._on_section_resized)

    def refit(self) -> None:
        """The rows changed: measure them again and fit."""
        self._wanted = content_widths(self.model, self.table.font())
        self._width = -1
        self.apply()

    def apply(self) -> None:
        if self.dragged or self._wanted is None:
            return
        width = self.table.viewport().width()
        if width == self._width:
            return
        self._width = width
        widths = fitted_widths(self._wanted, width)
        self.fitting = True
        try:
            for column, w in widths.items():
                self.table.setColumnWidth(column, w)
        finally:
            self.fitting = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Resize:
            self.apply()
        return False

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        if not self.fitting and column != Column.NEEDS and self.table.isVisible():
            self.dragged = True  # the clerk dragged a border (Qt itself resizes only the last)
