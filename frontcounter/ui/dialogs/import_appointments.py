"""Import appointments exported from command and control: choose a file, watch the progress, read
the report (imported, skipped as already imported, and each rejected row with its line number and
everything wrong with it). The work runs in ``services/scheduling/importer.py`` on the task runner."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Signal
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

logger = logging.getLogger(__name__)


class ImportDialog(QDialog):
    imported = Signal(object)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.report: ImportReport | None = None
        self.setWindowTitle(self.tr("Import appointments"))
        self.resize(760, 520)
        self.path = QLineEdit()
        self.path.setAccessibleName(self.tr("File to import"))
        self.path.setPlaceholderText(self.tr("A CSV or JSON export from command and control"))
        self.browse = QPushButton(self.tr("&Choose file…"))
        self.start = QPushButton(self.tr("&Import"))
        self.start.setProperty("primary", True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Import progress"))
        self.progress.setFormat(self.tr("%v of %m rows"))
        self.progress.hide()
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
        layout.addWidget(QLabel(self.tr("Every row is checked; bad rows are listed with their line numbers and "
                                        "nothing of them is written. Importing the same file again skips what "
                                        "is already here.")))
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.banner)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems, 1)
        layout.addLayout(buttons)
        self.browse.clicked.connect(self._on_browse_clicked)
        self.start.clicked.connect(self.run_import)
        self.path.returnPressed.connect(self.run_import)
        self.close_button.clicked.connect(self.reject)

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
        self.state.tasks.run(lambda p: importer.import_file(ctx, actor, path, progress=p),
                             on_done=self._on_done, on_error=self._on_failed, on_progress=self._on_progress)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _on_done(self, report: ImportReport) -> None:
        self.report = report
        self.start.setEnabled(True)
        self.browse.setEnabled(True)
        self.progress.hide()
        text = report.describe()
        if report.warnings:
            text += "\n" + "\n".join(report.warnings)
        self.summary.setText(text)
        for problem in report.rejected:
            item = QTreeWidgetItem([str(problem.line), problem.external_id or "", "; ".join(problem.errors)])
            item.setToolTip(2, "\n".join(problem.errors))
            self.problems.addTopLevelItem(item)
        self.problems.setVisible(bool(report.rejected))
        kind = "warning" if report.rejected or report.at_risk else "info"
        if report.rejected:
            self.banner.show_message(self.tr("{0} row(s) rejected: correct them in the file and import it again "
                                             "(rows already imported are skipped).").format(len(report.rejected)),
                                     kind)
        self.state.message.emit(text.splitlines()[0], kind)
        self.imported.emit(report)

    def _on_failed(self, exc: BaseException) -> None:
        self.start.setEnabled(True)
        self.browse.setEnabled(True)
        self.progress.hide()
        self.banner.show_message(error_text(exc, self.tr("The file could not be imported.")), "error")
