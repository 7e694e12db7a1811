"""The single write path (DESIGN.md section 2).

A command is one local transaction that changes rows, appends exactly one audit event and — at a
station — exactly one outbox entry for sync. At the centre the touched rows take their version
from the central clock instead. Refused attempts are audited in a transaction of their own, since
the command's own transaction never starts.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, func, insert, select, text, update
from sqlalchemy import event as sa_event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session

from frontcounter.db.models import (
    Appointment,
    AuditEvent,
    OutboxEntry,
    SyncClock,
    SyncedMixin,
    VisitorMessage,
)
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import (
    DoubleBooking,
    FrontCounterError,
    PermissionDenied,
    ValidationError,
)
from frontcounter.services.core.permissions import Action, require
from frontcounter.services.core.rowcodec import LOCAL_ONLY_COLUMNS, encode_changes, encode_value, row_to_dict
from frontcounter.services.core.sealing import (
    Sealer,
    recipients,
    seal_new_values,
    seal_pending,
    sealed_changes,
)
from frontcounter.services.core.text_rules import check_row, check_values, clean
from frontcounter.services.core.visitor_messages import queue_for_changes

logger = logging.getLogger(__name__)


def next_central_version(session: Session) -> int:
    """This central transaction's version.

    PostgreSQL: the transaction's own id plus a fixed offset (migration 0002), with no shared row
    to queue on; a trigger stamps it on every synced row written, and pulls stop below the
    oldest transaction still running, so a late commit is never skipped. The embedded SQLite
    centre: the next value of its one-row clock (SQLite has one writer at a time anyway).
    """
    if session.get_bind().dialect.name == "postgresql":
        return int(session.execute(text("SELECT fc_tx_version()")).scalar_one())
    value = session.execute(
        update(SyncClock).where(SyncClock.id == 1).values(value=SyncClock.value + 1).returning(SyncClock.value)
    ).scalar_one()
    return int(value)


def lock_what_is_read(state: ORMExecuteState) -> None:
    """Central commands on PostgreSQL lock every synced row they load (``FOR NO KEY UPDATE OF`` it).

    No central writer queues on one clock row any more, so a command that reads a row and writes
    it later must hold it meanwhile: otherwise a station's check-in could land in between and
    the command would write over it (a cancelled row with an arrival time).
    """
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    statement = state.statement
    if getattr(statement, "_for_update_arg", None) is not None:
        return
    descriptions = getattr(statement, "column_descriptions", [])
    entities = [d.get("entity") for d in descriptions]
    if len(entities) != 1 or entities[0] is None or descriptions[0].get("expr") is not entities[0]:
        return
    if not issubclass(entities[0], SyncedMixin):
        return
    # FOR NO KEY UPDATE, not FOR UPDATE: it still queues a second writer of the row, but lets a
    # foreign-key check (FOR KEY SHARE) through. With FOR UPDATE an FCR booking that had read a
    # room and officer and a station's push inserting a walk-in for that room and officer waited
    # on each other (the push on the officer row, the booking on the push's new row): a deadlock
    # instead of a double booking refused in words (issue 14's race test found it).
    state.statement = statement.with_for_update(of=entities[0], key_share=True)  # type: ignore[attr-defined]


def append_audit(
    session: Session,
    ctx: ServiceContext,
    actor: Actor,
    *,
    category: str,
    action: str,
    record: str | None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    seq = session.execute(select(func.coalesce(func.max(AuditEvent.local_seq), 0))).scalar_one()
    event = AuditEvent(
        id=uuid.uuid4(),
        local_seq=int(seq) + 1,
        at=ctx.clock.now(),
        username=actor.username,
        role=actor.role.value,
        station_code=actor.station_code,
        workstation=ctx.workstation,
        category=category,
        action=action,
        record=clean(record),
        outcome=outcome,
        # What a user typed (a search) may hold text no database keeps; the trail keeps the rest.
        details=clean(details or {}),
    )
    session.add(event)
    return event


def audit(
    ctx: ServiceContext,
    actor: Actor,
    *,
    category: str,
    action: str,
    record: str | None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> None:
    """Record a consultation, disclosure or refusal in a transaction of its own."""
    with ctx.write.begin() as session:
        append_audit(
            session, ctx, actor, category=category, action=action, record=record, outcome=outcome,
            details=details,
        )


def guard(
    ctx: ServiceContext,
    actor: Actor,
    permission: Action,
    *,
    station_id: uuid.UUID | None = None,
    action: str,
    record: str | None = None,
) -> None:
    """``require`` that also audits a refusal, so every attempt on case data leaves a trace."""
    try:
        require(actor, permission, station_id)
    except PermissionDenied as exc:
        audit(ctx, actor, category="access", action=action, record=record, outcome="denied",
              details={"reason": str(exc)})
        raise


@dataclass
class CommandScope:
    """What a command's body gets: the session, the time, and ``changed`` to record its change."""

    session: Session
    ctx: ServiceContext
    actor: Actor
    now: datetime
    event: AuditEvent
    #: At the centre: this command's version, taken from the clock before anything was read, so
    #: central writers queue one after another and never overwrite each other's reads.
    central_version: int | None = None
    _changes: list[tuple[SyncedMixin, str]] = field(default_factory=list)
    _created: set[uuid.UUID] = field(default_factory=set)

    def changed(
        self,
        row: SyncedMixin,
        op_type: str,
        *,
        base_version: int,
        changes: dict[str, Any] | None = None,
        created: bool = False,
        also_created: list[SyncedMixin] | None = None,
        resends: list[uuid.UUID] | None = None,
    ) -> None:
        """Record that this command changed ``row`` (outbox entry, or a central version).

        ``changes`` are the fields the command set (the centre merges per field); ``created``
        sends the whole row. Rows the command created alongside (a no-show's follow-up, a
        reschedule's new appointment) travel in the same entry, so one command stays one entry.
        ``resends`` names the rejected ops this one sends again, fixed (their items settle when
        the centre accepts it).
        """
        extra = also_created or []
        self._created.update(r.id for r in ((row, *extra) if created else extra))
        for touched in (row, *extra):
            touched.updated_at = self.now
            self._changes.append((touched, op_type))
        if self.ctx.mode == "central":
            return
        self.session.flush()  # the flush seals the confidential fields, so the payload is ciphertext
        if isinstance(row, Appointment) and not created:
            changes = sealed_changes(self.session, row, changes or {})
        payload: dict[str, Any] = {
            "created": created,
            "row": row_to_dict(row) if created else encode_changes({**(changes or {}), "updated_at": self.now}),
            "also_created": [
                {"entity": type(child).__tablename__, "row": row_to_dict(child)}  # type: ignore[attr-defined]
                for child in extra
            ],
        }
        if resends:
            payload["resends"] = [str(op_id) for op_id in resends]
        self.session.add(
            OutboxEntry(
                op_id=uuid.uuid4(),
                station_code=self.ctx.station_code or "",
                op_type=op_type,
                entity=type(row).__tablename__,  # type: ignore[attr-defined]
                entity_id=row.id,
                base_version=base_version,
                payload=payload,
                created_at=self.now,
            )
        )

    def stamp_versions(self) -> None:
        if self.central_version is None:
            return
        for row, _ in self._changes:
            row.version = self.central_version
        # A central change is authoritative at once: the visitor messages it owes are queued in
        # this same transaction (issue 16). A station's change queues at the centre on its push.
        queue_for_changes(self.session, [row for row, _ in self._changes], self.central_version, self.now,
                          created=self._created)


