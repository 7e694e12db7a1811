"""The officer's briefing: everything they need before the visitor arrives, under the protective marking.

``build_briefing_pdf`` lays out the data it is given (pure ReportLab, safe on any thread);
``briefing_pdf`` checks the actor's permission, loads the data, builds and audits the document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Spacer,
    Table,
    TableStyle,
)

from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import local
from frontcounter.services.core.commands import append_audit, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.permissions import Action
from frontcounter.services.documents import contents as briefing
from frontcounter.services.documents.contents import BriefingData
from frontcounter.services.documents.layout import (
    _FACTS_LOOK,
    _NEEDS_LOOK,
    Destination,
    QrCode,
    _Furniture,
    _Grid,
    _grid,
    _heading,
    _output_event,
    _render,
    _when,
)
from frontcounter.services.documents.text import (
    para,
    rich,
)


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


def briefing_pdf(ctx: ServiceContext, actor: Actor, ref: str, recipient: str | None = None, *,
                 destination: Destination = "file") -> bytes:
    """The briefing for ``ref``. Printing or saving needs ``print_briefing`` and is a disclosure;
    ``destination="screen"`` (the preview) needs only ``read_briefing``.

    A print is recorded as the consultation and the disclosure in one transaction, once the PDF
    is built and before it is returned: one durable write instead of two (on a station PC the
    fsync of a commit is most of the call's time).
    """
    if destination == "screen":
        data = briefing.load_briefing(ctx, actor, ref)  # records the consultation
        return build_briefing_pdf(data, ctx.policy.protective_marking, actor.display_name, ctx.clock.now())
    guard(ctx, actor, Action.PRINT_BRIEFING, action="briefing.print", record=briefing.record_for(ref))
    data, station_id = briefing.fetch_briefing(ctx, actor, ref)
    record = f"appointment:{data.reference}"
    guard(ctx, actor, Action.PRINT_BRIEFING, station_id=station_id, action="briefing.print", record=record)
    pdf = build_briefing_pdf(data, ctx.policy.protective_marking, actor.display_name, ctx.clock.now())
    with ctx.write.begin() as session:
        append_audit(session, ctx, actor, category="consultation", action="briefing.open", record=record)
        append_audit(session, ctx, actor, record=record, **_output_event("briefing", destination, recipient))
    return pdf
