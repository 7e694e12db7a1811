"""Bugs, as opposed to expected errors: log the trace and let the user carry on or quit.

Expected errors (``FrontCounterError``) never reach here; they are shown in place by the views.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication

from frontcounter.services.core.errors import FrontCounterError

logger = logging.getLogger(__name__)


def _hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if isinstance(exc, KeyboardInterrupt):
        QApplication.quit()
        return
    trace = "".join(traceback.format_exception(kind, exc, tb))
    if isinstance(exc, FrontCounterError):
        logger.warning("unhandled expected error: %s", exc.message)
    else:
        logger.error("unexpected error:\n%s", trace)
    if QApplication.instance() is None:
        sys.__excepthook__(kind, exc, tb)
        return
    from PySide6.QtWidgets import QMessageBox  # only when something went wrong: not before the first frame

    box = QMessageBox(QMessageBox.Icon.Critical, "FrontCounter",
                      "Something went wrong. Nothing you saved has been lost; the details are in the log.")
    box.setObjectName("crashDialog")  # ui/lock.py lets input reach it while the screen is locked
    box.setInformativeText(str(exc)[:300] if isinstance(exc, FrontCounterError) else kind.__name__)
    box.setDetailedText(trace)
    carry_on = box.addButton("Carry on", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Quit", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(carry_on)
    box.exec()
    if box.clickedButton() is not carry_on:
        QApplication.exit(1)


def install_excepthook() -> None:
    sys.excepthook = _hook
