"""At the counter: check-in, no-show (with its follow-up), left unseen, seen and completed.

A visitor at the wrong station, on the wrong day, or far too early or late is told exactly what to
do; nothing is recorded until the clerk confirms. A reference this station's cache does not hold
is asked about at the centre (``central_lookup``), so the clerk can say where and when it is.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, bindparam, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from frontcounter.db.models import Appointment, FollowUp, Officer, Room, Station, Status
from frontcounter.services.core import status as status_machine
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import (
    AppointmentView,
    Lookups,
    lookups_for,
    normalise_reference,
    to_view,
    view_of,
)
from frontcounter.services.core.clock import local
from frontcounter.services.core.commands import CommandScope, command, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import IllegalTransition, NotFound, ValidationError, WrongPlaceOrTime
from frontcounter.services.core.permissions import Action, allowed

logger = logging.getLogger(__name__)


class WrongStation(WrongPlaceOrTime):
    """The appointment is at another station: direct the visitor there (no checking in here)."""


class WrongTime(WrongPlaceOrTime):
    """Too early, another day or already over: the clerk may still check in with ``force=True``."""


class MissedAppointment(WrongPlaceOrTime):
    """The appointment was on an earlier day: book the visitor a new one (a walk-in)."""


@dataclass(frozen=True, slots=True)
class CheckInResult:
    appointment: AppointmentView
    #: Said to the clerk after a check-in that went through but deserves a word (late).
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteAppointment:
    """Where and when an appointment unknown to this cache is booked, as the centre tells it."""

    reference: str
    station_code: str
    station_name: str
    start: datetime


#: Asks the centre about a reference this station's cache does not hold (None when offline).
RemoteLookup = Callable[[str], RemoteAppointment | None]

#: Seconds a check-in waits for the centre to accept a connection (and to answer) before telling
#: the clerk what the cache alone knows: a visitor is standing at the counter.
LOOKUP_TIMEOUT_S = 3
_LOCATE = text("SELECT reference, station_code, station_name, start_at "
               "FROM frontcounter_security.locate_appointment(:reference)")
_HAS_LOCATE = text("SELECT to_regprocedure('frontcounter_security.locate_appointment(text)') IS NOT NULL")
_STATEMENT_TIMEOUT = text(f"SET LOCAL statement_timeout = {LOOKUP_TIMEOUT_S * 1000}")
_WHEREABOUTS = (select(Appointment.reference, Station.code, Station.name, Appointment.start_at)
                .join(Station, Station.id == Appointment.station_id)
                .where(Appointment.reference == bindparam("reference"), Appointment.deleted.is_(False)))


def central_lookup(central: Engine) -> RemoteLookup:
    """Ask the centre where and when a reference is booked: its station and start, nothing else.

    One narrow read by reference; no visitor details are asked for or returned. On a PostgreSQL
    centre with row-level security a station's role cannot read other stations' appointments, so
    the question goes through ``frontcounter_security.locate_appointment`` (frontcounter/db/rls.py),
    which answers exactly these four columns. The centre is reached through a connection of the
    lookup's own with a short connect and statement timeout; an unreachable centre (or a refusal)
    answers None, and the clerk hears what the cache alone knows.
    """
    engine = central
    if central.dialect.name == "postgresql":
        engine = create_engine(
            central.url, poolclass=NullPool, hide_parameters=True,
            connect_args={"connect_timeout": LOOKUP_TIMEOUT_S, "application_name": "frontcounter-lookup"})

    def lookup(reference: str) -> RemoteAppointment | None:
        try:
            with engine.connect() as conn:
                locate = False
                if engine.dialect.name == "postgresql":
                    conn.execute(_STATEMENT_TIMEOUT)  # for this transaction only (works behind a pooler)
                    locate = bool(conn.execute(_HAS_LOCATE).scalar())
                row = conn.execute(_LOCATE if locate else _WHEREABOUTS, {"reference": reference}).first()
        except (DBAPIError, OSError) as exc:
            logger.info("the centre could not be asked where a reference is booked (%s)", type(exc).__name__)
            return None
        if row is None:
            return None
        start = row[3] if row[3].tzinfo is not None else row[3].replace(tzinfo=UTC)
        return RemoteAppointment(reference=row[0], station_code=row[1], station_name=row[2],
                                 start=start.astimezone(UTC))

    return lookup


def central_lookup_at(url: str) -> RemoteLookup:
    """``central_lookup`` for the centre at ``url`` (its password from the OS keyring), connecting
    only when a reference is asked about and letting go straight after: unknown references are
    rare, so nothing is held open (or asked of the keyring) for them in between."""

    def lookup(reference: str) -> RemoteAppointment | None:
        from frontcounter.services.security.secrets import central_engine

        try:
            parsed = make_url(url)
        except ArgumentError:  # a URL that cannot be parsed: the settings say where to fix it
            logger.warning("the central URL in the settings cannot be parsed")
            return None
        database = parsed.database
        if parsed.get_backend_name() == "sqlite" and (not database or not Path(database).exists()):
            return None  # an embedded centre that is not there (opening it would create it)
        engine = central_engine(url)
        try:
            return central_lookup(engine)(reference)
        finally:
            engine.dispose()

    return lookup


def _when(at: datetime, now: datetime) -> str:
    shown = local(at)
    today = local(now).date()
    if shown.date() == today:
        day = "today"
    elif shown.date() == today + timedelta(days=1):
        day = "tomorrow"
    else:
        day = shown.strftime("%a %d %b")
    return f"{shown:%H:%M} {day}"


#: An appointment by reference with the station, room and officer its view shows, in one query.
_WITH_LOOKUPS = (
    select(Appointment, Station, Room, Officer)
    .join(Station, Station.id == Appointment.station_id)
    .join(Room, Room.id == Appointment.room_id)
    .outerjoin(Officer, Officer.id == Appointment.officer_id)
    .where(Appointment.reference == bindparam("reference"), Appointment.deleted.is_(False))
)


def _find_row(session: Session, reference: str) -> Appointment | None:
    return session.scalars(
        select(Appointment).where(Appointment.reference == reference, Appointment.deleted.is_(False))
    ).one_or_none()


def _load_for_command(scope: CommandScope, reference_or_id: str | uuid.UUID) -> Appointment:
    if isinstance(reference_or_id, uuid.UUID):
        row = scope.session.get(Appointment, reference_or_id)
    else:
        canonical = normalise_reference(reference_or_id)
        row = _find_row(scope.session, canonical) if canonical else None
    if row is None or row.deleted:
        raise NotFound(f"No appointment {reference_or_id} here.")
    return row


def check_in(
    ctx: ServiceContext,
    actor: Actor,
    reference: str,
    *,
    force: bool = False,
    remote_lookup: RemoteLookup | None = None,
) -> CheckInResult:
    """Record that the visitor with ``reference`` has arrived and is waiting.

    Refuses with ``WrongPlaceOrTime`` (saying what to do) when the visitor is at the wrong
    station, on the wrong day, or more than the policy allows before the start or after the end;
    ``force=True`` checks them in anyway once the clerk has decided to.
    """
    canonical = normalise_reference(reference)
    if canonical is None:
        raise NotFound(
            f"{reference.strip()[:40]!r} is not an appointment reference. References look like HH-4KQ7M; "
            "search by name or phone instead."
        )
    now = ctx.clock.now()
    with ctx.read() as session:
        found = session.execute(_WITH_LOOKUPS, {"reference": canonical}).first()
        here = session.scalars(select(Station).where(Station.code == ctx.station_code)).one_or_none()
        if found is None:
            here_code = here.code if here else None
            session.rollback()  # no read transaction held open while the centre is asked
            _explain_unknown(canonical, session, remote_lookup, now, here_code)
        assert found is not None
        row, station, room, officer = found
        # What the new view shows besides the row itself: read here, so the write transaction
        # (which holds the database's write lock) runs only the statements that change something.
        lookups = Lookups({station.id: station}, {room.id: room}, {officer.id: officer} if officer else {})
        # Where the visitor should be comes before the permission check: it is what the slip in
        # their hand says anyway, and a counter may not check in another station's visitor.
        if here is not None and row.station_id != here.id and not force:
            raise WrongStation(
                f"{canonical} is booked at {station.name} at {_when(row.start_at, now)}. "
                "Please direct the visitor there."
            )
        guard(ctx, actor, Action.CHECK_IN, station_id=row.station_id, action="appointment.check_in",
              record=f"appointment:{canonical}")
        if row.status != Status.BOOKED.value:
            label = status_machine.LABELS[Status(row.status)]
            if row.status == Status.ARRIVED.value and row.arrived_at:
                raise IllegalTransition(f"{canonical} is already checked in (arrived {local(row.arrived_at):%H:%M}).")
            if row.status == Status.RESCHEDULED.value:
                raise IllegalTransition(f"{canonical} was rescheduled; look up the visitor's new appointment.")
            raise IllegalTransition(f"{canonical} is {label}; it cannot be checked in.")
        warning = None if force else _timing_problem(ctx, row, canonical, now)

    with command(ctx, actor, category="alteration", action="appointment.check_in",
                 record=f"appointment:{canonical}") as scope:
        appt = _load_for_command(scope, row.id)
        base = appt.version
        status_machine.transition(appt, Status.ARRIVED)
        appt.arrived_at = scope.now
        appt.checked_in_by = actor.username
        scope.changed(appt, "appointment.check_in", base_version=base,
                      changes={"status": appt.status, "arrived_at": appt.arrived_at,
                               "checked_in_by": appt.checked_in_by})
        view = to_view(appt, lookups, actor.key)
    return CheckInResult(view, warning)


def _explain_unknown(
    canonical: str, session: Session, remote_lookup: RemoteLookup | None, now: datetime, here_code: str | None
) -> None:
    remote = remote_lookup(canonical) if remote_lookup else None
    if remote is not None and remote.station_code == here_code:
        raise NotFound(
            f"{canonical} is booked here at {_when(remote.start, now)} but has not reached this workstation "
            "yet. Sync now, then check the visitor in."
        )
    if remote is not None:
        raise WrongStation(
            f"{canonical} is booked at {remote.station_name} at {_when(remote.start, now)}. "
            "Please direct the visitor there."
        )
    code = canonical.split("-")[0]
    station = session.scalars(select(Station).where(Station.code == code)).one_or_none()
    if station is not None and station.code == here_code:
        station = None  # one of ours that this cache does not hold: a mistyped or cancelled reference
    if station is not None:
        raise WrongStation(
            f"{canonical} is a reference for {station.name}, not this station. Please direct the visitor "
            f"there, or call 101 to confirm their appointment."
        )
    raise NotFound(f"No appointment {canonical}. Check the slip, or search by name or phone.")


def _timing_problem(ctx: ServiceContext, row: Appointment, canonical: str, now: datetime) -> str | None:
    """Refuse the wrong day and far too early/too late; return a warning for a late arrival."""
    start_local = local(row.start_at)
    if start_local.date() != local(now).date():
        if row.start_at < now:
            raise MissedAppointment(
                f"{canonical} was booked for {_when(row.start_at, now)}, which has passed. "
                "Book the visitor a new appointment (walk-in)."
            )
        raise WrongTime(
            f"{canonical} is booked for {_when(row.start_at, now)}, not today. "
            "Ask the visitor to come back then, or check them in anyway if an officer is free."
        )
    early = row.start_at - now
    if early > timedelta(minutes=ctx.policy.early_checkin_minutes):
        minutes = int(early.total_seconds() // 60)
        raise WrongTime(
            f"{canonical} is booked at {start_local:%H:%M} today, {minutes} minutes from now. "
            "Ask the visitor to come back nearer the time, or check them in anyway."
        )
    if now >= row.end_at:
        raise WrongTime(
            f"{canonical} was booked at {start_local:%H:%M} today and has ended. "
            "Check the visitor in anyway if the officer can still see them, or book a new appointment."
        )
    late = now - row.start_at
    if late > timedelta(minutes=ctx.policy.no_show_grace_minutes):
        return f"The visitor is {int(late.total_seconds() // 60)} minutes late; let the officer know."
    return None


def authorise(
    ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID, permission: Action, action: str
) -> tuple[uuid.UUID, str]:
    """Find the appointment and check (auditing a refusal) before any write transaction starts."""
    with ctx.read() as session:
        if isinstance(appointment, uuid.UUID):
            row = session.get(Appointment, appointment)
        else:
            canonical = normalise_reference(appointment)
            row = _find_row(session, canonical) if canonical else None
        if row is None or row.deleted:
            raise NotFound(f"No appointment {appointment} here.")
        appointment_id, reference, station_id = row.id, row.reference, row.station_id
    guard(ctx, actor, permission, station_id=station_id, action=action, record=f"appointment:{reference}")
    return appointment_id, reference


def mark_no_show(ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID) -> AppointmentView:
    """Mark a no-show after the grace period and open a follow-up for the officer (not a penalty)."""
    appointment_id, reference = authorise(ctx, actor, appointment, Action.MARK_NO_SHOW, "appointment.no_show")
    with command(ctx, actor, category="alteration", action="appointment.no_show",
                 record=f"appointment:{reference}") as scope:
        appt = _load_for_command(scope, appointment_id)
        grace_ends = appt.start_at + timedelta(minutes=ctx.policy.no_show_grace_minutes)
        if scope.now < grace_ends:
            raise ValidationError(
                f"Too early for a no-show: wait until {local(grace_ends):%H:%M} "
                f"({ctx.policy.no_show_grace_minutes} minutes after the start)."
            )
        base = appt.version
        status_machine.transition(appt, Status.NO_SHOW)
        appt.no_show_at = scope.now
        follow_up = FollowUp(
            id=uuid.uuid4(),
            appointment_id=appt.id,
            station_id=appt.station_id,
            officer_id=appt.officer_id,
            kind="welfare_check" if appt.vulnerability_flags else "recontact",
            status="open",
            created_at=scope.now,
            created_by=actor.username,
        )
        scope.session.add(follow_up)
        scope.changed(appt, "appointment.no_show", base_version=base,
                      changes={"status": appt.status, "no_show_at": appt.no_show_at},
                      also_created=[follow_up])
        return view_of(scope.session, appt, scope.actor.key)


def _simple_transition(
    ctx: ServiceContext,
    actor: Actor,
    appointment: str | uuid.UUID,
    *,
    permission: Action,
    new: Status,
    stamp: str,
    by_field: str | None,
    op_type: str,
) -> AppointmentView:
    appointment_id, reference = authorise(ctx, actor, appointment, permission, op_type)
    with command(ctx, actor, category="alteration", action=op_type, record=f"appointment:{reference}") as scope:
        appt = _load_for_command(scope, appointment_id)
        base = appt.version
        status_machine.transition(appt, new)
        changes: dict[str, object] = {"status": appt.status, stamp: scope.now}
        setattr(appt, stamp, scope.now)
        if by_field:
            setattr(appt, by_field, actor.username)
            changes[by_field] = actor.username
        scope.changed(appt, op_type, base_version=base, changes=changes)
        return view_of(scope.session, appt, scope.actor.key)


def mark_left_unseen(ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID) -> AppointmentView:
    return _simple_transition(ctx, actor, appointment, permission=Action.MARK_LEFT_UNSEEN,
                              new=Status.LEFT_UNSEEN, stamp="left_unseen_at", by_field=None,
                              op_type="appointment.left_unseen")


def start_meeting(ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID) -> AppointmentView:
    return _simple_transition(ctx, actor, appointment, permission=Action.START_MEETING,
                              new=Status.IN_PROGRESS, stamp="seen_at", by_field="seen_by",
                              op_type="appointment.start")


def complete(ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID) -> AppointmentView:
    return _simple_transition(ctx, actor, appointment, permission=Action.COMPLETE,
                              new=Status.COMPLETED, stamp="completed_at", by_field=None,
                              op_type="appointment.complete")


def arrivals_for_officer(ctx: ServiceContext, actor: Actor, since: datetime) -> list[AppointmentView]:
    """The signed-in officer's visitors checked in after ``since``: the officer's arrival notice.

    The officer's views poll this (cheap: one officer's rows), so a check-in made at the counter,
    or one that sync brings from another workstation, reaches the officer without a message bus.
    The officer is the ``Officer`` whose ``username`` is the actor's. Polling is not audited (it
    would flood the log); a refusal is.
    """
    guard(ctx, actor, Action.VIEW_APPOINTMENTS, action="appointments.arrivals", record=f"user:{actor.username}")
    with ctx.read() as session:
        mine = select(Officer.id).where(Officer.username == actor.username, Officer.deleted.is_(False))
        rows = session.scalars(
            select(Appointment)
            .where(Appointment.officer_id.in_(mine), Appointment.arrived_at > since,
                   Appointment.deleted.is_(False))
            .order_by(Appointment.arrived_at, Appointment.reference)
        ).all()
        if not rows:
            return []
        lookups = lookups_for(session, rows)
        views = [to_view(row, lookups, actor.key) for row in rows]
    return [v for v in views if allowed(actor, Action.VIEW_APPOINTMENTS, v.station_id)]
