"""The machine's failures as one line a person can act on: the path or missing piece, and what to do.

A read-only or missing folder, a full disk, a station cache that another program holds locked or
that is damaged, no OS keyring: none of these is a bug, and none should end in a traceback. The
CLI prints ``explain``'s line and exits 1; the GUI shows it in a message. Anything ``explain``
does not recognise is a bug and is logged as one.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from frontcounter.services.core.errors import FrontCounterError


class EnvironmentProblem(FrontCounterError):
    """The machine, not the user's input: a folder, the disk, the database file, the keyring."""


class KeyringUnavailable(EnvironmentProblem):
    """No usable OS keyring to keep the central password in."""


KEYRING_ADVICE = (
    "No OS keyring is available to keep the central database password. Set one up: on Windows and macOS "
    "it is built in (sign in to the desktop normally); on Linux install and unlock GNOME Keyring or KWallet "
    "(the Secret Service), or for a headless machine 'pip install keyrings.alt'. The app can also use a "
    "password typed for this session only."
)


def _where(exc: OSError, fallback: Path | None) -> str:
    name = exc.filename or fallback
    return str(name) if name is not None else "the data folder"


def explain_os_error(exc: OSError, fallback: Path | None = None) -> EnvironmentProblem:
    """An OSError as one line naming its path and what to do."""
    where = _where(exc, fallback)
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return EnvironmentProblem(f"The disk holding {where} is full: free some space and try again (nothing was "
                                  "half-written).")
    if code == errno.EROFS:
        return EnvironmentProblem(f"{where} is on a read-only disk: choose a writable folder (--data-dir DIR, or "
                                  "another output file).")
    if code in (errno.EACCES, errno.EPERM):
        return EnvironmentProblem(f"No permission to write {where}: choose a folder you may write to, or ask your "
                                  "IT support to give this account access.")
    if code == errno.ENOENT:
        folder = Path(where).parent if exc.filename else Path(where)
        return EnvironmentProblem(f"The folder {folder} does not exist: create it or choose another path.")
    if code == errno.ENOTDIR:
        return EnvironmentProblem(f"{where}: part of the path is a file, not a folder; choose another path.")
    if code == errno.EISDIR:
        return EnvironmentProblem(f"{where} is a folder: give a file name, e.g. {Path(where) / 'out.pdf'}.")
    if code == errno.EIO:
        return EnvironmentProblem(f"Reading or writing {where} failed (a disk error): check the disk, then try again.")
    reason = exc.strerror or type(exc).__name__
    return EnvironmentProblem(f"{where}: {reason}. Check the folder and the disk, then try again.")


def disk_nearly_full(path: Path | None, margin: int = 1 << 20) -> bool:
    """Is the disk holding ``path`` (or its nearest existing folder) down to its last megabyte?

    SQLite reports a full disk as "disk I/O error" when it fails to grow its WAL index, so the
    free space is asked directly before a disk error is blamed on the hardware.
    """
    probe = path
    while probe is not None and not probe.exists():
        probe = probe.parent if probe.parent != probe else None
    if probe is None:
        return False
    try:
        stats = os.statvfs(probe)
    except (OSError, AttributeError):  # (no statvfs on Windows: SQLite says "full" there itself)
        return False
    return stats.f_bavail * stats.f_frsize < margin


def _sqlite_line(text: str, db: str, database: Path | None = None) -> str | None:
    """SQLite's own words (lower case) as what they mean for the person at the desk."""
    low = text.lower()
    if "disk i/o error" in low and disk_nearly_full(database):
        low = "database or disk is full"
    if "locked" in low or "busy" in low:
        return (f"The database {db} is in use by another program (locked): close the other FrontCounter window "
                "or wait for its sync to finish, then try again.")
    if "readonly" in low or "read-only" in low:
        return f"The database {db} is read-only here: choose a writable --data-dir, or fix the folder's permissions."
    if "unable to open database" in low:
        return (f"Cannot open the database {db}: its folder is missing, read-only or not yours. Choose a writable "
                "--data-dir.")
    if "disk is full" in low or "database or disk is full" in low:
        return f"The disk holding {db} is full: free some space and try again (nothing was half-written)."
    if "disk i/o error" in low:
        return f"Reading or writing the database {db} failed (a disk error): check the disk, then try again."
    if "not a database" in low or "malformed" in low or "encrypted" in low or "corrupt" in low:
        return (f"The database {db} is damaged ({text.strip().rstrip('.')}): move the file aside and set the "
                "station up again ('frontcounter demo', or 'frontcounter --central URL --station CODE db upgrade' "
                "and 'sync --once'), which rebuilds it from the centre.")
    return None


def explain(exc: BaseException, *, database: Path | None = None, folder: Path | None = None) -> FrontCounterError | None:
    """The one-line message for an environment failure, or None when ``exc`` is not one (a bug).

    ``database`` names the SQLite file a driver error is about; ``folder`` the path an OSError
    without a file name is about.
    """
    if isinstance(exc, FrontCounterError):
        return exc
    if _is_keyring_error(exc):
        return keyring_problem(exc)
    orig = getattr(exc, "orig", None) or exc
    # sqlite3 is looked up, not imported: its error can only exist once something imported it, and
    # this module is on the way to the sign-in window's first frame (ui/tasks.py), which needs no sqlite3.
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(orig, sqlite3.Error):
        line = _sqlite_line(str(orig), str(database) if database is not None else "file", database)
        return EnvironmentProblem(line) if line else None
    if isinstance(orig, OSError):
        return explain_os_error(orig, folder)
    if isinstance(orig, MemoryError):
        return EnvironmentProblem("The machine ran out of memory: close other programs and try again.")
    return None


def _is_keyring_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("keyring")


def keyring_problem(exc: BaseException) -> KeyringUnavailable:
    """A keyring failure as advice: how to set one up (NoKeyringError) or unlock it."""
    name = type(exc).__name__
    if name == "NoKeyringError":
        return KeyringUnavailable(KEYRING_ADVICE)
    if name in ("KeyringLocked", "InitError"):
        return KeyringUnavailable("The OS keyring is locked: unlock it (sign in to the desktop, or unlock the "
                                  "'login' keyring), then try again.")
    return KeyringUnavailable(f"The OS keyring refused the request ({name}): unlock it or check its set-up, then "
                              "try again.")
