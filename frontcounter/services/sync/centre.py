"""The centre's side of a push: judge one station operation and apply it, exactly once.

Each operation is applied in its own central transaction that also records the answer in
``applied_ops``; a retried push (the acknowledgement was lost) finds the op_id there and gets the
stored answer back, so nothing is ever applied twice. No central writer queues on a shared row:
on PostgreSQL a version is the writing transaction's id (migration 0002; pulls stay below the
oldest running transaction, so none skips a late commit), the judge locks only the row it changes,
and a lock wait is bounded (LOCK_TIMEOUT_S; the station retries with back-off).

The rules are deterministic, from base_version, the values the station saw and the order the
centre receives operations in (never wall clocks):

- a check-in beats a central cancel or reschedule (the visitor is standing at the counter): it is
  applied anyway, answered "resolved", and the central change is flagged for a supervisor;
- a no-show is rejected if the slot (start, room, officer) changed since the station's copy;
- a new row (a booking, a walk-in) that collides with a central booking loses at the database's
  own constraint; the station then removes its copy and the user chooses again;
- everything else merges per field: only the fields the operation changed are written;
- a status change the status machine does not allow from the central status is rejected.

A rejection is never dropped: it becomes an ``AttentionItem`` in the station's "needs attention"
list, and the authoritative central row is re-stamped so the station's next pull restores it.
"""

from __future__ import annotations

import logging
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from frontcounter.db.models import (
    SYNCED_MODELS,
    AppliedOp,
    Appointment,
    AttentionItem,
    Room,
    Station,
    Status,
    SyncedMixin,
)
from frontcounter.services.core import text_rules
from frontcounter.services.core.clock import local
from frontcounter.services.core.commands import next_central_version
from frontcounter.services.core.context import Policy
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.core.rowcodec import decode_changes
from frontcounter.services.core.sealing import seal_pending
from frontcounter.services.core.status import LABELS, UNDO, can_transition
from frontcounter.services.core.visitor_messages import queue_for_changes
from frontcounter.services.sync.centre_clock import SKEW_LIMIT, centre_now, pinned_clock
from frontcounter.services.sync.centre_refusals import collision, refusal, unknown_station
from frontcounter.services.sync.connection import LOCK_TIMEOUT_S, STATEMENT_TIMEOUT_S

logger = logging.getLogger(__name__)

Result = Literal["applied", "resolved", "rejected"]

MODELS_BY_TABLE: dict[str, type[SyncedMixin]] = {m.__tablename__: m for m in SYNCED_MODELS}  # type: ignore[attr-defined]
#: The fields that place an appointment: a no-show is judged against the values the station saw.
SLOT_FIELDS = ("start_at", "end_at", "room_id", "officer_id")
#: Times a station stamps on a status change: the centre never lets one lie in its future.
STATUS_TIMES = frozenset({"arrived_at", "seen_at", "completed_at", "no_show_at", "left_unseen_at", "cancelled_at"})
#: The centre's own no-show grace (the default policy; a station may only be stricter).
NO_SHOW_GRACE_MINUTES = Policy().no_show_grace_minutes
#: Never taken from a station: the key and the centre's own version.
_PROTECTED = frozenset({"id", "version"})

_OP_NAMES = {
    "appointment.book": "The booking",
    "appointment.walk_in": "The walk-in booking",
    "appointment.import": "The imported booking",
    "appointment.check_in": "The check-in",
    "appointment.no_show": "The no-show",
    "appointment.left_unseen": "'Left unseen'",
    "appointment.start": "The start of the meeting",
    "appointment.complete": "The completion",
    "appointment.undo": "The undo",
    "appointment.cancel": "The cancellation",
    "appointment.reschedule": "The reschedule",
}


@dataclass(frozen=True)
class Operation:
    """One outbox entry as the centre receives it."""

    op_id: uuid.UUID
    #: The pushing cache's node id (station code plus a random suffix): a station may run several
    #: counter PCs, each with its own outbox sequence, so the sequence is unique per node.
    node: str
    station_code: str
    seq: int
    op_type: str
    entity: str
    entity_id: uuid.UUID
    base_version: int
    payload: dict[str, Any]
    #: The slot fields of the station's copy when pushed (appointments only; see SLOT_FIELDS).
    seen: dict[str, Any] | None = None


