"""One appointment, opened from the day board or "My appointments": its details and what the
signed-in role may do with it (open the briefing, reschedule, cancel with a reason, give it to
another officer).

Every action runs on the task runner and reports an expected error in place, in the dialog's
banner; nothing here touches the database. Also home to two small pieces the booking form
shares: the in-place ``Banner`` and the ``SlotList`` of slot-finder proposals.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import CancelReason, Status
from frontcounter.services.core import appointments as appointment_service
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import local
from frontcounter.services.core.permissions import FORCE_WIDE_ROLES, Action, allowed
from frontcounter.services.scheduling import changes as scheduling
from frontcounter.services.scheduling import slots as booking
from frontcounter.services.scheduling.agenda import linked
from frontcounter.services.scheduling.changes import REASON_SPECIALISM, REQUIRED_SPECIALISM_REASONS
from frontcounter.services.scheduling.reassignment import assign_officer, suitable_officers
from frontcounter.services.scheduling.slots import Slot, SlotNeeds
from frontcounter.ui.app_state import AppState, mask_name
from frontcounter.ui.kit.banner import Banner, error_text
from frontcounter.ui.kit.labels import need_badges, reason_label, status_label
from frontcounter.ui.kit.messages_panel import MessagesPanel
from frontcounter.ui.kit.screen_fit import fit_to_screen
from frontcounter.ui.kit.slots import SlotList

logger = logging.getLogger(__name__)


def needs_of(view: AppointmentView) -> SlotNeeds:
    """What a new slot for this visitor must offer: the same room needs, language and specialism."""
    specialism = REASON_SPECIALISM.get(view.reason) if view.reason in REQUIRED_SPECIALISM_REASONS else None
    minutes = max(5, int((view.end - view.start).total_seconds() // 60))
    return SlotNeeds(step_free=view.needs_step_free, hearing_loop=view.needs_hearing_loop,
                     language=view.interpreter_language, specialism=specialism, duration_minutes=minutes)


CANCEL_REASONS = (
    (CancelReason.VISITOR_REQUEST.value, "Visitor request"),
    (CancelReason.OPERATIONAL_DEMAND.value, "Operational demand"),
    (CancelReason.DUPLICATE.value, "Duplicate"),
    (CancelReason.OTHER.value, "Other (say why)"),
)


def _reason_combo(parent: QWidget) -> QComboBox:
    combo = QComboBox(parent)
    for value, text in CANCEL_REASONS:
        combo.addItem(parent.tr(text), value)
    combo.setAccessibleName(parent.tr("Reason"))
    return combo


class _TaskDialog(QDialog):
    """A dialog whose one action runs on the task runner, with its errors shown in its banner."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.banner = Banner(self)
        self.busy = False

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None], failure: str) -> None:
        self.busy = True
        self.banner.clear()
        self._set_enabled(False)

        def done(result: Any) -> None:
            self.busy = False
            self._set_enabled(True)
            on_done(result)

        def failed(exc: BaseException) -> None:
            self.busy = False
            self._set_enabled(True)
            self.banner.show_message(error_text(exc, failure), "error")

        self.state.tasks.run(lambda _p: fn(), on_done=done, on_error=failed, owner=self)

    def _set_enabled(self, enabled: bool) -> None:
        for button in self.findChildren(QPushButton):
            button.setEnabled(enabled)


