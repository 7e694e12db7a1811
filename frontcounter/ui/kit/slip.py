"""The visitor's slip: built off the GUI thread, then previewed (Print, Save as PDF)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QWidget,
)

from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.core.permissions import Action, allowed
from frontcounter.ui.app_state import AppState


def slip_failed(state: AppState, reference: str,
                on_error: Callable[[BaseException, str], None] | None) -> Callable[[BaseException], None]:
    """What a slip that could not be made or printed does: the caller's handler, else the message
    bar for a failure in words; anything else is a bug and is raised."""
    def failed(exc: BaseException) -> None:
        if on_error is not None:
            on_error(exc, reference)
        elif isinstance(exc, FrontCounterError):
            state.message.emit(exc.message, "error")
        else:
            raise exc

    return failed


def show_slip(state: AppState, reference: str, parent: QWidget, *,
              on_error: Callable[[BaseException, str], None] | None = None,
              on_opened: Callable[[QDialog], None] | None = None) -> None:
    """Build the visitor's slip off the GUI thread and open the preview (Print, Save as PDF)."""
    try:
        from frontcounter.services.documents.slip import slip_pdf
        from frontcounter.ui.kit.pdf_preview import PdfPreviewDialog
    except ImportError:  # a build without documents: say so rather than fail
        state.message.emit(parent.tr("Slips are not available in this build."), "warning")
        return
    ctx, actor = state.ctx, state.actor

    def build(_progress: Callable[[int, int], None]) -> bytes:
        return slip_pdf(ctx, actor, reference, destination="screen")

    def opened(pdf: bytes) -> None:
        produce = None
        if allowed(actor, Action.PRINT_SLIP):
            def produce(destination: Any, recipient: str, deliver: Any = None) -> bytes:
                return slip_pdf(ctx, actor, reference, recipient, destination=destination, deliver=deliver)
        dialog = PdfPreviewDialog(pdf, title=parent.tr("Slip {0}").format(reference),
                                  suggested_name=f"slip-{reference}.pdf", produce=produce, parent=parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.set_masked(state.masked)
        state.mask_changed.connect(dialog.set_masked)  # a bound slot: dropped with the dialog
        dialog.open()
        if on_opened is not None:
            on_opened(dialog)

    state.tasks.run(build, on_done=opened, on_error=slip_failed(state, reference, on_error))
