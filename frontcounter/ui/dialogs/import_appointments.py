"""Import appointments exported from command and control: choose a file, watch the progress (rows
done of about how many, rejected so far), cancel if need be, read the report (imported, skipped as
already imported, and each rejected row with its line number and everything wrong with it). The
work runs in ``services/scheduling/importer.py`` on the task runner; Cancel stops it between two
batches, so whole batches stay imported and importing the same file again carries on."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.scheduling import importer
from frontcounter.services.scheduling.importer import ImportReport
from frontcounter.ui.app_state import AppState
from frontcounter.ui.kit.banner import Banner, error_text
from frontcounter.ui.kit.screen_fit import fit_to_screen

logger = logging.getLogger(__name__)


class ImportDialog(QDialog):
    imported = Signal(object)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.report: ImportReport | None = None
        self.setWindowTitle(self.tr("Import appointments"))
        fit_to_screen(self, QSize(760, 520))  # at most the screen's available area
        self.path = QLineEdit()
        self.path.setAccessibleName(self.tr("File to import"))
        self.path.setPlaceholderText(self.tr("A CSV or JSON export from command and control"))
        self.browse = QPushButton(self.tr("&Choose file…"))
        self.start = QPushButton(self.tr("&Import"))
        self.start.setProperty("primary", True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Import progress"))
        self.progress.setFormat(self.tr("%v of about %m rows"))
        self.progress.hide()
        self.progress_text = QLabel()
        self.progress_text.setObjectName("importProgress")
        self.progress_text.setAccessibleName(self.tr("Import progress in words"))
        self.progress_text.hide()
        self.cancel_button = QPushButton(self.tr("&Cancel import"))
        self.cancel_button.setToolTip(self.tr("Stop after the batch being written; import the same file again to "
                                              "carry on"))
        self.cancel_button.hide()
        self._cancel = threading.Event()
        #: Rows rejected so far, written by the worker, read on the GUI thread with each progress signal.
        self._rejected_so_far = 0
        self.summary = QLabel()
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.banner = Banner(self)
        self.problems = QTreeWidget()
        self.problems.setAccessibleName(self.tr("Rejected rows"))
        self.problems.setHeaderLabels([self.tr("Line"), self.tr("External id"), self.tr("What is wrong")])
        self.problems.setRootIsDecorated(False)
        self.problems.setColumnWidth(0, 60)
        self.problems.setColumnWidth(1, 120)
        self.problems.hide()
        self.close_button = QPushButton(self.tr("Close"))
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        row.addWidget(self.start)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("Every row is checked; bad rows are listed with their line numbers and "
                               "nothing of them is written. Importing the same file again skips what "
                               "is already here, so a cancelled import carries on where it stopped."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(row)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)
        layout.addWidget(self.progress_text)
        layout.addWidget(self.banner)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems, 1)
        layout.addLayout(buttons)
        self.browse.clicked.connect(self._on_browse_clicked)
        self.start.clicked.connect(self.run_import)
        self.path.returnPressed.connect(self.run_import)
        self.close_button.clicked.connect(self.reject)
        self.cancel_button.clicked.connect(self.cancel_import)

    def _on_browse_clicked(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, self.tr("Import appointments"), "",
                                                self.tr("Command and control exports (*.csv *.json);;All files (*)"))
        if chosen:
            self.path.setText(chosen)

    def run_import(self) -> None:
        text = self.path.text().strip()
        if not text:
            self.banner.show_message(self.tr("Choose a file first."), "warning")
            return
        path = Path(text)
        ctx, actor = self.state.ctx, self.state.actor
        self.banner.clear()
        self.summary.clear()
        self.problems.clear()
        self.problems.hide()
        self.start.setEnabled(False)
        self.browse.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.progress_text.setText(self.tr("Reading {0}…").format(path.name))
        self.progress_text.show()
        self._cancel.clear()
        self._rejected_so_far = 0
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        cancel = self._cancel

        def work(p):  # type: ignore[no-untyped-def]  # on the worker thread
            def progress(done: int, total: int, rejected: int) -> None:
                self._rejected_so_far = rejected
                p(done, total)

            return importer.import_file(ctx, actor, path, progress=progress, cancel=cancel.is_set)

        self.state.tasks.run(work, on_done=self._on_done, on_error=self._on_failed, on_progress=self._on_progress,
                             owner=self)

    def cancel_import(self) -> None:
        """Stop after the batch being written (it goes in whole, or not at all)."""
        self._cancel.set()
        self.cancel_button.setEnabled(False)
        self.progress_text.setText(self.tr("Stopping after this batch…"))

    def reject(self) -> None:  # Close or Esc while importing cancels the import too
        if self.cancel_button.isVisible():
            self.cancel_import()
        super().reject()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        if not self._cancel.is_set():
            self.progress_text.setText(self.tr("{0} of about {1} rows · {2} rejected").format(
                f"{done:,}", f"{total:,}", f"{self._rejected_so_far:,}"))

    def _finished(self) -> None:
        self.start.setEnabled(True)
        self.browse.setEnabled(True)
        self.progress.hide()
        self.progress_text.hide()
        self.cancel_button.hide()

    def _on_done(self, report: ImportReport) -> None:
        self.report = report
        self._finished()
        text = report.describe()
        if report.warnings:
            text += "\n" + "\n".join(report.warnings)
        self.summary.setText(text)
        for problem in report.rejected:
            item = QTreeWidgetItem([str(problem.line), problem.external_id or "", "; ".join(problem.errors)])
            item.setToolTip(2, "\n".join(problem.errors))
            self.problems.addTopLevelItem(item)
        self.problems.setVisible(bool(report.rejected))
        kind = "warning" if report.rejected_count or report.at_risk_count or report.cancelled else "info"
        if report.rejected_count:
            where = (self.tr(" All of them, with the reasons, are in {0}.").format(report.rejected_file)
                     if report.rejected_file is not None else "")
            self.banner.show_message(self.tr("{0} row(s) rejected: correct them in the file and import it again "
                                             "(rows already imported are skipped).").format(
                                                 f"{report.rejected_count:,}") + where, kind)
        elif report.cancelled:
            self.banner.show_message(self.tr("Import cancelled after {0} rows; import the same file again to carry "
                                             "on.").format(f"{report.rows:,}"), kind)
        self.state.message.emit(text.splitlines()[0], kind)
        self.imported.emit(report)

    def _on_failed(self, exc: BaseException) -> None:
        self._finished()
        self.banner.show_message(error_text(exc, self.tr("The file could not be imported.")), "error")
