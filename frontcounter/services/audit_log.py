"""Reading the audit log (DPA 2018 s.62). Writing is only ever appending, in commands.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from frontcounter.db.models import AuditEvent
from frontcounter.services.actor import Actor
from frontcounter.services.clock import local
from frontcounter.services.commands import guard
from frontcounter.services.context import ServiceContext
from frontcounter.services.permissions import Action


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


def list_events(
    ctx: ServiceContext,
    actor: Actor,
    *,
    limit: int = 200,
    since: datetime | None = None,
    text: str | None = None,
) -> list[AuditView]:
    """Newest first. Reading the audit log is itself audited."""
    guard(ctx, actor, Action.VIEW_AUDIT, action="audit.view")
    with ctx.read() as session:
        query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.local_seq.desc())
        if since is not None:
            query = query.where(AuditEvent.at >= since)
        if text:
            like = f"%{text}%"
            query = query.where(
                AuditEvent.username.like(like) | AuditEvent.action.like(like) | AuditEvent.record.like(like)
            )
        rows = session.scalars(query.limit(limit)).all()
        views = [
            AuditView(e.at, e.username, e.role, e.station_code, e.workstation, e.category, e.action, e.record,
                      e.outcome, dict(e.details or {}))
            for e in rows
        ]
    from frontcounter.services.commands import audit

    audit(ctx, actor, category="consultation", action="audit.view", record=None,
          details={"filter": text or "", "results": len(views)})
    return views


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
