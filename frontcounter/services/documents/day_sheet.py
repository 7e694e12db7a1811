"""The station's day sheet: every appointment of the day, one row each, for the counter and the rooms.

``build_day_sheet_pdf`` lays out the rows it is given; ``day_sheet_pdf`` checks permission,
loads the day, builds and audits the document."""

from __future__ import annotations

from datetime import date, datetime

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Spacer,
)

from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import hhmm
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.documents import contents as briefing
from frontcounter.services.documents.contents import DaySheetData
from frontcounter.services.documents.fonts import (
    Face,
)
from frontcounter.services.documents.layout import (
    Deliver,
    Destination,
    _Furniture,
    _grid,
    _output,
    _render,
)
from frontcounter.services.documents.text import (
    ALERT,
    para,
    rich,
)


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
            rich([(hhmm(r.start), "bold"), (f"\nto {hhmm(r.end)}", "sans")], "cell")
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


def day_sheet_pdf(ctx: ServiceContext, actor: Actor, day: date, confidential: bool = False, *,
                  station_code: str | None = None, recipient: str | None = None,
                  destination: Destination = "file", deliver: Deliver | None = None) -> bytes:
    """The day sheet of a station (the actor's by default) for ``day`` (``deliver``: see briefing_pdf)."""
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
