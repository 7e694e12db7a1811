"""The printed documents: the officer's briefing, the station's day sheet and the visitor's slip.

Two halves. The ``build_*_pdf`` functions lay out data they are given and return PDF bytes: pure
ReportLab, no database, no Qt, safe on any thread. The service functions (``briefing_pdf``,
``day_sheet_pdf``, ``slip_pdf``) check the actor's permission, load the data, build, and audit:
a document that leaves the screen (printer, file) is a disclosure under DPA 2018 s.62 and is
recorded with its destination; one only looked at on screen is a consultation.

Every page of a briefing and a day sheet carries the protective marking at its head and foot,
who printed it and when, and "Page x of y". All user text goes through ``pdf_fonts.markup``
(escaped, per-character font fallback), so any name prints and no text acts as markup.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from frontcounter.services import briefing
from frontcounter.services.actor import Actor
from frontcounter.services.briefing import BriefingData, DaySheetData, SlipData
from frontcounter.services.clock import local
from frontcounter.services.commands import audit, guard
from frontcounter.services.context import ServiceContext
from frontcounter.services.pdf_fonts import WORD_SPLIT, Face, fonts, markup, needs_shaping
from frontcounter.services.permissions import Action

NAVY = colors.HexColor("#1d3557")
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#d3d8de")
ZEBRA = colors.HexColor("#f5f7fa")
NEEDS_EDGE = colors.HexColor("#b45309")
NEEDS_FILL = colors.HexColor("#fff7eb")
ALERT = colors.HexColor("#9b1c1c")

FORCE = "Hertfordshire Constabulary"
REBOOK = "To change or cancel, call 101 and quote your reference, or go online at herts.police.uk."

Destination = Literal["screen", "printer", "file"]


# --- Text and styles -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    f = fonts()
    base = ParagraphStyle("body", fontName=f.sans, fontSize=9.5, leading=13, textColor=INK)
    s = {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=MUTED),
        "label": ParagraphStyle("label", parent=base, fontSize=8, leading=13, textColor=MUTED),
        "value": ParagraphStyle("value", parent=base),
        "strong": ParagraphStyle("strong", parent=base, fontName=f.bold),
        "alert": ParagraphStyle("alert", parent=base, fontName=f.bold, textColor=ALERT),
        "kicker": ParagraphStyle("kicker", parent=base, fontName=f.bold, fontSize=8, leading=11,
                                 textColor=MUTED),
        "title": ParagraphStyle("title", parent=base, fontName=f.bold, fontSize=19, leading=24,
                                textColor=NAVY),
        "slip_date": ParagraphStyle("slip_date", parent=base, fontName=f.bold, fontSize=14, leading=18,
                                    textColor=NAVY),
        "slip_time": ParagraphStyle("slip_time", parent=base, fontName=f.bold, fontSize=13, leading=17),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=11, bulletIndent=1, bulletFontName=f.sans,
                                 spaceAfter=1.5),
        "box": ParagraphStyle("box", parent=base, fontSize=13, leading=13, textColor=MUTED),
        "ref_big": ParagraphStyle("ref_big", parent=base, fontName=f.mono, fontSize=17, leading=21,
                                  textColor=NAVY),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, leading=15),
        "h2": ParagraphStyle("h2", parent=base, fontName=f.bold, fontSize=11.5, leading=15, textColor=NAVY,
                             spaceBefore=12, spaceAfter=5),
        "ref": ParagraphStyle("ref", parent=base, fontName=f.mono, fontSize=12, leading=15,
                              alignment=TA_CENTER, textColor=NAVY),
        "needs_head": ParagraphStyle("needs_head", parent=base, fontName=f.bold, fontSize=10.5, leading=14,
                                     textColor=colors.white),
        "notes": ParagraphStyle("notes", parent=base, fontSize=10, leading=14.5, spaceAfter=6),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11),
        "cell_head": ParagraphStyle("cell_head", parent=base, fontName=f.bold, fontSize=8, leading=10.5,
                                    textColor=colors.white),
        "furniture": ParagraphStyle("furniture", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED),
        "furniture_r": ParagraphStyle("furniture_r", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED,
                                      alignment=TA_RIGHT),
        "marking": ParagraphStyle("marking", parent=base, fontName=f.bold, fontSize=9, leading=11,
                                  alignment=TA_CENTER, textColor=INK),
    }
    return s


_shaped_styles: dict[str, ParagraphStyle] = {}


def _style(name: str, shaped: bool) -> ParagraphStyle:
    style = _styles()[name]
    if not shaped:
        return style
    try:
        return _shaped_styles[name]
    except KeyError:
        shaped_style = _shaped_styles[name] = ParagraphStyle(f"{name}-shaped", parent=style, shaping=1)
        return shaped_style


class _Para(Paragraph):
    """A paragraph that remembers its line breaks for the width it was last wrapped to.

    A table that runs over several pages is split page by page, and each part measures all of
    its remaining rows again; without this, a 200-row day sheet breaks its lines some five
    times over. Line breaks depend on the width alone, never on the height offered.
    """

    _wrapped_for: float | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        if availWidth == self._wrapped_for and "blPara" in self.__dict__:  # split() drops blPara
            return self.width, self.height
        size = super().wrap(availWidth, availHeight)
        self._wrapped_for = availWidth
        return size


def _face_font(face: Face) -> str:
    f = fonts()
    return {"sans": f.sans, "bold": f.bold, "mono": f.mono}[face]


def para(text: str | None, style: str = "value", face: Face | None = None) -> Paragraph:
    """A paragraph of user text (escaped; HarfBuzz shaping switched on where the script needs it).

    ``face`` overrides the style's font for the text (a reference in the monospaced face).
    """
    text = text or ""
    shaped = _style(style, needs_shaping(text))
    if face is None:
        by_font: dict[str, Face] = {fonts().bold: "bold", fonts().mono: "mono"}
        return _Para(markup(text, by_font.get(shaped.fontName, "sans")), shaped)
    return _Para(f'<font name="{_face_font(face)}">{markup(text, face)}</font>', shaped)


def rich(parts: Sequence[tuple[str | None, Face] | tuple[str | None, Face, colors.Color]],
         style: str = "value") -> Paragraph:
    """A paragraph mixing faces: each part is escaped user (or our own) text in its face, and
    optionally its colour."""
    shaped = any(needs_shaping(part[0] or "") for part in parts)
    out = []
    previous = ""
    for text, face, *colour in parts:
        if not text:
            continue
        if shaped and previous and not previous[-1].isspace() and not text[0].isspace():
            text = WORD_SPLIT + text  # no word in two fonts in a shaped paragraph (see markup)
        previous = text
        attrs = f'name="{_face_font(face)}"' + (f' color="{colour[0].hexval()}"' if colour else "")
        out.append(f"<font {attrs}>{markup(text, face, shaped=shaped)}</font>")
    return _Para("".join(out), _style(style, shaped))


def _when(start: datetime, end: datetime) -> str:
    s, e = local(start), local(end)
    return f"{s:%A} {s.day} {s:%B %Y}, {s:%H:%M}–{e:%H:%M}"


def _stamp(at: datetime) -> str:
    t = local(at)
    return f"{t.day} {t:%b %Y %H:%M}"


@lru_cache(maxsize=512)
def qr_modules(value: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code of ``value`` (error correction M) as rows of dark/light modules."""
    widget = QrCodeWidget(value, barLevel="M")
    widget.qr.make()
    return tuple(tuple(bool(m) for m in row) for row in widget.qr.modules)


