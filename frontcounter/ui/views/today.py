"""Today: everyone expected at this station today, and what the counter does with each of them.

A member of the public is standing at the counter and the clerk may be interrupted at any moment,
so everything is one keystroke away and says where it stands in words: scan the slip (the scanner
types the reference and Enter) or type part of a name, phone number or crime reference in the
window's search box; ↓/↑ move through the matches; Enter checks the selected visitor in. The
details pane on the right shows the selected visitor and the actions that apply to them.

Work goes through services on the task runner (never on the GUI thread); what comes back is shown
in the banner at the top, with what to do next, and expected refusals never become tracebacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import Role
from frontcounter.services.core import appointments
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import hhmm, local, local_today
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.core.permissions import Action
from frontcounter.services.counter import checkin
from frontcounter.ui.app_state import AppState
from frontcounter.ui.kit.appointment_delegate import AppointmentDelegate
from frontcounter.ui.kit.appointment_filter import AppointmentFilterProxy
from frontcounter.ui.kit.appointment_model import (
    AppointmentTableModel,
    Column,
    RowState,
    is_at_risk,
)
from frontcounter.ui.kit.column_fit import ColumnFitter
from frontcounter.ui.kit.row_states import at_risk_text
from frontcounter.ui.views.today_actions import _CounterActions
from frontcounter.ui.views.today_banner import Banner, Cause
from frontcounter.ui.views.today_details import DetailsPane, _set_property
from frontcounter.ui.views.today_mouse import _RowMouse
from frontcounter.ui.views.today_search import _SearchBox
from frontcounter.ui.views.today_video import VideoPanel
from frontcounter.ui.views.visit_actions import VisitActions

logger = logging.getLogger(__name__)

#: How often minutes-waited and "late" are brought up to date.
TICK_MS = 30_000


class TodayView(_RowMouse, _SearchBox, _CounterActions, QWidget):
    """The Today view (navigation "Today", Ctrl+1)."""

    #: Visitors still to deal with (expected or waiting), for the navigation badge.
    count_changed = Signal(int)
    #: A reload finished and the table shows it (tests wait on this).
    loaded = Signal()
    #: An action (check-in, no-show, …) finished, successfully or not; the banner says which.
    action_finished = Signal()
    checked_in = Signal(object)
    #: A slip went to the printer (its reference).
    slip_printed = Signal(str)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("todayView")
        self.state = state
        self._listing_audit = appointments.ListingAudit("today")  # s.62: one row per list seen
        self._loading = False
        self._reload_again = False
        self._busy = False
        self._loaded_day: date | None = None
        self._arrivals_since = state.ctx.clock.now()
        self._pending_select: str | None = None
        #: The dialogs last opened from here (tests drive them; None until first opened).
        self.walk_in_dialog: QDialog | None = None
        self.slip_dialog: QDialog | None = None
        self.appointment_dialog: QDialog | None = None
        self.row_menu_shown: QMenu | None = None
        #: The visitor the details pane shows (None: the hint).
        self._detailed: AppointmentView | None = None

        self.model = AppointmentTableModel(self)
        self.model.set_grace(timedelta(minutes=state.ctx.policy.no_show_grace_minutes))
        self.model.set_masked(state.masked)
        self.proxy = AppointmentFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.heading = QLabel()
        self.heading.setObjectName("todayHeading")
        _set_property(self.heading, "heading", True)
        self.summary = QLabel()
        self.summary.setObjectName("todaySummary")
        self.summary.setAccessibleName(self.tr("Today's summary"))
        self.banner = Banner()

        self.table = QTableView()
        self.table.setObjectName("todayTable")
        self.table.setAccessibleName(self.tr("Today's appointments"))
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(False)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(Column.TIME, Qt.SortOrder.AscendingOrder)
        self.table.setItemDelegate(AppointmentDelegate(self.table))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() * 2 + 16)
        self.table.setTabKeyNavigation(False)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((Column.TIME, 92), (Column.VISITOR, 165), (Column.ROOM, 138),
                              (Column.STATUS, 126)):
            self.table.setColumnWidth(column, width)  # until the first load sizes them to content
        #: Fits the columns to each load and to the viewport's width (until the clerk drags a border).
        self.columns = ColumnFitter(self.table, self.model)
        self.empty = QLabel()
        self.empty.setObjectName("todayEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()

        self.details = DetailsPane()
        self.video = VideoPanel(state, self.banner.show_message)  # apart: nobody walks in for these

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty)
        left_layout.addWidget(self.video)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 1)
        splitter.setChildrenCollapsible(False)

        head = QHBoxLayout()
        head.addWidget(self.heading)
        head.addSpacing(16)
        head.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        layout.addLayout(head)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)

        self._build_actions()
        self.visit = VisitActions(state, self, self.selected_view, self.banner.show_message, left_unseen_key=False)
        for button in (self.visit.take_in_button, self.visit.seen_button):
            self.details.visit_row.addWidget(button)
        self.visit.feedback_button.setText(self.tr("Feedback…"))
        self.details.more.addWidget(self.visit.feedback_button)
        self.visit.finished.connect(self.action_finished)
        self.details.check_in_button.clicked.connect(self.check_in_action.trigger)
        self.details.no_show_button.clicked.connect(self.no_show_action.trigger)
        self.details.left_unseen_button.clicked.connect(self.left_unseen_action.trigger)
        self.details.slip_button.clicked.connect(self.slip_action.trigger)
        self.details.preview_slip_button.clicked.connect(self.preview_slip_action.trigger)
        self.details.walk_in_button.clicked.connect(self.walk_in_action.trigger)

        # A click sets the current row first and selects it afterwards (QAbstractItemView's mouse
        # press), a key does both at once: listening to the current row alone left a clicked row
        # undetailed until the next minute tick. Both signals are heard; the pane redraws once.
        selection = self.table.selectionModel()
        selection.currentRowChanged.connect(self._on_table_current_row_changed)
        selection.selectionChanged.connect(self._on_table_selection_changed)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        self.table.installEventFilter(self)
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.timer.start()
        state.data_changed.connect(self._on_state_data_changed)
        state.mask_changed.connect(self._on_state_mask_changed)
        self._update_heading()
        self._update_details()
        self.reload()

    # -- actions and shortcuts ---------------------------------------------------------------

    def _action(self, text: str, shortcut: str, tip: str, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        native = QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({native})")
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.check_in_action = self._action(
            self.tr("&Check in"), "Ctrl+Return",
            self.tr("Check in the selected visitor (Enter in the search box or the list)"), self.check_in_selected)
        self.no_show_action = self._action(
            self.tr("Mark &no-show"), "Ctrl+Shift+N",
            self.tr("Mark the selected visitor as a no-show; opens a follow-up for the officer"),
            self.mark_no_show_selected)
        self.left_unseen_action = self._action(
            self.tr("Mark &left unseen"), "Ctrl+Shift+L",
            self.tr("The waiting visitor left before being seen"), self.mark_left_unseen_selected)
        self.slip_action = self._action(
            self.tr("&Print slip…"), "Ctrl+P",
            self.tr("Print the visitor's confirmation slip: the print dialog, then the printer"),
            self.print_slip_selected)
        self.preview_slip_action = self._action(
            self.tr("Pre&view slip"), "Ctrl+Shift+P",
            self.tr("Show the visitor's confirmation slip on screen (Print and Save as PDF from there)"),
            self.show_slip_selected)
        self.walk_in_action = self._action(
            self.tr("&Walk-in…"), "Ctrl+N",
            self.tr("Book someone who walked in into the next free slot"), self.open_walk_in)
        self.next_action = self._action(
            self.tr("Next visitor"), "Alt+Down", self.tr("Select the next visitor in the list"),
            lambda: self.move_selection(1))
        self.previous_action = self._action(
            self.tr("Previous visitor"), "Alt+Up", self.tr("Select the previous visitor in the list"),
            lambda: self.move_selection(-1))
        self.refresh_action = self._action(
            self.tr("&Refresh today"), "F5", self.tr("Load today's appointments again"), self.reload)
        self.open_action = self._action(
            self.tr("&Open appointment…"), "Ctrl+O",
            self.tr("Open the selected appointment in full (double-click does the same)"), self.open_selected)
        pairs = ((self.check_in_action, self.details.check_in_button),
                 (self.no_show_action, self.details.no_show_button),
                 (self.left_unseen_action, self.details.left_unseen_button),
                 (self.slip_action, self.details.slip_button),
                 (self.preview_slip_action, self.details.preview_slip_button),
                 (self.walk_in_action, self.details.walk_in_button))
        for action, button in pairs:
            button.setToolTip(action.toolTip())
            button.setAccessibleDescription(action.toolTip())
        self.walk_in_action.setEnabled(self.state.can(Action.BOOK))
        self.details.walk_in_button.setVisible(self.state.can(Action.BOOK))
        self.details.walk_in_separator.setVisible(self.state.can(Action.BOOK))

    def menu_actions(self) -> list[QAction]:
        """What the main window puts in its Actions menu (shortcuts shown there too)."""
        return [self.open_action, self.check_in_action, self.visit.take_in_action, self.visit.seen_action,
                self.no_show_action, self.left_unseen_action, self.visit.feedback_action, self.slip_action,
                self.preview_slip_action, self.walk_in_action, self.next_action, self.previous_action,
                self.refresh_action]

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._update_actions()

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().hideEvent(event)
        # The same actions sit in the window's menu: while another view shows, they must not act
        # on a selection the clerk cannot see.
        self._update_actions()

    # -- selection ----------------------------------------------------------------------------

    def selected_view(self) -> AppointmentView | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return self.model.view_at(self.proxy.mapToSource(index).row())

    def select_reference(self, reference: str) -> bool:
        row = self.model.row_of_reference(reference)
        if row is None:
            return False
        return self._select_source_row(row)

    def move_selection(self, step: int) -> None:
        """Move the selection ``step`` rows (the search box's ↓/↑ and Page Down/Up, Alt+↓/↑)."""
        count = self.proxy.rowCount()
        if count == 0:
            return
        current = self.table.selectionModel().currentIndex()
        if not current.isValid() or self.selected_view() is None:
            target = 0 if step > 0 else count - 1
        else:
            target = max(0, min(count - 1, current.row() + step))
        self._select_proxy_row(target)

    def _proxy_row_of(self, view: AppointmentView) -> int | None:
        source = self.model.row_of(view.id)
        if source is None:
            return None
        index = self.proxy.mapFromSource(self.model.index(source, 0))
        return index.row() if index.isValid() else None

    def _select_source_row(self, source_row: int) -> bool:
        index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        if not index.isValid():
            return False
        self._select_proxy_row(index.row())
        return True

    def _select_proxy_row(self, row: int) -> None:
        index = self.proxy.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)


    # -- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Load today's list on the task runner; reloads asked for meanwhile are folded into one."""
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        ctx, actor = self.state.ctx, self.state.actor
        day = local_today(ctx.clock)
        since = self._arrivals_since
        want_arrivals = actor.role == Role.OFFICER

        listing = self._listing_audit

        def load(_progress: Callable[[int, int], None]) -> tuple[date, list[AppointmentView], list[AppointmentView]]:
            views = appointments.list_day(ctx, actor, day)
            listing.shown(ctx, actor, day=day, count=len(views))
            arrivals = checkin.arrivals_for_officer(ctx, actor, since) if want_arrivals else []
            return day, views, arrivals

        self.state.tasks.run(load, on_done=self._on_list_loaded, on_error=self._on_list_failed)

    def _on_list_loaded(self, result: tuple[date, list[AppointmentView], list[AppointmentView]]) -> None:
        day, views, arrivals = result
        self._loading = False
        self.banner.clear_for(Cause.LOAD)  # the list loads again: the failure is over
        selected = self.selected_view()
        self.model.set_rows([v for v in views if not v.is_video], self.state.ctx.clock.now())
        self.video.set_views([v for v in views if v.is_video])
        self._loaded_day = day
        self.columns.refit()
        if self._pending_select and self.select_reference(self._pending_select):
            self._pending_select = None
        elif selected is not None:
            self.select_reference(selected.reference)
        elif self.proxy.text and self.proxy.rowCount() == 1:
            self._select_proxy_row(0)
        if arrivals:
            self._announce_arrivals(arrivals)
        self._update_heading()
        self._update_details()
        self._update_empty()
        self.count_changed.emit(self._still_to_see())
        self.loaded.emit()
        if self._reload_again:
            self._reload_again = False
            self.reload()

    def _on_list_failed(self, exc: BaseException) -> None:
        self._loading = False
        self._reload_again = False
        if not isinstance(exc, FrontCounterError):
            raise exc  # a bug: the crash dialog's business
        self.banner.show_message("error", self.tr("Today's list could not be loaded: {0}").format(exc.message),
                                 [(self.tr("&Retry"), self.reload)], cause=Cause.LOAD)
        self.loaded.emit()

    def _announce_arrivals(self, arrivals: list[AppointmentView]) -> None:
        self._arrivals_since = max(a.arrived_at for a in arrivals if a.arrived_at is not None)
        lines = [
            self.tr("{0} {1} ({2}) is waiting for you — {3}.").format(
                hhmm(a.start), a.reference, a.visitor_name or "", a.room_name)
            for a in arrivals
        ]
        text = self.tr("Your visitor has arrived: ") + " ".join(lines)
        self.banner.show_message("info", text, cause=Cause.NOTICE, personal=tuple(a.visitor_name for a in arrivals))
        self.state.message.emit(self.tr("Your visitor has arrived: {0}").format(
            ", ".join(a.reference for a in arrivals)), "info")  # the status bar: references, never names

    def _on_state_data_changed(self) -> None:
        self.reload()

    def _on_state_mask_changed(self, masked: bool) -> None:
        self.model.set_masked(masked)
        self.banner.set_masked(masked)
        self._update_details()

    def _on_timer_timeout(self) -> None:
        self.tick()

    def tick(self) -> None:
        """Bring late, next and minutes waited up to the clock; a new day reloads."""
        now = self.state.ctx.clock.now()
        if self._loaded_day is not None and local(now).date() != self._loaded_day:
            self.reload()
            return
        self.model.set_now(now)
        self._update_heading()
        self._update_details()
        self.count_changed.emit(self._still_to_see())

    # -- what the counter does ---------------------------------------------------------------

    # -- keeping the screen true --------------------------------------------------------------

    def _still_to_see(self) -> int:
        counts = self.model.counts()
        return counts[RowState.NEXT] + counts[RowState.UPCOMING] + counts[RowState.LATE] + counts[RowState.WAITING]

    def _update_heading(self) -> None:
        now = self.state.ctx.clock.now()
        self.heading.setText(self.tr("Today · {0}").format(f"{local(now):%A %d %B}"))
        counts = self.model.counts()
        live = len(self.model.views()) - counts[RowState.RELEASED]
        parts = [self.tr("{0} appointments").format(live)]
        if counts[RowState.WAITING]:
            parts.append(self.tr("● {0} waiting").format(counts[RowState.WAITING]))
        if counts[RowState.LATE]:
            parts.append(self.tr("⚠ {0} late").format(counts[RowState.LATE]))
        at_risk = sum(1 for v in self.model.views() if is_at_risk(v))
        if at_risk:
            parts.append(at_risk_text(at_risk))
        upcoming = [v.start for v, s in zip(self.model.views(), self._states(), strict=True) if s == RowState.NEXT]
        if upcoming:
            parts.append(self.tr("▶ next at {0}").format(hhmm(upcoming[0])))
        finished = counts[RowState.DONE] + counts[RowState.RELEASED]
        if finished and self.model.first_finished is not None:
            parts.append(self.tr("{0} finished, below the line").format(finished))
        self.summary.setText("   ·   ".join(parts))

    def _states(self) -> list[RowState]:
        return [self.model.state_at(i) for i in range(self.model.rowCount())]

    def _update_empty(self) -> None:
        if self.proxy.rowCount() == 0 and self.proxy.text.strip():
            self.empty.setText(self.tr("Nobody today matches “{0}”. Press Enter to look up a reference, or "
                                       "Escape to clear.").format(self.proxy.text.strip()[:60]))
            self.empty.show()
        elif self.model.rowCount() == 0 and self._loaded_day is not None:
            self.empty.setText(self.tr("No appointments today at this station."))
            self.empty.show()
        else:
            self.empty.hide()

    def _update_details(self) -> None:
        view = self.selected_view()
        self._detailed = view
        self.details.show_view(view, self.model)
        self._update_actions()
