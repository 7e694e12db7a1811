"""Wiring the sync into the app: a new station's first sync (before sign-in), starting the
controller, and attaching it to the window (status bar, menu, closing)."""

from __future__ import annotations

import gc
from typing import TypeVar

import shiboken6
from PySide6.QtCore import QEvent, QEventLoop, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QProgressBar, QProgressDialog, QWidget

from frontcounter.config import Settings
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.sync import push as sync_push
from frontcounter.ui.shell.sync_controller import SyncController, SyncStatus
from frontcounter.ui.tasks import TaskRunner

W = TypeVar("W", bound=QWidget)


def freeze_startup_objects() -> None:
    """Move everything start-up created out of the cyclic garbage collector's sight.

    A sync allocates many objects; each full collection then walks every object in the process
    (Qt wrappers, SQLAlchemy, the modules) with the GIL held, pausing the UI thread for 100 ms or
    more. Frozen start-up objects are never walked again, so full collections stay a few ms. This
    is the standard remedy (``gc.freeze``); the app calls it once start-up is done.
    """
    gc.collect()
    gc.freeze()


class _CloseWatcher(QObject):
    """Stops a running sync when its window closes, so closing never waits on a long download."""

    def __init__(self, window: QWidget, controller: SyncController) -> None:
        super().__init__(window)
        self._controller = controller
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Close:
            self._controller.cancel()
        return False


def attach_to_window(window: W, controller: SyncController) -> W:
    """Show the controller's state in the window's status bar and add Sync now / Connection….

    Returns the window, so a rebuilt window (another user signs in) is attached in one line.
    """
    from frontcounter.ui.shell.main_window import MainWindow

    assert isinstance(window, MainWindow)
    state = window.state
    bar = QProgressBar()
    bar.setObjectName("syncProgress")
    bar.setAccessibleName(window.tr("First sync progress"))
    bar.setMaximumWidth(220)
    bar.setVisible(False)
    window.statusBar().addPermanentWidget(bar)

    def show(status: SyncStatus) -> None:
        if not shiboken6.isValid(window) or not shiboken6.isValid(bar):
            # The window was replaced (another user with another role signed in, ui/shell/lock.py).
            controller.state_changed.disconnect(show)
            return
        window.sync_label.setText(controller.label_text(status))
        window.sync_label.setToolTip(status.message or window.tr("Sync with the centre (Ctrl+Shift+S syncs now)"))
        if status.progress is not None and status.progress[1]:
            bar.setRange(0, status.progress[1])
            bar.setValue(status.progress[0])
            bar.setVisible(True)
        else:
            bar.setVisible(False)

    controller.state_changed.connect(show)
    controller.data_pulled.connect(state.data_changed.emit)
    controller.attention_needed.connect(lambda text: state.message.emit(text, "warning"))
    show(controller.status)

    sync_action = QAction(window.tr("S&ync now"), window)
    sync_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
    sync_action.setToolTip(window.tr("Send waiting changes to the centre and fetch new ones now"))
    sync_action.triggered.connect(controller.sync_now)
    connection_action = QAction(window.tr("&Connection to the centre…"), window)

    def open_connection() -> None:
        from frontcounter.ui.dialogs.connection_settings import ConnectionSettingsDialog

        dialog = ConnectionSettingsDialog(state.settings, state.paths, state.tasks, window)
        dialog.saved.connect(lambda settings: (setattr(state, "settings", settings), controller.sync_now()))
        dialog.exec()

    connection_action.triggered.connect(open_connection)
    menu = window.file_menu
    first = menu.actions()[0] if menu.actions() else None
    menu.insertAction(first, sync_action)
    menu.insertAction(first, connection_action)
    window.addAction(sync_action)
    _CloseWatcher(window, controller)
    return window


