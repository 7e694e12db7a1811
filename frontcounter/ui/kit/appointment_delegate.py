"""How a row of the appointments table is painted: two lines per cell, status pills, badges, in
the theme's colours (the light and the high-contrast theme)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QObject,
    QPointF,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPalette,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from frontcounter.ui.kit.appointment_model import (
    AppointmentTableModel,
    _Index,
)


class AppointmentDelegate(QStyledItemDelegate):
    """Draws each cell as a main line and a quieter second line, and the needs as badges.

    The panel (selection, hover) comes from the style and so from the theme; the text and badges
    are drawn here from the model's cached ``Cell``, without a round of ``data()`` calls per paint.

    Shaping text is most of a paint's cost, and ``elidedText`` then ``drawText`` shaped every line
    twice per paint. Each line is instead elided once for its column width and kept as a
    ``QStaticText``, laid out on first draw and only blitted after that: a keystroke that brings
    back rows already seen, a selection move or a minute's tick repaints without shaping anything.
    """

    PADDING = 8
    _SELECTED = QStyle.StateFlag.State_Selected
    _PLAIN = Qt.TextFormat.PlainText
    _ELIDE = Qt.TextElideMode.ElideRight
    _IDENTITY = QTransform()
    #: Prepared lines kept; past this the cache starts again (a day's rows need a few thousand).
    CACHE_LIMIT = 8192

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fonts: dict[tuple[str, str], tuple[QFont, QFontMetrics]] = {}
        self._lines: dict[tuple[str, int, str, str], QStaticText] = {}
        self._badge_widths: dict[tuple[str, str], int] = {}
        self._base: QFont | None = None
        self._base_key = ""

    def _base_key_of(self, base: QFont) -> str:
        """The view's font's key, worked out again only when the font changes (``key()`` builds a
        string; comparing two fonts does not)."""
        if self._base is None or base != self._base:
            self._base, self._base_key = QFont(base), base.key()
        return self._base_key

    def _font(self, base: QFont, base_key: str, kind: str) -> tuple[QFont, QFontMetrics]:
        key = (base_key, kind)
        found = self._fonts.get(key)
        if found is None:
            font = QFont(base)
            if kind == "bold":
                font.setBold(True)
            elif kind == "struck":
                font.setStrikeOut(True)
            elif kind == "small":
                size = base.pointSizeF()
                if size > 0:
                    font.setPointSizeF(max(7.0, size * 0.9))
            found = (font, QFontMetrics(font))
            self._fonts[key] = found
        return found

    def _line(self, text: str, width: int, font_key: str, kind: str, font: QFont,
              metrics: QFontMetrics) -> QStaticText:
        """``text`` laid out once in ``font`` (the painter's font when it is drawn), elided to
        ``width`` when it does not fit: most lines fit, and are then shaped only once."""
        key = (text, width, font_key, kind)
        line = self._lines.get(key)
        if line is None:
            if len(self._lines) >= self.CACHE_LIMIT:
                self._lines.clear()
            line = self._prepared(text, font)
            if line.size().width() > width:
                line = self._prepared(metrics.elidedText(text, self._ELIDE, width), font)
            self._lines[key] = line
        return line

    @classmethod
    def _prepared(cls, text: str, font: QFont) -> QStaticText:
        line = QStaticText(text)
        line.setTextFormat(cls._PLAIN)
        line.prepare(cls._IDENTITY, font)
        return line

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        model = index.model()
        source = model.mapToSource(index) if isinstance(model, QSortFilterProxyModel) else index
        table = source.model()
        if not isinstance(table, AppointmentTableModel):
            super().paint(painter, option, index)
            return
        cell = table.cell(source.row(), source.column())
        opt = option
        if cell.background is not None:
            opt = QStyleOptionViewItem(option)  # the view's option is reused for the next cell
            opt.backgroundBrush = cell.background
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, widget)

        selected = bool(opt.state & self._SELECTED)
        palette = opt.palette
        if selected:
            colour = palette.color(QPalette.ColorRole.HighlightedText)
            quiet = colour
        else:
            colour = cell.foreground.color() if cell.foreground is not None else palette.color(QPalette.ColorRole.Text)
            quiet = palette.color(QPalette.ColorRole.PlaceholderText)
        rect = opt.rect.adjusted(self.PADDING, 3, -self.PADDING, -3)
        base = option.font
        base_key = self._base_key_of(base)
        painter.save()
        if cell.badges:
            self._paint_badges(painter, rect, cell.badges, base, base_key, colour, selected, palette)
        else:
            font, metrics = self._font(base, base_key, cell.font)
            painter.setFont(font)
            painter.setPen(colour)
            width, left, top = rect.width(), rect.left(), rect.top()
            main = self._line(cell.main, width, base_key, cell.font, font, metrics)
            if cell.detail:
                # The main line sits on the middle of the cell, the detail line hangs below it.
                half = rect.height() // 2
                painter.drawStaticText(left, top + half - metrics.height(), main)
                small, small_metrics = self._font(base, base_key, "small")
                painter.setFont(small)
                painter.setPen(quiet)
                painter.drawStaticText(left, top + half,
                                       self._line(cell.detail, width, base_key, "small", small, small_metrics))
            else:
                painter.drawStaticText(left, top + (rect.height() - metrics.height()) // 2, main)
        painter.restore()

    def _paint_badges(self, painter: QPainter, rect: Any, badges: tuple[str, ...], base: QFont, base_key: str,
                      colour: QColor, selected: bool, palette: QPalette) -> None:
        small, metrics = self._font(base, base_key, "small")
        height, gap = metrics.height() + 4, 3
        max_lines = max(1, min(2, (rect.height() + gap) // (height + gap)))
        # Lay the badges out in lines first, so the block can be centred vertically.
        lines: list[list[tuple[str, int]]] = [[]]
        used = 0
        overflow = 0
        for n, badge in enumerate(badges):
            natural = self._badge_widths.get((base_key, badge))
            if natural is None:
                natural = self._badge_widths[(base_key, badge)] = metrics.horizontalAdvance(badge) + 14
            width = min(natural, rect.width())
            if lines[-1] and used + width > rect.width():
                if len(lines) == max_lines:
                    overflow = len(badges) - n
                    break
                lines.append([])
                used = 0
            lines[-1].append((badge, width))
            used += width + 4
        dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
        painter.setFont(small)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        block = len(lines) * height + (len(lines) - 1) * gap
        y = rect.top() + max(0, (rect.height() - block) // 2)
        text_top = (height - metrics.height()) // 2
        for number, line in enumerate(lines):
            x = rect.left()
            for badge, width in line:
                if selected or dark:
                    painter.setPen(colour)
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                else:
                    painter.setPen(QColor("#7b93b8"))
                    painter.setBrush(QColor("#eef3fa"))
                painter.drawRoundedRect(x, y, width, height, 7, 7)
                painter.setPen(colour if (selected or dark) else QColor("#1d3557"))
                text = self._line(badge, width - 10, base_key, "small", small, metrics)
                painter.drawStaticText(QPointF(x + (width - text.size().width()) / 2, y + text_top), text)
                x += width + 4
            if overflow and number == len(lines) - 1:
                painter.setPen(colour)
                painter.drawText(x, y, max(0, rect.right() - x), height, int(Qt.AlignmentFlag.AlignVCenter),
                                 f"+{overflow}")
            y += height + gap

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> Any:  # noqa: N802 (Qt override)
        size = super().sizeHint(option, index)
        size.setHeight(QFontMetrics(option.font).height() * 2 + 14)
        return size
