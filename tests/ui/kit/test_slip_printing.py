"""One step to print: with a visitor selected, Ctrl+P asks the print dialog and prints the slip;
after a walk-in booking Enter does the same; the preview stays one key away (Ctrl+Shift+P). The
print is audited as a disclosure to that printer."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

from frontcounter.db.models import AuditEvent
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.ui.app_state import AppState
from frontcounter.ui.kit import slip_printing
from tests.ui.views.test_today_view import Counter, booked_today

pytestmark = pytest.mark.wallclock


@contextlib.contextmanager
def printing_to(_state: AppState | None = None) -> Iterator[Path]:
    """The print dialog answered at once with a PDF printer writing to a file (what it yields)."""
    folder = Path(tempfile.mkdtemp(prefix="fc-print-"))
    target = folder / "printed.pdf"
    asked: list[QWidget] = []

    def choose(parent: QWidget) -> QPrinter:
        asked.append(parent)
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        return printer

    previous = slip_printing.choose_printer
    slip_printing.choose_printer = choose
    try:
        yield target
    finally:
        slip_printing.choose_printer = previous
    assert len(asked) <= 1, "the print dialog was asked more than once for one print"


@pytest.fixture
def at_counter(qtbot, station: StationRuntime, counter: Actor) -> Iterator[Counter]:  # type: ignore[no-untyped-def]
    c = Counter(qtbot, station, counter)
    yield c
    c.state.tasks.wait(5000)


def test_ctrl_p_prints_the_selected_visitors_slip_in_one_step(at_counter: Counter, station: StationRuntime) -> None:
    target = booked_today(station)
    today = at_counter.today
    assert today.select_reference(target.reference)
    with printing_to() as printed, at_counter.qtbot.waitSignal(today.slip_printed, timeout=10000):
        at_counter.qtbot.keyClick(at_counter.window.search, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    with pdfplumber.open(printed) as pdf:
        assert len(pdf.pages) == 1
    assert "printed on" in at_counter.banner() and target.reference in at_counter.banner()
    assert today.slip_dialog is None  # no preview on the way
    with station.ctx.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "slip.print")
                          .order_by(AuditEvent.at.desc())).first()
    assert event is not None and event.record == f"appointment:{target.reference}"
    assert event.details["destination"] == "printer" and event.details["recipient"] == str(printed)


def test_cancelling_the_print_dialog_prints_nothing(at_counter: Counter, station: StationRuntime) -> None:
    target = booked_today(station)
    assert at_counter.today.select_reference(target.reference)
    previous = slip_printing.choose_printer
    slip_printing.choose_printer = lambda _parent: None
    try:
        at_counter.today.slip_action.trigger()
    finally:
        slip_printing.choose_printer = previous
    assert at_counter.state.tasks.active == 0 and not at_counter.today.banner.isVisible()


def test_the_preview_is_still_one_key_away(at_counter: Counter, station: StationRuntime) -> None:
    target = booked_today(station)
    assert at_counter.today.select_reference(target.reference)
    assert at_counter.today.preview_slip_action.shortcut().toString() == "Ctrl+Shift+P"
    at_counter.today.preview_slip_action.trigger()
    at_counter.qtbot.waitUntil(lambda: at_counter.today.slip_dialog is not None, timeout=10000)
    dialog = at_counter.today.slip_dialog
    assert dialog is not None and target.reference in dialog.windowTitle()
    dialog.close()
