"""Which visitor messages a committed central change queues (issue 16), in that change's transaction.

The centre's outbox (``visitor_messages``) is written here, and only here, by the two places a
change becomes authoritative: a central command (``core/commands``) and the centre applying a
station's push (``sync/centre``). Stations never queue or send: a station's own cache has the
table but nothing writes it. The sender, its settings and the safe-contact decision live in
``services/messages``; this module only decides *that* a message is owed, from the appointment's
state and the messages it already has, so queuing is idempotent: the same change applied twice
(a retried push) queues nothing new, and the table's unique key (appointment, kind, version) is
the last guard.

Reminders are not queued here: they are owed because time passes, not because something changed,
and the worker schedules them (``services/messages/worker``) at the offsets it is configured with.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontcounter.db.models import Appointment, Status, VisitorMessage

CONFIRMATION = "confirmation"
RESCHEDULE = "reschedule"
CANCELLATION = "cancellation"
AT_RISK = "at_risk"
#: Reminder kinds are "reminder_<hours>h", one per configured offset.
REMINDER_PREFIX = "reminder_"
EVENT_KINDS = (CONFIRMATION, RESCHEDULE, CANCELLATION, AT_RISK)


def reminder_kind(hours: int) -> str:
    return f"{REMINDER_PREFIX}{hours}h"


def owed(appt: Appointment, existing: set[tuple[str, datetime]]) -> list[str]:
    """The event messages ``appt`` is owed now, given the (kind, slot start) it already has."""
    kinds = {kind for kind, _ in existing}
    if appt.deleted or appt.purged_at is not None:
        return []
    if appt.status == Status.BOOKED.value:
        wanted = []
        first = RESCHEDULE if appt.rescheduled_from_id else CONFIRMATION
        if first not in kinds:
            wanted.append(first)
        if appt.at_risk and (AT_RISK, appt.start_at) not in existing:
            wanted.append(AT_RISK)
        return wanted
    if appt.status == Status.CANCELLED.value and CANCELLATION not in kinds:
        return [CANCELLATION]
    return []


def queue_for_changes(session: Session, rows: Iterable[object], version: int, now: datetime,
                      *, created: Iterable[uuid.UUID] = ()) -> list[VisitorMessage]:
    """Queue what the appointments among ``rows`` are owed, in the caller's transaction.

    ``created`` names rows this transaction made: they can have no message yet, so a booking
    costs one INSERT and no look-up (the look-up is for changes to existing appointments).
    """
    appts = [r for r in rows if isinstance(r, Appointment)]
    if not appts:
        return []
    new = set(created)
    ids = [a.id for a in appts if a.id not in new]
    existing: dict[uuid.UUID, set[tuple[str, datetime]]] = {a.id: set() for a in appts}
    if ids:
        session.flush()
        for appointment_id, kind, start in session.execute(
            select(VisitorMessage.appointment_id, VisitorMessage.kind, VisitorMessage.for_start_at)
            .where(VisitorMessage.appointment_id.in_(ids))
        ):
            existing[appointment_id].add((kind, start))
    queued = []
    for appt in appts:
        for kind in owed(appt, existing[appt.id]):
            message = VisitorMessage(
                id=uuid.uuid4(), appointment_id=appt.id, station_id=appt.station_id, kind=kind,
                appointment_version=version, for_start_at=appt.start_at, due_at=now, state="queued",
                personalisation={}, attempts=0, phone_instead=False, created_at=now, updated_at=now,
            )
            session.add(message)
            existing[appt.id].add((kind, appt.start_at))
            queued.append(message)
    return queued