class CancelDialog(_TaskDialog):
    """Cancel with a reason (and a note; required for "other"). Who and when are recorded."""

    cancelled = Signal(object)

    def __init__(self, state: AppState, view: AppointmentView, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.view = view
        self.setWindowTitle(self.tr("Cancel {0}").format(view.reference))
        self.reason = _reason_combo(self)
        self.note = QPlainTextEdit(self)
        self.note.setAccessibleName(self.tr("Note"))
        self.note.setPlaceholderText(self.tr("What happened, and whether the visitor has been told"))
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(80)
        form = QFormLayout()
        form.addRow(self.tr("&Reason:"), self.reason)
        form.addRow(self.tr("N&ote:"), self.note)
        self.confirm = QPushButton(self.tr("Cancel the &appointment"), self)
        self.confirm.setProperty("danger", True)
        self.keep = QPushButton(self.tr("&Keep it"), self)
        buttons = QDialogButtonBox(self)
        buttons.addButton(self.confirm, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.keep, QDialogButtonBox.ButtonRole.RejectRole)
        self.keep.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("{0} at {1}, {2}").format(
            view.reference, f"{local(view.start):%H:%M %a %d %b}", mask_name(view.visitor_name, state.masked))))
        layout.addLayout(form)
        layout.addWidget(self.banner)
        layout.addWidget(buttons)
        self.confirm.clicked.connect(self._on_confirm_clicked)
        self.keep.clicked.connect(self.reject)

    def _on_confirm_clicked(self) -> None:
        ctx, actor, ref = self.state.ctx, self.state.actor, self.view.id
        reason, note = self.reason.currentData(), self.note.toPlainText()
        self.run(lambda: scheduling.cancel(ctx, actor, ref, reason, note), self._on_done,
                 self.tr("The appointment could not be cancelled."))

    def _on_done(self, view: AppointmentView) -> None:
        self.cancelled.emit(view)
        self.state.message.emit(self.tr("{0} cancelled.").format(view.reference), "info")
        self.accept()


