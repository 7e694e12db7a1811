"""Reports leaving the screen: CSV and PDF (with its charts), and the JSON the CLI prints.

Two kinds of export, audited differently (DPA 2018 s.62):

- **the report** (aggregates: counts, hours, averages, officers' hours) names no visitor, so
  exporting it needs ``export_reports`` but is not a disclosure of personal data and is not audited;
- **a drill-down list** (the appointments behind a figure) names visitors, so exporting it is a
  disclosure, audited with the figure, the number of appointments and the destination.

The builders (``report_csv``, ``build_report_pdf``, ``appointments_csv``, ``build_appointments_pdf``)
are pure: data in, bytes or text out, no database, safe on a worker thread. CSV cells that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) are quoted with a leading apostrophe.
Every PDF page carries the protective marking at its head and foot (``ctx.policy``).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Literal

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
from frontcounter.services.actor import Actor
from frontcounter.services.appointments import AppointmentView
from frontcounter.services.clock import local
from frontcounter.services.commands import audit, guard
from frontcounter.services.context import ServiceContext
from frontcounter.services.pdf_bidi import BidiParagraph
from frontcounter.services.pdf_fonts import fonts, has_rtl, markup
from frontcounter.services.pdf_pages import page_counting_canvas
from frontcounter.services.permissions import Action
from frontcounter.services.reports import (
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
    wait_minutes_of,
)
from frontcounter.services.status import LABELS as STATUS_LABELS

Format = Literal["csv", "pdf"]

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


# --- Formatting ------------------------------------------------------------------------------


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def minutes(value: float | int | None) -> str:
    return "–" if value is None else (f"{value:.1f} min" if isinstance(value, float) else f"{value} min")


def rating(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def hours(value: float) -> str:
    return f"{value:.0f} h" if value >= 100 else f"{value:.1f} h"


def _bare(value: float | int | None) -> str:
    return "–" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))


def _number(value: float | int | None, places: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{round(value, places)}"


# --- JSON (the CLI) and CSV --------------------------------------------------------------------


def figures_json(f: Figures) -> dict[str, Any]:
    """Every figure of one scope as plain JSON values (ratios 0–1, hours, minutes)."""
    return {
        "booked": f.booked,
        "outcomes": dict(f.outcomes),
        "kept_rate": f.kept_rate,
        "cancelled_by_reason": dict(f.cancelled_by_reason),
        "postponed_by_reason": dict(f.postponed_by_reason),
        "at_risk": {"total": f.at_risk, "outcomes": dict(f.at_risk_outcomes)},
        "no_show_follow_ups": dict(f.follow_ups),
        "waits": {"seen": f.waits, "average_minutes": f.wait_average, "p90_minutes": f.wait_p90,
                  "bands": f.wait_bands},
        "rooms": [{"room": r.name, "station": r.station_code, "booked_hours": r.booked_hours,
                   "open_hours": r.open_hours, "utilisation": r.utilisation, "appointments": r.appointments}
                  for r in f.rooms],
        "room_utilisation": f.room_utilisation,
        "officers": [{"officer": o.label, "station": o.station_code, "appointment_hours": o.appointment_hours,
                      "duty_hours": o.duty_hours, "used": o.used} for o in f.officers],
        "officer_hours_used": f.officer_hours_used,
        "satisfaction": {
            "responses": f.feedback_responses, "average": f.feedback_average,
            "satisfied_rate": f.feedback_satisfied_rate,
            "weeks": [{"week_start": w.week_start.isoformat(), "responses": w.responses, "average": w.average,
                       "satisfied": w.satisfied} for w in f.satisfaction],
        },
    }


def report_json(report: Report) -> dict[str, Any]:
    return {
        "from": report.date_from.isoformat(),
        "to": report.date_to.isoformat(),
        "scope": report.scope_label,
        "station": report.station_code,
        "generated_at": local(report.generated_at).isoformat(),
        "note": report.note,
        "stations": [{"code": s.code, "name": s.name, "figures": figures_json(s.figures)} for s in report.stations],
        "total": figures_json(report.total),
    }


def _figures_text(f: Figures, *, detail: bool = True) -> list[str]:
    cancelled = ", ".join(f"{REASON_LABELS[g].lower()} {f.cancelled_by_reason[g]}" for g in REASON_GROUPS)
    postponed = ", ".join(f"{REASON_LABELS[g].lower()} {f.postponed_by_reason[g]}" for g in REASON_GROUPS)
    at_risk = ", ".join(f"{OUTCOME_LABELS[o].lower()} {f.at_risk_outcomes[o]}" for o in OUTCOMES)
    follow_ups = ", ".join(f"{s} {n}" for s, n in f.follow_ups.items())
    rooms = "; ".join(f"{r.name} {pct(r.utilisation)} ({r.booked_hours:.1f} of {r.open_hours:.1f} h)"
                      for r in f.rooms)
    officers = "; ".join(f"{o.label} {pct(o.used)} ({o.appointment_hours:.1f} of {o.duty_hours:.1f} h)"
                         for o in f.officers)
    weeks = ", ".join(f"{w.week_start.day} {w.week_start:%b} {rating(w.average)} ({w.responses})"
                      for w in f.satisfaction)
    return [
        f"Booked {f.booked} · kept {f.kept} ({pct(f.kept_rate)} of those ended) · postponed {f.postponed} · "
        f"cancelled {f.cancelled} · no-shows {f.no_show} · left unseen {f.outcome('left_unseen')} · "
        f"still open {f.outcome('open')}",
        f"Cancelled by reason: {cancelled}",
        f"Postponed by reason: {postponed}",
        f"At risk {f.at_risk}: {at_risk} · no-show follow-ups: {follow_ups}",
        f"Wait from arrival to being seen: {f.waits} seen, average {minutes(f.wait_average)}, "
        f"90% within {minutes(f.wait_p90)}",
        f"Room utilisation {pct(f.room_utilisation)}" + (f": {rooms or 'no rooms'}" if detail else ""),
        f"Officer hours used {pct(f.officer_hours_used)}" + (f": {officers or 'no duties'}" if detail else ""),
        f"Satisfaction {rating(f.feedback_average)} from {f.feedback_responses} ratings "
        f"({pct(f.feedback_satisfied_rate)} gave 4 or 5); by week: {weeks}",
    ]


def report_text(report: Report) -> list[str]:
    """The report as lines for a terminal: the whole scope, then each station when there are several."""
    lines = [f"{report.scope_label} — {period_label(report)}"]
    if report.note:
        lines.append(f"Note: {report.note}")
    lines += _figures_text(report.total, detail=len(report.stations) == 1)
    if len(report.stations) > 1:
        for station in report.stations:
            lines += ["", f"{station.name} ({station.code})", *_figures_text(station.figures)]
    return lines


CSV_HEADER = ("section", "station", "item", "measure", "value")


def report_rows(report: Report, marking: str) -> list[tuple[str, str, str, str, str]]:
    """The report as tidy rows (one number per row), ready for a spreadsheet's pivot table."""
    rows: list[tuple[str, str, str, str, str]] = [
        ("report", "", "protective_marking", "", marking),
        ("report", "", "from", "date", report.date_from.isoformat()),
        ("report", "", "to", "date", report.date_to.isoformat()),
        ("report", "", "scope", "", report.scope_label),
        ("report", "", "generated_at", "", local(report.generated_at).isoformat(timespec="seconds")),
    ]
    if report.note:
        rows.append(("report", "", "note", "", report.note))
    scopes: list[tuple[str, Figures]] = [(s.code, s.figures) for s in report.stations]
    if len(report.stations) > 1:
        scopes.append(("ALL", report.total))
    for code, f in scopes:
        rows.append(("outcomes", code, "booked", "count", str(f.booked)))
        rows += [("outcomes", code, o, "count", str(f.outcome(o))) for o in OUTCOMES]
        rows.append(("outcomes", code, "kept_rate", "ratio", _number(f.kept_rate)))
        rows += [("cancelled_by_reason", code, g, "count", str(f.cancelled_by_reason[g])) for g in REASON_GROUPS]
        rows += [("postponed_by_reason", code, g, "count", str(f.postponed_by_reason[g])) for g in REASON_GROUPS]
        rows += [("at_risk", code, o, "count", str(f.at_risk_outcomes[o])) for o in OUTCOMES]
        rows += [("no_show_follow_ups", code, s, "count", str(n)) for s, n in f.follow_ups.items()]
        rows += [
            ("waits", code, "seen", "count", str(f.waits)),
            ("waits", code, "average", "minutes", _number(f.wait_average, 2)),
            ("waits", code, "p90", "minutes", _number(f.wait_p90)),
        ]
        rows += [("wait_bands", code, band, "count", str(n)) for band, n in f.wait_bands.items()]
        for r in f.rooms:
            rows += [("rooms", code, r.name, "booked_hours", _number(r.booked_hours, 2)),
                     ("rooms", code, r.name, "open_hours", _number(r.open_hours, 2)),
                     ("rooms", code, r.name, "utilisation", _number(r.utilisation))]
        rows.append(("rooms", code, "all rooms", "utilisation", _number(f.room_utilisation)))
        for o in f.officers:
            rows += [("officers", code, o.label, "appointment_hours", _number(o.appointment_hours, 2)),
                     ("officers", code, o.label, "duty_hours", _number(o.duty_hours, 2)),
                     ("officers", code, o.label, "used", _number(o.used))]
        rows.append(("officers", code, "all officers", "used", _number(f.officer_hours_used)))
        for w in f.satisfaction:
            week = w.week_start.isoformat()
            rows += [("satisfaction", code, week, "responses", str(w.responses)),
                     ("satisfaction", code, week, "average", _number(w.average, 2)),
                     ("satisfaction", code, week, "satisfied", str(w.satisfied))]
        rows += [("satisfaction", code, "period", "responses", str(f.feedback_responses)),
                 ("satisfaction", code, "period", "average", _number(f.feedback_average, 2))]
    return rows


