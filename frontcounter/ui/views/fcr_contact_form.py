"""What the FCR's two call lists share: a read-only row table, and the form that records a call
to the visitor (how it went, a note) beside the button that opens the appointment.

The at-risk list and "Messages to phone" record the same contact (``scheduling/contacts``), so
they offer it with the same controls, keys and rights.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QWidget,
)

from frontcounter.services.core.permissions import Action
from frontcounter.services.scheduling import contacts
from frontcounter.ui.app_state import AppState


def row_table(parent: QWidget, columns: Sequence[str], *, object_name: str, accessible_name: str) -> QTableWidget:
    """A table of whole rows, one selected at a time, nothing editable, columns sized to content."""
    table = QTableWidget(0, len(columns))
    table.setObjectName(object_name)
    table.setAccessibleName(accessible_name)
    table.setHorizontalHeaderLabels([parent.tr(c) for c in columns])
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class ContactControls:
    """Outcome, note, the record button (shown only to who may record a contact) and Open."""

    def __init__(self, owner: QWidget, state: AppState, *, what: str, note_hint: str, record_text: str,
                 open_text: str) -> None:
        self.outcome = QComboBox()
        self.outcome.setAccessibleName(owner.tr("How the {0} went").format(what))
        for key, text in contacts.OUTCOMES.items():
            self.outcome.addItem(owner.tr(text), key)
        self.note = QLineEdit()
        self.note.setAccessibleName(owner.tr("{0} note").format(what.capitalize()))
        self.note.setPlaceholderText(note_hint)
        self.record_button = QPushButton(record_text)
        self.record_button.setProperty("primary", True)
        self.record_button.setVisible(state.can(Action.RECORD_CONTACT))
        self.open_button = QPushButton(open_text)
        self._owner = owner

    def add_to(self, form: QFormLayout) -> None:
        """The outcome and note rows (with their Alt letters), then the two buttons."""
        outcome_label = QLabel(self._owner.tr("O&utcome:"))
        outcome_label.setBuddy(self.outcome)
        form.addRow(outcome_label, self.outcome)
        note_label = QLabel(self._owner.tr("No&te:"))
        note_label.setBuddy(self.note)
        form.addRow(note_label, self.note)
        buttons = QHBoxLayout()
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        form.addRow(buttons)
