"""Logging to a rotating file in the data dir (and warnings to the console for the CLI).

Log messages name records by reference or UUID, never by a visitor's name, and never carry a
password: the central URL is logged only through ``redact_url``.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys

from frontcounter.paths import Paths


class OneLineFormatter(logging.Formatter):
    """The console gets one line per message; tracebacks go only to the log file."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return super().format(record).splitlines()[0] if record.getMessage() else super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


class QuietFileHandler(logging.handlers.RotatingFileHandler):
    """A log file that, when the disk is full or gone, drops the line instead of printing a traceback.

    The failure that made the log unwritable is the user's real problem, and the command says it
    in its own one line; logging's default would print "--- Logging error ---" and a traceback.
    """

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802  (logging's name)
        self.dropped = getattr(self, "dropped", 0) + 1


def setup_logging(paths: Paths, *, console: bool = False, level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if getattr(root, "_frontcounter_configured", False):
        return
    root.setLevel(level)
    try:
        paths.ensure()
        log_file = paths.log_dir / "frontcounter.log"
        handler = QuietFileHandler(log_file, maxBytes=2_000_000, backupCount=5,
                                                       encoding="utf-8")
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
