"""One sync of a station cache with the centre (DESIGN.md section 4): check, push, pull.

1. **Schema check**: a centre whose schema version differs from this build's is refused, with a
   message that says which versions, before anything moves.
2. **Push** the outbox in sequence order. Each entry is applied at the centre in its own central
   transaction (frontcounter/services/sync/centre.py) that records its op_id, so a push retried after a
   lost acknowledgement gets the stored answer and nothing is applied twice. The answer (applied,
   resolved or rejected) is then written to the local entry. A rejected entry and its rows are
   kept (a rejected new record is set aside, never deleted) for the clerk to fix and resend
   (frontcounter/services/sync/rejections.py); the centre also puts the rejection in the station's
   "needs attention" list.
3. **Audit events** travel on their own channel, by ``local_seq``, inserted at the centre by id
   with ``ON CONFLICT DO NOTHING`` (so each command stays one audit event and one outbox entry).
4. **Pull** (frontcounter/services/sync/pull.py), only after a complete push.

Connection problems become ``OfflineError`` (the station carries on; changes wait) and refused
credentials ``AuthenticationError``, each a one-line message naming the centre by its URL with any
password hidden. Nothing here logs a password or a visitor's personal data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, false, func, select
from sqlalchemy.exc import ProgrammingError

from frontcounter.db.engine import make_session_factory
from frontcounter.db.models import AuditEvent, OutboxEntry, Station, SyncCursor, SyncMeta
from frontcounter.services.core.clock import Clock, default_clock
from frontcounter.services.sync import centre_clock as centre_clock_rules
from frontcounter.services.sync import pull as sync_pull
from frontcounter.services.sync.connection import (
    _judge_revision,
    _revision_in,
    central_errors,
    check_schema,
    first_contact,
)
from frontcounter.services.sync.pull import PAGE_SIZE, SyncCancelled, set_meta
from frontcounter.services.sync.push import (
    AuditRefused,
    push,
    push_audit,
)
from frontcounter.services.sync.report import (
    AUDIT_PUSHED,
    LAST_SYNC,
    NODE_ID,
    Cancel,
    Progress,
    Step,
    SyncReport,
)

logger = logging.getLogger(__name__)

__all__ = ["SyncCancelled", "SyncReport", "sync_once"]


# -- errors -------------------------------------------------------------------------------------


# -- connecting --------------------------------------------------------------------------------


# -- local facts -------------------------------------------------------------------------------


# -- push --------------------------------------------------------------------------------------


# -- the whole sync ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _LocalState:
    """Everything a sync needs to know about the cache, read in one short local transaction."""

    node: str | None
    pending: int
    audit_pushed: int
    audit_last: int
    last_sync: datetime | None
    pull: sync_pull.LocalPullState
    #: Every sync_meta row (a handful of small facts), read once for the whole sync.
    meta: dict[str, str]


def _read_local(local_engine: Engine, station_code: str) -> _LocalState:
    """Three plain statements on one connection (no ORM identity map: this runs every sync)."""
    with local_engine.connect() as conn:
        meta = {str(k): str(v) for k, v in conn.execute(select(SyncMeta.key, SyncMeta.value))}
        pending, audit_last, station_id = conn.execute(select(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state == "pending").scalar_subquery(),
            select(func.max(AuditEvent.local_seq)).scalar_subquery(),
            select(Station.id).where(Station.code == station_code, Station.deleted == false())
            .limit(1).scalar_subquery(),
        )).one()
        cursors = {str(e): int(c) for e, c in conn.execute(select(SyncCursor.entity, SyncCursor.cursor))}
    last = meta.get(LAST_SYNC)
    return _LocalState(
        node=meta.get(NODE_ID),
        pending=int(pending or 0),
        audit_pushed=int(meta.get(AUDIT_PUSHED) or 0),
        audit_last=int(audit_last or 0),
        last_sync=datetime.fromisoformat(last) if last else None,
        pull=sync_pull.LocalPullState(cursors=cursors, pulled_clock=meta.get(sync_pull.PULLED_CLOCK),
                                      station_id=station_id),
        meta=meta,
    )


def _can_probe(central_engine: Engine, state: sync_pull.LocalPullState) -> bool:
    """A cache that has pulled before, against a PostgreSQL centre: ask the one-statement probe first."""
    return central_engine.dialect.name == "postgresql" and bool(state.cursors) and state.station_id is not None


def _probe(central_engine: Engine, state: sync_pull.LocalPullState) -> sync_pull.Probe:
    """Schema, clock and news in one round trip; SchemaMismatch if the centre's schema differs."""
    station_id = state.station_id
    assert station_id is not None
    try:
        probed = first_contact(central_engine, lambda conn: sync_pull.probe(conn, station_id, state.cursors))
    except ProgrammingError:
        # No schema, or one without this build's functions: the plain check says which, in words.
        check_schema(central_engine)
        raise
    _judge_revision(probed.revision)
    return probed


