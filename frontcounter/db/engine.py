"""Engines and session factories, made on request (never at import time).

SQLite is the station cache and the embedded centre: WAL mode with ``synchronous=FULL`` so a
committed check-in survives a power cut, foreign keys on, and a busy timeout so the sync worker and
the UI thread can share the file. The file is created readable by its owner only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def sqlite_url(path: Path) -> str:
    return f"sqlite+pysqlite:///{path}"


def _create_private_file(path: Path) -> None:
    """Create the database file 0600 before SQLite does, so it never exists world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The pysqlite driver's own transaction handling is switched off so that BEGIN is ours
    # (see _on_sqlite_begin); this is the documented SQLAlchemy recipe for correct SQLite
    # transactions.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Erased personal data (retention) is overwritten on disk, not left in the file's free space.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _on_sqlite_begin(conn: Any) -> None:
    # Writers begin IMMEDIATE: they take the write lock up front and queue on busy_timeout,
    # instead of failing half-way with "database is locked" when a read lock must be upgraded.
    # Readers begin DEFERRED so they never wait for the sync worker's long pull.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, *, echo: bool = False, connect_args: dict[str, Any] | None = None,
                pre_ping: bool = True) -> Engine:
    """An engine for a station cache or a centre, SQLite or PostgreSQL.

    ``pre_ping=False`` (the station's sync link, services/sync/connection.open_central) saves a
    round trip per checkout: the sync's first statement is retried once on a pooled connection the
    server had closed meanwhile, instead.

    ``hide_parameters``: a database error's message never carries the bound values (a visitor's
    name or phone), so logging an error never logs personal data.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _create_private_file(Path(parsed.database))
        # Pooled (SQLAlchemy's default QueuePool): closing the last connection to a WAL database
        # checkpoints and deletes the WAL, and a fresh connection re-reads the schema, which
        # together doubled the cost of every check-in under NullPool (bench/bench_counter.py).
        engine = create_engine(url, echo=echo, connect_args=connect_args or {}, hide_parameters=True)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    args = {"connect_timeout": 10, **(connect_args or {})}
    return create_engine(url, echo=echo, pool_pre_ping=pre_ping, connect_args=args, hide_parameters=True)


def make_session_factory(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    """Sessions for reading, or (``write=True``) for commands that change rows."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if write else engine
    return sessionmaker(bind, expire_on_commit=False)
