"""Briefings, day sheets and slips: read back with pypdf, as a person searching the PDF would."""

from __future__ import annotations

import io
import re
import socket
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.platypus import Paragraph
from sqlalchemy import event, select

from frontcounter.assets import FONTS_DIR
from frontcounter.db.models import AuditEvent, Role
from frontcounter.services.core.errors import NotFound, PermissionDenied
from frontcounter.services.documents import contents as briefing
from frontcounter.services.documents import fonts as pdf_fonts
from frontcounter.services.documents import layout as documents
from frontcounter.services.documents.briefing import briefing_pdf, build_briefing_pdf
from frontcounter.services.documents.contents import (
    BriefingData,
    DaySheetData,
    DaySheetRow,
    EarlierAppointment,
    SlipData,
)
from frontcounter.services.documents.day_sheet import build_day_sheet_pdf, day_sheet_pdf
from frontcounter.services.documents.slip import build_slip_pdf, slip_pdf
from frontcounter.services.documents.text import _styles, _Text, para
from tests.unit.doc_fixtures import DAY, NOW, World, add_appointment, make_world

MARKING = "OFFICIAL-SENSITIVE"


# --- Helpers ---------------------------------------------------------------------------------


def pages(pdf: bytes) -> list[str]:
    """Each page's text, NFKC-normalised: Arabic comes out of a PDF as presentation forms."""
    reader = PdfReader(io.BytesIO(pdf))
    return [unicodedata.normalize("NFKC", page.extract_text() or "") for page in reader.pages]


def text_of(pdf: bytes) -> str:
    return "\n".join(pages(pdf))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def audits(world: World, action: str | None = None) -> list[AuditEvent]:
    with world.ctx.read() as session:
        query = select(AuditEvent).order_by(AuditEvent.local_seq)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(session.scalars(query))


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = make_world(tmp_path)
    yield w
    w.ctx.engine.dispose()


def full_appointment(world: World, **fields: object):
    earliest = add_appointment(world, start=datetime(2026, 9, 2, 17, tzinfo=UTC), status="completed",
                               reason="victim_update")
    earlier = add_appointment(world, start=datetime(2026, 10, 14, 18, tzinfo=UTC), status="no_show",
                              previous_appointment_id=earliest.id, officer=1)
    values = dict(
        previous_appointment_id=earlier.id,
        visitor_preferred_name="Janey",
        visitor_dob=date(1988, 4, 12),
        preferred_language="English",
        interpreter_language="Polish",
        needs_step_free=True,
        needs_hearing_loop=True,
        access_needs="Assistance dog",
        person_of_choice="Sister (Anna)",
        vulnerability_flags=["domestic abuse victim", "repeat victim"],
        reason="domestic_abuse",
        crime_reference="41/55555/26",
    )
    values.update(fields)
    return add_appointment(world, **values), earlier, earliest


# --- The briefing ----------------------------------------------------------------------------


def test_briefing_carries_every_field_and_the_marking_on_every_page(world: World) -> None:
    notes = " ".join(f"Sentence {i:04d} of the officer's notes." for i in range(250))
    a, earlier, earliest = full_appointment(world, briefing_notes=notes)
    officer = world.actor(Role.OFFICER)
    pdf = briefing_pdf(world.ctx, officer, a.reference, recipient="PC Patel")
    texts = pages(pdf)
    assert len(texts) >= 2
    for number, page in enumerate(texts, start=1):
        assert page.count(MARKING) >= 2, f"page {number} lacks the marking at head and foot"
        assert f"Page {number} of {len(texts)}" in page
        assert "Printed by Officer User · 23 Nov 2026 16:00" in page
    text = "\n".join(texts)
    for expected in (
        a.reference, "Hemel Hempstead", "Combe Street", "HP1 1HL", "Interview Room 1", "step-free",
        "Monday 23 November 2026, 17:00–18:00", "PC 1234 Priya Patel",
        "Jane Smith", "Janey", "12 April 1988 (age 38)", "07700 900123", "jane@example.org",
        "12 High Street, Hemel Hempstead", "No voicemail. Text only before 18:00.",
        "Domestic abuse", "41/55555/26", "101 call",
        "NEEDS", "Polish", "Step-free access", "Hearing loop", "Assistance dog", "Sister (Anna)",
        "domestic abuse victim", "repeat victim",
        "Earlier appointments", earlier.reference, "Did not attend", earliest.reference, "Seen",
        "DC 5678 Tomasz Nowak", "14 Oct 2026", "2 Sep 2026",
    ):
        assert squash(expected) in squash(text), expected  # table cells wrap
    assert squash(notes) in squash(text_without_furniture(texts))