#: A sync that moved nothing records its time at most this often (each record is a disk flush).
LAST_SYNC_EVERY = timedelta(minutes=1)


def sync_once(
    local_engine: Engine,
    central_engine: Engine,
    station_code: str,
    *,
    clock: Clock | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    on_step: Step | None = None,
    page_size: int = PAGE_SIZE,
    centre_clock: Clock | None = None,
) -> SyncReport:
    """Check the centre's schema, push the outbox and the audit log, then pull; report what moved.

    Raises OfflineError, AuthenticationError, SchemaMismatch or SyncCancelled (all one-line
    messages); whatever was answered or pulled before that stays done.

    A sync with nothing to send and nothing new for this station at a PostgreSQL centre costs one
    local read and one central round trip (``pull.probe``: schema, clock and news in one
    autocommit statement), whatever the centre's size; docs/SCALING.md counts the rest.
    """
    clock = clock or default_clock()
    centre_clock = centre_clock or centre_clock_rules.pinned_clock()
    url = central_engine.url.render_as_string(hide_password=False)
    report = SyncReport(started_at=clock.now())
    state = _read_local(local_engine, station_code)
    checked = False
    if state.pending or state.audit_last > state.audit_pushed:
        with central_errors(url):
            check_schema(central_engine)  # the first contact: one round trip (connection.first_contact)
        checked = True
    if state.pending:
        push(local_engine, central_engine, station_code, clock=clock, report=report, cancel=cancel,
             on_step=on_step, node=state.node, total=state.pending, centre_clock=centre_clock)
    if state.audit_last > state.audit_pushed:
        try:
            report.audit_sent = push_audit(local_engine, central_engine, cancel=cancel)
        except AuditRefused as exc:
            report.notes.append(exc.message)
    pull_state = state.pull
    if report.pushed:  # answers moved rows (and set rejected ones aside): read the cursors again
        with make_session_factory(local_engine)() as s:
            pull_state = sync_pull.read_local_state(s, station_code)
    with central_errors(url):
        probed = None
        if not checked and _can_probe(central_engine, pull_state):
            probed = _probe(central_engine, pull_state)
            checked = True
        pulled = sync_pull.pull(
            central_engine, local_engine, station_code, progress=progress, cancel=cancel, on_step=on_step,
            page_size=page_size, state=pull_state, persist_clock=False, probed=probed,
            first_check=None if checked else (lambda session: _judge_revision(_revision_in(session.connection()))),
        )
    report.pulled, report.first = pulled.rows, pulled.first
    station_time = centre_clock_rules.raw_now(clock)
    report.centre_time = (centre_clock.now() if centre_clock else None) or pulled.centre_time or default_clock().now()
    report.clock_offset = report.centre_time - station_time
    centre_clock_rules.record(local_engine, report.clock_offset, station_code, station_time, meta=state.meta)
    if isinstance(clock, centre_clock_rules.CorrectedClock):
        clock.set_offset(report.clock_offset)
    report.finished_at = clock.now()
    # Only what this station sent or received is worth a disk flush every time; the clock that other
    # stations moved (the usual case) is recorded with the time of sync, once a minute.
    moved = report.pushed or report.pulled_total or report.audit_sent or report.withheld or pulled.held
    stale = state.last_sync is None or report.finished_at - state.last_sync >= LAST_SYNC_EVERY
    if moved or stale:
        with make_session_factory(local_engine, write=True).begin() as s:
            sync_pull.record_pulled_clock(s, pulled.clock)
            set_meta(s, LAST_SYNC, report.finished_at.isoformat())
            report.waiting = int(s.scalar(select(func.count()).select_from(OutboxEntry)
                                          .where(OutboxEntry.state == "pending")) or 0)
    else:
        report.waiting = max(0, state.pending - report.pushed)
    if report.pushed or report.pulled_total or report.audit_sent:
        logger.info("sync %s: pushed %d (%d applied, %d resolved, %d rejected), %d audit, pulled %d",
                    station_code, report.pushed, report.applied, report.resolved, report.rejected,
                    report.audit_sent, report.pulled_total)
    return report
