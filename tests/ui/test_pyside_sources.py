"""PySide6 must not read and cache the source of every module the app imports
(frontcounter/ui/pyside_sources.py): that held ~20 MB after every screen. PySide6 checks
each module a from-import reads from, so any module shows it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import frontcounter

PACKAGE = Path(frontcounter.__file__).parent


def test_the_app_uses_no_pyside_feature_switch() -> None:
    """The replaced check is only harmless while nothing imports ``__feature__``."""
    users = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
             if "__feature__" in p.read_text(encoding="utf-8") and p.name != "pyside_sources.py"]
    assert users == []


def _cached_after_import(stop: bool) -> bool:
    code = (
        "import linecache, sys\n"
        "import PySide6.QtCore\n"
        "from frontcounter.ui.pyside_sources import stop_reading_module_sources\n"
        f"found = stop_reading_module_sources() if {stop} else None\n"
        "from frontcounter.startup_problems import describe\n"
        "m = sys.modules[describe.__module__]\n"
        "print(found, m.__file__ in linecache.cache)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    found, cached = out.stdout.split()
    if stop:
        assert found == "True", "PySide6 no longer has the per-import check: remove pyside_sources.py"
    return cached == "True"


def test_pyside_caches_imported_sources_unless_stopped() -> None:
    assert _cached_after_import(stop=False)  # the behaviour the fix is for (fails once PySide drops it)
    assert not _cached_after_import(stop=True)