def text_without_furniture(texts: list[str]) -> str:
    """The body text of every page, with the running head and foot taken out."""
    furniture = re.compile(r"^(OFFICIAL-SENSITIVE|Appointment briefing · .*|HH-\w+|Printed by .*|Page \d+ of \d+)$")
    body = []
    for page in texts:
        body.extend(line for line in page.splitlines() if not furniture.match(line.strip()))
    return "\n".join(body)


def test_five_thousand_character_notes_complete_across_pages(world: World) -> None:
    words = [f"w{i:04d}" for i in range(1000)]
    notes = " ".join(words)[:5000]
    assert len(notes) == 5000
    a = add_appointment(world, briefing_notes=notes)
    pdf = briefing_pdf(world.ctx, world.actor(Role.OFFICER), a.reference)
    texts = pages(pdf)
    assert len(texts) >= 2
    assert squash(notes) in squash(text_without_furniture(texts))
    assert notes[-20:].strip() in texts[-1] or squash(notes[-20:]) in squash(texts[-1])


def test_notes_with_paragraphs_and_a_single_enormous_word_do_not_break_layout(world: World) -> None:
    notes = "First paragraph.\n\nSecond paragraph\nwith a line break.\n\n" + "x" * 6000
    a = add_appointment(world, briefing_notes=notes, access_needs="y" * 3000)
    pdf = briefing_pdf(world.ctx, world.actor(Role.OFFICER), a.reference)
    assert all(page.count("NEEDS — read before the meeting") <= 1 for page in pages(pdf))
    text = squash(text_without_furniture(pages(pdf)))
    assert "Firstparagraph." in text and "withalinebreak." in text
    assert text.count("x") >= 6000
    assert text.count("y") >= 3000


