"""Keep PySide6 from reading and caching the source of every module the app imports.

PySide6 (seen on 6.11) decides, for each module a from-import reads from, whether that module uses
its ``__feature__`` switches (``snake_case``, ``true_property``) by calling ``inspect.getsource``
on the module, which reads the whole file and keeps its lines in ``linecache`` for the life of the
process. For FrontCounter that is ~470 files, ~9 MB of text and ~20 MB of resident memory after
every screen, and the reading costs start-up time too. FrontCounter uses no ``__feature__``
switch (tests/unit/test_pyside_sources.py keeps it so), and for a module that does not, PySide6's
answer "uses PySide" or "does not" selects the same thing: the default names. So the check can
answer "does not" without reading anything.
"""

from __future__ import annotations

import logging
import sys
from types import ModuleType

logger = logging.getLogger(__name__)

_FEATURE_MODULES = ("shibokensupport.feature", "PySide6.support.feature")


def _uses_no_feature(_module: ModuleType) -> bool:
    return False


def stop_reading_module_sources() -> bool:
    """Replace PySide6's per-import source check (call after importing PySide6). Returns whether
    the check was found: a PySide6 without it needs nothing done."""
    for name in _FEATURE_MODULES:
        feature = sys.modules.get(name)
        if feature is not None and callable(getattr(feature, "_mod_uses_pyside", None)):
            feature._mod_uses_pyside = _uses_no_feature  # type: ignore[attr-defined]
            return True
    logger.debug("PySide6 has no per-import source check; nothing to do")
    return False