def _safe_cell(value: str) -> str:
    """Stop a spreadsheet running a cell as a formula (CSV injection)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[_safe_cell(c) for c in row] for row in rows])
    return out.getvalue()


def report_csv(report: Report, marking: str) -> str:
    """The marking on the first line (as every export carries it), then the tidy rows."""
    return f"{marking}\r\n" + _csv(CSV_HEADER, report_rows(report, marking))


APPOINTMENT_HEADER = ("reference", "station", "date", "start", "end", "status", "room", "officer", "visitor_name",
                      "channel", "reason", "cancel_reason", "at_risk", "arrived", "seen", "wait_minutes")


def appointment_row(v: AppointmentView) -> list[str]:
    wait = wait_minutes_of(v)
    return [
        v.reference, v.station_code, f"{local(v.start):%Y-%m-%d}", f"{local(v.start):%H:%M}",
        f"{local(v.end):%H:%M}", v.status, v.room_name, v.officer_label if v.officer_id else "",
        v.visitor_name or "", v.channel, v.reason, v.cancel_reason or "", "yes" if v.at_risk else "",
        f"{local(v.arrived_at):%H:%M}" if v.arrived_at else "", f"{local(v.seen_at):%H:%M}" if v.seen_at else "",
        "" if wait is None else str(wait),
    ]


def appointments_csv(views: Sequence[AppointmentView], marking: str, title: str) -> str:
    """One row per appointment, under the protective marking and the figure's title."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([marking])
    writer.writerow([_safe_cell(title)])
    writer.writerow(APPOINTMENT_HEADER)
    writer.writerows([[_safe_cell(c) for c in appointment_row(v)] for v in views])
    return out.getvalue()


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
    if text and has_rtl(text):  # wrapped in reading order, each line in display order (pdf_bidi)
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
        rows.append([v.reference, f"{local(v.start):%a %d %b %Y}", f"{local(v.start):%H:%M}–{local(v.end):%H:%M}",
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


# --- Services: permission, build, audit ----------------------------------------------------------


def export_report(ctx: ServiceContext, actor: Actor, report: Report, fmt: Format) -> bytes:
    """The report as CSV or PDF (``export_reports``). Aggregates only: not a disclosure, not audited."""
    guard(ctx, actor, Action.EXPORT_REPORTS, action="report.export", record=f"report:{report.station_code or 'all'}")
    marking = ctx.policy.protective_marking
    if fmt == "csv":
        return report_csv(report, marking).encode("utf-8-sig")  # the BOM makes Excel read UTF-8
    return build_report_pdf(report, marking, actor.display_name, ctx.clock.now())


def export_appointments(
    ctx: ServiceContext,
    actor: Actor,
    views: Sequence[AppointmentView],
    fmt: Format,
    *,
    figure_key: str,
    title: str,
    date_from: date,
    date_to: date,
    destination: str | None = None,
    deliver: Callable[[bytes], object] | None = None,
) -> bytes:
    """A drill-down list as CSV or PDF: visitors' names leave the system, so it is a disclosure.

    With ``deliver`` (a whole-file write) the disclosure is audited only once the file is whole.
    """
    record = f"report:{figure_key[:100]}"
    guard(ctx, actor, Action.EXPORT_REPORTS, action="report.export_appointments", record=record)
    station_ids: set[uuid.UUID] = {v.station_id for v in views}
    for station_id in station_ids:
        guard(ctx, actor, Action.EXPORT_REPORTS, station_id=station_id, action="report.export_appointments",
              record=record)
    marking = ctx.policy.protective_marking
    if fmt == "csv":
        data = appointments_csv(views, marking, title).encode("utf-8-sig")
    else:
        first, last = date_from, date_to
        period = (f"{first:%a} {first.day} {first:%b %Y}" if first == last else
                  f"{first:%a} {first.day} {first:%b %Y} – {last:%a} {last.day} {last:%b %Y}")
        data = build_appointments_pdf(views, title, marking, actor.display_name, ctx.clock.now(), period)
    if deliver is not None:
        deliver(data)
    audit(ctx, actor, category="disclosure", action="report.export_appointments", record=record,
          details={"format": fmt, "appointments": len(views), "from": date_from.isoformat(),
                   "to": date_to.isoformat(), "destination": destination,
                   "references": [v.reference for v in views[:200]]})
    return data
