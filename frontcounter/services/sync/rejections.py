"""Changes this station made that the centre refused: kept, listed, fixed and sent again.

Whatever the centre refuses, for whatever reason, the station keeps the row and the command
(frontcounter/services/sync/push.py sets a refused new record aside instead of deleting it). This
module is the clerk's side of that promise: ``list_not_accepted`` shows each refused record with
the centre's words and what in its text cannot be stored; ``resend`` applies the clerk's fixes
and queues the record again as one command (one audit event, one outbox entry that names the
refused ops, so the centre settles their "needs attention" items once it accepts it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontcounter.db.models import Appointment, OutboxEntry, SyncedMixin
from frontcounter.services.core import text_rules
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.commands import command, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import NotFound, ValidationError
from frontcounter.services.core.permissions import Action, allowed
from frontcounter.services.core.rowcodec import decode_changes
from frontcounter.services.core.sealing import CONFIDENTIAL_FIELDS
from frontcounter.services.sync.centre import MODELS_BY_TABLE

#: The outbox state of a refused entry once its record was sent again.
RESENT = "resent"
#: Fields only roles that read the confidential notes may see or fix (stored sealed since issue
#: 21, so a refusal of their text can only come from a row stored in clear before the upgrade).
CONFIDENTIAL = frozenset(CONFIDENTIAL_FIELDS)
#: Text a clerk may correct here (the appointment's free text; the slot is rebooked elsewhere).
FIXABLE = frozenset(text_rules.FIELD_LABELS) - {"name", "address", "display_name", "message", "settlement"}


@dataclass(frozen=True, slots=True)
class NotAccepted:
    """One record the centre refused, with everything the clerk needs to put it right."""

    entity: str
    entity_id: uuid.UUID
    #: The refused entries for it, oldest first (a refused booking, then the check-in that needed it).
    op_ids: tuple[uuid.UUID, ...]
    first_seq: int
    action: str
    reference: str | None
    visitor_name: str | None
    start_at: datetime | None
    #: The centre's own words on the first refusal.
    reason: str
    refused_at: datetime | None
    #: A refused new record: kept here, set aside from the day's lists until it is accepted.
    withheld: bool
    #: column -> current text, for the fields that hold something the centre cannot store.
    problems: dict[str, str]
    #: column -> what is wrong with it, in words.
    problem_words: dict[str, str]


def _problems(row: SyncedMixin | None, actor: Actor, station_id: uuid.UUID | None) -> tuple[dict[str, str],
                                                                                          dict[str, str]]:
    texts: dict[str, str] = {}
    words: dict[str, str] = {}
    if row is None:
        return texts, words
    may_read_notes = allowed(actor, Action.READ_BRIEFING, station_id)
    for column in sorted(FIXABLE):
        value = getattr(row, column, None)
        values = value if isinstance(value, list) else [value]
        found = next((p for v in values if isinstance(v, str) and (p := text_rules.problem(v))), None)
        if found is None:
            continue
        shown = "; ".join(str(v) for v in values) if isinstance(value, list) else str(value)
        if column in CONFIDENTIAL and not may_read_notes:
            words[column] = f"{found}; an officer or supervisor must fix it"
            continue
        texts[column] = shown
        words[column] = found
    return texts, words


def _refused(session: Session) -> dict[uuid.UUID, list[OutboxEntry]]:
    entries = session.scalars(select(OutboxEntry).where(OutboxEntry.state == "rejected")
                              .order_by(OutboxEntry.seq)).all()
    grouped: dict[uuid.UUID, list[OutboxEntry]] = {}
    for entry in entries:
        grouped.setdefault(entry.entity_id, []).append(entry)
    return grouped


def _item(session: Session, entries: list[OutboxEntry], actor: Actor) -> NotAccepted:
    first = entries[0]
    model = MODELS_BY_TABLE.get(first.entity)
    row = session.get(model, first.entity_id) if model is not None else None
    appt = row if isinstance(row, Appointment) else None
    texts, words = _problems(row, actor, appt.station_id if appt else actor.station_id)
    return NotAccepted(
        entity=first.entity, entity_id=first.entity_id, op_ids=tuple(e.op_id for e in entries),
        first_seq=first.seq, action=first.op_type, reference=appt.reference if appt else None,
        visitor_name=appt.visitor_name if appt else None, start_at=appt.start_at if appt else None,
        reason=first.result_message or "the centre gave no reason", refused_at=first.acked_at,
        withheld=bool(row is not None and row.deleted and any(e.payload.get("created") for e in entries)),
        problems=texts, problem_words=words,
    )


def list_not_accepted(ctx: ServiceContext, actor: Actor) -> list[NotAccepted]:
    """Every record of this cache the centre refused and nobody has sent again, oldest first."""
    guard(ctx, actor, Action.RESEND_REJECTED, station_id=actor.station_id, action="rejections.list")
    with ctx.read() as s:
        return [_item(s, entries, actor) for entries in _refused(s).values()]


def count_not_accepted(ctx: ServiceContext) -> int:
    """How many records wait to be fixed and resent (the navigation's badge)."""
    with ctx.read() as s:
        return len(_refused(s))


def resend(ctx: ServiceContext, actor: Actor, entity_id: uuid.UUID, fixes: dict[str, str | None]) -> NotAccepted:
    """Apply ``fixes`` (column -> corrected text) and queue the record again (command "rejections.resend").

    A refused new record goes again whole, as it is now (with every later change folded in); a
    refused change goes again with its own fields. Text the centre cannot store is refused here
    with the field named, before anything is queued; a slot someone else has taken meanwhile is
    refused by the database's own guard (DoubleBooking), and the visitor is booked afresh.
    """
    unknown = sorted(set(fixes) - FIXABLE)
    if unknown:
        raise ValidationError(f"These fields cannot be corrected here: {', '.join(unknown)}.")
    with ctx.read() as s:
        entries = _refused(s).get(entity_id)
        if not entries:
            raise NotFound("That record is no longer waiting to be resent.")
        entity, op_type = entries[0].entity, entries[0].op_type
        created = any(e.payload.get("created") for e in entries)
        row = s.get(MODELS_BY_TABLE[entity], entity_id) if entity in MODELS_BY_TABLE else None
        station_id = row.station_id if isinstance(row, Appointment) else actor.station_id
    if row is None:
        raise NotFound("The refused record is no longer in this cache; book it afresh.")
    guard(ctx, actor, Action.RESEND_REJECTED, station_id=station_id, action="rejections.resend",
          record=f"{entity}:{entity_id}")
    if CONFIDENTIAL & set(fixes) and not allowed(actor, Action.READ_BRIEFING, station_id):
        raise ValidationError("Only an officer or supervisor may correct the briefing notes.")
    with command(ctx, actor, category="alteration", action="rejections.resend",
                 record=f"{entity}:{entity_id}") as scope:
        session = scope.session
        refused = [session.get_one(OutboxEntry, e.seq) for e in entries]
        target = session.get_one(MODELS_BY_TABLE[entity], entity_id)
        # A refused change goes again with its own fields (the pull has since restored the row).
        changes = {} if created else _fold_changes(MODELS_BY_TABLE[entity], refused)
        changes.update({column: _as_column_value(target, column, value) for column, value in fixes.items()})
        for column, value in changes.items():
            setattr(target, column, value)
        children = _children(session, refused)
        for kept in (target, *children) if created else children:
            kept.deleted = False  # back from aside; the double-booking guard judges its slot again
        # Every field of what goes again must be storable, not only the ones just corrected.
        for column in sorted(FIXABLE):
            text_rules.check(column, getattr(target, column, None))
        for entry in refused:
            entry.state = RESENT
        scope.changed(target, op_type, base_version=target.version, changes=None if created else changes,
                      created=created, also_created=children, resends=[e.op_id for e in refused])
        session.flush()
        return _item(session, refused, actor)


def _fold_changes(model: type[SyncedMixin], entries: list[OutboxEntry]) -> dict[str, Any]:
    """The fields the refused changes set, later ones winning (as the station meant them)."""
    folded: dict[str, Any] = {}
    for entry in entries:
        folded.update(decode_changes(model, entry.payload.get("row") or {}))  # type: ignore[arg-type]
    for key in ("id", "version", "updated_at"):
        folded.pop(key, None)
    return folded


def _children(session: Session, entries: list[OutboxEntry]) -> list[SyncedMixin]:
    """Rows the refused entries created alongside (a no-show's follow-up), still in this cache."""
    found: list[SyncedMixin] = []
    for entry in entries:
        for child in entry.payload.get("also_created") or []:
            model = MODELS_BY_TABLE.get(child.get("entity", ""))
            row = session.get(model, uuid.UUID(child["row"]["id"])) if model is not None else None
            if row is not None and row not in found:
                found.append(row)
    return found


def _as_column_value(row: SyncedMixin, column: str, value: str | None) -> Any:
    """The clerk's text as the column holds it (lists such as vulnerability flags split on ';')."""
    if isinstance(getattr(row, column, None), list):
        return [part.strip() for part in (value or "").split(";") if part.strip()]
    text = (value or "").strip()
    return text or None
