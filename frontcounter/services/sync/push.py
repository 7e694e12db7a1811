"""Push: the station's outbox (and its audit log) to the centre, in order, each operation in its
own central transaction; the centre records applied op_ids, so a retried push never applies twice."""

from __future__ import annotations

import logging
import secrets as random_secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from frontcounter.db.engine import make_session_factory
from frontcounter.db.models import Appointment, AuditEvent, OutboxEntry, SyncCursor
from frontcounter.services.core.clock import Clock
from frontcounter.services.core.errors import (
    FrontCounterError,
    OfflineError,
)
from frontcounter.services.core.rowcodec import encode_changes
from frontcounter.services.sync import centre
from frontcounter.services.sync.centre_refusals import timed_out
from frontcounter.services.sync.connection import (
    LOCK_TIMEOUT_S,
    central_errors,
    describe_url,
)
from frontcounter.services.sync.pull import SyncCancelled, get_meta, set_meta
from frontcounter.services.sync.report import (
    AUDIT_PUSHED,
    LAST_SYNC,
    NODE_ID,
    Cancel,
    Progress,
    Step,
    SyncReport,
)

AUDIT_BATCH = 500
_NODE_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalStatus:
    waiting: int
    last_sync: datetime | None
    #: The cache has never completed a pull: it holds no station data yet.
    never_synced: bool


def local_status(local_engine: Engine) -> LocalStatus:
    """How many changes wait and when the last sync was (a quick local read)."""
    with make_session_factory(local_engine)() as s:
        waiting = s.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state == "pending"))
        last = get_meta(s, LAST_SYNC)
        cursors = s.scalar(select(func.count()).select_from(SyncCursor))
    return LocalStatus(int(waiting or 0), datetime.fromisoformat(last) if last else None, not cursors)


def node_id(local_engine: Engine, station_code: str) -> str:
    """This cache's id at the centre: the station code and a random suffix, made once."""
    with make_session_factory(local_engine)() as s:
        found = get_meta(s, NODE_ID)
    if found:
        return found
    with make_session_factory(local_engine, write=True).begin() as s:
        found = get_meta(s, NODE_ID)
        if found is None:
            suffix = "".join(random_secrets.choice(_NODE_ALPHABET) for _ in range(6))
            found = station_code.upper()[:2] + suffix
            set_meta(s, NODE_ID, found)
        return found


def _operation(entry: OutboxEntry, node: str, session: Session) -> centre.Operation:
    seen = None
    if entry.entity == Appointment.__tablename__ and not entry.payload.get("created"):
        row = session.get(Appointment, entry.entity_id)
        if row is not None:
            seen = encode_changes({k: getattr(row, k) for k in centre.SLOT_FIELDS})
    return centre.Operation(
        op_id=entry.op_id, node=node, station_code=entry.station_code, seq=entry.seq, op_type=entry.op_type,
        entity=entry.entity, entity_id=entry.entity_id, base_version=entry.base_version,
        payload=dict(entry.payload), seen=seen,
    )


def _withhold_unaccepted(session: Session, op: centre.Operation) -> int:
    """Keep, but set aside, the local rows a rejected op created: nothing the clerk typed is lost.

    A rejected new record (and rows made with it) never existed at the centre. Deleting it lost a
    clerk's booking; leaving it live would show a booking the centre does not have (and may hold
    its slot for someone else). So it stays in the cache marked withheld (the tombstone flag, which
    every view already honours) with its outbox entry, and waits on the "Not accepted" list
    (frontcounter/services/sync/rejections.py) to be fixed and resent.
    """
    kept: list[tuple[str, uuid.UUID]] = [
        (child.get("entity", ""), uuid.UUID(child["row"]["id"])) for child in op.payload.get("also_created") or []
    ]
    if op.payload.get("created"):
        kept.append((op.entity, op.entity_id))
    withheld = 0
    for entity, row_id in kept:
        model = centre.MODELS_BY_TABLE.get(entity)
        row = session.get(model, row_id) if model is not None else None
        if row is not None and not row.deleted:
            row.deleted = True
            withheld += 1
    return withheld


#: Waits before retrying a change the centre timed out on (a lock held elsewhere), in seconds.
BUSY_DELAYS = (0.5, 1.0, 2.0)


