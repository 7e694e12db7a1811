"""The rows an import refused, in a CSV beside the file: ``<name>.rejected.csv`` (line, the row's
external_id, why in words), to correct and import again."""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import secrets
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger(__name__)


def rejected_rows_path(path: Path) -> Path:
    """Where the rejected rows of ``path`` go: beside it, ``<name>.rejected.csv``."""
    return path.with_name(f"{path.stem}.rejected.csv")


class RejectedRows:
    """The rejected rows, written to ``<name>.rejected.csv`` as they are found (a temporary name
    until the import ends, then renamed whole). A folder the importer may read but not write (a
    read-only share) keeps the import going: the report lists the rows, the log says why."""

    def __init__(self, source: Path) -> None:
        self.target = rejected_rows_path(source)
        self._temporary = self.target.with_name(f".{self.target.name}.{secrets.token_hex(4)}.part")
        self._handle: IO[str] | None = None
        self._writer: Any = None
        self._broken = False
        self.count = 0

    def add(self, line: int, external_id: str | None, errors: tuple[str, ...]) -> None:
        self.count += 1
        if self._broken:
            return
        try:
            if self._handle is None:
                self._handle = self._temporary.open("x", encoding="utf-8-sig", newline="")
                self._writer = csv.writer(self._handle, lineterminator="\r\n")
                self._writer.writerow(["line", "external_id", "reason"])
            self._writer.writerow([line, external_id or "", "; ".join(errors)])
        except OSError as exc:
            logger.warning("rejected rows not written to %s: %s", self.target, exc.strerror or exc)
            self._broken = True
            self._discard()

    def _discard(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
            self._handle = None
        with contextlib.suppress(OSError):
            self._temporary.unlink()

    def finish(self) -> Path | None:
        if self._handle is None or self._broken:
            return None
        try:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None
            os.replace(self._temporary, self.target)
        except OSError as exc:
            logger.warning("rejected rows not written to %s: %s", self.target, exc.strerror or exc)
            self._discard()
            return None
        return self.target
