"""The printed documents: the officer's briefing, the station's day sheet and the visitor's slip.

Two halves. The ``build_*_pdf`` functions lay out data they are given and return PDF bytes: pure
ReportLab, no database, no Qt, safe on any thread. The service functions (``briefing_pdf``,
``day_sheet_pdf``, ``slip_pdf``) check the actor's permission, load the data, build, and audit:
a document that leaves the screen (printer, file) is a disclosure under DPA 2018 s.62 and is
recorded with its destination; one only looked at on screen is a consultation.

Every page of a briefing and a day sheet carries the protective marking at its head and foot,
who printed it and when, and "Page x of y". User text is never parsed as markup: plain text (every
character in the face's own font, nothing to shape or reorder: see ``pdf_fonts.is_plain``) is
drawn as it stands by :class:`_Text`, and anything else goes through ``pdf_fonts.markup`` (escaped,
per-character font fallback) into a paragraph, so any name prints and no text acts as markup.

Speed matters because the officer waits for the briefing and the counter for a 200-row day sheet
(``bench/bench_documents.py``): plain text skips ReportLab's paragraph parser, long tables are a
:class:`_Grid` that measures each row once, and the page furniture is made once per document.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, cached_property, lru_cache
from typing import Any, Literal

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject
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
from frontcounter.services.commands import append_audit, audit, guard
from frontcounter.services.context import ServiceContext
from frontcounter.services.pdf_bidi import BidiParagraph
from frontcounter.services.pdf_fonts import (
    WORD_SPLIT,
    Face,
    clean,
    face_font,
    fonts,
    has_rtl,
    is_plain,
    markup,
    needs_shaping,
)
from frontcounter.services.pdf_pages import page_counting_canvas
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
FEEDBACK = " — tell us how your visit went, online or on 101."

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


@cache
def _style_face(name: str) -> Face:
    """The face a style sets its text in."""
    font, f = _styles()[name].fontName, fonts()
    return "bold" if font == f.bold else "mono" if font == f.mono else "sans"


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


#: One hard line of a :class:`_Text`: its words, font and colour.
_HardLine = tuple[list[str], str, colors.Color]
#: One laid-out line: x offset is worked out at draw time from ``width``.
_Line = tuple[str, float, str, colors.Color]


class _Text(Flowable):
    """Plain text in one font per line: what nearly every field and cell of our documents is.

    It breaks and draws lines as a simple ``Paragraph`` does (same metrics: the first baseline one
    font size below the top, then one ``leading`` a line; words split only where they are wider
    than the column; the same orphan rule when split) but without the paragraph parser and its
    fragments, which cost more than the layout itself: a 200-row day sheet holds 1,800 cells.
    Only text :func:`pdf_fonts.is_plain` accepts comes here; the rest takes the full paragraph
    (escaped, font fallback, shaping).
    """

    def __init__(self, hard_lines: Sequence[_HardLine], style: ParagraphStyle,
                 laid_out: tuple[float, list[_Line]] | None = None) -> None:
        super().__init__()
        self.style = style
        self._hard_lines = hard_lines
        self._laid_out = laid_out  # (width, lines) of the last wrap: breaks depend on the width alone
        self.width = self.height = 0.0

    def _lines(self, width: float) -> list[_Line]:
        if self._laid_out is not None and self._laid_out[0] == width:
            return self._laid_out[1]
        size = self.style.fontSize
        shrink = self.style.spaceShrinkage
        lines: list[_Line] = []
        for words, font, colour in self._hard_lines:
            if not words:
                lines.append(("", 0.0, font, colour))
                continue
            whole = " ".join(words)
            whole_width = stringWidth(whole, font, size)
            if whole_width <= width:
                lines.append((whole, whole_width, font, colour))  # most cells: one line, one measurement
                continue
            space = stringWidth(" ", font, size)
            limit_per_gap = shrink * space
            current: list[str] = []
            current_width = -space
            pending = list(reversed(words))
            while pending:
                word = pending.pop()
                word_width = stringWidth(word, font, size)
                new_width = current_width + space + word_width
                if new_width > width + limit_per_gap * len(current) and word_width > width:
                    # A word wider than the column: as much of it as fits here, the rest onwards.
                    head, tail = _split_word(word, font, size, max(0.0, width - current_width - space), width)
                    if head:
                        current.append(head)
                        current_width += space + stringWidth(head, font, size)
                    lines.append((" ".join(current), current_width, font, colour))
                    current, current_width = [], -space
                    if tail:
                        pending.append(tail)
                    continue
                if current and new_width > width + limit_per_gap * len(current):
                    lines.append((" ".join(current), current_width, font, colour))
                    current, current_width = [word], word_width
                else:
                    current.append(word)
                    current_width = new_width
            if current:
                lines.append((" ".join(current), current_width, font, colour))
        self._laid_out = (width, lines)
        return lines

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.width = availWidth
        self.height = len(self._lines(availWidth)) * self.style.leading
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        lines = self._lines(availWidth)
        fit = int(availHeight / self.style.leading)
        if fit <= 1 and not self.style.allowOrphans:
            return []  # no single first line left alone at the foot of a page (as Paragraph)
        if len(lines) <= fit:
            return [self]
        return [_Text(self._hard_lines, self.style, (availWidth, lines[:fit])),
                _Text(self._hard_lines, self.style, (availWidth, lines[fit:]))]

    def draw(self) -> None:
        text = self.canv.beginText()
        self.draw_into(text, 0.0, 0.0, _TextState())
        self.canv.drawText(text)

    def draw_into(self, text: PDFTextObject, x: float, bottom: float, state: _TextState) -> None:
        """Add the lines to ``text`` with the flowable's bottom left at (``x``, ``bottom``): a grid
        sets a whole page of cells in one text object."""
        style = self.style
        y = bottom + self.height - style.fontSize
        for line, line_width, font, colour in self._lines(self.width):
            if line:
                if state.font != (font, style.fontSize, style.leading):
                    text.setFont(font, style.fontSize, style.leading)
                    state.font = (font, style.fontSize, style.leading)
                if state.colour != colour:
                    text.setFillColor(colour)
                    state.colour = colour
                dx = 0.0
                if style.alignment == TA_CENTER:
                    dx = (self.width - line_width) / 2
                elif style.alignment == TA_RIGHT:
                    dx = self.width - line_width
                text.setTextOrigin(x + dx, y)
                text.textOut(line)
            y -= style.leading


@dataclass
class _TextState:
    """The font and fill colour a text object was last given, so neither is repeated per line."""

    font: tuple[str, float, float] | None = None
    colour: colors.Color | None = None


def _split_word(word: str, font: str, size: float, room: float, width: float) -> tuple[str, str]:
    """``word`` cut where it first overflows ``room`` (or, on an empty line, ``width``)."""
    used = 0.0
    for i, ch in enumerate(word):
        used += stringWidth(ch, font, size)
        if used > room:
            if i == 0 and room < width:
                return "", word  # not even one letter fits after the words already on the line
            return word[:max(i, 1)], word[max(i, 1):]
    return word, ""


def _plain_text(parts: Sequence[tuple[str, Face, colors.Color]], style: ParagraphStyle) -> _Text | None:
    """The parts as a :class:`_Text`, or None when a part needs the full paragraph (a character
    outside its face's base font) or two parts share a line (mixed fonts within a line)."""
    hard: list[_HardLine] = []
    words: list[str] = []
    line_look: tuple[str, colors.Color] | None = None  # the font and colour of the line so far
    look = (style.fontName, style.textColor)
    for text, face, colour in parts:
        text = clean(text)
        if not is_plain(text, face):
            return None
        look = (face_font(face), colour)
        for i, piece in enumerate(text.split("\n")):
            if i:
                hard.append((words, *(line_look or look)))
                words, line_look = [], None
            piece_words = piece.split()
            if piece_words:
                if line_look not in (None, look):
                    return None  # two faces on one line: the full paragraph sets that
                line_look = look
                words += piece_words
    hard.append((words, *(line_look or look)))
    # Blank lines as a paragraph counts them: a final line break ends a line rather than starting
    # one, and a paragraph of nothing but one line break is empty.
    if not hard[-1][0]:
        hard.pop()
    if len(hard) == 1 and not hard[0][0]:
        hard.clear()
    return _Text(hard, style)


def para(text: str | None, style: str = "value", face: Face | None = None) -> Flowable:
    """A paragraph of user text (escaped; HarfBuzz shaping switched on where the script needs it).

    ``face`` overrides the style's font for the text (a reference in the monospaced face).
    Plain text (see :func:`pdf_fonts.is_plain`) is set as a :class:`_Text`.
    """
    text = text or ""
    base = _styles()[style]
    own_face = face or _style_face(style)
    plain = _plain_text([(text, own_face, base.textColor)], base)
    if plain is not None:
        return plain
    if has_rtl(text):  # wrapped in reading order, each line in display order, right-aligned if RTL
        return BidiParagraph(text, base, own_face)
    shaped = _style(style, needs_shaping(text))
    if face is None:
        return _Para(markup(text, own_face), shaped)
    return _Para(f'<font name="{face_font(face)}">{markup(text, face)}</font>', shaped)


def rich(parts: Sequence[tuple[str | None, Face] | tuple[str | None, Face, colors.Color]],
         style: str = "value") -> Flowable:
    """A paragraph mixing faces: each part is escaped user (or our own) text in its face, and
    optionally its colour. Plain parts that each start on a line of their own (the day sheet's
    "17:00 / to 18:00") are set as a :class:`_Text`."""
    base = _styles()[style]
    given = [(text, face, colour[0] if colour else base.textColor) for text, face, *colour in parts if text]
    plain = _plain_text(given, base)
    if plain is not None:
        return plain
    shaped = any(needs_shaping(part[0] or "") for part in parts)
    out = []
    previous = ""
    for text, face, *colour in parts:
        if not text:
            continue
        if shaped and previous and not previous[-1].isspace() and not text[0].isspace():
            text = WORD_SPLIT + text  # no word in two fonts in a shaped paragraph (see markup)
        previous = text
        attrs = f'name="{face_font(face)}"' + (f' color="{colour[0].hexval()}"' if colour else "")
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

    @cached_property
    def _fixed(self) -> dict[str, Flowable]:
        """What is the same on every page, set once: a 26-page day sheet draws it 26 times."""
        return {"marking": para(self.marking, "marking"), "title": para(self.title, "furniture"),
                "reference": para(self.reference, "furniture_r"), "printed": para(self.printed, "furniture")}

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        # Nothing closer than 6 mm to the edge of the paper, where many printers cannot reach.
        width, height = canvas._pagesize
        margin = 11 * mm if self.compact else 16 * mm
        inner = width - 2 * margin
        fixed = self._fixed
        canvas.saveState()
        if not self.compact:
            # Head: the marking centred, then the running head over a thin navy rule.
            _draw(canvas, fixed["marking"], margin, height - 8 * mm, inner)
            _draw(canvas, fixed["title"], margin, height - 13.5 * mm, inner * 0.7)
            _draw(canvas, fixed["reference"], margin + inner * 0.7, height - 13.5 * mm, inner * 0.3)
            canvas.setStrokeColor(NAVY)
            canvas.setLineWidth(0.8)
            canvas.line(margin, height - 17.5 * mm, width - margin, height - 17.5 * mm)
        # Foot: a hairline, who printed it and the page count, then the marking again.
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(margin, 17 * mm, width - margin, 17 * mm)
        _draw(canvas, fixed["printed"], margin, 15.5 * mm, inner * 0.75)
        if not self.compact:
            _draw(canvas, para(f"Page {page} of {pages}", "furniture_r"), margin + inner * 0.75, 15.5 * mm,
                  inner * 0.25)
        _draw(canvas, fixed["marking"], margin, 10.5 * mm, inner)
        canvas.restoreState()


def _draw(canvas: Canvas, p: Flowable, x: float, top: float, width: float) -> None:
    _, h = p.wrapOn(canvas, width, 50 * mm)
    p.drawOn(canvas, x, top - h)


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
    doc.build(story, canvasmaker=page_counting_canvas(furniture.draw))
    return buffer.getvalue()


# --- Building blocks -------------------------------------------------------------------------


def _heading(text: str) -> Flowable:
    return _Para(markup(text, "bold"), _styles()["h2"])


@dataclass(frozen=True)
class _Look:
    """How a :class:`_Grid` looks: the few ``TableStyle`` commands our tables use."""

    pad_x: tuple[float, float] = (4.0, 4.0)  # left, right
    pad_y: tuple[float, float] = (3.5, 3.5)  # top, bottom
    #: Top padding of the first column's body cells: labels are set smaller than the values, and
    #: drop by this much to share the values' baseline.
    label_top: float | None = None
    head_fill: colors.Color | None = NAVY
    #: The header is one cell across every column (a panel's title).
    head_spans: bool = False
    fill: colors.Color | None = None
    rule: tuple[float, colors.Color] = (0.4, RULE)
    rule_under_last: bool = True
    box: tuple[float, colors.Color] | None = None


_LIST_LOOK = _Look()
_FACTS_LOOK = _Look(pad_x=(0, 6), label_top=4.6, head_fill=None, rule_under_last=False)
_NEEDS_LOOK = _Look(pad_x=(8, 8), pad_y=(4.5, 4.5), label_top=5.6, head_fill=NEEDS_EDGE, head_spans=True,
                    fill=NEEDS_FILL, rule=(0.4, colors.HexColor("#f0d9b5")), rule_under_last=False,
                    box=(1.6, NEEDS_EDGE))


class _Grid(Flowable):
    """A ruled table of cells, cells at the top, its header row (if any) repeated on every page.

    ReportLab's ``Table`` can do all this, but it splits a long table by building a new table of
    the rows left over and measuring every one of them again, page after page, and draws each
    cell in a graphics state of its own: that was most of a 200-row day sheet's time. Here each
    row is measured once, a page break is a slice, and a page's plain cells go out in one text
    object. It draws what the ``TableStyle`` it replaces drew (see :class:`_Look`).

    A row the page ends in is split inside (each cell at a line) where its cells allow, as
    ``Table(splitInRow=1)`` does; otherwise it starts the next page.
    """

    def __init__(self, header: Sequence[Flowable] | None, rows: Sequence[Sequence[Flowable]],
                 widths: Sequence[float], look: _Look = _LIST_LOOK, group_starts: Sequence[bool] = (), *,
                 heights: Sequence[float] | None = None, header_height: float | None = None,
                 ends: bool = True) -> None:
        """``group_starts[i]`` draws a heavier rule above row ``i`` (a new time on the day sheet);
        ``ends``: this part holds the table's last row (some looks rule every row but that one)."""
        super().__init__()
        self.hAlign = "LEFT"
        self.look, self.ends = look, ends
        self.header = list(header) if header else []
        self.rows, self.widths = [list(r) for r in rows], list(widths)
        self.group_starts = list(group_starts) or [False] * len(self.rows)
        self.width = sum(self.widths)
        if header_height is None:
            header_height = self._measure(self.header, head=True) if self.header else 0.0
        self.header_height = header_height
        self.heights = [self._measure(r) for r in self.rows] if heights is None else list(heights)
        self.height = self.header_height + sum(self.heights)

    def _cells(self, row: Sequence[Flowable], head: bool = False) -> list[tuple[Flowable, float, float, float]]:
        """Each cell of ``row`` with its left edge, inner width and top padding."""
        look = self.look
        left, right = look.pad_x
        if head and look.head_spans:
            return [(row[0], 0.0, self.width - left - right, look.pad_y[0])]
        out = []
        x = 0.0
        for column, (cell, w) in enumerate(zip(row, self.widths, strict=True)):
            top = look.label_top if column == 0 and not head and look.label_top is not None else look.pad_y[0]
            out.append((cell, x, w - left - right, top))
            x += w
        return out

    def _measure(self, row: Sequence[Flowable], head: bool = False) -> float:
        return max((top + cell.wrap(width, _UNLIMITED)[1] for cell, _, width, top in self._cells(row, head)),
                   default=0.0) + self.look.pad_y[1]

    def _part(self, rows: Sequence[Sequence[Flowable]], group_starts: Sequence[bool], heights: Sequence[float],
              ends: bool) -> _Grid:
        return _Grid(self.header, rows, self.widths, self.look, group_starts, heights=heights,
                     header_height=self.header_height, ends=ends)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        room = availHeight - self.header_height
        fit, used = 0, 0.0
        for height in self.heights:
            if used + height > room + 1e-6:
                break
            used += height
            fit += 1
        if fit == len(self.rows):
            return [self]
        cut = self._split_row(self.rows[fit], room - used)
        if cut is not None:  # the page ends inside this row
            head, tail = cut
            return [self._part([*self.rows[:fit], head], self.group_starts[:fit + 1],
                               [*self.heights[:fit], self._measure(head)], ends=False),
                    self._part([tail, *self.rows[fit + 1:]], [False, *self.group_starts[fit + 1:]],
                               [self._measure(tail), *self.heights[fit + 1:]], ends=self.ends)]
        if not fit:
            return []
        return [self._part(self.rows[:fit], self.group_starts[:fit], self.heights[:fit], ends=False),
                self._part(self.rows[fit:], self.group_starts[fit:], self.heights[fit:], ends=self.ends)]

    def _split_row(self, row: Sequence[Flowable], room: float) -> tuple[list[Flowable], list[Flowable]] | None:
        """``row`` cut to ``room``, as ``splitInRow`` does: the cells that fit whole go in the first
        part, the others are split at a line (none leaving a lone first line behind, the
        paragraphs' orphan rule); None if any cell cannot be split there."""
        head: list[Flowable] = []
        tail: list[Flowable] = []
        for cell, _, width, top in self._cells(row):
            inner = room - top - self.look.pad_y[1]
            if inner <= 0:
                return None
            if cell.wrap(width, inner)[1] <= inner + 1e-6:
                head.append(cell)
                tail.append(_Text((), _styles()["cell"]))
                continue
            parts = cell.split(width, inner)
            if len(parts) != 2:
                return None
            head.append(parts[0])
            tail.append(parts[1])
        return head, tail

    def draw(self) -> None:
        canvas, look = self.canv, self.look
        top = self.height
        body_top = top - self.header_height
        if look.head_fill is not None and self.header:
            canvas.setFillColor(look.head_fill)
            canvas.rect(0, body_top, self.width, self.header_height, stroke=0, fill=1)
        if look.fill is not None:
            canvas.setFillColor(look.fill)
            canvas.rect(0, 0, self.width, body_top, stroke=0, fill=1)
        text = canvas.beginText()
        state = _TextState()
        others: list[tuple[Flowable, float, float, float]] = []
        bottoms: list[float] = []  # of each body row
        y = top
        rows = [(self.header, self.header_height, True)] if self.header else []
        rows += [(row, height, False) for row, height in zip(self.rows, self.heights, strict=True)]
        for row, height, head in rows:
            for cell, x, width, pad_top in self._cells(row, head):
                _, cell_height = cell.wrap(width, _UNLIMITED)
                cell_bottom = y - pad_top - cell_height
                if isinstance(cell, _Text):
                    cell.draw_into(text, x + look.pad_x[0], cell_bottom, state)
                else:
                    others.append((cell, x + look.pad_x[0], cell_bottom, width))
            y -= height
            if not head:
                bottoms.append(y)
        canvas.drawText(text)
        for cell, x, bottom, width in others:
            cell.wrap(width, _UNLIMITED)  # a cell may be shared, and last wrapped to another width
            cell.drawOn(canvas, x, bottom)
        if bottoms and self.ends and not look.rule_under_last:
            bottoms.pop()
        self._lines(bottoms, *look.rule)
        row_tops = [body_top, *(b for b in bottoms)]
        self._lines([row_tops[i] for i, starts in enumerate(self.group_starts) if starts and i > 0], 0.9, NAVY)
        if look.box is not None:
            canvas.setLineWidth(look.box[0])
            canvas.setStrokeColor(look.box[1])
            canvas.rect(0, 0, self.width, self.height, stroke=1, fill=0)

    def _lines(self, at: Sequence[float], width: float, colour: colors.Color) -> None:
        if at:
            self.canv.setLineWidth(width)
            self.canv.setStrokeColor(colour)
            self.canv.lines([(0, y, self.width, y) for y in at])


#: The height offered to a cell to learn its natural height.
_UNLIMITED = 1e9


def _grid(header: Sequence[str], rows: Sequence[Sequence[Flowable]], widths: Sequence[float],
          group_starts: Sequence[int] = ()) -> _Grid:
    """A ruled table with a navy header row that repeats on every page.

    ``group_starts`` are the rows (counting the header as row 0) that open a new group.
    """
    starts = set(group_starts)
    return _Grid([para(h, "cell_head") for h in header], rows, widths, _LIST_LOOK,
                 [i + 1 in starts for i in range(len(rows))])


def _facts(rows: Sequence[tuple[str, Flowable | str | None]], width: float, label_width: float = 36 * mm,
           ) -> _Grid:
    """Label/value rows; long values split across pages inside their row."""
    data = [
        [para(lbl, "label"), value if isinstance(value, Flowable) else para(value or "—")]
        for lbl, value in rows
    ]
    return _Grid(None, data, [label_width, width - label_width], _FACTS_LOOK)


def _needs_panel(data: BriefingData, width: float) -> _Grid:
    """The boxed panel an officer cannot miss: interpreter, access, person of choice, vulnerability."""
    access = [text for on, text in ((data.needs_step_free, "Step-free access"),
                                    (data.needs_hearing_loop, "Hearing loop")) if on]
    if data.access_needs:
        access.append(data.access_needs)
    rows: list[tuple[str, Flowable]] = [
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
    return _Grid([para("NEEDS — read before the meeting", "needs_head")], body,
                 [label_width, width - label_width], _NEEDS_LOOK)


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
    made: dict[tuple[str, str, Face | None], Flowable] = {}

    def cell(text: str, style: str = "cell", face: Face | None = None) -> Flowable:
        """Cells repeat (the officer, the reason, "—"): each different one is made once."""
        key = (text, style, face)
        if key not in made:
            made[key] = para(text, style, face)
        return made[key]

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
            if first else cell(""),
            cell(r.room_name),
            para(r.visitor_name or "—", "cell"),
            para(r.reference, "cell", "mono"),
            cell(r.officer or "Unassigned"),
            cell("; ".join(r.needs) or "—"),
        ]
        if confidential:
            flags = " · ".join(r.vulnerability_flags)
            row += [
                cell(r.reason or ""),
                rich([(flags + ("\n" if flags and r.notes_summary else ""), "bold", ALERT),
                      (r.notes_summary or ("" if flags else "—"), "sans")], "cell"),
            ]
        else:
            row.append(cell(briefing.label(briefing.OUTCOME_LABELS, r.status)))
        row.append(cell("☐", "box"))
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
    # The appointment reference is also the feedback reference (services/feedback.py): a visitor
    # who answers later, online or on 101, is matched to this appointment by it.
    keep = Table([[para("YOUR REFERENCE", "kicker")], [para(slip.reference, "ref_big")],
                  [para("Keep this slip and show it at the front counter when you arrive.", "small")],
                  [rich([("Feedback reference: ", "bold"), (slip.reference, "mono"), (FEEDBACK, "sans")], "small")]],
                 colWidths=[width])
    keep.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), ZEBRA),
        ("LINEBEFORE", (0, 0), (0, -1), 3, NAVY),
        ("LEFTPADDING", (0, 0), (-1, -1), 9),
        ("TOPPADDING", (0, 0), (-1, 0), 7),
        ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
        ("TOPPADDING", (0, 1), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -2), 1),
        ("TOPPADDING", (0, 3), (-1, 3), 2),  # the feedback line a little apart
    ]))
    story: list[Flowable] = [
        _Band(width, 17 * mm, FORCE, "Your appointment at the police station"),
        Spacer(1, 4 * mm),
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
        Spacer(1, 4 * mm),
        keep,
        Spacer(1, 3 * mm),
        para("In an emergency always call 999.", "strong"),
    ]
    furniture = _Furniture(marking, "", slip.reference, "the front counter", printed_at, compact=True)
    furniture.printed = f"Reference {slip.reference} · printed {_stamp(printed_at)}"
    return _render([KeepTogether(story)], furniture, pagesize=pagesize, title=f"Appointment {slip.reference}",
                   margins=(12 * mm, margin, 22 * mm, margin))


