"""Start-up after the first frame: open the station cache while the clerk types, then sign in and
show the main window with today's list already in it.

The sign-in window (frontcounter/ui/shell/sign_in_window.py) is painted first, from config.json alone.
Only then does the background-task helper open the cache on a worker thread (import SQLAlchemy,
migrate, look up the station's name, import the main window's modules); the password is checked
(scrypt) on a worker too. A problem on the way (cache locked, migration failed, data folder
read-only) is shown in that window in words, with Retry.

``open_station`` is a seam: tests pass a slow or failing one to see the window while it runs.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from frontcounter.services.core.errors import FrontCounterError
from frontcounter.ui.shell.sign_in_window import SignInWindow

if TYPE_CHECKING:
    from frontcounter.ui.tasks import Progress, TaskRunner

logger = logging.getLogger(__name__)

ENV_PASSWORD = "FRONTCOUNTER_PASSWORD"
#: How long the main window waits for today's list before it shows anyway (the list then fills in).
TODAY_WAIT_MS = 3000
#: What the main window needs, imported on the worker while the clerk types.
MAIN_WINDOW_MODULES = (
    "frontcounter.ui.app_state",
    "frontcounter.ui.shell.main_window",
    "frontcounter.ui.views.today",
    "frontcounter.ui.shell.sync_startup",
    "frontcounter.ui.shell.lock",
)


@dataclass
class Opened:
    """What the worker hands back: the open station and whether it has never synced."""

    runtime: Any  # frontcounter.runtime.StationRuntime (not imported here: it loads SQLAlchemy)
    never_synced: bool


def open_for_sign_in(data_dir: Path, *, station_code: str | None, demo: bool, fcr: bool = False) -> Opened:
    """The worker's job: the demo if asked and missing, the migrated cache, the station's name kept
    for the next start-up's first frame, and the main window's modules imported.

    ``fcr``: an FCR desk, which opens the centre itself (no cache, nothing to sync)."""
    from frontcounter.paths import Paths
    from frontcounter.runtime import ensure_demo, open_centre, open_station, remember_station_name
    from frontcounter.services.sync import push as sync_push

    paths = Paths(data_dir)
    if demo:  # created when missing, made afresh when its week has ended
        ensure_demo(paths, station_code=station_code or "HH")
    if fcr:
        centre = open_centre(paths)
        importlib.import_module("frontcounter.services.security.auth")
        return Opened(runtime=centre, never_synced=False)
    runtime = open_station(paths, station_code=station_code)
    try:
        remember_station_name(runtime)
    except OSError:  # a read-only config.json costs only the name on the next first frame
        logger.warning("could not keep the station name in %s", paths.config_file, exc_info=True)
    never_synced = sync_push.local_status(runtime.engine).never_synced
    importlib.import_module("frontcounter.services.security.auth")  # the password check's, before it runs
    return Opened(runtime=runtime, never_synced=never_synced)


def import_main_window_modules() -> None:
    """On the worker while the password is checked (scrypt lets go of the GIL, so the two overlap)."""
    for module in MAIN_WINDOW_MODULES:
        importlib.import_module(module)


class Startup(QObject):
    """Drives the sign-in window from first frame to main window. Keep a reference while the app
    runs. ``main_shown`` carries the main window once it is on screen."""

    main_shown = Signal(object)
    #: The station cache is open (tests wait on it).
    opened = Signal()

    def __init__(self, window: SignInWindow, open_station: Callable[[], Opened], data_dir: Path, *,
                 preset_user: str | None = None, preset_password: str | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self._open_station = open_station
        self.data_dir = data_dir
        self._preset = (preset_user, preset_password) if preset_user and preset_password is not None else None
        self._tasks: TaskRunner | None = None
        self.result: Opened | None = None
        self.main_window: QWidget | None = None
        #: The signed-in session's lock (Lock now, Switch user, Sign out); it serves the window
        #: on screen now (``session_lock.window``), which a switch to another user rebuilds.
        self.session_lock: Any = None
        self._pending: tuple[str, str] | None = None
        self._opening = False
        self._started = False
        self._main_shown = False
        self._modules_ready = False
        self._signed_in: Any = None
        window.first_painted.connect(self._on_window_first_painted)
        window.submitted.connect(self._on_window_submitted)
        window.retry_requested.connect(self._begin_opening)
        window.cancelled.connect(self._on_window_cancelled)

    @property
    def tasks(self) -> TaskRunner:
        """The workers, made at their first job (after the first frame: the thread pool's PySide6
        types cost that frame a few milliseconds). Two: the password check (scrypt) runs beside
        the main window's imports."""
        if self._tasks is None:
            from frontcounter.ui.tasks import TaskRunner

            self._tasks = TaskRunner(self, max_threads=2)
        return self._tasks

    # -- opening ------------------------------------------------------------------------------

    def _on_window_first_painted(self) -> None:
        if not self._started:
            self._started = True
            QTimer.singleShot(0, self._begin_opening)  # after this paint pass is on screen

    def _begin_opening(self) -> None:
        if self._opening or self.result is not None:
            return
        self._opening = True
        self.window.show_progress(self.window.tr(
            "Opening the station database… you can type your user name and password meanwhile."))

        def job(_progress: Progress) -> Opened:
            return self._open_station()

        self.tasks.run(job, on_done=self._on_opened, on_error=self._on_open_failed)

    def _on_opened(self, opened: Opened) -> None:
        self._opening = False
        self.result = opened
        runtime = opened.runtime
        settings = runtime.settings
        place = self.window.tr("FCR desk (the centre)") if runtime.ctx.mode == "central" else \
            settings.station_name or runtime.ctx.station_code or ""
        self.window.set_station(place, settings.protective_marking)
        self.window.clear_message()
        if opened.never_synced:
            from frontcounter.ui.shell.sync_startup import first_sync_if_needed

            if not first_sync_if_needed(runtime, self.window):
                self.window.finish()
                QApplication.quit()
                return
        self.opened.emit()
        # One job imports (one importer at a time: two threads importing the same modules could
        # see each other's half-made modules); scrypt, beside it, runs without the GIL.
        self.tasks.run(lambda _p: import_main_window_modules(), on_done=self._on_modules_ready,
                       on_error=self._on_open_failed)
        if self._pending is None and self._preset is not None:
            self._pending = self._preset
        if self._pending is not None:
            user, password = self._pending
            self._pending = None
            self._check_password(user, password)

    def _on_open_failed(self, exc: BaseException) -> None:
        self._opening = False
        if not isinstance(exc, (FrontCounterError, OSError)) and not _is_database_error(exc):
            logger.error("start-up failed", exc_info=exc)
        else:
            logger.warning("start-up problem: %s", exc)
        self._pending = None
        self.window.set_checking(False)
        self.window.show_problem(_describe(exc, self.data_dir))

    # -- signing in ---------------------------------------------------------------------------

    def _on_window_submitted(self, user: str, password: str) -> None:
        if self.result is None:  # still opening: sign in the moment the cache is ready
            self._pending = (user, password)
            self.window.set_checking(True)
            if self._opening:
                self.window.show_progress(self.window.tr(
                    "Still opening the station database; you will be signed in as soon as it is ready."))
            return
        self._check_password(user, password)

    def _check_password(self, user: str, password: str) -> None:
        from frontcounter.services.security.auth import sign_in

        assert self.result is not None
        ctx = self.result.runtime.ctx
        self.window.set_checking(True)
        self.window.show_progress(self.window.tr("Checking your password…"))
        self.tasks.run(lambda _p: sign_in(ctx, user, password), on_done=self._on_signed_in,
                       on_error=self._on_sign_in_failed)

    def _on_sign_in_failed(self, exc: BaseException) -> None:
        if isinstance(exc, FrontCounterError):
            self.window.show_sign_in_error(exc.message)
            return
        logger.error("sign-in failed", exc_info=exc)
        self.window.set_checking(False)
        self.window.show_problem(_describe(exc, self.data_dir))

    def _on_modules_ready(self, _result: object) -> None:
        self._modules_ready = True
        if self._signed_in is not None:
            self._open_main_window(self._signed_in)

    def _on_signed_in(self, actor: Any) -> None:
        actor = self._own_password(actor)
        if actor is None:
            self._on_window_cancelled()
            return
        self._signed_in = actor
        if self._modules_ready:
            self._open_main_window(actor)
        else:
            self.window.show_progress(self.window.tr("Signed in. Opening today's list…"))

    def _own_password(self, actor: Any) -> Any:
        """A user with a temporary password (new, or reset by an administrator) chooses their own
        before the main window opens: the same dialog as at Switch user, so the rule has one home."""
        from frontcounter.services.security.auth import must_change_password

        assert self.result is not None
        ctx = self.result.runtime.ctx
        if not must_change_password(ctx, actor):
            return actor
        from frontcounter.ui.dialogs.login import LoginDialog

        dialog = LoginDialog(ctx, username=actor.username, parent=self.window)
        dialog.error.setText(dialog.tr("Your password is temporary: type it again, then choose your own."))
        dialog.error.setVisible(True)
        return dialog.actor if dialog.exec() == LoginDialog.DialogCode.Accepted else None

    def _open_main_window(self, actor: Any) -> None:
        if self.main_window is not None:
            return
        from frontcounter.ui.app_state import AppState
        from frontcounter.ui.shell.lock import install_session_lock
        from frontcounter.ui.shell.main_window import MainWindow
        from frontcounter.ui.shell.sync_startup import attach_to_window, start_sync

        assert self.result is not None
        runtime = self.result.runtime
        self.window.show_progress(self.window.tr("Signed in. Opening today's list…"))
        from frontcounter.ui.theme import register_bundled_fonts

        register_bundled_fonts()  # names in any script, not boxes (after the sign-in window's first frame)
        state = AppState(runtime.ctx, actor, runtime.settings, runtime.paths)
        if runtime.ctx.mode == "central":  # the FCR desk: the centre itself, nothing to sync
            window = MainWindow(state)
            self.session_lock = install_session_lock(window, state, rebuild=lambda: MainWindow(state))
        else:
            sync = start_sync(state, delay_ms=500)  # after the first paint of the main window
            window = attach_to_window(MainWindow(state), sync)
            # Idle lock, Lock now (Ctrl+L) and Switch user; another role gets a freshly built window.
            self.session_lock = install_session_lock(
                window, state, rebuild=lambda: attach_to_window(MainWindow(state), sync))
        self.main_window = window
        if actor.key is not None:  # the rest of the re-sealing (issue 21), off the sign-in path
            from frontcounter.services.core.reseal import reseal_station

            ctx = runtime.ctx
            state.tasks.run(lambda _p: reseal_station(ctx, actor))
        today = window.view("today") if window.current_key() == "today" else None
        loaded = getattr(today, "loaded", None)
        if loaded is None:
            self._show_main()
            return
        loaded.connect(self._show_main)
        QTimer.singleShot(TODAY_WAIT_MS, self._show_main)

    def _show_main(self) -> None:
        window = self.main_window
        if window is None or self._main_shown:  # today's list loaded, or the wait ran out: once
            return
        self._main_shown = True
        window.show()
        self.window.finish()
        self.main_shown.emit(window)

    def _on_window_cancelled(self) -> None:
        if self.main_window is None:
            self.tasks.wait(10000)  # let an open in flight finish before the process goes
            QApplication.quit()


