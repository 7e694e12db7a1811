"""Right-to-left names and notes print in reading order in every PDF (issue 20).

Arabic, Hebrew, Urdu and Persian text, alone or mixed with English and numbers, is wrapped in
reading order and each line is laid out by the Unicode bidi algorithm. The tests read the words'
positions back with pdfplumber. Words are tagged with numbers (a number keeps its own left-to-right
order inside right-to-left text), so the order of the numbers on the page is the order of the words:
on a right-to-left line, the first word is rightmost; the lines come in reading order, top to
bottom; and the lines of a right-to-left paragraph share their right edge.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
import pytest

from frontcounter.db.models import Role
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.documents import bidi_order
from frontcounter.services.documents.briefing import briefing_pdf
from frontcounter.services.documents.day_sheet import day_sheet_pdf
from frontcounter.services.documents.slip import slip_pdf
from frontcounter.services.reports.pdf import build_appointments_pdf
from tests.unit.doc_fixtures import DAY, NOW, World, add_appointment, make_world

#: One word in each right-to-left script the force's visitors write in.
SCRIPTS = {"arabic": "كلمة", "hebrew": "מילה", "urdu": "لفظ", "persian": "واژه"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path)
    yield w
    w.ctx.engine.dispose()


def _words(pdf: bytes, page: int = -1) -> list[dict[str, object]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [dict(w, text=unicodedata.normalize("NFKC", str(w["text"]))) for w in doc.pages[page].extract_words()]


def _rows(words: list[dict[str, object]], tolerance: float = 7.0) -> list[list[dict[str, object]]]:
    """Words grouped into printed lines (fonts of two scripts sit a few points apart), each left to right."""
    rows: list[list[dict[str, object]]] = []
    for w in sorted(words, key=lambda w: float(w["top"])):  # type: ignore[arg-type]
        if rows and float(w["top"]) - float(rows[-1][0]["top"]) <= tolerance:  # type: ignore[arg-type]
            rows[-1].append(w)
        else:
            rows.append([w])
    return [sorted(r, key=lambda w: float(w["x0"])) for r in rows]  # type: ignore[arg-type]


def _numbered_lines(words: list[dict[str, object]], first: int, last: int) -> list[list[tuple[float, float, int]]]:
    """The tag numbers first..last as they stand on the page: lines top to bottom, each (x0, x1, n) left
    to right. A number printed glued to its word (Hebrew) is found inside the word's text."""
    out = []
    for row in _rows(words):
        line = []
        for w in row:
            found = [int(n) for n in re.findall(r"\d+", str(w["text"])) if first <= int(n) <= last]
            if len(found) == 1:
                line.append((float(w["x0"]), float(w["x1"]), found[0]))  # type: ignore[arg-type]
        if line:
            out.append(line)
    return out


def _assert_rtl_paragraph(lines: list[list[tuple[float, float, int]]], count: int, start: int = 1) -> None:
    assert len(lines) >= 2, "the note wraps"
    reading = [n for line in lines for _, _, n in reversed(line)]  # right to left, line after line
    assert reading == list(range(start, start + count)), reading
    right_edges = [line[-1][1] for line in lines]
    assert max(right_edges) - min(right_edges) < 1.0, f"right-aligned: {right_edges}"
    if len(lines[-1]) < len(lines[0]):
        assert lines[-1][0][0] > lines[0][0][0] + 20, "a short last line is ragged on the left"


@pytest.mark.parametrize("script", list(SCRIPTS))
def test_a_wrapped_right_to_left_note_reads_right_to_left_line_after_line(world: World, script: str) -> None:
    note = " ".join(f"{SCRIPTS[script]}{500 + i}" for i in range(1, 41))
    a = add_appointment(world, briefing_notes=note)
    pdf = briefing_pdf(world.ctx, world.actor(Role.OFFICER), a.reference, destination="screen")
    _assert_rtl_paragraph(_numbered_lines(_words(pdf), 501, 540), 40, start=501)


def test_english_and_numbers_inside_arabic_keep_their_own_order(world: World) -> None:
    # Reading order: Arabic, then "John Smith 101 202", then Arabic; repeated so that the note wraps.
    unit = "الزائر {a} قال John Smith {b} {c} ثم غادر"
    note = " ".join(unit.format(a=10 * k + 1, b=10 * k + 2, c=10 * k + 3) for k in range(1, 9))
    a = add_appointment(world, briefing_notes=note)
    pdf = briefing_pdf(world.ctx, world.actor(Role.OFFICER), a.reference, destination="screen")
    words = _words(pdf)
    checked = 0
    for row in _rows(words):
        texts = [str(w["text"]) for w in row]
        for i, text in enumerate(texts[:-3]):
            if text != "John" or texts[i + 1] != "Smith" or not (texts[i + 2] + texts[i + 3]).isdigit():
                continue  # (a unit broken across two lines)
            # "John Smith 12 13" is one left-to-right run inside the Arabic: John, Smith, 12, 13 …
            assert texts[i + 1] == "Smith" and int(texts[i + 3]) == int(texts[i + 2]) + 1, texts
            # … and "11", read before it, stands to its right (when it is on the same line)
            before = str(int(texts[i + 2]) - 1)
            if before in texts:
                assert texts.index(before) > i + 3, texts
                checked += 1
    assert checked >= 4, "several whole units on a line were checked"
    edges = [float(row[-1]["x1"]) for row in _rows(words) if any(w["text"] == "John" for w in row)]  # type: ignore[arg-type]
    assert len(edges) >= 3 and max(edges) - min(edges) < 1.0, f"a right-to-left paragraph is right-aligned: {edges}"