class QrCode(Flowable):
    """A QR code drawn as one filled path of module runs: a tenth of the time ReportLab's widget
    takes, which draws every run as a separate shape."""

    def __init__(self, value: str, size: float, border: int = 2) -> None:
        super().__init__()
        self.value, self.size, self.border = value, size, border
        self.width = self.height = size

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return self.size, self.size

    def draw(self) -> None:
        modules = qr_modules(self.value)
        box = self.size / (len(modules) + 2 * self.border)
        path = self.canv.beginPath()
        for r, row in enumerate(modules):
            y = self.size - (r + self.border + 1) * box
            c = 0
            for dark, run in itertools.groupby(row):
                count = len(list(run))
                if dark:
                    path.rect((c + self.border) * box, y, count * box, box)
                c += count
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)


# --- Page furniture ---------------------------------------------------------------------------


class _Furniture:
    """What every page carries: the marking top and bottom, the document's running head,
    who printed it and when, and "Page x of y" (known only once the last page is laid out)."""

    def __init__(self, marking: str, title: str, reference: str, printed_by: str, printed_at: datetime,
                 *, compact: bool = False) -> None:
        """``compact`` (the slip): no running head, the marking at the foot only, no page count."""
        self.marking = marking
        self.title = title
        self.reference = reference
        self.printed = f"Printed by {printed_by} · {_stamp(printed_at)}"
        self.compact = compact

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        # Nothing closer than 6 mm to the edge of the paper, where many printers cannot reach.
        width, height = canvas._pagesize
        margin = 11 * mm if self.compact else 16 * mm
        inner = width - 2 * margin
        canvas.saveState()
        if not self.compact:
            # Head: the marking centred, then the running head over a thin navy rule.
            _draw(canvas, para(self.marking, "marking"), margin, height - 8 * mm, inner)
            _draw(canvas, para(self.title, "furniture"), margin, height - 13.5 * mm, inner * 0.7)
            _draw(canvas, para(self.reference, "furniture_r"), margin + inner * 0.7, height - 13.5 * mm,
                  inner * 0.3)
            canvas.setStrokeColor(NAVY)
            canvas.setLineWidth(0.8)
            canvas.line(margin, height - 17.5 * mm, width - margin, height - 17.5 * mm)
        # Foot: a hairline, who printed it and the page count, then the marking again.
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(margin, 17 * mm, width - margin, 17 * mm)
        _draw(canvas, para(self.printed, "furniture"), margin, 15.5 * mm, inner * 0.75)
        if not self.compact:
            _draw(canvas, para(f"Page {page} of {pages}", "furniture_r"), margin + inner * 0.75, 15.5 * mm,
                  inner * 0.25)
        _draw(canvas, para(self.marking, "marking"), margin, 10.5 * mm, inner)
        canvas.restoreState()


