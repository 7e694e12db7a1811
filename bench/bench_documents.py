"""How long the printed documents take to build, against ReportLab's own floor.

The floor is the smallest ReportLab document there is (one paragraph of Helvetica on one page),
built in the same run and interleaved with the figure's own runs, so the ratio says what our
layout, fonts and QR code cost on top of ReportLab itself on this machine today.

Figures (median, and p95 of the same runs): a typical briefing (the officer waits for it when they
press Print), a briefing whose notes run to 5,000 characters, a 200-row day sheet, a visitor's
slip, and the whole briefing service (database read, permission checks, the audit write, build) on
a SQLite station cache. The issue's targets are a briefing in 30 ms and a 200-row day sheet in
300 ms; the service is held to the briefing's 30 ms too, though it adds one durable commit to the
build (with ``synchronous=FULL``, an fsync: a few ms on a quiet disk, more on a busy virtual one).
"""

from __future__ import annotations

import io
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import figure, median, p95

WHEN = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


def _floor_pdf() -> bytes:
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    buffer = io.BytesIO()
    SimpleDocTemplate(buffer).build([Paragraph("Hello, front counter.", getSampleStyleSheet()["Normal"])])
    return buffer.getvalue()


def _briefing(notes: str) -> Any:
    from frontcounter.services.documents.contents import BriefingData, EarlierAppointment

    return BriefingData(
        appointment_id=uuid.uuid4(), reference="HH-4KQ7M", station_code="HH", station_name="Hemel Hempstead",
        station_address="Combe Street, Hemel Hempstead", station_postcode="HP1 1HL",
        room_name="Interview Room 1", room_features=("step-free", "hearing loop"), start=WHEN,
        end=WHEN + timedelta(hours=1), officer="PC 1234 Priya Patel", status="booked", at_risk=False,
        at_risk_reason=None, channel="101 call", reason="Domestic abuse", crime_reference="41/12345/26",
        visitor_name="Łukasz Wiśniewski", visitor_preferred_name="Łukasz", visitor_dob=date(1988, 4, 12),
        visitor_phone="07700 900123", visitor_email="lukasz@example.org",
        visitor_address="12 High Street, Hemel Hempstead", safe_contact="No voicemail. Text only before 18:00.",
        preferred_language="Polish", interpreter_language="Polish", needs_step_free=True,
        needs_hearing_loop=False, access_needs="Anxious in small rooms", person_of_choice="Sister (Anna)",
        vulnerability_flags=("domestic abuse victim", "repeat victim"), notes=notes,
        earlier=tuple(
            EarlierAppointment(reference=f"HH-{c}9ARU", start=WHEN - timedelta(days=30 * (i + 1)),
                               station_name="Hemel Hempstead", reason="Victim update", outcome="Seen",
                               officer="DC 5678 Tomasz Nowak")
            for i, c in enumerate("BCD")
        ),
    )


