"""The background sync worker: one sync at a time, off the UI thread, cancellable.

It runs on a timer (``settings.sync_interval_seconds``), a moment after each local command (a
short debounce, so a burst of check-ins is one sync), and backs off while the centre is
unreachable (5 s, 10 s, 20 s… up to 5 minutes). The status bar says online or offline, when the
last sync was and how many changes wait; a new station's first sync shows its progress.

The sync itself is ``frontcounter.services.sync.station.sync_once`` on the task runner; this module only
decides when to run it and tells the window what happened. Workers never touch widgets: results
come back as signals on the GUI thread.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from sqlalchemy import Engine

from frontcounter.config import Settings
from frontcounter.services.core.clock import local
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import (
    AuthenticationError,
    FrontCounterError,
    OfflineError,
    SchemaMismatch,
)
from frontcounter.services.sync import push as sync_push
from frontcounter.services.sync import station as sync
from frontcounter.services.sync import verify as sync_verify
from frontcounter.services.sync.centre_clock import CorrectedClock, skewed
from frontcounter.services.sync.centre_clock import describe as describe_skew
from frontcounter.services.sync.connection import open_central, retry_delay
from frontcounter.services.sync.report import SyncReport
from frontcounter.services.sync.station import SyncCancelled
from frontcounter.ui.tasks import TaskRunner


@contextmanager
def _no_full_collections() -> Iterator[None]:
    """No full (generation 2) garbage collection while a first sync allocates its thousands of rows.

    A full collection holds the GIL for as long as it walks; young collections stay automatic and
    take a few milliseconds each. The usual threshold comes back when the sync ends.
    """
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, 1_000_000)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, old)


logger = logging.getLogger(__name__)

Phase = Literal["local", "idle", "syncing", "online", "offline", "refused"]


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows; the controller emits a new one whenever anything changes."""

    phase: Phase
    waiting: int = 0
    last_sync: datetime | None = None
    #: Seconds until the next attempt after a failure (None when not backing off).
    retry_in: int | None = None
    #: The one-line reason when offline or refused.
    message: str | None = None
    #: (done, total) during a first sync, for the progress bar.
    progress: tuple[int, int] | None = None


def _clock_note(offset: timedelta | None) -> str | None:
    return describe_skew(offset) if offset is not None and skewed(offset) else None


