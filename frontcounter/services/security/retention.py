"""Retention: erase personal data once it has been kept as long as the force's policy allows.

DESIGN.md section 5. The data is about victims of crime, so nothing personal is kept "just in
case": an appointment's visitor details are erased a configurable time after the appointment, a
closed follow-up's note a (shorter or longer) time after it closed.

Erasure is field by field: the appointment row itself stays (its reference, station, time, status
and reason still count in the reports and keep the audit log's references meaningful), its
personal fields become empty and ``purged_at`` says when. Each erasure is one command, so it is
audited (category ``erasure``, record = the appointment's reference, the names of the erased
fields, never their values) and reaches everyone else:

- at the centre (``ctx.mode == "central"``) the command takes a new central version, so every
  station cache receives the erased row by its next pull;
- at a station it is an outbox entry (``appointment.purge``: a plain update of the personal fields
  to empty plus ``purged_at``), which the centre applies with its ordinary per-field merge.

Appointments with an open follow-up are held back: the officer still has to reach the visitor.

The copies elsewhere go with the row (services/retention_traces.py): the appointment's fields in
every outbox payload, pending or answered; the free text of its attention items; and, once the
personal-data period has passed, every search query typed into the audit log, reduced to its kind
and length.

The audit log has its own (longer) period, but it is append-only by design: nothing here deletes
audit rows. ``purge`` reports how many are past their period so the force can archive them by its
own records-management procedure.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select, update

from frontcounter.db.models import Appointment, AttentionItem, AuditEvent, FollowUp, OutboxEntry
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.commands import audit, command, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.core.permissions import Action
from frontcounter.services.security import retention_traces

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

#: An appointment's personal fields and the value each is erased to. Booleans and the languages
#: stay: alone they identify nobody, and the reports count interpreter and step-free demand.
PERSONAL_FIELDS: dict[str, Any] = {
    "visitor_name": None,
    "visitor_preferred_name": None,
    "visitor_dob": None,
    "visitor_phone": None,
    "visitor_email": None,
    "visitor_address": None,
    "safe_contact": None,
    "access_needs": None,
    "person_of_choice": None,
    # The number and address the visitor agreed to be messaged on (issue 16); the consent
    # flags themselves stay, like the other booleans.
    "contact_text_number": None,
    "contact_email_address": None,
    "vulnerability_flags": [],
    "briefing_notes": None,
    # The row's data key sealed to its readers: erased with the ciphertext it opens.
    "sealed_keys": {},
    "feedback_comment": None,
    # Free text written by staff; it often names the visitor.
    "cancel_note": None,
}

#: The audit action of one run's summary; ``purge_if_due`` finds the last run by it.
RUN_ACTION = "retention.run"


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind of data is kept, in days (Settings holds the force's values)."""

    #: Visitor personal data on an appointment, counted from the appointment's end.
    personal_data_days: int = 365 * 2
    #: A done or cancelled follow-up's note, counted from when it closed.
    closed_follow_up_days: int = 365
    #: Audit events (DPA 2018 s.62 logs are kept longer than the data they describe).
    audit_days: int = 365 * 6 + 2

    def __post_init__(self) -> None:
        for name in ("personal_data_days", "closed_follow_up_days", "audit_days"):
            if getattr(self, name) < 1:
                raise ValidationError(f"The retention period {name.replace('_', ' ')} must be at least one day.")
        if self.audit_days < self.personal_data_days:
            raise ValidationError("The audit log must be kept at least as long as the personal data it describes.")


@dataclass(frozen=True)
class PurgeResult:
    appointments: int = 0
    follow_ups: int = 0
    #: Appointments past their period but kept because a follow-up is still open.
    held: int = 0
    #: Acknowledged outbox entries whose copy of personal data was scrubbed (station only).
    outbox_scrubbed: int = 0
    #: Audit events past their period (never deleted here; see the module docstring).
    audit_due: int = 0

    def summary(self) -> str:
        text = (f"Erased personal data from {self.appointments} appointments and {self.follow_ups} "
                f"follow-up notes.")
        if self.held:
            text += f" {self.held} kept while a follow-up is open."
        if self.audit_due:
            text += f" {self.audit_due} audit events are past their retention period and due for archiving."
        return text


def system_actor(ctx: ServiceContext) -> Actor:
    """Who a scheduled purge acts as: an admin that is no person, named so the audit log says so."""
    from frontcounter.db.models import Role

    return Actor(
        user_id=uuid.UUID(int=0),
        username="system.retention",
        display_name="Scheduled retention purge",
        role=Role.ADMIN,
        station_id=None,
        station_code=ctx.station_code,
        workstation=ctx.workstation,
    )


class _AlreadyErased(Exception):
    """Rolls back a purge command whose row another purge has already erased."""


