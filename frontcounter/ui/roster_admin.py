"""Supervisor admin: the duty roster (who is on appointment duty when), rooms and their features,
and the station's opening sessions; and the one-action "Officer pulled away".

Each tab is shown only to a role that may change it (supervisors: all three; admins: rooms and
sessions). Changes go through ``services/roster.py`` on the task runner; a refusal (a shift that
would strand booked visitors, a room they need) is shown in place with what to do first.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from PySide6.QtCore import QDate, QSize, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services import roster, scheduling
from frontcounter.services.clock import LONDON, local, local_today
from frontcounter.services.permissions import Action, allowed
from frontcounter.services.roster import WEEKDAYS, DutyView, OfficerView, RoomInput, RoomView, SessionView
from frontcounter.services.scheduling import ReassignmentSummary
from frontcounter.ui.app_state import AppState
from frontcounter.ui.appointment_dialog import Banner, error_text
from frontcounter.ui.screen_fit import fit_to_screen

logger = logging.getLogger(__name__)


def _wall(day: date, t: QTime) -> datetime:
    return datetime.combine(day, time(t.hour(), t.minute()), tzinfo=LONDON).astimezone(UTC)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(qd: QDate) -> date:
    return date(qd.year(), qd.month(), qd.day())


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


class _Form(QDialog):
    """A small input dialog whose OK runs a service call; errors stay in the dialog."""

    saved = Signal(object)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.form = QFormLayout()
        self.banner = Banner(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.banner)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

    def call(self) -> Callable[[], Any]:
        raise NotImplementedError

    def _on_buttons_accepted(self) -> None:
        try:
            fn = self.call()
        except ValueError as exc:
            self.banner.show_message(str(exc))
            return
        self.buttons.setEnabled(False)

        def ok(result: Any) -> None:
            self.buttons.setEnabled(True)
            self.saved.emit(result)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            self.banner.show_message(error_text(exc, self.tr("That change could not be saved.")))

        self.state.tasks.run(lambda _p: fn(), on_done=ok, on_error=failed)


class DutyDialog(_Form):
    def __init__(self, state: AppState, officers: list[OfficerView], day: date, duty: DutyView | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.setWindowTitle(self.tr("Change shift") if duty else self.tr("Add shift"))
        self.duty = duty
        self.officer = QComboBox()
        self.officer.setAccessibleName(self.tr("Officer"))
        for o in officers:
            self.officer.addItem(o.label, o.id)
        self.day = QDateEdit(_qdate(local(duty.start).date() if duty else day))
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd dd MMM yyyy")
        self.day.setAccessibleName(self.tr("Day"))
        self.start = QTimeEdit(QTime(16, 30) if duty is None else QTime(local(duty.start).hour, local(duty.start).minute))
        self.start.setAccessibleName(self.tr("Start"))
        self.end = QTimeEdit(QTime(20, 30) if duty is None else QTime(local(duty.end).hour, local(duty.end).minute))
        self.end.setAccessibleName(self.tr("End"))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("HH:mm")
        if duty is not None:
            # findData cannot compare Python UUIDs held in a QVariant: look for it by hand.
            index = next((i for i in range(self.officer.count()) if self.officer.itemData(i) == duty.officer_id), 0)
            self.officer.setCurrentIndex(index)
            self.officer.setEnabled(False)
        self.form.addRow(self.tr("&Officer:"), self.officer)
        self.form.addRow(self.tr("&Day:"), self.day)
        self.form.addRow(self.tr("&From:"), self.start)
        self.form.addRow(self.tr("&Until:"), self.end)
        self.form.addRow(QLabel(self.tr("An end before the start runs past midnight.")))

    def call(self) -> Callable[[], Any]:
        ctx, actor = self.state.ctx, self.state.actor
        day = _pydate(self.day.date())
        start = _wall(day, self.start.time())
        end_day = day + timedelta(days=1) if self.end.time() <= self.start.time() else day
        end = _wall(end_day, self.end.time())
        if self.duty is not None:
            duty_id = self.duty.id
            return lambda: roster.update_duty(ctx, actor, duty_id, start, end)
        officer_id = self.officer.currentData()
        if officer_id is None:
            raise ValueError(self.tr("Choose an officer."))
        return lambda: roster.add_duty(ctx, actor, officer_id, start, end)


class RoomDialog(_Form):
    def __init__(self, state: AppState, room: RoomView | None = None, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.setWindowTitle(self.tr("Change room") if room else self.tr("Add room"))
        self.room = room
        self.name = QLineEdit(room.name if room else "")
        self.name.setAccessibleName(self.tr("Room name"))
        self.capacity = QSpinBox()
        self.capacity.setRange(1, 50)
        self.capacity.setValue(room.capacity if room else 3)
        self.capacity.setAccessibleName(self.tr("Capacity"))
        self.features = {}
        for key in roster.FEATURES:
            box = QCheckBox(self.tr(roster.FEATURE_LABELS[key].capitalize()))
            box.setChecked(bool(getattr(room, key)) if room else False)
            self.features[key] = box
        self.active = QCheckBox(self.tr("In use (bookable)"))
        self.active.setChecked(room.active if room else True)
        self.form.addRow(self.tr("&Name:"), self.name)
        self.form.addRow(self.tr("&Capacity:"), self.capacity)
        for box in self.features.values():
            self.form.addRow("", box)
        self.form.addRow("", self.active)

    def call(self) -> Callable[[], Any]:
        ctx, actor = self.state.ctx, self.state.actor
        data = RoomInput(self.name.text(), self.capacity.value(), active=self.active.isChecked(),
                         **{k: box.isChecked() for k, box in self.features.items()})
        if self.room is not None:
            room_id = self.room.id
            return lambda: roster.update_room(ctx, actor, room_id, data)
        return lambda: roster.add_room(ctx, actor, data)


class SessionDialog(_Form):
    def __init__(self, state: AppState, session: SessionView | None = None, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.setWindowTitle(self.tr("Change session") if session else self.tr("Add session"))
        self.session = session
        self.weekday = QComboBox()
        for i, name in enumerate(WEEKDAYS):
            self.weekday.addItem(self.tr(name), i)
        self.weekday.setAccessibleName(self.tr("Day of the week"))
        self.start = QTimeEdit(QTime(17, 0) if session is None else QTime(session.start_time.hour,
                                                                            session.start_time.minute))
        self.end = QTimeEdit(QTime(20, 0) if session is None else QTime(session.end_time.hour, session.end_time.minute))
        for edit, name in ((self.start, "Opens"), (self.end, "Closes")):
            edit.setDisplayFormat("HH:mm")
            edit.setAccessibleName(self.tr(name))
        if session is not None:
            self.weekday.setCurrentIndex(session.weekday)
        self.form.addRow(self.tr("&Day:"), self.weekday)
        self.form.addRow(self.tr("&Opens:"), self.start)
        self.form.addRow(self.tr("&Closes:"), self.end)

    def call(self) -> Callable[[], Any]:
        ctx, actor = self.state.ctx, self.state.actor
        weekday = int(self.weekday.currentData())
        start = time(self.start.time().hour(), self.start.time().minute())
        end = time(self.end.time().hour(), self.end.time().minute())
        if self.session is not None:
            session_id = self.session.id
            return lambda: roster.update_session(ctx, actor, session_id, weekday, start, end)
        return lambda: roster.add_session(ctx, actor, weekday, start, end)


class PulledAwayDialog(QDialog):
    """One supervisor action: the officer is withdrawn for the rest of the day; their appointments
    go to other officers who are on duty, free and suitable, and the rest are flagged at risk."""

    reassigned = Signal(object)

    def __init__(self, state: AppState, day: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.day = day
        self.setWindowTitle(self.tr("Officer pulled away"))
        fit_to_screen(self, QSize(620, 460))  # at most the screen's available area
        self.officer = QComboBox()
        self.officer.setAccessibleName(self.tr("Officer"))
        self.reason = QLineEdit()
        self.reason.setAccessibleName(self.tr("Why"))
        self.reason.setPlaceholderText(self.tr("e.g. Called to a major incident"))
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Progress"))
        self.progress.hide()
        self.outcomes = QListWidget()
        self.outcomes.setAccessibleName(self.tr("What happened to each appointment"))
        self.outcomes.hide()
        self.banner = Banner(self)
        self.confirm = QPushButton(self.tr("&Withdraw and reassign"))
        self.confirm.setProperty("danger", True)
        self.close_button = QPushButton(self.tr("Close"))
        form = QFormLayout()
        form.addRow(self.tr("&Officer:"), self.officer)
        form.addRow(self.tr("&Why:"), self.reason)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.confirm)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("{0}: the officer's remaining appointments go to other officers on duty "
                                        "who are free and suitable; any that cannot be covered are flagged at "
                                        "risk for the counter and the FCR.").format(day.strftime("%A %d %B"))))
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.banner)
        layout.addWidget(self.outcomes, 1)
        layout.addLayout(buttons)
        self.confirm.clicked.connect(self._on_confirm_clicked)
        self.close_button.clicked.connect(self.reject)
        ctx, actor = state.ctx, state.actor
        self.confirm.setEnabled(False)
        state.tasks.run(lambda _p: roster.day_layout(ctx, actor, day), on_done=self._on_layout_loaded,
                        on_error=lambda exc: self.banner.show_message(error_text(exc, self.tr("No roster."))))

    def _on_layout_loaded(self, layout: roster.DayLayout) -> None:
        for on_duty in layout.officers:
            withdrawn = all(d.withdrawn_at is not None for d in on_duty.duties)
            label = on_duty.officer.label + (self.tr(" (already withdrawn)") if withdrawn else "")
            self.officer.addItem(label, on_duty.officer.id)
        if not layout.officers:
            self.banner.show_message(self.tr("No officer is on appointment duty that day."), "info")
        self.confirm.setEnabled(bool(layout.officers))

    def _on_confirm_clicked(self) -> None:
        officer_id: uuid.UUID | None = self.officer.currentData()
        if officer_id is None:
            return
        ctx, actor, day, reason = self.state.ctx, self.state.actor, self.day, self.reason.text()
        self.confirm.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.banner.clear()

        def progress(done: int, total: int) -> None:
            self.progress.setRange(0, max(1, total))
            self.progress.setValue(done)

        def ok(summary: ReassignmentSummary) -> None:
            self.progress.hide()
            self.outcomes.clear()
            for m in summary.moved:
                self.outcomes.addItem(self.tr("✓ {0} at {1}: now with {2}").format(
                    m.reference, f"{local(m.start):%H:%M}", m.officer))
            for u in summary.at_risk:
                self.outcomes.addItem(self.tr("⚠ {0} at {1}: AT RISK — {2}").format(
                    u.reference, f"{local(u.start):%H:%M}", u.reason))
            self.outcomes.setVisible(self.outcomes.count() > 0)
            self.banner.show_message(summary.describe(), "warning" if summary.at_risk else "info")
            self.state.message.emit(summary.describe(), "warning" if summary.at_risk else "info")
            self.reassigned.emit(summary)

        def failed(exc: BaseException) -> None:
            self.progress.hide()
            self.confirm.setEnabled(True)
            self.banner.show_message(error_text(exc, self.tr("The reassignment did not complete.")))

        self.state.tasks.run(lambda p: scheduling.reassign_officer(ctx, actor, officer_id, day, reason, progress=p),
                             on_done=ok, on_error=failed, on_progress=progress)


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
        self._run(lambda: roster.remove_session(ctx, actor, session.id), self.tr("The session could not be removed."))
