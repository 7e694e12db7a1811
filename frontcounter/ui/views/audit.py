"""The auditor's view of the audit log (DPA 2018 s.62): search by text, user, date, kind and outcome;
export what was found as CSV.

Every search is itself recorded in the audit log (``audit_log.list_events``), so a search runs when
the auditor asks for it (Enter or the Search button), not on every keystroke. An export is a
disclosure, recorded with the file's name as its recipient. Queries and exports run on the task
runner; the table shows frozen views, never rows.
"""

from __future__ import annotations

import logging
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.core.clock import local, local_day_bounds, local_today
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.core.permissions import Action
from frontcounter.services.security import audit_log
from frontcounter.services.security.audit_log import AuditView as AuditEntry
from frontcounter.ui.app_state import AppState

logger = logging.getLogger(__name__)

#: How many events one search shows; the export takes everything the filter matches.
SHOWN = 500

CATEGORIES = ("collection", "alteration", "consultation", "disclosure", "erasure", "authentication", "access")
OUTCOMES = ("success", "denied", "failed")
#: Outcomes are told by a symbol and a word, never by colour alone.
OUTCOME_MARKS = {"success": "✓", "denied": "✖", "failed": "!"}


class AuditTableModel(QAbstractTableModel):
    COLUMNS = ("When", "User", "Role", "Station", "Workstation", "Kind", "Action", "Record", "Outcome", "Details")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[AuditEntry] = []

    def set_rows(self, rows: list[AuditEntry]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_at(self, row: int) -> AuditEntry:
        return self._rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(self.COLUMNS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == 9:
                text = ", ".join(f"{k}: {v}" for k, v in sorted(e.details.items()))
                return text if role == Qt.ItemDataRole.ToolTipRole else text[:120]
            values = (
                f"{local(e.at):%Y-%m-%d %H:%M:%S}", e.username, e.role, e.station_code or "", e.workstation,
                e.category, e.action, e.record or "", f"{OUTCOME_MARKS.get(e.outcome, '?')} {e.outcome}",
            )
            return values[column]
        if role == Qt.ItemDataRole.AccessibleTextRole and column == 8:
            return e.outcome
        return None


class AuditView(QWidget):
    """Search and export the audit log (the auditor's only view)."""

    #: The number of events the last search found (the navigation shows it).
    count_changed = Signal(int)
    #: A search finished and the table shows its events.
    searched = Signal(int)
    #: An export was written: the file's path.
    exported = Signal(str)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setObjectName("auditView")
        self.setAccessibleName(self.tr("Audit log"))

        self.text = QLineEdit()
        self.text.setPlaceholderText(self.tr("User, action, record, workstation or query…"))
        self.text.setAccessibleName(self.tr("Search the audit log"))
        self.text.setClearButtonEnabled(True)
        self.user = QLineEdit()
        self.user.setPlaceholderText(self.tr("any user"))
        self.user.setAccessibleName(self.tr("User name"))
        self.user.setMinimumWidth(140)
        today = local_today(state.ctx.clock)
        self.date_from = self._date_edit(today - timedelta(days=7), self.tr("From date"))
        self.date_to = self._date_edit(today, self.tr("To date"))
        self.category = QComboBox()
        self.category.setAccessibleName(self.tr("Kind of event"))
        self.category.addItem(self.tr("Any kind"), None)
        for value in CATEGORIES:
            self.category.addItem(self.tr(value.capitalize()), value)
        self.outcome = QComboBox()
        self.outcome.setAccessibleName(self.tr("Outcome"))
        self.outcome.addItem(self.tr("Any outcome"), None)
        for value in OUTCOMES:
            self.outcome.addItem(f"{OUTCOME_MARKS[value]} {self.tr(value.capitalize())}", value)
        self.search_button = QPushButton(self.tr("Searc&h"))
        self.search_button.setAccessibleName(self.tr("Search the audit log"))
        self.search_button.setDefault(True)
        self.export_button = QPushButton(self.tr("&Export CSV…"))
        self.export_button.setAccessibleName(self.tr("Export the events found as CSV"))
        self.export_button.setToolTip(self.tr("Writes every event matching the filter; the export is itself logged."))
        self.export_button.setVisible(state.can(Action.EXPORT_AUDIT))
        self._set_icons()

        first = QHBoxLayout()
        first.addWidget(self.text, 1)
        first.addWidget(self.search_button)
        filters = QHBoxLayout()
        filters.addWidget(self._label(self.tr("&User"), self.user))
        filters.addWidget(self.user)
        filters.addWidget(self._label(self.tr("&From"), self.date_from))
        filters.addWidget(self.date_from)
        filters.addWidget(self._label(self.tr("&to"), self.date_to))
        filters.addWidget(self.date_to)
        filters.addWidget(self.category)
        filters.addWidget(self.outcome)
        filters.addStretch(1)
        filters.addWidget(self.export_button)

        self.model = AuditTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("auditTable")
        self.table.setAccessibleName(self.tr("Audit events, newest first"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The details take what is left and are elided; the tooltip has them whole.
        header.setSectionResizeMode(len(AuditTableModel.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)

        self.detail = QLabel()
        self.detail.setObjectName("auditDetail")
        self.detail.setAccessibleName(self.tr("The selected event in full"))
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel(self.tr("Press Enter or Search to look up events."))
        self.status.setObjectName("auditStatus")
        self.status.setAccessibleName(self.tr("Audit search status"))
        self.status.setWordWrap(True)
        marking = QLabel(state.ctx.policy.protective_marking)
        marking.setObjectName("protectiveMarking")
        marking.setAccessibleName(self.tr("Protective marking"))
        marking.setProperty("marking", "true")

        top = QHBoxLayout()
        title = QLabel(self.tr("Audit log"))
        title.setObjectName("viewTitle")
        title.setProperty("heading", "true")
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(marking)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(top)
        layout.addLayout(first)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.status)

        self.text.returnPressed.connect(self.search)
        self.user.returnPressed.connect(self.search)
        self.search_button.clicked.connect(self.search)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        state.actor_changed.connect(self._on_state_actor_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        self._busy = False
        self.search()

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    def _date_edit(self, day: date, name: str) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd MMM yyyy")
        edit.setAccessibleName(name)
        return edit

    def _set_icons(self) -> None:
        try:
            from frontcounter.ui.theme import icon
        except ImportError:  # resources not compiled: text-only buttons still work
            return
        self.search_button.setIcon(icon("search"))
        self.export_button.setIcon(icon("export"))

    # -- the filter ---------------------------------------------------------------------------

    def filter(self) -> dict[str, Any]:
        """The service's keyword arguments for what the controls say (dates are London days)."""
        first: date = self.date_from.date().toPython()  # type: ignore[assignment]
        last: date = self.date_to.date().toPython()  # type: ignore[assignment]
        if last < first:
            first, last = last, first
        since, _ = local_day_bounds(first)
        _, until = local_day_bounds(last)
        return {
            "text": self.text.text().strip() or None,
            "user": self.user.text().strip() or None,
            "since": since,
            "until": until,
            "category": self.category.currentData(),
            "outcome": self.outcome.currentData(),
        }

    # The main window's search box drives this view's text: typing fills it, Enter searches.
    def apply_search(self, text: str) -> None:
        self.text.setText(text)

    def submit_search(self, text: str) -> bool:
        self.text.setText(text)
        self.search()
        return False

    # -- search -------------------------------------------------------------------------------

    def search(self) -> None:
        if self._busy:
            return
        self._set_busy(True, self.tr("Searching…"))
        ctx, actor, query = self.state.ctx, self.state.actor, self.filter()
        self.state.tasks.run(
            lambda _progress: audit_log.list_events(ctx, actor, limit=SHOWN, **query),
            on_done=self._on_search_done,
            on_error=self._on_task_failed,
        )

    def _on_search_done(self, rows: list[AuditEntry]) -> None:
        self._set_busy(False)
        self.model.set_rows(rows)
        self.detail.clear()
        if len(rows) >= SHOWN:
            self.status.setText(self.tr("Showing the newest {0} events; narrow the filter or export them all.")
                                .format(SHOWN))
        elif len(rows) == 1:
            self.status.setText(self.tr("1 event."))
        elif rows:
            self.status.setText(self.tr("{0} events.").format(len(rows)))
        else:
            self.status.setText(self.tr("No events match."))
        self.count_changed.emit(len(rows))
        self.searched.emit(len(rows))

    # -- export -------------------------------------------------------------------------------

    def _on_export_button_clicked(self) -> None:
        suggested = self.state.paths.data_dir.parent / f"audit-{local_today(self.state.ctx.clock):%Y%m%d}.csv"
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export the audit log"), str(suggested),
                                              self.tr("CSV files (*.csv)"))
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write every event matching the filter to ``path`` (readable by its owner only)."""
        if self._busy:
            return
        self._set_busy(True, self.tr("Exporting…"))
        ctx, actor, query = self.state.ctx, self.state.actor, self.filter()

        def work(_progress: Any) -> str:
            text = audit_log.export_csv(ctx, actor, recipient=path.name, **query)
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
                handle.write(text)
            return str(path)

        self.state.tasks.run(work, on_done=self._on_export_done, on_error=self._on_task_failed)

    def _on_export_done(self, path: str) -> None:
        self._set_busy(False)
        self.status.setText(self.tr("Exported to {0}.").format(path))
        self.exported.emit(path)

    def _on_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.detail.clear()
            return
        e = self.model.row_at(current.row())
        details = "; ".join(f"{k}: {v}" for k, v in sorted(e.details.items())) or self.tr("no details")
        self.detail.setText(self.tr("{0} at {1}, {2} on {3}: {4}").format(
            e.action, f"{local(e.at):%d %b %Y %H:%M:%S}", e.username, e.workstation, details))

    def _on_state_actor_changed(self, _actor: object) -> None:
        """Another user signed in at this counter: they see nothing of the log unless they may."""
        self.export_button.setVisible(self.state.can(Action.EXPORT_AUDIT))
        if not self.state.can(Action.VIEW_AUDIT):
            self.model.set_rows([])
            self.detail.clear()
            self.status.setText(self.tr("The audit log is for auditors."))

    # -- shared -------------------------------------------------------------------------------

    def _on_task_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, FrontCounterError):
            self.status.setText(exc.message)
        elif isinstance(exc, OSError):
            self.status.setText(self.tr("Could not write the file: {0}").format(exc.strerror or exc))
        else:
            logger.error("audit view task failed", exc_info=exc)
            self.status.setText(self.tr("Something went wrong; the details are in the log."))

    def _set_busy(self, busy: bool, text: str | None = None) -> None:
        self._busy = busy
        self.search_button.setEnabled(not busy)
        self.export_button.setEnabled(not busy)
        if text:
            self.status.setText(text)