class RescheduleDialog(_TaskDialog):
    """Find a new slot meeting the visitor's needs and move the appointment there (linked)."""

    rescheduled = Signal(object)

    def __init__(self, state: AppState, view: AppointmentView, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.view = view
        self.setWindowTitle(self.tr("Reschedule {0}").format(view.reference))
        fit_to_screen(self, QSize(720, 520))  # at most the screen's available area
        self.reason = _reason_combo(self)
        self.note = QPlainTextEdit(self)
        self.note.setAccessibleName(self.tr("Note"))
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(60)
        self.station = QComboBox(self)
        self.station.setAccessibleName(self.tr("Station"))
        self.station.addItem(view.station_name, view.station_code)
        if state.actor.role in FORCE_WIDE_ROLES:
            from frontcounter.services.scheduling.roster import list_stations

            for code, name in list_stations(state.ctx, state.actor):
                if code != view.station_code:
                    self.station.addItem(name, code)
        self.from_day = QDateEdit(self)
        self.from_day.setCalendarPopup(True)
        self.from_day.setDisplayFormat("ddd dd MMM yyyy")
        self.from_day.setAccessibleName(self.tr("From day"))
        today = local(state.ctx.clock.now()).date()
        self.from_day.setDate(QDate(today.year, today.month, today.day))
        self.days = QSpinBox(self)
        self.days.setRange(1, 28)
        self.days.setValue(14)
        self.days.setSuffix(self.tr(" days"))
        self.days.setAccessibleName(self.tr("Days to search"))
        self.find_button = QPushButton(self.tr("&Find slots"), self)
        self.slots = SlotList(self)
        self.confirm = QPushButton(self.tr("&Reschedule to the selected slot"), self)
        self.confirm.setProperty("primary", True)
        self.close_button = QPushButton(self.tr("Close"), self)
        needs = needs_of(view).describe()
        form = QFormLayout()
        form.addRow(self.tr("&Reason:"), self.reason)
        form.addRow(self.tr("N&ote:"), self.note)
        search = QHBoxLayout()
        search.addWidget(self.station)
        search.addWidget(self.from_day)
        search.addWidget(self.days)
        search.addWidget(self.find_button)
        form.addRow(self.tr("&Search:"), search)
        buttons = QDialogButtonBox(self)
        buttons.addButton(self.confirm, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Needs: {0}").format(needs or self.tr("none beyond a room and an officer"))))
        layout.addLayout(form)
        layout.addWidget(self.slots, 1)
        layout.addWidget(self.banner)
        layout.addWidget(buttons)
        self.find_button.clicked.connect(self.find_slots)
        self.confirm.clicked.connect(self._on_confirm_clicked)
        self.slots.slot_taken.connect(lambda _s: self._on_confirm_clicked())
        self.close_button.clicked.connect(self.reject)
        self.find_slots()

    def find_slots(self) -> None:
        ctx, actor = self.state.ctx, self.state.actor
        qd = self.from_day.date()
        start = date(qd.year(), qd.month(), qd.day())
        days, code, needs = self.days.value(), self.station.currentData(), needs_of(self.view)
        self.run(lambda: booking.find_slots(ctx, actor, needs, station_codes=[code], start_day=start, days=days,
                                            limit=30),
                 self._on_found, self.tr("Could not look for free slots."))

    def _on_found(self, slots: list[Slot]) -> None:
        self.slots.set_slots(slots)
        if not slots:
            self.banner.show_message(self.tr("No free slot meets the visitor's needs in that period. "
                                             "Search later days or another station."), "warning")
        self.slots.setFocus()

    def _on_confirm_clicked(self) -> None:
        slot = self.slots.current_slot()
        if slot is None:
            self.banner.show_message(self.tr("Choose a slot first (Find slots)."), "warning")
            return
        ctx, actor, ref = self.state.ctx, self.state.actor, self.view.id
        reason, note = self.reason.currentData(), self.note.toPlainText()
        self.run(lambda: scheduling.reschedule(ctx, actor, ref, slot, reason, note), self._on_done,
                 self.tr("The appointment could not be rescheduled."))

    def _on_done(self, new: AppointmentView) -> None:
        self.rescheduled.emit(new)
        self.state.message.emit(self.tr("{0} moved to {1}: new reference {2}.").format(
            self.view.reference, f"{local(new.start):%H:%M %a %d %b}", new.reference), "info")
        self.accept()


class AssignOfficerDialog(_TaskDialog):
    """Give the appointment to another officer who is on duty, free and suitable."""

    assigned = Signal(object)

    def __init__(self, state: AppState, view: AppointmentView, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.view = view
        self.setWindowTitle(self.tr("Another officer for {0}").format(view.reference))
        self.choices = QListWidget(self)
        self.choices.setAccessibleName(self.tr("Officers on duty, free and suitable"))
        self._ids: list[uuid.UUID] = []
        self.confirm = QPushButton(self.tr("&Give to this officer"), self)
        self.confirm.setProperty("primary", True)
        close = QPushButton(self.tr("Close"), self)
        buttons = QDialogButtonBox(self)
        buttons.addButton(self.confirm, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(close, QDialogButtonBox.ButtonRole.RejectRole)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Officers on appointment duty then, free and suitable:")))
        layout.addWidget(self.choices, 1)
        layout.addWidget(self.banner)
        layout.addWidget(buttons)
        self.confirm.clicked.connect(self._on_confirm_clicked)
        self.choices.itemActivated.connect(lambda _i: self._on_confirm_clicked())
        close.clicked.connect(self.reject)
        ctx, actor, ref = state.ctx, state.actor, view.id
        self.run(lambda: suitable_officers(ctx, actor, ref), self._on_loaded,
                 self.tr("Could not list the officers."))

    def _on_loaded(self, officers: list[tuple[uuid.UUID, str]]) -> None:
        self._ids = [oid for oid, _ in officers]
        self.choices.clear()
        for _, label in officers:
            self.choices.addItem(label)
        if officers:
            self.choices.setCurrentRow(0)
        else:
            self.banner.show_message(self.tr("No other officer is on duty, free and suitable then. Contact "
                                             "the visitor to rearrange."), "warning")
            self.confirm.setEnabled(False)

    def _on_confirm_clicked(self) -> None:
        row = self.choices.currentRow()
        if not 0 <= row < len(self._ids):
            return
        ctx, actor, ref, officer_id = self.state.ctx, self.state.actor, self.view.id, self._ids[row]
        self.run(lambda: assign_officer(ctx, actor, ref, officer_id), self._on_done,
                 self.tr("The officer could not be changed."))

    def _on_done(self, view: AppointmentView) -> None:
        self.assigned.emit(view)
        self.state.message.emit(self.tr("{0} is now with {1}.").format(view.reference, view.officer_label), "info")
        self.accept()


class AppointmentDialog(_TaskDialog):
    """The details of one appointment and the actions the role may take on it."""

    changed = Signal(object)

    def __init__(self, state: AppState, view: AppointmentView, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.view = view
        self.setObjectName("appointmentDialog")
        self.setWindowTitle(self.tr("Appointment {0}").format(view.reference))
        ctx, actor = state.ctx, state.actor  # s.62: opening the record is a consultation
        state.tasks.run(lambda _p: appointment_service.audit_opened(ctx, actor, view),
                        on_error=lambda exc: logger.error("could not audit opening %s", view.reference, exc_info=exc))
        self.setMinimumWidth(560)
        self._children: list[QDialog] = []

        title = QLabel(view.reference)
        title.setProperty("heading", True)
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        from frontcounter.ui.kit.status import STATUS_GLYPHS, status_key, status_text

        key = status_key(view)
        self.status_pill = QLabel(f"{STATUS_GLYPHS.get(key, '')} {status_text(view)}")
        self.status_pill.setObjectName("statusPill")
        self.status_pill.setProperty("status", key)
        self.status_pill.setAccessibleName(self.tr("Status"))
        header = QHBoxLayout()
        header.addWidget(title)
        header.addWidget(self.status_pill)
        header.addStretch(1)

        self.risk = Banner(self)
        if view.at_risk and view.status == Status.BOOKED:
            self.risk.show_message(self.tr("At risk: {0}. Contact the visitor before they travel.").format(
                view.at_risk_reason or self.tr("no officer covers this appointment")), "warning")

        rows = self._rows(view, state.masked)
        if view.status in (Status.CANCELLED, Status.RESCHEDULED):
            from frontcounter.services.documents.contents import CANCEL_LABELS, label

            rows.append((status_label(view.status), label(CANCEL_LABELS, view.cancel_reason) or "—"))
        form = QFormLayout()
        #: The value labels by row name: the screen mask rewrites the personal ones in place.
        self.values: dict[str, QLabel] = {}
        for name, value in rows:
            text = QLabel(value)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.setAccessibleName(name)
            form.addRow(f"{name}:", text)
            self.values[name] = text
        state.mask_changed.connect(self._on_state_mask_changed)  # F9 while open hides them too
        self.links = QLabel()
        self.links.setAccessibleName(self.tr("Linked appointments"))
        form.addRow(self.tr("Linked:"), self.links)

        actor = state.actor
        booked = view.status == Status.BOOKED
        self.briefing_button = QPushButton(self.tr("Open &briefing"), self)
        self.briefing_button.setVisible(allowed(actor, Action.READ_BRIEFING, view.station_id))
        self.reschedule_button = QPushButton(self.tr("&Reschedule…"), self)
        self.reschedule_button.setVisible(booked and allowed(actor, Action.RESCHEDULE, view.station_id))
        self.cancel_button = QPushButton(self.tr("&Cancel appointment…"), self)
        self.cancel_button.setProperty("danger", True)
        self.cancel_button.setVisible(booked and allowed(actor, Action.CANCEL, view.station_id))
        self.officer_button = QPushButton(self.tr("Another &officer…"), self)
        self.officer_button.setVisible(view.status in (Status.BOOKED, Status.ARRIVED)
                                       and allowed(actor, Action.REASSIGN, view.station_id))
        self.close_button = QPushButton(self.tr("Close"), self)
        self.close_button.setDefault(True)
        actions = QHBoxLayout()
        for button in (self.briefing_button, self.reschedule_button, self.officer_button, self.cancel_button):
            button.setAutoDefault(False)
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.risk)
        layout.addLayout(form)
        self.messages = MessagesPanel(state, view, self)  # issue 16: consent and the centre's history
        layout.addWidget(self.messages)
        layout.addWidget(self.banner)
        layout.addLayout(actions)
        self.messages.load()

        self.briefing_button.clicked.connect(self.open_briefing)
        self.reschedule_button.clicked.connect(self._on_reschedule_button_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.officer_button.clicked.connect(self._on_officer_button_clicked)
        self.close_button.clicked.connect(self.reject)
        if view.rescheduled_from_id or view.rescheduled_to_id:
            ctx, appointment_id = state.ctx, view.id
            state.tasks.run(lambda _p: linked(ctx, actor, appointment_id), on_done=self._on_links_loaded,
                            on_error=lambda exc: self.links.setText(error_text(exc, "—")))
        else:
            self.links.setText("—")


    def _rows(self, view: AppointmentView, masked: bool) -> list[tuple[str, str]]:
        hidden = self.tr("(hidden: screen mask on)")
        return [
            (self.tr("When"), f"{local(view.start):%A %d %B %Y, %H:%M}–{local(view.end):%H:%M}"),
            (self.tr("Where"), f"{view.station_name} · {view.room_name}"),
            (self.tr("Officer"), view.officer_label if view.officer_id else self.tr("none assigned")),
            (self.tr("Visitor"), mask_name(view.visitor_name, masked)
             + (f" ({view.visitor_preferred_name})" if view.visitor_preferred_name and not masked else "")),
            (self.tr("Phone"), hidden if masked else (view.visitor_phone or "—")),
            (self.tr("Email"), hidden if masked else (view.visitor_email or "—")),
            (self.tr("Reason"), reason_label(view.reason)),
            (self.tr("Crime reference"), view.crime_reference or "—"),
            (self.tr("Needs"), ", ".join(need_badges(view)) or "—"),
            (self.tr("Safe contact"), hidden if masked else (view.safe_contact or "—")),
            (self.tr("Person of choice"), mask_name(view.person_of_choice, masked) or "—"),
        ]

    def _on_state_mask_changed(self, masked: bool) -> None:
        for name, value in self._rows(self.view, masked):
            label = self.values.get(name)
            if label is not None:
                label.setText(value)
    def _on_links_loaded(self, links: tuple[str | None, str | None]) -> None:
        before, after = links
        parts = []
        if before or self.view.rescheduled_from_id:
            parts.append(self.tr("rescheduled from {0}").format(before or self.tr("another station's appointment")))
        if after or self.view.rescheduled_to_id:
            parts.append(self.tr("moved to {0}").format(after or self.tr("another station's appointment")))
        self.links.setText("; ".join(parts) or "—")

    # -- actions --------------------------------------------------------------------------------

    def open_briefing(self) -> None:
        """Build the briefing for the screen (audited as a consultation) and preview it."""
        from frontcounter.services.documents.briefing import (
            briefing_pdf,  # ReportLab only when a briefing is opened
        )

        ctx, actor, ref, station_id = self.state.ctx, self.state.actor, self.view.reference, self.view.station_id
        self.run(lambda: briefing_pdf(ctx, actor, ref, destination="screen"),
                 lambda pdf: self._show_briefing(pdf, ctx, actor, ref, station_id),
                 self.tr("The briefing could not be opened."))

    def _show_briefing(self, pdf: bytes, ctx: Any, actor: Any, ref: str, station_id: uuid.UUID) -> None:
        from frontcounter.services.documents import layout as documents
        from frontcounter.services.documents.briefing import briefing_pdf
        from frontcounter.ui.kit.pdf_preview import PdfPreviewDialog

        produce = None
        if allowed(actor, Action.PRINT_BRIEFING, station_id):
            def produce(dest: documents.Destination, who: str, deliver: documents.Deliver | None = None) -> bytes:
                return briefing_pdf(ctx, actor, ref, who, destination=dest, deliver=deliver)
        dialog = PdfPreviewDialog(pdf, title=self.tr("Briefing {0}").format(ref),
                                  suggested_name=f"briefing-{ref}.pdf", produce=produce, parent=self)
        self._open_child(dialog)

    def _open_child(self, dialog: QDialog) -> None:
        self._children.append(dialog)
        dialog.finished.connect(lambda _r, d=dialog: self._children.remove(d) if d in self._children else None)
        dialog.open()

    def _on_reschedule_button_clicked(self) -> None:
        dialog = RescheduleDialog(self.state, self.view, parent=self)
        dialog.rescheduled.connect(self._on_changed)
        self._open_child(dialog)

    def _on_cancel_button_clicked(self) -> None:
        dialog = CancelDialog(self.state, self.view, parent=self)
        dialog.cancelled.connect(self._on_changed)
        self._open_child(dialog)

    def _on_officer_button_clicked(self) -> None:
        dialog = AssignOfficerDialog(self.state, self.view, parent=self)
        dialog.assigned.connect(self._on_changed)
        self._open_child(dialog)

    def _on_changed(self, view: AppointmentView) -> None:
        self.changed.emit(view)
        self.accept()