class SyncController(QObject):
    state_changed = Signal(object)
    #: A sync finished: its SyncReport.
    sync_finished = Signal(object)
    #: A sync failed with a one-line message (offline, refused…).
    sync_failed = Signal(str)
    progressed = Signal(int, int)
    #: A sync changed rows the views show (pulled, or removed after a rejection).
    data_pulled = Signal()
    #: The centre rejected or flagged changes: a one-line message for the banner.
    attention_needed = Signal(str)
    #: Internal: a command committed (maybe on a worker thread); queued to the GUI thread.
    _committed = Signal()

    def __init__(
        self,
        ctx: ServiceContext,
        settings: Callable[[], Settings],
        tasks: TaskRunner,
        *,
        parent: QObject | None = None,
        debounce_ms: int = 1500,
        open_engine: Callable[[str], Engine] = open_central,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._settings = settings
        self._tasks = tasks
        self._open_engine = open_engine
        self._monotonic = monotonic
        self._engine: Engine | None = None
        self._engine_url: str | None = None
        self._running = False
        self._again = False
        self._stopped = True
        self._cancel = threading.Event()
        self._failures = 0
        self._retry_at: float | None = None
        local_status = sync_push.local_status(ctx.engine)
        #: "this PC's clock is 3 h 0 min fast": set while the last sync found the clock off.
        self._clock_note = _clock_note(ctx.clock.offset if isinstance(ctx.clock, CorrectedClock) else None)
        #: What the quiet daily cache check ever found (None: nothing, ever).
        self._check_found = sync_verify.ever_found(ctx.engine)
        self._first = local_status.never_synced
        self._status = SyncStatus("idle", local_status.waiting, local_status.last_sync)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.sync_now)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self._on_debounce_timeout)
        self._ticker = QTimer(self)  # the "retrying in N s" countdown
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._on_ticker_timeout)
        self._committed.connect(self._on_committed, Qt.ConnectionType.QueuedConnection)
        self._listener = lambda _action: self._committed.emit()

    # -- the public face ---------------------------------------------------------------------------

    @property
    def status(self) -> SyncStatus:
        return self._status

    @property
    def running(self) -> bool:
        return self._running

    def start(self, *, delay_ms: int = 500) -> None:
        """Begin: listen for local commands and sync soon (and then on the timer)."""
        if not self._stopped:
            return
        self._stopped = False
        self._ctx.on_committed.append(self._listener)
        sync_verify.app_started(self._ctx.engine)
        self._emit(self._status)
        self._timer.start(delay_ms)

    def stop(self) -> None:
        """Stop listening and timing, and ask a running sync to stop at its next step."""
        if not self._stopped:
            sync_verify.app_stopped(self._ctx.engine)
        self._stopped = True
        if self._listener in self._ctx.on_committed:
            self._ctx.on_committed.remove(self._listener)
        for timer in (self._timer, self._debounce, self._ticker):
            timer.stop()
        self._cancel.set()

    def dispose(self) -> None:
        """Release the central engine (after the task runner has finished)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def cancel(self) -> None:
        """Stop a running sync at its next step; what was done stays done."""
        self._cancel.set()

    def sync_now(self) -> None:
        """Sync now (or right after the one that is running)."""
        if self._running:
            self._again = True
            return
        self._timer.stop()
        url = self._settings().central_url
        if not url:
            self._schedule_next(None)
            self._emit(replace(self._status, phase="local", retry_in=None, message=None, progress=None,
                               waiting=sync_push.local_status(self._ctx.engine).waiting))
            return
        self._running = True
        self._cancel = threading.Event()
        cancel, ctx, first = self._cancel, self._ctx, self._first
        code = ctx.station_code or ""
        self._emit(replace(self._status, phase="syncing", retry_in=None, progress=(0, 0) if first else None))

        def work(progress: Callable[[int, int], None]) -> SyncReport:
            # The engine is made here, not on the GUI thread: the first one imports the driver.
            try:
                engine = self._engine_for(url)
            except Exception as exc:  # an unparsable URL: the user fixes it in the settings
                raise FrontCounterError(f"The central URL is not valid ({type(exc).__name__}).") from exc
            if not first:
                report = sync.sync_once(ctx.engine, engine, code, clock=ctx.clock, cancel=cancel.is_set)
            else:
                with _no_full_collections():
                    report = sync.sync_once(ctx.engine, engine, code, clock=ctx.clock, progress=progress,
                                            cancel=cancel.is_set)
            # Once a day and after a crash, quietly: is the cache still equal to the centre? (Not
            # right after a first sync: that cache is as fresh as it gets.)
            if not first:
                try:
                    sync_verify.quiet_check(ctx.engine, engine, code, ctx.clock.now())
                except Exception:  # the sync itself succeeded; the check tries again next time
                    logger.warning("the quiet cache check failed; it runs again at the next sync", exc_info=True)
            return report

        self._tasks.run(work, on_done=self._on_sync_done, on_error=self._on_sync_failed,
                        on_progress=self._on_sync_progress)

    def label_text(self, status: SyncStatus | None = None) -> str:
        """The status bar's words: state by symbol and text, never by colour alone."""
        text = self._label_text(status or self._status)
        if self._clock_note:
            text += " · " + self.tr("⚠ PC clock {0}, centre time used").format(self._clock_note)
        found = self._check_found
        if found:
            text += " · " + self.tr("⚠ cache check {0}: {1} row(s) re-pulled").format(
                f"{local(datetime.fromisoformat(found['on'])):%d %b}", found["repaired"])
        return text

    def _label_text(self, s: SyncStatus) -> str:
        waiting = self.tr("{0} waiting").format(s.waiting)
        synced = self.tr("synced {0}").format(f"{local(s.last_sync):%H:%M}") if s.last_sync else None
        if s.phase == "local":
            return " · ".join([self.tr("○ Local only"), self.tr("no centre configured"), waiting])
        if s.phase == "syncing":
            if s.progress is not None and s.progress[1]:
                done, total = s.progress
                return self.tr("⟳ Downloading station data… {0} of {1}").format(f"{done:,}", f"{total:,}")
            return " · ".join([self.tr("⟳ Syncing…"), waiting])
        if s.phase == "offline":
            parts = [self.tr("○ Offline")] + ([self.tr("last synced {0}").format(
                f"{local(s.last_sync):%H:%M}")] if s.last_sync else []) + [waiting]
            if s.retry_in is not None:
                parts.append(self.tr("retrying in {0} s").format(s.retry_in))
            return " · ".join(parts)
        if s.phase == "refused":
            parts = [self.tr("⚠ Sync refused"), waiting]
            if s.retry_in is not None:
                parts.append(self.tr("retrying in {0} s").format(s.retry_in))
            return " · ".join(parts)
        if s.phase == "online":
            return " · ".join([self.tr("● Online"), *([synced] if synced else []), waiting])
        return " · ".join([self.tr("○ Not synced yet"), waiting])

    # -- results ---------------------------------------------------------------------------------

    def _on_sync_progress(self, done: int, total: int) -> None:
        self.progressed.emit(done, total)
        if self._status.phase == "syncing" and self._status.progress is not None:
            self._emit(replace(self._status, progress=(done, total)))

    def _on_sync_done(self, report: SyncReport) -> None:
        self._running = False
        note = _clock_note(report.clock_offset)
        self._check_found = sync_verify.ever_found(self._ctx.engine)
        clock_changed, self._clock_note = note != self._clock_note, note
        self._first = False
        self._failures = 0
        self._emit(SyncStatus("online", report.waiting, report.finished_at))
        self.sync_finished.emit(report)
        if report.changed_local_data or clock_changed:  # (a corrected clock changes who is late)
            self.data_pulled.emit()
        if report.rejected or report.resolved:
            self.attention_needed.emit(self._attention_text(report))
        if self._stopped:
            return
        if self._again or report.waiting:
            self._again = False
            self._timer.start(200)
        else:
            self._schedule_next(self._interval())

    def _on_sync_failed(self, exc: BaseException) -> None:
        self._running = False
        self._again = False
        if isinstance(exc, SyncCancelled):
            self._emit(replace(self._status, phase="idle", progress=None))
            self.sync_failed.emit(exc.message)
            if not self._stopped:
                self._schedule_next(self._interval())
            return
        if isinstance(exc, FrontCounterError):
            message = exc.message
        else:  # a bug: logged in full; the station carries on and tries again later
            logger.error("sync failed unexpectedly", exc_info=exc)
            message = self.tr("Sync failed unexpectedly; the error was logged. It will be retried.")
        self._failures += 1
        delay = retry_delay(self._failures, self._interval())
        phase: Phase = "offline" if isinstance(exc, OfflineError) else "refused"
        waiting = sync_push.local_status(self._ctx.engine).waiting
        self._emit(replace(self._status, phase=phase, message=message, retry_in=delay, progress=None,
                           waiting=waiting))
        self.sync_failed.emit(message)
        if not isinstance(exc, OfflineError | AuthenticationError | SchemaMismatch):
            logger.warning("sync problem: %s", message)
        if not self._stopped:
            self._schedule_next(delay)

    def _attention_text(self, report: SyncReport) -> str:
        if report.rejected:
            return self.tr("The centre did not accept {0} change(s); they are kept under Not accepted, to fix and "
                           "resend.").format(report.rejected)
        return self.tr("{0} change(s) were merged with changes made at the centre.").format(report.resolved)

    # -- timing ----------------------------------------------------------------------------------

    def _interval(self) -> int:
        return max(1, int(self._settings().sync_interval_seconds))

    def _schedule_next(self, seconds: int | None) -> None:
        self._timer.stop()
        if seconds is None:
            self._retry_at = None
            self._ticker.stop()
            return
        self._timer.start(seconds * 1000)
        backing_off = self._status.phase in ("offline", "refused")
        self._retry_at = self._monotonic() + seconds if backing_off else None
        if backing_off:
            self._ticker.start()
        else:
            self._ticker.stop()

    def _on_ticker_timeout(self) -> None:
        if self._retry_at is None or self._status.phase not in ("offline", "refused"):
            self._ticker.stop()
            return
        remaining = max(0, round(self._retry_at - self._monotonic()))
        if remaining != self._status.retry_in:
            self._emit(replace(self._status, retry_in=remaining))

    def _on_committed(self) -> None:
        if not self._stopped:
            self._debounce.start()

    def _on_debounce_timeout(self) -> None:
        waiting = sync_push.local_status(self._ctx.engine).waiting
        if self._status.phase in ("offline", "refused"):
            # Backing off: a new command does not hammer an unreachable centre; it just waits.
            self._emit(replace(self._status, waiting=waiting))
            return
        self._emit(replace(self._status, waiting=waiting))
        self.sync_now()

    def _engine_for(self, url: str) -> Engine:
        """The engine for ``url`` (worker thread; one sync at a time, so no lock is needed)."""
        if self._engine is None or url != self._engine_url:
            if self._engine is not None:
                self._engine.dispose()
            self._engine = self._open_engine(url)
            self._engine_url = url
        return self._engine

    def _emit(self, status: SyncStatus) -> None:
        self._status = status
        self.state_changed.emit(status)


# -- wiring into the window ----------------------------------------------------------------------


# -- a new station's first sync, before anyone can sign in -------------------------------------


