"""The visitor's slip: their reference (and its QR code), where and when, and how to change it.

``build_slip_pdf`` lays out the slip; ``slip_pdf`` checks permission, loads, builds and audits."""

from __future__ import annotations

from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import hhmm, local
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.documents import contents as briefing
from frontcounter.services.documents.contents import SlipData
from frontcounter.services.documents.fonts import (
    fonts,
    markup,
)
from frontcounter.services.documents.layout import (
    FEEDBACK,
    FORCE,
    REBOOK,
    Deliver,
    Destination,
    QrCode,
    _Furniture,
    _output,
    _render,
    _stamp,
)
from frontcounter.services.documents.text import (
    NAVY,
    ZEBRA,
    _styles,
    para,
    rich,
)


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


def _joining(slip: SlipData) -> list[Flowable]:
    """A video appointment's joining instructions, in place of the station's address."""
    return [
        para("HOW TO JOIN (VIDEO APPOINTMENT)", "kicker"),
        para(f"By video with an officer from {slip.station_name} police station", "strong"),
        para(slip.meeting_link or "", "value"),
        para("Open the link a few minutes before the time, on a phone, tablet or computer with a camera. "
             "You do not need to come to the station.", "small"),
    ]


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
        para(f"{hhmm(slip.start)} – {hhmm(slip.end)}", "slip_time"),
        Spacer(1, 3 * mm),
        *(_joining(slip) if slip.meeting_link else [
            para("WHERE", "kicker"),
            para(f"{slip.station_name} police station", "strong"),
            para(f"{slip.station_address}, {slip.station_postcode}", "value"),
            para("Please come to the front counter and give your reference.", "small"),
        ]),
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
    # The appointment reference is also the feedback reference (services/counter/feedback.py): a visitor
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


def slip_pdf(ctx: ServiceContext, actor: Actor, ref: str, recipient: str | None = "visitor", *,
             destination: Destination = "file", deliver: Deliver | None = None) -> bytes:
    """The visitor's confirmation slip for ``ref`` (``print_slip``; ``deliver``: see briefing_pdf)."""
    slip = briefing.load_slip(ctx, actor, ref)
    record = f"appointment:{slip.reference}"
    pdf = build_slip_pdf(slip, ctx.policy.protective_marking, ctx.clock.now())
    if deliver is not None:
        deliver(pdf)
    _output(ctx, actor, kind="slip", record=record, destination=destination, recipient=recipient)
    return pdf
