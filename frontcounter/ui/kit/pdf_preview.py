"""A document on screen before it leaves the building: preview, then Print… or Save as PDF….

The dialog shows PDF bytes it is given and knows nothing of briefings or slips. What it prints or
saves comes from ``produce(destination, recipient)``, a call into a service that checks the
permission and audits the disclosure with its destination (the printer's name, the file's path),
so the audit records exactly what left the screen. Without ``produce`` (a role that may read but
not print) the two buttons are not offered.

The ``open_*`` functions at the bottom build a document for the screen and open the dialog on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QPageLayout, QPainter, QShortcut, QShowEvent
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.core.actor import Actor
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.core.permissions import Action, allowed
from frontcounter.services.documents import layout as documents
from frontcounter.services.documents.briefing import briefing_pdf
from frontcounter.services.documents.day_sheet import day_sheet_pdf
from frontcounter.services.documents.slip import slip_pdf

logger = logging.getLogger(__name__)

#: Called with ("printer" | "file", recipient) when the document leaves the screen.
Producer = Callable[[documents.Destination, str], bytes]

#: Print resolution cap: enough for text and a QR code, and an A4 page stays near 35 MB as an image.
_MAX_PRINT_DPI = 300


class PdfPreviewDialog(QDialog):
    printed = Signal(str)
    saved = Signal(str)

    def __init__(self, pdf: bytes, *, title: str, suggested_name: str, produce: Producer | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.resize(860, 980)
        self._produce = produce
        self._suggested_name = suggested_name

        self._bytes = QByteArray(pdf)
        self._buffer = QBuffer(self._bytes, self)  # the document reads from it for as long as it lives
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)

        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.view.setAccessibleName(self.tr("Document preview"))

        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setObjectName("errorBanner")
        self.error_label.setAccessibleName(self.tr("Error"))
        self.error_label.hide()

        self.pages_label = QLabel(self.tr("Pages: %n", "", self.page_count), self)

        self.print_button = QPushButton(self.tr("&Print…"), self)
        self.print_button.setToolTip(self.tr("Print this document (Ctrl+P)"))
        self.save_button = QPushButton(self.tr("&Save as PDF…"), self)
        self.save_button.setToolTip(self.tr("Save this document as a PDF file (Ctrl+S)"))
        self.close_button = QPushButton(self.tr("&Close"), self)
        buttons = QDialogButtonBox(self)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        for button in (self.print_button, self.save_button):
            button.setVisible(produce is not None)
            button.setEnabled(produce is not None)
            button.setAutoDefault(False)
        self.close_button.setAutoDefault(False)

        self.print_button.clicked.connect(self._on_print_button_clicked)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.close_button.clicked.connect(self.reject)
        if produce is not None:
            QShortcut(QKeySequence.StandardKey.Print, self, self._on_print_button_clicked)
            QShortcut(QKeySequence.StandardKey.Save, self, self._on_save_button_clicked)
        QShortcut(QKeySequence.StandardKey.ZoomIn, self, lambda: self._zoom(1.25))
        QShortcut(QKeySequence.StandardKey.ZoomOut, self, lambda: self._zoom(0.8))

        footer = QHBoxLayout()
        footer.addWidget(self.pages_label)
        footer.addStretch(1)
        footer.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.error_label)
        layout.addWidget(self.view, 1)
        layout.addLayout(footer)

    @property
    def page_count(self) -> int:
        return self.document.pageCount()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802  (Qt's name)
        super().showEvent(event)
        self.view.setFocus(Qt.FocusReason.ActiveWindowFocusReason)  # arrows and Page Down scroll at once

    # --- Actions ---------------------------------------------------------------------------

    def save_to(self, path: Path) -> bool:
        """Write the document (as the service produces it, audited) to ``path``."""
        pdf = self._output("file", str(path))
        if pdf is None:
            return False
        try:
            path.write_bytes(pdf)
        except OSError as exc:
            self._show_error(self.tr("Could not save the file: %1").replace("%1", exc.strerror or str(exc)))
            return False
        self.saved.emit(str(path))
        return True

    def print_to(self, printer: QPrinter) -> bool:
        """Print the document (as the service produces it, audited) on ``printer``."""
        pdf = self._output("printer", printer.printerName() or printer.outputFileName() or "printer")
        if pdf is None:
            return False
        if not self._render_to(printer, pdf):
            self._show_error(self.tr("The printer could not be started."))
            return False
        self.printed.emit(printer.printerName())
        return True

    # --- Slots ---------------------------------------------------------------------------

    def _on_print_button_clicked(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(self.tr("Print"))
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def _on_save_button_clicked(self) -> None:
        path = self._ask_save_path()
        if path is not None:
            self.save_to(path)

    # --- Helpers ---------------------------------------------------------------------------

    def _ask_save_path(self) -> Path | None:
        chosen, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save as PDF"), self._suggested_name, self.tr("PDF documents (*.pdf)")
        )
        if not chosen:
            return None
        path = Path(chosen)
        return path if path.suffix.lower() == ".pdf" else path.with_suffix(".pdf")

    def _output(self, destination: documents.Destination, recipient: str) -> bytes | None:
        if self._produce is None:
            return None
        try:
            pdf = self._produce(destination, recipient)
        except FrontCounterError as exc:
            self._show_error(exc.message)
            return None
        self.error_label.hide()
        return pdf

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(4.0, self.view.zoomFactor() * factor)))

    @staticmethod
    def _render_to(printer: QPrinter, pdf: bytes) -> bool:
        """Draw each page of ``pdf`` as an image filling the paper (at most 300 dpi)."""
        data = QByteArray(pdf)
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        document = QPdfDocument()
        document.load(buffer)
        if document.pageCount() == 0:
            return False
        first = document.pagePointSize(0)
        printer.setFullPage(True)
        printer.setPageOrientation(QPageLayout.Orientation.Landscape if first.width() > first.height()
                                   else QPageLayout.Orientation.Portrait)
        painter = QPainter()
        if not painter.begin(printer):
            return False
        try:
            dpi = min(printer.resolution(), _MAX_PRINT_DPI)
            for page in range(document.pageCount()):
                if page:
                    printer.newPage()
                points = document.pagePointSize(page)
                image = document.render(page, QSize(round(points.width() / 72 * dpi),
                                                    round(points.height() / 72 * dpi)))
                target = QRectF(painter.viewport())
                scale = min(target.width() / image.width(), target.height() / image.height())
                size = QRectF(0, 0, image.width() * scale, image.height() * scale)
                size.moveCenter(QPointF(target.center()))
                painter.drawImage(size, image)
        finally:
            painter.end()
            document.close()
        return True


def _producer(actor: Actor, action: Action, build: Producer) -> Producer | None:
    """Print and Save only for a role that may; the service checks again in any case."""
    return build if allowed(actor, action) else None


def open_briefing(ctx: ServiceContext, actor: Actor, reference: str,
                  parent: QWidget | None = None) -> PdfPreviewDialog:
    """The briefing on screen (a consultation); Print and Save for roles that may print it."""
    pdf = briefing_pdf(ctx, actor, reference, destination="screen")
    produce = _producer(actor, Action.PRINT_BRIEFING,
                        lambda dest, who: briefing_pdf(ctx, actor, reference, who, destination=dest))
    dialog = PdfPreviewDialog(pdf, title=_tr("Briefing %1").replace("%1", reference),
                              suggested_name=f"briefing-{reference}.pdf", produce=produce, parent=parent)
    return dialog


def open_day_sheet(ctx: ServiceContext, actor: Actor, day: date, *, confidential: bool,
                   parent: QWidget | None = None) -> PdfPreviewDialog:
    pdf = day_sheet_pdf(ctx, actor, day, confidential, destination="screen")
    action = Action.PRINT_CONFIDENTIAL_DAY_SHEET if confidential else Action.PRINT_DAY_SHEET
    produce = _producer(actor, action, lambda dest, who: day_sheet_pdf(
        ctx, actor, day, confidential, recipient=who, destination=dest))
    return PdfPreviewDialog(pdf, title=_tr("Day sheet %1").replace("%1", day.isoformat()),
                            suggested_name=f"day-sheet-{day.isoformat()}.pdf", produce=produce, parent=parent)


def open_slip(ctx: ServiceContext, actor: Actor, reference: str,
              parent: QWidget | None = None) -> PdfPreviewDialog:
    pdf = slip_pdf(ctx, actor, reference, destination="screen")
    produce = _producer(actor, Action.PRINT_SLIP,
                        lambda dest, who: slip_pdf(ctx, actor, reference, who, destination=dest))
    return PdfPreviewDialog(pdf, title=_tr("Slip %1").replace("%1", reference),
                            suggested_name=f"slip-{reference}.pdf", produce=produce, parent=parent)


def _tr(text: str) -> str:
    return QGuiApplication.translate("PdfPreviewDialog", text)
