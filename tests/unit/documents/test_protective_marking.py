"""The protective marking (configurable) is on every document that leaves the system: briefing,
day sheets, slip, report and drill-down exports, the audit export. (The window title and the
lock screen: tests/ui/views/test_audit_view.py and tests/ui/shell/test_lock.py.)"""

from __future__ import annotations

import dataclasses
import io

import pytest

from frontcounter.runtime import StationRuntime
from frontcounter.services.core import appointments
from frontcounter.services.core.clock import local_today
from frontcounter.services.documents.briefing import briefing_pdf
from frontcounter.services.documents.day_sheet import day_sheet_pdf
from frontcounter.services.documents.slip import slip_pdf
from frontcounter.services.reports import figures as reports
from frontcounter.services.reports.export import export_appointments, export_report
from frontcounter.services.security import audit_log
from tests.conftest import actor_named

MARKING = "OFFICIAL-SENSITIVE PERSONAL"


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def marked(station: StationRuntime) -> StationRuntime:
    station.ctx.policy = dataclasses.replace(station.ctx.policy, protective_marking=MARKING)
    return station


def test_every_document_carries_the_marking(marked: StationRuntime) -> None:
    ctx = marked.ctx
    officer, supervisor = actor_named(marked, "officer.HH"), actor_named(marked, "supervisor.HH")
    today = local_today(ctx.clock)
    views = appointments.list_day(ctx, supervisor, today)
    ref = views[0].reference
    report = reports.compute_report(ctx, supervisor, today, today)
    pdfs = {
        "briefing": briefing_pdf(ctx, officer, ref, recipient="test"),
        "day sheet": day_sheet_pdf(ctx, supervisor, today),
        "confidential day sheet": day_sheet_pdf(ctx, officer, today, confidential=True),
        "slip": slip_pdf(ctx, supervisor, ref),
        "report": export_report(ctx, supervisor, report, "pdf"),
        "drill-down": export_appointments(ctx, supervisor, views, "pdf", figure_key="day",
                                                        title="Today", date_from=today, date_to=today),
    }
    for name, data in pdfs.items():
        assert MARKING in " ".join(_pdf_text(data).split()), name
    texts = {
        "report csv": export_report(ctx, supervisor, report, "csv").decode("utf-8-sig"),
        "drill-down csv": export_appointments(
            ctx, supervisor, views, "csv", figure_key="day", title="Today", date_from=today, date_to=today,
        ).decode("utf-8-sig"),
        "audit csv": audit_log.export_csv(ctx, actor_named(marked, "auditor.HH"), recipient="x.csv"),
    }
    for name, text in texts.items():
        assert MARKING in text, name