def _draw(canvas: Canvas, p: Paragraph, x: float, top: float, width: float) -> None:
    _, h = p.wrapOn(canvas, width, 50 * mm)
    p.drawOn(canvas, x, top - h)


def _canvas_maker(furniture: _Furniture) -> Callable[..., Canvas]:
    class FurnishedCanvas(Canvas):
        """Holds each page back until the end, when the page count is known."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802  (ReportLab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                furniture.draw(self, number, total)
                super().showPage()
            super().save()

    return FurnishedCanvas


def _render(story: list[Flowable], furniture: _Furniture, *, pagesize: tuple[float, float], title: str,
            margins: tuple[float, float, float, float]) -> bytes:
    """Lay ``story`` out on pages of ``pagesize`` with ``furniture``; margins are top, right, bottom, left."""
    buffer = io.BytesIO()
    top, right, bottom, left = margins
    doc = BaseDocTemplate(
        buffer, pagesize=pagesize, title=title, author="FrontCounter", subject=furniture.marking,
        creator="FrontCounter", topMargin=top, rightMargin=right, bottomMargin=bottom, leftMargin=left,
    )
    frame = Frame(left, bottom, pagesize[0] - left - right, pagesize[1] - top - bottom, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(story, canvasmaker=_canvas_maker(furniture))
    return buffer.getvalue()


# --- Building blocks -------------------------------------------------------------------------


def _heading(text: str) -> Flowable:
    return _Para(markup(text, "bold"), _styles()["h2"])


def _facts(rows: Sequence[tuple[str, Paragraph | str | None]], width: float, label_width: float = 36 * mm,
           ) -> Table:
    """Label/value rows; long values split across pages inside their row."""
    data = [
        [para(lbl, "label"), value if isinstance(value, Flowable) else para(value or "—")]
        for lbl, value in rows
    ]
    table = Table(data, colWidths=[label_width, width - label_width], splitInRow=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 3.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        # The labels are set smaller than the values: drop them to share the values' baseline.
        ("TOPPADDING", (0, 0), (0, -1), 4.6),
        ("LINEBELOW", (0, 0), (-1, -2), 0.4, RULE),
    ]))
    return table


def _needs_panel(data: BriefingData, width: float) -> Table:
    """The boxed panel an officer cannot miss: interpreter, access, person of choice, vulnerability."""
    access = [text for on, text in ((data.needs_step_free, "Step-free access"),
                                    (data.needs_hearing_loop, "Hearing loop")) if on]
    if data.access_needs:
        access.append(data.access_needs)
    rows: list[tuple[str, Paragraph]] = [
        ("Interpreter", para(data.interpreter_language or "Not needed",
                             "strong" if data.interpreter_language else "value")),
        ("Access", para("; ".join(access) if access else "None recorded",
                        "strong" if access else "value")),
        ("Person of choice", para(data.person_of_choice or "None", "strong" if data.person_of_choice else "value")),
        ("Vulnerability", para(" · ".join(data.vulnerability_flags) if data.vulnerability_flags else "None recorded",
                               "alert" if data.vulnerability_flags else "value")),
    ]
    label_width = 36 * mm
    body = [[para(lbl, "label"), value] for lbl, value in rows]
    head = [[para("NEEDS — read before the meeting", "needs_head"), ""]]
    table = Table(head + body, colWidths=[label_width, width - label_width], splitInRow=1, repeatRows=1)
    table.setStyle(TableStyle([
        ("SPAN", (0, 0), (-1, 0)),
        ("BACKGROUND", (0, 0), (-1, 0), NEEDS_EDGE),
        ("BACKGROUND", (0, 1), (-1, -1), NEEDS_FILL),
        ("BOX", (0, 0), (-1, -1), 1.6, NEEDS_EDGE),
        ("LINEBELOW", (0, 1), (-1, -2), 0.4, colors.HexColor("#f0d9b5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 4.5),
        ("TOPPADDING", (0, 1), (0, -1), 5.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4.5),
    ]))
    return table


def _grid(header: Sequence[str], rows: Sequence[Sequence[Flowable]], widths: Sequence[float],
          group_starts: Sequence[int] = ()) -> Table:
    """A ruled table with a navy header row that repeats on every page."""
    head = [para(h, "cell_head") for h in header]
    table = Table([head, *rows], colWidths=list(widths), repeatRows=1, splitInRow=1, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
    ]
    style += [("LINEABOVE", (0, i), (-1, i), 0.9, NAVY) for i in group_starts if i > 1]
    table.setStyle(TableStyle(style))
    return table


# --- The briefing ----------------------------------------------------------------------------


def _age(dob: date, on: date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def build_briefing_pdf(data: BriefingData, marking: str, printed_by: str, printed_at: datetime) -> bytes:
    """The officer's briefing for one appointment, confidential notes included."""
    page_w, _ = A4
    margin = 16 * mm
    width = page_w - 2 * margin
    qr_size = 30 * mm
    name = data.visitor_name or "Name not recorded"
    if data.visitor_preferred_name and data.visitor_preferred_name != data.visitor_name:
        name_line = rich([(name, "bold"), (f"  (prefers “{data.visitor_preferred_name}”)", "sans")], "title")
    else:
        name_line = para(name, "title")
    where = f"{data.station_name} police station · {data.room_name}"
    heading_cell = [
        para("APPOINTMENT BRIEFING", "kicker"),
        Spacer(1, 2),
        name_line,
        Spacer(1, 3),
        para(_when(data.start, data.end), "subtitle"),
        para(where, "subtitle"),
        para(data.officer or "Officer not yet assigned", "subtitle"),
    ]
    ref_cell = [QrCode(data.reference, qr_size), para(data.reference, "ref")]
    top = Table([[heading_cell, ref_cell]], colWidths=[width - qr_size - 6 * mm, qr_size + 6 * mm])
    top.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("ALIGN", (1, 0), (1, 0), "RIGHT"),
    ]))
    story: list[Flowable] = [top, Spacer(1, 4 * mm)]

    if data.status in ("cancelled", "rescheduled"):
        story += [para(f"This appointment was {data.status}: it no longer takes place at this time.", "alert"),
                  Spacer(1, 3 * mm)]
    if data.at_risk:
        story += [para(f"AT RISK: {data.at_risk_reason or 'the officer was withdrawn and is not yet replaced'}",
                       "alert"), Spacer(1, 3 * mm)]

    story.append(_needs_panel(data, width))

    room = data.room_name + (f" ({', '.join(data.room_features)})" if data.room_features else "")
    story += [
        _heading("Appointment"),
        _facts([
            ("Reference", para(data.reference, "value", "mono")),
            ("When", _when(data.start, data.end)),
            ("Station", f"{data.station_name}, {data.station_address}, {data.station_postcode}"),
            ("Room", room),
            ("Officer", data.officer or "Not yet assigned"),
            ("Reason", data.reason),
            ("Crime reference", data.crime_reference or "None given"),
            ("Booked through", data.channel),
            ("Status", briefing.label(briefing.OUTCOME_LABELS, data.status)),
        ], width),
    ]

    dob = None
    if data.visitor_dob:
        dob = f"{data.visitor_dob.day} {data.visitor_dob:%B %Y} (age {_age(data.visitor_dob, local(data.start).date())})"
    story += [
        _heading("Visitor"),
        _facts([
            ("Name", data.visitor_name),
            ("Preferred name", data.visitor_preferred_name),
            ("Date of birth", dob),
            ("Phone", data.visitor_phone),
            ("Email", data.visitor_email),
            ("Address", data.visitor_address),
            ("Preferred language", data.preferred_language),
            ("Safe contact", para(data.safe_contact, "alert") if data.safe_contact
             else para("No restrictions recorded")),
        ], width),
    ]

    story += [CondPageBreak(30 * mm), _heading("Briefing notes (confidential)")]
    notes = (data.notes or "").strip()
    if notes:
        for block in notes.split("\n\n"):
            if block.strip():
                story.append(para(block.strip(), "notes"))
    else:
        story.append(para("No notes recorded.", "value"))

    story.append(_heading("Earlier appointments"))
    if data.earlier:
        rows = [
            [para(f"{local(e.start).day} {local(e.start):%b %Y %H:%M}", "cell"), para(e.reference, "cell", "mono"),
             para(e.station_name, "cell"), para(e.reason, "cell"), para(e.outcome, "cell"),
             para(e.officer or "—", "cell")]
            for e in data.earlier
        ]
        widths = [0.16, 0.13, 0.17, 0.17, 0.17, 0.20]
        story.append(_grid(["When", "Reference", "Station", "Reason", "Outcome", "Officer"], rows,
                           [w * width for w in widths]))
    else:
        story.append(para("None found for this visitor.", "value"))

    story += [Spacer(1, 6 * mm), para(f"End of briefing {data.reference}.", "small")]
    furniture = _Furniture(marking, f"Appointment briefing · {data.station_name}", data.reference, printed_by,
                           printed_at)
    return _render(story, furniture, pagesize=A4, title=f"Briefing {data.reference}",
                   margins=(24 * mm, margin, 22 * mm, margin))


