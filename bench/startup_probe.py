"""The child process the start-up and memory benchmarks time: ``python -m bench.startup_probe MODE``.

``bare``: a bare PySide6 main window, the floor. ``imports``: a bare window, then the resident
memory after each step of IMPORT_STEPS (where the megabytes go, module by module). ``stack --data-dir DIR``: the same after the
work no app of this design can skip (SQLAlchemy's ORM imported, one query, one scrypt check). ``app [FRONTCOUNTER ARGS…]``: the real app,
started through ``frontcounter.cli.main.main`` exactly as ``python -m frontcounter`` starts it (sign-in
without the dialog via ``--user`` and ``FRONTCOUNTER_PASSWORD``).

Both print ``first_frame=<time.monotonic()>`` once the first frame of the window named
``MainWindow`` has been painted (the first paint event it or a child received, plus the rest of
that paint pass), then exit at once; the parent subtracts the time it spawned us. ``loaded=``
names the ``HEAVY`` modules already imported by then (there should be none); ``cpu_s=`` the
process's CPU time so far (all threads), which other work on a shared machine disturbs far less. The
app's first window, the sign-in window (``SignInWindow``), prints ``interactive=`` at its first
paint in the same way, with ``loaded_at_interactive=`` (which of ``HEAVY_AT_SIGN_IN`` were imported
by then: there should be none). With
``--screens`` the probe then opens every view in the navigation, waits for each one's background
work, and prints ``vmhwm_mb=`` (the process's peak resident memory) and ``screens=``. With
``--phases`` it prints ``phase_<step>=`` times for the steps of start-up (see ``_instrument``).

Kept to the standard library at import time, so the probe adds nothing to what it measures. It
watches only the top-level windows the app shows (its event filter goes on each window as
``show`` is called, and a dialog's ``exec``/``open`` is reported as an error): a filter on the whole
application would make PySide6 wrap every QObject that receives an event, e.g. the style sheet's
QStyle, which builds that class's Python type and enums (~8 ms) that the app itself never asks for
before its first frame. The filter is removed after the main window's first paint, so it costs the
app a few microseconds per event of those windows only until then (``events=`` says how many). In
``app`` mode the QApplication is made as ``python -m frontcounter`` makes it
(``frontcounter.startup.qt_application``).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

#: Modules the first screen does not need (PDFs, charts, migrations, the keyring, PostgreSQL):
#: the probe reports which of them were loaded by the time of the first frame.
HEAVY = ("alembic", "mako", "reportlab", "pypdf", "keyring", "psycopg", "PySide6.QtCharts", "PySide6.QtPdf",
         "PySide6.QtPdfWidgets", "PySide6.QtPrintSupport", "PySide6.QtSvgWidgets")
#: What the sign-in window must paint without (issue 15): the database stack, PDFs, the keyring.
HEAVY_AT_SIGN_IN = ("sqlalchemy", "alembic", "reportlab", "psycopg", "keyring")
#: The first window a user can type into: the sign-in window (frontcounter/ui/shell/sign_in_window.py).
INTERACTIVE = "SignInWindow"
ENV_NOW = "FRONTCOUNTER_BENCH_NOW"
ENV_TIMEOUT = "FRONTCOUNTER_BENCH_PROBE_TIMEOUT"


def _emit(**values: Any) -> None:
    try:
        sys.stdout.write("".join(f"{k}={v}\n" for k, v in values.items()))
        sys.stdout.flush()
    except OSError:  # nobody is listening any more (the parent was stopped): stop too
        os._exit(2)


def _vmhwm_mb() -> float:
    for line in open("/proc/self/status", encoding="ascii"):  # noqa: SIM115 (tiny, read once)
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _describe(dialog: Any) -> str:
    """A dialog's title and message, and the last line of a crash dialog's trace (the error)."""
    parts = [dialog.windowTitle()]
    for attr in ("text", "informativeText"):
        if hasattr(dialog, attr):
            parts.append(getattr(dialog, attr)())
    trace = dialog.detailedText().strip().splitlines() if hasattr(dialog, "detailedText") else []
    if trace:
        parts.append(trace[-1])
    return " | ".join(p for p in parts if p)


def _stack_work(args: list[str]) -> None:
    """What any app built this way must do before its first window, with none of our code: import
    SQLAlchemy's ORM, read one row of the station cache, verify one scrypt password (the app's
    cost parameters, frontcounter/services/security/auth.py). ``args`` is the app's ``--data-dir DIR``."""
    import hashlib

    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    data_dir = args[args.index("--data-dir") + 1]
    engine = create_engine(f"sqlite+pysqlite:///{data_dir}/station.sqlite")
    with Session(engine) as session:
        session.execute(text("SELECT count(*) FROM users")).scalar()
    hashlib.scrypt(b"demo", salt=b"0123456789abcdef", n=2**14, r=8, p=1, dklen=32)


def _rss_mb() -> float:
    for line in open("/proc/self/status", encoding="ascii"):  # noqa: SIM115 (tiny, read once)
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


