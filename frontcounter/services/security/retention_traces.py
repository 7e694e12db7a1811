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

from frontcounter.db.models import AttentionItem, AuditEvent, OutboxEntry
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


def blank_outbox_payloads(session: Session, appointment_id: uuid.UUID, personal: dict[str, Any]) -> int:
    """Blank ``personal`` fields of the appointment in every outbox payload; returns how many changed."""
    changed = 0
    for entry in session.scalars(select(OutboxEntry).where(OutboxEntry.entity == "appointments")):
        payload = dict(entry.payload or {})
        touched = False
        if entry.entity_id == appointment_id and isinstance(payload.get("row"), dict):
            row = dict(payload["row"])
            touched |= _blank(row, personal)
            payload["row"] = row
        children = []
        for child in payload.get("also_created") or []:
            child = dict(child)
            row = dict(child.get("row") or {})
            if child.get("entity") == "appointments" and _same_id(row.get("id"), appointment_id):
                touched |= _blank(row, personal)
                child["row"] = row
            children.append(child)
        if "also_created" in payload:
            payload["also_created"] = children
        if touched:
            entry.payload = payload  # a new dict: the JSON column sees the change
            changed += 1
    return changed


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