def _due_appointments(ctx: ServiceContext, cutoff: datetime) -> tuple[list[tuple[uuid.UUID, str]], int]:
    """Appointments due for erasure (id, reference), and how many more an open follow-up holds."""
    with ctx.read() as session:
        open_follow_up = exists().where(FollowUp.appointment_id == Appointment.id, FollowUp.status == "open",
                                        FollowUp.deleted.is_(False))
        due_now = (Appointment.end_at < cutoff, Appointment.purged_at.is_(None))
        due = [(row.id, row.reference) for row in session.execute(
            select(Appointment.id, Appointment.reference).where(*due_now, ~open_follow_up)
            .order_by(Appointment.end_at, Appointment.id))]
        held = session.scalar(select(func.count()).select_from(Appointment).where(*due_now, open_follow_up)) or 0
    return due, int(held)


def _due_follow_ups(ctx: ServiceContext, cutoff: datetime) -> list[uuid.UUID]:
    with ctx.read() as session:
        return list(session.scalars(
            select(FollowUp.id).where(
                FollowUp.status != "open",
                FollowUp.closed_at.is_not(None),
                FollowUp.closed_at < cutoff,
                FollowUp.note.is_not(None),
            ).order_by(FollowUp.closed_at, FollowUp.id)
        ))


def _erase_appointment(
    ctx: ServiceContext, actor: Actor, appointment_id: uuid.UUID, reference: str, period: int
) -> bool:
    """One appointment's erasure as one command. False if someone erased it meanwhile."""
    erased = sorted(PERSONAL_FIELDS)
    try:
        _erase_appointment_command(ctx, actor, appointment_id, reference, erased, period)
    except _AlreadyErased:
        return False
    return True


def _erase_appointment_command(
    ctx: ServiceContext, actor: Actor, appointment_id: uuid.UUID, reference: str, erased: list[str], period: int
) -> None:
    with command(ctx, actor, category="erasure", action="appointment.purge", record=f"appointment:{reference}",
                 details={"fields": erased, "reason": "retention", "period_days": period}) as scope:
        appt = scope.session.get(Appointment, appointment_id)
        if appt is None or appt.purged_at is not None:
            # A concurrent purge got there first; leaving the transaction would record an erasure
            # that did not happen, so undo it by raising a private marker.
            raise _AlreadyErased
        base = appt.version
        changes: dict[str, Any] = dict(PERSONAL_FIELDS)
        changes["vulnerability_flags"] = []
        for name, value in changes.items():
            setattr(appt, name, value)
        appt.purged_at = scope.now
        changes["purged_at"] = scope.now
        # The copies outside the row (issue 21): queued payloads, attention items' free text.
        retention_traces.blank_outbox_payloads(scope.session, appointment_id, PERSONAL_FIELDS)
        for item in retention_traces.blank_attention_items(scope.session, appointment_id):
            if ctx.mode == "central":  # a new version carries the blanked item to the station
                scope.changed(item, "attention.purge", base_version=item.version)
        scope.changed(appt, "appointment.purge", base_version=base, changes=changes)


def _erase_follow_up(ctx: ServiceContext, actor: Actor, follow_up_id: uuid.UUID, period: int) -> bool:
    try:
        _erase_follow_up_command(ctx, actor, follow_up_id, period)
    except _AlreadyErased:
        return False
    return True


def _erase_follow_up_command(ctx: ServiceContext, actor: Actor, follow_up_id: uuid.UUID, period: int) -> None:
    with command(ctx, actor, category="erasure", action="follow_up.purge", record=f"follow_up:{follow_up_id}",
                 details={"fields": ["note"], "reason": "retention", "period_days": period}) as scope:
        row = scope.session.get(FollowUp, follow_up_id)
        if row is None or row.note is None:
            raise _AlreadyErased
        base = row.version
        row.note = None
        scope.changed(row, "follow_up.purge", base_version=base, changes={"note": None})


def _erase_leftover_attention(ctx: ServiceContext, actor: Actor) -> int:
    """Attention items of appointments erased elsewhere (a station's purge reached the centre as a
    plain update of the row): their free text goes too, as one erasure command each."""
    with ctx.read() as session:
        leftovers = list(session.execute(
            select(AttentionItem.id, Appointment.reference).join(Appointment, Appointment.id == AttentionItem.appointment_id)
            .where(Appointment.purged_at.is_not(None), AttentionItem.message != retention_traces.ERASED_NOTE)
        ))
    for item_id, reference in leftovers:
        with command(ctx, actor, category="erasure", action="attention.purge", record=f"appointment:{reference}",
                     details={"fields": ["message", "settlement"], "reason": "retention"}) as scope:
            item = scope.session.get_one(AttentionItem, item_id)
            base = item.version
            item.message, item.settlement = retention_traces.ERASED_NOTE, None
            scope.changed(item, "attention.purge", base_version=base,
                          changes={"message": item.message, "settlement": None})
    return len(leftovers)


