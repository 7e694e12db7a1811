"""When an officer is pulled away: move their appointments to a suitable colleague on duty, or
flag them at risk; assign an officer by hand; the list of what is still at risk."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontcounter.db.models import (
    Appointment,
    Duty,
    Officer,
    Station,
    Status,
)
from frontcounter.services.core import status as status_machine
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import (
    AppointmentView,
    load_lookups,
    station_by_code,
    to_view,
    to_views,
)
from frontcounter.services.core.clock import local_day_bounds
from frontcounter.services.core.commands import command, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import DoubleBooking, NotFound, ValidationError
from frontcounter.services.core.permissions import FORCE_WIDE_ROLES, Action
from frontcounter.services.scheduling.changes import (
    REMAINING_STATUSES,
    Progress,
    _authorise,
    _find,
    _why_uncovered,
    free_suitable_officers,
    on_duty_officer_ids,
    unsuitable_because,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Moved:
    reference: str
    start: datetime
    officer: str


@dataclass(frozen=True, slots=True)
class Uncovered:
    reference: str
    start: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class ReassignmentSummary:
    officer: str
    duties_withdrawn: int
    moved: tuple[Moved, ...]
    at_risk: tuple[Uncovered, ...]

    @property
    def all_covered(self) -> bool:
        return not self.at_risk

    def describe(self) -> str:
        """One line for the banner and the CLI."""
        if not self.moved and not self.at_risk:
            return f"{self.officer} withdrawn; no remaining appointments to move."
        text = f"{self.officer} withdrawn: {len(self.moved)} appointment(s) moved to other officers"
        if self.at_risk:
            text += f", {len(self.at_risk)} at risk — contact the visitor(s)"
        return text + "."


def _officer_label(officer: Officer) -> str:
    return f"{officer.rank} {officer.collar_number} {officer.name}"


def reassign_officer(
    ctx: ServiceContext,
    actor: Actor,
    officer_id: uuid.UUID,
    day: date,
    reason: str,
    *,
    station_code: str | None = None,
    progress: Progress | None = None,
) -> ReassignmentSummary:
    """One supervisor action: the officer is pulled away for the rest of ``day``.

    Withdraws their remaining duties at the station, then moves each of their remaining
    appointments that day (booked, or the visitor already waiting) to an on-duty officer who is
    free and suitable; any that cannot be covered are flagged at risk with the reason.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the officer is pulled away (e.g. 'called to a major incident').")
    reason = reason[:200]
    now = ctx.clock.now()
    day_start, day_end = local_day_bounds(day)
    with ctx.read() as session:
        station = station_by_code(session, station_code or actor.station_code or ctx.station_code or "")
        officer = session.get(Officer, officer_id)
        if officer is None or officer.deleted:
            raise NotFound("No such officer.")
        officer_text = _officer_label(officer)
        station_id = station.id
    guard(ctx, actor, Action.REASSIGN, station_id=station_id, action="officer.reassign",
          record=f"officer:{officer.collar_number}")
    with ctx.read() as session:
        duty_ids = list(session.scalars(
            select(Duty.id).where(
                Duty.officer_id == officer_id, Duty.station_id == station_id, Duty.deleted.is_(False),
                Duty.withdrawn_at.is_(None), Duty.end_at > max(now, day_start), Duty.start_at < day_end,
            ).order_by(Duty.start_at)
        ))
        appointment_ids = list(session.scalars(
            select(Appointment.id).where(
                Appointment.officer_id == officer_id, Appointment.station_id == station_id,
                Appointment.deleted.is_(False), Appointment.status.in_(REMAINING_STATUSES),
                Appointment.start_at >= day_start, Appointment.start_at < day_end, Appointment.end_at > now,
            ).order_by(Appointment.start_at, Appointment.reference)
        ))
    total = len(duty_ids) + len(appointment_ids)
    done = 0
    for duty_id in duty_ids:
        _withdraw_duty(ctx, actor, duty_id, reason)
        done += 1
        if progress:
            progress(done, total)
    moved: list[Moved] = []
    uncovered: list[Uncovered] = []
    for appointment_id in appointment_ids:
        outcome = _cover(ctx, actor, appointment_id, officer_id, reason)
        if isinstance(outcome, Moved):
            moved.append(outcome)
        elif outcome is not None:
            uncovered.append(outcome)
        done += 1
        if progress:
            progress(done, total)
    summary = ReassignmentSummary(officer_text, len(duty_ids), tuple(moved), tuple(uncovered))
    logger.info("officer reassigned: %d duties withdrawn, %d moved, %d at risk",
                len(duty_ids), len(moved), len(uncovered))
    return summary


def _withdraw_duty(ctx: ServiceContext, actor: Actor, duty_id: uuid.UUID, reason: str) -> None:
    with command(ctx, actor, category="alteration", action="duty.withdraw", record=f"duty:{duty_id}",
                 details={"reason": reason}) as scope:
        duty = scope.session.get_one(Duty, duty_id)
        base = duty.version
        duty.withdrawn_at = scope.now
        duty.withdrawn_reason = reason
        scope.changed(duty, "duty.withdraw", base_version=base,
                      changes={"withdrawn_at": scope.now, "withdrawn_reason": reason})


class _ChangedMeanwhile(Exception):
    """Rolls a reassignment back: someone else moved the appointment since we looked."""