# --- The day sheet ---------------------------------------------------------------------------


def build_day_sheet_pdf(sheet: DaySheetData, marking: str, printed_by: str, printed_at: datetime, *,
                        confidential: bool) -> bytes:
    """One station's day, rooms by time; the officers' version adds reason, vulnerability and notes."""
    pagesize = landscape(A4)
    margin = 16 * mm
    width = pagesize[0] - 2 * margin
    confidential = confidential and sheet.confidential
    version = ("Officers' version — contains confidential case information" if confidential
               else "Counter version — no confidential case information")
    rooms = sorted({r.room_name for r in sheet.rows}, key=str.casefold)
    interpreters = sum(1 for r in sheet.rows if any(n.startswith("Interpreter") for n in r.needs))
    summary = (f"{len(sheet.rows)} appointment{'s' if len(sheet.rows) != 1 else ''} · "
               f"{len(rooms)} room{'s' if len(rooms) != 1 else ''} · {interpreters} with an interpreter")
    story: list[Flowable] = [
        para("DAY SHEET", "kicker"),
        Spacer(1, 2),
        para(f"{sheet.station_name} — {sheet.day:%A} {sheet.day.day} {sheet.day:%B %Y}", "title"),
        Spacer(1, 2),
        para(version, "alert" if confidential else "subtitle"),
        para(summary, "small"),
        Spacer(1, 5 * mm),
    ]
    if confidential:
        header = ["Time", "Room", "Visitor", "Reference", "Officer", "Needs", "Reason",
                  "Vulnerability / notes", "Arrived"]
        fractions = [0.06, 0.12, 0.12, 0.08, 0.12, 0.13, 0.09, 0.22, 0.06]
    else:
        header = ["Time", "Room", "Visitor", "Reference", "Officer", "Needs", "Status", "Arrived"]
        fractions = [0.06, 0.13, 0.18, 0.10, 0.17, 0.21, 0.09, 0.06]
    rows: list[list[Flowable]] = []
    group_starts: list[int] = []
    previous: datetime | None = None
    for r in sheet.rows:
        first = r.start != previous
        if first:
            group_starts.append(len(rows) + 1)
        previous = r.start
        row = [
            rich([(f"{local(r.start):%H:%M}", "bold"), (f"\nto {local(r.end):%H:%M}", "sans")], "cell")
            if first else para("", "cell"),
            para(r.room_name, "cell"),
            para(r.visitor_name or "—", "cell"),
            para(r.reference, "cell", "mono"),
            para(r.officer or "Unassigned", "cell"),
            para("; ".join(r.needs) or "—", "cell"),
        ]
        if confidential:
            flags = " · ".join(r.vulnerability_flags)
            row += [
                para(r.reason, "cell"),
                rich([(flags + ("\n" if flags and r.notes_summary else ""), "bold", ALERT),
                      (r.notes_summary or ("" if flags else "—"), "sans")], "cell"),
            ]
        else:
            row.append(para(briefing.label(briefing.OUTCOME_LABELS, r.status), "cell"))
        row.append(para("☐", "box"))
        rows.append(row)
    if rows:
        story.append(_grid(header, rows, [f * width for f in fractions], group_starts))
    else:
        story.append(para("No appointments booked for this day.", "value"))
    furniture = _Furniture(marking, f"Day sheet · {sheet.station_name}", f"{sheet.day:%d/%m/%Y}", printed_by,
                           printed_at)
    return _render(story, furniture, pagesize=pagesize, title=f"Day sheet {sheet.station_code} {sheet.day}",
                   margins=(24 * mm, margin, 22 * mm, margin))