#: What ``imports`` mode loads, in this order, after a bare window is on screen: the library stack,
#: then the app's own layers, then what only some screens need. Each step's resident memory is
#: what it adds on top of everything before it.
IMPORT_STEPS = (
    ("SQLAlchemy", ("sqlalchemy",)),
    ("SQLAlchemy ORM", ("sqlalchemy.orm",)),
    ("models", ("frontcounter.db.models",)),
    ("runtime and services", ("frontcounter.runtime", "frontcounter.services.security.auth",
                              "frontcounter.services.sync.push")),
    ("main window and Today", ("frontcounter.ui.app_state", "frontcounter.ui.shell.main_window",
                               "frontcounter.ui.views.today", "frontcounter.ui.shell.sync_startup",
                               "frontcounter.ui.shell.lock")),
    ("every other view but reports", ("frontcounter.ui.views.day_board", "frontcounter.ui.views.my_appointments",
                                      "frontcounter.ui.views.booking", "frontcounter.ui.views.attention",
                                      "frontcounter.ui.views.not_accepted", "frontcounter.ui.views.roster_admin",
                                      "frontcounter.ui.views.audit", "frontcounter.ui.views.users")),
    ("reports view (QtCharts)", ("frontcounter.ui.views.reports",)),
    ("ReportLab (documents)", ("reportlab.pdfgen.canvas", "frontcounter.services.documents.briefing")),
    ("Alembic (migrations)", ("alembic.command",)),
)


def _import_steps() -> None:
    """``imports`` mode: resident memory after each of IMPORT_STEPS (``rss_<n>=label:MB``)."""
    import contextlib
    import importlib

    _emit(rss_0=f"window:{_rss_mb():.1f}")
    for n, (label, modules) in enumerate(IMPORT_STEPS, start=1):
        for module in modules:
            with contextlib.suppress(ImportError):  # a module renamed since: the step shows the rest
                importlib.import_module(module)
        _emit(**{f"rss_{n}": f"{label}:{_rss_mb():.1f}"})


def _mark(name: str) -> None:
    _emit(**{f"phase_{name}": f"{time.monotonic():.6f}"})


def _timed(name: str, fn: Any) -> Any:
    def timed(*args: Any, **kwargs: Any) -> Any:
        _mark(f"{name}_start")
        try:
            return fn(*args, **kwargs)
        finally:
            _mark(f"{name}_end")

    return timed


#: The steps of ``frontcounter.startup.run_gui`` the ``--phases`` run times: (module, name, label).
#: A step that no longer exists is skipped, so the probe outlives changes to the start-up code.
STEPS = (
    ("frontcounter.ui.theme", "apply_theme", "apply_theme"),
    ("frontcounter.ui.shell.startup", "start", "sign_in_window"),
    ("frontcounter.ui.shell.startup", "open_for_sign_in", "open_station"),
    ("frontcounter.services.security.auth", "sign_in", "sign_in"),
    ("frontcounter.ui.shell.sync_startup", "start_sync", "start_sync"),
    ("frontcounter.ui.shell.main_window", "MainWindow.__init__", "main_window"),
    ("frontcounter.ui.shell.sync_startup", "attach_to_window", "attach_sync"),
    ("frontcounter.ui.shell.lock", "install_session_lock", "session_lock"),
)


def _instrument() -> None:
    """For the ``--phases`` run only: import the start-up path up front (one lump of import time)
    and wrap its steps with markers. ``run_gui`` imports these names when it runs, so it picks up
    the wrapped ones; a class's ``__init__`` is wrapped in place, so the class stays a class."""
    import importlib

    importlib.import_module("frontcounter.startup")
    importlib.import_module("frontcounter.cli.main")
    found = []
    for module_name, name, label in STEPS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        owner: Any = module
        *path, attr = name.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is not None and hasattr(owner, attr):
            found.append((owner, attr, label))
    _mark("imported")
    for owner, attr, label in found:
        setattr(owner, attr, _timed(label, getattr(owner, attr)))