def test_arabic_inside_an_english_note_stays_left_aligned_and_in_place(world: World) -> None:
    note = "Visitor 1 said محمد علي 2 then left " * 12 + "end 3"
    a = add_appointment(world, briefing_notes=note.strip())
    pdf = briefing_pdf(world.ctx, world.actor(Role.OFFICER), a.reference, destination="screen")
    rows = [r for r in _rows(_words(pdf)) if any(w["text"] == "Visitor" for w in r)]
    assert len(rows) >= 3, "the note wraps"
    lefts = [round(float(r[0]["x0"])) for r in rows]  # type: ignore[arg-type]
    assert max(lefts) - min(lefts) <= 1, f"left-aligned: {lefts}"
    texts = [str(w["text"]) for w in rows[0]]
    assert texts.index("Visitor") < texts.index("said") < texts.index("then") < texts.index("left")
    arabic = [t for t in texts if bidi_order.direction(t) == "R"]
    assert arabic, texts
    assert texts.index("said") < texts.index(arabic[0]) < texts.index("then")


def test_the_day_sheet_wraps_a_long_arabic_name_in_order(world: World) -> None:
    name = " ".join(f"محمد{500 + i}" for i in range(1, 9))
    add_appointment(world, visitor_name=name)
    pdf = day_sheet_pdf(world.ctx, world.actor(Role.SUPERVISOR), DAY, destination="screen")
    lines = _numbered_lines(_words(pdf, 0), 501, 508)
    assert len(lines) >= 2, "the name wraps in its cell"
    assert [n for line in lines for _, _, n in reversed(line)] == list(range(501, 509))


def test_the_slip_prints_a_hebrew_name_right_to_left(world: World) -> None:
    a = add_appointment(world, visitor_name="משה501 כהן502")
    pdf = slip_pdf(world.ctx, world.actor(Role.COUNTER), a.reference, destination="screen")
    (line,) = [row for row in _numbered_lines(_words(pdf, 0), 501, 502) if len(row) == 2]
    assert [n for _, _, n in reversed(line)] == [501, 502]


def test_the_appointments_export_wraps_a_persian_name_in_order(world: World) -> None:
    from frontcounter.services.core.appointments import view_of

    a = add_appointment(world, visitor_name=" ".join(f"واژه{500 + i}" for i in range(1, 9)))
    with world.ctx.read() as s:
        view: AppointmentView = view_of(s, s.merge(a))
    pdf = build_appointments_pdf([view], "Arrived", "OFFICIAL-SENSITIVE", "Sup", FixedClock(NOW).now(), "today")
    lines = _numbered_lines(_words(pdf, 0), 501, 508)
    assert len(lines) >= 2
    assert [n for line in lines for _, _, n in reversed(line)] == list(range(501, 509))


def test_visual_keeps_letters_in_reading_order_and_orders_runs() -> None:
    assert bidi_order.direction("محمد and Ann") == "R" and bidi_order.direction("Ann and محمد") == "L"
    assert bidi_order.visual("ab cd", "L") == "ab cd"
    # RTL paragraph: the first Arabic word goes rightmost, letters untouched (HarfBuzz orders them)
    assert bidi_order.visual("محمد علي", "R") == "علي محمد"
    assert bidi_order.visual("محمد 12 Ann Lee", "R") == "Ann Lee 12 محمد"
    assert bidi_order.visual("Ann محمد علي Lee", "L") == "Ann علي محمد Lee"


def test_a_hard_line_break_starts_a_paragraph_with_its_own_direction() -> None:
    from frontcounter.services.documents.bidi_paragraph import break_lines

    lines = break_lines("محمد علي\nThe visitor came\n12 34", 1000, len, 1)
    assert lines == [("محمد علي", "R"), ("The visitor came", "L"), ("12 34", "L")]


def test_numbers_and_brackets_stuck_to_right_to_left_words() -> None:
    split = "\u200a"
    # a number glued to a Hebrew word is shaped apart (HarfBuzz would turn 501 into 105)
    assert bidi_order.visual("מילה501", "R") == f"501{split}מילה"
    # a bracket in another font stands where it reads and is mirrored (rule L4)
    assert bidi_order.visual("(محمد) علي", "R") == f"علي ({split}محمد{split})"
    assert bidi_order.visual("جنيه.", "R") == f".{split}جنيه"
