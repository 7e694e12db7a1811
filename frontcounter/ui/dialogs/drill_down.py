"""The appointments behind one figure of a report: a list to read, open, or export (a disclosure)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import Status
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import hhmm, local
from frontcounter.services.core.permissions import Action
from frontcounter.services.core.status import LABELS as STATUS_LABELS
from frontcounter.services.reports.drill_down import appointments_behind, wait_minutes_of
from frontcounter.ui.app_state import AppState, mask_name
from frontcounter.ui.kit.report_format import (
    Target,
    _failure_text,
    _write_private,
)
from frontcounter.ui.kit.screen_fit import fit_to_screen


class DrillDownDialog(QDialog):
    """The appointments behind one figure, with CSV/PDF export (an audited disclosure)."""

    #: The list arrived: how many appointments.
    loaded = Signal(int)
    exported = Signal(str)

    COLUMNS = ("Reference", "Date", "Time", "Station", "Room", "Officer", "Status", "Visitor", "Wait")

    def __init__(self, state: AppState, target: Target, date_from: date, date_to: date,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.target = target
        self.date_from, self.date_to = date_from, date_to
        self.appointments: list[AppointmentView] = []
        self.setWindowTitle(target.title)
        self.setObjectName("drillDownDialog")
        fit_to_screen(self, QSize(960, 520))  # at most the screen's available area
        heading = QLabel(target.title)
        heading.setProperty("heading", True)
        self.count = QLabel(self.tr("Loading…"))
        self.count.setAccessibleName(self.tr("How many appointments"))
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("drillDownTable")
        self.table.setAccessibleName(self.tr("Appointments behind the figure"))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in self.COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.csv_button = QPushButton(self.tr("Export &CSV…"))
        self.pdf_button = QPushButton(self.tr("Export &PDF…"))
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.close)
        for button in (self.csv_button, self.pdf_button):
            button.setVisible(state.can(Action.EXPORT_REPORTS))
            button.setEnabled(False)
            button.setToolTip(self.tr("The list names visitors: exporting it is recorded in the audit log."))
        self.csv_button.clicked.connect(lambda: self._on_export_clicked("csv"))
        self.pdf_button.clicked.connect(lambda: self._on_export_clicked("pdf"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.count, 1)
        buttons.addWidget(self.csv_button)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        state.mask_changed.connect(self._on_state_mask_changed)
        self._load()

    def _load(self) -> None:
        ctx, actor, t = self.state.ctx, self.state.actor, self.target
        first, last = self.date_from, self.date_to
        self.state.tasks.run(
            lambda _progress: appointments_behind(ctx, actor, t.key, first, last, t.station_code),
            on_done=self._on_loaded, on_error=self._on_failed)

    def references(self) -> list[str]:
        return [v.reference for v in self.appointments]

    def _on_loaded(self, views: list[AppointmentView]) -> None:
        self.appointments = views
        self._fill()
        self.count.setText(self.tr("{0} appointments").format(len(views)) if len(views) != 1
                           else self.tr("1 appointment"))
        for button in (self.csv_button, self.pdf_button):
            button.setEnabled(bool(views))
        self.table.setFocus()
        self.loaded.emit(len(views))

    def _fill(self) -> None:
        masked = self.state.masked
        self.table.setRowCount(len(self.appointments))
        for r, v in enumerate(self.appointments):
            wait = wait_minutes_of(v)
            try:
                status = STATUS_LABELS[Status(v.status)]
            except ValueError:
                status = v.status
            if v.at_risk:
                status = self.tr("{0} · at risk").format(status)
            cells = (v.reference, f"{local(v.start):%a %d %b %Y}", f"{hhmm(v.start)}–{hhmm(v.end)}",
                     v.station_code, v.room_name, v.officer_label if v.officer_id else self.tr("unassigned"),
                     status, mask_name(v.visitor_name, masked), "" if wait is None else self.tr("{0} min").format(wait))
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))

    def _on_state_mask_changed(self, _masked: bool) -> None:
        self._fill()

    def _on_failed(self, exc: BaseException) -> None:
        self.count.setText(_failure_text(self, exc))
        self.loaded.emit(-1)

    def _on_export_clicked(self, fmt: str) -> None:
        key = self.target.key.replace(":", "-")[:40]
        suggested = self.state.paths.data_dir.parent / f"appointments-{key}-{self.date_from:%Y%m%d}.{fmt}"
        kinds = self.tr("CSV files (*.csv)") if fmt == "csv" else self.tr("PDF files (*.pdf)")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export the appointments"), str(suggested), kinds)
        if path:
            self.export_to(Path(path), fmt)

    def export_to(self, path: Path, fmt: str) -> None:
        """Write the list to ``path`` (owner-readable); the service audits the disclosure."""
        ctx, actor, views, t = self.state.ctx, self.state.actor, list(self.appointments), self.target
        first, last = self.date_from, self.date_to
        from frontcounter.services.reports.export import Format, export_appointments

        kind: Format = "csv" if fmt == "csv" else "pdf"

        def work(_progress: Any) -> str:
            # Written whole before the disclosure is audited (a failed write is no export).
            export_appointments(ctx, actor, views, kind, figure_key=t.key, title=t.title, date_from=first,
                                date_to=last, destination=path.name, deliver=lambda data: _write_private(path, data))
            return str(path)

        self.count.setText(self.tr("Exporting…"))
        self.state.tasks.run(work, on_done=self._on_export_done,
                             on_error=lambda exc: self.count.setText(_failure_text(self, exc)))

    def _on_export_done(self, path: str) -> None:
        self.count.setText(self.tr("Exported to {0}.").format(path))
        self.exported.emit(path)
