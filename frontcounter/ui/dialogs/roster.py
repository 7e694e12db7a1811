"""The roster admin's dialogs: a duty, a room, an opening session, and an officer pulled away
(the supervisor's choice of what becomes of their appointments)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from PySide6.QtCore import QDate, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.core.clock import LONDON, local
from frontcounter.services.scheduling import roster
from frontcounter.services.scheduling.premises import (
    RoomInput,
    add_room,
    add_session,
    update_room,
    update_session,
)
from frontcounter.services.scheduling.reassignment import ReassignmentSummary, reassign_officer
from frontcounter.services.scheduling.roster import WEEKDAYS, DutyView, OfficerView, RoomView, SessionView
from frontcounter.ui.app_state import AppState
from frontcounter.ui.kit.banner import Banner, error_text


def _wall(day: date, t: QTime) -> datetime:
    return datetime.combine(day, time(t.hour(), t.minute()), tzinfo=LONDON).astimezone(UTC)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(qd: QDate) -> date:
    return date(qd.year(), qd.month(), qd.day())


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
            return lambda: update_room(ctx, actor, room_id, data)
        return lambda: add_room(ctx, actor, data)


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
            return lambda: update_session(ctx, actor, session_id, weekday, start, end)
        return lambda: add_session(ctx, actor, weekday, start, end)


class PulledAwayDialog(QDialog):
    """One supervisor action: the officer is withdrawn for the rest of the day; their appointments
    go to other officers who are on duty, free and suitable, and the rest are flagged at risk."""

    reassigned = Signal(object)

    def __init__(self, state: AppState, day: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.day = day
        self.setWindowTitle(self.tr("Officer pulled away"))
        self.resize(620, 460)
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

        self.state.tasks.run(lambda p: reassign_officer(ctx, actor, officer_id, day, reason, progress=p),
                             on_done=ok, on_error=failed, on_progress=progress)