def test_user_text_prints_literally_and_nothing_is_fetched(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a document tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    hostile = [
        '<img src="http://127.0.0.1:9/x.png"/>',
        '<a href="http://127.0.0.1:9/">click</a>',
        "<b>not bold</b> & &amp; &lt; <font name='Courier'>x</font> <br/> <para>",
    ]
    a = add_appointment(world, visitor_name=hostile[2], briefing_notes="\n".join(hostile),
                        safe_contact=hostile[1], access_needs=hostile[0])
    officer = world.actor(Role.OFFICER)
    text = text_of(briefing_pdf(world.ctx, officer, a.reference))
    for h in hostile:
        assert h in text.replace("\n", " ") or h in text
    sheet = text_of(day_sheet_pdf(world.ctx, officer, DAY, confidential=True))
    assert hostile[2] in sheet.replace("\n", " ") or squash(hostile[2]) in squash(sheet)
    slip = text_of(slip_pdf(world.ctx, world.actor(Role.COUNTER), a.reference))
    assert squash(hostile[2]) in squash(slip)


NAMES = {
    "arabic": "محمد الأحمد",
    "chinese": "王小明",
    "polish": "Zażółć Gęślą-Jaźń",
    "emoji": "Sam 😀👍 🚓🇬🇧 ❤",
}


@pytest.mark.parametrize("script", list(NAMES))
def test_names_in_any_script_print_and_extract(world: World, script: str) -> None:
    name = NAMES[script]
    a = add_appointment(world, visitor_name=name, briefing_notes=f"Spoke to {name} on the phone.",
                        person_of_choice=name)
    officer = world.actor(Role.OFFICER)
    for pdf in (
        briefing_pdf(world.ctx, officer, a.reference),
        day_sheet_pdf(world.ctx, officer, DAY, confidential=False),
        slip_pdf(world.ctx, officer, a.reference),
    ):
        text = text_of(pdf)
        for word in name.split():
            assert word in text, (script, word, text[:400])


def test_each_script_is_set_in_a_font_that_has_it(world: World) -> None:
    a = add_appointment(world, visitor_name="王小明 محمد Łukasz 👍")
    pdf = briefing_pdf(world.ctx, world.actor(Role.OFFICER), a.reference)
    reader = PdfReader(io.BytesIO(pdf))
    fonts_used = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts_used.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    assert {"DejaVuSans", "DroidSansFallback", "NotoSansArabic-Regular", "Symbola"} <= fonts_used, fonts_used


def test_the_marking_comes_from_policy(tmp_path: Path) -> None:
    world = make_world(tmp_path, marking="OFFICIAL-SENSITIVE PERSONAL")
    a = add_appointment(world, briefing_notes="n" * 4000 + " end")
    officer = world.actor(Role.OFFICER)
    for pdf in (briefing_pdf(world.ctx, officer, a.reference),
                day_sheet_pdf(world.ctx, officer, DAY, confidential=True)):
        for page in pages(pdf):
            assert page.count("OFFICIAL-SENSITIVE PERSONAL") >= 2
    assert "OFFICIAL-SENSITIVE PERSONAL" in text_of(slip_pdf(world.ctx, officer, a.reference))
    world.ctx.engine.dispose()


def test_reference_qr_code_encodes_the_reference() -> None:
    modules = documents.qr_modules("HH-4KQ7M")
    assert len(modules) == 21  # version 1: a short reference stays a coarse, easily scanned code
    from reportlab.graphics.barcode.qr import QrCodeWidget

    widget = QrCodeWidget("HH-4KQ7M", barLevel="M")
    widget.qr.make()
    assert modules == tuple(tuple(bool(m) for m in row) for row in widget.qr.modules)


# --- Permissions and audit -------------------------------------------------------------------


def test_counter_is_refused_the_briefing_and_the_attempt_is_audited(world: World) -> None:
    a = add_appointment(world)
    counter = world.actor(Role.COUNTER)
    with pytest.raises(PermissionDenied):
        briefing.load_briefing(world.ctx, counter, a.reference)
    with pytest.raises(PermissionDenied):
        briefing_pdf(world.ctx, counter, a.reference.lower().replace("-", " "))
    denied = [e for e in audits(world) if e.outcome == "denied"]
    record = f"appointment:{a.reference}"
    assert [(e.action, e.username, e.role, e.record) for e in denied] == [
        ("briefing.open", "counter.HH", "counter", record),
        ("briefing.print", "counter.HH", "counter", record),
    ]
    assert not [e for e in audits(world) if e.outcome == "success"]


def test_officer_of_another_station_is_refused(world: World) -> None:
    a = add_appointment(world)
    stranger = replace(world.actor(Role.OFFICER), station_id=world.other_station.id, station_code="SG")
    with pytest.raises(PermissionDenied):
        briefing.load_briefing(world.ctx, stranger, a.reference)
    (event,) = audits(world)
    assert (event.action, event.record, event.outcome) == ("briefing.open", f"appointment:{a.reference}", "denied")


def test_fcr_may_read_on_screen_but_not_print(world: World) -> None:
    a = add_appointment(world)
    fcr = world.actor(Role.FCR)
    assert briefing_pdf(world.ctx, fcr, a.reference, destination="screen").startswith(b"%PDF")
    with pytest.raises(PermissionDenied):
        briefing_pdf(world.ctx, fcr, a.reference, destination="printer")


def test_briefing_audits_the_consultation_and_the_disclosure(world: World) -> None:
    a = add_appointment(world)
    officer = world.actor(Role.OFFICER)
    briefing_pdf(world.ctx, officer, a.reference, destination="screen")
    briefing_pdf(world.ctx, officer, a.reference.lower(), recipient="HP LaserJet 2F",
                           destination="printer")
    events = [(e.category, e.action, e.record, e.outcome, e.details) for e in audits(world)]
    record = f"appointment:{a.reference}"
    assert events == [
        ("consultation", "briefing.open", record, "success", {}),
        ("consultation", "briefing.open", record, "success", {}),
        ("disclosure", "briefing.print", record, "success", {"destination": "printer", "recipient": "HP LaserJet 2F"}),
    ]
    assert all(e.workstation == "test-ws" and e.station_code == "HH" for e in audits(world))


def test_printing_a_briefing_commits_once(world: World) -> None:
    """The consultation and the disclosure go in one transaction: a commit's fsync is most of the
    time a print takes on a station PC, and the service once made two."""
    a = add_appointment(world)
    officer = world.actor(Role.OFFICER)
    commits: list[object] = []

    def committed(conn: object) -> None:
        commits.append(conn)

    event.listen(world.ctx.engine, "commit", committed)
    try:
        briefing_pdf(world.ctx, officer, a.reference, recipient="PC Patel", destination="printer")
    finally:
        event.remove(world.ctx.engine, "commit", committed)
    assert len(commits) == 1
    assert [(e.category, e.action) for e in audits(world)] == [("consultation", "briefing.open"),
                                                               ("disclosure", "briefing.print")]


def test_unknown_reference_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        briefing.load_briefing(world.ctx, world.actor(Role.OFFICER), "HH-ZZZZZ")


# --- Earlier appointments --------------------------------------------------------------------


def test_earlier_appointments_follow_the_chain_and_the_same_name_and_phone(world: World) -> None:
    first = add_appointment(world, start=NOW - timedelta(days=90), status="completed")
    second = add_appointment(world, start=NOW - timedelta(days=40), status="cancelled",
                             cancel_reason="operational_demand", previous_appointment_id=first.id,
                             visitor_phone="00000")  # the chain counts even when details changed
    same_person = add_appointment(world, start=NOW - timedelta(days=60), status="no_show",
                                  visitor_name="  jane   SMITH ", visitor_phone="+44 7700 900 123")
    namesake = add_appointment(world, start=NOW - timedelta(days=30), visitor_phone="07700 111222")
    later = add_appointment(world, start=NOW + timedelta(days=30), visitor_phone="07700900123")
    elsewhere = add_appointment(world, start=NOW - timedelta(days=20), room=2, officer=2, status="completed")
    now = add_appointment(world, previous_appointment_id=second.id)
    data = briefing.load_briefing(world.ctx, world.actor(Role.OFFICER), now.reference)
    refs = [e.reference for e in data.earlier]
    assert refs == [elsewhere.reference, second.reference, same_person.reference, first.reference]
    assert namesake.reference not in refs and later.reference not in refs
    outcomes = {e.reference: e.outcome for e in data.earlier}
    assert outcomes[second.reference] == "Cancelled (operational demand)"
    assert outcomes[same_person.reference] == "Did not attend"
    assert {e.reference: e.station_name for e in data.earlier}[elsewhere.reference] == "Stevenage"


def test_a_looping_chain_ends(world: World) -> None:
    a = add_appointment(world, start=NOW - timedelta(days=9), visitor_phone=None)
    b = add_appointment(world, start=NOW - timedelta(days=5), previous_appointment_id=a.id, visitor_phone=None)
    with world.ctx.write.begin() as session:
        row = session.get(type(a), a.id)
        assert row is not None
        row.previous_appointment_id = b.id
    c = add_appointment(world, previous_appointment_id=b.id, visitor_phone=None)
    data = briefing.load_briefing(world.ctx, world.actor(Role.OFFICER), c.reference)
    assert [e.reference for e in data.earlier] == [b.reference, a.reference]


# --- The day sheet ---------------------------------------------------------------------------


def _day(world: World) -> tuple[list, object]:
    rows = [
        add_appointment(world, start=datetime(2026, 11, 23, 18, tzinfo=UTC), room=1, officer=1,
                        visitor_name="Amir Khan", interpreter_language="Urdu",
                        vulnerability_flags=["mental health"], briefing_notes="SECRET-NOTE-ONE about Amir."),
        add_appointment(world, start=datetime(2026, 11, 23, 17, tzinfo=UTC), room=0, officer=0,
                        visitor_name="Jane Smith", reason="sexual_offence",
                        briefing_notes="SECRET-NOTE-TWO about Jane."),
        add_appointment(world, start=datetime(2026, 11, 23, 17, tzinfo=UTC), room=1, officer=None,
                        visitor_name="Ngozi Eze", briefing_notes=None),
    ]
    cancelled = add_appointment(world, start=datetime(2026, 11, 23, 19, tzinfo=UTC), visitor_name="Gone Away",
                                status="cancelled")
    add_appointment(world, start=datetime(2026, 11, 24, 17, tzinfo=UTC), visitor_name="Tomorrow Person")
    add_appointment(world, start=datetime(2026, 11, 23, 17, tzinfo=UTC), room=2, officer=2,
                    visitor_name="Stevenage Visitor")
    return rows, cancelled


def test_counter_day_sheet_has_rooms_by_time_and_nothing_confidential(world: World) -> None:
    rows, _ = _day(world)
    counter = world.actor(Role.COUNTER)
    pdf = day_sheet_pdf(world.ctx, counter, DAY, confidential=False)
    texts = pages(pdf)
    text = "\n".join(texts)
    for page in texts:
        assert page.count(MARKING) >= 2
    for expected in ("Hemel Hempstead", "Monday 23 November 2026", "Counter version", "17:00", "18:00",
                     "Interview Room 1", "Family Room", "PC 1234 Priya Patel", "DC 5678 Tomasz Nowak",
                     "Unassigned", "Jane Smith", "Amir Khan", "Ngozi Eze", "Interpreter: Urdu",
                     *(r.reference for r in rows)):
        assert expected in text, expected
    for secret in ("SECRET-NOTE", "mental health", "Sexual offence", "Vulnerability"):
        assert secret not in text, secret
    for absent in ("Gone Away", "Tomorrow Person", "Stevenage Visitor"):
        assert absent not in text
    # Rooms by time: the 17:00 visitors (Family Room, then Interview Room 1) come before 18:00's.
    order = [text.index(n) for n in ("Ngozi Eze", "Jane Smith", "Amir Khan")]
    assert order == sorted(order)
    (event,) = audits(world, "day_sheet.print")
    assert event.category == "disclosure"
    assert event.details == {"destination": "file", "recipient": None, "confidential": False, "appointments": 3}


def test_confidential_day_sheet_for_officers(world: World) -> None:
    _day(world)
    pdf = day_sheet_pdf(world.ctx, world.actor(Role.OFFICER), DAY, confidential=True)
    text = text_of(pdf)
    for expected in ("Officers' version", "SECRET-NOTE-ONE about Amir.", "SECRET-NOTE-TWO", "mental health",
                     "Sexual offence"):
        assert squash(expected) in squash(text), expected


def test_counter_is_refused_the_confidential_day_sheet(world: World) -> None:
    _day(world)
    with pytest.raises(PermissionDenied):
        day_sheet_pdf(world.ctx, world.actor(Role.COUNTER), DAY, confidential=True)
    (event,) = audits(world)
    assert (event.action, event.outcome, event.record) == ("day_sheet.print", "denied", "station:HH:2026-11-23")


def test_a_long_day_sheet_repeats_its_header_and_marking(world: World) -> None:
    for i in range(60):
        start = datetime(2026, 11, 23, 8, tzinfo=UTC) + timedelta(minutes=10 * i)
        add_appointment(world, start=start, end_at=start + timedelta(minutes=20),
                        room=i % 2, officer=None, visitor_name=f"Visitor {i:03d}")
    texts = pages(day_sheet_pdf(world.ctx, world.actor(Role.COUNTER), DAY, confidential=False))
    assert len(texts) >= 2
    for page in texts:
        assert page.count(MARKING) >= 2 and "Reference" in page and "Visitor" in page
    assert "Visitor 059" in texts[-1]


def test_a_row_taller_than_a_page_splits_inside_the_row(world: World) -> None:
    words = [f"need{i:04d}" for i in range(900)]
    long_needs = " ".join(words)
    add_appointment(world, start=datetime(2026, 11, 23, 17, tzinfo=UTC), visitor_name="Long Needs",
                    access_needs=long_needs)
    add_appointment(world, start=datetime(2026, 11, 23, 18, tzinfo=UTC), visitor_name="After Them")
    texts = pages(day_sheet_pdf(world.ctx, world.actor(Role.COUNTER), DAY, confidential=False))
    assert len(texts) >= 2
    for page in texts:
        assert page.count(MARKING) >= 2 and page.count("Arrived") == 1  # the header row, once a page
    body = squash("".join(texts))
    assert all(w in body for w in words)
    assert body.index("need0000") < body.index("need0899") < body.index("AfterThem")


def test_empty_day_sheet_says_so(world: World) -> None:
    text = text_of(day_sheet_pdf(world.ctx, world.actor(Role.COUNTER), DAY, confidential=False))
    assert "No appointments booked for this day." in text


# --- The slip --------------------------------------------------------------------------------


def test_slip_tells_the_visitor_what_they_need_and_nothing_confidential(world: World) -> None:
    a, _, _ = full_appointment(world, briefing_notes="SECRET-NOTE about the case.")
    counter = world.actor(Role.COUNTER)
    pdf = slip_pdf(world.ctx, counter, a.reference)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (420, 595)  # A5
    text = text_of(pdf)
    for expected in ("Monday 23 November 2026", "17:00", "18:00", "Hemel Hempstead police station",
                     "Combe Street, Hemel Hempstead, HP1 1HL", "photo ID", "41/55555/26", "documents",
                     "interpreter", a.reference, "101", "online", "Jane Smith", "999"):
        assert expected in text, expected
    # The satisfaction feedback (services/counter/feedback.py) is matched by the appointment reference.
    assert f"Feedback reference: {a.reference}" in text
    for secret in ("SECRET-NOTE", "domestic abuse", "Domestic abuse", "repeat victim", "Priya Patel",
                   "1234", "Sister (Anna)", "Assistance dog", "No voicemail", "07700", "SOIT",
                   "specialism", "Polish"):
        assert secret not in text, secret
    (event,) = audits(world, "slip.print")
    assert (event.category, event.details["recipient"]) == ("disclosure", "visitor")


def test_auditor_may_not_print_a_slip(world: World) -> None:
    a = add_appointment(world)
    with pytest.raises(PermissionDenied):
        slip_pdf(world.ctx, world.actor(Role.AUDITOR), a.reference)
    (event,) = audits(world)
    assert (event.action, event.outcome) == ("slip.print", "denied")


# --- Fonts -----------------------------------------------------------------------------------


def test_fonts_load_from_the_package_not_the_working_directory(world: World, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import frontcounter

    assert FONTS_DIR.is_absolute()
    assert FONTS_DIR.is_relative_to(Path(frontcounter.__file__).resolve().parent)
    monkeypatch.chdir(tmp_path)
    a = add_appointment(world, visitor_name="王小明")
    assert "王小明" in text_of(briefing_pdf(world.ctx, world.actor(Role.OFFICER), a.reference))


def test_markup_escapes_and_assigns_fonts() -> None:
    pdf_fonts.fonts()
    assert pdf_fonts.markup("<b>&amp;</b>") == "&lt;b&gt;&amp;amp;&lt;/b&gt;"
    assert pdf_fonts.markup("a\nb") == "a<br/>b"
    assert pdf_fonts.markup("a\x00b\x1bc\ud800") == "abc"
    assert pdf_fonts.markup("王") == '<font name="DroidSansFallback">王</font>'
    assert pdf_fonts.markup(None) == ""


def test_right_to_left_words_are_put_in_display_order() -> None:
    assert pdf_fonts.visual_order("Visitor محمد الأحمد today") == "Visitor الأحمد محمد today"
    assert pdf_fonts.visual_order("محمد الأحمد") == "الأحمد محمد"
    assert pdf_fonts.visual_order("plain text") == "plain text"


def test_characters_beyond_the_basic_plane_extract(world: World) -> None:
    a = add_appointment(world, visitor_name="Sam 😀 👨‍👩‍👧 𝔘𝔫𝔦")
    text = text_of(briefing_pdf(world.ctx, world.actor(Role.OFFICER), a.reference))
    assert "😀" in text and "👨\u200d👩\u200d👧" in text


def test_mixed_scripts_in_one_shaped_word_do_not_break_shaping() -> None:
    when = datetime(2026, 11, 23, 17, tzinfo=UTC)
    for name in ("محمد王", "王محمد", "a😀محمد", "محمد\u200d王", "ﷺ", "नमस्ते"):
        slip = SlipData("HH-4KQ7M", name, when, when + timedelta(hours=1), "S", "A", "P", None, "booked")
        assert build_slip_pdf(slip, MARKING, NOW).startswith(b"%PDF")


_PLAIN = st.text(alphabet=st.sampled_from("abcdefghij KLMNOP ąłśżŁ 0123 -,.;—·’ \n\n"), max_size=160)


@settings(max_examples=200, deadline=None)
@given(text=_PLAIN, width=st.floats(20, 400), style=st.sampled_from(["cell", "value", "small", "notes", "ref"]))
def test_plain_text_breaks_its_lines_as_a_paragraph_does(text: str, width: float, style: str) -> None:
    """Plain text skips the paragraph parser (_Text); its layout must not change.

    From 20 pt: narrower than one character, ReportLab's own breaks are erratic (it lets "a —"
    overflow one line but gives "—" and a line break two), and no column of ours is that narrow.
    """
    fast = para(text, style)
    assert isinstance(fast, _Text)
    full = Paragraph(pdf_fonts.markup(text), _styles()[style])
    assert fast.wrap(width, 1e6)[1] == pytest.approx(full.wrap(width, 1e6)[1])
    if full.blPara.kind == 0:
        expected = [" ".join(words) for _, words in full.blPara.lines]
    else:
        expected = [" ".join("".join(getattr(f, "text", "") for f in [w]) for w in line.words)
                    for line in full.blPara.lines]
    assert [" ".join(line[0].split()) for line in fast._lines(width)] == [" ".join(e.split()) for e in expected]


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40) | _PLAIN, face=st.sampled_from(["sans", "bold", "mono"]))
def test_plain_markup_is_what_the_font_runs_give(text: str, face: pdf_fonts.Face) -> None:
    """Text every character of which is in the base font skips the per-character font runs."""
    fast = pdf_fonts.markup(text, face)
    with mock.patch.object(pdf_fonts, "is_plain", return_value=False):
        assert pdf_fonts.markup(text, face) == fast


