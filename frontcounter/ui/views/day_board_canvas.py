"""The day board's canvas: rooms (and officers on duty) as lanes, hours across, every appointment
a block; keyboard and mouse select and open blocks. It paints from geometry worked out once per
change of data or size, so a day of 200 appointments paints in a few milliseconds."""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QFocusEvent,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QScrollArea,
    QSizePolicy,
    QToolTip,
    QWidget,
)

from frontcounter.db.models import RELEASED_STATUSES
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import LONDON, hhmm, local_day_bounds
from frontcounter.services.scheduling.roster import DayLayout
from frontcounter.ui.app_state import mask_name
from frontcounter.ui.kit.labels import reason_label
from frontcounter.ui.kit.status import STATUS_GLYPHS, status_key, status_text
from frontcounter.ui.views.day_board_layout import _Block, _Lane, _Palette
from frontcounter.ui.views.day_board_paint import _BoardPainting


class DayBoardCanvas(_BoardPainting, QWidget):
    """The painted lanes. Emits ``appointment_activated`` with the AppointmentView on click/Enter."""

    appointment_activated = Signal(object)
    selection_changed = Signal(object)

    GUTTER = 184
    HEADER = 30
    ROOM_LANE = 64
    OFFICER_LANE = 60
    SECTION = 28
    MIN_HOUR_PX = 104

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dayBoardCanvas")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAccessibleName(self.tr("Day board"))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._layout: DayLayout | None = None
        self._views: tuple[AppointmentView, ...] = ()
        self._now: datetime | None = None
        self._masked = False
        self._show_released = False
        self._lanes: list[_Lane] = []
        self._blocks: list[_Block] = []
        self._officer_section_top = 0.0
        self._first_hour = 9
        self._last_hour = 21
        self._hour_px = float(self.MIN_HOUR_PX)
        self._origin = datetime.combine(date(2000, 1, 1), time(0), tzinfo=LONDON)
        self._laid_out_width = -1
        self._selected: uuid.UUID | None = None
        self._colours = _Palette(self.palette())
        #: How far the board is scrolled down and across: the hour labels and the lane names are
        #: drawn there, so they stay in view.
        self._sticky_top = 0
        self._sticky_left = 0

    # -- data -----------------------------------------------------------------------------------

    def set_data(self, layout: DayLayout, views: tuple[AppointmentView, ...] | list[AppointmentView],
                 now: datetime, masked: bool) -> None:
        self._layout = layout
        self._views = tuple(views)
        self._now = now
        self._masked = masked
        if self._selected is not None and not any(v.id == self._selected for v in self._views):
            self._selected = None
        self._relayout()

    def set_now(self, now: datetime) -> None:
        self._now = now
        self.update()

    def set_sticky_top(self, top: int) -> None:
        """The scroll area scrolled down to ``top``: repaint all, so the hour labels follow (a
        scroll otherwise moves the painted pixels and repaints only the strip uncovered)."""
        if top != self._sticky_top:
            self._sticky_top = max(0, top)
            self.update()

    def set_sticky_left(self, left: int) -> None:
        if left != self._sticky_left:
            self._sticky_left = max(0, left)
            self.update()

    def hour_labels_top(self) -> int:
        """Where the hour labels are drawn (the top of the visible part of the board)."""
        return self._sticky_top

    def set_masked(self, masked: bool) -> None:
        self._masked = masked
        self._relayout()

    def set_show_released(self, show: bool) -> None:
        self._show_released = show
        self._relayout()

    def views(self) -> tuple[AppointmentView, ...]:
        return self._views

    def lanes(self) -> list[tuple[str, uuid.UUID, str]]:
        """(kind, id, title) of each lane, top to bottom (tests and the accessible summary)."""
        return [(lane.kind, lane.key, lane.title) for lane in self._lanes]

    def blocks_for(self, appointment_id: uuid.UUID) -> list[tuple[str, uuid.UUID, QRectF]]:
        """Where an appointment is drawn: (lane kind, lane id, rectangle) for each of its blocks."""
        return [(self._lanes[b.lane].kind, self._lanes[b.lane].key, QRectF(b.rect))
                for b in self._blocks if b.view.id == appointment_id]

    def hour_px(self) -> float:
        return self._hour_px

    def x_for(self, at: datetime) -> float:
        return self.GUTTER + (at - self._origin).total_seconds() / 3600 * self._hour_px

    def selected(self) -> AppointmentView | None:
        return next((v for v in self._views if v.id == self._selected), None)

    def select(self, appointment_id: uuid.UUID | None) -> None:
        self._selected = appointment_id
        view = self.selected()
        self.setAccessibleDescription(self._describe(view) if view else "")
        self.selection_changed.emit(view)
        block = next((b for b in self._blocks if view and b.view.id == view.id), None)
        if block is not None:
            parent = self.parentWidget()
            scroller = parent.parentWidget() if parent is not None else None
            if isinstance(scroller, QScrollArea):
                centre = block.rect.center()
                scroller.ensureVisible(int(centre.x()), int(centre.y()), int(block.rect.width() / 2) + 8, 40)
        self.update()

    # -- geometry -------------------------------------------------------------------------------

    def _hour_range(self) -> tuple[int, int]:
        assert self._layout is not None
        # Hours are real hours from the day's first instant (a London day has 23, 24 or 25 of them),
        # never wall-clock hours: October's repeated hour gets its own column, March's skipped none.
        day_start, day_end = local_day_bounds(self._layout.day)
        day_hours = round((day_end - day_start).total_seconds() / 3600)
        moments: list[datetime] = []
        for start, end in self._layout.sessions:
            moments += [start, end]
        for v in self._views:
            moments += [v.start, v.end]
        for on_duty in self._layout.officers:
            for d in on_duty.duties:
                moments += [max(d.start, day_start), min(d.end, day_end)]
        if not moments:
            return 9, 21
        hours = [(m - day_start).total_seconds() / 3600 for m in moments]
        first = max(0, math.floor(min(hours)))
        last = min(day_hours, math.ceil(max(hours)))
        if last - first < 4:
            last = min(day_hours, first + 4)
        return first, last

    def _relayout(self) -> None:
        self._lanes, self._blocks = [], []
        self._laid_out_width = self.width()
        if self._layout is None:
            self.update()
            return
        self._first_hour, self._last_hour = self._hour_range()
        hours = self._last_hour - self._first_hour
        self._hour_px = max(float(self.MIN_HOUR_PX), (self.width() - self.GUTTER - 12) / hours)
        self._origin = local_day_bounds(self._layout.day)[0] + timedelta(hours=self._first_hour)
        y = float(self.HEADER)
        lane_of: dict[tuple[str, uuid.UUID], int] = {}
        for room in self._layout.rooms:
            features = ", ".join(room.features) or self.tr("no special features")
            if not room.active:
                features = self.tr("out of use") + " · " + features
            lane_of[("room", room.id)] = len(self._lanes)
            self._lanes.append(_Lane("room", room.id, room.name, features, y, self.ROOM_LANE))
            y += self.ROOM_LANE
        self._officer_section_top = y
        y += self.SECTION
        officer_ids = {o.officer.id for o in self._layout.officers}
        for on_duty in self._layout.officers:
            o = on_duty.officer
            lane_of[("officer", o.id)] = len(self._lanes)
            languages = [lang for lang in o.languages if lang.casefold() != "english"]
            detail = " · ".join(x for x in (", ".join(languages), ", ".join(o.specialisms)) if x)
            self._lanes.append(_Lane("officer", o.id, f"{o.rank} {o.collar_number} {o.name}", detail, y,
                                     self.OFFICER_LANE))
            y += self.OFFICER_LANE
        # An officer with appointments but no duty that day still gets a lane: that is a problem to see.
        for v in self._views:
            if v.status in RELEASED_STATUSES or not v.officer_id or v.officer_id in officer_ids:
                continue
            if ("officer", v.officer_id) not in lane_of:
                lane_of[("officer", v.officer_id)] = len(self._lanes)
                self._lanes.append(_Lane("officer", v.officer_id, v.officer_label, self.tr("not on duty"), y,
                                         self.OFFICER_LANE))
                y += self.OFFICER_LANE
        minimum = QSize(int(self.GUTTER + hours * self.MIN_HOUR_PX + 12), int(y) + self.fontMetrics().height() + 12)
        if minimum != self.minimumSize():
            self.setMinimumSize(minimum)
        bold, small = self._block_fonts()
        fm_bold, fm_small = QFontMetrics(bold), QFontMetrics(small)
        line_height = fm_small.height()
        status_words: dict[str, str] = {}
        elided: dict[tuple[str, int], str] = {}

        def fit(text: str, width: int) -> str:
            """The text elided to ``width`` (many lines repeat: a status, a room name)."""
            found = elided.get((text, width))
            if found is None:
                found = elided[(text, width)] = fm_small.elidedText(text, Qt.TextElideMode.ElideRight, width)
            return found

        for v in self._views:
            released = v.status in RELEASED_STATUSES
            if released and not self._show_released:
                continue
            x1, x2 = self.x_for(v.start), self.x_for(v.end)
            key = status_key(v)
            if key not in status_words:
                status_words[key] = status_text(v)
            glyph = STATUS_GLYPHS.get(key, "")
            when = f"{hhmm(v.start)} {glyph} {status_words[key]}"
            visitor = mask_name(v.visitor_preferred_name or v.visitor_name, self._masked) or self.tr("(no name)")
            for kind, lane_key in (("room", v.room_id), ("officer", v.officer_id)):
                index = lane_of.get((kind, lane_key)) if lane_key is not None else None
                if index is None:
                    continue
                lane = self._lanes[index]
                top, height = lane.top + (9 if kind == "officer" else 4), lane.height - 13
                if released:  # a ghost along the bottom: the slot it released may be rebooked
                    top, height = lane.top + lane.height - 18, 14
                rect = QRectF(x1 + 2, top, max(8.0, x2 - x1 - 4), height)
                width = int(rect.width()) - 9
                block = _Block(rect, v, index, key, released)
                if released:
                    block.body = fm_small.elidedText(f"{glyph} {v.reference} {status_words[key]}",
                                                     Qt.TextElideMode.ElideRight, width)
                else:
                    fitting = max(0, int((height - 4) // line_height) - 1)
                    title_fits = fm_bold.horizontalAdvance(v.reference) <= width
                    block.title = v.reference if title_fits else fm_bold.elidedText(
                        v.reference, Qt.TextElideMode.ElideRight, width)
                    third = v.room_name if kind == "officer" else visitor
                    block.body = "\n".join(fit(line, width) for line in (when, third)[:fitting])
                self._blocks.append(block)
        self.updateGeometry()
        self.update()

    def _block_fonts(self) -> tuple[QFont, QFont]:
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.9))
        bold = QFont(small)
        bold.setBold(True)
        return bold, small

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return self.minimumSize().expandedTo(QSize(900, 400))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self.width() != self._laid_out_width:  # the hour width follows the width; heights are fixed
            self._relayout()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._colours = _Palette(self.palette())
        super().changeEvent(event)

    # -- painting -------------------------------------------------------------------------------

    # -- interaction ----------------------------------------------------------------------------

    def block_at(self, pos: QPointF) -> AppointmentView | None:
        # Released ghosts are drawn first and active blocks last; the topmost wins.
        for block in reversed(self._blocks):
            if block.rect.contains(pos):
                return block.view
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        view = self.block_at(event.position())
        if view is not None and event.button() == Qt.MouseButton.LeftButton:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.select(view.id)
            self.appointment_activated.emit(view)
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        over = self.block_at(event.position()) is not None
        self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            view = self.block_at(QPointF(event.pos()))
            if view is not None:
                QToolTip.showText(event.globalPos(), self._describe(view), self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def _describe(self, v: AppointmentView) -> str:
        parts = [
            f"{hhmm(v.start)}–{hhmm(v.end)} {v.reference}",
            mask_name(v.visitor_name, self._masked),
            reason_label(v.reason),
            f"{v.room_name} · {v.officer_label}",
            status_text(v),
        ]
        if v.at_risk and v.at_risk_reason:
            parts.append(v.at_risk_reason)
        return "\n".join(p for p in parts if p)

    def _ordered(self) -> list[_Block]:
        return sorted(self._blocks, key=lambda b: (b.lane, b.rect.left()))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key = event.key()
        blocks = self._ordered()
        if not blocks:
            super().keyPressEvent(event)
            return
        current = next((b for b in blocks if b.view.id == self._selected), None)
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and current is not None:
            self.appointment_activated.emit(current.view)
            return
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Left):
            if current is None:
                self.select(blocks[0].view.id)
                return
            same = [b for b in blocks if b.lane == current.lane]
            i = same.index(current) + (1 if key == Qt.Key.Key_Right else -1)
            if 0 <= i < len(same):
                self.select(same[i].view.id)
            return
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            if current is None:
                self.select(blocks[0].view.id)
                return
            step = 1 if key == Qt.Key.Key_Down else -1
            lane = current.lane + step
            while 0 <= lane < len(self._lanes):
                others = [b for b in blocks if b.lane == lane]
                if others:
                    centre = current.rect.center().x()
                    nearest = min(others, key=lambda b: abs(b.rect.center().x() - centre))
                    self.select(nearest.view.id)
                    return
                lane += step
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt override)
        if self._selected is None and self._blocks:
            self.select(self._ordered()[0].view.id)
        super().focusInEvent(event)