def _scrub_outbox(ctx: ServiceContext, cutoff: datetime) -> int:
    """Empty the payloads of answered outbox entries older than the cutoff (station only).

    An answered entry has done its job; its payload is a second copy of the visitor's details
    (a booking sends the whole row). Pending entries are never touched: they still have to reach
    the centre. This is housekeeping of the sync queue, not case data, so it is no command.
    """
    scrubbed = {"scrubbed": True}
    with ctx.write.begin() as session:
        rows = session.execute(
            select(OutboxEntry.seq, OutboxEntry.payload).where(
                OutboxEntry.state != "pending", OutboxEntry.created_at < cutoff
            )
        ).all()
        seqs = [seq for seq, payload in rows if payload != scrubbed]
        for start in range(0, len(seqs), 500):
            session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.seq.in_(seqs[start : start + 500]))
                .values(payload=scrubbed)
                .execution_options(synchronize_session=False)
            )
        return len(seqs)


def purge(
    ctx: ServiceContext,
    actor: Actor,
    policy: RetentionPolicy,
    *,
    progress: Progress | None = None,
) -> PurgeResult:
    """Erase every personal field past its retention period in this database; return the counts.

    Needs the ``purge`` permission (admin). Retention is the force's rule, not a choice of records,
    so the permission is checked by role: the run erases what the policy says, wherever it is.
    """
    guard(ctx, actor, Action.PURGE, action="retention.purge")
    now = ctx.clock.now()
    personal_cutoff = now - timedelta(days=policy.personal_data_days)
    follow_up_cutoff = now - timedelta(days=policy.closed_follow_up_days)
    appointment_ids, held = _due_appointments(ctx, personal_cutoff)
    follow_up_ids = _due_follow_ups(ctx, follow_up_cutoff)
    total = len(appointment_ids) + len(follow_up_ids)
    done = appointments = follow_ups = 0
    for appointment_id, reference in appointment_ids:
        appointments += _erase_appointment(ctx, actor, appointment_id, reference, policy.personal_data_days)
        done += 1
        if progress is not None:
            progress(done, total)
    for follow_up_id in follow_up_ids:
        follow_ups += _erase_follow_up(ctx, actor, follow_up_id, policy.closed_follow_up_days)
        done += 1
        if progress is not None:
            progress(done, total)
    _erase_leftover_attention(ctx, actor)
    if ctx.mode == "station":
        with ctx.write.begin() as session:
            retention_traces.blank_rows_created_alongside(session, PERSONAL_FIELDS)
    scrubbed = _scrub_outbox(ctx, min(personal_cutoff, follow_up_cutoff)) if ctx.mode == "station" else 0
    with ctx.write.begin() as session:  # typed names and phone numbers in the audit log
        queries = retention_traces.reduce_search_queries(session, personal_cutoff)
    with ctx.read() as session:
        audit_due = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.at < now - timedelta(days=policy.audit_days))
        ) or 0
    result = PurgeResult(appointments=appointments, follow_ups=follow_ups, held=held, outbox_scrubbed=scrubbed,
                         audit_due=int(audit_due))
    audit(ctx, actor, category="erasure", action=RUN_ACTION, record=None,
          details={"appointments": appointments, "follow_ups": follow_ups, "held": held,
                   "outbox_scrubbed": scrubbed, "audit_due": int(audit_due), "queries_reduced": queries,
                   "personal_data_days": policy.personal_data_days,
                   "closed_follow_up_days": policy.closed_follow_up_days, "audit_days": policy.audit_days})
    _flush_journal(ctx)
    logger.info("retention purge: %d appointments, %d follow-ups erased, %d held", appointments, follow_ups, held)
    return result


def _flush_journal(ctx: ServiceContext) -> None:
    """SQLite keeps the pages as they were before the erasure in its write-ahead log until a
    checkpoint; take one now (best effort: a reader still open keeps its pages a little longer).
    The database file itself overwrites freed space (``secure_delete``, db/engine.py)."""
    if ctx.engine.dialect.name != "sqlite":
        return
    with ctx.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def last_run(ctx: ServiceContext) -> datetime | None:
    """When a purge last finished in this database (from the audit log, its one record of runs)."""
    with ctx.read() as session:
        return session.scalar(
            select(func.max(AuditEvent.at)).where(AuditEvent.action == RUN_ACTION, AuditEvent.outcome == "success")
        )


def purge_if_due(
    ctx: ServiceContext,
    actor: Actor,
    policy: RetentionPolicy,
    *,
    every: timedelta = timedelta(hours=24),
    progress: Progress | None = None,
) -> PurgeResult | None:
    """The scheduled purge: run unless one ran within ``every``; None when it was not due."""
    previous = last_run(ctx)
    if previous is not None and ctx.clock.now() - previous < every:
        return None
    return purge(ctx, actor, policy, progress=progress)
