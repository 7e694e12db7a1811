"""One sync of a station cache with the centre (DESIGN.md section 4): check, push, pull.

1. **Schema check**: a centre whose schema version differs from this build's is refused, with a
   message that says which versions, before anything moves.
2. **Push** the outbox in sequence order. Each entry is applied at the centre in its own central
   transaction (frontcounter/services/central.py) that records its op_id, so a push retried after a
   lost acknowledgement gets the stored answer and nothing is applied twice. The answer (applied,
   resolved or rejected) is then written to the local entry. A rejected new record never existed
   at the centre, so its local copy is removed; the centre puts the rejection in the station's
   "needs attention" list.
3. **Audit events** travel on their own channel, by ``local_seq``, inserted at the centre by id
   with ``ON CONFLICT DO NOTHING`` (so each command stays one audit event and one outbox entry).
4. **Pull** (frontcounter/services/sync_pull.py), only after a complete push.

Connection problems become ``OfflineError`` (the station carries on; changes wait) and refused
credentials ``AuthenticationError``, each a one-line message naming the centre by its URL with any
password hidden. Nothing here logs a password or a visitor's personal data.
"""

from __future__ import annotations

import functools
import logging
import secrets as random_secrets
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.orm import Session

from frontcounter.db.engine import make_engine, make_session_factory
from frontcounter.db.migrate import alembic_config, head_revision
from frontcounter.db.models import Appointment, AuditEvent, FollowUp, OutboxEntry, SyncCursor
from frontcounter.services import central as centre
from frontcounter.services import centre_clock as centre_clock_rules
from frontcounter.services import sync_pull
from frontcounter.services.clock import Clock, default_clock
from frontcounter.services.errors import AuthenticationError, FrontCounterError, OfflineError, SchemaMismatch
from frontcounter.services.rowcodec import encode_changes
from frontcounter.services.sync_pull import PAGE_SIZE, SyncCancelled, get_meta, set_meta

logger = logging.getLogger(__name__)

__all__ = ["SyncCancelled", "SyncReport", "sync_once"]

AUDIT_BATCH = 500
#: SyncMeta keys in the station cache.
NODE_ID = "node_id"
AUDIT_PUSHED = "audit_pushed_seq"
LAST_SYNC = "last_sync"
_NODE_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]
#: A test seam: called with the name of each step ("push.before_send", "push.after_commit",
#: "push.after_ack", "pull.before_page", "pull.page") so a test can cut the link, or commit a
#: command, exactly there.
Step = Callable[[str], None]


@dataclass
class SyncReport:
    """What one sync moved, for the status bar, the CLI and the log (no personal data)."""

    started_at: datetime
    finished_at: datetime | None = None
    pushed: int = 0
    applied: int = 0
    resolved: int = 0
    rejected: int = 0
    #: Answers the centre had given before (the acknowledgement of an earlier push was lost).
    replayed: int = 0
    #: Local rows removed because the centre rejected the new record they were.
    removed: int = 0
    audit_sent: int = 0
    pulled: dict[str, int] = field(default_factory=dict)
    first: bool = False
    waiting: int = 0
    #: The centre's words on each resolved or rejected change.
    notes: list[str] = field(default_factory=list)
    #: Changes retried after the centre timed out waiting for a lock someone else held.
    busy_retries: int = 0
    #: The centre's time at this sync, and the centre's minus this PC's (uncorrected) time.
    centre_time: datetime | None = None
    clock_offset: timedelta | None = None

    @property
    def clock_skewed(self) -> bool:
        return centre_clock_rules.skewed(self.clock_offset)

    @property
    def pulled_total(self) -> int:
        return sum(self.pulled.values())

    @property
    def changed_local_data(self) -> bool:
        """Did this sync change what the views show (so they should reload)?"""
        return bool(self.pulled_total or self.removed)

    def lines(self) -> list[str]:
        """A short human report: what moved each way."""
        out = [f"Pushed {self.pushed} change{'s' if self.pushed != 1 else ''}: {self.applied} applied, "
               f"{self.resolved} resolved, {self.rejected} rejected"
               + (f" ({self.replayed} already answered before)" if self.replayed else "")]
        out += [f"  {note}" for note in self.notes]
        if self.busy_retries:
            out.append(f"  The centre was busy (a lock held elsewhere); retried {self.busy_retries} time(s) with back-off")
        if self.removed:
            out.append(f"Removed {self.removed} local record(s) the centre did not accept")
        out.append(f"Sent {self.audit_sent} audit event{'s' if self.audit_sent != 1 else ''}")
        tables = ", ".join(f"{k} {v}" for k, v in self.pulled.items() if v)
        out.append(f"Pulled {self.pulled_total} row{'s' if self.pulled_total != 1 else ''}"
                   + (f": {tables}" if tables else ""))
        out.append(f"{self.waiting} change{'s' if self.waiting != 1 else ''} waiting")
        if self.clock_skewed and self.clock_offset is not None:
            out.append(f"This PC's clock is {centre_clock_rules.describe(self.clock_offset)} against the centre's; "
                       "the centre's time is used")
        return out


