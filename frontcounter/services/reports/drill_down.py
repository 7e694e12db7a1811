"""Drill-down: the appointments behind one figure of a report (the list a manager opens from a tile).

A drill-down list names visitors, so exporting it is a disclosure (audited); the figures are not."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import (
    ColumnElement,
    select,
)
from sqlalchemy.orm import Session

from frontcounter.db.models import (
    Appointment,
    FollowUp,
    Status,
)
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import AppointmentView, load_lookups, station_by_code, to_views
from frontcounter.services.core.commands import audit
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.reports.model import (
    FOLLOW_UP_STATES,
    OUTCOME_STATUSES,
    WAIT_BANDS,
    period_bounds,
    week_start,
)
from frontcounter.services.reports.query import (
    _has_wait,
    _held,
    _reason_clause,
    _resolve_scope,
    _wait_minutes,
)

#: The figure keys a chart bar can stand for; see ``figure_clauses``.
FIGURE_KINDS = ("booked", "outcome", "cancelled", "postponed", "at_risk", "wait", "room", "officer",
                "station", "feedback", "follow_up")


def _uuid_value(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationError(f"{value[:40]!r} is not a record id.") from None


def figure_clauses(
    session: Session, dialect: str, figure_key: str, date_from: date, date_to: date
) -> list[ColumnElement[bool]]:
    """The conditions that pick, from the period's appointments, the ones behind a figure.

    Keys: ``booked``; ``outcome:<kept|postponed|…>``; ``cancelled:<reason group>``;
    ``postponed:<reason group>``; ``at_risk`` or ``at_risk:<outcome>``; ``wait:<band>``;
    ``room:<id>``; ``officer:<id>``; ``station:<code>`` (what holds its rooms and officers);
    ``feedback`` or ``feedback:<Monday>``; ``follow_up:<open|done|cancelled>``.
    """
    A = Appointment
    kind, _, value = figure_key.partition(":")
    if kind == "booked":
        return []
    if kind == "outcome" and value in OUTCOME_STATUSES:
        return [A.status.in_(OUTCOME_STATUSES[value])]
    if kind in ("cancelled", "postponed"):
        status = Status.CANCELLED if kind == "cancelled" else Status.RESCHEDULED
        clauses = [A.status == status.value]
        return clauses + [_reason_clause(value)] if value else clauses
    if kind == "at_risk":
        clauses = [A.at_risk.is_(True)]
        if value:
            if value not in OUTCOME_STATUSES:
                raise ValidationError(f"Unknown outcome {value!r}.")
            clauses.append(A.status.in_(OUTCOME_STATUSES[value]))
        return clauses
    if kind == "wait":
        band = next((b for b in WAIT_BANDS if b[0] == value), None)
        if band is None:
            raise ValidationError(f"Unknown wait band {value!r}.")
        minutes = _wait_minutes(dialect)
        clauses = [_has_wait(), minutes > band[1]]
        return clauses + ([minutes <= band[2]] if band[2] is not None else [])
    if kind == "room":
        return [A.room_id == _uuid_value(value), _held()]
    if kind == "officer":
        return [A.officer_id == _uuid_value(value), _held()]
    if kind == "station":
        return [A.station_id == station_by_code(session, value).id, _held()]
    if kind == "feedback":
        clauses = [A.feedback_rating.is_not(None)]
        if value:
            try:
                monday = week_start(date.fromisoformat(value))
            except ValueError:
                raise ValidationError(f"{value[:20]!r} is not a date.") from None
            first = max(monday, date_from)
            last = min(monday + timedelta(days=6), date_to)
            start, end = period_bounds(first, last)
            clauses += [A.start_at >= start, A.start_at < end]
        return clauses
    if kind == "follow_up" and value in FOLLOW_UP_STATES:
        follow_ups = select(FollowUp.appointment_id).where(FollowUp.status == value, FollowUp.deleted.is_(False))
        return [A.status == Status.NO_SHOW.value, A.id.in_(follow_ups)]
    raise ValidationError(f"Unknown report figure {figure_key[:60]!r}.")


def appointments_behind(
    ctx: ServiceContext,
    actor: Actor,
    figure_key: str,
    date_from: date,
    date_to: date,
    station_code: str | None = None,
    *,
    limit: int = 2000,
) -> list[AppointmentView]:
    """The appointments behind one figure (a chart bar), in start order.

    They carry visitors' names, so this is a consultation and is audited with the figure asked.
    """
    with ctx.read() as session:
        scope = _resolve_scope(ctx, actor, session, date_from, date_to, station_code, "report.drill_down")
        dialect = session.get_bind().dialect.name
        clauses = figure_clauses(session, dialect, figure_key, date_from, date_to)
        rows = session.scalars(
            select(Appointment).where(*scope.appointment_clauses(), *clauses)
            .order_by(Appointment.start_at, Appointment.reference).limit(limit)
        )
        views = to_views(rows, load_lookups(session), actor.key)
    audit(ctx, actor, category="consultation", action="report.drill_down", record=f"report:{figure_key[:100]}",
          details={"from": date_from.isoformat(), "to": date_to.isoformat(),
                   "station": scope.station_code or "all", "results": len(views)})
    return views


def wait_minutes_of(view: AppointmentView) -> int | None:
    """A visitor's wait rounded up to whole minutes, as the report counts it (None if not seen)."""
    if view.arrived_at is None or view.seen_at is None or view.seen_at < view.arrived_at:
        return None
    seconds = round((view.seen_at - view.arrived_at).total_seconds())
    return (seconds + 59) // 60
