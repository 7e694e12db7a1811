"""FrontCounter: the desktop app on police station front counters."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``__version__`` read from the installed metadata on first use: ``importlib.metadata`` (and the
    email and zipfile modules behind it) costs start-up tens of milliseconds before the first frame."""
    if name != "__version__":
        raise AttributeError(f"module 'frontcounter' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("frontcounter")
    except PackageNotFoundError:  # running from a source tree that was not installed
        value = "0.0.0+source"
    globals()["__version__"] = value
    return value
