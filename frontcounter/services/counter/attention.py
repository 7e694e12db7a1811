"""The "needs attention" list: changes the centre rejected or a sync rule flagged, and
appointments at risk (their officer was pulled away and no one is assigned yet).

The centre writes each item when it answers a push (frontcounter/services/sync/centre.py); the pull
brings the station's items here. A supervisor reads them and settles each with a note; settling
is a command like any other, so it reaches the centre and every other counter PC by sync.

An at-risk appointment is not a stored item: it is listed (kind ``at_risk``, keyed by the
appointment) while the flag stands, and leaves the list when an officer is assigned — assigning,
not a note, is what settles it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from frontcounter.db.models import Appointment, AttentionItem, Station, Status
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.commands import command, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import NotFound, ValidationError
from frontcounter.services.core.permissions import Action


@dataclass(frozen=True, slots=True)
class AttentionView:
    id: uuid.UUID
    kind: str  # "rejected" or "flagged"
    message: str
    created_at: datetime
    appointment_id: uuid.UUID | None
    reference: str | None
    appointment_start: datetime | None
    settled_at: datetime | None
    settled_by: str | None
    settlement: str | None

    @property
    def open(self) -> bool:
        return self.settled_at is None


#: How far ahead an at-risk appointment is listed (the visitor must be contacted before they travel).
AT_RISK_DAYS = 14
_REMAINING = (Status.BOOKED.value, Status.ARRIVED.value)


def _at_risk_query(station_id: uuid.UUID | None, now: datetime) -> Any:
    return select(Appointment).where(
        Appointment.station_id == station_id, Appointment.at_risk.is_(True), Appointment.deleted.is_(False),
        Appointment.status.in_(_REMAINING), Appointment.end_at > now,
        Appointment.start_at < now + timedelta(days=AT_RISK_DAYS))


def _at_risk_item(appt: Appointment, now: datetime) -> AttentionView:
    waiting = " The visitor is here, waiting." if appt.status == Status.ARRIVED.value else ""
    why = f" ({appt.at_risk_reason})" if appt.at_risk_reason else ""
    message = (f"AT RISK: no officer covers {appt.reference}{why}.{waiting} Assign an officer "
               "(Day board › the appointment › Assign officer), or contact the visitor.")
    return AttentionView(appt.id, "at_risk", message, appt.updated_at or now, appt.id, appt.reference,
                         appt.start_at, None, None, None)


def _station_id(ctx: ServiceContext, actor: Actor) -> uuid.UUID | None:
    if actor.station_id is not None:
        return actor.station_id
    with ctx.read() as s:
        return s.scalar(select(Station.id).where(Station.code == ctx.station_code))


def list_items(ctx: ServiceContext, actor: Actor, *, include_settled: bool = False) -> list[AttentionView]:
    """This station's items, open ones first, newest first (settling needs the same permission)."""
    station_id = _station_id(ctx, actor)
    guard(ctx, actor, Action.SETTLE_ATTENTION, station_id=station_id, action="attention.list")
    with ctx.read() as s:
        query = select(AttentionItem, Appointment.reference, Appointment.start_at).outerjoin(
            Appointment, Appointment.id == AttentionItem.appointment_id
        ).where(AttentionItem.station_id == station_id, AttentionItem.deleted.is_(False))
        if not include_settled:
            query = query.where(AttentionItem.settled_at.is_(None))
        rows = s.execute(query.order_by(AttentionItem.settled_at.is_not(None), AttentionItem.created_at.desc(),
                                        AttentionItem.version.desc())).all()
        now = ctx.clock.now()
        at_risk = [_at_risk_item(a, now) for a in s.scalars(
            _at_risk_query(station_id, now).order_by(Appointment.start_at, Appointment.reference))]
        return at_risk + [
            AttentionView(item.id, item.kind, item.message, item.created_at, item.appointment_id,
                          reference or _reference_in(item.message), start, item.settled_at, item.settled_by,
                          item.settlement)
            for item, reference, start in rows
        ]


_REFERENCE = re.compile(r"\b[A-Z]{2}-[0-9A-Z]{4,6}\b")


def _reference_in(message: str) -> str | None:
    """A rejected booking never existed here, so its reference survives only in the message."""
    found = _REFERENCE.search(message)
    return found.group(0) if found else None


def open_count(ctx: ServiceContext, station_code: str | None = None) -> int:
    """How many items wait for a supervisor, at-risk appointments included (the navigation's
    badge; no case content)."""
    with ctx.read() as s:
        station_id = s.scalar(select(Station.id).where(Station.code == (station_code or ctx.station_code)))
        stored = int(s.scalar(
            select(func.count()).select_from(AttentionItem).where(
                AttentionItem.station_id == station_id, AttentionItem.settled_at.is_(None),
                AttentionItem.deleted.is_(False))
        ) or 0)
        at_risk = int(s.scalar(
            select(func.count()).select_from(_at_risk_query(station_id, ctx.clock.now()).subquery())) or 0)
        return stored + at_risk


def settle(ctx: ServiceContext, actor: Actor, item_id: uuid.UUID, note: str) -> AttentionView:
    """Record what the supervisor did about an item (command "attention.settle")."""
    note = note.strip()
    if not note:
        raise ValidationError("Say what was done (for example: 'Visitor rebooked for Tuesday 18:00').")
    with ctx.read() as s:
        item = s.get(AttentionItem, item_id)
        if item is None and s.get(Appointment, item_id) is not None:
            raise ValidationError("An appointment at risk is settled by assigning an officer to it, not by a note.")
        if item is None or item.deleted:
            raise NotFound("That item is no longer in the list.")
        station_id = item.station_id
    guard(ctx, actor, Action.SETTLE_ATTENTION, station_id=station_id, action="attention.settle",
          record=f"attention:{item_id}")
    with command(ctx, actor, category="alteration", action="attention.settle",
                 record=f"attention:{item_id}") as scope:
        row = scope.session.get_one(AttentionItem, item_id)
        if row.settled_at is not None:
            raise ValidationError(f"Already settled by {row.settled_by}.")
        base = row.version
        row.settled_at, row.settled_by, row.settlement = scope.now, actor.username, note[:2000]
        scope.changed(row, "attention.settle", base_version=base,
                      changes={"settled_at": row.settled_at, "settled_by": row.settled_by,
                               "settlement": row.settlement})
        reference = start = None
        if row.appointment_id is not None:
            appt = scope.session.get(Appointment, row.appointment_id)
            if appt is not None:
                reference, start = appt.reference, appt.start_at
        return AttentionView(row.id, row.kind, row.message, row.created_at, row.appointment_id, reference, start,
                             row.settled_at, row.settled_by, row.settlement)