def _describe(exc: BaseException, data_dir: Path) -> str:
    from frontcounter.startup_problems import describe  # only when something went wrong

    return describe(exc, data_dir)


def _is_database_error(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] in ("sqlite3", "sqlalchemy")


class StationOpener:
    """The default ``open_station`` seam: what ``open_for_sign_in`` needs, bound at start-up."""

    def __init__(self, data_dir: Path, *, station_code: str | None, demo: bool, fcr: bool = False) -> None:
        self.data_dir = data_dir
        self.station_code = station_code
        self.demo = demo
        self.fcr = fcr

    def __call__(self) -> Opened:
        return open_for_sign_in(self.data_dir, station_code=self.station_code, demo=self.demo, fcr=self.fcr)


def start(app: QApplication, data_dir: Path, *, station_code: str | None, demo: bool,
          preset_user: str | None, open_station: Callable[[], Opened] | None = None,
          fcr: bool = False) -> Startup:
    """Paint the sign-in window from config.json, then open the station behind it (or, for an FCR
    desk, ``fcr`` or ``fcr_desk`` in its settings, the centre)."""
    from frontcounter.config import Settings, load_settings

    try:
        settings = load_settings(data_dir / "config.json")
    except (OSError, ValueError, TypeError):  # the worker meets the same file and says what is wrong
        settings = Settings()
    code = station_code or settings.station_code or ("HH" if demo else "")
    is_demo = demo or settings.demo
    fcr = fcr or settings.fcr_desk
    role = "fcr" if fcr else "counter"
    username = preset_user or (f"{role}.{code}" if is_demo and code else "")
    title = "FCR desk (the centre)" if fcr else settings.station_name or code or "FrontCounter"
    window = SignInWindow(title, settings.protective_marking, username=username)
    if is_demo:
        window.show_hint(window.tr("Demo: every user's password is 'demo' (counter.{0}, officer.{0}, "
                                   "supervisor.{0}, fcr.{0}, auditor.{0}, admin.{0}).").format(code or "HH"))
    startup = Startup(window, open_station or StationOpener(data_dir, station_code=station_code, demo=demo,
                                                            fcr=fcr),
                      data_dir, preset_user=preset_user, preset_password=os.environ.get(ENV_PASSWORD), parent=app)
    window.show()
    return startup
