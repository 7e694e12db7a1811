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

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import Role, Status
from frontcounter.services import appointments, checkin
from frontcounter.services.appointments import AppointmentView, normalise_reference
from frontcounter.services.checkin import CheckInResult, MissedAppointment, WrongTime
from frontcounter.services.clock import local, local_today
from frontcounter.services.errors import FrontCounterError, WrongPlaceOrTime
from frontcounter.services.permissions import Action, allowed
from frontcounter.ui.app_state import AppState, mask_name
from frontcounter.ui.appointment_model import (
    AppointmentDelegate,
    AppointmentFilterProxy,
    AppointmentTableModel,
    Column,
    RowState,
    minutes,
    need_badges,
)

logger = logging.getLogger(__name__)

#: How often minutes-waited and "late" are brought up to date.
TICK_MS = 30_000


def _set_property(widget: QWidget, name: str, value: object) -> None:
    """A stylesheet hook, re-polished so the new value shows (theme.set_property without the import)."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def mask_phone(phone: str | None, masked: bool) -> str:
    if not phone:
        return ""
    if not masked:
        return phone
    digits = [c for c in phone if c.isdigit()]
    return "•••• " + "".join(digits[-3:])


class Banner(QFrame):
    """A one-line message with what to do, and up to two buttons that do it (keyboard: Alt+letter)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("todayBanner")
        self.glyph = QLabel()
        self.text = QLabel()
        self.text.setObjectName("bannerText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.buttons: list[QPushButton] = []
        self.close_button = QPushButton(self.tr("Dismiss"))
        self.close_button.setToolTip(self.tr("Hide this message"))
        self.close_button.setAccessibleName(self.tr("Dismiss message"))
        self.close_button.clicked.connect(self.hide)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.addWidget(self.glyph, 0, Qt.AlignmentFlag.AlignTop)
        self._layout.addWidget(self.text, 1)
        self._layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setAccessibleName(self.tr("Message"))
        self.kind = ""
        self.hide()

    def show_message(self, kind: str, text: str,
                     actions: list[tuple[str, Callable[[], None]]] | None = None) -> None:
        """``kind`` is info, success, warning or error; the glyph says which without colour."""
        for button in self.buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        self.kind = kind
        glyph = {"success": "✓", "info": "ℹ", "warning": "⚠", "error": "✗"}.get(kind, "")
        self.glyph.setText(glyph)
        self.text.setText(text)
        self.setAccessibleDescription(text)
        _set_property(self, "banner", "info" if kind == "success" else kind)
        for label, callback in actions or []:
            button = QPushButton(label)
            button.setAutoDefault(False)
            button.clicked.connect(callback)
            self._layout.insertWidget(self._layout.count() - 1, button, 0, Qt.AlignmentFlag.AlignTop)
            self.buttons.append(button)
        self.show()

    def button(self, text_contains: str) -> QPushButton:
        return next(b for b in self.buttons if text_contains in b.text().replace("&", ""))


class DetailsPane(QFrame):
    """The selected visitor: who, when, where, with whom, what they need; and the actions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPane")
        self.setMinimumWidth(300)
        self.setMaximumWidth(420)
        self.name = QLabel()
        self.name.setObjectName("detailsName")
        self.name.setWordWrap(True)
        big = self.name.font()
        big.setPointSizeF(big.pointSizeF() * 1.45)
        big.setBold(True)
        self.name.setFont(big)
        self.status = QLabel()
        self.status.setObjectName("detailsStatus")
        self.risk = QLabel()
        self.risk.setObjectName("detailsRisk")
        _set_property(self.risk, "status", "at_risk")
        self.when = QLabel()
        self.when.setObjectName("detailsWhen")
        self.when.setWordWrap(True)
        self.hint = QLabel(self.tr("Select a visitor: scan their slip, type a name, phone number or "
                                   "reference, or use ↓ and ↑. Enter checks them in."))
        self.hint.setWordWrap(True)
        self.hint.setObjectName("detailsHint")

        self.facts = QFormLayout()
        self.facts.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.facts.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.fields: dict[str, QLabel] = {}
        self._rows_shown: list[bool] = []
        for key, label in (("room", self.tr("Room")), ("officer", self.tr("Officer")),
                           ("reason", self.tr("Reason")), ("crime", self.tr("Crime ref")),
                           ("phone", self.tr("Phone")), ("needs", self.tr("Needs")),
                           ("with", self.tr("With")), ("contact", self.tr("Contact")),
                           ("arrived", self.tr("Arrived"))):
            value = QLabel()
            value.setWordWrap(True)
            value.setObjectName(f"details_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addRow(label, value)
            self.fields[key] = value
            self._rows_shown.append(True)

        self.check_in_button = QPushButton(self.tr("Check in ⏎"))
        _set_property(self.check_in_button, "primary", True)
        self.no_show_button = QPushButton(self.tr("No-show"))
        self.left_unseen_button = QPushButton(self.tr("Left unseen"))
        self.slip_button = QPushButton(self.tr("Slip"))
        self.walk_in_button = QPushButton(self.tr("Walk-in…"))
        for button in (self.check_in_button, self.no_show_button, self.left_unseen_button, self.slip_button,
                       self.walk_in_button):
            button.setAutoDefault(False)
            button.setMinimumHeight(34)
        actions = QHBoxLayout()
        actions.addWidget(self.check_in_button, 2)
        actions.addWidget(self.no_show_button, 1)
        more = QHBoxLayout()
        more.addWidget(self.left_unseen_button)
        more.addWidget(self.slip_button)

        top = QHBoxLayout()
        top.addWidget(self.status)
        top.addWidget(self.risk)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addWidget(self.name)
        layout.addLayout(top)
        layout.addWidget(self.when)
        layout.addWidget(self.hint)
        layout.addLayout(self.facts)
        layout.addStretch(1)
        layout.addLayout(actions)
        layout.addLayout(more)
        separator = QFrame()
        separator.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(separator)
        layout.addWidget(self.walk_in_button)
        self.show_view(None, None)

    def show_view(self, view: AppointmentView | None, model: AppointmentTableModel | None) -> None:
        has = view is not None and model is not None
        for widget in (self.status, self.when):
            widget.setVisible(has)
        self.hint.setVisible(not has)
        if view is None or model is None:
            self.name.setText(self.tr("No visitor selected"))
            self.risk.hide()
            self._show_rows([False] * len(self.fields))
            return
        masked = model.masked
        self.name.setText(model.visitor_label(view))
        row = model.row_of(view.id)
        self.status.setText(model.status_text(row) if row is not None else view.status)
        _set_property(self.status, "status", view.status)
        self.risk.setVisible(view.at_risk and view.status == Status.BOOKED)
        self.risk.setText(self.tr("⚠ At risk"))
        self.risk.setToolTip(view.at_risk_reason or "")
        self.when.setText(f"{local(view.start):%H:%M}–{local(view.end):%H:%M} · {view.reference}")
        room_features = [t for on, t in ((view.room_step_free, self.tr("step-free")),
                                         (view.room_hearing_loop, self.tr("hearing loop"))) if on]
        room = view.room_name + (f" ({', '.join(room_features)})" if room_features else "")
        waited = model.waited_minutes(view)
        arrived = ""
        if view.arrived_at is not None:
            arrived = self.tr("{0} by {1}").format(f"{local(view.arrived_at):%H:%M}", view.checked_in_by or "")
            if view.status == Status.ARRIVED and waited is not None:
                arrived += self.tr(" · waiting {0} min").format(waited)
        values = {
            "room": room,
            "officer": view.officer_label if view.officer_id else self.tr("Unassigned — tell the supervisor"),
            "reason": model.reason_text(view),
            "crime": view.crime_reference or "",
            "phone": mask_phone(view.visitor_phone, masked),
            "needs": " · ".join(need_badges(view) + ([view.access_needs] if view.access_needs and not masked else [])),
            "with": mask_name(view.person_of_choice, masked) if view.person_of_choice else "",
            "contact": "" if masked else (view.safe_contact or ""),
            "arrived": arrived,
        }
        for key, label in self.fields.items():
            label.setText(values[key])
        self._show_rows([bool(values[key]) for key in self.fields])

    def _show_rows(self, visible: list[bool]) -> None:
        """Show the facts that have a value; only rows that change are touched (each relayouts)."""
        for row, (now, wanted) in enumerate(zip(self._rows_shown, visible, strict=True)):
            if now != wanted:
                self.facts.setRowVisible(row, wanted)
        self._rows_shown = visible


class TodayView(QWidget):
    """The Today view (navigation "Today", Ctrl+1)."""

    #: Visitors still to deal with (expected or waiting), for the navigation badge.
    count_changed = Signal(int)
    #: A reload finished and the table shows it (tests wait on this).
    loaded = Signal()
    #: An action (check-in, no-show, …) finished, successfully or not; the banner says which.
    action_finished = Signal()
    checked_in = Signal(object)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("todayView")
        self.state = state
        self._loading = False
        self._reload_again = False
        self._busy = False
        self._loaded_day: date | None = None
        self._arrivals_since = state.ctx.clock.now()
        self._pending_select: str | None = None
        #: The dialogs last opened from here (tests drive them; None until first opened).
        self.walk_in_dialog: QDialog | None = None
        self.slip_dialog: QDialog | None = None

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
            self.table.setColumnWidth(column, width)
        self.empty = QLabel()
        self.empty.setObjectName("todayEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()

        self.details = DetailsPane()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty)
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
        self.details.check_in_button.clicked.connect(self.check_in_action.trigger)
        self.details.no_show_button.clicked.connect(self.no_show_action.trigger)
        self.details.left_unseen_button.clicked.connect(self.left_unseen_action.trigger)
        self.details.slip_button.clicked.connect(self.slip_action.trigger)
        self.details.walk_in_button.clicked.connect(self.walk_in_action.trigger)

        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        self.table.doubleClicked.connect(lambda _i: self.check_in_action.trigger())
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
            self.tr("Confirmation &slip"), "Ctrl+P",
            self.tr("Show and print the visitor's confirmation slip"), self.show_slip_selected)
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
        pairs = ((self.check_in_action, self.details.check_in_button),
                 (self.no_show_action, self.details.no_show_button),
                 (self.left_unseen_action, self.details.left_unseen_button),
                 (self.slip_action, self.details.slip_button),
                 (self.walk_in_action, self.details.walk_in_button))
        for action, button in pairs:
            button.setToolTip(action.toolTip())
            button.setAccessibleDescription(action.toolTip())
        self.walk_in_action.setEnabled(self.state.can(Action.BOOK))
        self.details.walk_in_button.setVisible(self.state.can(Action.BOOK))

    def menu_actions(self) -> list[QAction]:
        """What the main window puts in its Actions menu (shortcuts shown there too)."""
        return [self.check_in_action, self.no_show_action, self.left_unseen_action, self.slip_action,
                self.walk_in_action, self.next_action, self.previous_action, self.refresh_action]

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._update_actions()

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().hideEvent(event)
        # The same actions sit in the window's menu: while another view shows, they must not act
        # on a selection the clerk cannot see.
        self._update_actions()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # Enter in the list checks the selected visitor in. (↓/↑ in the window's search box reach
        # ``move_selection`` through the main window: SearchBox.navigated.)
        if (watched is self.table and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)):
            self.check_in_selected()
            return True
        return super().eventFilter(watched, event)

    # -- the search box (called by the main window) -----------------------------------------

    def apply_search(self, text: str) -> None:
        """Filter live on every keystroke; a single match is selected, ready for Enter."""
        self.proxy.set_query(text)
        visible = self.proxy.rowCount()
        current = self.selected_view()
        if visible == 1:
            self._select_proxy_row(0)
        elif current is not None and self._proxy_row_of(current) is None:
            self.table.selectionModel().clearSelection()
            self.table.setCurrentIndex(QModelIndex())
        self._update_empty()

    def submit_search(self, text: str) -> bool:
        """Enter in the search box: check in the scanned reference or the selected visitor.

        Returns True when it acted (the main window then clears the box, ready for the next
        scan); False when the clerk still has to choose, and the banner says how.
        """
        text = text.strip()
        canonical = normalise_reference(text) if text else None
        if canonical is not None:
            row = self.model.row_of_reference(canonical)
            if row is not None:
                self._select_source_row(row)
                self.check_in(canonical)
                return True
            if self.proxy.rowCount() == 0:
                # Not one of today's here: the service says where and when it is booked.
                self.check_in(canonical)
                return True
        selected = self.selected_view()
        if selected is not None and (not text or self._proxy_row_of(selected) is not None):
            self.check_in(selected.reference)
            return True
        if not text:
            return False
        matching = self.proxy.rowCount()
        if matching == 0:
            self.banner.show_message("warning", self.tr(
                "Nobody today matches “{0}”. Check the spelling, or try the phone number, crime reference "
                "or the reference on the slip.").format(text[:60]))
        else:
            self.banner.show_message("info", self.tr(
                "{0} visitors match “{1}”: choose one with ↓ and ↑, then press Enter.").format(matching, text[:60]))
        return False

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

    def _on_table_current_row_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._update_details()

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

        def load(_progress: Callable[[int, int], None]) -> tuple[date, list[AppointmentView], list[AppointmentView]]:
            views = appointments.list_day(ctx, actor, day)
            arrivals = checkin.arrivals_for_officer(ctx, actor, since) if want_arrivals else []
            return day, views, arrivals

        self.state.tasks.run(load, on_done=self._on_list_loaded, on_error=self._on_list_failed)

    def _on_list_loaded(self, result: tuple[date, list[AppointmentView], list[AppointmentView]]) -> None:
        day, views, arrivals = result
        self._loading = False
        selected = self.selected_view()
        self.model.set_rows(views, self.state.ctx.clock.now())
        self._loaded_day = day
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
                                 [(self.tr("&Retry"), self.reload)])
        self.loaded.emit()

    def _announce_arrivals(self, arrivals: list[AppointmentView]) -> None:
        self._arrivals_since = max(a.arrived_at for a in arrivals if a.arrived_at is not None)
        lines = [
            self.tr("{0} {1} ({2}) is waiting for you — {3}.").format(
                f"{local(a.start):%H:%M}", a.reference, mask_name(a.visitor_name, self.model.masked), a.room_name)
            for a in arrivals
        ]
        text = self.tr("Your visitor has arrived: ") + " ".join(lines)
        self.banner.show_message("info", text)
        self.state.message.emit(text, "info")

    def _on_state_data_changed(self) -> None:
        self.reload()

    def _on_state_mask_changed(self, masked: bool) -> None:
        self.model.set_masked(masked)
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

    def check_in_selected(self) -> None:
        view = self.selected_view()
        if view is None:
            self.banner.show_message("info", self.tr("Select a visitor first: scan the slip or type a name, "
                                                     "then press Enter."))
            return
        self.check_in(view.reference)

    def check_in(self, reference: str, *, force: bool = False) -> None:
        if self._busy:
            return
        ctx, actor = self.state.ctx, self.state.actor
        # A reference this cache does not hold is asked about at the centre (the same URL the sync
        # uses), on the task runner like the check-in itself: a slow link never stalls the counter.
        url = self.state.settings.central_url
        lookup = checkin.central_lookup_at(url) if url else None
        self._run(lambda _p: checkin.check_in(ctx, actor, reference, force=force, remote_lookup=lookup),
                  self._on_checked_in, reference)

    def _on_checked_in(self, result: CheckInResult) -> None:
        view = result.appointment
        who = mask_name(view.visitor_name, self.model.masked)
        officer = view.officer_label if view.officer_id else self.tr("the duty supervisor")
        text = self.tr("Checked in {0} ({1}) at {2}. Please take a seat: {3} will collect them for {4}; "
                       "the officer has been told.").format(
            who, view.reference, f"{local(view.arrived_at or self.state.ctx.clock.now()):%H:%M}", officer,
            view.room_name)
        if result.warning:
            self.banner.show_message("warning", f"{text} {result.warning}")
        else:
            self.banner.show_message("success", text)
        self.state.message.emit(self.tr("Checked in {0}").format(view.reference), "info")
        self.select_reference(view.reference)
        self.checked_in.emit(view)

    def mark_no_show_selected(self) -> None:
        view = self.selected_view()
        if view is None:
            return
        grace_ends = view.start + timedelta(minutes=self.state.ctx.policy.no_show_grace_minutes)
        if self.state.ctx.clock.now() < grace_ends:
            # The service is the one place that refuses (and says until when); no confirmation first.
            self._no_show(view)
            return
        self.banner.show_message("warning", self.tr(
            "Mark {0} ({1}, {2}) as a no-show? A follow-up opens for the officer to recontact the visitor "
            "or check on their welfare.").format(mask_name(view.visitor_name, self.model.masked), view.reference,
                                                  f"{local(view.start):%H:%M}"),
            [(self.tr("&Confirm no-show"), lambda: self._no_show(view)), (self.tr("Ca&ncel"), self.banner.hide)])
        self.banner.buttons[0].setFocus()

    def _no_show(self, view: AppointmentView) -> None:
        ctx, actor = self.state.ctx, self.state.actor
        self._run(lambda _p: checkin.mark_no_show(ctx, actor, view.id), self._on_no_show_marked, view.reference)

    def _on_no_show_marked(self, view: AppointmentView) -> None:
        self.banner.show_message("success", self.tr(
            "{0} marked as a no-show. A follow-up is open for {1} to recontact the visitor.").format(
            view.reference, view.officer_label if view.officer_id else self.tr("the officer")))

    def mark_left_unseen_selected(self) -> None:
        view = self.selected_view()
        if view is None:
            return
        self.banner.show_message("warning", self.tr(
            "Record that {0} ({1}) left before being seen?").format(
            mask_name(view.visitor_name, self.model.masked), view.reference),
            [(self.tr("&Confirm left unseen"), lambda: self._left_unseen(view)), (self.tr("Ca&ncel"), self.banner.hide)])
        self.banner.buttons[0].setFocus()

    def _left_unseen(self, view: AppointmentView) -> None:
        ctx, actor = self.state.ctx, self.state.actor
        self._run(lambda _p: checkin.mark_left_unseen(ctx, actor, view.id),
                  lambda v: self.banner.show_message("success", self.tr(
                      "{0} recorded as left unseen. Let {1} know.").format(
                      v.reference, v.officer_label if v.officer_id else self.tr("the officer"))),
                  view.reference)

    def show_slip_selected(self) -> None:
        view = self.selected_view()
        if view is not None:
            show_slip(self.state, view.reference, self, on_error=self._on_action_failed,
                      on_opened=self._on_slip_opened)

    def _on_slip_opened(self, dialog: QDialog) -> None:
        self.slip_dialog = dialog

    def open_walk_in(self) -> None:
        from frontcounter.ui.walk_in_dialog import WalkInDialog

        dialog = WalkInDialog(self.state, self)
        dialog.booked.connect(self._on_walk_in_dialog_booked)
        dialog.open()
        self.walk_in_dialog = dialog

    def _on_walk_in_dialog_booked(self, view: AppointmentView) -> None:
        self.banner.show_message("success", self.tr(
            "Booked {0} for {1} at {2}, {3} with {4}.").format(
            view.reference, mask_name(view.visitor_name, self.model.masked),
            f"{local(view.start):%H:%M %a %d %b}", view.room_name, view.officer_label))
        self._pending_select = view.reference
        self.reload()

    def _run(self, fn: Callable[[Callable[[int, int], None]], Any], on_done: Callable[[Any], None],
             reference: str) -> None:
        """Run one counter action off the GUI thread; one at a time (a scanner may send Enter twice)."""
        self._busy = True
        self._update_actions()

        def done(result: Any) -> None:
            self._busy = False
            on_done(result)
            self._update_actions()
            self.action_finished.emit()

        def failed(exc: BaseException) -> None:
            self._busy = False
            self._update_actions()
            self._on_action_failed(exc, reference)
            self.action_finished.emit()

        self.state.tasks.run(fn, on_done=done, on_error=failed)

    def _on_action_failed(self, exc: BaseException, reference: str = "") -> None:
        if not isinstance(exc, FrontCounterError):
            raise exc  # a bug: the crash dialog's business
        actions: list[tuple[str, Callable[[], None]]] = []
        if isinstance(exc, WrongTime) and reference:
            actions.append((self.tr("Check in &anyway"), lambda: self.check_in(reference, force=True)))
        if isinstance(exc, MissedAppointment) and self.state.can(Action.BOOK):
            actions.append((self.tr("Book a &walk-in…"), self.open_walk_in))
        # Sending a visitor to the right station or time is a redirection, not a failure.
        kind = "warning" if actions or isinstance(exc, WrongPlaceOrTime) or "Too early" in exc.message else "error"
        self.banner.show_message(kind, exc.message, actions)

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
        upcoming = [v.start for v, s in zip(self.model.views(), self._states(), strict=True) if s == RowState.NEXT]
        if upcoming:
            parts.append(self.tr("▶ next at {0}").format(f"{local(upcoming[0]):%H:%M}"))
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
        self.details.show_view(view, self.model)
        self._update_actions()

    def _update_actions(self) -> None:
        view = self.selected_view()
        actor = self.state.actor
        now = self.state.ctx.clock.now()
        shown = not self.isHidden()
        booked = view is not None and view.status == Status.BOOKED

        def can(permission: Action) -> bool:
            return view is not None and allowed(actor, permission, view.station_id)

        self.check_in_action.setEnabled(shown and not self._busy and booked and can(Action.CHECK_IN))
        self.no_show_action.setEnabled(shown and not self._busy and booked and can(Action.MARK_NO_SHOW))
        self.left_unseen_action.setEnabled(shown and not self._busy and view is not None
                                           and view.status == Status.ARRIVED and can(Action.MARK_LEFT_UNSEEN))
        self.slip_action.setEnabled(shown and view is not None and can(Action.PRINT_SLIP)
                                    and view.status not in (Status.CANCELLED, Status.RESCHEDULED))
        self.walk_in_action.setEnabled(shown and self.state.can(Action.BOOK))
        for action in (self.next_action, self.previous_action, self.refresh_action):
            action.setEnabled(shown)
        details = self.details
        details.check_in_button.setEnabled(self.check_in_action.isEnabled())
        details.no_show_button.setEnabled(self.no_show_action.isEnabled())
        details.left_unseen_button.setEnabled(self.left_unseen_action.isEnabled())
        details.slip_button.setEnabled(self.slip_action.isEnabled())
        details.walk_in_button.setEnabled(self.walk_in_action.isEnabled())
        if view is not None and booked:
            grace_ends = view.start + timedelta(minutes=self.state.ctx.policy.no_show_grace_minutes)
            if now < grace_ends:
                details.no_show_button.setToolTip(self.tr("A no-show can be marked from {0} ({1} minutes after "
                                                          "the start).").format(
                    f"{local(grace_ends):%H:%M}", self.state.ctx.policy.no_show_grace_minutes))
            else:
                details.no_show_button.setToolTip(self.no_show_action.toolTip())
            late = minutes(now - view.start) if now > view.start else 0
            details.check_in_button.setText(self.tr("Check in ⏎") if not late else
                                            self.tr("Check in ⏎ (late {0} min)").format(late))
        else:
            details.check_in_button.setText(self.tr("Check in ⏎"))


def show_slip(state: AppState, reference: str, parent: QWidget, *,
              on_error: Callable[[BaseException, str], None] | None = None,
              on_opened: Callable[[QDialog], None] | None = None) -> None:
    """Build the visitor's slip off the GUI thread and open the preview (Print, Save as PDF)."""
    try:
        from frontcounter.services import documents
        from frontcounter.ui.pdf_preview import PdfPreviewDialog
    except ImportError:  # a build without documents: say so rather than fail
        state.message.emit(parent.tr("Slips are not available in this build."), "warning")
        return
    ctx, actor = state.ctx, state.actor

    def build(_progress: Callable[[int, int], None]) -> bytes:
        return documents.slip_pdf(ctx, actor, reference, destination="screen")

    def opened(pdf: bytes) -> None:
        produce = None
        if allowed(actor, Action.PRINT_SLIP):
            def produce(destination: Any, recipient: str, deliver: Any = None) -> bytes:
                return documents.slip_pdf(ctx, actor, reference, recipient, destination=destination, deliver=deliver)
        dialog = PdfPreviewDialog(pdf, title=parent.tr("Slip {0}").format(reference),
                                  suggested_name=f"slip-{reference}.pdf", produce=produce, parent=parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        if on_opened is not None:
            on_opened(dialog)

    def failed(exc: BaseException) -> None:
        if on_error is not None:
            on_error(exc, reference)
        elif isinstance(exc, FrontCounterError):
            state.message.emit(exc.message, "error")
        else:
            raise exc

    state.tasks.run(build, on_done=opened, on_error=failed)
