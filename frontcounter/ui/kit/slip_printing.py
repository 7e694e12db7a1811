"""A visitor's slip in one step: the print dialog, then the printer (the preview stays one key away).

Printing used to be three steps (Slip → the preview → Print… → the print dialog) for the one thing
the counter does after every booking. Now Print slip (Ctrl+P) asks the system's print dialog
straight away; the slip is built for that printer on the task runner, where ``documents.slip_pdf``
checks the permission and audits the disclosure with the printer's name, and is then drawn on
the printer. Preview slip (Ctrl+Shift+P) still opens the preview with Print and Save as PDF.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from frontcounter.services.core.errors import FrontCounterError
from frontcounter.ui.app_state import AppState
from frontcounter.ui.kit.slip import slip_failed

logger = logging.getLogger(__name__)

#: Asks which printer (the system print dialog); None when the clerk cancels.
PrinterChooser = Callable[[QWidget], QPrinter | None]


def ask_for_printer(parent: QWidget) -> QPrinter | None:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(parent.tr("Print slip"))
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return printer


#: The chooser print_slip uses; tests put one here that prints to a PDF file without asking.
choose_printer: PrinterChooser = ask_for_printer


def printer_label(printer: QPrinter) -> str:
    """What the audit records as the recipient: the printer's name, or the file printed to."""
    return printer.printerName() or printer.outputFileName() or "printer"


def print_slip(state: AppState, reference: str, parent: QWidget, *,
               on_printed: Callable[[str], None] | None = None,
               on_error: Callable[[BaseException, str], None] | None = None) -> bool:
    """Ask for the printer, then print ``reference``'s slip there. False if the clerk cancelled."""
    printer = choose_printer(parent)
    if printer is None:
        return False
    from frontcounter.services.documents.slip import slip_pdf
    from frontcounter.ui.kit.pdf_preview import print_pdf

    ctx, actor, where = state.ctx, state.actor, printer_label(printer)

    def build(_progress: Callable[[int, int], None]) -> bytes:
        return slip_pdf(ctx, actor, reference, where, destination="printer")

    def done(pdf: bytes) -> None:
        if not print_pdf(printer, pdf):
            failed(FrontCounterError(parent.tr("The printer could not be started.")))
            return
        logger.info("slip %s printed", reference)
        state.message.emit(parent.tr("Slip {0} sent to {1}.").format(reference, where), "info")
        if on_printed is not None:
            on_printed(where)

    failed = slip_failed(state, reference, on_error)

    state.tasks.run(build, on_done=done, on_error=failed, owner=parent)
    return True