def push(
    local_engine: Engine,
    central_engine: Engine,
    station_code: str,
    *,
    clock: Clock,
    report: SyncReport,
    cancel: Cancel | None = None,
    on_step: Step | None = None,
    progress: Progress | None = None,
    node: str | None = None,
    total: int = 0,
    centre_clock: Clock | None = None,
) -> None:
    """Push every pending outbox entry, oldest first; stop at the first connection failure.

    The centre stamps what it receives with its own time (``centre_clock`` if given or pinned,
    else PostgreSQL's or the embedded centre process's; see centre_clock.centre_now), never this
    station's.
    """
    url = central_engine.url.render_as_string(hide_password=False)
    local_read = make_session_factory(local_engine)
    local_write = make_session_factory(local_engine, write=True)
    central_write = make_session_factory(central_engine, write=True)
    node = node or node_id(local_engine, station_code)
    after = 0
    while True:
        with local_read() as s:
            entries = s.scalars(
                select(OutboxEntry).where(OutboxEntry.state == "pending", OutboxEntry.seq > after)
                .order_by(OutboxEntry.seq).limit(100)
            ).all()
            ops = [_operation(e, node, s) for e in entries]
        if not ops:
            return
        for op in ops:
            if cancel is not None and cancel():
                raise SyncCancelled("Sync stopped; the remaining changes wait for the next one.")
            if on_step is not None:
                on_step("push.before_send")
            answer = _apply_retrying(central_write, op, centre_clock, report, url)
            if on_step is not None:
                on_step("push.after_commit")
            with local_write.begin() as s:
                entry = s.get(OutboxEntry, op.seq)
                if entry is None or entry.state != "pending":
                    after = op.seq
                    continue  # another sync of this cache answered it meanwhile
                entry.state = answer.result
                entry.result_message = answer.message
                entry.acked_at = clock.now()
                if answer.result == "rejected":
                    # Refused: the centre does not hold it, so the command stays whole here to be
                    # fixed and resent (issue 20); its rows are set aside, never deleted.
                    report.withheld += _withhold_unaccepted(s, op)
                else:
                    # Answered: the centre holds the data now. The entry stays (its seq must never be
                    # reused) but no longer keeps a second copy of the visitor (issue 21).
                    entry.payload = {"scrubbed": True}
            after = op.seq
            if on_step is not None:
                on_step("push.after_ack")
            report.pushed += 1
            report.replayed += answer.replayed
            setattr(report, answer.result, getattr(report, answer.result) + 1)
            if answer.message and answer.result != "applied":
                report.notes.append(f"{answer.result}: {answer.message}")
            if progress is not None:
                progress(report.pushed, max(total, report.pushed))


def _apply_retrying(factory: Any, op: centre.Operation, centre_clock: Clock | None, report: SyncReport,
                    url: str) -> centre.OpResult:
    """Apply one change; when the centre times out on a lock (held by someone else), wait and retry
    with back-off, say so in the report, and in the end leave it queued (OfflineError)."""
    attempts = len(BUSY_DELAYS) + 1
    for attempt in range(attempts):
        try:
            with central_errors(url):
                return centre.apply_operation(factory, op, centre_clock.now() if centre_clock else None)
        except DBAPIError as exc:
            if not timed_out(exc):
                raise
            if attempt == attempts - 1:
                raise OfflineError(
                    f"The centre ({describe_url(url)}) is busy: a change waited for a lock held elsewhere "
                    f"{attempts} times ({LOCK_TIMEOUT_S} s each); it stays queued for the next sync."
                ) from exc
        report.busy_retries += 1
        logger.info("the centre timed out on a lock for op %s; retry %d in %.1f s", op.op_id, attempt + 1,
                    BUSY_DELAYS[attempt])
        time.sleep(BUSY_DELAYS[attempt])
    raise AssertionError("unreachable")


def push_audit(local_engine: Engine, central_engine: Engine, *, cancel: Cancel | None = None) -> int:
    """Send audit events the centre has not had yet, by local_seq; duplicates are ignored by id."""
    url = central_engine.url.render_as_string(hide_password=False)
    local_read = make_session_factory(local_engine)
    local_write = make_session_factory(local_engine, write=True)
    # One INSERT, one round trip: on PostgreSQL in autocommit (no BEGIN, no COMMIT). Each batch is
    # idempotent (by id), so a batch cut short is simply sent again.
    bind = (central_engine.execution_options(isolation_level="AUTOCOMMIT")
            if central_engine.dialect.name == "postgresql" else central_engine)
    # The centre stamps arrival itself; a station may not even name those columns (rls.py).
    columns = [c.key for c in AuditEvent.__table__.columns if c.key not in ("received_at", "received_by")]
    sent = 0
    while True:
        if cancel is not None and cancel():
            raise SyncCancelled("Sync stopped; the remaining audit events go with the next one.")
        with local_read() as s:
            done = int(get_meta(s, AUDIT_PUSHED) or 0)
            rows = s.scalars(
                select(AuditEvent).where(AuditEvent.local_seq > done).order_by(AuditEvent.local_seq).limit(AUDIT_BATCH)
            ).all()
            values = [{c: getattr(r, c) for c in columns} for r in rows]
        if not values:
            return sent
        try:
            with central_errors(url), bind.begin() as c:
                c.execute(_insert_ignore(central_engine), values)
        except DBAPIError as exc:
            # Refused for good (not the link): keep the events queued, but do not let them block
            # the pull; the report and the log say so.
            logger.warning("the centre refused audit events from local_seq %s: %s", values[0]["local_seq"],
                           type(exc.orig).__name__)
            raise AuditRefused(f"The centre refused {len(values)} audit event(s); they stay queued here.") from exc
        with local_write.begin() as s:
            set_meta(s, AUDIT_PUSHED, str(values[-1]["local_seq"]))
        sent += len(values)


def _insert_ignore(engine: Engine) -> Any:
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(AuditEvent).on_conflict_do_nothing(index_elements=["id"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(AuditEvent).on_conflict_do_nothing(index_elements=["id"])


class AuditRefused(FrontCounterError):
    """The centre refused audit events for a reason other than the link (they stay queued)."""
