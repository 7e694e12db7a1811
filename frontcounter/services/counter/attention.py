"""The "needs attention" list: changes the centre rejected or a sync rule flagged.

The centre writes each item when it answers a push (frontcounter/services/sync/centre.py); the pull
brings the station's items here. A supervisor reads them and settles each with a note; settling
is a command like any other, so it reaches the centre and every other counter PC by sync.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from frontcounter.db.models import Appointment, AttentionItem, Station
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
        return [
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
    """How many items wait for a supervisor (the navigation's badge; no case content)."""
    with ctx.read() as s:
        station_id = s.scalar(select(Station.id).where(Station.code == (station_code or ctx.station_code)))
        return int(s.scalar(
            select(func.count()).select_from(AttentionItem).where(
                AttentionItem.station_id == station_id, AttentionItem.settled_at.is_(None),
                AttentionItem.deleted.is_(False))
        ) or 0)


def settle(ctx: ServiceContext, actor: Actor, item_id: uuid.UUID, note: str) -> AttentionView:
    """Record what the supervisor did about an item (command "attention.settle")."""
    note = note.strip()
    if not note:
        raise ValidationError("Say what was done (for example: 'Visitor rebooked for Tuesday 18:00').")
    with ctx.read() as s:
        item = s.get(AttentionItem, item_id)
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