@dataclass(frozen=True)
class OpResult:
    op_id: uuid.UUID
    result: Result
    message: str | None
    version: int
    #: True when the centre had answered this op before (a retry after a lost acknowledgement).
    replayed: bool = False


@dataclass
class _Outcome:
    result: Result
    message: str | None = None
    touched: list[SyncedMixin] = field(default_factory=list)
    #: A flag for a supervisor (kind "flagged"); rejections get their item automatically.
    flag: str | None = None
    #: No attention item for this rejection (it repeats one the station already has).
    quiet: bool = False


class _Reject(Exception):
    def __init__(self, message: str, *, quiet: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.quiet = quiet


def _decode(model: type[SyncedMixin], data: dict[str, Any]) -> dict[str, Any]:
    return decode_changes(model, data)  # type: ignore[arg-type]  # every synced model is a Base


def pinned_clock_now() -> datetime | None:
    clock = pinned_clock()
    return clock.now() if clock is not None else None


def _advisory_key(node: str) -> int:
    return zlib.crc32(f"frontcounter.push.{node}".encode()) - 2**31


def apply_operation(factory: sessionmaker[Session], op: Operation, now: datetime | None = None) -> OpResult:
    """Apply ``op`` at the centre in one transaction, or return the answer it already had.

    Connection failures propagate (the station retries later; the op_id makes that safe). A bug
    in judging one operation is answered as a rejection, so one bad entry cannot block a
    station's queue for ever, and it still reaches a supervisor.
    """
    try:
        return _apply_once(factory, op, now)
    except IntegrityError:
        # Another push of the same op (a second process syncing this cache) won the race.
        stored = _stored(factory, op.op_id)
        if stored is None:
            raise
        return stored


def _stored(factory: sessionmaker[Session], op_id: uuid.UUID) -> OpResult | None:
    with factory() as session:
        row = session.get(AppliedOp, op_id)
        if row is None:
            return None
        return OpResult(op_id, row.result, row.message, row.version, replayed=True)  # type: ignore[arg-type]


def _apply_once(factory: sessionmaker[Session], op: Operation, now: datetime | None) -> OpResult:
    with factory.begin() as session:
        # A station of this version sends ciphertext; one from before the upgrade may send a
        # confidential field in clear, which is sealed here before the centre stores it.
        sa_event.listen(session, "before_flush", lambda s, _c, _i: seal_pending(s))
        postgres = session.get_bind().dialect.name == "postgresql"
        station_id: uuid.UUID | None = None
        server_now: datetime | None = None
        version = 0
        if postgres:
            # One pusher per node at a time: a second process syncing the same cache waits here.
            # In the same round trip: the timeouts for this transaction only (pool-safe), then,
            # once the lock is held, this transaction's version (its id, migration 0002), the
            # centre's time and the station's id. No shared clock row to queue on: the judge locks
            # the row it changes (FOR UPDATE) and central commands lock what they read, so none
            # judges a row another is about to change, and other stations never wait.
            first = session.execute(
                text("SELECT set_config('lock_timeout', :lt, true), set_config('statement_timeout', :st, true), "
                     "pg_advisory_xact_lock(:k), fc_tx_version(), clock_timestamp(), "
                     "(SELECT id FROM stations WHERE code = :code)"),
                {"k": _advisory_key(op.node), "lt": f"{LOCK_TIMEOUT_S}s", "st": f"{STATEMENT_TIMEOUT_S}s",
                 "code": op.station_code}).one()
            version, server_now, station_id = int(first[3]), first[4], first[5]
        stored = session.get(AppliedOp, op.op_id)
        if stored is not None:
            return OpResult(op.op_id, stored.result, stored.message, stored.version,  # type: ignore[arg-type]
                            replayed=True)
        if not postgres:
            station_id = session.scalar(select(Station.id).where(Station.code == op.station_code))
        if station_id is None:
            raise unknown_station(op.station_code)
        # The centre's time, never the station's (a pinned clock stands in for it in tests).
        now = now or pinned_clock_now() or server_now or centre_now(session)
        if not postgres:
            version = next_central_version(session)
        try:
            with session.begin_nested():
                outcome = _judge(session, op, now)
                session.flush()
        except _Reject as rejection:
            outcome = _Outcome("rejected", rejection.message, quiet=rejection.quiet)
        except IntegrityError as exc:
            outcome = _Outcome("rejected", collision(exc, bool(op.payload.get("created"))))
        except (OperationalError, InterfaceError):
            raise  # the link or the server (or a deadlock): the station retries later
        except DBAPIError as exc:  # a permanent refusal: row-level security, a value out of range…
            logger.warning("central apply refused op %s (%s): %s", op.op_id, op.op_type, type(exc.orig).__name__)
            outcome = _Outcome("rejected", refusal(exc))
        except Exception:  # a bug judging this op: answer it, do not block the station's queue
            logger.exception("central apply failed for op %s (%s)", op.op_id, op.op_type)
            outcome = _Outcome("rejected", "the centre could not apply it (an internal error was logged)")
        for row in outcome.touched:
            row.version = version
        version = _actual_version(session, outcome.touched, version)
        message: str | None
        if outcome.result == "rejected":
            message = f"{_describe(session, op)} was not accepted by the centre: {outcome.message}"
            _restamp(session, op, version)
        else:
            message = outcome.message
        if outcome.result == "rejected" and not outcome.quiet:
            _attention(session, op, station_id, "rejected", message or "", now, version)
        if outcome.flag:
            _attention(session, op, station_id, "flagged", outcome.flag, now, version)
        if outcome.result != "rejected":
            _settle_resent(session, op, now, version)
            # The visitor messages the accepted change owes, in this same transaction (issue 16).
            made = ([] if not op.payload.get("created") else [op.entity_id]) + [
                uuid.UUID(str((c.get("row") or {}).get("id"))) for c in op.payload.get("also_created") or []
                if (c.get("row") or {}).get("id")]
            queue_for_changes(session, outcome.touched, version, now, created=made)
        session.add(AppliedOp(op_id=op.op_id, station_code=op.node, station_seq=op.seq, entity_id=op.entity_id,
                              applied_at=now, result=outcome.result, message=message, version=version))
        session.flush()
        return OpResult(op.op_id, outcome.result, message, version)


def _actual_version(session: Session, touched: list[SyncedMixin], version: int) -> int:
    """On PostgreSQL the trigger may have stamped a row above the transaction's version (a younger
    transaction wrote it first); the answer carries the highest, so the station's next change to
    the row is not mistaken for a conflict with itself."""
    if not touched or session.get_bind().dialect.name != "postgresql":
        return version
    session.flush()
    found = [session.scalar(select(type(r).version).where(type(r).id == r.id))
             for r in touched]
    return max([version, *(int(v) for v in found if v is not None)])


def _judge(session: Session, op: Operation, now: datetime) -> _Outcome:
    model = MODELS_BY_TABLE.get(op.entity)
    if model is None:
        raise _Reject(f"it changes {op.entity!r}, which the centre does not sync")
    payload = op.payload
    if "row" not in payload:
        raise _Reject("its details were erased before it reached the centre")
    _check_text(model, payload)
    if payload.get("created"):
        return _create(session, model, op)
    row = session.get(model, op.entity_id, with_for_update=True)
    if row is None or row.deleted:
        if _earlier_create_rejected(session, op):
            raise _Reject("the record it changes was itself never accepted (see the earlier rejection)",
                          quiet=True)
        raise _Reject("the record no longer exists at the centre")
    changes = {k: v for k, v in _decode(model, payload["row"]).items() if k not in _PROTECTED}
    if isinstance(row, Appointment):
        changes = _not_in_the_future(changes, now)
    conflict = row.version > _effective_base(session, op)
    if isinstance(row, Appointment) and "status" in changes:
        outcome = _status_change(session, row, changes, op, conflict, now)
    else:
        _merge(row, changes)
        outcome = _Outcome("resolved" if conflict else "applied",
                           "merged with a change made at the centre" if conflict else None, [row])
    if outcome.result != "rejected" and outcome.touched:
        session.flush()  # release or move the old slot before rows created alongside take one
        outcome.touched.extend(_insert_children(session, payload))
    return outcome


def _check_text(model: type[SyncedMixin], payload: dict[str, Any]) -> None:
    """Refuse, naming the field, text the centre's database cannot hold (a NUL, a lone surrogate).

    A station of this version refuses such text when it is typed; an older station, or a row
    stored before that check, reaches here, and the clerk is told which field to fix.
    """
    rows = [(model, payload["row"])] + [(MODELS_BY_TABLE.get(child.get("entity", ""), model), child.get("row") or {})
                                        for child in payload.get("also_created") or []]
    for row_model, row in rows:
        try:
            text_rules.check_values(row_model, row)
        except ValidationError as exc:
            raise _Reject(exc.message) from None


def _settle_resent(session: Session, op: Operation, now: datetime, version: int) -> None:
    """An op that resends rejected ones was accepted: their "needs attention" items are done."""
    resent = [uuid.UUID(str(op_id)) for op_id in op.payload.get("resends") or []]
    if not resent:
        return
    items = session.scalars(select(AttentionItem).where(
        AttentionItem.op_id.in_(resent), AttentionItem.settled_at.is_(None))).all()
    for item in items:
        item.settled_at, item.settled_by, item.version, item.updated_at = now, "sync", version, now
        item.settlement = "Fixed at the station and sent again; the centre accepted it."


def _create(session: Session, model: type[SyncedMixin], op: Operation) -> _Outcome:
    if session.get(model, op.entity_id) is not None:
        raise _Reject("a record with the same key already exists at the centre")
    values = {k: v for k, v in _decode(model, op.payload["row"]).items() if k != "version"}
    row = model(**values)
    session.add(row)
    session.flush()
    return _Outcome("applied", None, [row, *_insert_children(session, op.payload)])


def _insert_children(session: Session, payload: dict[str, Any]) -> list[SyncedMixin]:
    children: list[SyncedMixin] = []
    for child in payload.get("also_created") or []:
        model = MODELS_BY_TABLE.get(child.get("entity", ""))
        if model is None:
            raise _Reject(f"it creates {child.get('entity')!r}, which the centre does not sync")
        values = {k: v for k, v in _decode(model, child["row"]).items() if k != "version"}
        if session.get(model, values.get("id")) is not None:
            raise _Reject("a record it creates already exists at the centre")
        row = model(**values)
        session.add(row)
        session.flush()
        children.append(row)
    return children


def _merge(row: SyncedMixin, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        setattr(row, key, value)


def _effective_base(session: Session, op: Operation) -> int:
    """The op's base, or the version of this node's own latest accepted op on the row if later.

    A station's second change to a row (check-in, then start) is based on its own first change,
    which the centre has applied since; that is not someone else's change.
    """
    own = session.scalar(
        select(func.max(AppliedOp.version)).where(
            AppliedOp.station_code == op.node, AppliedOp.entity_id == op.entity_id, AppliedOp.result != "rejected"
        )
    )
    return max(op.base_version, int(own or 0))


def _earlier_create_rejected(session: Session, op: Operation) -> bool:
    return bool(session.scalar(
        select(func.count()).select_from(AppliedOp).where(
            AppliedOp.station_code == op.node, AppliedOp.entity_id == op.entity_id, AppliedOp.result == "rejected"
        )
    ))


def _not_in_the_future(changes: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A status time a station claims after the centre's now (its clock is fast) becomes the centre's now.

    What happened at the counter cannot have happened later than the centre received it.
    """
    limit = now + SKEW_LIMIT
    return {k: (now if k in STATUS_TIMES and isinstance(v, datetime) and v > limit else v)
            for k, v in changes.items()}


def _status_change(
    session: Session, row: Appointment, changes: dict[str, Any], op: Operation, conflict: bool, now: datetime
) -> _Outcome:
    new, current = Status(changes["status"]), Status(row.status)
    ref = row.reference
    if new == current:
        if not conflict:
            _merge(row, changes)
            return _Outcome("applied", None, [row])
        # Both sides made the same change (two counters checked the visitor in): the first stands.
        return _Outcome("resolved", f"{ref} was already {LABELS[current]} at the centre; the first record stands")
    if op.op_type == "appointment.undo":
        # A clerk's undo steps back once from the status it saw; anything else moved on meanwhile.
        if UNDO.get(current) != new:
            raise _Reject(f"{ref} is {LABELS[current]} at the centre, so it cannot be stepped back to {LABELS[new]}")
        _merge(row, changes)
        return _Outcome("resolved" if conflict else "applied", None, [row])
    if new == Status.ARRIVED and current in (Status.IN_PROGRESS, Status.COMPLETED, Status.LEFT_UNSEEN):
        return _Outcome("resolved", f"{ref} was already {LABELS[current]} at the centre; the first record stands")
    if new == Status.ARRIVED and current in (Status.CANCELLED, Status.RESCHEDULED, Status.NO_SHOW):
        # The visitor is standing at the counter: the check-in stands, the central change is flagged.
        _merge(row, changes)
        return _Outcome("resolved", f"checked in although {ref} was {LABELS[current]} at the centre",
                        [row], flag=_checkin_flag(session, row, current))
    if not can_transition(current.value, new):
        raise _Reject(f"{ref} is {LABELS[current]} at the centre, so it cannot be marked {LABELS[new]}")
    if new == Status.NO_SHOW:
        if op.seen:
            moved = _slot_moved(row, op.seen)
        else:  # a station that did not say what it saw: any central change since its base counts
            moved = "was changed at the centre after this station's copy" if conflict else None
        if moved:
            raise _Reject(f"{ref} {moved}; the no-show was not recorded. Check the visitor was told the new time")
        grace_ends = row.start_at + timedelta(minutes=NO_SHOW_GRACE_MINUTES)
        if now < grace_ends:  # by the centre's clock: a fast station PC cannot lock a visitor out early
            raise _Reject(f"{ref} cannot be a no-show before {local(grace_ends):%H:%M} by the centre's clock "
                          f"({NO_SHOW_GRACE_MINUTES} minutes after the start); the visitor may still come")
    _merge(row, changes)
    if conflict:
        return _Outcome("resolved", "merged with a change made at the centre", [row])
    return _Outcome("applied", None, [row])


def _slot_moved(row: Appointment, seen: dict[str, Any]) -> str | None:
    """How the central slot differs from the one the station saw, or None if it does not."""
    saw = decode_changes(Appointment, seen)
    if any(saw.get(k) != getattr(row, k) for k in SLOT_FIELDS if k in saw):
        return f"was moved at the centre (now {local(row.start_at):%a %d %b %H:%M})"
    return None


def _checkin_flag(session: Session, row: Appointment, was: Status) -> str:
    arrived = f" at {local(row.arrived_at):%H:%M}" if row.arrived_at else ""
    if was == Status.RESCHEDULED and row.rescheduled_to_id:
        new = session.get(Appointment, row.rescheduled_to_id)
        if new is not None:
            return (f"{row.reference} was rescheduled at the centre to {new.reference} "
                    f"({local(new.start_at):%a %d %b %H:%M}), but the visitor came and was checked in"
                    f"{arrived}. The check-in stands: cancel or keep {new.reference}.")
    if was == Status.NO_SHOW:
        return (f"{row.reference} was marked a no-show elsewhere, but the visitor came and was checked in"
                f"{arrived}. The check-in stands: close the no-show's follow-up.")
    by = f" by {row.cancelled_by}" if row.cancelled_by else ""
    return (f"{row.reference} was {LABELS[was]} at the centre{by}, but the visitor came and was checked in"
            f"{arrived}. The check-in stands: make sure an officer sees them.")


def _describe(session: Session, op: Operation) -> str:
    name = _OP_NAMES.get(op.op_type, f"The change '{op.op_type}'")
    reference = None
    if op.entity == "appointments":
        row = session.get(Appointment, op.entity_id)
        reference = row.reference if row is not None else (op.payload.get("row") or {}).get("reference")
    elif op.entity == "rooms":
        room = session.get(Room, op.entity_id)
        reference = room.name if room is not None else None
    return f"{name} of {reference}" if reference else name


def _restamp(session: Session, op: Operation, version: int) -> None:
    """Give the authoritative row a new version, so the station's next pull restores it.

    The station's cursor may already be past the row (it skipped it while the op was pending).
    """
    model = MODELS_BY_TABLE.get(op.entity)
    if model is None or op.payload.get("created"):
        return
    row = session.get(model, op.entity_id)
    if row is not None:
        row.version = version


def _attention(
    session: Session, op: Operation, station_id: uuid.UUID, kind: str, message: str, now: datetime, version: int
) -> None:
    session.add(AttentionItem(
        id=uuid.uuid4(), station_id=station_id,
        appointment_id=op.entity_id if op.entity == "appointments" else None,
        op_id=op.op_id, kind=kind, message=message, created_at=now, updated_at=now, version=version,
        deleted=False,
    ))
