"""The day board: the station's rooms as lanes and the hours across, every appointment a block.

Supervisors and officers see the day's rooms and officers at a glance: each block shows its time,
reference and visitor (initials with the screen mask on) and its status by colour *and* by a shape
and a word; at-risk blocks carry a warning border and "AT RISK". A line marks the current time.
Below the rooms, a lane per officer on appointment duty shows their shift and their appointments.
Click a block (or move to it with the arrow keys and press Enter) to open the appointment.

The canvas paints from geometry it works out once per change of data or size, so a day of 200
appointments paints in a few milliseconds; all loading happens on the task runner.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QFocusEvent,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QHelpEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import RELEASED_STATUSES, Status
from frontcounter.services import appointments as appointment_service
from frontcounter.services import roster, scheduling
from frontcounter.services.actor import Actor
from frontcounter.services.appointments import AppointmentView
from frontcounter.services.clock import LONDON, local, local_today
from frontcounter.services.context import ServiceContext
from frontcounter.services.permissions import FORCE_WIDE_ROLES, Action, allowed
from frontcounter.services.roster import DayLayout
from frontcounter.services.scheduling import DayCount
from frontcounter.ui.app_state import AppState, mask_name
from frontcounter.ui.appointment_model import reason_label, status_label

logger = logging.getLogger(__name__)

#: Shape that carries each status without colour; at risk overrides booked.
STATUS_GLYPHS: dict[str, str] = {
    Status.BOOKED: "○",
    Status.ARRIVED: "●",
    Status.IN_PROGRESS: "◐",
    Status.COMPLETED: "✓",
    Status.NO_SHOW: "✗",
    Status.LEFT_UNSEEN: "↩",
    Status.CANCELLED: "⊘",
    Status.RESCHEDULED: "↷",
    "at_risk": "⚠",
}

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
    "at_risk": ("#fff0bf", "#5c4300", "#b58900"),
}


def status_key(view: AppointmentView) -> str:
    """The status the board shows: at risk wins while the visitor is still only booked."""
    if view.at_risk and view.status == Status.BOOKED:
        return "at_risk"
    return view.status


def status_text(view: AppointmentView) -> str:
    key = status_key(view)
    if key == "at_risk":
        return QGuiApplication.translate("DayBoard", "AT RISK")
    return status_label(view.status)


@dataclass(frozen=True)
class BoardData:
    """Everything one day of the board shows, loaded together on a worker thread."""

    layout: DayLayout
    appointments: tuple[AppointmentView, ...]
    week: tuple[DayCount, ...]
    #: False when this database holds only another station's appointments (an FCR at a station).
    complete: bool


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def load_board(ctx: ServiceContext, actor: Actor, day: date, station_code: str | None) -> BoardData:
    """The layout, the day's appointments and the week's counts (runs off the GUI thread)."""
    layout = roster.day_layout(ctx, actor, day, station_code=station_code)
    views = appointment_service.list_day(ctx, actor, day, station_code=layout.station_code)
    week = scheduling.week_counts(ctx, actor, week_start(day), station_code=layout.station_code)
    complete = ctx.mode == "central" or ctx.station_code in (None, layout.station_code)
    return BoardData(layout, tuple(views), tuple(week), complete)


# --- The canvas ---------------------------------------------------------------------------------------


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
            outline = {"at_risk": "#ffff00", Status.ARRIVED: "#7fffd4", Status.NO_SHOW: "#ffb347"}.get(key, "#ffffff")
            return QColor("#000000"), QColor("#ffffff"), QColor(outline)
        return QColor(fill), QColor(text), QColor(border)


class DayBoardCanvas(QWidget):
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
        day = self._layout.day
        day_start = datetime.combine(day, time(0), tzinfo=LONDON)
        moments: list[datetime] = []
        for start, end in self._layout.sessions:
            moments += [start, end]
        for v in self._views:
            moments += [v.start, v.end]
        for on_duty in self._layout.officers:
            for d in on_duty.duties:
                moments += [max(d.start, day_start), min(d.end, day_start + timedelta(days=1))]
        if not moments:
            return 9, 21
        hours = [(m - day_start).total_seconds() / 3600 for m in moments]
        first = max(0, math.floor(min(hours)))
        last = min(24, math.ceil(max(hours)))
        if last - first < 4:
            last = min(24, first + 4)
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
        self._origin = datetime.combine(self._layout.day, time(self._first_hour), tzinfo=LONDON)
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
            when = f"{local(v.start):%H:%M} {glyph} {status_words[key]}"
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

    def _paint_hour_labels(self, painter: QPainter, top: float) -> None:
        """The day and the hours along a band at ``top`` (over the lanes once scrolled down)."""
        c = self._colours
        assert self._layout is not None
        left = float(self._sticky_left)
        if top > 0:
            painter.fillRect(QRectF(0, top, float(self.width()), self.HEADER), c.base)
            painter.setPen(QPen(c.grid, 1))
            painter.drawLine(QPointF(0, top + self.HEADER), QPointF(float(self.width()), top + self.HEADER))
        painter.setPen(c.text)
        for hour in range(self._first_hour, self._last_hour):
            x = self.GUTTER + (hour - self._first_hour) * self._hour_px
            painter.drawText(QRectF(x + 4, top, self._hour_px - 8, self.HEADER), Qt.AlignmentFlag.AlignVCenter,
                             f"{hour:02d}:00")
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
        label = self.tr("now {0}").format(f"{local(self._now):%H:%M}")
        fm = painter.fontMetrics()
        box = QRectF(x - fm.horizontalAdvance(label) / 2 - 4, bottom + 2, fm.horizontalAdvance(label) + 8,
                     fm.height() + 4)
        painter.setBrush(c.now)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(box, 3, 3)
        painter.setPen(QColor("#000000") if c.dark else QColor("#ffffff"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)

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
            f"{local(v.start):%H:%M}–{local(v.end):%H:%M} {v.reference}",
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


# --- The week strip -----------------------------------------------------------------------------------


class WeekStrip(QWidget):
    """Seven days with their counts; choosing one moves the board to it."""

    day_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Week overview"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: list[QToolButton] = []
        self._days: list[date] = []
        for i in range(7):
            button = QToolButton(self)
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            button.setMinimumHeight(2 * button.fontMetrics().lineSpacing() + 18)
            button.setObjectName(f"weekDay{i}")
            button.clicked.connect(lambda _=False, n=i: self._on_button_clicked(n))
            self._group.addButton(button, i)
            layout.addWidget(button)
            self.buttons.append(button)

    def set_week(self, counts: tuple[DayCount, ...] | list[DayCount], current: date, today: date) -> None:
        self._days = [c.day for c in counts]
        for button, count in zip(self.buttons, counts, strict=False):
            mark = " •" if count.day == today else ""
            risk = self.tr(" · ⚠ {0} at risk").format(count.at_risk) if count.at_risk else ""
            button.setText(f"{count.day:%a %d}{mark}\n" + self.tr("{0} booked").format(count.total) + risk)
            described = self.tr("{0}: {1} appointments, {2} at risk").format(
                count.day.strftime("%A %d %B"), count.total, count.at_risk)
            if count.day == today:
                described += self.tr(" (today)")
            button.setAccessibleName(described)
            button.setToolTip(described)
            button.setChecked(count.day == current)

    def _on_button_clicked(self, index: int) -> None:
        if index < len(self._days):
            self.day_chosen.emit(self._days[index])


# --- The view -----------------------------------------------------------------------------------------


class DayBoardView(QWidget):
    """The navigation's "Day board": toolbar, week strip, the canvas, and a legend."""

    count_changed = Signal(int)
    loaded = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dayBoardView")
        self.state = state
        self.day: date = local_today(state.ctx.clock)
        self.station_code: str | None = state.actor.station_code or state.ctx.station_code
        self._loading = False
        self._reload_pending = False
        self._dialogs: list[QWidget] = []
        self.data: BoardData | None = None

        self.prev_button = QPushButton(self.tr("◀ &Previous day"))
        self.prev_button.setToolTip(self.tr("Previous day (Alt+Left)"))
        self.today_button = QPushButton(self.tr("&Today"))
        self.next_button = QPushButton(self.tr("&Next day ▶"))
        self.next_button.setToolTip(self.tr("Next day (Alt+Right)"))
        for button, name in ((self.prev_button, "Previous day"), (self.today_button, "Today"),
                             (self.next_button, "Next day")):
            button.setAccessibleName(self.tr(name))
        self.prev_button.setShortcut(QKeySequence("Alt+Left"))
        self.next_button.setShortcut(QKeySequence("Alt+Right"))
        self.day_label = QLabel()
        self.day_label.setProperty("heading", True)
        self.day_label.setObjectName("boardDayLabel")
        self.station_combo = QComboBox()
        self.station_combo.setAccessibleName(self.tr("Station"))
        self.station_combo.setVisible(state.actor.role in FORCE_WIDE_ROLES)
        self.released_check = QCheckBox(self.tr("Show &cancelled and rescheduled"))
        self.risk_label = QLabel()
        self.risk_label.setObjectName("boardRiskLabel")
        self.pull_button = QPushButton(self.tr("Officer &pulled away…"))
        self.pull_button.setAccessibleName(self.tr("Officer pulled away"))
        self.pull_button.setVisible(allowed(state.actor, Action.REASSIGN))
        self.import_button = QPushButton(self.tr("&Import…"))
        self.import_button.setAccessibleName(self.tr("Import appointments"))
        self.import_button.setVisible(allowed(state.actor, Action.IMPORT))

        toolbar = QHBoxLayout()
        toolbar.addWidget(self.prev_button)
        toolbar.addWidget(self.today_button)
        toolbar.addWidget(self.next_button)
        toolbar.addSpacing(12)
        toolbar.addWidget(self.day_label)
        toolbar.addWidget(self.station_combo)
        toolbar.addStretch(1)
        toolbar.addWidget(self.risk_label)
        toolbar.addWidget(self.released_check)
        toolbar.addWidget(self.pull_button)
        toolbar.addWidget(self.import_button)

        self.week = WeekStrip()
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setObjectName("boardNotice")
        self.notice_frame = QFrame()
        self.notice_frame.setProperty("banner", "warning")
        notice_layout = QHBoxLayout(self.notice_frame)
        notice_layout.setContentsMargins(6, 2, 6, 2)
        notice_layout.addWidget(self.notice)
        self.notice_frame.hide()

        self.canvas = DayBoardCanvas()
        self.scroller = QScrollArea()
        self.scroller.setWidget(self.canvas)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.StyledPanel)
        self.scroller.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the canvas takes focus and scrolls itself
        self.scroller.setAccessibleName(self.tr("Day board"))
        self.scroller.verticalScrollBar().valueChanged.connect(self.canvas.set_sticky_top)
        self.scroller.horizontalScrollBar().valueChanged.connect(self.canvas.set_sticky_left)
        #: The day the board last scrolled to "now" for (it does so once per day shown, not on
        #: every reload, so a clerk's own scrolling stays put).
        self._scrolled_to_now: date | None = None

        legend = QLabel(self._legend_html())
        legend.setObjectName("boardLegend")
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setAccessibleName(self.tr("Legend"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(toolbar)
        layout.addWidget(self.week)
        layout.addWidget(self.notice_frame)
        layout.addWidget(self.scroller, 1)
        layout.addWidget(legend)

        self.prev_button.clicked.connect(lambda: self.go_to(self.day - timedelta(days=1)))
        self.next_button.clicked.connect(lambda: self.go_to(self.day + timedelta(days=1)))
        self.today_button.clicked.connect(lambda: self.go_to(local_today(self.state.ctx.clock)))
        self.week.day_chosen.connect(self.go_to)
        self.canvas.appointment_activated.connect(self._on_canvas_appointment_activated)
        self.released_check.toggled.connect(self.canvas.set_show_released)
        self.station_combo.activated.connect(self._on_station_combo_activated)
        self.pull_button.clicked.connect(self._on_pull_button_clicked)
        self.import_button.clicked.connect(self._on_import_button_clicked)
        state.data_changed.connect(self.reload)
        state.mask_changed.connect(self.canvas.set_masked)

        self._tick = QTimer(self)
        self._tick.setInterval(60_000)
        self._tick.timeout.connect(lambda: self.canvas.set_now(self.state.ctx.clock.now()))
        self._tick.start()
        self._fill_stations()
        self.reload()

    def _legend_html(self) -> str:
        parts = []
        for key, label in ((Status.BOOKED, status_label(Status.BOOKED)), ("at_risk", self.tr("At risk")),
                           (Status.ARRIVED, status_label(Status.ARRIVED)),
                           (Status.IN_PROGRESS, status_label(Status.IN_PROGRESS)),
                           (Status.COMPLETED, status_label(Status.COMPLETED)),
                           (Status.NO_SHOW, status_label(Status.NO_SHOW)),
                           (Status.LEFT_UNSEEN, status_label(Status.LEFT_UNSEEN)),
                           (Status.CANCELLED, status_label(Status.CANCELLED)),
                           (Status.RESCHEDULED, status_label(Status.RESCHEDULED))):
            fill, text, _ = _LIGHT[key]
            parts.append(f'<span style="background:{fill}; color:{text};">&nbsp;{STATUS_GLYPHS[key]} {label}&nbsp;</span>')
        return "&nbsp; ".join(parts)

    def _fill_stations(self) -> None:
        if self.state.actor.role not in FORCE_WIDE_ROLES:
            return
        try:
            stations = roster.list_stations(self.state.ctx, self.state.actor)
        except Exception:  # the chooser is a convenience; the board still shows the home station
            logger.warning("station list unavailable", exc_info=True)
            return
        for code, name in stations:
            self.station_combo.addItem(f"{name} ({code})", code)
        index = self.station_combo.findData(self.station_code)
        if index >= 0:
            self.station_combo.setCurrentIndex(index)

    # -- loading --------------------------------------------------------------------------------

    def go_to(self, day: date) -> None:
        self.day = day
        self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self.data is not None and self._scrolled_to_now != self.data.layout.day:
            self._scrolled_to_now = self.data.layout.day
            QTimer.singleShot(0, self.scroll_to_now)

    def scroll_to_now(self) -> None:
        """Today's board opens on now (an hour of the past kept in view); another day on its start."""
        now = self.state.ctx.clock.now()
        bar = self.scroller.horizontalScrollBar()
        if local(now).date() != self.day:
            bar.setValue(bar.minimum())
            return
        x = self.canvas.x_for(now)
        bar.setValue(int(max(bar.minimum(), min(bar.maximum(), x - self.canvas.GUTTER - self.canvas.hour_px()))))

    def reload(self) -> None:
        """Load the day on the task runner; a reload asked for while one runs follows it."""
        if self._loading:
            self._reload_pending = True
            return
        self._loading = True
        self.day_label.setText(self.day.strftime("%A %d %B %Y"))
        ctx, actor, day, code = self.state.ctx, self.state.actor, self.day, self.station_code
        self.state.tasks.run(lambda _p: load_board(ctx, actor, day, code),
                             on_done=self._on_loaded, on_error=self._on_load_failed)

    def _on_loaded(self, data: BoardData) -> None:
        self._loading = False
        if self._reload_pending or data.layout.day != self.day:
            self._reload_pending = False
            self.reload()
            return
        self.data = data
        now = self.state.ctx.clock.now()
        self.canvas.set_data(data.layout, data.appointments, now, self.state.masked)
        if self._scrolled_to_now != data.layout.day and self.isVisible():
            self._scrolled_to_now = data.layout.day
            QTimer.singleShot(0, self.scroll_to_now)  # once the new size is laid out
        self.week.set_week(data.week, self.day, local(now).date())
        at_risk = sum(1 for v in data.appointments if v.at_risk and v.status == Status.BOOKED)
        active = sum(1 for v in data.appointments if v.status not in RELEASED_STATUSES)
        self.risk_label.setText(self.tr("⚠ {0} at risk").format(at_risk) if at_risk else "")
        self.canvas.setAccessibleDescription(self.tr("{0}: {1} appointments in {2} rooms, {3} officers on duty")
                                             .format(data.layout.station_name, active, len(data.layout.rooms),
                                                     len(data.layout.officers)))
        notices = []
        if not data.complete:
            notices.append(self.tr("This workstation holds only {0}'s appointments and duties; the board for "
                                   "{1} is complete only at the centre.").format(self.state.ctx.station_code,
                                                                                  data.layout.station_name))
        if at_risk:
            notices.append(self.tr("{0} appointment(s) at risk: no officer covers them. Contact the visitors "
                                   "before they travel, or give them to another officer.").format(at_risk))
        self.notice.setText("\n".join(notices))
        self.notice_frame.setVisible(bool(notices))
        self.count_changed.emit(at_risk)
        self.loaded.emit()

    def _on_load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self._reload_pending = False
        from frontcounter.services.errors import FrontCounterError

        if not isinstance(exc, FrontCounterError):
            logger.error("day board failed to load", exc_info=exc)
        message = exc.message if isinstance(exc, FrontCounterError) else self.tr("The board could not be loaded.")
        self.notice.setText(message)
        self.notice_frame.setVisible(True)
        self.state.message.emit(message, "error")

    # -- actions --------------------------------------------------------------------------------

    def _on_station_combo_activated(self, index: int) -> None:
        self.station_code = self.station_combo.itemData(index)
        self.reload()

    def _on_canvas_appointment_activated(self, view: AppointmentView) -> None:
        self.open_appointment(view)

    def open_appointment(self, view: AppointmentView) -> QWidget:
        from frontcounter.ui.appointment_dialog import AppointmentDialog

        dialog = AppointmentDialog(self.state, view, parent=self)
        dialog.finished.connect(lambda _r, d=dialog: self._dialogs.remove(d) if d in self._dialogs else None)
        self._dialogs.append(dialog)
        dialog.open()
        return dialog

    def _on_pull_button_clicked(self) -> None:
        from frontcounter.ui.roster_admin import PulledAwayDialog

        dialog = PulledAwayDialog(self.state, self.day, parent=self)
        dialog.open()

    def _on_import_button_clicked(self) -> None:
        from frontcounter.ui.import_dialog import ImportDialog

        dialog = ImportDialog(self.state, parent=self)
        dialog.open()

    def menu_actions(self) -> list[QAction]:
        """Added to the main window's Actions menu when the board is first shown."""
        actions = []
        if allowed(self.state.actor, Action.IMPORT):
            action = QAction(self.tr("&Import appointments…"), self)
            action.setShortcut(QKeySequence("Ctrl+I"))
            action.triggered.connect(self._on_import_button_clicked)
            actions.append(action)
        if allowed(self.state.actor, Action.REASSIGN):
            action = QAction(self.tr("Officer &pulled away…"), self)
            action.triggered.connect(self._on_pull_button_clicked)
            actions.append(action)
        return actions