# --- The visitor's slip ----------------------------------------------------------------------


class _Band(Flowable):
    """The navy band across the top of the slip."""

    def __init__(self, width: float, height: float, title: str, subtitle: str) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.title, self.subtitle = title, subtitle

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        c.setFillColor(NAVY)
        c.roundRect(0, 0, self.width, self.height, 2.5 * mm, stroke=0, fill=1)
        f = fonts()
        c.setFillColor(colors.white)
        c.setFont(f.bold, 12)
        c.drawString(5 * mm, self.height - 8 * mm, self.title)
        c.setFont(f.sans, 9)
        c.drawString(5 * mm, self.height - 13 * mm, self.subtitle)


def build_slip_pdf(slip: SlipData, marking: str, printed_at: datetime) -> bytes:
    """The visitor's confirmation slip (A5): when, where, what to bring, the reference, how to rebook.

    Nothing confidential: no notes, no reason, no officer, no needs or vulnerability.
    """
    pagesize = A5
    margin = 11 * mm
    width = pagesize[0] - 2 * margin
    s = local(slip.start)
    qr_size = 27 * mm
    when = [
        para("DATE AND TIME", "kicker"),
        para(f"{s:%A} {s.day} {s:%B %Y}", "slip_date"),
        para(f"{s:%H:%M} – {local(slip.end):%H:%M}", "slip_time"),
        Spacer(1, 3 * mm),
        para("WHERE", "kicker"),
        para(f"{slip.station_name} police station", "strong"),
        para(f"{slip.station_address}, {slip.station_postcode}", "value"),
        para("Please come to the front counter and give your reference.", "small"),
    ]
    ref = [QrCode(slip.reference, qr_size), para(slip.reference, "ref")]
    top = Table([[when, ref]], colWidths=[width - qr_size - 4 * mm, qr_size + 4 * mm])
    top.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    crime = (f"your crime reference ({slip.crime_reference})" if slip.crime_reference
             else "your crime reference, if you have one")
    bring = [
        "photo ID (for example a passport or driving licence)",
        crime,
        "any documents, photos or messages about what happened",
        "a friend, family member or interpreter, if you would like one with you",
    ]
    keep = Table([[para("YOUR REFERENCE", "kicker")], [para(slip.reference, "ref_big")],
                  [para("Keep this slip and show it at the front counter when you arrive.", "small")]],
                 colWidths=[width])
    keep.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), ZEBRA),
        ("LINEBEFORE", (0, 0), (0, -1), 3, NAVY),
        ("LEFTPADDING", (0, 0), (-1, -1), 9),
        ("TOPPADDING", (0, 0), (-1, 0), 7),
        ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
        ("TOPPADDING", (0, 1), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -2), 1),
    ]))
    story: list[Flowable] = [
        _Band(width, 17 * mm, FORCE, "Your appointment at the police station"),
        Spacer(1, 5 * mm),
    ]
    if slip.visitor_name:
        story += [rich([("For ", "sans"), (slip.visitor_name, "bold")], "value"), Spacer(1, 3 * mm)]
    story += [
        top,
        Spacer(1, 4 * mm),
        para("WHAT TO BRING", "kicker"),
        Spacer(1, 1.5),
        *[Paragraph(markup(item), _styles()["bullet"], bulletText="•") for item in bring],
        Spacer(1, 3.5 * mm),
        para("AT THE STATION", "kicker"),
        para("Please arrive a few minutes early. You will meet an officer in a private room; "
             "most appointments take up to an hour.", "value"),
        Spacer(1, 3.5 * mm),
        para("NEED TO CHANGE IT?", "kicker"),
        para(REBOOK, "value"),
        para("If you need an interpreter or help getting into the building, tell us when you call.", "small"),
        Spacer(1, 5 * mm),
        keep,
        Spacer(1, 4 * mm),
        para("In an emergency always call 999.", "strong"),
    ]
    furniture = _Furniture(marking, "", slip.reference, "the front counter", printed_at, compact=True)
    furniture.printed = f"Reference {slip.reference} · printed {_stamp(printed_at)}"
    return _render([KeepTogether(story)], furniture, pagesize=pagesize, title=f"Appointment {slip.reference}",
                   margins=(12 * mm, margin, 22 * mm, margin))


