"""Text and styles for the printed documents: user text drawn as it stands, never parsed as markup.

Plain text (every character in the face's own font, nothing to shape or reorder: see
``fonts.is_plain``) is drawn as it stands by :class:`_Text`; anything else goes through
``fonts.markup`` (escaped, per-character font fallback) into a paragraph, so any name prints and
no text acts as markup. Plain text skips ReportLab's paragraph parser, which is what makes a
200-row day sheet fast (``bench/bench_documents.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import (
    Flowable,
    Paragraph,
)

from frontcounter.services.documents.fonts import (
    WORD_SPLIT,
    Face,
    clean,
    face_font,
    fonts,
    is_plain,
    markup,
    needs_shaping,
)

NAVY = colors.HexColor("#1d3557")
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#d3d8de")
ZEBRA = colors.HexColor("#f5f7fa")
NEEDS_EDGE = colors.HexColor("#b45309")
NEEDS_FILL = colors.HexColor("#fff7eb")
ALERT = colors.HexColor("#9b1c1c")


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
