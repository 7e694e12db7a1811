"""Asking the visitor at departure: a rating from 1 to 5 and, if they agree, a comment.

Keyboard first: the digits 1–5 choose a rating, the arrow keys move it, Tab reaches the consent
box, and the comment box opens only once consent is ticked (the service refuses a comment
without it too). The chosen rating is marked with a ● and the word, not by colour alone.

Other views use ``record_feedback_for`` (one call, returns whether feedback was recorded) or put
``feedback_action`` in their menus and details pane.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import local
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.core.permissions import Action
from frontcounter.services.counter.feedback import MAX_COMMENT, can_give_feedback, record_feedback
from frontcounter.ui.app_state import AppState, mask_name

logger = logging.getLogger(__name__)


class FeedbackDialog(QDialog):
    """Record one visitor's rating (and consented comment); closes itself once it is saved."""

    #: The feedback was saved: the appointment as it now is.
    recorded = Signal(object)

    def __init__(self, state: AppState, appointment: AppointmentView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.appointment = appointment
        self.setObjectName("feedbackDialog")
        self.setWindowTitle(self.tr("Feedback — {0}").format(appointment.reference))
        self.setModal(True)
        self._names = (self.tr("Very poor"), self.tr("Poor"), self.tr("OK"), self.tr("Good"), self.tr("Very good"))

        visitor = mask_name(appointment.visitor_name, state.masked) or self.tr("the visitor")
        heading = QLabel(self.tr("How was the visit today?"))
        heading.setProperty("heading", True)
        about = QLabel(self.tr("{0} · {1} at {2} · {3}").format(
            visitor, appointment.reference, f"{local(appointment.start):%H:%M}", appointment.room_name))
        about.setWordWrap(True)

        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: list[QPushButton] = []
        row = QHBoxLayout()
        for value in range(1, 6):
            button = QPushButton()
            button.setCheckable(True)
            # Not the dialog's default when focused: the theme draws a default button navy, and a
            # focused "4 Good" then looked already chosen while Record stayed disabled.
            button.setAutoDefault(False)
            button.setObjectName(f"rating{value}")
            button.setAccessibleName(self.tr("Rating {0} of 5: {1}").format(value, self._names[value - 1]))
            button.setToolTip(self.tr("Press {0}").format(value))
            button.setMinimumHeight(52)
            button.installEventFilter(self)  # the arrow keys move the rating, not just the focus
            self.group.addButton(button, value)
            self.buttons.append(button)
            row.addWidget(button)
        self.group.idToggled.connect(self._on_group_id_toggled)
        self._label_buttons()

        self.consent = QCheckBox(self.tr("The visitor &agrees that we keep their comment"))
        self.consent.setAccessibleName(self.tr("Consent to keep a comment"))
        self.comment = QPlainTextEdit()
        self.comment.setObjectName("feedbackComment")
        self.comment.setAccessibleName(self.tr("The visitor's comment"))
        self.comment.setPlaceholderText(self.tr("Comment in the visitor's words (optional; tick consent first)"))
        self.comment.setTabChangesFocus(True)
        self.comment.setEnabled(False)
        self.comment.setMaximumHeight(110)
        self.consent.toggled.connect(self._on_consent_toggled)
        note = QLabel(self.tr("The rating goes into the station's reports without the visitor's name. "
                              "A comment is kept with the appointment only if the visitor agrees. "
                              "Their feedback reference is the appointment reference on their slip."))
        note.setWordWrap(True)
        note.setObjectName("feedbackNote")
        self.error = QLabel()
        self.error.setObjectName("feedbackError")
        self.error.setWordWrap(True)
        self.error.setAccessibleName(self.tr("Problem"))
        self.error.hide()

        self.record_button = QPushButton(self.tr("&Record feedback"))
        self.record_button.setDefault(True)
        self.record_button.setProperty("primary", True)
        self.record_button.setEnabled(False)
        self.record_button.clicked.connect(self._on_record_button_clicked)
        cancel = QPushButton(self.tr("Cancel"))
        cancel.clicked.connect(self.reject)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(cancel)
        actions.addWidget(self.record_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(about)
        layout.addSpacing(6)
        layout.addWidget(QLabel(self.tr("Rating (press 1 to 5):")))
        layout.addLayout(row)
        layout.addSpacing(6)
        layout.addWidget(self.consent)
        layout.addWidget(self.comment)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addLayout(actions)
        self.resize(560, self.sizeHint().height())
        self.buttons[3].setFocus()

    # -- choosing -----------------------------------------------------------------------------

    def rating(self) -> int | None:
        value = self.group.checkedId()
        return value if value > 0 else None

    def set_rating(self, value: int) -> None:
        self.buttons[value - 1].setChecked(True)
        self.buttons[value - 1].setFocus()

    def _label_buttons(self) -> None:
        for value, button in enumerate(self.buttons, start=1):
            mark = "● " if button.isChecked() else ""
            button.setText(f"{mark}{value}\n{self._names[value - 1]}")

    def _on_group_id_toggled(self, _id: int, _checked: bool) -> None:
        self._label_buttons()
        self.record_button.setEnabled(self.rating() is not None)

    def _on_consent_toggled(self, checked: bool) -> None:
        self.comment.setEnabled(checked)
        if checked:
            self.comment.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key = event.key()
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_5:
            self.set_rating(key - Qt.Key.Key_0)
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if (watched in self.buttons and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right)):
            step = 1 if event.key() == Qt.Key.Key_Right else -1
            self.set_rating(max(1, min(5, (self.rating() or 3) + step)))
            return True
        return super().eventFilter(watched, event)

    # -- saving -------------------------------------------------------------------------------

    def _on_record_button_clicked(self) -> None:
        rating = self.rating()
        if rating is None:
            self._show_error(self.tr("Choose a rating from 1 to 5 first."))
            return
        comment = self.comment.toPlainText().strip() if self.consent.isChecked() else ""
        if len(comment) > MAX_COMMENT:
            self._show_error(self.tr("The comment is too long (at most {0} characters).").format(MAX_COMMENT))
            return
        self.record_button.setEnabled(False)
        self.error.hide()
        ctx, actor, appointment_id = self.state.ctx, self.state.actor, self.appointment.id
        consent = self.consent.isChecked()
        self.state.tasks.run(
            lambda _progress: record_feedback(ctx, actor, appointment_id, rating, comment or None, consent),
            on_done=self._on_saved, on_error=self._on_failed)

    def _on_saved(self, view: AppointmentView) -> None:
        self.recorded.emit(view)
        self.state.message.emit(self.tr("Feedback recorded for {0}.").format(view.reference), "info")
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        self.record_button.setEnabled(True)
        if isinstance(exc, FrontCounterError):
            self._show_error(exc.message)
            return
        logger.error("recording feedback failed", exc_info=exc)
        self._show_error(self.tr("Something went wrong; the details are in the log."))

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


def may_record_feedback(state: AppState, appointment: AppointmentView | None) -> bool:
    """Whether to offer "Record feedback…" for ``appointment`` (the service checks again)."""
    return (appointment is not None and state.can(Action.RECORD_FEEDBACK)
            and can_give_feedback(appointment.status))


def record_feedback_for(state: AppState, parent: QWidget | None, appointment_view: AppointmentView) -> bool:
    """Ask for the visitor's feedback on ``appointment_view``; True once it is recorded."""
    if not may_record_feedback(state, appointment_view):
        state.message.emit(
            state.tr("Feedback is taken when the visitor leaves (in progress, completed or left unseen)."), "warning")
        return False
    dialog = FeedbackDialog(state, appointment_view, parent)
    return dialog.exec() == QDialog.DialogCode.Accepted


def feedback_action(state: AppState, parent: QWidget,
                    current: Callable[[], AppointmentView | None]) -> QAction:
    """A "Record feedback…" action for a view's menu or details pane.

    ``current`` returns the selected appointment; call ``refresh_feedback_action`` when the
    selection changes so the action is enabled only where feedback can be taken.
    """
    action = QAction(parent.tr("Record &feedback…"), parent)
    action.setObjectName("recordFeedbackAction")
    action.setToolTip(parent.tr("Record the visitor's rating and, with consent, their comment"))
    action.setVisible(state.can(Action.RECORD_FEEDBACK))

    def triggered(_checked: bool = False, *_args: Any) -> None:
        view = current()
        if view is not None:
            record_feedback_for(state, parent, view)

    action.triggered.connect(triggered)
    refresh_feedback_action(action, state, current())
    return action


def refresh_feedback_action(action: QAction, state: AppState, appointment: AppointmentView | None) -> None:
    action.setEnabled(may_record_feedback(state, appointment))
