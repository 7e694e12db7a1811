"""Reports on paper: the report PDF (tiles, tables, bar and line charts) and a drill-down list PDF.

The builders (``build_report_pdf``, ``build_appointments_pdf``) are pure: data in, bytes out, no
database, safe on a worker thread. Every PDF page carries the protective marking at its head and
foot (``ctx.policy``). Which export is audited, and how, is in ``export``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from frontcounter.db.models import Status
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import hhmm, local
from frontcounter.services.core.status import LABELS as STATUS_LABELS
from frontcounter.services.documents.bidi_paragraph import BidiParagraph
from frontcounter.services.documents.fonts import fonts, has_rtl, markup
from frontcounter.services.documents.pages import page_counting_canvas
from frontcounter.services.reports.drill_down import wait_minutes_of
from frontcounter.services.reports.model import (
    OUTCOME_LABELS,
    OUTCOMES,
    REASON_GROUPS,
    REASON_LABELS,
    WAIT_BAND_LABELS,
    WAIT_BANDS,
    Figures,
    Report,
    axis_scale,
    period_label,
)
from frontcounter.services.reports.text import (
    _bare,
    hours,
    minutes,
    pct,
    rating,
)

NAVY = colors.HexColor("#1d3557")
AMBER = colors.HexColor("#b45309")
TEAL = colors.HexColor("#0f766e")
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#d3d8de")
ZEBRA = colors.HexColor("#f5f7fa")
#: Distinct line colours for the satisfaction chart, one per station (cycled).
LINE_COLOURS = tuple(colors.HexColor(c) for c in (
    "#1d3557", "#b45309", "#0f766e", "#9b1c1c", "#6d28d9", "#0369a1", "#4d7c0f", "#be185d", "#374151",
    "#a16207", "#0e7490"))

DEFINITIONS = (
    "Appointments are counted by their start in Europe/London: an evening appointment that runs past midnight "
    "belongs to the day it started. Booked = every appointment record in the period; each has one outcome. "
    "Kept = completed. Postponed = rescheduled (each record moved counts once; the final outcome counts on the "
    "last link). Kept rate = kept ÷ (booked − still open). Wait = seen − arrived: the average is exact, the "
    "90th percentile is by nearest rank in whole minutes rounded up. Room utilisation = booked hours (not "
    "cancelled or rescheduled) ÷ opening-session hours. Officer hours used = appointment hours ÷ "
    "appointment-duty hours. Satisfaction: ratings 1–5 at departure, by week of the appointment; "
    "satisfied = 4 or 5."
)


# --- PDF: page furniture and text -------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    f = fonts()
    base = ParagraphStyle("body", fontName=f.sans, fontSize=9, leading=12, textColor=INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10, textColor=MUTED),
        "title": ParagraphStyle("title", parent=base, fontName=f.bold, fontSize=17, leading=21, textColor=NAVY),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10.5, leading=14),
        "h2": ParagraphStyle("h2", parent=base, fontName=f.bold, fontSize=11, leading=14, textColor=NAVY,
                             spaceBefore=8, spaceAfter=4),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "cell_r": ParagraphStyle("cell_r", parent=base, fontSize=8, leading=10, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontName=f.bold, fontSize=7.5, leading=9.5,
                               textColor=colors.white),
        "tile_value": ParagraphStyle("tile_value", parent=base, fontName=f.bold, fontSize=13, leading=16,
                                     textColor=NAVY, alignment=TA_CENTER),
        "tile_label": ParagraphStyle("tile_label", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED,
                                     alignment=TA_CENTER),
        "marking": ParagraphStyle("marking", parent=base, fontName=f.bold, fontSize=9, leading=11,
                                  alignment=TA_CENTER),
        "furniture": ParagraphStyle("furniture", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED),
        "furniture_r": ParagraphStyle("furniture_r", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED,
                                      alignment=TA_RIGHT),
    }


def _p(text: str | None, style: str = "body", styles: dict[str, ParagraphStyle] | None = None) -> Flowable:
    chosen = (styles or _styles())[style]
    if text and has_rtl(text):  # wrapped in reading order, each line in display order (documents/bidi_paragraph.py)
        return BidiParagraph(text, chosen)
    return Paragraph(markup(text or ""), chosen)


def _furnished_canvas(marking: str, running_head: str, footer: str) -> Callable[..., Canvas]:
    """A canvas that holds pages back until the end, to print "Page x of y" and the marking."""
    styles = _styles()

    def draw(canvas: Canvas, page: int, pages: int) -> None:
        width, height = canvas._pagesize
        margin = 14 * mm
        inner = width - 2 * margin
        canvas.saveState()
        p = _p(marking, "marking", styles)
        _, h = p.wrapOn(canvas, inner, 20 * mm)
        p.drawOn(canvas, margin, height - 7 * mm - h)
        head = _p(running_head, "furniture", styles)
        _, h = head.wrapOn(canvas, inner, 20 * mm)
        head.drawOn(canvas, margin, height - 12.5 * mm - h)
        canvas.setStrokeColor(NAVY)
        canvas.setLineWidth(0.8)
        canvas.line(margin, height - 17 * mm, width - margin, height - 17 * mm)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(margin, 16 * mm, width - margin, 16 * mm)
        for text, style, x, w in ((footer, "furniture", margin, inner * 0.75),
                                  (f"Page {page} of {pages}", "furniture_r", margin + inner * 0.75, inner * 0.25)):
            p = _p(text, style, styles)
            _, h = p.wrapOn(canvas, w, 20 * mm)
            p.drawOn(canvas, x, 14.5 * mm - h)
        p = _p(marking, "marking", styles)
        _, h = p.wrapOn(canvas, inner, 20 * mm)
        p.drawOn(canvas, margin, 10 * mm - h)
        canvas.restoreState()

    return page_counting_canvas(draw)


def _render(story: list[Flowable], *, pagesize: tuple[float, float], title: str, marking: str,
            running_head: str, footer: str) -> bytes:
    buffer = io.BytesIO()
    margin = 14 * mm
    doc = BaseDocTemplate(buffer, pagesize=pagesize, title=title, author="FrontCounter",
                          leftMargin=margin, rightMargin=margin, topMargin=21 * mm, bottomMargin=20 * mm)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(story, canvasmaker=_furnished_canvas(marking, running_head, footer))
    return buffer.getvalue()


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
          numeric_from: int = 1) -> Table:
    styles = _styles()
    body = [[_p(h, "head", styles) for h in header]]
    body += [[_p(c, "cell_r" if i >= numeric_from else "cell", styles) for i, c in enumerate(row)] for row in rows]
    table = Table(body, colWidths=list(widths), repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


# --- PDF: charts -------------------------------------------------------------------------------


def _axis_fonts(chart: Any, size: float = 7) -> None:
    f = fonts()
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = f.sans
        axis.labels.fontSize = size
        axis.labels.fillColor = INK
        axis.strokeColor = MUTED
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.visibleGrid = True


def bar_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, width: float,
              height: float, value_format: str = "%d", percent: bool = False) -> Drawing:
    """Vertical bars with the value printed on each bar (numbers readable without colour)."""
    f = fonts()
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    legend_space = 12 if len(series) > 1 else 0
    chart.x, chart.y = 28, 30 + legend_space
    chart.width, chart.height = width - 36, height - 42 - legend_space
    chart.data = [list(values) for _, values in series]
    chart.categoryAxis.categoryNames = list(categories)
    chart.categoryAxis.labels.boxAnchor = "n"
    chart.categoryAxis.labels.dy = -2
    if max((len(c) for c in categories), default=0) * len(categories) > width / 4.2:
        chart.categoryAxis.labels.angle = 25
        chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.valueMin = 0
    values = [v for _, vs in series for v in vs]
    if percent:
        chart.valueAxis.valueMax = max(1.0, *values) if values else 1.0
        chart.valueAxis.valueStep = 0.25 if chart.valueAxis.valueMax <= 1.0 else 0.5
        chart.valueAxis.labelTextFormat = lambda v: f"{v * 100:.0f}%"
    else:
        chart.valueAxis.valueMax, chart.valueAxis.valueStep = axis_scale(values)
    chart.barLabelFormat = (lambda v: f"{v * 100:.0f}%") if percent else value_format
    chart.barLabels.fontName = f.sans
    chart.barLabels.fontSize = 6.5
    chart.barLabels.nudge = 5
    chart.barSpacing = 1
    chart.groupSpacing = 6
    for i, _ in enumerate(series):
        chart.bars[i].fillColor = (NAVY, AMBER, TEAL)[i % 3]
        chart.bars[i].strokeColor = None
    _axis_fonts(chart)
    drawing.add(chart)
    if len(series) > 1:
        drawing.add(_legend([(name, (NAVY, AMBER, TEAL)[i % 3]) for i, (name, _) in enumerate(series)], 28, 8))
    return drawing


def _legend(items: Sequence[tuple[str, colors.Color]], x: float, y: float) -> Legend:
    f = fonts()
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.fontName = f.sans
    legend.fontSize = 7
    legend.boxAnchor = "sw"
    legend.columnMaximum = 1
    legend.deltax = 80
    legend.dx = legend.dy = 6
    legend.colorNamePairs = [(colour, name) for name, colour in items]
    return legend


def line_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
               width: float, height: float) -> Drawing:
    """Average rating by week, one line per station, on a fixed 1–5 scale."""
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    per_row = max(1, int((width - 28) // 46))
    rows = max(1, -(-len(series) // per_row))
    legend_height = rows * 14
    chart.x, chart.y = 28, legend_height + 22
    chart.width, chart.height = width - 36, height - legend_height - 30
    chart.data = [list(values) for _, values in series]
    chart.categoryAxis.categoryNames = list(categories)
    chart.categoryAxis.labels.boxAnchor = "n"
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 1, 5, 1
    chart.joinedLines = 1
    for i, (_, values) in enumerate(series):
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        # A station rated in one week only is a lone marker: ReportLab cannot stroke a one-point line.
        chart.lines[i].strokeColor = colour if sum(v is not None for v in values) >= 2 else None
        chart.lines[i].strokeWidth = 1.5
        chart.lines[i].symbol = makeMarker(("FilledCircle", "FilledSquare", "FilledDiamond", "FilledTriangle")[i % 4],
                                           size=4, fillColor=colour, strokeColor=colour)
    _axis_fonts(chart)
    drawing.add(chart)
    legend = _legend([(name, LINE_COLOURS[i % len(LINE_COLOURS)]) for i, (name, _) in enumerate(series)], 28,
                     legend_height)
    legend.boxAnchor = "nw"  # hangs below the week labels
    legend.columnMaximum = rows
    legend.deltax = 46
    drawing.add(legend)
    if not any(v is not None for _, values in series for v in values):
        drawing.add(String(width / 2, height / 2, "No ratings in this period", fontName=fonts().sans,
                           fontSize=9, fillColor=MUTED, textAnchor="middle"))
    return drawing


# --- PDF: the report ---------------------------------------------------------------------------


def _by_station(report: Report) -> bool:
    return len(report.stations) > 1


#: A numbers table longer than this goes under its chart (and may run over pages), not beside it.
SIDE_TABLE_ROWS = 18


def _section(title: str, chart: Drawing, table: Table, width: float) -> list[Flowable]:
    styles = _styles()
    heading = Paragraph(markup(title), styles["h2"])
    if len(table._cellvalues) > SIDE_TABLE_ROWS:  # a year of weeks, a big station's officers
        table.hAlign = "LEFT"
        return [KeepTogether([heading, chart]), Spacer(1, 2 * mm), table, Spacer(1, 3 * mm)]
    chart_width = chart.width
    row = Table([[chart, table]], colWidths=[chart_width + 4 * mm, width - chart_width - 4 * mm])
    row.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                             ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return [KeepTogether([heading, row, Spacer(1, 3 * mm)])]


def _tiles(f: Figures, width: float) -> Table:
    styles = _styles()
    items = [
        (str(f.booked), "booked"), (pct(f.kept_rate), f"kept ({f.kept})"), (str(f.postponed), "postponed"),
        (str(f.cancelled), "cancelled"), (str(f.no_show), "no-shows"),
        (_bare(f.wait_average), "average wait (min)"), (_bare(f.wait_p90), "90% seen within (min)"),
        (rating(f.feedback_average), f"rating out of 5 ({f.feedback_responses} given)"),
    ]
    cells = [[Paragraph(markup(v), styles["tile_value"]), Paragraph(markup(label), styles["tile_label"])]
             for v, label in items]
    table = Table([cells], colWidths=[width / len(items)] * len(items))
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, RULE), ("INNERGRID", (0, 0), (-1, -1), 0.5, RULE),
                               ("BACKGROUND", (0, 0), (-1, -1), ZEBRA), ("TOPPADDING", (0, 0), (-1, -1), 4),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    return table


def build_report_pdf(report: Report, marking: str, generated_by: str, printed_at: datetime) -> bytes:
    """The report with its charts, each chart's numbers beside it, and how they are counted."""
    styles = _styles()
    pagesize = A4
    width = pagesize[0] - 28 * mm
    chart_w, chart_h = width * 0.55, 56 * mm
    table_w = width - chart_w - 4 * mm
    f = report.total
    story: list[Flowable] = [
        Paragraph(markup(f"Appointments report — {report.scope_label}"), styles["title"]),
        Paragraph(markup(period_label(report)), styles["subtitle"]),
        Spacer(1, 3 * mm),
    ]
    if report.note:
        story += [Paragraph(markup(report.note), styles["small"]), Spacer(1, 2 * mm)]
    story += [_tiles(f, width), Spacer(1, 2 * mm)]

    labels = [OUTCOME_LABELS[o] for o in OUTCOMES]
    story.extend(_section(
        "What happened to the appointments",
        bar_chart(labels, [("Appointments", [f.outcome(o) for o in OUTCOMES])], width=chart_w, height=chart_h),
        _grid(["Outcome", "Number"], [["Booked", str(f.booked)]]
              + [[OUTCOME_LABELS[o], str(f.outcome(o))] for o in OUTCOMES] + [["Kept rate", pct(f.kept_rate)]],
              [table_w * 0.65, table_w * 0.35]),
        width))
    reasons = [REASON_LABELS[g] for g in REASON_GROUPS]
    story.extend(_section(
        "Cancelled and postponed, by reason",
        bar_chart(reasons, [("Cancelled", [f.cancelled_by_reason[g] for g in REASON_GROUPS]),
                            ("Postponed", [f.postponed_by_reason[g] for g in REASON_GROUPS])],
                  width=chart_w, height=chart_h),
        _grid(["Reason", "Cancelled", "Postponed"],
              [[REASON_LABELS[g], str(f.cancelled_by_reason[g]), str(f.postponed_by_reason[g])] for g in REASON_GROUPS],
              [table_w * 0.44, table_w * 0.28, table_w * 0.28]),
        width))
    story.extend(_section(
        f"At risk ({f.at_risk}) and how they ended",
        bar_chart(labels, [("At risk", [f.at_risk_outcomes[o] for o in OUTCOMES])], width=chart_w, height=chart_h),
        _grid(["Outcome", "At risk"], [[OUTCOME_LABELS[o], str(f.at_risk_outcomes[o])] for o in OUTCOMES]
              + [["No-show follow-ups open / done / cancelled",
                  " / ".join(str(f.follow_ups[s]) for s in ("open", "done", "cancelled"))]],
              [table_w * 0.65, table_w * 0.35]),
        width))
    bands = [key for key, *_ in WAIT_BANDS]
    wait_rows = [[WAIT_BAND_LABELS[b], str(f.wait_bands[b])] for b in bands]
    wait_rows += [["Visitors seen", str(f.waits)], ["Average wait", minutes(f.wait_average)],
                  ["90% seen within", minutes(f.wait_p90)]]
    if _by_station(report):
        wait_rows += [[f"{s.code} average / 90%", f"{minutes(s.figures.wait_average)} / {minutes(s.figures.wait_p90)}"]
                      for s in report.stations if s.figures.waits]
    story.extend(_section(
        "Wait from arrival to being seen",
        bar_chart([WAIT_BAND_LABELS[b] for b in bands], [("Visitors", [f.wait_bands[b] for b in bands])],
                  width=chart_w, height=chart_h),
        _grid(["Wait", "Visitors"], wait_rows, [table_w * 0.6, table_w * 0.4]),
        width))
    if _by_station(report):
        use_names = [s.code for s in report.stations]
        room_values = [s.figures.room_utilisation or 0.0 for s in report.stations]
        room_rows = [[s.name, hours(s.figures.room_booked_hours), hours(s.figures.room_open_hours),
                      pct(s.figures.room_utilisation)] for s in report.stations]
    else:
        use_names = [r.name for r in f.rooms]
        room_values = [r.utilisation or 0.0 for r in f.rooms]
        room_rows = [[r.name, hours(r.booked_hours), hours(r.open_hours), pct(r.utilisation)] for r in f.rooms]
    room_rows.append(["All rooms", hours(f.room_booked_hours), hours(f.room_open_hours), pct(f.room_utilisation)])
    story.extend(_section(
        "Room utilisation",
        bar_chart(use_names, [("Utilisation", room_values)], width=chart_w, height=chart_h, percent=True),
        _grid(["Station" if _by_station(report) else "Room", "Booked", "Open", "Used"], room_rows,
              [table_w * 0.4, table_w * 0.2, table_w * 0.2, table_w * 0.2]),
        width))
    if _by_station(report):
        officer_names = [s.code for s in report.stations]
        duty = [s.figures.duty_hours for s in report.stations]
        used = [s.figures.appointment_hours for s in report.stations]
        officer_rows = [[s.name, hours(s.figures.appointment_hours), hours(s.figures.duty_hours),
                         pct(s.figures.officer_hours_used)] for s in report.stations]
    else:
        officer_names = [o.label.split(" ")[1] for o in f.officers]  # collar numbers under the bars
        duty = [o.duty_hours for o in f.officers]
        used = [o.appointment_hours for o in f.officers]
        officer_rows = [[o.label, hours(o.appointment_hours), hours(o.duty_hours), pct(o.used)] for o in f.officers]
    officer_rows.append(["All officers", hours(f.appointment_hours), hours(f.duty_hours), pct(f.officer_hours_used)])
    story.extend(_section(
        "Officer hours on appointment duty",
        bar_chart(officer_names, [("On duty (h)", duty), ("In appointments (h)", used)], width=chart_w,
                  height=chart_h, value_format="%.0f"),
        _grid(["Station" if _by_station(report) else "Officer", "Appts", "Duty", "Used"], officer_rows,
              [table_w * 0.46, table_w * 0.18, table_w * 0.18, table_w * 0.18]),
        width))
    weeks = [f"{w.day} {w:%b}" for w in report.weeks]
    lines = [(s.code, [w.average for w in s.figures.satisfaction]) for s in report.stations]
    if _by_station(report):
        lines.append(("All", [w.average for w in f.satisfaction]))
    story.extend(_section(
        "Satisfaction by week (average rating, 1–5)",
        line_chart(weeks, lines, width=chart_w, height=chart_h),
        _grid(["Week of", "Ratings", "Average", "4 or 5"],
              [[f"{w.week_start.day} {w.week_start:%b}", str(w.responses), rating(w.average), str(w.satisfied)]
               for w in f.satisfaction],
              [table_w * 0.31, table_w * 0.23, table_w * 0.23, table_w * 0.23]),
        width))
    if _by_station(report):
        story += [Paragraph(markup("Stations side by side"), styles["h2"]), _grid(
            ["Station", "Booked", "Kept", "Postponed", "Cancelled", "No-show", "Avg wait", "90% within",
             "Rating"],
            [[s.name, str(s.figures.booked), pct(s.figures.kept_rate), str(s.figures.postponed),
              str(s.figures.cancelled), str(s.figures.no_show), minutes(s.figures.wait_average),
              minutes(s.figures.wait_p90), rating(s.figures.feedback_average)] for s in report.stations],
            [width * 0.16] + [width * 0.105] * 8)]
    story += [Spacer(1, 4 * mm), Paragraph(markup("How the figures are counted"), styles["h2"]),
              Paragraph(markup(DEFINITIONS), styles["small"])]
    stamp = local(printed_at)
    return _render(story, pagesize=pagesize, title=f"Appointments report {report.scope_label}", marking=marking,
                   running_head=f"Appointments report — {report.scope_label} — {period_label(report)}",
                   footer=f"Produced by {generated_by} · {stamp.day} {stamp:%b %Y %H:%M}")


