"""Supervisor admin: the duty roster (who is on appointment duty when), rooms and their features,
and the station's opening sessions; and the one-action "Officer pulled away".

Each tab is shown only to a role that may change it (supervisors: all three; admins: rooms and
sessions). Changes go through ``services/scheduling/roster.py`` on the task runner; a refusal (a shift that
would strand booked visitors, a room they need) is shown in place with what to do first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.core.clock import local, local_today
from frontcounter.services.core.permissions import Action, allowed
from frontcounter.services.scheduling import roster
from frontcounter.services.scheduling.premises import (
    remove_session,
)
from frontcounter.services.scheduling.roster import WEEKDAYS, OfficerView
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.roster import (
    DutyDialog,
    PulledAwayDialog,
    RoomDialog,
    SessionDialog,
)
from frontcounter.ui.kit.banner import Banner, error_text

logger = logging.getLogger(__name__)


def _table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setAccessibleName(name)
    table.setTabKeyNavigation(False)  # Tab leaves the table; the arrow keys move within it
    return table


def _cell(text: str, data: Any = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    return item


class RosterAdminView(QWidget):
    """The navigation's "Roster & rooms"."""

    loaded = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rosterAdminView")
        self.state = state
        self.week_of: date = local_today(state.ctx.clock) - timedelta(days=local_today(state.ctx.clock).weekday())
        self._officers: list[OfficerView] = []
        self._dialogs: list[QDialog] = []
        heading = QLabel(self.tr("Roster, rooms and opening sessions"))
        heading.setProperty("heading", True)
        self.banner = Banner(self)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Roster sections"))
        actor = state.actor

        # Duty roster
        self.duty_tab = QWidget()
        self.week_label = QLabel()
        self.prev_week = QPushButton(self.tr("◀ Previous week"))
        self.next_week = QPushButton(self.tr("Next week ▶"))
        self.duties = _table([self.tr("Day"), self.tr("Officer"), self.tr("From"), self.tr("Until"), self.tr("State")],
                             self.tr("Duty roster"))
        self.add_duty = QPushButton(self.tr("&Add shift…"))
        self.edit_duty = QPushButton(self.tr("&Change shift…"))
        self.remove_duty = QPushButton(self.tr("&Remove shift"))
        self.pulled_away = QPushButton(self.tr("Officer &pulled away…"))
        self.pulled_away.setVisible(allowed(actor, Action.REASSIGN))
        top = QHBoxLayout()
        top.addWidget(self.prev_week)
        top.addWidget(self.week_label, 1)
        top.addWidget(self.next_week)
        actions = QHBoxLayout()
        for b in (self.add_duty, self.edit_duty, self.remove_duty):
            actions.addWidget(b)
        actions.addStretch(1)
        actions.addWidget(self.pulled_away)
        duty_layout = QVBoxLayout(self.duty_tab)
        duty_layout.addLayout(top)
        duty_layout.addWidget(self.duties, 1)
        duty_layout.addLayout(actions)

        # Rooms
        self.room_tab = QWidget()
        self.rooms = _table([self.tr("Room"), self.tr("Capacity"), self.tr("Features"), self.tr("In use")],
                            self.tr("Rooms"))
        self.add_room = QPushButton(self.tr("Add &room…"))
        self.edit_room = QPushButton(self.tr("Change r&oom…"))
        room_actions = QHBoxLayout()
        room_actions.addWidget(self.add_room)
        room_actions.addWidget(self.edit_room)
        room_actions.addStretch(1)
        room_layout = QVBoxLayout(self.room_tab)
        room_layout.addWidget(self.rooms, 1)
        room_layout.addLayout(room_actions)

        # Sessions
        self.session_tab = QWidget()
        self.sessions = _table([self.tr("Day"), self.tr("Opens"), self.tr("Closes")], self.tr("Opening sessions"))
        self.add_session = QPushButton(self.tr("Add &session…"))
        self.edit_session = QPushButton(self.tr("Change s&ession…"))
        self.remove_session = QPushButton(self.tr("Remove sess&ion"))
        session_actions = QHBoxLayout()
        for b in (self.add_session, self.edit_session, self.remove_session):
            session_actions.addWidget(b)
        session_actions.addStretch(1)
        session_layout = QVBoxLayout(self.session_tab)
        session_layout.addWidget(QLabel(self.tr("Weekly hours in which the station takes appointments (UK time).")))
        session_layout.addWidget(self.sessions, 1)
        session_layout.addLayout(session_actions)

        if allowed(actor, Action.MANAGE_ROSTER):
            self.tabs.addTab(self.duty_tab, self.tr("&Duty roster"))
        if allowed(actor, Action.MANAGE_ROOMS):
            self.tabs.addTab(self.room_tab, self.tr("Roo&ms"))
        if allowed(actor, Action.MANAGE_SESSIONS):
            self.tabs.addTab(self.session_tab, self.tr("Opening &sessions"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(heading)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)

        self.prev_week.clicked.connect(lambda: self._move_week(-7))
        self.next_week.clicked.connect(lambda: self._move_week(7))
        self.add_duty.clicked.connect(self._on_add_duty_clicked)
        self.edit_duty.clicked.connect(self._on_edit_duty_clicked)
        self.duties.itemActivated.connect(lambda _i: self._on_edit_duty_clicked())
        self.remove_duty.clicked.connect(self._on_remove_duty_clicked)
        self.pulled_away.clicked.connect(self._on_pulled_away_clicked)
        self.add_room.clicked.connect(lambda: self._open(RoomDialog(self.state, parent=self)))
        self.edit_room.clicked.connect(self._on_edit_room_clicked)
        self.rooms.itemActivated.connect(lambda _i: self._on_edit_room_clicked())
        self.add_session.clicked.connect(lambda: self._open(SessionDialog(self.state, parent=self)))
        self.edit_session.clicked.connect(self._on_edit_session_clicked)
        self.sessions.itemActivated.connect(lambda _i: self._on_edit_session_clicked())
        self.remove_session.clicked.connect(self._on_remove_session_clicked)
        state.data_changed.connect(self.reload)
        self.reload()

    # -- loading --------------------------------------------------------------------------------

    def reload(self) -> None:
        ctx, actor, week = self.state.ctx, self.state.actor, self.week_of
        self.week_label.setText(self.tr("Week of {0}").format(week.strftime("%a %d %b %Y")))
        self.week_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        def load(_p: object) -> tuple[Any, ...]:
            duties = roster.list_duties(ctx, actor, week, days=7) if allowed(actor, Action.MANAGE_ROSTER) else []
            officers = roster.list_officers(ctx, actor) if allowed(actor, Action.MANAGE_ROSTER) else []
            return duties, officers, roster.list_rooms(ctx, actor), roster.list_sessions(ctx, actor)

        self.state.tasks.run(load, on_done=self._on_loaded,
                             on_error=lambda exc: self.banner.show_message(error_text(exc, self.tr("Not loaded."))))

    def _on_loaded(self, result: tuple[Any, ...]) -> None:
        duties, self._officers, rooms, sessions = result
        self.duties.setRowCount(0)
        for d in duties:
            row = self.duties.rowCount()
            self.duties.insertRow(row)
            state = self.tr("withdrawn at {0}: {1}").format(f"{local(d.withdrawn_at):%H:%M}", d.withdrawn_reason or "") \
                if d.withdrawn_at else self.tr("on duty")
            for col, text in enumerate((f"{local(d.start):%a %d %b}", d.officer_label, f"{local(d.start):%H:%M}",
                                        f"{local(d.end):%H:%M}", state)):
                self.duties.setItem(row, col, _cell(text, d if col == 0 else None))
        self.rooms.setRowCount(0)
        for r in rooms:
            row = self.rooms.rowCount()
            self.rooms.insertRow(row)
            for col, text in enumerate((r.name, str(r.capacity), ", ".join(r.features) or "—",
                                        self.tr("yes") if r.active else self.tr("no (out of use)"))):
                self.rooms.setItem(row, col, _cell(text, r if col == 0 else None))
        self.sessions.setRowCount(0)
        for s in sessions:
            row = self.sessions.rowCount()
            self.sessions.insertRow(row)
            for col, text in enumerate((self.tr(WEEKDAYS[s.weekday]), f"{s.start_time:%H:%M}", f"{s.end_time:%H:%M}")):
                self.sessions.setItem(row, col, _cell(text, s if col == 0 else None))
        self.loaded.emit()

    def _move_week(self, days: int) -> None:
        self.week_of += timedelta(days=days)
        self.reload()

    # -- actions --------------------------------------------------------------------------------

    def _selected(self, table: QTableWidget) -> Any:
        row = table.currentRow()
        item = table.item(row, 0) if row >= 0 else None
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _open(self, dialog: QDialog) -> QDialog:
        self._dialogs.append(dialog)
        dialog.finished.connect(lambda _r, d=dialog: self._dialogs.remove(d) if d in self._dialogs else None)
        dialog.open()
        return dialog

    def _on_add_duty_clicked(self) -> None:
        self._open(DutyDialog(self.state, self._officers, max(self.week_of, local_today(self.state.ctx.clock)),
                              parent=self))

    def _on_edit_duty_clicked(self) -> None:
        duty = self._selected(self.duties)
        if duty is None:
            self.banner.show_message(self.tr("Choose a shift first."), "info")
            return
        self._open(DutyDialog(self.state, self._officers, local(duty.start).date(), duty, parent=self))

    def _run(self, fn: Callable[[], Any], failure: str) -> None:
        self.banner.clear()
        self.state.tasks.run(lambda _p: fn(), on_error=lambda exc: self.banner.show_message(error_text(exc, failure)))

    def _on_remove_duty_clicked(self) -> None:
        duty = self._selected(self.duties)
        if duty is None:
            self.banner.show_message(self.tr("Choose a shift first."), "info")
            return
        ctx, actor = self.state.ctx, self.state.actor
        self._run(lambda: roster.remove_duty(ctx, actor, duty.id), self.tr("The shift could not be removed."))

    def _on_pulled_away_clicked(self) -> None:
        duty = self._selected(self.duties)
        day = local(duty.start).date() if duty is not None else local_today(self.state.ctx.clock)
        self._open(PulledAwayDialog(self.state, day, parent=self))

    def _on_edit_room_clicked(self) -> None:
        room = self._selected(self.rooms)
        if room is None:
            self.banner.show_message(self.tr("Choose a room first."), "info")
            return
        self._open(RoomDialog(self.state, room, parent=self))

    def _on_edit_session_clicked(self) -> None:
        session = self._selected(self.sessions)
        if session is None:
            self.banner.show_message(self.tr("Choose a session first."), "info")
            return
        self._open(SessionDialog(self.state, session, parent=self))

    def _on_remove_session_clicked(self) -> None:
        session = self._selected(self.sessions)
        if session is None:
            self.banner.show_message(self.tr("Choose a session first."), "info")
            return
        ctx, actor = self.state.ctx, self.state.actor
        self._run(lambda: remove_session(ctx, actor, session.id), self.tr("The session could not be removed."))
