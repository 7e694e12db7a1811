"""Logging to a rotating file in the data dir (and warnings to the console for the CLI).

Log messages name records by reference or UUID, never by a visitor's name, and never carry a
password: the central URL is logged only through ``redact_url``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

from frontcounter.paths import Paths

MAX_BYTES = 2_000_000
BACKUPS = 5


def rotate_on_open(log_file: Path, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
    """Shift ``frontcounter.log`` to ``.1`` (``.1`` to ``.2``…, the oldest dropped) when it has
    grown past ``max_bytes``: the GUI rotates when it starts (a counter restarts every shift)
    instead of importing ``logging.handlers`` (and socket, pickle, queue behind it) before its
    first frame. The file names match RotatingFileHandler's, which the CLI uses."""
    try:
        if log_file.stat().st_size < max_bytes:
            return
    except FileNotFoundError:
        return
    for n in range(backups - 1, 0, -1):
        older = log_file.with_name(f"{log_file.name}.{n}")
        if older.exists():
            os.replace(older, log_file.with_name(f"{log_file.name}.{n + 1}"))
    os.replace(log_file, log_file.with_name(f"{log_file.name}.1"))


class OneLineFormatter(logging.Formatter):
    """The console gets one line per message; tracebacks go only to the log file."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return super().format(record).splitlines()[0] if record.getMessage() else super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


class QuietFileHandler(logging.FileHandler):
    """A log file that, when the disk is full or gone, drops the line instead of printing a traceback.

    The failure that made the log unwritable is the user's real problem, and the command says it
    in its own one line; logging's default would print "--- Logging error ---" and a traceback.
    """

    dropped = 0

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802  (logging's name)
        self.dropped += 1


def _file_handler(log_file: Path, *, rotate_while_running: bool) -> logging.Handler:
    if rotate_while_running:  # a long CLI run (sync) rotates as it writes
        from logging.handlers import RotatingFileHandler

        class QuietRotatingFileHandler(RotatingFileHandler):
            handleError = QuietFileHandler.handleError  # noqa: N815  (logging's name)
            dropped = 0

        return QuietRotatingFileHandler(log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    with contextlib.suppress(OSError):  # a read-only or full disk: append to the old file, still start
        rotate_on_open(log_file)
    return QuietFileHandler(log_file, encoding="utf-8")


def setup_logging(paths: Paths, *, console: bool = False, level: int = logging.INFO,
                  rotate_while_running: bool = True) -> None:
    root = logging.getLogger()
    if getattr(root, "_frontcounter_configured", False):
        return
    root.setLevel(level)
    try:
        paths.ensure()
        log_file = paths.log_dir / "frontcounter.log"
        handler = _file_handler(log_file, rotate_while_running=rotate_while_running)
        os.chmod(log_file, 0o600)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    except OSError as exc:  # a read-only data dir must not stop the app from starting
        if not console:  # (the CLI's own one-line error says what is wrong with the folder)
            print(f"frontcounter: cannot write logs in {paths.log_dir} ({exc.strerror or exc}); carrying on without "
                  "a log file.", file=sys.stderr)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(logging.WARNING)
        stream.setFormatter(OneLineFormatter("frontcounter: %(levelname)s: %(message)s"))
        root.addHandler(stream)
    root._frontcounter_configured = True  # type: ignore[attr-defined]