def _day_sheet(rows: int) -> Any:
    """A day of ``rows`` appointments, four rooms a half hour; every visitor and note different
    (as on a real day, so no layout is saved by repeating the same text), a third of the names in
    Arabic or Chinese script, which take the fallback fonts and shaping."""
    from frontcounter.services.documents.contents import DaySheetData, DaySheetRow

    names = ("Jane Smith", "Amir Khan", "محمد الأحمد", "Wang Fang 王芳", "Ayşe Yılmaz", "Hodan Abdi")
    officers = ("PC 1234 Priya Patel", "DC 5678 Tomasz Nowak", "PC 2345 Sam Jones", "PS 3456 Ada Obi")
    return DaySheetData("HH", "Hemel Hempstead", date(2026, 11, 23), True, tuple(
        DaySheetRow(reference=f"HH-{i:05d}", start=WHEN + timedelta(minutes=30 * (i // 4)),
                    end=WHEN + timedelta(minutes=30 * (i // 4) + 30), room_name=f"Interview Room {i % 4 + 1}",
                    officer=officers[i % len(officers)], visitor_name=f"{names[i % len(names)]} {i}",
                    status="booked", needs=("Interpreter: Urdu",) if i % 3 == 0 else (),
                    vulnerability_flags=("repeat victim",) if i % 2 else (),
                    notes_summary=f"Reports ongoing harassment by ex-partner; {i} messages saved on phone.",
                    reason="Report a crime")
        for i in range(rows)
    ))


def _measure(name: str, fn: Callable[[], Any], target: str, runs: int) -> tuple[str, dict[str, Any]]:
    """``fn`` timed ``runs`` times, each run right after a run of the floor (so noise hits both)."""
    fn()
    _floor_pdf()
    values, floors = [], []
    for _ in range(runs):
        start = time.perf_counter()
        _floor_pdf()
        floors.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        fn()
        values.append((time.perf_counter() - start) * 1000)
    return name, figure(median(values), "ms", median(floors), target, runs=runs, p95=round(p95(values), 3))


def _service_setup(tmp: Path) -> Callable[[], bytes]:
    """A migrated SQLite cache with one appointment and its history, and the service call on it."""
    from frontcounter.db.engine import make_engine, sqlite_url
    from frontcounter.db.migrate import upgrade
    from frontcounter.db.models import Appointment, Officer, Role, Room, Station
    from frontcounter.services.core.actor import Actor
    from frontcounter.services.core.clock import FixedClock
    from frontcounter.services.core.context import ServiceContext
    from frontcounter.services.documents.briefing import briefing_pdf

    engine = make_engine(sqlite_url(tmp / "bench.sqlite"))
    upgrade(engine)
    ctx = ServiceContext(engine=engine, clock=FixedClock(NOW), station_code="HH", workstation="bench")
    station = Station(id=uuid.uuid4(), code="HH", name="Hemel Hempstead", address="Combe Street",
                      postcode="HP1 1HL", latitude=51.75, longitude=-0.47)
    room = Room(id=uuid.uuid4(), station_id=station.id, name="Interview Room 1", step_free=True)
    officer = Officer(id=uuid.uuid4(), station_id=station.id, collar_number="1234", name="Priya Patel")
    previous = None
    with ctx.write.begin() as session:
        session.add(station)
        session.flush()
        session.add_all([room, officer])
        session.flush()
        for i in range(4):
            start = WHEN - timedelta(days=30 * (3 - i))
            appointment = Appointment(
                id=uuid.uuid4(), reference=f"HH-{'BCDE'[i]}9ARU", station_id=station.id, room_id=room.id,
                officer_id=officer.id, start_at=start, end_at=start + timedelta(hours=1), channel="101_call",
                reason="report_crime", visitor_name="Łukasz Wiśniewski", visitor_phone="07700 900123",
                interpreter_language="Polish", vulnerability_flags=["repeat victim"],
                briefing_notes="Reports ongoing harassment; messages saved on phone. " * 6,
                previous_appointment_id=previous, status="completed" if i < 3 else "booked",
                created_at=NOW - timedelta(days=100), created_by="fcr.HH",
            )
            session.add(appointment)
            session.flush()
            previous = appointment.id
    actor = Actor(user_id=uuid.uuid4(), username="officer.HH", display_name="Officer", role=Role.OFFICER,
                  station_id=station.id, station_code="HH", workstation="bench")
    return lambda: briefing_pdf(ctx, actor, "HH-E9ARU", recipient="bench")


def run(quick: bool) -> dict[str, dict[str, Any]]:
    from frontcounter.services.documents import fonts as pdf_fonts
    from frontcounter.services.documents.briefing import build_briefing_pdf
    from frontcounter.services.documents.contents import SlipData
    from frontcounter.services.documents.day_sheet import build_day_sheet_pdf
    from frontcounter.services.documents.slip import build_slip_pdf

    start = time.perf_counter()
    pdf_fonts.fonts()
    register_ms = (time.perf_counter() - start) * 1000

    runs = 9 if quick else 31
    marking, by = "OFFICIAL-SENSITIVE", "PC 1234 Priya Patel"
    typical = _briefing("Reports ongoing harassment by ex-partner since September; messages saved on phone. "
                        "Wants advice on a non-molestation order. Previous DASH assessment medium risk.")
    long_notes = _briefing(("Sentence of the officer's notes about the case, with names and dates. " * 80)[:5000])
    sheet = _day_sheet(200)
    slip = SlipData("HH-4KQ7M", "Łukasz Wiśniewski", WHEN, WHEN + timedelta(hours=1), "Hemel Hempstead",
                    "Combe Street, Hemel Hempstead", "HP1 1HL", "41/12345/26", "booked")

    sheet_runs = max(5, runs // 2)
    figures: dict[str, dict[str, Any]] = dict([
        _measure("briefing build (typical)", lambda: build_briefing_pdf(typical, marking, by, NOW),
                 "<= 30 ms", runs),
        _measure("briefing build (5,000-char notes)",
                 lambda: build_briefing_pdf(long_notes, marking, by, NOW), "<= 60 ms", runs),
        _measure("day sheet build (200 rows, confidential)",
                 lambda: build_day_sheet_pdf(sheet, marking, by, NOW, confidential=True), "<= 300 ms",
                 sheet_runs),
        _measure("slip build", lambda: build_slip_pdf(slip, marking, NOW), "<= 30 ms", runs),
    ])
    with tempfile.TemporaryDirectory() as tmp:
        service = _service_setup(Path(tmp))
        name, fig = _measure("briefing service (read, check, audit, build)", service, "<= 30 ms", runs)
        figures[name] = fig
    figures["font registration (once per process)"] = figure(register_ms, "ms", _floor_ms(), "<= 1000 ms")
    return figures


def _floor_ms() -> float:
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        _floor_pdf()
        samples.append((time.perf_counter() - start) * 1000)
    return median(samples)


if __name__ == "__main__":
    for name, fig in run(quick=True).items():
        print(f"{name:48} {fig['value']:9.2f} {fig['unit']}  floor {fig['floor']:.2f}  x{fig['ratio']:.1f}  "
              f"target {fig['target']}")