def _refuse_unstorable_text(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty):
        if not isinstance(row, AuditEvent | OutboxEntry | VisitorMessage):
            check_row(row)


def lost_a_deadlock(exc: BaseException) -> bool:
    """PostgreSQL ended this transaction to break a deadlock (``40P01``): two commands inserting
    clashing bookings at once each waited on the other's exclusion-constraint check. Run again,
    the command meets the winner's committed row and is refused in words."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == "40P01"


def translate_integrity_error(exc: IntegrityError) -> FrontCounterError | None:
    """The database's own refusal of a double booking, as a message for the user."""
    text = str(exc.orig)
    if "ex_appointments_room_overlap" in text:
        return DoubleBooking("That room is already booked for that time. Choose another slot or room.")
    if "ex_appointments_officer_overlap" in text:
        return DoubleBooking("That officer already has an appointment at that time. Choose another slot.")
    if "ck_appointments_room_station" in text:
        return ValidationError("That room belongs to another station; book one of the appointment's own station.")
    if "ck_appointments_officer_station" in text:
        return ValidationError("That officer belongs to another station; choose one of the appointment's own station.")
    if "uq_appointments_reference" in text or "appointments.reference" in text:
        return DoubleBooking("That reference is already in use; please try again.")
    return None


@contextmanager
def command(
    ctx: ServiceContext,
    actor: Actor,
    *,
    category: str,
    action: str,
    record: str | None,
    details: dict[str, Any] | None = None,
) -> Iterator[CommandScope]:
    """Run a command's body in one transaction with its audit event (and outbox entry).

    A body that only learns its record while it runs (a new booking's reference) sets
    ``scope.event.record``.
    """
    try:
        with ctx.write.begin() as session:
            # Text the centre could never store is refused, by field, at every flush of a command.
            sa_event.listen(session, "before_flush", _refuse_unstorable_text)
            # Then every confidential field still in clear is sealed (after the text check, which
            # must see what was typed): no row or outbox entry ever stores it in clear.
            sa_event.listen(session, "before_flush", lambda s, _c, _i: seal_pending(s, actor.key))
            if ctx.mode == "central" and session.get_bind().dialect.name == "postgresql":
                sa_event.listen(session, "do_orm_execute", lock_what_is_read)
            central_version = next_central_version(session) if ctx.mode == "central" else None
            event = append_audit(session, ctx, actor, category=category, action=action, record=record,
                                 details=details)
            scope = CommandScope(session=session, ctx=ctx, actor=actor, now=event.at, event=event,
                                 central_version=central_version)
            yield scope
            scope.stamp_versions()
            session.flush()
    except IntegrityError as exc:
        translated = translate_integrity_error(exc)
        if translated is None:
            raise
        audit(ctx, actor, category=category, action=action, record=record, outcome="failed",
              details={"reason": translated.message})
        raise translated from exc
    for listener in list(ctx.on_committed):
        try:
            listener(action)
        except Exception:  # a listener's bug must not undo or hide a committed check-in
            logger.exception("on_committed listener failed after %s", action)


