"""Writing a document or an export to a file: whole, or not at all.

The bytes go to a temporary name beside the target (so the rename stays on one disk), are flushed
to the disk, and only then replace the target in one rename. A full disk, a missing folder or a
read-only one leaves no 0-byte or half-written PDF behind, and an older file of the same name is
untouched. The file is readable by its owner only: it holds case data.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from frontcounter.services.core.environment import EnvironmentProblem, explain_os_error


def write_atomically(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole, or raise EnvironmentProblem naming the path and what to do."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise EnvironmentProblem(f"{target} is a folder: give a file name, e.g. {target / 'out.pdf'}.")
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if exc.filename is None or Path(exc.filename) == temporary:
            exc.filename = str(target)  # name the file the user asked for, not the temporary one
        raise explain_os_error(exc) from exc
    return target
