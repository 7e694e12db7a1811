"""The report as text: figures formatted for people, JSON (what the CLI prints), plain text and CSV.

Pure, no ReportLab. CSV cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
``@``) are quoted with a leading apostrophe. The PDF is in ``pdf``, the audited exports in ``export``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import hhmm, local
from frontcounter.services.reports.drill_down import wait_minutes_of
from frontcounter.services.reports.model import (
    OUTCOME_LABELS,
    OUTCOMES,
    REASON_GROUPS,
    REASON_LABELS,
    Figures,
    Report,
    period_label,
)

CSV_HEADER = ("section", "station", "item", "measure", "value")
APPOINTMENT_HEADER = ("reference", "station", "date", "start", "end", "status", "room", "officer", "visitor_name",
                      "channel", "reason", "cancel_reason", "at_risk", "arrived", "seen", "wait_minutes")


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


def appointment_row(v: AppointmentView) -> list[str]:
    wait = wait_minutes_of(v)
    return [
        v.reference, v.station_code, f"{local(v.start):%Y-%m-%d}", hhmm(v.start),
        hhmm(v.end), v.status, v.room_name, v.officer_label if v.officer_id else "",
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
