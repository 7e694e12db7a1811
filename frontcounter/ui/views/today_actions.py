"""What the counter does with the selected visitor in Today: check in, no-show, left unseen, slip,
walk-in, and which of those the selection allows.

A mixin of :class:`~frontcounter.ui.views.today.TodayView` (which inherits it before QWidget); the
view builds the list and the pane, this runs the actions on the task runner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
)

from frontcounter.db.models import Status
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import local
from frontcounter.services.core.errors import FrontCounterError, WrongPlaceOrTime
from frontcounter.services.core.permissions import Action, allowed
from frontcounter.services.counter import checkin
from frontcounter.services.counter.checkin import CheckInResult, MissedAppointment, WrongTime
from frontcounter.ui.app_state import mask_name
from frontcounter.ui.kit.appointment_model import minutes
from frontcounter.ui.kit.slip import show_slip


class _CounterActions:
    """The counter actions of TodayView."""

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
        from frontcounter.ui.dialogs.walk_in import WalkInDialog

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