# --- Services: permission, data, build, audit ------------------------------------------------


def _output(ctx: ServiceContext, actor: Actor, *, kind: str, record: str, destination: Destination,
            recipient: str | None, details: dict[str, Any] | None = None) -> None:
    """Record that a document was shown on screen (consultation) or left it (disclosure)."""
    screen = destination == "screen"
    audit(ctx, actor, category="consultation" if screen else "disclosure",
          action=f"{kind}.{'view' if screen else 'print'}", record=record,
          details={"destination": destination, "recipient": recipient, **(details or {})})


def briefing_pdf(ctx: ServiceContext, actor: Actor, ref: str, recipient: str | None = None, *,
                 destination: Destination = "file") -> bytes:
    """The briefing for ``ref``. Printing or saving needs ``print_briefing`` and is a disclosure;
    ``destination="screen"`` (the preview) needs only ``read_briefing``."""
    if destination != "screen":
        guard(ctx, actor, Action.PRINT_BRIEFING, action="briefing.print", record=briefing.record_for(ref))
    data = briefing.load_briefing(ctx, actor, ref)
    record = f"appointment:{data.reference}"
    if destination == "screen":
        # load_briefing has recorded the consultation.
        return build_briefing_pdf(data, ctx.policy.protective_marking, actor.display_name, ctx.clock.now())
    station_id, _ = briefing.station_of(ctx, data.appointment_id)
    guard(ctx, actor, Action.PRINT_BRIEFING, station_id=station_id, action="briefing.print", record=record)
    pdf = build_briefing_pdf(data, ctx.policy.protective_marking, actor.display_name, ctx.clock.now())
    _output(ctx, actor, kind="briefing", record=record, destination=destination, recipient=recipient)
    return pdf


