"""What every printed document shares: page furniture (marking, who printed it and when,
"Page x of y"), the QR code, the building blocks (headings, fact grids, long tables) and the
audited output step of the service functions.

Each document has its own module (``briefing``, ``day_sheet``, ``slip``) in two halves. The
``build_*_pdf`` functions lay out data they are given and return PDF bytes: pure ReportLab, no
database, no Qt, safe on any thread. The service functions (``briefing_pdf``, ``day_sheet_pdf``,
``slip_pdf``) check the actor's permission, load the data, build, and audit: a document that
leaves the screen (printer, file) is a disclosure under DPA 2018 s.62 and is recorded with its
destination; one only looked at on screen is a consultation.

Speed matters because the officer waits for the briefing and the counter for a 200-row day sheet
(``bench/bench_documents.py``): long tables are a :class:`_Grid` that measures each row once, and
the page furniture is made once per document.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any, Literal

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
)

from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import local
from frontcounter.services.core.commands import audit
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.documents.fonts import (
    markup,
)
from frontcounter.services.documents.pages import page_counting_canvas
from frontcounter.services.documents.text import (
    NAVY,
    NEEDS_EDGE,
    NEEDS_FILL,
    RULE,
    _Para,
    _styles,
    _Text,
    _TextState,
    para,
)

FORCE = "Hertfordshire Constabulary"
REBOOK = "To change or cancel, call 101 and quote your reference, or go online at herts.police.uk."
FEEDBACK = " — tell us how your visit went, online or on 101."

Destination = Literal["screen", "printer", "file"]


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


# --- Output: the audit event of every document service ---------------------------------------


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
