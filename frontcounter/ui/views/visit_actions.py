"""The visit after check-in, from a view: Taken in, Seen, Left unseen, Undo and Feedback.

Today and My appointments both hold one ``VisitActions``: it owns the actions (a visible button
and one key each), runs the service call on the task runner, says what happened through the
view's banner (``show``), and for ``UNDO_SHOWN_MS`` offers *Undo* there (Alt+U). When the visit
ends (seen or left unseen) the banner offers the visitor's 1–5 feedback (Alt+K, Ctrl+Shift+F).

Keys, chosen against every shortcut the window already has (Ctrl+1…8, Ctrl+Return, Ctrl+N,
Ctrl+P, Ctrl+L, Ctrl+F, Ctrl+I, Ctrl+, Ctrl+Q, Ctrl+S, Ctrl+Shift+N/L/S, Alt+↑↓←→, F5, F9, and
the menus' Alt+F/V/A/S/H): Ctrl+T taken in, Ctrl+D seen (done), Ctrl+Shift+L left unseen (the
existing one), Ctrl+Shift+F feedback. Undo is the banner's Alt+U: Ctrl+Z belongs to the search
box, where the clerk's focus usually is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QPushButton, QWidget

from frontcounter.db.models import Status
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import local
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.core.permissions import Action, allowed
from frontcounter.services.counter import visit
from frontcounter.services.counter.feedback import can_give_feedback
from frontcounter.ui.app_state import AppState, mask_name

logger = logging.getLogger(__name__)

#: How long the banner offers Undo (inside the service's own window, visit.UNDO_SECONDS).
UNDO_SHOWN_MS = 20_000

#: (kind, text, [(button label, callback)]) — the view's banner.
ShowMessage = Callable[[str, str, list[tuple[str, Callable[[], None]]]], None]


class VisitActions(QObject):
    """Taken in / Seen / Left unseen / Undo / Feedback for the visitor ``current()`` returns."""

    #: A step (or its undo) finished, successfully or not; the banner says which.
    finished = Signal()
    #: A step committed: the appointment as it now is.
    stepped = Signal(object)

    def __init__(self, state: AppState, owner: QWidget, current: Callable[[], AppointmentView | None],
                 show: ShowMessage, *, left_unseen_key: bool = True) -> None:
        super().__init__(owner)
        self.state = state
        self.owner = owner
        self.current = current
        self.show = show
        self.busy = False
        #: The step that may still be undone: (appointment, the status it reached, what it was).
        self.undoable: tuple[AppointmentView, Status, str] | None = None
        #: The feedback dialog last opened (tests drive it).
        self.feedback_dialog: QWidget | None = None
        self._last_message: tuple[str, str, AppointmentView] | None = None
        self.undo_timer = QTimer(self)
        self.undo_timer.setSingleShot(True)
        self.undo_timer.setInterval(UNDO_SHOWN_MS)
        self.undo_timer.timeout.connect(self._on_undo_timer_timeout)

        self.take_in_action = self._action(self.tr("&Taken in"), "Ctrl+T",
                                           self.tr("The officer has collected the waiting visitor"), self.take_in)
        self.seen_action = self._action(self.tr("S&een"), "Ctrl+D",
                                        self.tr("The visitor has been seen; the visit is over"), self.seen)
        # Today keeps its own Left unseen (Ctrl+Shift+L, with a confirmation) and hands the step here.
        self.left_unseen_action = self._action(self.tr("Mark &left unseen"), "Ctrl+Shift+L" if left_unseen_key else "",
                                               self.tr("The waiting visitor left before being seen"),
                                               self.left_unseen)
        self.feedback_action = self._action(self.tr("Record &feedback…"), "Ctrl+Shift+F",
                                            self.tr("Ask the visitor for their 1–5 rating of the visit"),
                                            self.ask_feedback)
        self.take_in_button = self._button(self.take_in_action, self.tr("Taken in"))
        self.seen_button = self._button(self.seen_action, self.tr("Seen"))
        self.left_unseen_button = self._button(self.left_unseen_action, self.tr("Left unseen"))
        self.feedback_button = self._button(self.feedback_action, self.tr("Feedback…"))
        self.feedback_action.setVisible(state.can(Action.RECORD_FEEDBACK))
        self.feedback_button.setVisible(state.can(Action.RECORD_FEEDBACK))
        self.update(None, shown=False)

    def _action(self, text: str, shortcut: str, tip: str, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self.owner)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        native = QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({native})" if native else tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.owner.addAction(action)
        return action

    def _button(self, action: QAction, text: str) -> QPushButton:
        native = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        button = QPushButton(f"{text}  {native}" if native else text)
        button.setObjectName(f"visit_{text.lower().replace(' ', '_').rstrip('…')}")
        button.setAutoDefault(False)
        button.setMinimumHeight(34)
        button.setToolTip(action.toolTip())
        button.setAccessibleName(text)
        button.setAccessibleDescription(action.toolTip())
        button.clicked.connect(action.trigger)
        return button

    def menu_actions(self) -> list[QAction]:
        return [self.take_in_action, self.seen_action, self.left_unseen_action, self.feedback_action]

    def update(self, view: AppointmentView | None, *, shown: bool, busy: bool = False) -> None:
        """Enable what applies to ``view`` (and nothing while the owner is hidden or busy)."""
        actor = self.state.actor
        idle = shown and not busy and not self.busy

        def can(permission: Action) -> bool:
            return view is not None and allowed(actor, permission, view.station_id)

        status = view.status if view is not None else None
        self.take_in_action.setEnabled(idle and status == Status.ARRIVED and can(Action.START_MEETING))
        self.seen_action.setEnabled(idle and status == Status.IN_PROGRESS and can(Action.COMPLETE))
        self.left_unseen_action.setEnabled(idle and status == Status.ARRIVED and can(Action.MARK_LEFT_UNSEEN))
        self.feedback_action.setEnabled(shown and status is not None and can_give_feedback(status)
                                        and can(Action.RECORD_FEEDBACK))
        for action, button in ((self.take_in_action, self.take_in_button), (self.seen_action, self.seen_button),
                               (self.left_unseen_action, self.left_unseen_button),
                               (self.feedback_action, self.feedback_button)):
            button.setEnabled(action.isEnabled())

    # -- the steps ---------------------------------------------------------------------------

    def take_in(self) -> None:
        self._step(visit.take_in, "taken_in")

    def seen(self) -> None:
        self._step(visit.complete, "seen")

    def left_unseen(self, view: AppointmentView | None = None) -> None:
        self._step(visit.left_unseen, "left_unseen", view)

    def _step(self, fn: Callable[..., AppointmentView], what: str, view: AppointmentView | None = None) -> None:
        view = view or self.current()
        if view is None or self.busy:
            return
        ctx, actor = self.state.ctx, self.state.actor
        self._run(lambda _p: fn(ctx, actor, view.id), lambda done: self._on_stepped(done, what))

    def _on_stepped(self, view: AppointmentView, what: str) -> None:
        who = mask_name(view.visitor_name, self.state.masked)
        if what == "taken_in":
            at = f"{local(view.seen_at):%H:%M}" if view.seen_at else ""
            text = self.tr("{0} ({1}) taken in at {2} by {3}.").format(who, view.reference, at, view.seen_by or "")
        elif what == "seen":
            text = self.tr("{0} ({1}) seen: the visit is over. Ask the visitor how it went.").format(
                who, view.reference)
        else:
            text = self.tr("{0} ({1}) recorded as left unseen. Let {2} know.").format(
                who, view.reference, view.officer_label if view.officer_id else self.tr("the officer"))
        self.undoable = (view, Status(view.status), what)
        self._last_message = ("success", text, view)
        self._show_last(with_undo=True)
        self.undo_timer.start()
        self.stepped.emit(view)

    def _show_last(self, *, with_undo: bool) -> None:
        if self._last_message is None:
            return
        kind, text, view = self._last_message
        buttons: list[tuple[str, Callable[[], None]]] = []
        if with_undo and self.undoable is not None:
            buttons.append((self.tr("&Undo"), self.undo))
        if view.status in (Status.COMPLETED, Status.LEFT_UNSEEN) and self.state.can(Action.RECORD_FEEDBACK):
            buttons.append((self.tr("Feedbac&k…"), lambda: self.open_feedback(view)))
        self.show(kind, text, buttons)

    def _on_undo_timer_timeout(self) -> None:
        if self.undoable is not None:
            self.undoable = None
            self._show_last(with_undo=False)

    def undo(self) -> None:
        """Step the last visit step back (within the few seconds the banner offers it)."""
        if self.undoable is None or self.busy:
            return
        view, reached, _what = self.undoable
        self.undoable = None
        self.undo_timer.stop()
        ctx, actor = self.state.ctx, self.state.actor
        self._run(lambda _p: visit.undo(ctx, actor, view.id, reached), self._on_undone)

    def _on_undone(self, view: AppointmentView) -> None:
        self._last_message = None
        self.show("info", self.tr("Undone: {0} ({1}) is {2} again.").format(
            mask_name(view.visitor_name, self.state.masked), view.reference,
            self.tr("waiting") if view.status == Status.ARRIVED else self.tr("with the officer")), [])
        self.stepped.emit(view)

    # -- feedback ----------------------------------------------------------------------------

    def ask_feedback(self) -> None:
        view = self.current()
        if view is not None:
            self.open_feedback(view)

    def open_feedback(self, view: AppointmentView) -> None:
        from frontcounter.ui.dialogs.feedback import FeedbackDialog

        dialog = FeedbackDialog(self.state, view, self.owner)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.recorded.connect(self._on_feedback_recorded)
        dialog.open()
        self.feedback_dialog = dialog

    def _on_feedback_recorded(self, view: AppointmentView) -> None:
        self.undoable = None
        self._last_message = None
        self.show("success", self.tr("Thank you: feedback recorded for {0}.").format(view.reference), [])

    # -- running -----------------------------------------------------------------------------

    def _run(self, fn: Callable[[Callable[[int, int], None]], Any], on_done: Callable[[Any], None]) -> None:
        self.busy = True
        self.update(self.current(), shown=True, busy=True)

        def done(result: Any) -> None:
            self.busy = False
            on_done(result)
            self.update(self.current(), shown=not self.owner.isHidden())
            self.finished.emit()

        def failed(exc: BaseException) -> None:
            self.busy = False
            self.update(self.current(), shown=not self.owner.isHidden())
            if not isinstance(exc, FrontCounterError):
                raise exc  # a bug: the crash dialog's business
            self.show("error", exc.message, [])
            self.finished.emit()

        self.state.tasks.run(fn, on_done=done, on_error=failed)
