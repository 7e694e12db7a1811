"""The officer's "My appointments": today and the next two weeks, and a notice when a visitor arrives.

The officer is the ``Officer`` whose ``username`` is the signed-in user's. Every 15 seconds the view
asks ``checkin.arrivals_for_officer`` (on the task runner) whether one of their visitors has been
checked in since it last looked; an arrival shows a banner in the view and a small non-modal notice
with "Open briefing", so the officer walks out to the counter already briefed. Opening a briefing
is audited by the service (a consultation).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import Status
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import hhmm, local, local_day_bounds, local_today
from frontcounter.services.counter import checkin, visit
from frontcounter.services.scheduling.agenda import my_appointments, my_officer
from frontcounter.ui.app_state import AppState, mask_name
from frontcounter.ui.dialogs.appointment import AppointmentDialog
from frontcounter.ui.kit.banner import Banner, error_text
from frontcounter.ui.kit.labels import need_badges, reason_label
from frontcounter.ui.kit.status import STATUS_GLYPHS, status_key, status_text
from frontcounter.ui.views.today_banner import Banner as ActionBanner
from frontcounter.ui.views.visit_actions import VisitActions

logger = logging.getLogger(__name__)

POLL_MS = 15_000
#: How often "waiting N min" is brought up to the clock.
TICK_MS = 30_000
UPCOMING_DAYS = 14


class ArrivalNotice(QDialog):
    """A small non-modal window: "Jane Smith has arrived for 18:00" with Open briefing."""

    briefing_requested = Signal(object)

    def __init__(self, view: AppointmentView, masked: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.setModal(False)
        self.setWindowTitle(self.tr("Visitor arrived"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        text = QLabel()
        self.text = text
        self.set_masked(masked)
        text.setWordWrap(True)
        text.setProperty("heading", True)
        open_button = QPushButton(self.tr("Open &briefing"))
        open_button.setProperty("primary", True)
        later = QPushButton(self.tr("&Later"))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(open_button)
        buttons.addWidget(later)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(buttons)
        open_button.clicked.connect(self._on_open_button_clicked)
        later.clicked.connect(self.close)
        open_button.setFocus()

    def set_masked(self, masked: bool) -> None:
        """The screen mask turned on or off while the notice is up: initials, or the name."""
        view = self.view
        self.text.setText(self.tr("{0} has arrived for {1} ({2}, {3}).").format(
            mask_name(view.visitor_name, masked), hhmm(view.start), view.reference, view.room_name))

    def _on_open_button_clicked(self) -> None:
        self.briefing_requested.emit(self.view)
        self.close()


class MyAppointmentsView(QWidget):
    count_changed = Signal(int)
    arrivals_noticed = Signal(list)
    loaded = Signal()

    COLUMNS = ("When", "Reference", "Visitor", "Reason", "Room", "Status", "Needs")

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("myAppointmentsView")
        self.state = state
        self._since: datetime = state.ctx.clock.now() - timedelta(minutes=10)
        self._polling = False
        self._views: list[AppointmentView] = []
        self._notices: list[QWidget] = []
        self._dialogs: list[QWidget] = []
        self.show_notices = True

        self.heading = QLabel(self.tr("My appointments"))
        self.heading.setProperty("heading", True)
        self.arrival_frame = QFrame()
        self.arrival_frame.setProperty("banner", "info")
        self.arrival_label = QLabel()
        self.arrival_label.setWordWrap(True)
        self.arrival_label.setObjectName("arrivalBanner")
        self.arrival_open = QPushButton(self.tr("Open &briefing"))
        self.arrival_dismiss = QPushButton(self.tr("&Dismiss"))
        arrival_layout = QHBoxLayout(self.arrival_frame)
        arrival_layout.addWidget(self.arrival_label, 1)
        arrival_layout.addWidget(self.arrival_open)
        arrival_layout.addWidget(self.arrival_dismiss)
        self.arrival_frame.hide()
        self._arrived: AppointmentView | None = None
        self.banner = Banner(self)
        # Who is waiting for this officer now, and for how long (kept up to the clock by ``tick``).
        self.waiting_frame = QFrame()
        self.waiting_frame.setObjectName("waitingForYou")
        self.waiting_frame.setProperty("banner", "warning")
        self.waiting_label = QLabel()
        self.waiting_label.setWordWrap(True)
        self.waiting_label.setAccessibleName(self.tr("Waiting for you"))
        waiting_layout = QHBoxLayout(self.waiting_frame)
        waiting_layout.addWidget(self.waiting_label, 1)
        self.waiting_frame.hide()
        #: What the visit buttons did, with Undo and Feedback.
        self.visit_banner = ActionBanner(self)
        self.visit = VisitActions(state, self, self.selected_view, self.visit_banner.show_message)
        visit_row = QHBoxLayout()
        for button in (self.visit.take_in_button, self.visit.seen_button, self.visit.left_unseen_button,
                       self.visit.feedback_button):
            visit_row.addWidget(button)
        visit_row.addStretch(1)

        self.today = self._tree(self.tr("Today"))
        self.upcoming = self._tree(self.tr("Upcoming"))
        self.today_label = QLabel(self.tr("&Today"))
        self.today_label.setBuddy(self.today)
        self.upcoming_label = QLabel(self.tr("&Upcoming (next {0} days)").format(UPCOMING_DAYS))
        self.upcoming_label.setBuddy(self.upcoming)
        self.refresh_button = QPushButton(self.tr("&Refresh"))
        header = QHBoxLayout()
        header.addWidget(self.heading, 1)
        header.addWidget(self.refresh_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(header)
        layout.addWidget(self.arrival_frame)
        layout.addWidget(self.banner)
        layout.addWidget(self.waiting_frame)
        layout.addWidget(self.visit_banner)
        layout.addWidget(self.today_label)
        layout.addWidget(self.today, 2)
        layout.addLayout(visit_row)
        layout.addWidget(self.upcoming_label)
        layout.addWidget(self.upcoming, 3)

        self.refresh_button.clicked.connect(self.reload)
        self.arrival_open.clicked.connect(self._on_arrival_open_clicked)
        self.arrival_dismiss.clicked.connect(self.arrival_frame.hide)
        for tree in (self.today, self.upcoming):
            tree.itemActivated.connect(self._on_tree_item_activated)
        self.today.currentItemChanged.connect(lambda _c, _p: self._update_actions())
        state.data_changed.connect(self.reload)
        state.mask_changed.connect(self._on_state_mask_changed)  # bound: dropped with the view

        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll_arrivals)
        self.timer.start()
        self.tick_timer = QTimer(self)
        self.tick_timer.setInterval(TICK_MS)
        self.tick_timer.timeout.connect(self.tick)
        self.tick_timer.start()
        self.reload()

    def menu_actions(self) -> list[Any]:
        """What the main window puts in its Actions menu (shortcuts shown there too)."""
        return self.visit.menu_actions()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._update_actions()

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().hideEvent(event)
        self._update_actions()  # the same keys act in Today while it shows

    def selected_view(self) -> AppointmentView | None:
        item = self.today.currentItem()
        if item is None or not item.isSelected():
            return None
        found = item.data(0, Qt.ItemDataRole.UserRole)
        return found if isinstance(found, AppointmentView) else None

    def select_reference(self, reference: str) -> bool:
        for i in range(self.today.topLevelItemCount()):
            item = self.today.topLevelItem(i)
            if item.text(1) == reference:
                self.today.setCurrentItem(item)
                item.setSelected(True)
                return True
        return False

    def _update_actions(self) -> None:
        self.visit.update(self.selected_view(), shown=not self.isHidden())

    def tick(self) -> None:
        """Bring "waiting N min" up to the clock."""
        now = self.state.ctx.clock.now()
        masked = self.state.masked
        waiting = [(v, visit.waiting_minutes(v, now)) for v in self._views]
        lines = [self.tr("{0} ({1}, {2}) — {3} min").format(
            mask_name(v.visitor_name, masked), v.reference, hhmm(v.start), m)
            for v, m in waiting if m is not None]
        self.waiting_label.setText(self.tr("● Waiting for you: {0}").format(" · ".join(lines)) if lines else "")
        self.waiting_frame.setVisible(bool(lines))

    def _tree(self, name: str) -> QTreeWidget:
        tree = QTreeWidget()
        tree.setRootIsDecorated(False)
        tree.setAlternatingRowColors(True)
        tree.setUniformRowHeights(True)
        tree.setHeaderLabels([self.tr(c) for c in self.COLUMNS])
        tree.setAccessibleName(name)
        tree.setColumnWidth(0, 150)
        tree.setColumnWidth(1, 100)
        tree.setColumnWidth(2, 180)
        tree.setColumnWidth(3, 150)
        return tree

    # -- loading --------------------------------------------------------------------------------

    def reload(self) -> None:
        ctx, actor = self.state.ctx, self.state.actor
        start, _ = local_day_bounds(local_today(ctx.clock))
        end = start + timedelta(days=UPCOMING_DAYS + 1)

        def load(_p: object) -> tuple[str | None, list[AppointmentView]]:
            me = my_officer(ctx, actor)
            return (me[1] if me else None), my_appointments(ctx, actor, start, end)

        self.state.tasks.run(load, on_done=self._on_loaded, on_error=self._on_failed)

    def _on_loaded(self, result: tuple[str | None, list[AppointmentView]]) -> None:
        label, views = result
        self._views = views
        self.heading.setText(self.tr("My appointments — {0}").format(label) if label else self.tr("My appointments"))
        if label is None:
            self.banner.show_message(self.tr("Your sign-in is not linked to an officer record, so there are no "
                                             "appointments to show. Ask a supervisor."), "info")
        self._fill()
        self.loaded.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self.banner.show_message(error_text(exc, self.tr("Your appointments could not be loaded.")), "error")

    def _on_state_mask_changed(self, masked: bool) -> None:
        self._fill()
        self._show_arrived(masked)

    def _show_arrived(self, masked: bool) -> None:
        arrived = getattr(self, "_arrived_views", [])
        if arrived:
            names = ", ".join(f"{mask_name(v.visitor_name, masked)} ({v.reference}, {hhmm(v.start)})"
                              for v in arrived)
            self.arrival_label.setText(self.tr("● Arrived and waiting: {0}").format(names))

    def _fill(self) -> None:
        today = local_today(self.state.ctx.clock)
        selected = self.selected_view()
        self.today.clear()
        self.upcoming.clear()
        waiting = 0
        for v in self._views:
            tree = self.today if local(v.start).date() == today else self.upcoming
            when = hhmm(v.start) if tree is self.today else f"{local(v.start):%a %d %b} {hhmm(v.start)}"
            key = status_key(v)
            item = QTreeWidgetItem([
                when, v.reference, mask_name(v.visitor_name, self.state.masked), reason_label(v.reason),
                v.room_name, f"{STATUS_GLYPHS.get(key, '')} {status_text(v)}", ", ".join(need_badges(v)),
            ])
            item.setData(0, Qt.ItemDataRole.UserRole, v)
            tree.addTopLevelItem(item)
            if v.status == Status.ARRIVED:
                waiting += 1
        if selected is not None:
            self.select_reference(selected.reference)
        self.tick()
        self._update_actions()
        self.count_changed.emit(waiting)

    # -- arrivals -------------------------------------------------------------------------------

    def poll_arrivals(self) -> None:
        """Ask whether any of my visitors arrived since the last look (off the GUI thread)."""
        if self._polling:
            return
        self._polling = True
        ctx, actor, since = self.state.ctx, self.state.actor, self._since
        now = ctx.clock.now()

        def done(arrived: list[AppointmentView]) -> None:
            self._polling = False
            self._since = max([now] + [v.arrived_at for v in arrived if v.arrived_at])
            if arrived:
                self._on_arrivals(arrived)

        def failed(exc: BaseException) -> None:
            self._polling = False
            logger.warning("arrival poll failed: %s", exc.__class__.__name__)

        self.state.tasks.run(lambda _p: checkin.arrivals_for_officer(ctx, actor, since), on_done=done,
                             on_error=failed)

    def _on_arrivals(self, arrived: list[AppointmentView]) -> None:
        latest = arrived[-1]
        self._arrived = latest
        masked = self.state.masked
        self._arrived_views = list(arrived)
        self._show_arrived(masked)
        self.arrival_frame.show()
        self.state.message.emit(self.tr("Your visitor has arrived: {0}").format(
            ", ".join(v.reference for v in arrived)), "info")  # the status bar: references, never names
        self.arrivals_noticed.emit(arrived)
        if self.show_notices:
            notice = ArrivalNotice(latest, masked, parent=self.window())
            self.state.mask_changed.connect(notice.set_masked)  # bound: dropped when the notice closes
            notice.briefing_requested.connect(self.open_briefing)
            notice.destroyed.connect(lambda _o=None, n=notice: self._notices.remove(n) if n in self._notices else None)
            self._notices.append(notice)
            notice.show()
        self.reload()

    def _on_arrival_open_clicked(self) -> None:
        if self._arrived is not None:
            self.open_briefing(self._arrived)

    # -- opening --------------------------------------------------------------------------------

    def _on_tree_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        view = item.data(0, Qt.ItemDataRole.UserRole)
        if view is not None:
            self.open_appointment(view)

    def open_appointment(self, view: AppointmentView) -> AppointmentDialog:
        dialog = AppointmentDialog(self.state, view, parent=self)
        self._dialogs.append(dialog)
        dialog.finished.connect(lambda _r, d=dialog: self._dialogs.remove(d) if d in self._dialogs else None)
        dialog.open()
        return dialog

    def open_briefing(self, view: AppointmentView) -> None:
        dialog = self.open_appointment(view)
        dialog.open_briefing()