def start_sync(state: object, *, delay_ms: int = 0) -> SyncController:
    """Create and start the background sync for the signed-in app (stopped when the app quits).

    ``delay_ms`` lets start-up paint the window first: the first sync's query compilation and
    connection cost some 75 ms that the clerk should not wait for.
    """
    from PySide6.QtCore import QCoreApplication, QTimer

    from frontcounter.ui.app_state import AppState

    assert isinstance(state, AppState)
    controller = SyncController(state.ctx, lambda: state.settings, state.tasks, parent=state)
    freeze_startup_objects()
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(controller.stop)
    if delay_ms > 0:
        QTimer.singleShot(delay_ms, controller.start)
    else:
        controller.start()
    return controller


def first_sync_if_needed(runtime: object, parent: QWidget | None = None) -> bool:
    """Give a brand-new station cache its data (users, rooms, appointments) before sign-in.

    Shows the connection settings when no centre is configured, then the first sync with a
    progress dialog. Returns False when the user gives up (the app then quits: nobody could
    sign in to an empty cache).
    """
    from frontcounter.runtime import StationRuntime

    assert isinstance(runtime, StationRuntime)
    if not sync_push.local_status(runtime.engine).never_synced:
        return True
    # Only a new station needs the dialog (and keyring behind it): keep it off every start-up.
    from frontcounter.ui.dialogs.connection_settings import ConnectionSettingsDialog
    freeze_startup_objects()
    tasks = TaskRunner(max_threads=1)
    settings = runtime.settings
    try:
        while True:
            if not settings.central_url:
                dialog = ConnectionSettingsDialog(settings, runtime.paths, tasks, parent)
                dialog.setWindowTitle(dialog.tr("New station: connect to the centre"))
                saved: list[Settings] = []
                dialog.saved.connect(saved.append)
                if dialog.exec() != ConnectionSettingsDialog.DialogCode.Accepted or not saved:
                    return False
                settings = runtime.settings = saved[0]
            error = _run_first_sync(runtime.ctx, settings, tasks, parent)
            if error is None:
                return True
            box = QMessageBox(parent)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle(box.tr("First sync"))
            box.setText(error)
            retry = box.addButton(box.tr("&Retry"), QMessageBox.ButtonRole.AcceptRole)
            change = box.addButton(box.tr("&Connection settings…"), QMessageBox.ButtonRole.ActionRole)
            box.addButton(box.tr("&Quit"), QMessageBox.ButtonRole.RejectRole)
            box.exec()
            if box.clickedButton() is change:
                dialog = ConnectionSettingsDialog(settings, runtime.paths, tasks, parent)
                saved = []
                dialog.saved.connect(saved.append)
                if dialog.exec() == ConnectionSettingsDialog.DialogCode.Accepted and saved:
                    settings = runtime.settings = saved[0]
            elif box.clickedButton() is not retry:
                return False
    finally:
        tasks.wait(10000)


def _run_first_sync(ctx: ServiceContext, settings: Settings, tasks: TaskRunner, parent: QWidget | None) -> str | None:
    """One first sync under a progress dialog; the error's message, or None when it worked."""
    controller = SyncController(ctx, lambda: settings, tasks, debounce_ms=10**6)
    dialog = QProgressDialog(parent)
    dialog.setWindowTitle(dialog.tr("First sync"))
    dialog.setLabelText(dialog.tr("Downloading this station's data from the centre…"))
    dialog.setCancelButtonText(dialog.tr("&Cancel"))
    dialog.setMinimumDuration(0)
    dialog.setRange(0, 0)
    loop = QEventLoop()
    outcome: list[str | None] = []

    def on_progress(done: int, total: int) -> None:
        if total:
            dialog.setRange(0, total)
            dialog.setValue(min(done, total))
            dialog.setLabelText(dialog.tr("Downloading this station's data… {0} of {1} records").format(
                f"{done:,}", f"{total:,}"))

    controller.progressed.connect(on_progress)
    controller.sync_finished.connect(lambda _r: (outcome.append(None), loop.quit()))
    controller.sync_failed.connect(lambda message: (outcome.append(message), loop.quit()))
    dialog.canceled.connect(controller.cancel)
    dialog.show()
    controller.sync_now()
    loop.exec()
    controller.stop()
    controller.dispose()
    dialog.close()
    return outcome[0] if outcome else None