def day_sheet_pdf(ctx: ServiceContext, actor: Actor, day: date, confidential: bool = False, *,
                  station_code: str | None = None, recipient: str | None = None,
                  destination: Destination = "file") -> bytes:
    """The day sheet of a station (the actor's by default) for ``day``."""
    code = station_code or actor.station_code or ctx.station_code or ""
    sheet = briefing.load_day_sheet(ctx, actor, day, confidential=confidential, station_code=code)
    record = f"station:{sheet.station_code}:{day.isoformat()}"
    pdf = build_day_sheet_pdf(sheet, ctx.policy.protective_marking, actor.display_name, ctx.clock.now(),
                              confidential=confidential)
    _output(ctx, actor, kind="day_sheet", record=record, destination=destination, recipient=recipient,
            details={"confidential": confidential, "appointments": len(sheet.rows)})
    return pdf


def slip_pdf(ctx: ServiceContext, actor: Actor, ref: str, recipient: str | None = "visitor", *,
             destination: Destination = "file") -> bytes:
    """The visitor's confirmation slip for ``ref`` (``print_slip``)."""
    slip = briefing.load_slip(ctx, actor, ref)
    record = f"appointment:{slip.reference}"
    pdf = build_slip_pdf(slip, ctx.policy.protective_marking, ctx.clock.now())
    _output(ctx, actor, kind="slip", record=record, destination=destination, recipient=recipient)
    return pdf
