"""Reading the audit log (DPA 2018 s.62). Writing is only ever appending, in commands.py."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, cast, or_, select

from frontcounter.db.models import AuditEvent
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import local
from frontcounter.services.core.commands import audit, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.permissions import Action


@dataclass(frozen=True, slots=True)
class AuditView:
    at: datetime
    username: str
    role: str
    station_code: str | None
    workstation: str
    category: str
    action: str
    record: str | None
    outcome: str
    details: dict[str, Any]


#: The columns an AuditView is made of, selected as plain values (no ORM objects to build).
_COLUMNS = (AuditEvent.at, AuditEvent.username, AuditEvent.role, AuditEvent.station_code, AuditEvent.workstation,
            AuditEvent.category, AuditEvent.action, AuditEvent.record, AuditEvent.outcome, AuditEvent.details)


def _query(
    *,
    since: datetime | None,
    until: datetime | None,
    text: str | None,
    user: str | None,
    category: str | None,
    outcome: str | None,
    fold_case: bool = True,
) -> Select[Any]:
    """The filtered, newest-first query. ``fold_case=False`` on SQLite, whose LIKE already ignores
    (ASCII) case: wrapping every column in lower() would only cost time."""
    query = select(*_COLUMNS).order_by(AuditEvent.at.desc(), AuditEvent.local_seq.desc())
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    if text and text.strip():
        needle = text.strip()
        plain = f"%{_escape_like(needle)}%"
        # JSON is stored ASCII-escaped ("Wi\\u015bniewski"): match a non-ASCII query that way too.
        escaped = f"%{_escape_like(json.dumps(needle)[1:-1])}%"
        details = cast(AuditEvent.details, String)

        def match(column: Any, pattern: str) -> Any:
            return column.ilike(pattern, escape="\\") if fold_case else column.like(pattern, escape="\\")

        # The details too: an auditor looks for who searched for a name.
        columns = (AuditEvent.username, AuditEvent.action, AuditEvent.record, AuditEvent.workstation, details)
        conditions = [match(column, plain) for column in columns]
        if escaped != plain:
            conditions.append(match(details, escaped))
        query = query.where(or_(*conditions))
    if user:
        query = query.where(AuditEvent.username == user.strip())
    if category:
        query = query.where(AuditEvent.category == category)
    if outcome:
        query = query.where(AuditEvent.outcome == outcome)
    return query


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _views(ctx: ServiceContext, query: Select[Any], limit: int) -> list[AuditView]:
    with ctx.read() as session:
        return [
            AuditView(at, username, role, station, workstation, category, action, record, outcome,
                      dict(details or {}))
            for at, username, role, station, workstation, category, action, record, outcome, details
            in session.execute(query.limit(limit))
        ]


def _fold_case(ctx: ServiceContext) -> bool:
    return ctx.engine.dialect.name != "sqlite"


def list_events(
    ctx: ServiceContext,
    actor: Actor,
    *,
    limit: int = 200,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
    user: str | None = None,
    category: str | None = None,
    outcome: str | None = None,
) -> list[AuditView]:
    """Newest first, filtered. Reading the audit log is itself audited, with the filter used."""
    guard(ctx, actor, Action.VIEW_AUDIT, action="audit.view")
    query = _query(since=since, until=until, text=text, user=user, category=category, outcome=outcome,
                   fold_case=_fold_case(ctx))
    views = _views(ctx, query, limit)
    audit(ctx, actor, category="consultation", action="audit.view", record=None,
          details={"filter": _filter_details(since, until, text, user, category, outcome), "results": len(views)})
    return views


def _filter_details(
    since: datetime | None, until: datetime | None, text: str | None, user: str | None, category: str | None,
    outcome: str | None,
) -> dict[str, str]:
    given = {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "text": (text or "")[:200] or None,
        "user": user,
        "category": category,
        "outcome": outcome,
    }
    return {k: v for k, v in given.items() if v}


#: The columns of an exported audit log, in order (a spreadsheet's first row).
CSV_COLUMNS = ("at", "user", "role", "station", "workstation", "category", "action", "record", "outcome", "details")

#: The most events one export writes; a longer period is exported in pieces.
MAX_EXPORT = 200_000


def export_csv(
    ctx: ServiceContext,
    actor: Actor,
    *,
    recipient: str,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
    user: str | None = None,
    category: str | None = None,
    outcome: str | None = None,
) -> str:
    """The filtered audit log as CSV text; the export is a disclosure, audited with its recipient
    (for a file, its name). The caller writes the text where it said it would."""
    guard(ctx, actor, Action.EXPORT_AUDIT, action="audit.export", record=None)
    query = _query(since=since, until=until, text=text, user=user, category=category, outcome=outcome,
                   fold_case=_fold_case(ctx))
    views = _views(ctx, query, MAX_EXPORT)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([ctx.policy.protective_marking])  # every document carries the marking
    writer.writerow(CSV_COLUMNS)
    for view in views:
        row = event_json(view)
        writer.writerow([
            _cell(row["at"]), _cell(row["user"]), row["role"], row["station"] or "", _cell(row["workstation"]),
            row["category"], row["action"], _cell(row["record"] or ""), row["outcome"],
            _cell(json.dumps(row["details"], ensure_ascii=False, sort_keys=True)),
        ])
    audit(ctx, actor, category="disclosure", action="audit.export", record=None,
          details={"recipient": recipient[:200], "events": len(views),
                   "filter": _filter_details(since, until, text, user, category, outcome)})
    return buffer.getvalue()


def _cell(value: str) -> str:
    """Defuse spreadsheet formulas: a cell starting with = + - @ is shown as text, not run."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def event_json(e: AuditView) -> dict[str, Any]:
    """The contract of ``audit --json`` (DESIGN.md section 6): at, user, role, action, record, outcome."""
    return {
        "at": local(e.at).isoformat(),
        "user": e.username,
        "role": e.role,
        "station": e.station_code,
        "workstation": e.workstation,
        "category": e.category,
        "action": e.action,
        "record": e.record,
        "outcome": e.outcome,
        "details": e.details,
    }
