"""SQL building blocks the report figures and the drill-down share: portable time arithmetic
(SQLite and PostgreSQL), Europe/London days, and the scope (stations, period) a report covers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from frontcounter.db.models import (
    RELEASED_STATUSES,
    Appointment,
    Station,
)
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import station_by_code
from frontcounter.services.core.commands import guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import PermissionDenied, ValidationError
from frontcounter.services.core.permissions import FORCE_WIDE_ROLES, Action
from frontcounter.services.reports.model import (
    _NAMED_REASONS,
    period_bounds,
)


def _seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[int]:
    """Whole seconds from ``start`` to ``end`` (two stored UTC timestamps), rounded.

    SQLite's ``julianday`` is the cheapest date arithmetic it has (cheaper than ``strftime``),
    which matters when it runs on every row of a year.
    """
    if dialect == "sqlite":
        return cast(func.round((func.julianday(end) - func.julianday(start)) * 86400), Integer)
    return cast(func.round(extract("epoch", end - start)), BigInteger)


def _wait_seconds(dialect: str) -> ColumnElement[int]:
    return _seconds_between(dialect, Appointment.arrived_at, Appointment.seen_at)


def _wait_minutes(dialect: str) -> ColumnElement[int]:
    return (_wait_seconds(dialect) + 59) // 60  # integer division: rounded up to whole minutes


def _london_day(dialect: str, column: Any, spans: list[tuple[datetime, datetime, int]]) -> ColumnElement[int]:
    """The Europe/London calendar day of a stored UTC timestamp, as an integer day number.

    The UTC offset comes from ``spans`` (the DST transitions in the period, from zoneinfo), so
    no database needs time-zone data. SQLite numbers days as Julian Day Numbers, PostgreSQL as
    days since 1970; ``_day_anchor`` gives a date's number on the same scale.
    """
    summer = [(and_(column >= a, column < b), off) for a, b, off in spans if off]
    if dialect == "sqlite":
        # julianday() is x.5 at midnight; the epsilon keeps float noise from moving a midnight start
        # to the day before. The constants are added up here, once, rather than on every row.
        shift = 0.5 + 1e-7
        shifted: Any = case(*[(c, off / 86400 + shift) for c, off in summer], else_=shift) if summer else shift
        return cast(func.julianday(column) + shifted, Integer)
    offset: Any = case(*summer, else_=0) if summer else 0
    return cast(func.floor((extract("epoch", column) + offset) / 86400), BigInteger)


def _day_anchor(dialect: str, day: date) -> int:
    if dialect == "sqlite":
        return day.toordinal() + 1721425  # the Julian Day Number of ``day``
    return (day - date(1970, 1, 1)).days


def _has_wait() -> ColumnElement[bool]:
    """Arrived and seen, in that order: NULL (so not true) when either time is missing."""
    return Appointment.seen_at >= Appointment.arrived_at


def _held() -> ColumnElement[bool]:
    """The appointment still holds its room and officer (not cancelled, not rescheduled)."""
    return Appointment.status.not_in(RELEASED_STATUSES)


def _reason_clause(group: str) -> ColumnElement[bool]:
    if group in _NAMED_REASONS:
        return Appointment.cancel_reason == group
    if group == "other":
        return or_(Appointment.cancel_reason.is_(None), Appointment.cancel_reason.not_in(_NAMED_REASONS))
    raise ValidationError(f"Unknown reason {group!r}.")


@dataclass
class _Scope:
    stations: list[Station]
    #: None: every station in the database (no station filter needed, the fast path).
    station_ids: list[uuid.UUID] | None
    station_code: str | None
    label: str
    note: str | None
    start: datetime
    end: datetime

    def appointment_clauses(self) -> list[ColumnElement[bool]]:
        clauses = [Appointment.start_at >= self.start, Appointment.start_at < self.end,
                   Appointment.deleted.is_(False)]
        if self.station_ids is not None:
            clauses.append(Appointment.station_id.in_(self.station_ids))
        return clauses


def _resolve_scope(
    ctx: ServiceContext, actor: Actor, session: Session, date_from: date, date_to: date,
    station_code: str | None, action: str,
) -> _Scope:
    """Who may see what: a supervisor their station, the FCR all stations (or one)."""
    if date_to < date_from:
        raise ValidationError("The period ends before it starts: choose a 'to' date on or after the 'from' date.")
    record = f"report:{station_code or 'all'}:{date_from.isoformat()}..{date_to.isoformat()}"
    guard(ctx, actor, Action.VIEW_REPORTS, action=action, record=record)
    start, end = period_bounds(date_from, date_to)
    here = ctx.station_code if ctx.mode == "station" else None
    if station_code is None and actor.role not in FORCE_WIDE_ROLES:
        station_code = actor.station_code
    if station_code is not None:
        station = station_by_code(session, station_code)
        try:
            guard(ctx, actor, Action.VIEW_REPORTS, station_id=station.id, action=action, record=record)
        except PermissionDenied:  # audited by guard; say it in report terms
            raise PermissionDenied(
                f"You can report on your own station ({actor.station_code}) only; the FCR reports on others."
            ) from None
        if here is not None and station.code != here:
            raise ValidationError(
                f"This workstation holds only {here}'s appointments: report on {station.name} from the centre."
            )
        note = _cache_note(station) if here is not None and actor.role in FORCE_WIDE_ROLES else None
        return _Scope([station], [station.id], station.code, station.name, note, start, end)
    if here is not None:
        station = station_by_code(session, here)
        return _Scope([station], [station.id], None, station.name, _cache_note(station), start, end)
    stations = list(session.scalars(
        select(Station).where(Station.deleted.is_(False), Station.active.is_(True)).order_by(Station.name)
    ))
    return _Scope(stations, None, None, "All stations", None, start, end)


def _cache_note(station: Station) -> str:
    return (f"This workstation holds {station.name}'s appointments only; connect to the centre to report on "
            "every station.")


def _listed(dialect: str, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """Every non-null ``value`` of a group as one comma-separated text (Python counts them)."""
    if dialect == "sqlite":
        return func.group_concat(value)  # integers come out as their decimal text
    return func.aggregate_strings(cast(value, String), ",")