def test_what_is_plain() -> None:
    assert pdf_fonts.is_plain("Łukasz Wiśniewski — 17:00 · “ok” ☐", "sans")
    for other in ("محمد", "王", "שלום", "नमस्ते", "a\tb"):
        assert not pdf_fonts.is_plain(other, "sans"), other


# --- Any visitor data, any builder -----------------------------------------------------------

_text = st.text()
_opt = st.none() | st.text()
_when = datetime(2026, 11, 23, 17, tzinfo=UTC)


@st.composite
def briefing_data(draw: st.DrawFn) -> BriefingData:
    return BriefingData(
        appointment_id=__import__("uuid").uuid4(), reference="HH-4KQ7M", station_code="HH",
        station_name=draw(_text), station_address=draw(_text), station_postcode=draw(_text),
        room_name=draw(_text), room_features=tuple(draw(st.lists(_text, max_size=3))),
        start=_when, end=_when + timedelta(hours=1), officer=draw(_opt), status="booked",
        at_risk=draw(st.booleans()), at_risk_reason=draw(_opt), channel=draw(_text), reason=draw(_text),
        crime_reference=draw(_opt), visitor_name=draw(_opt), visitor_preferred_name=draw(_opt),
        visitor_dob=draw(st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 1, 1))),
        visitor_phone=draw(_opt), visitor_email=draw(_opt), visitor_address=draw(_opt),
        safe_contact=draw(_opt), preferred_language=draw(_opt), interpreter_language=draw(_opt),
        needs_step_free=draw(st.booleans()), needs_hearing_loop=draw(st.booleans()), access_needs=draw(_opt),
        person_of_choice=draw(_opt), vulnerability_flags=tuple(draw(st.lists(_text, max_size=3))),
        notes=draw(_opt),
        earlier=tuple(
            EarlierAppointment(reference=draw(_text), start=_when - timedelta(days=30), station_name=draw(_text),
                               reason=draw(_text), outcome=draw(_text), officer=draw(_opt))
            for _ in range(draw(st.integers(0, 2)))
        ),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=briefing_data(), printed_by=_text, marking=_text)