def main(argv: list[str]) -> int:
    mode, rest = argv[0], argv[1:]
    screens = "--screens" in rest
    phases = "--phases" in rest
    rest = [a for a in rest if a not in ("--screens", "--phases")]
    if phases:
        _mark("probe")

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QWidget

    if phases:
        _mark("qt_imported")
    if mode in ("app", "imports"):  # made as `python -m frontcounter` makes it (style on Qt's command line)
        from frontcounter.startup import qt_application

        app = qt_application()
    else:
        app = QApplication(sys.argv[:1])
    if phases:
        _mark("qapplication")

    class FirstPaint(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.events = 0
            self.window: QWidget | None = None
            self.interactive = False
            self.sign_in: Any = None
            self.watched: list[QWidget] = []

        def watch_window(self, widget: QWidget) -> None:
            if self.window is None and widget.isWindow() and widget not in self.watched:
                widget.installEventFilter(self)
                self.watched.append(widget)

        def interactive_painted(self) -> None:
            _emit(interactive=f"{time.monotonic():.6f}", interactive_cpu_s=f"{time.process_time():.4f}",
                  interactive_vmhwm_mb=f"{_vmhwm_mb():.1f}",
                  loaded_at_interactive=",".join(m for m in HEAVY_AT_SIGN_IN if m in sys.modules))
            self.watch = QTimer()
            self.watch.timeout.connect(self.check_sign_in)
            self.watch.start(20)

        def check_sign_in(self) -> None:
            """A sign-in window that shows a problem (wrong password, locked cache) would wait for a
            person forever offscreen: report its words and stop."""
            message = getattr(self.sign_in, "message", None)
            if self.window is None and message is not None and message.isVisible() \
                    and message.property("banner") == "error":
                _emit(error=f"the sign-in window says: {message.text()}")
                os._exit(8)

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
            self.events += 1
            if event.type() == QEvent.Type.Show and isinstance(obj, QDialog):
                # A sign-in or crash dialog instead of the window would wait forever offscreen.
                _emit(error=f"a dialog appeared before the main window: {_describe(obj)}")
                os._exit(6)
            if event.type() == QEvent.Type.Paint and isinstance(obj, QWidget):
                window = obj.window()
                if window.objectName() == INTERACTIVE and not self.interactive:
                    self.interactive = True
                    self.sign_in = window
                    QTimer.singleShot(0, self.interactive_painted)
                if window.objectName() == "MainWindow" and self.window is None:
                    self.window = window
                    for watched in self.watched:
                        watched.removeEventFilter(self)
                    self.watched.clear()
                    # Fires once the rest of this paint pass (every child's paint, the flush) is done.
                    QTimer.singleShot(0, self.painted)
            return False

        def painted(self) -> None:
            status = 0
            try:
                _emit(first_frame=f"{time.monotonic():.6f}", cpu_s=f"{time.process_time():.4f}", events=self.events,
                      loaded=",".join(m for m in HEAVY if m in sys.modules))
                if screens and self.window is not None:
                    _open_every_screen(app, self.window)
                _emit(vmhwm_mb=f"{_vmhwm_mb():.1f}")
            except BaseException as exc:  # a screen that fails to open: say so, never hang
                _emit(error=f"{type(exc).__name__}: {exc}".splitlines()[0])
                status = 7
            finally:
                os._exit(status)  # skip teardown: it is not start-up, and closeEvent may wait

    watcher = FirstPaint()
    _watch_shown_windows(watcher, QWidget, QDialog)
    timeout_s = float(os.environ.get(ENV_TIMEOUT, "30"))

    def give_up() -> None:
        if watcher.window is not None:  # painted: the screens that follow have a deadline each
            return
        _emit(error=f"no paint within {timeout_s:.0f} s")
        os._exit(3)

    QTimer.singleShot(int(timeout_s * 1000), give_up)
    if mode == "imports":
        window = QMainWindow()
        window.resize(1280, 780)
        window.show()
        app.processEvents()
        _import_steps()
        return 0
    if mode in ("bare", "stack"):
        if mode == "stack":
            _stack_work(rest)
        window = QMainWindow()
        window.setObjectName("MainWindow")
        window.setWindowTitle("bare")
        window.resize(1280, 780)
        window.show()
        app.exec()
        return 4
    if os.environ.get(ENV_NOW):  # the app's own clock pin, so every run shows the same day's list
        os.environ["FRONTCOUNTER_CLOCK"] = os.environ[ENV_NOW]
    if phases:
        _instrument()
    from frontcounter.cli.main import main as cli_main

    status = cli_main(rest)
    _emit(error=f"the app returned {status} without painting a main window")
    return 5


def _watch_shown_windows(watcher: Any, widget_class: Any, dialog_class: Any) -> None:
    """Put ``watcher``'s event filter on each top-level window as it is shown, and report a dialog
    run modally (sign-in, crash: it would wait forever offscreen)."""
    def watching(original: Any) -> Any:
        def shown(self: Any) -> None:
            watcher.watch_window(self)
            original(self)

        return shown

    for name in ("show", "showMaximized", "showNormal", "showFullScreen"):
        setattr(widget_class, name, watching(getattr(widget_class, name)))
    for name in ("exec", "open"):
        def modal(self: Any, *_args: Any) -> Any:
            _emit(error=f"a dialog appeared before the main window: {_describe(self)}")
            os._exit(6)

        setattr(dialog_class, name, modal)


def _open_every_screen(app: Any, window: Any) -> None:
    """Select each view in the navigation, let it load (its background tasks too), then paint it.

    Prints ``screens=key:ms:MB,…``: each view's time to open and the peak memory after it; a key
    ends in ``(busy)`` when background work was still running after 20 s (it may be the sync's)."""
    opened = []
    tasks = window.state.tasks
    for row in range(window.nav.count()):
        start = time.monotonic()
        window.nav.setCurrentRow(row)
        deadline = start + 20
        while True:
            app.processEvents()
            if tasks.active == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.002)
        app.processEvents()
        window.grab()  # paint the whole window with this view showing, as the screen would
        key = window.current_key() + ("(busy)" if tasks.active else "")
        opened.append(f"{key}:{(time.monotonic() - start) * 1000:.0f}:{_vmhwm_mb():.0f}")
    _emit(screens=",".join(opened), loaded_after_screens=",".join(m for m in HEAVY if m in sys.modules))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
