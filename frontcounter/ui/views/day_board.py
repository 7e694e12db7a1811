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
from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QKeySequence,
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
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import RELEASED_STATUSES, Status
from frontcounter.services.core import appointments as appointment_service
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import local, local_today
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.permissions import FORCE_WIDE_ROLES, Action, allowed
from frontcounter.services.scheduling import roster
from frontcounter.services.scheduling.agenda import DayCount, week_counts
from frontcounter.services.scheduling.roster import DayLayout
from frontcounter.ui.app_state import AppState
from frontcounter.ui.kit.labels import status_label
from frontcounter.ui.kit.row_states import at_risk_text, is_at_risk
from frontcounter.ui.kit.status import STATUS_GLYPHS
from frontcounter.ui.views.day_board_canvas import DayBoardCanvas
from frontcounter.ui.views.day_board_layout import _LIGHT

logger = logging.getLogger(__name__)


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


def load_board(ctx: ServiceContext, actor: Actor, day: date, station_code: str | None,
               listing: appointment_service.ListingAudit | None = None) -> BoardData:
    """The layout, the day's appointments and the week's counts (runs off the GUI thread)."""
    layout = roster.day_layout(ctx, actor, day, station_code=station_code)
    views = appointment_service.list_day(ctx, actor, day, station_code=layout.station_code)
    if listing is not None:
        listing.shown(ctx, actor, day=day, count=len(views), station_code=layout.station_code)
    week = week_counts(ctx, actor, week_start(day), station_code=layout.station_code)
    complete = ctx.mode == "central" or ctx.station_code in (None, layout.station_code)
    return BoardData(layout, tuple(views), tuple(week), complete)


# --- The canvas ---------------------------------------------------------------------------------------


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
            risk = f" · {at_risk_text(count.at_risk)}" if count.at_risk else ""
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
        self._listing_audit = appointment_service.ListingAudit("day_board")  # s.62: one row per list seen
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
        for key, label in ((Status.BOOKED, status_label(Status.BOOKED)), ("at_risk", self.tr("AT RISK")),
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
        listing = self._listing_audit
        self.state.tasks.run(lambda _p: load_board(ctx, actor, day, code, listing),
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
        at_risk = sum(1 for v in data.appointments if is_at_risk(v))
        active = sum(1 for v in data.appointments if v.status not in RELEASED_STATUSES)
        self.risk_label.setText(at_risk_text(at_risk) if at_risk else "")
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
        from frontcounter.services.core.errors import FrontCounterError

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
        from frontcounter.ui.dialogs.appointment import AppointmentDialog

        dialog = AppointmentDialog(self.state, view, parent=self)
        dialog.finished.connect(lambda _r, d=dialog: self._dialogs.remove(d) if d in self._dialogs else None)
        self._dialogs.append(dialog)
        dialog.open()
        return dialog

    def _on_pull_button_clicked(self) -> None:
        from frontcounter.ui.dialogs.roster import PulledAwayDialog

        dialog = PulledAwayDialog(self.state, self.day, parent=self)
        dialog.open()

    def _on_import_button_clicked(self) -> None:
        from frontcounter.ui.dialogs.import_appointments import ImportDialog

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