def test_any_visitor_data_builds_a_briefing(data: BriefingData, printed_by: str, marking: str) -> None:
    pdf = build_briefing_pdf(data, marking, printed_by, NOW)
    assert pdf.startswith(b"%PDF") and len(PdfReader(io.BytesIO(pdf)).pages) >= 1


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(st.tuples(_opt, _text, _opt, st.lists(_text, max_size=2), _opt), max_size=6),
       confidential=st.booleans(), station=_text)
def test_any_visitor_data_builds_a_day_sheet(names: list, confidential: bool, station: str) -> None:
    rows = tuple(
        DaySheetRow(reference="HH-4KQ7M", start=_when + timedelta(hours=i // 2), end=_when + timedelta(hours=1),
                    room_name=room, officer=officer, visitor_name=name, status="booked", needs=tuple(needs),
                    vulnerability_flags=tuple(needs), notes_summary=notes, reason=room)
        for i, (name, room, officer, needs, notes) in enumerate(names)
    )
    sheet = DaySheetData("HH", station, DAY, confidential, rows)
    assert build_day_sheet_pdf(sheet, "OFFICIAL", "x", NOW, confidential=confidential).startswith(b"%PDF")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_opt, station=_text, address=_text, postcode=_text, crime=_opt)
def test_any_visitor_data_builds_a_slip(name: str | None, station: str, address: str, postcode: str,
                                        crime: str | None) -> None:
    slip = SlipData("HH-4KQ7M", name, _when, _when + timedelta(hours=1), station, address, postcode, crime,
                    "booked")
    assert build_slip_pdf(slip, "OFFICIAL-SENSITIVE", NOW).startswith(b"%PDF")
