"""What leaves the reports view: a figure's drill-down list, and the report exported as CSV or PDF.

A mixin of :class:`~frontcounter.ui.views.reports.ReportsView` (which inherits it before QWidget)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QFileDialog,
)

from frontcounter.ui.dialogs.drill_down import DrillDownDialog
from frontcounter.ui.kit.report_format import (
    Target,
    _failure_text,
    _write_private,
)


class _ReportExports:
    """The drill-down and export methods of ReportsView."""

    def _on_card_figure_activated(self, target: Target) -> None:
        self.open_drill_down(target)

    def open_drill_down(self, target: Target) -> DrillDownDialog | None:
        """List the appointments behind ``target`` in a dialog (loaded off the GUI thread)."""
        if self.report is None:
            return None
        if self.drill_dialog is not None:
            self.drill_dialog.close()
        dialog = DrillDownDialog(self.state, target, self.report.date_from, self.report.date_to, self)
        self.drill_dialog = dialog
        dialog.show()
        self.drill_down_opened.emit(dialog)
        return dialog

    def _on_export_clicked(self, fmt: str) -> None:
        if self.report is None:
            return
        scope = (self.report.station_code or "all").lower()
        name = f"report-{scope}-{self.report.date_from:%Y%m%d}-{self.report.date_to:%Y%m%d}.{fmt}"
        suggested = self.state.paths.data_dir.parent / name
        kinds = self.tr("CSV files (*.csv)") if fmt == "csv" else self.tr("PDF files (*.pdf)")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export the report"), str(suggested), kinds)
        if path:
            self.export_to(Path(path), fmt)

    def export_to(self, path: Path, fmt: str) -> None:
        """Write the report shown to ``path`` as CSV or PDF (readable by its owner only)."""
        if self.report is None:
            return
        ctx, actor, report = self.state.ctx, self.state.actor, self.report
        from frontcounter.services.reports.export import Format, export_report

        kind: Format = "csv" if fmt == "csv" else "pdf"

        def work(_progress: Any) -> str:
            _write_private(path, export_report(ctx, actor, report, kind))
            return str(path)

        self.busy.show()
        self.status.setText(self.tr("Exporting…"))
        self.state.tasks.run(work, on_done=self._on_export_done, on_error=self._on_export_failed)

    def _on_export_done(self, path: str) -> None:
        self.busy.hide()
        self.status.setText(self.tr("Exported to {0}.").format(path))
        self.state.message.emit(self.tr("Report exported to {0}").format(path), "info")
        self.exported.emit(path)

    def _on_export_failed(self, exc: BaseException) -> None:
        self.busy.hide()
        self.status.setText(_failure_text(self, exc))