def _status_label(status: str) -> str:
    try:
        return STATUS_LABELS[Status(status)]
    except ValueError:
        return status


def build_appointments_pdf(views: Sequence[AppointmentView], title: str, marking: str, printed_by: str,
                           printed_at: datetime, period: str = "") -> bytes:
    """The appointments behind a figure: one line each (names visitors: a disclosure)."""
    styles = _styles()
    pagesize = landscape(A4)
    width = pagesize[0] - 28 * mm
    header = ["Reference", "Date", "Time", "Station", "Room", "Officer", "Status", "Visitor", "Wait"]
    rows = []
    for v in views:
        wait = wait_minutes_of(v)
        status = _status_label(v.status)
        rows.append([v.reference, f"{local(v.start):%a %d %b %Y}", f"{hhmm(v.start)}–{hhmm(v.end)}",
                     v.station_code, v.room_name, v.officer_label if v.officer_id else "", status,
                     v.visitor_name or "", "" if wait is None else f"{wait} min"])
    widths = [0.09, 0.12, 0.09, 0.06, 0.12, 0.18, 0.09, 0.18, 0.07]
    story: list[Flowable] = [
        Paragraph(markup(title), styles["title"]),
        Paragraph(markup(f"{len(views)} appointments" + (f" · {period}" if period else "")), styles["subtitle"]),
        Spacer(1, 3 * mm),
        _grid(header, rows, [width * w for w in widths], numeric_from=len(header) - 1),
    ]
    stamp = local(printed_at)
    return _render(story, pagesize=pagesize, title=title, marking=marking, running_head=title,
                   footer=f"Contains personal data · produced by {printed_by} · {stamp.day} {stamp:%b %Y %H:%M}")
