"""The link to the centre: open it, say what went wrong in words a user can act on, refuse a centre
whose schema differs (DESIGN.md section 4), and back off while offline."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, ProgrammingError

from frontcounter.db.engine import make_engine
from frontcounter.db.migrate import alembic_config, head_revision
from frontcounter.services.core.errors import (
    AuthenticationError,
    FrontCounterError,
    OfflineError,
    SchemaMismatch,
)

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
#: Bounds, in seconds, on a central lock wait and statement: no station waits for ever on a lock
#: another holds. Set at connect and per push transaction (centre.apply_operation: pool-safe).
LOCK_TIMEOUT_S = 5
STATEMENT_TIMEOUT_S = 30
#: libpq keepalives: a link that silently dies is noticed in about a minute, not hours. The start-up
#: options carry the timeouts on a direct connection (PgBouncer is told to ignore them: there the
#: per-transaction setting counts); no server-side prepared statements (safe behind transaction
#: pooling).
PG_CONNECT_ARGS = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                   "keepalives_count": 3, "tcp_user_timeout": 60000, "application_name": "frontcounter-sync",
                   "options": f"-c lock_timeout={LOCK_TIMEOUT_S}s -c statement_timeout={STATEMENT_TIMEOUT_S}s",
                   "prepare_threshold": None}


def describe_url(url: str) -> str:
    """The centre's URL as shown to people and logs: any password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL still must not leak: show only its scheme
        return url.split(":", 1)[0] + "://…"


#: What an unreachable centre means at a station (it carries on from its cache).
STATION_CONSEQUENCE = "This station carries on offline; changes wait and sync when the link is back."
#: What it means at the FCR desk, which works on the centre directly and holds no cache.
FCR_CONSEQUENCE = ("The FCR desk holds no copy of its own, so nothing was booked or changed; what you typed is "
                   "kept. Try again when the link is back.")


def classify(exc: BaseException, url: str, *, consequence: str = STATION_CONSEQUENCE) -> FrontCounterError | None:
    """A driver or socket error as the one-line message a user can act on, or None (a bug).
    ``consequence`` ends the message of an unreachable centre: what happens meanwhile."""
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
        f"The centre ({label}) cannot be reached: {reason}. {consequence}"
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


def open_central(url: str, *, password: str | None = None, connect_args: dict[str, Any] | None = None) -> Engine:
    """An engine for the centre. The password comes from ``password`` or the OS keyring, never a file."""
    from frontcounter.services.security import secrets

    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        secret = password if password is not None else (None if parsed.password else secrets.load_password(url))
        if secret:
            parsed = parsed.set(password=secret)
        # No pre-ping (a round trip on every checkout): a sync's first statement goes through
        # first_contact, which retries once on a pooled connection the server closed meanwhile.
        return make_engine(parsed.render_as_string(hide_password=False),
                           connect_args={**PG_CONNECT_ARGS, **(connect_args or {})}, pre_ping=False)
    return make_engine(url)  # the embedded SQLite centre: a local file, nothing to tune


@functools.lru_cache(maxsize=1)
def _head() -> str:
    return head_revision()


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


T = TypeVar("T")


def stale(exc: BaseException) -> bool:
    """A pooled connection the server (or PgBouncer) closed while it sat idle: SQLAlchemy has
    invalidated it (and the pool), and the statement may simply be sent again on a new one. A
    failure to connect at all has no statement and is not retried."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated and exc.statement is not None


def first_contact(engine: Engine, read: Callable[[Any], T]) -> T:
    """Run ``read(connection)``, the first statement of a sync: on PostgreSQL in autocommit (one
    statement is its own transaction and snapshot: one round trip, no BEGIN or COMMIT, nothing
    left on a pooled server connection), retried once if the pooled connection was stale.

    ``read`` must only read (it may run twice)."""
    bind = engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else engine
    for attempt in (1, 2):
        try:
            with bind.connect() as conn:
                return read(conn)
        except DBAPIError as exc:
            if attempt == 2 or not stale(exc):
                raise
    raise AssertionError("unreachable")


def central_revision(engine: Engine) -> str | None:
    return first_contact(engine, _revision_in)


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
