"""The background-task helper: run a callable on a thread pool, deliver its result or its error on
the GUI thread. Workers never touch widgets (STYLE.md: Picard's thread helper, Anki's QueryOp).

Usage::

    runner.run(lambda progress: services.slow(ctx, actor, progress=progress),
               on_done=self._on_loaded, on_error=self._on_failed, on_progress=bar.setValue)
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from frontcounter.services.core.environment import explain

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def _receiver_alive(callback: Callable[..., Any], owner: QObject | None) -> bool:
    """False when ``owner`` or the object ``callback`` is a method of has been deleted meanwhile
    (a dialog closed, a window replaced when another user signed in): nobody is left to show it."""
    for receiver in (owner, getattr(callback, "__self__", None)):
        if isinstance(receiver, QObject) and not shiboken6.isValid(receiver):
            logger.debug("dropped a background result for a deleted %s", type(receiver).__name__)
            return False
    return True


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object, str)
    progressed = Signal(int, int)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[Progress], Any], signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._fn(self._signals.progressed.emit)
        except BaseException as exc:  # delivered to the GUI thread, which decides what it means
            self._signals.failed.emit(exc, traceback.format_exc())
        else:
            self._signals.done.emit(result)


class TaskRunner(QObject):
    """Runs jobs off the GUI thread. ``active`` counts jobs in flight (tests wait on it)."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._signals: set[_Signals] = set()
        self.active = 0

    def run(
        self,
        fn: Callable[[Progress], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Progress | None = None,
        owner: QObject | None = None,
    ) -> None:
        """``owner``: the widget the callbacks belong to; if it is deleted before the job ends (a
        dialog closed, a window replaced at a user switch) the result is dropped, not delivered
        into a dead widget. Bound methods of a QObject are checked that way without it."""
        signals = _Signals()  # lives on the GUI thread: its slots run there
        self._signals.add(signals)

        @Slot(object)
        def finished(result: Any) -> None:
            self._finish(signals)
            if on_done is not None and _receiver_alive(on_done, owner):
                on_done(result)

        @Slot(object, str)
        def failed(exc: BaseException, trace: str) -> None:
            self._finish(signals)
            if on_error is not None and _receiver_alive(on_error, owner):
                # The machine's failures (a full disk, a locked or damaged cache, no keyring) reach every
                # screen as their one-line message, which each screen already shows as it stands.
                known = explain(exc) if isinstance(exc, Exception) else None
                if known is not None and known is not exc:
                    logger.warning("background task: %s", known.message)
                    known.__cause__ = exc  # a screen with its own words for the cause still finds it
                on_error(known or exc)
            else:
                logger.error("background task failed: %s", trace)

        signals.done.connect(finished)
        signals.failed.connect(failed)
        if on_progress is not None:
            signals.progressed.connect(on_progress)
        self.active += 1
        if self.active == 1:
            self.busy_changed.emit(True)
        self._pool.start(_Job(fn, signals))

    def _finish(self, signals: _Signals) -> None:
        self._signals.discard(signals)
        self.active -= 1
        if self.active == 0:
            self.busy_changed.emit(False)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the pool is idle (shutdown and tests only, never from a slot)."""
        return self._pool.waitForDone(msecs)
