"""The copies of personal data outside an appointment's own row, erased with it (issue 21).

A purge that blanks the appointment row but leaves the visitor in a queued outbox payload, in a
"needs attention" message or in a search typed into the audit log has not erased them. This
module finds those copies:

- **outbox payloads** that carry the appointment (a booking sends the whole row, a contact update
  the changed fields, a reschedule the new row alongside): the personal fields are blanked in
  place, pending or answered, so a booking purged before it was sent reaches the centre already
  erased;
- **attention items** about the appointment: their free text (the message, a supervisor's
  settlement note) is replaced by a neutral line;
- **search queries** in the audit log, typed names and phone numbers: once the personal-data period
  has passed, each is reduced to its kind and length. The audit log is append-only; migration 0006
  lets exactly this one change through and nothing else.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontcounter.db.models import Appointment, AttentionItem, AuditEvent, OutboxEntry
from frontcounter.services.core.appointments import normalise_reference

#: What an erased attention item says instead of its text.
ERASED_NOTE = "Erased: the appointment's personal data passed its retention period."
SEARCH_ACTION = "appointments.search"
_CRIME_REFERENCE = re.compile(r"^\s*\d{1,4}\s*/\s*\d{2,8}\s*/\s*\d{2,4}\s*$")


def _same_id(value: Any, appointment_id: uuid.UUID) -> bool:
    try:
        return uuid.UUID(str(value)) == appointment_id
    except ValueError:
        return False


def _blank(row: dict[str, Any], personal: dict[str, Any]) -> bool:
    touched = False
    for name, erased in personal.items():
        if name in row and row[name] != erased:
            row[name] = erased
            touched = True
    return touched


def _blank_entry(entry: OutboxEntry, erased: set[uuid.UUID], personal: dict[str, Any]) -> bool:
    payload = dict(entry.payload or {})
    touched = False
    if entry.entity_id in erased and isinstance(payload.get("row"), dict):
        row = dict(payload["row"])
        touched |= _blank(row, personal)
        payload["row"] = row
    children = []
    for child in payload.get("also_created") or []:
        child = dict(child)
        row = dict(child.get("row") or {})
        if child.get("entity") == "appointments" and any(_same_id(row.get("id"), e) for e in erased):
            touched |= _blank(row, personal)
            child["row"] = row
        children.append(child)
    if "also_created" in payload:
        payload["also_created"] = children
    if touched:
        entry.payload = payload  # a new dict: the JSON column sees the change
    return touched


def blank_outbox_payloads(session: Session, appointment_id: uuid.UUID, personal: dict[str, Any]) -> int:
    """Blank ``personal`` fields in the appointment's own outbox entries (by the indexed entity
    id), inside its erasure command; returns how many changed."""
    entries = session.scalars(select(OutboxEntry).where(OutboxEntry.entity == "appointments",
                                                        OutboxEntry.entity_id == appointment_id))
    return sum(_blank_entry(entry, {appointment_id}, personal) for entry in entries)


def blank_rows_created_alongside(session: Session, personal: dict[str, Any]) -> int:
    """Blank erased appointments carried as rows created alongside another entry's (a
    reschedule's new appointment): one pass over the outbox per purge run, not one per row."""
    erased = {row_id for row_id in session.scalars(select(Appointment.id).where(Appointment.purged_at.is_not(None)))}
    if not erased:
        return 0
    entries = session.scalars(select(OutboxEntry).where(OutboxEntry.entity == "appointments"))
    return sum(_blank_entry(entry, erased, personal) for entry in entries
               if (entry.payload or {}).get("also_created"))


def blank_attention_items(session: Session, appointment_id: uuid.UUID) -> list[AttentionItem]:
    """Replace the free text of attention items about the appointment; returns the rows changed."""
    items = list(session.scalars(select(AttentionItem).where(AttentionItem.appointment_id == appointment_id)))
    changed = []
    for item in items:
        if item.message != ERASED_NOTE or item.settlement is not None:
            item.message = ERASED_NOTE
            item.settlement = None
            changed.append(item)
    return changed


def query_kind(query: str) -> str:
    """What a search looked for, without what it was: reference, phone, crime reference, email, name."""
    text = query.strip()
    if normalise_reference(text) is not None:
        return "reference"
    if _CRIME_REFERENCE.match(text):
        return "crime_reference"
    if "@" in text:
        return "email"
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 4 and digits >= len(text.replace(" ", "")) * 0.7:
        return "phone"
    return "name" if text else "empty"


def reduced_search_details(details: dict[str, Any]) -> dict[str, Any]:
    query = str(details.get("query") or "")
    kept = {k: v for k, v in details.items() if k != "query"}
    return {**kept, "query_reduced": True, "query_kind": query_kind(query), "query_length": len(query.strip())}


def reduce_search_queries(session: Session, cutoff: datetime) -> int:
    """Reduce the typed queries of searches older than ``cutoff`` to kind and length."""
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.action == SEARCH_ACTION, AuditEvent.at < cutoff)
    ).all()
    reduced = 0
    for event in rows:
        details = dict(event.details or {})
        if "query" not in details:
            continue
        event.details = reduced_search_details(details)
        reduced += 1
    return reduced
