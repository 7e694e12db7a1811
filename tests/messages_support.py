"""What the visitor-message tests share: settings for the fake Notify, a centre beside a station,
and bookings made through the real station commands and pushed by a real sync."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select

from frontcounter.db.engine import make_engine
from frontcounter.db.models import VisitorMessage
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.messages.kinds import all_kinds
from frontcounter.services.messages.notify import NotifyGateway
from frontcounter.services.messages.settings import NotifySettings, parse_settings
from frontcounter.services.messages.worker import Worker
from frontcounter.services.scheduling.booking import BookingRequest, book
from frontcounter.services.scheduling.slots import SlotNeeds, find_slots
from frontcounter.services.sync.station import sync_once
from tests.notify_fake import API_KEY, FakeNotify


def template_id(kind: str, channel: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}/{channel}"))


def notify_settings(base_url: str, **extra: Any) -> NotifySettings:
    return parse_settings({"base_url": base_url, "reminder_hours": [24, 2],
                           "templates": {k: {c: template_id(k, c) for c in ("sms", "email")}
                                         for k in all_kinds((24, 2))},
                           "timeout_seconds": 0.5, "backoff_seconds": 30, **extra})


@dataclass
class Centre:
    station: StationRuntime
    engine: Engine
    ctx: ServiceContext
    clock: FixedClock
    fake: FakeNotify

    def worker(self, **extra: Any) -> Worker:
        settings = notify_settings(self.fake.base_url, **extra)
        return Worker(self.ctx, settings, NotifyGateway(settings, API_KEY), sleep=lambda _s: None)

    def sync(self) -> None:
        sync_once(self.station.engine, self.engine, self.station.ctx.station_code or "", clock=self.clock)

    def messages(self, appointment_id: uuid.UUID | None = None) -> list[VisitorMessage]:
        with self.ctx.read() as s:
            query = select(VisitorMessage).order_by(VisitorMessage.created_at, VisitorMessage.kind)
            if appointment_id is not None:
                query = query.where(VisitorMessage.appointment_id == appointment_id)
            return list(s.scalars(query))


def centre_beside(station: StationRuntime, clock: FixedClock, fake: FakeNotify, url: str | None = None) -> Centre:
    engine = make_engine(url or station.settings.central_url or "")
    ctx = ServiceContext(engine=engine, clock=clock, mode="central", workstation="centre")
    return Centre(station, engine, ctx, clock, fake)


def book_here(ctx: ServiceContext, actor: Actor, *, days_ahead: int = 1, pick: int = 0, **details: Any) -> AppointmentView:
    """A booking through the real command, in a free slot ``days_ahead`` days from now."""
    start_day = (ctx.clock.now() + timedelta(days=days_ahead)).date()
    slots = find_slots(ctx, actor, SlotNeeds(), start_day=start_day, days=3, limit=pick + 1,
                       station_codes=[actor.station_code] if actor.station_code else None)
    slot = slots[pick]
    details.setdefault("visitor_phone", "07700 900123")
    return book(ctx, actor, BookingRequest.for_slot(slot, details.pop("name", "Test Visitor"), **details))


#: A visitor who said "do not text": email is fine, and phoning without a voicemail.
NO_TEXTS: dict[str, Any] = {"contact_may_text": False, "contact_may_email": True,
                            "contact_email_address": "safe@example.org", "contact_may_phone": True,
                            "visitor_phone": "07700 900555"}
#: A visitor who wants nothing sent at all: only their person of choice.
NOTHING: dict[str, Any] = {"contact_via_person_only": True, "visitor_phone": "07700 900666",
                           "person_of_choice": "Support worker"}
IMPORT_HEADER = ("external_id,station,start,duration_minutes,room,officer,reason,channel,crime_reference,"
                 "visitor_name,phone,email,address,safe_contact,preferred_language,interpreter_language,"
                 "needs_step_free,needs_hearing_loop,access_needs,person_of_choice,vulnerability_flags,notes,"
                 "may_text,may_email,may_phone,may_voicemail,only_via_person_of_choice,text_number,message_email")


def forbid_texts_on_every_path(centre: Centre, tmp: Any) -> dict[str, uuid.UUID]:
    """Book, reschedule, import and put at risk appointments of visitors who forbid texts, by the
    station's commands (pushed by a sync) and the FCR's at the centre; run the worker; return them."""
    from frontcounter.db.models import Appointment
    from frontcounter.services.scheduling import changes, importer
    from tests.sync_support import actor_in, edit

    station_ctx = centre.station.ctx
    counter, supervisor = actor_in(station_ctx, "counter.HH"), actor_in(station_ctx, "supervisor.HH")
    made: dict[str, uuid.UUID] = {}
    made["booking"] = book_here(station_ctx, counter, pick=0, **NO_TEXTS).id
    made["booking, nothing allowed"] = book_here(station_ctx, counter, pick=0, **NOTHING).id
    moving = book_here(station_ctx, counter, pick=0, **NO_TEXTS)
    slots = find_slots(station_ctx, counter, SlotNeeds(), start_day=moving.start.date(), days=1, limit=6)
    made["reschedule"] = changes.reschedule(station_ctx, supervisor, moving.id, slots[-1], "visitor_request").id
    import_slot = slots[-2]
    path = tmp / "cad.csv"
    path.write_text(IMPORT_HEADER + "\n" + (
        f"CAD-NT-1,HH,{import_slot.start.isoformat()},60,,,victim_update,,,Imported Visitor,07700 900444,"
        "imp@example.org,,Do not text,,,,,,,,,no,yes,yes,no,no,,") + "\n", encoding="utf-8")
    report = importer.import_file(station_ctx, supervisor, path)
    assert not report.rejected, [p.describe() for p in report.rejected]
    with station_ctx.read() as s:
        made["import"] = s.scalars(select(Appointment.id).where(Appointment.external_id == "CAD-NT-1")).one()
    risky = book_here(station_ctx, counter, pick=0, **NO_TEXTS)
    edit(station_ctx, supervisor, risky.id, "appointment.at_risk", at_risk=True,
         at_risk_reason="Officer pulled away; no other officer on duty")
    made["at risk (station)"] = risky.id
    centre.sync()
    fcr = actor_in(centre.ctx, "fcr.HH")
    central = book_here(centre.ctx, fcr, pick=0, **NO_TEXTS)
    made["booking at the centre"] = central.id
    edit(centre.ctx, fcr, central.id, "appointment.at_risk", at_risk=True, at_risk_reason="Officer pulled away")
    nobody = book_here(centre.ctx, fcr, pick=0, **NOTHING)
    edit(centre.ctx, fcr, nobody.id, "appointment.at_risk", at_risk=True, at_risk_reason="Officer pulled away")
    made["at risk, nothing allowed"] = nobody.id
    for _ in range(3):
        centre.worker().run_once()
    return made