# --- Many commands in one transaction (an import's batch) --------------------------------------------


_TEMPLATES: dict[type, dict[str, Any]] = {}


def complete_row(model: type[SyncedMixin], values: dict[str, Any]) -> dict[str, Any]:
    """Every column of ``model`` for a new row: ``values``, then each column's scalar default, else None."""
    template = _TEMPLATES.get(model)
    if template is None:
        mapper: Any = sa_inspect(model)
        template = _TEMPLATES[model] = {}
        for attr in mapper.column_attrs:
            default = attr.columns[0].default
            template[attr.key] = getattr(default, "arg", None) if default is not None and default.is_scalar else None
    out = {**template, **values}
    for key, value in template.items():
        if isinstance(value, list) and key not in values:
            out[key] = list(value)
    return out


_PLANS: dict[type, list[tuple[str, bool]]] = {}
_PLAIN_TYPES = (str, int, bool, float, list, dict)


def _needs_encoding(attr: Any) -> bool:
    """False for a column whose values are already JSON (text, numbers, flags, JSON); True otherwise."""
    try:
        return attr.columns[0].type.python_type not in _PLAIN_TYPES
    except NotImplementedError:  # a type that cannot say: encode_value decides per value
        return True


def encode_row(model: type[SyncedMixin], row: dict[str, Any]) -> dict[str, Any]:
    """``row_to_dict`` for a row given as a dict: what the outbox carries (the local-only columns left out)."""
    plan = _PLANS.get(model)
    if plan is None:
        mapper: Any = sa_inspect(model)
        plan = _PLANS[model] = [(a.key, _needs_encoding(a)) for a in mapper.column_attrs
                                if a.key not in LOCAL_ONLY_COLUMNS]
    return {key: (encode_value(row[key]) if convert and row[key] is not None else row[key]) for key, convert in plan}


_TEXT_COLUMNS: dict[type, list[tuple[str, int | None]]] = {}


def _check_text(model: type[SyncedMixin], row: dict[str, Any]) -> None:
    """``text_rules.check_values`` for a new row, looking only at the text and list columns."""
    columns = _TEXT_COLUMNS.get(model)
    if columns is None:
        mapper: Any = sa_inspect(model)
        columns = _TEXT_COLUMNS[model] = [
            (a.key, getattr(a.columns[0].type, "length", None)) for a in mapper.column_attrs
            if isinstance(a.columns[0].type, String | JSON)]
    check_values(model, {key: row[key] for key, _ in columns if row.get(key) is not None})


