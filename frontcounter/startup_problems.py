"""Start-up problems in words for the person at the counter: a locked or unreadable station cache,
a data folder that cannot be written, a migration that failed.

Plain Python, no Qt and no database library at import (the sign-in window imports this before
SQLAlchemy is loaded); the exceptions are recognised by their type names and messages so that
``sqlite3``'s, SQLAlchemy's wrapped ones and Alembic's are all understood.
"""

from __future__ import annotations

import errno
from pathlib import Path

from frontcounter.services.core.errors import FrontCounterError


class MigrationFailed(FrontCounterError):
    """The station cache could not be brought to this build's schema (the cause is chained)."""


_LOCKED = ("database is locked", "database table is locked", "database schema is locked")
_READ_ONLY = ("readonly database", "read-only", "unable to open database file", "attempt to write")
_FULL = ("database or disk is full", "disk i/o error")
_CORRUPT = ("file is not a database", "database disk image is malformed")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def describe(exc: BaseException, data_dir: Path) -> str:
    """One or two sentences that say what went wrong and what to do, never a traceback."""
    database = data_dir / "station.sqlite"
    for cause in _chain(exc):
        if isinstance(cause, FrontCounterError) and cause.__cause__ is not None:
            continue  # the task runner's general explanation: these words are the start-up's own
        text = str(cause).lower()
        if any(k in text for k in _LOCKED):
            return (f"The station database is locked: another FrontCounter, or a backup, is using {database}. "
                    "Close the other FrontCounter window (or wait for the backup), then press Retry.")
        if isinstance(cause, OSError) and cause.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return (f"The data folder {data_dir} cannot be written ({cause.strerror}). FrontCounter keeps the "
                    "station database there; ask IT to give this user write access, then press Retry.")
        if any(k in text for k in _READ_ONLY):
            return (f"The station database {database} cannot be written (the data folder is read-only or "
                    "belongs to another user). Ask IT to give this user write access, then press Retry.")
        if any(k in text for k in _FULL):
            return (f"The disk holding {data_dir} is full or failing, so the station database cannot be "
                    "written. Free some space (or ask IT), then press Retry.")
        if any(k in text for k in _CORRUPT):
            return (f"The station database {database} is damaged and cannot be read. Ask IT to restore it "
                    "from a backup or set up the station again; the centre still holds every record.")
    if isinstance(exc, FrontCounterError):
        return exc.message
    if isinstance(exc, OSError):
        return (f"FrontCounter could not use its data folder {data_dir}: {exc.strerror or exc}. "
                "Ask IT to check it, then press Retry.")
    return (f"FrontCounter could not open the station database ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no details'}). The details are in the log.")