def _cover(
    ctx: ServiceContext, actor: Actor, appointment_id: uuid.UUID, pulled: uuid.UUID, reason: str
) -> Moved | Uncovered | None:
    """Give one appointment a new officer, or flag it at risk (one command either way).

    The choice is made on a read first, so the command's audit event is complete before it is
    written; the database's double-booking guard catches an officer booked in between, and then
    the next candidate is tried.
    """
    tried: set[uuid.UUID] = {pulled}
    for _attempt in range(5):
        with ctx.read() as session:
            appt = session.get(Appointment, appointment_id)
            if appt is None or appt.officer_id != pulled or appt.status not in REMAINING_STATUSES:
                return None  # moved or closed by someone else meanwhile: nothing left to do
            reference = appt.reference
            candidates = free_suitable_officers(session, appt, exclude=tried)
            chosen = candidates[0] if candidates else None
            chosen_label = _officer_label(chosen) if chosen else ""
            why = None if chosen else _why_uncovered(session, appt, tried)[:200]
        action = "appointment.reassign" if chosen else "appointment.at_risk"
        try:
            with command(ctx, actor, category="alteration", action=action, record=f"appointment:{reference}",
                         details={"reason": reason}) as scope:
                appt = scope.session.get_one(Appointment, appointment_id)
                if appt.officer_id != pulled or appt.status not in REMAINING_STATUSES:
                    raise _ChangedMeanwhile
                base = appt.version
                if chosen is not None:
                    appt.officer_id = chosen.id
                    appt.at_risk = False
                    appt.at_risk_reason = None
                    scope.changed(appt, action, base_version=base,
                                  changes={"officer_id": chosen.id, "at_risk": False, "at_risk_reason": None})
                    return Moved(reference, appt.start_at, chosen_label)
                appt.at_risk = True
                appt.at_risk_reason = why
                scope.changed(appt, action, base_version=base, changes={"at_risk": True, "at_risk_reason": why})
                return Uncovered(reference, appt.start_at, why or "")
        except _ChangedMeanwhile:
            return None
        except DoubleBooking:
            assert chosen is not None
            tried.add(chosen.id)  # booked elsewhere between our read and our write: try the next one
    return None  # pragma: no cover - five clashes in a row


def suitable_officers(ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """Officers a supervisor could give this appointment to by hand: on duty, free, suitable."""
    _authorise(ctx, actor, appointment, Action.REASSIGN, "appointment.assign_officer")
    with ctx.read() as session:
        appt = _find(session, appointment)
        exclude = {appt.officer_id} if appt.officer_id else set()
        return [(o.id, _officer_label(o)) for o in free_suitable_officers(session, appt, exclude=exclude)]


def assign_officer(
    ctx: ServiceContext, actor: Actor, appointment: str | uuid.UUID, officer_id: uuid.UUID
) -> AppointmentView:
    """Give an appointment (typically one at risk) to a named officer; clears the at-risk flag."""
    appointment_id, reference, _ = _authorise(ctx, actor, appointment, Action.REASSIGN, "appointment.assign_officer")
    with command(ctx, actor, category="alteration", action="appointment.assign_officer",
                 record=f"appointment:{reference}") as scope:
        appt = _find(scope.session, appointment_id)
        if appt.status not in REMAINING_STATUSES:
            raise ValidationError(f"{appt.reference} is {status_machine.LABELS[Status(appt.status)]}; "
                                  "its officer cannot be changed.")
        officer = scope.session.get(Officer, officer_id)
        if officer is None or officer.deleted or not officer.active:
            raise NotFound("That officer is not available.")
        why = unsuitable_because(officer, appt)
        if why:
            raise ValidationError(f"{appt.reference} {why}.")
        if officer_id not in on_duty_officer_ids(scope.session, appt.station_id, appt.start_at, appt.end_at):
            raise ValidationError(f"{officer.name} is not on appointment duty then.")
        base = appt.version
        appt.officer_id = officer_id
        appt.at_risk = False
        appt.at_risk_reason = None
        scope.changed(appt, "appointment.assign_officer", base_version=base,
                      changes={"officer_id": officer_id, "at_risk": False, "at_risk_reason": None})
        return to_view(appt, load_lookups(scope.session), scope.actor.key)


def _stations_in_reach(session: Session, actor: Actor, station_code: str | None) -> list[Station]:
    if station_code:
        return [station_by_code(session, station_code)]
    if actor.role in FORCE_WIDE_ROLES:
        return list(session.scalars(select(Station).where(Station.deleted.is_(False)).order_by(Station.code)))
    if actor.station_code is None:
        return []
    return [station_by_code(session, actor.station_code)]


def list_at_risk(
    ctx: ServiceContext, actor: Actor, *, station_code: str | None = None, days: int = 14
) -> list[AppointmentView]:
    """Booked appointments from now on that no officer covers: contact the visitor before they travel.

    The FCR sees every station this database holds (all of them at the centre, only its own in a
    station cache); everyone else sees their own station.
    """
    now = ctx.clock.now()
    with ctx.read() as session:
        stations = _stations_in_reach(session, actor, station_code)
        for s in stations:
            guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=s.id, action="appointments.at_risk",
                  record=f"station:{s.code}")
        rows = session.scalars(
            select(Appointment).where(
                Appointment.station_id.in_([s.id for s in stations]),
                Appointment.at_risk.is_(True),
                Appointment.deleted.is_(False),
                Appointment.status.in_(REMAINING_STATUSES),
                Appointment.end_at > now,
                Appointment.start_at < now + timedelta(days=days),
            ).order_by(Appointment.start_at, Appointment.reference)
        )
        return to_views(rows, load_lookups(session), actor.key)
