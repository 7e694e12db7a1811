"""Where UI tests put the screenshots they take.

A test run must leave the checkout as it found it, so by default they go to a temporary folder;
``FRONTCOUNTER_UPDATE_DOCS=1`` sends them to ``docs/`` to refresh the README's pictures on purpose.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPO_DOCS = Path(__file__).resolve().parents[1] / "docs"


def screenshot_dir() -> Path:
    if os.environ.get("FRONTCOUNTER_UPDATE_DOCS") == "1":
        return REPO_DOCS
    return Path(tempfile.mkdtemp(prefix="frontcounter-screens-"))
