"""Looking ahead: outcome and per-day counts for the board, an officer's own appointments, and
the visitor's linked (earlier and later) appointments."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from frontcounter.db.models import (
    RELEASED_STATUSES,
    Appointment,
    CancelReason,
    Officer,
    Status,
)
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import (
    AppointmentView,
    load_lookups,
    station_by_code,
    to_views,
)
from frontcounter.services.core.clock import local, local_day_bounds
from frontcounter.services.core.commands import guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import NotFound
from frontcounter.services.core.permissions import Action
from frontcounter.services.scheduling.changes import (
    _KEPT,
)
from frontcounter.services.scheduling.reassignment import (
    _officer_label,
    _stations_in_reach,
)


@dataclass(frozen=True, slots=True)
class OutcomeCounts:
    """Kept, postponed and cancelled, the scheme's own measure (DESIGN.md section 1)."""

    kept: int = 0
    postponed: int = 0
    cancelled: int = 0
    no_show: int = 0
    left_unseen: int = 0
    pending: int = 0
    at_risk: int = 0
    postponed_by_reason: dict[str, int] = field(default_factory=dict)
    cancelled_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.kept + self.postponed + self.cancelled + self.no_show + self.left_unseen + self.pending


def count_outcomes(
    ctx: ServiceContext, actor: Actor, first_day: date, last_day: date, *, station_code: str | None = None
) -> OutcomeCounts:
    """How the appointments of [first_day, last_day] ended, by status and by cancel reason."""
    start, _ = local_day_bounds(first_day)
    _, end = local_day_bounds(last_day)
    with ctx.read() as session:
        stations = _stations_in_reach(session, actor, station_code)
        for s in stations:
            guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=s.id, action="appointments.count",
                  record=f"station:{s.code}")
        rows = session.execute(
            select(Appointment.status, Appointment.cancel_reason, Appointment.at_risk, func.count())
            .where(Appointment.station_id.in_([s.id for s in stations]), Appointment.deleted.is_(False),
                   Appointment.start_at >= start, Appointment.start_at < end)
            .group_by(Appointment.status, Appointment.cancel_reason, Appointment.at_risk)
        ).all()
    counts: Counter[str] = Counter()
    postponed: Counter[str] = Counter()
    cancelled: Counter[str] = Counter()
    at_risk = 0
    for status, cancel_reason, risk, n in rows:
        if status in _KEPT:
            counts["kept"] += n
        elif status == Status.RESCHEDULED.value:
            counts["postponed"] += n
            postponed[cancel_reason or CancelReason.OTHER.value] += n
        elif status == Status.CANCELLED.value:
            counts["cancelled"] += n
            cancelled[cancel_reason or CancelReason.OTHER.value] += n
        elif status == Status.NO_SHOW.value:
            counts["no_show"] += n
        elif status == Status.LEFT_UNSEEN.value:
            counts["left_unseen"] += n
        else:
            counts["pending"] += n
            if risk:
                at_risk += n
    return OutcomeCounts(
        kept=counts["kept"], postponed=counts["postponed"], cancelled=counts["cancelled"],
        no_show=counts["no_show"], left_unseen=counts["left_unseen"], pending=counts["pending"],
        at_risk=at_risk, postponed_by_reason=dict(postponed), cancelled_by_reason=dict(cancelled),
    )


@dataclass(frozen=True, slots=True)
class DayCount:
    """One day of the week overview: how many appointments, and how many need attention."""

    day: date
    total: int
    booked: int
    at_risk: int
    released: int


def week_counts(
    ctx: ServiceContext, actor: Actor, first_day: date, *, days: int = 7, station_code: str | None = None
) -> list[DayCount]:
    """Counts per Europe/London day for the board's week strip (one query, grouped here)."""
    start, _ = local_day_bounds(first_day)
    _, end = local_day_bounds(first_day + timedelta(days=days - 1))
    with ctx.read() as session:
        station = station_by_code(session, station_code or actor.station_code or ctx.station_code or "")
        guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=station.id, action="appointments.list",
              record=f"station:{station.code}")
        rows = session.execute(
            select(Appointment.start_at, Appointment.status, Appointment.at_risk).where(
                Appointment.station_id == station.id, Appointment.deleted.is_(False),
                Appointment.start_at >= start, Appointment.start_at < end,
            )
        ).all()
    per_day: dict[date, list[int]] = {first_day + timedelta(days=i): [0, 0, 0, 0] for i in range(days)}
    for start_at, status, risk in rows:
        bucket = per_day.get(local(start_at).date())
        if bucket is None:
            continue
        if status in RELEASED_STATUSES:
            bucket[3] += 1
            continue
        bucket[0] += 1
        if status == Status.BOOKED.value:
            bucket[1] += 1
            if risk:
                bucket[2] += 1
    return [DayCount(d, *v) for d, v in per_day.items()]


def my_officer(ctx: ServiceContext, actor: Actor) -> tuple[uuid.UUID, str] | None:
    """The officer record signed in as ``actor`` (Officer.username) and its label, if there is one."""
    with ctx.read() as session:
        officer = session.scalars(
            select(Officer).where(Officer.username == actor.username, Officer.deleted.is_(False))
        ).first()
        return (officer.id, _officer_label(officer)) if officer is not None else None


def my_officer_id(ctx: ServiceContext, actor: Actor) -> uuid.UUID | None:
    found = my_officer(ctx, actor)
    return found[0] if found else None


def my_appointments(
    ctx: ServiceContext, actor: Actor, start: datetime, end: datetime
) -> list[AppointmentView]:
    """The signed-in officer's own appointments starting in [start, end), released ones left out."""
    guard(ctx, actor, Action.VIEW_APPOINTMENTS, action="appointments.mine", record=f"user:{actor.username}")
    officer_id = my_officer_id(ctx, actor)
    if officer_id is None:
        return []
    with ctx.read() as session:
        rows = session.scalars(
            select(Appointment).where(
                Appointment.officer_id == officer_id, Appointment.deleted.is_(False),
                Appointment.status.not_in(RELEASED_STATUSES),
                Appointment.start_at >= start, Appointment.start_at < end,
            ).order_by(Appointment.start_at, Appointment.reference)
        )
        return to_views(rows, load_lookups(session), actor.key)


def linked(ctx: ServiceContext, actor: Actor, appointment_id: uuid.UUID) -> tuple[str | None, str | None]:
    """The references this appointment was rescheduled from and to (None where absent here)."""
    with ctx.read() as session:
        row = session.get(Appointment, appointment_id)
        if row is None:
            raise NotFound("That appointment no longer exists here.")
        guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=row.station_id, action="appointments.get",
              record=f"appointment:{row.reference}")
        refs = {}
        for key in ("rescheduled_from_id", "rescheduled_to_id"):
            other_id = getattr(row, key)
            other = session.get(Appointment, other_id) if other_id else None
            refs[key] = other.reference if other is not None else None
    return refs["rescheduled_from_id"], refs["rescheduled_to_id"]
