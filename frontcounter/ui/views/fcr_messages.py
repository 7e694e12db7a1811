"""The FCR's "Messages to phone": visitor messages that failed, or that safe contact kept back,
where the visitor must still hear (a cancellation, a new time, "we need to rearrange") and may be
phoned instead. Each call made is recorded as a contact with the visitor (the at-risk list's
record), after which the message leaves the list once the visitor was reached.

The number and the safe-contact note are hidden under the screen mask (F9), as on the at-risk list.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFormLayout,
    QLabel,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.core.clock import local
from frontcounter.services.core.permissions import Action
from frontcounter.services.messages import to_phone
from frontcounter.services.scheduling import contacts
from frontcounter.ui.app_state import AppState, mask_name
from frontcounter.ui.kit.banner import Banner, centre_error_text
from frontcounter.ui.views.fcr_contact_form import ContactControls, row_table
from frontcounter.ui.views.fcr_desk import centre_url

logger = logging.getLogger(__name__)

#: What the call taker needs to ring first (who, the number, what is allowed, whether rung), then the why.
COLUMNS = ("When", "Appointment", "Station", "Reference", "Visitor", "Phone", "What to do", "Safe contact", "Call made",
           "Message", "Why it did not reach them")
PHONE_COLUMN, CALLED_COLUMN, REASON_COLUMN = 5, 8, 10


class MessagesToPhoneView(QWidget):
    """Every station's messages the visitor did not get, to phone about instead."""

    count_changed = Signal(int)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fcrMessagesToPhoneView")
        self.state = state
        self.rows: list[to_phone.PhoneCall] = []
        self._filter = ""
        #: The count last audited: a consultation row when the list first loads and when its
        #: length changes, not at every background reload (as the at-risk list does).
        self._audited_count: int | None = None
        heading = QLabel(self.tr("Messages to phone: the visitor did not get the message and may be phoned"))
        heading.setProperty("heading", True)
        self.banner = Banner(self)
        self.show_handled = QCheckBox(self.tr("&Show messages already followed up by a call"))
        self.table = row_table(self, COLUMNS, object_name="messagesToPhoneTable",
                               accessible_name=self.tr("Messages to phone"))
        self.table.setTabKeyNavigation(False)  # Tab leaves the list for the call form; arrows move in it
        self.empty = QLabel(self.tr("No messages to phone about."))
        self.empty.setObjectName("messagesToPhoneEmpty")
        self.empty.hide()

        controls = ContactControls(self, state, what=self.tr("call"),
                                   note_hint=self.tr("e.g. told them of the cancellation; will rebook by phone"),
                                   record_text=self.tr("&Record call"), open_text=self.tr("&Open appointment…"))
        self.outcome, self.note = controls.outcome, controls.note
        self.record_button, self.open_button = controls.record_button, controls.open_button

        self.why = QLabel()
        self.why.setObjectName("messageToPhoneWhy")
        self.why.setWordWrap(True)
        self.why.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        details = QWidget()
        form = QFormLayout(details)
        form.addRow(self.tr("The message:"), self.why)
        controls.add_to(form)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table, 1)
        top_layout.addWidget(self.empty)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(details)
        splitter.setStretchFactor(0, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(heading)
        layout.addWidget(self.banner)
        layout.addWidget(self.show_handled)
        layout.addWidget(splitter, 1)
        QWidget.setTabOrder(self.show_handled, self.table)
        QWidget.setTabOrder(self.table, self.outcome)
        QWidget.setTabOrder(self.outcome, self.note)
        QWidget.setTabOrder(self.note, self.record_button)
        QWidget.setTabOrder(self.record_button, self.open_button)

        self.table.itemActivated.connect(lambda _item: self.open_selected())
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.note.returnPressed.connect(self.record)
        self.record_button.clicked.connect(self.record)
        self.open_button.clicked.connect(self.open_selected)
        self.show_handled.toggled.connect(lambda _on: self.reload())
        state.data_changed.connect(self.reload)
        state.mask_changed.connect(lambda _m: self._fill())
        self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        """Shown (Ctrl+4 from another view): the keyboard lands on the list, not on a hidden view."""
        super().showEvent(event)
        focused = QApplication.focusWidget()
        if focused is None or not self.isAncestorOf(focused):
            self.table.setFocus()

    # -- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        ctx, actor = self.state.ctx, self.state.actor
        audited, include_handled = self._audited_count, self.show_handled.isChecked()

        def load(_p: object) -> list[to_phone.PhoneCall]:
            rows = to_phone.messages_to_phone(ctx, actor, include_handled=include_handled)
            if len(rows) != audited:  # s.62: who saw which visitors to phone, and how many
                to_phone.audit_listing(ctx, actor, len(rows))
            return rows

        self.state.tasks.run(load, on_done=self._on_loaded, on_error=self._on_failed)

    def _on_loaded(self, rows: list[to_phone.PhoneCall]) -> None:
        self.rows = rows
        self._audited_count = len(rows)
        self._fill()
        self.count_changed.emit(sum(1 for r in rows if not r.handled))

    def _visible(self) -> list[to_phone.PhoneCall]:
        key = self._filter.casefold()
        if not key:
            return self.rows
        return [r for r in self.rows if key in " ".join(filter(None, (
            r.appointment.reference, r.appointment.station_name, r.appointment.visitor_name,
            r.appointment.visitor_phone))).casefold()]

    def _fill(self) -> None:
        selected = self.selected()
        masked = self.state.masked
        rows = self._visible()
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            a = r.appointment
            values: list[Any] = [
                f"{local(r.at):%a %d %b %H:%M}", f"{local(a.start):%a %d %b %H:%M}", a.station_name, a.reference,
                mask_name(a.visitor_name, masked), "" if masked else (a.visitor_phone or self.tr("no number recorded")),
                r.what_to_do, "" if masked else (a.safe_contact or ""),
                f"{local(r.called.at):%d %b %H:%M} {r.called.outcome_text}" if r.called else self.tr("not yet called"),
                f"{r.message.kind_label} ({r.message.state_words})", r.reason,
            ]
            for j, value in enumerate(values):
                item = QTableWidgetItem(str(value))
                item.setData(Qt.ItemDataRole.UserRole, r.message.id)
                if j == REASON_COLUMN:
                    item.setToolTip(r.reason)
                self.table.setItem(i, j, item)
        self.empty.setVisible(not rows)
        self.record_button.setEnabled(bool(rows))
        row = -1
        if selected is not None:
            row = next((i for i, r in enumerate(rows) if r.message.id == selected.message.id), -1)
        if row < 0 and rows:
            row = 0
        if row >= 0:
            self.table.selectRow(row)

    def _on_selection_changed(self) -> None:
        chosen = self.selected()
        self.why.setText("" if chosen is None else self.tr("{0} ({1}) for {2}: {3}").format(
            chosen.message.kind_label, chosen.message.state_words, chosen.appointment.reference, chosen.reason))

    def selected(self) -> to_phone.PhoneCall | None:
        items = self.table.selectedItems()
        if not items:
            return None
        wanted: uuid.UUID = items[0].data(Qt.ItemDataRole.UserRole)
        return to_phone.find(self.rows, wanted)

    # -- acting -------------------------------------------------------------------------------

    def record(self) -> None:
        chosen = self.selected()
        if chosen is None:
            self.banner.show_message(self.tr("Choose a message first."), "warning")
            return
        if not self.state.can(Action.RECORD_CONTACT):
            return
        ctx, actor = self.state.ctx, self.state.actor
        outcome, note = self.outcome.currentData(), self.note.text()
        self.record_button.setEnabled(False)
        self.state.tasks.run(lambda _p: (chosen, to_phone.record_call(ctx, actor, chosen, outcome, note)),
                             on_done=self._on_recorded, on_error=self._on_failed)

    def _on_recorded(self, result: tuple[to_phone.PhoneCall, contacts.ContactRecord]) -> None:
        call, record = result
        self.record_button.setEnabled(True)
        self.note.clear()
        gone = record.outcome in to_phone.HANDLED_OUTCOMES and not self.show_handled.isChecked()
        self.banner.show_message(
            self.tr("Call recorded for {0}: {1}.").format(call.appointment.reference, record.outcome_text)
            + (self.tr(" It leaves the list.") if gone else ""), "info")
        self.reload()

    def open_selected(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        from frontcounter.ui.dialogs.appointment import AppointmentDialog

        dialog = AppointmentDialog(self.state, chosen.appointment, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _on_failed(self, exc: BaseException) -> None:
        self.record_button.setEnabled(bool(self.rows))
        self.banner.show_message(centre_error_text(exc, centre_url(self.state),
                                                   self.tr("That did not work; please try again.")), "error")

    # -- the main window's search box ------------------------------------------------------------

    def apply_search(self, text: str) -> None:
        self._filter = text.strip()
        self._fill()

    def submit_search(self, _text: str) -> bool:
        self.open_selected()
        return False
