"""Logging to a rotating file in the data dir (and warnings to the console for the CLI).

Log messages name records by reference or UUID, never by a visitor's name, and never carry a
password: the central URL is logged only through ``redact_url``.
"""

from __future__ import annotations

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


def _file_handler(log_file: Path, *, rotate_while_running: bool) -> logging.Handler:
    if rotate_while_running:  # a long CLI run (sync) rotates as it writes
        from logging.handlers import RotatingFileHandler

        return RotatingFileHandler(log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    rotate_on_open(log_file)
    return logging.FileHandler(log_file, encoding="utf-8")


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
        print(f"frontcounter: cannot write logs in {paths.log_dir}: {exc}", file=sys.stderr)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(logging.WARNING)
        stream.setFormatter(logging.Formatter("frontcounter: %(levelname)s: %(message)s"))
        root.addHandler(stream)
    root._frontcounter_configured = True  # type: ignore[attr-defined]
