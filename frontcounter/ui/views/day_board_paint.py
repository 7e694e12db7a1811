"""Painting the day board canvas: lanes, officers' duties, the hours, blocks and the now line.

A mixin of :class:`~frontcounter.ui.views.day_board_canvas.DayBoardCanvas`: the canvas lays out,
this paints what it laid out (everything axis-aligned, from geometry worked out once per change)."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPaintEvent,
    QPen,
)

from frontcounter.services.core.clock import hhmm, local, local_day_bounds
from frontcounter.ui.views.day_board_layout import _Block, _Lane


def hour_label(day: date, hour: int) -> str:
    """The wall time ``hour`` real hours into ``day``: "01:00 BST" then "01:00 GMT" in October, and
    no 01:00 in March (the board's hours are real hours from the day's first instant)."""
    return hhmm(local_day_bounds(day)[0] + timedelta(hours=hour))

class _BoardPainting:
    """The paint methods of DayBoardCanvas (which inherits this before QWidget)."""

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        # Everything here is axis-aligned: antialiasing would only blur edges and cost time.
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        c = self._colours
        painter.fillRect(self.rect(), c.base)
        if self._layout is None:
            painter.setPen(c.text)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("Loading the day…"))
            painter.end()
            return
        clip = QRectF(event.rect())
        self._paint_lanes(painter, clip)
        self._paint_hours(painter)
        self._paint_now(painter, line=True)
        bold, small = self._block_fonts()
        fm_bold, fm_small = QFontMetrics(bold), QFontMetrics(small)
        ascent = (float(fm_bold.ascent()), float(fm_small.ascent()), float(fm_small.height()))
        for block in self._blocks:
            if block.rect.intersects(clip):
                self._paint_block(painter, block, bold, small, ascent)
        painter.setFont(self.font())
        if self._sticky_left > 0:
            title_font = QFont(self.font())
            title_font.setBold(True)
            small_font = QFont(self.font())
            small_font.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))
            self._paint_lane_titles(painter, float(self._sticky_left), clip, title_font, small_font)
        if self._sticky_top > 0 or self._sticky_left > 0:
            self._paint_hour_labels(painter, float(self._sticky_top))
        self._paint_now(painter, line=False)
        painter.end()

    def _paint_lanes(self, painter: QPainter, clip: QRectF) -> None:
        c = self._colours
        right = float(self.width())
        timeline_left = float(self.GUTTER)
        bottom = self._lanes[-1].top + self._lanes[-1].height if self._lanes else float(self.HEADER)
        # Closed hours shaded across every lane; opening sessions left clear.
        painter.fillRect(QRectF(timeline_left, self.HEADER, right - timeline_left, bottom - self.HEADER), c.closed)
        assert self._layout is not None
        for start, end in self._layout.sessions:
            x1, x2 = self.x_for(start), self.x_for(end)
            painter.fillRect(QRectF(x1, self.HEADER, x2 - x1, bottom - self.HEADER), c.base)
        title_font = QFont(self.font())
        title_font.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))
        for lane in self._lanes:
            rect = QRectF(0, lane.top, right, lane.height)
            if not rect.intersects(clip):
                continue
            painter.setPen(QPen(c.grid, 1))
            painter.drawLine(QPointF(0, lane.top + lane.height), QPointF(right, lane.top + lane.height))
            if lane.kind == "officer":
                self._paint_duties(painter, lane)
        self._paint_lane_titles(painter, 0.0, clip, title_font, small)
        # The section heading between rooms and officers.
        section = QRectF(0, self._officer_section_top, right, self.SECTION)
        painter.fillRect(section, c.lane_alt)
        painter.setFont(title_font)
        painter.setPen(c.header)
        painter.drawText(section.adjusted(10, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter,
                         self.tr("Officers on appointment duty") if self._layout.officers
                         else self.tr("No officer on appointment duty this day"))
        painter.setPen(QPen(c.grid, 1))
        painter.drawLine(QPointF(timeline_left, self.HEADER), QPointF(timeline_left, bottom))
        painter.setFont(self.font())

    def _paint_lane_titles(self, painter: QPainter, left: float, clip: QRectF, title_font: QFont,
                           small: QFont) -> None:
        """Each lane's name in the gutter at ``left`` (over the timeline once scrolled across)."""
        c = self._colours
        width = float(self.GUTTER)
        fm, fs = QFontMetrics(title_font), QFontMetrics(small)
        if left > 0:
            painter.fillRect(QRectF(left, self.HEADER, width, float(self.height()) - self.HEADER), c.base)
        for index, lane in enumerate(self._lanes):
            if not QRectF(left, lane.top, width, lane.height).intersects(clip):
                continue
            if index % 2:
                painter.fillRect(QRectF(left, lane.top, width, lane.height), c.lane_alt)
            painter.setPen(QPen(c.grid, 1))
            painter.drawLine(QPointF(left, lane.top + lane.height), QPointF(left + width, lane.top + lane.height))
            painter.setPen(c.text)
            painter.setFont(title_font)
            painter.drawText(QRectF(left + 10, lane.top + 6, width - 16, fm.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             fm.elidedText(lane.title, Qt.TextElideMode.ElideRight, int(width - 16)))
            painter.setFont(small)
            painter.drawText(QRectF(left + 10, lane.top + 8 + fm.height(), width - 16, fs.height() * 2),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                             lane.subtitle)
        section = QRectF(left, self._officer_section_top, width, self.SECTION)
        if left > 0 and section.intersects(clip):
            painter.fillRect(section, c.lane_alt)
            painter.setFont(title_font)
            painter.setPen(c.header)
            painter.drawText(section.adjusted(10, 0, 400, 0), Qt.AlignmentFlag.AlignVCenter,
                             self.tr("Officers on appointment duty") if self._layout and self._layout.officers
                             else self.tr("No officer on appointment duty this day"))
        painter.setPen(QPen(c.grid, 1))
        painter.drawLine(QPointF(left + width, self.HEADER), QPointF(left + width, float(self.height())))

    def _paint_duties(self, painter: QPainter, lane: _Lane) -> None:
        """The shift as a bar along the top of the officer's lane; the withdrawn part in yellow hatch."""
        assert self._layout is not None
        c = self._colours
        on_duty = next((o for o in self._layout.officers if o.officer.id == lane.key), None)
        if on_duty is None:
            return
        for d in on_duty.duties:
            x1, x2 = self.x_for(d.start), self.x_for(d.end)
            bar = QRectF(x1, lane.top + 2, x2 - x1, 5)
            painter.fillRect(bar, c.duty)
            if d.withdrawn_at is not None and d.withdrawn_at < d.end:
                w = self.x_for(max(d.withdrawn_at, d.start))
                gone = QRectF(w, lane.top + 2, x2 - w, lane.height - 4)
                painter.fillRect(gone, QBrush(c.withdrawn, Qt.BrushStyle.BDiagPattern))
                painter.setPen(c.text)
                painter.drawText(gone.adjusted(4, 6, -4, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                                 self.tr("⚠ withdrawn: {0}").format(d.withdrawn_reason or ""))

    def _paint_hours(self, painter: QPainter) -> None:
        c = self._colours
        bottom = self._lanes[-1].top + self._lanes[-1].height if self._lanes else float(self.height())
        for hour in range(self._first_hour, self._last_hour + 1):
            x = self.GUTTER + (hour - self._first_hour) * self._hour_px
            painter.setPen(QPen(c.grid, 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(x, self.HEADER), QPointF(x, bottom))
        self._paint_hour_labels(painter, 0.0)

    def hour_label(self, hour: int) -> str:
        assert self._layout is not None
        return hour_label(self._layout.day, hour)

    def _paint_hour_labels(self, painter: QPainter, top: float) -> None:
        """The day and the hours along a band at ``top`` (over the lanes once scrolled down)."""
        c = self._colours
        assert self._layout is not None
        left = float(self._sticky_left)
        # The band is cleared first and the labels drawn in the board's own font: painted a second
        # time once scrolled sideways, over labels left in the lane titles' bold, they read doubled.
        painter.fillRect(QRectF(0, top, float(self.width()), self.HEADER), c.base)
        if top > 0:
            painter.setPen(QPen(c.grid, 1))
            painter.drawLine(QPointF(0, top + self.HEADER), QPointF(float(self.width()), top + self.HEADER))
        painter.setFont(self.font())
        painter.setPen(c.text)
        for hour in range(self._first_hour, self._last_hour):
            x = self.GUTTER + (hour - self._first_hour) * self._hour_px
            painter.drawText(QRectF(x + 4, top, self._hour_px - 8, self.HEADER), Qt.AlignmentFlag.AlignVCenter,
                             self.hour_label(hour))
        if left > 0:  # the corner over the lane names
            painter.fillRect(QRectF(left, top, float(self.GUTTER), self.HEADER), c.base)
        painter.setPen(c.header)
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(QRectF(left + 10, top, self.GUTTER - 16, self.HEADER), Qt.AlignmentFlag.AlignVCenter,
                         self._layout.day.strftime("%a %d %b"))
        painter.setFont(self.font())

    def _paint_block(self, painter: QPainter, block: _Block, bold: QFont, small: QFont,
                     ascent: tuple[float, float, float]) -> None:
        c = self._colours
        fill, text, border = c.block(block.key)
        rect = block.rect
        painter.fillRect(rect, fill)
        if block.key == "at_risk":
            pen = QPen(border, 3, Qt.PenStyle.DashLine)
        elif block.released:
            pen = QPen(border, 1, Qt.PenStyle.DotLine)
        else:
            pen = QPen(border, 1)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)
        if block.view.id == self._selected:
            painter.setPen(QPen(c.focus, 3))
            painter.drawRect(rect.adjusted(-3, -3, 3, 3))
        painter.setPen(text)
        left = rect.left() + 5
        bold_ascent, small_ascent, line_height = ascent
        if block.released:
            painter.setFont(small)
            painter.drawText(QPointF(left, rect.top() + (rect.height() + small_ascent) / 2 - 1), block.body)
            return
        painter.setFont(bold)
        y = rect.top() + 2 + bold_ascent
        painter.drawText(QPointF(left, y), block.title)
        if block.body:
            painter.setFont(small)
            for line in block.body.split("\n"):
                y += line_height
                painter.drawText(QPointF(left, y), line)

    def _paint_now(self, painter: QPainter, *, line: bool) -> None:
        """The current time: the line under the blocks, its marker and label over them."""
        if self._now is None or self._layout is None or local(self._now).date() != self._layout.day:
            return
        x = self.x_for(self._now)
        if x < self.GUTTER:
            return
        bottom = self._lanes[-1].top + self._lanes[-1].height if self._lanes else float(self.height())
        c = self._colours
        if line:
            painter.setPen(QPen(c.now, 2))
            painter.drawLine(QPointF(x, self.HEADER), QPointF(x, bottom))
            return
        painter.setBrush(c.now)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawPolygon([QPointF(x - 6, self.HEADER - 7), QPointF(x + 6, self.HEADER - 7), QPointF(x, self.HEADER)])
        label = self.tr("now {0}").format(hhmm(self._now))
        fm = painter.fontMetrics()
        box = QRectF(x - fm.horizontalAdvance(label) / 2 - 4, bottom + 2, fm.horizontalAdvance(label) + 8,
                     fm.height() + 4)
        painter.setBrush(c.now)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(box, 3, 3)
        painter.setPen(QColor("#000000") if c.dark else QColor("#ffffff"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