# --- Services: permission, data, build, audit ------------------------------------------------


def _output_event(kind: str, destination: Destination, recipient: str | None,
                  details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The audit event of a document shown on screen (consultation) or leaving it (disclosure)."""
    screen = destination == "screen"
    return {"category": "consultation" if screen else "disclosure",
            "action": f"{kind}.{'view' if screen else 'print'}",
            "details": {"destination": destination, "recipient": recipient, **(details or {})}}


def _output(ctx: ServiceContext, actor: Actor, *, kind: str, record: str, destination: Destination,
            recipient: str | None, details: dict[str, Any] | None = None) -> None:
    """Record that a document was shown on screen (consultation) or left it (disclosure)."""
    audit(ctx, actor, record=record, **_output_event(kind, destination, recipient, details))


#: Puts a finished document where it goes (a file written whole, a printer) before it is audited.
Deliver = Callable[[bytes], object]


def briefing_pdf(ctx: ServiceContext, actor: Actor, ref: str, recipient: str | None = None, *,
                 destination: Destination = "file", deliver: Deliver | None = None) -> bytes:
    """The briefing for ``ref``. Printing or saving needs ``print_briefing`` and is a disclosure;
    ``destination="screen"`` (the preview) needs only ``read_briefing``.

    A print is recorded as the consultation and the disclosure in one transaction, once the PDF
    is built and before it is returned: one durable write instead of two (on a station PC the
    fsync of a commit is most of the call's time). With ``deliver`` (the CLI's whole-file write)
    the disclosure is recorded only once the document has been delivered: a failed write is no print.
    """
    if destination == "screen":
        data = briefing.load_briefing(ctx, actor, ref)  # records the consultation
        return build_briefing_pdf(data, ctx.policy.protective_marking, actor.display_name, ctx.clock.now())
    guard(ctx, actor, Action.PRINT_BRIEFING, action="briefing.print", record=briefing.record_for(ref))
    data, station_id = briefing.fetch_briefing(ctx, actor, ref)
    record = f"appointment:{data.reference}"
    guard(ctx, actor, Action.PRINT_BRIEFING, station_id=station_id, action="briefing.print", record=record)
    pdf = build_briefing_pdf(data, ctx.policy.protective_marking, actor.display_name, ctx.clock.now())
    if deliver is not None:
        deliver(pdf)
    with ctx.write.begin() as session:
        append_audit(session, ctx, actor, category="consultation", action="briefing.open", record=record)
        append_audit(session, ctx, actor, record=record, **_output_event("briefing", destination, recipient))
    return pdf


def day_sheet_pdf(ctx: ServiceContext, actor: Actor, day: date, confidential: bool = False, *,
                  station_code: str | None = None, recipient: str | None = None,
                  destination: Destination = "file", deliver: Deliver | None = None) -> bytes:
    """The day sheet of a station (the actor's by default) for ``day``."""
    code = station_code or actor.station_code or ctx.station_code or ""
    sheet = briefing.load_day_sheet(ctx, actor, day, confidential=confidential, station_code=code)
    record = f"station:{sheet.station_code}:{day.isoformat()}"
    pdf = build_day_sheet_pdf(sheet, ctx.policy.protective_marking, actor.display_name, ctx.clock.now(),
                              confidential=confidential)
    if deliver is not None:
        deliver(pdf)
    _output(ctx, actor, kind="day_sheet", record=record, destination=destination, recipient=recipient,
            details={"confidential": confidential, "appointments": len(sheet.rows)})
    return pdf


def slip_pdf(ctx: ServiceContext, actor: Actor, ref: str, recipient: str | None = "visitor", *,
             destination: Destination = "file", deliver: Deliver | None = None) -> bytes:
    """The visitor's confirmation slip for ``ref`` (``print_slip``)."""
    slip = briefing.load_slip(ctx, actor, ref)
    record = f"appointment:{slip.reference}"
    pdf = build_slip_pdf(slip, ctx.policy.protective_marking, ctx.clock.now())
    if deliver is not None:
        deliver(pdf)
    _output(ctx, actor, kind="slip", record=record, destination=destination, recipient=recipient)
    return pdf
