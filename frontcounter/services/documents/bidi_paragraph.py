"""Right-to-left text in PDFs: lines broken in reading order, then each line put in display order.

A note that begins in Arabic, Hebrew, Urdu or Persian, perhaps with English words and numbers in
it, must wrap like any paragraph and read right to left. Reordering the whole text first and
wrapping afterwards (what a paragraph engine without bidi support ends up doing) puts the lines in
the wrong order and words on the wrong line. So :class:`BidiParagraph`:

1. breaks the text into lines in *logical* (reading) order, measuring each word as it will print;
2. reorders each line with the Unicode bidi algorithm (python-bidi; the paragraph's direction is
   that of its first strong character, rules P2-P3), keeping the letters of each right-to-left
   word in reading order, since HarfBuzz shapes and orders the letters within a word;
3. right-aligns the lines of a paragraph whose direction is right to left (each hard line break
   starts a paragraph with its own direction, rule P1).

Each line is then an ordinary (shaped) ReportLab paragraph that fits the width, so fonts, runs
and escaping stay those of :func:`frontcounter.services.documents.fonts.markup`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph

from frontcounter.services.documents.bidi_order import direction, visual
from frontcounter.services.documents.fonts import Face, clean, markup

#: A line's paragraph is given this much more than the width it was measured for, so rounding
#: in ReportLab's own measuring never wraps a line that was found to fit.
_SLACK = 2.0


Measure = Callable[[str], float]
#: One printed line: its text in reading order and the direction of the paragraph it belongs to.
Line = tuple[str, str]


def break_lines(text: str, width: float, measure: Measure, space: float) -> list[Line]:
    """``text`` in lines that fit ``width``, broken between words in reading order.

    Each hard line break starts a paragraph with its own direction (rule P1), from its first
    strong character; a paragraph with none (a line of numbers) takes the one before it.
    """
    lines: list[Line] = []
    base = direction(text)
    for hard in text.split("\n"):
        if any(ch.isalpha() for ch in hard):
            base = direction(hard)
        words = hard.split()
        if not words:
            lines.append(("", base))
            continue
        current: list[str] = []
        used = 0.0
        for word in words:
            w = measure(word)
            extra = w if not current else space + w
            if current and used + extra > width:
                lines.append((" ".join(current), base))
                current, used = [word], w
            else:
                current.append(word)
                used += extra
        lines.append((" ".join(current), base))
    while lines and not lines[-1][0]:
        lines.pop()
    return lines


class BidiParagraph(Flowable):
    """User text that holds right-to-left script, wrapped in reading order and shown in display order.

    Lines of a right-to-left paragraph are right-aligned (a centred style stays centred); lines of
    a left-to-right one keep the style's alignment.
    """

    def __init__(self, text: str, style: ParagraphStyle, face: Face = "sans",
                 lines: list[Line] | None = None) -> None:
        super().__init__()
        self.text = clean(text)
        self.style = style
        self.face = face
        self._given_lines = lines
        self._lines: list[Paragraph] = []
        self._bases: list[str] = []
        self._wrapped_for: float | None = None
        self._styles = {base: self._line_style(style, base) for base in ("L", "R")}

    @staticmethod
    def _line_style(style: ParagraphStyle, base: str) -> ParagraphStyle:
        align = TA_RIGHT if base == "R" and style.alignment != TA_CENTER else style.alignment
        return ParagraphStyle(f"{style.name}-bidi-{base}", parent=style, alignment=align, shaping=1)

    def logical_lines(self, width: float) -> list[Line]:
        if self._given_lines is not None:
            return self._given_lines
        font, size = self.style.fontName, self.style.fontSize
        space = _word_width(" ", self.face, font, size)
        return break_lines(self.text, width - self.style.leftIndent - self.style.rightIndent,
                           lambda word: _word_width(word, self.face, font, size), space)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        if availWidth != self._wrapped_for:
            lines = self.logical_lines(availWidth)
            self._bases = [base for _, base in lines]
            self._lines = [
                Paragraph(markup(visual(line, base), self.face, shaped=True, reorder=False) or "&nbsp;",
                          self._styles[base])
                for line, base in lines
            ]
            self._wrapped_for = availWidth
        self.width = availWidth
        self.height = 0.0
        for line in self._lines:
            _, h = line.wrap(availWidth + _SLACK, availHeight)
            self.height += h
        return availWidth, self.height

    def draw(self) -> None:
        y = self.height
        for line, base in zip(self._lines, self._bases, strict=True):
            y -= line.height
            line.drawOn(self.canv, -_SLACK if base == "R" else 0, y)

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        self.wrap(availWidth, availHeight)
        logical = self.logical_lines(availWidth)
        used, fit = 0.0, 0
        for line in self._lines:
            if used + line.height > availHeight:
                break
            used += line.height
            fit += 1
        if fit == 0 or fit == len(logical):
            return []
        return [BidiParagraph(self.text, self.style, self.face, logical[:fit]),
                BidiParagraph(self.text, self.style, self.face, logical[fit:])]

    def getActualLineWidths0(self) -> list[float]:  # noqa: N802  (ReportLab's name, used by tables)
        return [max(line.getActualLineWidths0() or [0.0]) for line in self._lines]


@lru_cache(maxsize=8192)
def _word_width(word: str, face: Face, font: str, size: float) -> float:
    """How wide ``word`` prints (shaped, in its font runs), measured by ReportLab itself."""
    if word == " ":
        from reportlab.pdfbase.pdfmetrics import stringWidth

        return float(stringWidth(" ", font, size))
    style = ParagraphStyle("measure", fontName=font, fontSize=size, leading=size * 1.2, shaping=1)
    probe = Paragraph(markup(visual(word, direction(word)), face, shaped=True, reorder=False), style)
    probe.wrap(1e6, 1e6)
    return float(max(probe.getActualLineWidths0() or [0.0]))