# -- errors -------------------------------------------------------------------------------------

_AUTH_MARKERS = ("password authentication failed", "no password supplied", "authentication failed",
                 "pg_hba.conf rejects", "password is required")
_OFFLINE_REASONS = (
    ("connection refused", "the connection was refused"),
    ("timeout expired", "the connection timed out"),
    ("timed out", "the connection timed out"),
    ("could not translate host name", "the host name is unknown"),
    ("name or service not known", "the host name is unknown"),
    ("no route to host", "there is no route to the host"),
    ("network is unreachable", "the network is unreachable"),
    ("server does not support ssl", "the centre does not offer TLS, but this station requires it (sslmode)"),
    ("certificate verify failed", "the centre's TLS certificate could not be verified"),
    ("server closed the connection", "the link dropped"),
    ("connection reset", "the link dropped"),
    ("broken pipe", "the link dropped"),
    ("consuming input failed", "the link dropped"),
    ("eof detected", "the link dropped"),
    ("ssl syscall", "the link dropped"),
    ("the connection is closed", "the link dropped"),
    ("terminating connection", "the centre closed the connection"),
    ("the database system is", "the centre is starting up or shutting down"),
    ("too many connections", "the centre has too many connections"),
    ("unable to open database file", "the central database file cannot be opened"),
    ("database is locked", "the central database is busy"),
)


