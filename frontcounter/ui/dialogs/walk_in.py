"""Walk-in: book someone who has come to the counter into the next free slot, and hand them a slip.

Only the minimum is asked (name, phone, reason, and what they need from the room and the officer);
"Find next free slot" shows what the slot finder proposes before anything is written, and "Book"
books exactly that proposal. If another clerk or the centre took it meanwhile, the clerk is asked to
find the next one: the database never lets a room or an officer be booked twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import Reason
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import local, local_today
from frontcounter.services.core.errors import DoubleBooking, FrontCounterError
from frontcounter.services.scheduling import slots as booking
from frontcounter.services.scheduling.booking import WalkInRequest, book_walk_in
from frontcounter.services.scheduling.slots import Slot, SlotNeeds
from frontcounter.ui.app_state import AppState
from frontcounter.ui.kit.contact_consent import ContactConsentBox
from frontcounter.ui.kit.labels import reason_label

logger = logging.getLogger(__name__)

#: How far ahead "Find next free slot" looks when the chosen day is full.
SEARCH_DAYS = 14
#: Languages offered in the list; any other can be typed.
LANGUAGES = ("", "Arabic", "Bengali", "BSL", "Gujarati", "Hindi", "Lithuanian", "Mandarin", "Polish", "Portuguese",
             "Punjabi", "Romanian", "Somali", "Tamil", "Turkish", "Urdu")


def _set_property(widget: QWidget, name: str, value: object) -> None:
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class WalkInDialog(QDialog):
    #: The proposal the finder made (a Slot), or None when nothing is free.
    proposed = Signal(object)
    #: The booking made (an AppointmentView).
    booked = Signal(object)
    #: An expected refusal, as shown to the clerk.
    failed = Signal(str)
    #: The slip went to the printer (the printer's name).
    slip_printed = Signal(str)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.proposal: Slot | None = None
        self.appointment: AppointmentView | None = None
        self.slip_dialog: QDialog | None = None
        #: Where the slip was last printed (None: not yet).
        self.printed_on: str | None = None
        self._busy = False
        self.setObjectName("walkInDialog")
        self.setWindowTitle(self.tr("Walk-in — book the next free slot"))
        self.setModal(True)
        self.setMinimumWidth(560)

        self.name = QLineEdit()
        self.name.setObjectName("walkInName")
        self.name.setAccessibleName(self.tr("Visitor's name"))
        self.name.setPlaceholderText(self.tr("As the visitor gives it"))
        self.phone = QLineEdit()
        self.phone.setObjectName("walkInPhone")
        self.phone.setAccessibleName(self.tr("Phone number"))
        self.phone.setPlaceholderText(self.tr("So the officer can call if plans change"))
        self.reason = QComboBox()
        self.reason.setObjectName("walkInReason")
        self.reason.setAccessibleName(self.tr("Reason"))
        for value in Reason:
            self.reason.addItem(reason_label(value.value), value.value)
        self.crime_reference = QLineEdit()
        self.crime_reference.setAccessibleName(self.tr("Crime reference (optional)"))
        self.crime_reference.setPlaceholderText(self.tr("Optional, e.g. 41/12345/26"))
        self.step_free = QCheckBox(self.tr("Needs &step-free access"))
        self.hearing_loop = QCheckBox(self.tr("Needs a &hearing loop"))
        self.language = QComboBox()
        self.language.setObjectName("walkInLanguage")
        self.language.setEditable(True)
        self.language.addItems(list(LANGUAGES))
        self.language.setAccessibleName(self.tr("Interpreter language"))
        self.language.setToolTip(self.tr("The visitor's language: the slot goes to an officer who speaks it. "
                                         "Leave empty for English."))
        self.person_of_choice = QLineEdit()
        self.person_of_choice.setAccessibleName(self.tr("Person of choice attending"))
        self.person_of_choice.setPlaceholderText(self.tr("Optional: who comes with them (Victims' Code)"))
        today = local_today(state.ctx.clock)
        self.day = QDateEdit(QDate(today.year, today.month, today.day))
        self.day.setObjectName("walkInDay")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd dd MMM yyyy")
        self.day.setMinimumDate(QDate(today.year, today.month, today.day))
        self.day.setAccessibleName(self.tr("Day"))

        form = QFormLayout()
        form.addRow(self.tr("&Name*"), self.name)
        form.addRow(self.tr("&Phone"), self.phone)
        form.addRow(self.tr("&Reason"), self.reason)
        form.addRow(self.tr("C&rime ref"), self.crime_reference)
        needs = QVBoxLayout()
        needs.addWidget(self.step_free)
        needs.addWidget(self.hearing_loop)
        form.addRow(self.tr("Access"), needs)
        form.addRow(self.tr("&Language"), self.language)
        form.addRow(self.tr("With &whom"), self.person_of_choice)
        form.addRow(self.tr("&Day"), self.day)
        self.contact = ContactConsentBox(self.phone)

        self.proposal_box = QFrame()
        self.proposal_box.setObjectName("walkInProposal")
        _set_property(self.proposal_box, "banner", "info")
        self.proposal_label = QLabel(self.tr("Press “Find next free slot” to see the earliest slot with a "
                                             "suitable room and an officer on duty."))
        self.proposal_label.setObjectName("walkInProposalText")
        self.proposal_label.setWordWrap(True)
        box_layout = QVBoxLayout(self.proposal_box)
        box_layout.addWidget(self.proposal_label)
        self.error = QLabel()
        self.error.setObjectName("walkInError")
        self.error.setWordWrap(True)
        self.error.setAccessibleName(self.tr("Problem"))
        self.error.hide()

        self.find_button = QPushButton(self.tr("&Find next free slot"))
        self.find_button.setObjectName("walkInFind")
        self.book_button = QPushButton(self.tr("&Book this slot"))
        self.book_button.setObjectName("walkInBook")
        self.book_button.setEnabled(False)
        self.slip_button = QPushButton(self.tr("Print &slip…"))
        self.slip_button.setObjectName("walkInSlip")
        self.slip_button.setToolTip(self.tr("The print dialog, then the printer: one step (Enter)"))
        self.slip_button.hide()
        self.preview_button = QPushButton(self.tr("Pre&view slip"))
        self.preview_button.setObjectName("walkInPreview")
        self.preview_button.setAutoDefault(False)
        self.preview_button.hide()
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setAutoDefault(False)
        self.find_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.find_button)
        buttons.addStretch(1)
        buttons.addWidget(self.book_button)
        buttons.addWidget(self.slip_button)
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.contact)
        layout.addWidget(self.proposal_box)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

        self.find_button.clicked.connect(self.find_slot)
        self.book_button.clicked.connect(self.book)
        self.slip_button.clicked.connect(self.print_slip)
        self.preview_button.clicked.connect(self.show_slip)
        self.close_button.clicked.connect(self.reject)
        for checkbox in (self.step_free, self.hearing_loop):
            checkbox.toggled.connect(self._on_needs_changed)
        self.language.currentTextChanged.connect(self._on_needs_changed)
        self.day.dateChanged.connect(self._on_needs_changed)
        self.name.setFocus()

    # -- what was typed -----------------------------------------------------------------------

    def chosen_day(self) -> date:
        qdate = self.day.date()
        return date(qdate.year(), qdate.month(), qdate.day())

    def needs(self) -> SlotNeeds:
        language = self.language.currentText().strip() or None
        return SlotNeeds(step_free=self.step_free.isChecked(), hearing_loop=self.hearing_loop.isChecked(),
                         language=language)

    def request(self) -> WalkInRequest:
        return WalkInRequest(
            visitor_name=self.name.text(),
            reason=self.reason.currentData(),
            visitor_phone=self.phone.text() or None,
            crime_reference=self.crime_reference.text() or None,
            needs_step_free=self.step_free.isChecked(),
            needs_hearing_loop=self.hearing_loop.isChecked(),
            interpreter_language=self.language.currentText().strip() or None,
            person_of_choice=self.person_of_choice.text() or None,
            day=self.chosen_day(),
            slot=self.proposal,
            extra=self.contact.values(),
        )

    # -- find ---------------------------------------------------------------------------------

    def find_slot(self) -> None:
        if self._busy:
            return
        ctx, actor, needs, day = self.state.ctx, self.state.actor, self.needs(), self.chosen_day()
        self._set_proposal(None)
        self.proposal_label.setText(self.tr("Looking for the next free slot…"))

        def work(_progress: Callable[[int, int], None]) -> list[Slot]:
            return booking.find_slots(ctx, actor, needs, start_day=day, days=SEARCH_DAYS, limit=1)

        self._run(work, lambda found: self._on_found(found, needs, day))

    def _on_found(self, found: list[Slot], needs: SlotNeeds, day: date) -> None:
        if not found:
            wanted = needs.describe()
            self.proposal_label.setText(self.tr(
                "No free slot from {0} for the next {1} days{2}. Call 101 to book at another station.").format(
                f"{day:%a %d %b}", SEARCH_DAYS, self.tr(" with {0}").format(wanted) if wanted else ""))
            _set_property(self.proposal_box, "banner", "warning")
            self.proposed.emit(None)
            return
        slot = found[0]
        self._set_proposal(slot)
        start = local(slot.start)
        today = local_today(self.state.ctx.clock)
        when = self.tr("today") if start.date() == today else (
            self.tr("tomorrow") if start.date() == today + timedelta(days=1) else f"{start:%A %d %B}")
        languages = [lang for lang in slot.officer_languages if lang.casefold() != "english"]
        speaks = self.tr(" (speaks {0})").format(", ".join(languages)) if languages else ""
        text = self.tr("{0} {1}–{2} · {3} · {4}{5}").format(
            when.capitalize() if when[:1].islower() else when, f"{start:%H:%M}", f"{local(slot.end):%H:%M}",
            slot.room_name, slot.officer_label, speaks)
        if start.date() != day:
            text = self.tr("Nothing free on {0}. Next free slot: {1}").format(f"{day:%a %d %b}", text)
        self.proposal_label.setText(text)
        _set_property(self.proposal_box, "banner", "info")
        self.proposed.emit(slot)

    def _set_proposal(self, slot: Slot | None) -> None:
        self.proposal = slot
        self.book_button.setEnabled(slot is not None and self.appointment is None)
        self.book_button.setDefault(slot is not None)
        self.find_button.setDefault(slot is None)

    def _on_needs_changed(self, *_args: Any) -> None:
        """A different need or day may not fit the slot shown: ask for a new proposal."""
        if self.proposal is not None and self.appointment is None:
            self._set_proposal(None)
            self.proposal_label.setText(self.tr("The needs or the day changed: find the next free slot again."))

    # -- book ---------------------------------------------------------------------------------

    def book(self) -> None:
        if self._busy or self.proposal is None:
            return
        if not self.name.text().strip():
            self._show_error(self.tr("Enter the visitor's name."))
            self.name.setFocus()
            return
        ctx, actor, request = self.state.ctx, self.state.actor, self.request()
        self._run(lambda _p: book_walk_in(ctx, actor, request), self._on_booked)

    def _on_booked(self, view: AppointmentView) -> None:
        self.appointment = view
        start = local(view.start)
        self.proposal_label.setText(self.tr(
            "Booked: reference {0}, {1} at {2}, {3} with {4}. Give the visitor the slip.").format(
            view.reference, f"{start:%a %d %b}", f"{start:%H:%M}", view.room_name, view.officer_label))
        _set_property(self.proposal_box, "banner", "info")
        for widget in (self.name, self.phone, self.reason, self.crime_reference, self.step_free, self.hearing_loop,
                       self.language, self.person_of_choice, self.day, self.find_button, self.contact):
            widget.setEnabled(False)
        self.book_button.hide()
        self.slip_button.show()
        self.preview_button.show()
        self.slip_button.setDefault(True)
        self.slip_button.setFocus()
        self.close_button.setText(self.tr("Done"))
        self.booked.emit(view)

    def print_slip(self) -> None:
        """Enter after booking: the slip through the print dialog in one step."""
        if self.appointment is None:
            return
        from frontcounter.ui.kit.slip_printing import print_slip

        print_slip(self.state, self.appointment.reference, self,
                   on_error=lambda exc, _ref: self._on_failed(exc), on_printed=self._on_slip_printed)

    def _on_slip_printed(self, where: str) -> None:
        self.printed_on = where
        self.slip_printed.emit(where)

    def show_slip(self) -> None:
        if self.appointment is None:
            return
        from frontcounter.ui.kit.slip import show_slip

        show_slip(self.state, self.appointment.reference, self,
                  on_error=lambda exc, _ref: self._on_failed(exc), on_opened=self._on_slip_opened)

    def _on_slip_opened(self, dialog: QDialog) -> None:
        self.slip_dialog = dialog

    # -- plumbing -----------------------------------------------------------------------------

    def _run(self, fn: Callable[[Callable[[int, int], None]], Any], on_done: Callable[[Any], None]) -> None:
        self._busy = True
        self.error.hide()
        for button in (self.find_button, self.book_button):
            button.setEnabled(False)

        def done(result: Any) -> None:
            self._busy = False
            self.find_button.setEnabled(self.appointment is None)
            self.book_button.setEnabled(self.proposal is not None and self.appointment is None)
            on_done(result)

        def failed(exc: BaseException) -> None:
            self._busy = False
            self.find_button.setEnabled(True)
            self.book_button.setEnabled(self.proposal is not None)
            self._on_failed(exc)

        self.state.tasks.run(fn, on_done=done, on_error=failed)

    def _on_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, FrontCounterError):
            raise exc  # a bug: the crash dialog's business
        message = exc.message
        if isinstance(exc, DoubleBooking):
            self._set_proposal(None)
            message = self.tr("That slot was taken a moment ago. Press “Find next free slot” again.")
            self.proposal_label.setText(message)
            self.find_button.setFocus()
        self._show_error(message)

    def _show_error(self, message: str) -> None:
        self.error.setText("✗ " + message)
        _set_property(self.error, "banner", "error")
        self.error.show()
        self.failed.emit(message)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        # Enter in a text field means "the next step" (find, then book, then slip), never "close".
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            for button in (self.slip_button, self.book_button, self.find_button):
                if button.isVisible() and button.isEnabled() and button.isDefault():
                    button.click()
                    return
        super().keyPressEvent(event)
