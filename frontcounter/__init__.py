"""FrontCounter: the desktop app on police station front counters."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("frontcounter")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