def describe_url(url: str) -> str:
    """The centre's URL as shown to people and logs: any password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL still must not leak: show only its scheme
        return url.split(":", 1)[0] + "://…"


def classify(exc: BaseException, url: str) -> FrontCounterError | None:
    """A driver or socket error as the one-line message a user can act on, or None (a bug)."""
    orig = getattr(exc, "orig", None) or exc
    low = str(orig).lower()
    label = describe_url(url)
    if any(m in low for m in _AUTH_MARKERS) or getattr(orig, "sqlstate", None) in ("28P01", "28000"):
        user = make_url(url).username or "(none)"
        return AuthenticationError(
            f"The centre ({label}) refused this station's sign-in as database user '{user}': check the "
            "password in Connection settings."
        )
    if "role" in low and "does not exist" in low:
        user = make_url(url).username or "(none)"
        return AuthenticationError(f"The centre ({label}) has no database user '{user}'; check Connection settings.")
    if "database" in low and "does not exist" in low:
        return OfflineError(f"The centre ({label}) has no such database; check the URL in Connection settings.")
    reason = next((why for marker, why in _OFFLINE_REASONS if marker in low), None)
    # Any psycopg OperationalError is the link or the server; SQLite's only count when listed above.
    connection_error = isinstance(exc, DBAPIError) and (
        exc.connection_invalidated
        or (type(orig).__module__.startswith("psycopg")
            and type(orig).__name__ in ("OperationalError", "InterfaceError"))
    )
    if reason is None and (connection_error or isinstance(exc, OSError)):
        reason = "the link failed"
    if reason is None:
        return None
    return OfflineError(
        f"The centre ({label}) cannot be reached: {reason}. This station carries on offline; changes wait "
        "and sync when the link is back."
    )


@contextmanager
def central_errors(url: str) -> Iterator[None]:
    """Translate connection failures inside the block into OfflineError / AuthenticationError."""
    try:
        yield
    except FrontCounterError:
        raise
    except (DBAPIError, OSError) as exc:
        translated = classify(exc, url)
        if translated is None:
            raise
        raise translated from exc


# -- connecting --------------------------------------------------------------------------------

#: libpq keepalives: a link that silently dies is noticed in about a minute, not hours. A lock
#: wait or a statement at the centre is bounded in seconds (no station waits for ever on a lock
#: another holds); the push also sets them per transaction (central.apply_operation), which is
#: what counts behind PgBouncer, where start-up options may not reach the server.
PG_CONNECT_ARGS = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                   "keepalives_count": 3, "tcp_user_timeout": 60000, "application_name": "frontcounter-sync",
                   "options": f"-c lock_timeout={centre.LOCK_TIMEOUT_S}s -c statement_timeout={centre.STATEMENT_TIMEOUT_S}s",
                   # No server-side prepared statements: safe behind PgBouncer's transaction pooling.
                   "prepare_threshold": None}
#: Waits before retrying a change the centre timed out on (a lock held elsewhere), in seconds.
BUSY_DELAYS = (0.5, 1.0, 2.0)


def open_central(url: str, *, password: str | None = None, connect_args: dict[str, Any] | None = None) -> Engine:
    """An engine for the centre. The password comes from ``password`` or the OS keyring, never a file."""
    from frontcounter.services import secrets

    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        secret = password if password is not None else (None if parsed.password else secrets.load_password(url))
        if secret:
            parsed = parsed.set(password=secret)
        return make_engine(parsed.render_as_string(hide_password=False),
                           connect_args={**PG_CONNECT_ARGS, **(connect_args or {})})
    return make_engine(url)  # the embedded SQLite centre: a local file, nothing to tune


@functools.lru_cache(maxsize=1)
def _head() -> str:
    return head_revision()


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def central_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return _revision_in(conn)


def _revision_in(conn: Any) -> str | None:
    """The schema version recorded at the centre (None when there is no schema at all)."""
    try:  # (a missing table spoils the transaction, but a missing schema ends the sync anyway)
        value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except ProgrammingError:
        return None
    except DBAPIError as exc:
        if "no such table" in str(exc.orig).lower():
            return None
        raise
    return str(value) if value is not None else None


def check_schema(engine: Engine) -> str:
    """The centre's schema version, or SchemaMismatch when it is not exactly this build's."""
    return _judge_revision(central_revision(engine))


def _judge_revision(found: str | None) -> str:
    head = _head()
    if found == head:
        return found
    if found is None:
        raise SchemaMismatch(
            f"The centre has no FrontCounter schema (this app speaks {head}); sync refused. Set the centre up "
            "with 'frontcounter --central URL db upgrade'."
        )
    if found in _known_revisions():
        advice = "upgrade the centre ('frontcounter --central URL db upgrade')"
    else:
        advice = "update this app to the version the centre runs"
    raise SchemaMismatch(
        f"The centre's database schema is version {found} but this app speaks {head}; sync refused so no data is "
        f"damaged: {advice}."
    )


def test_connection(url: str, password: str | None = None) -> str:
    """Connect, check the schema, and say so in one line (the settings dialog's Test button)."""
    engine = open_central(url, password=password, connect_args={"connect_timeout": 5})
    try:
        with central_errors(url):
            revision = check_schema(engine)
    finally:
        engine.dispose()
    return f"Connected to {describe_url(url)}: schema {revision}, the same as this app."


def retry_delay(failures: int, interval: int, *, first: int = 5, ceiling: int = 300) -> int:
    """Seconds to wait after ``failures`` failed syncs in a row: 5, 10, 20, 40… up to 5 minutes.

    Never longer than the normal interval would be times eight, so a station set to sync often
    also notices quickly that the link is back.
    """
    if failures <= 0:
        return interval
    return int(min(first * 2 ** (failures - 1), ceiling, max(interval, first) * 8))


# -- local facts -------------------------------------------------------------------------------


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


# -- push --------------------------------------------------------------------------------------


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


def _discard_unaccepted(session: Session, op: centre.Operation) -> int:
    """Remove local rows the centre never accepted: a rejected new record and rows made with it."""
    doomed: list[tuple[str, uuid.UUID]] = [
        (child.get("entity", ""), uuid.UUID(child["row"]["id"])) for child in op.payload.get("also_created") or []
    ]
    if op.payload.get("created"):
        doomed.append((op.entity, op.entity_id))
    removed = 0
    for entity, row_id in doomed:
        model = centre.MODELS_BY_TABLE.get(entity)
        if model is None:
            continue
        if model is Appointment:
            removed += _deleted(session.execute(delete(FollowUp).where(FollowUp.appointment_id == row_id)))
        removed += _deleted(session.execute(delete(model).where(model.id == row_id)))
    return removed


def _deleted(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


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
                    report.removed += _discard_unaccepted(s, op)
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
            if not centre.timed_out(exc):
                raise
            if attempt == attempts - 1:
                raise OfflineError(
                    f"The centre ({describe_url(url)}) is busy: a change waited for a lock held elsewhere "
                    f"{attempts} times ({centre.LOCK_TIMEOUT_S} s each); it stays queued for the next sync."
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
    central_write = make_session_factory(central_engine, write=True)
    columns = [c.key for c in AuditEvent.__table__.columns]
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
            with central_errors(url), central_write.begin() as c:
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


def _read_local(local_engine: Engine, station_code: str) -> _LocalState:
    with make_session_factory(local_engine)() as s:
        last = get_meta(s, LAST_SYNC)
        return _LocalState(
            node=get_meta(s, NODE_ID),
            pending=int(s.scalar(select(func.count()).select_from(OutboxEntry)
                                 .where(OutboxEntry.state == "pending")) or 0),
            audit_pushed=int(get_meta(s, AUDIT_PUSHED) or 0),
            audit_last=int(s.scalar(select(func.max(AuditEvent.local_seq))) or 0),
            last_sync=datetime.fromisoformat(last) if last else None,
            pull=sync_pull.read_local_state(s, station_code),
        )


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

    A sync with nothing to send and nothing new at the centre costs one local read and three
    round trips (begin, schema and clock in one query, commit), whatever the centre's size.
    """
    clock = clock or default_clock()
    centre_clock = centre_clock or centre_clock_rules.pinned_clock()
    url = central_engine.url.render_as_string(hide_password=False)
    report = SyncReport(started_at=clock.now())
    state = _read_local(local_engine, station_code)
    if state.pending:
        with central_errors(url):
            check_schema(central_engine)
        push(local_engine, central_engine, station_code, clock=clock, report=report, cancel=cancel,
             on_step=on_step, node=state.node, total=state.pending, centre_clock=centre_clock)
    if state.audit_last > state.audit_pushed:
        try:
            report.audit_sent = push_audit(local_engine, central_engine, cancel=cancel)
        except AuditRefused as exc:
            report.notes.append(exc.message)
    pull_state = state.pull
    if report.pushed:  # answers moved rows (and removed rejected ones): read the cursors again
        with make_session_factory(local_engine)() as s:
            pull_state = sync_pull.read_local_state(s, station_code)
    checked = bool(state.pending)
    with central_errors(url):
        pulled = sync_pull.pull(
            central_engine, local_engine, station_code, progress=progress, cancel=cancel, on_step=on_step,
            page_size=page_size, state=pull_state, persist_clock=False,
            first_check=None if checked else (lambda session: _judge_revision(_revision_in(session.connection()))),
        )
    report.pulled, report.first = pulled.rows, pulled.first
    station_time = centre_clock_rules.raw_now(clock)
    report.centre_time = (centre_clock.now() if centre_clock else None) or pulled.centre_time or default_clock().now()
    report.clock_offset = report.centre_time - station_time
    centre_clock_rules.record(local_engine, report.clock_offset, station_code, station_time)
    if isinstance(clock, centre_clock_rules.CorrectedClock):
        clock.set_offset(report.clock_offset)
    report.finished_at = clock.now()
    # Only what this station sent or received is worth a disk flush every time; the clock that other
    # stations moved (the usual case) is recorded with the time of sync, once a minute.
    moved = report.pushed or report.pulled_total or report.audit_sent or report.removed or pulled.held
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