@dataclass
class BatchScope:
    """What a batch's body gets: ``created`` records one command's new row, audit event and outbox entry.

    Each row keeps the semantics of a command of its own -- one audit event naming it, one outbox
    entry the centre accepts or refuses on its own -- but the batch commits them together, in one
    transaction, with set-based inserts (an import of 250,000 rows would otherwise be 250,000
    transactions, each with its own queries and its own fsync).
    """

    session: Session
    ctx: ServiceContext
    actor: Actor
    now: datetime
    next_seq: int
    central_version: int | None = None
    _rows: dict[type[SyncedMixin], list[dict[str, Any]]] = field(default_factory=dict)
    _events: list[dict[str, Any]] = field(default_factory=list)
    _entries: list[dict[str, Any]] = field(default_factory=list)
    actions: set[str] = field(default_factory=set)
    _readers: dict[uuid.UUID, dict[uuid.UUID, str]] = field(default_factory=dict)
    _sealer: Sealer = field(default_factory=Sealer)

    def created(
        self,
        model: type[SyncedMixin],
        values: dict[str, Any],
        *,
        category: str,
        action: str,
        record: str | None,
        details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new ``model`` row (the batch inserts it), with its audit event and, at a station, its
        outbox entry carrying the whole row. Text no database can store is refused, naming the field."""
        row = complete_row(model, {**values, "updated_at": self.now})
        if self.central_version is not None:
            row["version"] = self.central_version
        _check_text(model, row)  # on the text as typed, before it is sealed
        if model is Appointment:
            station_id = row["station_id"]
            if station_id not in self._readers:
                self._readers[station_id] = recipients(self.session, station_id)
            seal_new_values(row, self._readers[station_id], self._sealer)
        self._rows.setdefault(model, []).append(row)
        self._events.append({
            "id": uuid.uuid4(), "local_seq": self.next_seq, "at": self.now, "username": self.actor.username,
            "role": self.actor.role.value, "station_code": self.actor.station_code,
            "workstation": self.ctx.workstation, "category": category, "action": action, "record": clean(record),
            "outcome": "success", "details": clean(details or {}),
        })
        self.next_seq += 1
        self.actions.add(action)
        if self.ctx.mode != "central":
            self._entries.append({
                "op_id": uuid.uuid4(), "station_code": self.ctx.station_code or "", "op_type": action,
                "entity": model.__tablename__,  # type: ignore[attr-defined]
                "entity_id": row["id"], "base_version": 0, "created_at": self.now,
                "payload": {"created": True, "also_created": [],
                            "row": encode_row(model, row)},
            })
        return row

    def flush(self) -> None:
        for model, rows in self._rows.items():
            if rows:
                self.session.execute(insert(model), rows)
        if self._events:
            self.session.execute(insert(AuditEvent), self._events)
        if self._entries:
            self.session.execute(insert(OutboxEntry), self._entries)


@contextmanager
def command_batch(ctx: ServiceContext, actor: Actor) -> Iterator[BatchScope]:
    """Many commands (``scope.created``) committed in one transaction, or none of them.

    At the centre the batch takes one central version, as a command does. An ``IntegrityError``
    (a double booking the database refused) is raised untranslated: the caller knows which rows
    the batch held and splits it to find the one at fault.
    """
    with ctx.write.begin() as session:
        central_version = next_central_version(session) if ctx.mode == "central" else None
        seq = session.execute(select(func.coalesce(func.max(AuditEvent.local_seq), 0))).scalar_one()
        scope = BatchScope(session=session, ctx=ctx, actor=actor, now=ctx.clock.now(), next_seq=int(seq) + 1,
                           central_version=central_version)
        yield scope
        scope.flush()
        if central_version is not None:  # the centre owes each imported visitor a confirmation (issue 16)
            made = [row["id"] for row in scope._rows.get(Appointment, [])]
            if made:
                rows = session.scalars(select(Appointment).where(Appointment.id.in_(made))).all()
                queue_for_changes(session, rows, central_version, scope.now, created=made)
    for action in sorted(scope.actions):
        for listener in list(ctx.on_committed):
            try:
                listener(action)
            except Exception:
                logger.exception("on_committed listener failed after %s", action)
