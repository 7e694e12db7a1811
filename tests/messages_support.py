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
    slots = find_slots(ctx, actor, SlotNeeds(), start_day=start_day, days=1, limit=pick + 1,
                       station_codes=[actor.station_code] if actor.station_code else None)
    slot = slots[pick]
    details.setdefault("visitor_phone", "07700 900123")
    return book(ctx, actor, BookingRequest.for_slot(slot, details.pop("name", "Test Visitor"), **details))
