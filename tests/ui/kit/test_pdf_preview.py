"""The PDF preview: shows the document, and Print/Save go through the audited service."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import io  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtPdf import QPdfDocument  # noqa: E402
from PySide6.QtPrintSupport import QPrinter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import select  # noqa: E402

from frontcounter.db.models import AuditEvent, Role  # noqa: E402
from frontcounter.ui.kit import pdf_preview  # noqa: E402
from tests.unit.doc_fixtures import DAY, World, add_appointment, make_world  # noqa: E402


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path)
    yield w
    w.ctx.engine.dispose()


def disclosures(world: World) -> list[AuditEvent]:
    with world.ctx.read() as session:
        return list(session.scalars(
            select(AuditEvent).where(AuditEvent.category == "disclosure").order_by(AuditEvent.local_seq)
        ))


def test_preview_shows_every_page_of_the_briefing_and_save_writes_and_audits(qtbot, world: World,
                                                                              tmp_path: Path) -> None:
    a = add_appointment(world, briefing_notes="A long note. " * 600, visitor_name="Łukasz 王 محمد")
    officer = world.actor(Role.OFFICER)
    dialog = pdf_preview.open_briefing(world.ctx, officer, a.reference)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.view)  # keys go to the page at once

    assert dialog.document.status() == QPdfDocument.Status.Ready
    assert dialog.page_count >= 2
    assert disclosures(world) == []  # looking at it on screen is a consultation, not a disclosure
    assert dialog.print_button.isVisible() and dialog.save_button.isVisible()

    target = tmp_path / "out" / "briefing.pdf"
    target.parent.mkdir()
    monkey_path = target
    dialog._ask_save_path = lambda: monkey_path  # type: ignore[method-assign]
    with qtbot.waitSignal(dialog.saved, timeout=5000) as blocker:
        qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args == [str(target)]
    saved = target.read_bytes()
    assert saved.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(saved)).pages) == dialog.page_count
    (event,) = disclosures(world)
    assert (event.action, event.record, event.username) == ("briefing.print", f"appointment:{a.reference}",
                                                            "officer.HH")
    assert event.details == {"destination": "file", "recipient": str(target)}


def test_print_renders_every_page_to_the_printer_and_audits(qtbot, world: World, tmp_path: Path) -> None:
    add_appointment(world, visitor_name="Jane Smith")
    officer = world.actor(Role.OFFICER)
    dialog = pdf_preview.open_day_sheet(world.ctx, officer, DAY, confidential=True)
    qtbot.addWidget(dialog)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    with qtbot.waitSignal(dialog.printed, timeout=10000):
        assert dialog.print_to(printer)
    printed = PdfReader(str(tmp_path / "printed.pdf"))
    assert len(printed.pages) == dialog.page_count
    (event,) = disclosures(world)
    assert event.action == "day_sheet.print"
    assert event.details["destination"] == "printer" and event.details["confidential"] is True


def test_a_role_that_may_read_but_not_print_gets_no_print_or_save(qtbot, world: World) -> None:
    a = add_appointment(world)
    dialog = pdf_preview.open_briefing(world.ctx, world.actor(Role.FCR), a.reference)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.page_count >= 1
    assert not dialog.print_button.isVisible() and not dialog.save_button.isVisible()
    assert not dialog.save_to(Path("/nonexistent/never-written.pdf"))
    assert disclosures(world) == []


def test_a_refusal_from_the_service_shows_in_the_dialog(qtbot, world: World, tmp_path: Path) -> None:
    from frontcounter.services.core.errors import PermissionDenied

    def refuse(destination: str, recipient: str) -> bytes:
        raise PermissionDenied("A counter user may not print briefing.")

    dialog = pdf_preview.PdfPreviewDialog(b"%PDF-1.4 not really", title="t", suggested_name="x.pdf",
                                          produce=refuse)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.save_to(tmp_path / "x.pdf")
    assert dialog.error_label.isVisible()
    assert "may not print" in dialog.error_label.text()
    assert not (tmp_path / "x.pdf").exists()


def test_buttons_have_mnemonics_and_close_with_escape(qtbot, world: World) -> None:
    a = add_appointment(world)
    dialog = pdf_preview.open_slip(world.ctx, world.actor(Role.COUNTER), a.reference)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.view)  # keys go to the page at once
    assert dialog.page_count == 1
    for button in (dialog.print_button, dialog.save_button, dialog.close_button):
        assert "&" in button.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
