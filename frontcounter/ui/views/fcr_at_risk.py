"""The FCR's force-wide at-risk list: booked appointments at any station whose officer was pulled
away and nobody covers, so the visitor must be rung before they travel; each call made (or
tried) is recorded with how it went, and the appointment opens to reschedule or cancel it.

The safe-contact instructions are shown beside the phone number: they say how the visitor may
be contacted (text only, no voicemail…), which is the whole point of ringing carefully.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QListWidget,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import local
from frontcounter.services.core.commands import audit
from frontcounter.services.scheduling import contacts
from frontcounter.services.scheduling.reassignment import list_at_risk
from frontcounter.ui.app_state import AppState, mask_name
from frontcounter.ui.kit.banner import Banner, centre_error_text
from frontcounter.ui.views.fcr_contact_form import ContactControls, row_table
from frontcounter.ui.views.fcr_desk import centre_url

logger = logging.getLogger(__name__)

COLUMNS = ("When", "Station", "Reference", "Visitor", "Phone", "Safe contact", "Why at risk", "Last contact")


class AtRiskView(QWidget):
    """Every station's at-risk appointments for the next fortnight, and the contacts made."""

    count_changed = Signal(int)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fcrAtRiskView")
        self.state = state
        self.rows: list[AppointmentView] = []
        self.last: dict[uuid.UUID, contacts.ContactRecord] = {}
        self._filter = ""
        #: The count last recorded in the audit log: a consultation row when the list first loads
        #: and when its length changes, not at every background reload.
        self._audited_count: int | None = None
        heading = QLabel(self.tr("At risk, every station: ring the visitor before they travel"))
        heading.setProperty("heading", True)
        self.banner = Banner(self)
        self.table = row_table(self, COLUMNS, object_name="atRiskTable",
                               accessible_name=self.tr("At-risk appointments"))

        self.contacts = QListWidget()
        self.contacts.setObjectName("contactHistory")
        self.contacts.setAccessibleName(self.tr("Contacts made"))
        controls = ContactControls(self, state, what=self.tr("contact"),
                                   note_hint=self.tr("e.g. agreed to rebook for Thursday; will call back"),
                                   record_text=self.tr("&Record contact"),
                                   open_text=self.tr("&Open appointment (reschedule or cancel)…"))
        self.outcome, self.note = controls.outcome, controls.note
        self.record_button, self.open_button = controls.record_button, controls.open_button

        details = QWidget()
        form = QFormLayout(details)
        form.addRow(self.tr("Contacts made:"), self.contacts)
        controls.add_to(form)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(details)
        splitter.setStretchFactor(0, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(heading)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)

        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.table.itemActivated.connect(lambda _item: self.open_selected())
        self.record_button.clicked.connect(self.record)
        self.open_button.clicked.connect(self.open_selected)
        state.data_changed.connect(self.reload)
        state.mask_changed.connect(lambda _m: self._fill())
        self.reload()

    # -- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        ctx, actor = self.state.ctx, self.state.actor

        audited = self._audited_count

        def load(_p: object) -> tuple[list[AppointmentView], dict[uuid.UUID, contacts.ContactRecord]]:
            rows = list_at_risk(ctx, actor)
            if len(rows) != audited:  # s.62: who saw the force's at-risk visitors, and how many
                audit(ctx, actor, category="consultation", action="appointments.at_risk", record="station:all",
                      details={"count": len(rows), "view": "fcr_at_risk"})
            return rows, contacts.last_contacts(ctx, actor, [r.id for r in rows])

        self.state.tasks.run(load, on_done=self._on_loaded, on_error=self._on_failed)

    def _on_loaded(self, result: tuple[list[AppointmentView], dict[uuid.UUID, contacts.ContactRecord]]) -> None:
        self.rows, self.last = result
        self._audited_count = len(self.rows)
        self._fill()
        self.count_changed.emit(len(self.rows))

    def _visible(self) -> list[AppointmentView]:
        key = self._filter.casefold()
        if not key:
            return self.rows
        return [r for r in self.rows if key in " ".join(filter(None, (
            r.reference, r.station_name, r.visitor_name, r.visitor_phone))).casefold()]

    def _fill(self) -> None:
        selected = self.selected()
        masked = self.state.masked
        rows = self._visible()
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            last = self.last.get(r.id)
            values: list[Any] = [
                f"{local(r.start):%a %d %b %H:%M}", r.station_name, r.reference, mask_name(r.visitor_name, masked),
                "" if masked else (r.visitor_phone or ""), "" if masked else (r.safe_contact or ""),
                r.at_risk_reason or self.tr("no officer covers it"),
                f"{local(last.at):%d %b %H:%M} {last.outcome_text}" if last else self.tr("not yet contacted"),
            ]
            for j, value in enumerate(values):
                item = QTableWidgetItem(str(value))
                item.setData(Qt.ItemDataRole.UserRole, r.id)
                self.table.setItem(i, j, item)
        if selected is not None:
            row = next((i for i, r in enumerate(rows) if r.id == selected.id), -1)
            if row >= 0:
                self.table.selectRow(row)
        elif rows:
            self.table.selectRow(0)

    def selected(self) -> AppointmentView | None:
        items = self.table.selectedItems()
        if not items:
            return None
        wanted = items[0].data(Qt.ItemDataRole.UserRole)
        return next((r for r in self.rows if r.id == wanted), None)

    def _on_selection_changed(self) -> None:
        chosen = self.selected()
        self.contacts.clear()
        if chosen is None:
            return
        ctx, actor = self.state.ctx, self.state.actor
        self.state.tasks.run(lambda _p: (chosen.id, contacts.contacts_for(ctx, actor, chosen.id)),
                             on_done=self._on_contacts, on_error=self._on_failed)

    def _on_contacts(self, result: tuple[uuid.UUID, list[contacts.ContactRecord]]) -> None:
        appointment_id, found = result
        chosen = self.selected()
        if chosen is None or chosen.id != appointment_id:
            return
        self.contacts.clear()
        for c in found:
            self.contacts.addItem(f"{local(c.at):%a %d %b %H:%M}  {c.username}: {c.outcome_text}"
                                  + (f" — {c.note}" if c.note else ""))
        if not found:
            self.contacts.addItem(self.tr("No contact recorded yet."))

    # -- acting -------------------------------------------------------------------------------

    def record(self) -> None:
        chosen = self.selected()
        if chosen is None:
            self.banner.show_message(self.tr("Choose an appointment first."), "warning")
            return
        ctx, actor = self.state.ctx, self.state.actor
        outcome, note = self.outcome.currentData(), self.note.text()
        self.record_button.setEnabled(False)
        self.state.tasks.run(lambda _p: contacts.record_contact(ctx, actor, chosen.id, outcome, note),
                             on_done=self._on_recorded, on_error=self._on_failed)

    def _on_recorded(self, record: contacts.ContactRecord) -> None:
        self.record_button.setEnabled(True)
        self.note.clear()
        self.banner.show_message(self.tr("Contact recorded: {0}.").format(record.outcome_text), "info")
        self.reload()
        # The reload keeps the same row selected, so no selection change would refresh its history.
        self._on_selection_changed()

    def open_selected(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        from frontcounter.ui.dialogs.appointment import AppointmentDialog

        dialog = AppointmentDialog(self.state, chosen, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _on_failed(self, exc: BaseException) -> None:
        self.record_button.setEnabled(True)
        self.banner.show_message(centre_error_text(exc, centre_url(self.state),
                                                   self.tr("That did not work; please try again.")), "error")

    # -- the main window's search box ------------------------------------------------------------

    def apply_search(self, text: str) -> None:
        self._filter = text.strip()
        self._fill()

    def submit_search(self, _text: str) -> bool:
        self.open_selected()
        return False
