"""The session lock: counters stand in public buildings, so an unattended screen locks itself.

``SessionLock`` watches the application's input (an event filter on the QApplication). After
``Settings.idle_lock_minutes`` without a key press, click or touch, or at once on Ctrl+L, it covers
every open window of the app with an opaque cover and hides the main window's central widget, so
nothing of what was on screen shows. Nothing is closed or rebuilt: unlocking with the signed-in
user's password takes the covers away and gives the focus back, so the clerk finds the same view,
selection and half-typed search (and an open dialog keeps what was typed into it).

While locked, every input to a widget outside the unlock panel and every shortcut is swallowed,
so no key reaches the hidden screens. The panel sits on the window that can take input: the open
modal dialog if there is one, else the main window.

"Switch user" signs another person in at the same counter without restarting: the previous
user's dialogs are closed, the new actor goes to ``AppState.set_actor`` (views reload), and when
the new role's navigation differs the main window is rebuilt through the ``rebuild`` callback.

Password checks are scrypt (deliberately slow) and touch the database, so they run on the task
runner; failures count towards the lockout like any sign-in and are audited by ``auth.sign_in``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLineEdit,
    QMainWindow,
    QMenu,
    QWidget,
)

from frontcounter.services.core.actor import Actor
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.security.auth import sign_in
from frontcounter.ui.app_state import AppState
from frontcounter.ui.shell.lock_screen import LockCover, UnlockPanel

logger = logging.getLogger(__name__)

#: Events that mean a person is at the counter.
ACTIVITY_EVENTS = frozenset({
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
    QEvent.Type.TabletPress,
})
#: Events swallowed while locked unless they are meant for the unlock panel.
BLOCKED_EVENTS = frozenset({
    *ACTIVITY_EVENTS,
    QEvent.Type.KeyRelease,
    QEvent.Type.MouseButtonRelease,
    QEvent.Type.ShortcutOverride,
    QEvent.Type.Shortcut,
    QEvent.Type.ContextMenu,
    QEvent.Type.TouchUpdate,
    QEvent.Type.TouchEnd,
})


#: Top-level windows that get a cover (menus, tooltips and the like close by themselves).
COVERED_WINDOW_TYPES = frozenset({Qt.WindowType.Window, Qt.WindowType.Dialog, Qt.WindowType.Sheet,
                                  Qt.WindowType.Tool, Qt.WindowType.Drawer})


class SessionLock(QObject):
    """Idle lock, lock now (Ctrl+L), unlock with the password, and switch user."""

    locked = Signal()
    unlocked = Signal()
    #: Another user signed in (the new Actor).
    user_switched = Signal(object)
    #: A password was refused (the message shown).
    unlock_failed = Signal(str)

    def __init__(
        self,
        window: QMainWindow,
        state: AppState,
        *,
        idle_seconds: float | None = None,
        rebuild: Callable[[], QMainWindow] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        check_interval_ms: int | None = None,
    ) -> None:
        super().__init__(state)
        self.state = state
        self.window = window
        self._rebuild = rebuild
        self._monotonic = monotonic
        minutes = state.settings.idle_lock_minutes
        #: 0 (or less) switches the idle lock off; Ctrl+L still locks.
        self.idle_seconds = float(idle_seconds if idle_seconds is not None else minutes * 60)
        self._last_input = monotonic()
        self._covers: list[LockCover] = []
        self._panel: UnlockPanel | None = None
        self._restore_focus: QWidget | None = None
        self._central_was_visible = True
        self._resized: list[tuple[QWidget, int, int]] = []

        self.lock_action = QAction(self.tr("&Lock now"), self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.setToolTip(self.tr("Cover the screen until you enter your password (Ctrl+L)"))
        self.lock_action.triggered.connect(self.lock)
        self.switch_action = QAction(self.tr("S&witch user…"), self)
        self.switch_action.setToolTip(self.tr("Lock, and let another user sign in at this counter"))
        self.switch_action.triggered.connect(self._on_switch_action_triggered)
        self._set_icons()

        self._timer = QTimer(self)
        interval = check_interval_ms or int(max(0.05, min(5.0, self.idle_seconds / 4 or 5.0)) * 1000)
        self._timer.setInterval(interval)
        self._timer.timeout.connect(self._on_timer_timeout)
        if self.idle_seconds > 0:
            self._timer.start()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.attach(window)

    # -- wiring -------------------------------------------------------------------------------

    def _set_icons(self) -> None:
        try:
            from frontcounter.ui.theme import icon
        except ImportError:
            return
        self.lock_action.setIcon(icon("lock"))
        self.switch_action.setIcon(icon("user-switch"))

    def attach(self, window: QMainWindow) -> None:
        """Serve ``window`` (a rebuilt main window): its Session menu and its shortcuts."""
        self.window = window
        window.destroyed.connect(self._on_window_destroyed)
        window.addAction(self.lock_action)
        window.addAction(self.switch_action)
        menu: QMenu | None = getattr(window, "session_menu", None)
        if menu is not None:
            menu.addAction(self.lock_action)
            menu.addAction(self.switch_action)

    def _on_window_destroyed(self, obj: QObject | None = None) -> None:
        # Only the window served now matters: a window replaced by a rebuild dies later.
        try:
            current = self.window
            alive = shiboken6.isValid(current)
        except RuntimeError:
            alive = False
        if not alive:
            self.dispose()

    def dispose(self) -> None:
        """Stop watching input: the window is gone (or the app is shutting down)."""
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._panel = None
        self._covers.clear()

    @property
    def is_locked(self) -> bool:
        return self._panel is not None

    @property
    def panel(self) -> UnlockPanel | None:
        return self._panel

    def idle_for(self) -> float:
        return self._monotonic() - self._last_input

    # -- idle ---------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if kind in ACTIVITY_EVENTS:
            self._last_input = self._monotonic()
        if self._panel is None or kind not in BLOCKED_EVENTS:
            return False
        if not shiboken6.isValid(self._panel):  # its window went away while locked
            self.dispose()
            return False
        # Input reaches the native window first and is passed on to a widget: let the window
        # have it, and decide at the widget. Shortcuts go to QActions and QShortcuts: swallow.
        if isinstance(watched, QWidget):
            return not (watched is self._panel or self._panel.isAncestorOf(watched))
        return kind in (QEvent.Type.Shortcut, QEvent.Type.ShortcutOverride) and not isinstance(
            watched, QApplication)

    def _on_timer_timeout(self) -> None:
        if not self.is_locked and self.idle_seconds > 0 and self.idle_for() >= self.idle_seconds:
            logger.info("session locked after %.0f s idle", self.idle_for())
            self.lock()

    # -- lock ---------------------------------------------------------------------------------

    def lock(self) -> None:
        if self.is_locked:
            return
        app = QApplication.instance()
        focus = QApplication.focusWidget()
        self._restore_focus = focus
        modal = QApplication.activeModalWidget()
        host: QWidget = modal if modal is not None and modal.isVisible() else self.window
        panel = UnlockPanel(self.state)
        panel.unlock_requested.connect(self._on_panel_unlock_requested)
        panel.switch_requested.connect(self._on_panel_switch_requested)
        self._panel = panel
        central = self.window.centralWidget()
        self._central_was_visible = central is not None and central.isVisible()
        if central is not None:
            central.hide()
        tops = [w for w in (app.topLevelWidgets() if isinstance(app, QApplication) else [])
                if w.isVisible() and w.windowType() in COVERED_WINDOW_TYPES]
        if self.window not in tops:
            tops.append(self.window)
        for top in tops:
            self._covers.append(LockCover(top, panel if top is host else None))
        hint = panel.sizeHint()
        if host.width() < hint.width() + 40 or host.height() < hint.height() + 40:
            self._resized.append((host, host.width(), host.height()))
            host.resize(max(host.width(), hint.width() + 40), max(host.height(), hint.height() + 40))
        self.lock_action.setEnabled(False)
        panel.password.setFocus()
        self.locked.emit()

    def _on_switch_action_triggered(self) -> None:
        self.lock()
        if self._panel is not None:
            self._panel.show_switch(True)

    def _on_panel_unlock_requested(self, password: str) -> None:
        panel = self._panel
        if panel is None:
            return
        if not password:
            panel.show_error(self.tr("Enter your password."))
            return
        panel.set_busy(True)
        ctx, username = self.state.ctx, self.state.actor.username
        self.state.tasks.run(lambda _p: sign_in(ctx, username, password),
                             on_done=self._on_unlock_done, on_error=self._on_sign_in_failed)

    def _on_unlock_done(self, actor: Actor) -> None:
        if actor.user_id != self.state.actor.user_id:  # cannot happen; never unlock for someone else
            self._on_sign_in_failed(FrontCounterError(self.tr("That is not the signed-in user.")))
            return
        self.unlock()

    def _on_panel_switch_requested(self, username: str, password: str) -> None:
        panel = self._panel
        if panel is None:
            return
        if not username.strip() or not password:
            panel.show_error(self.tr("Enter a user name and password."))
            return
        panel.set_busy(True)
        ctx = self.state.ctx
        self.state.tasks.run(lambda _p: sign_in(ctx, username, password),
                             on_done=self._on_switch_done, on_error=self._on_sign_in_failed)

    def _on_switch_done(self, actor: Actor) -> None:
        previous = self.state.actor
        same_views = self._view_keys(previous) == self._view_keys(actor)
        for cover in self._covers:  # the previous user's dialogs are theirs: close them
            host = cover.parentWidget()
            if host is not None and host is not self.window and isinstance(host, QDialog):
                host.reject()
        self._restore_focus = None
        search = getattr(self.window, "search", None)
        if isinstance(search, QLineEdit):
            search.clear()  # the previous user's half-typed search is not the next user's
        self.state.set_actor(actor)
        logger.info("user switched at this workstation")
        if same_views or self._rebuild is None:
            self.unlock()
        else:  # another role, another navigation: a fresh window for them
            old = self.window
            self._unlock_covers()
            new = self._rebuild()
            self.attach(new)
            new.show()
            old.close()
            old.deleteLater()
            self.unlocked.emit()
        self.user_switched.emit(actor)

    def _view_keys(self, actor: Actor) -> list[str]:
        from frontcounter.services.core.permissions import allowed
        from frontcounter.ui.shell.navigation import VIEWS

        return [v.key for v in VIEWS if allowed(actor, v.permission)]

    def _on_sign_in_failed(self, exc: BaseException) -> None:
        panel = self._panel
        if panel is None:
            return
        panel.set_busy(False)
        if isinstance(exc, FrontCounterError):
            message = exc.message
        else:
            logger.error("unlock failed", exc_info=exc)
            message = self.tr("Could not check the password; the details are in the log.")
        panel.show_error(message)
        panel.password.clear()
        panel.switch_password.clear()
        (panel.switch_password if panel.pages.currentIndex() == 1 else panel.password).setFocus()
        self.unlock_failed.emit(message)

    # -- unlock -------------------------------------------------------------------------------

    def _unlock_covers(self) -> None:
        for cover in self._covers:
            cover.remove()
        self._covers.clear()
        for host, width, height in self._resized:
            host.resize(width, height)
        self._resized.clear()
        if self._panel is not None:
            self._panel.deleteLater()
        self._panel = None
        self.lock_action.setEnabled(True)
        self._last_input = self._monotonic()

    def unlock(self) -> None:
        """Take the covers away and give back exactly the screen that was locked."""
        if not self.is_locked:
            return
        self._unlock_covers()
        central = self.window.centralWidget()
        if central is not None and self._central_was_visible:
            central.show()
        focus = self._restore_focus
        self._restore_focus = None
        if focus is not None:
            with contextlib.suppress(RuntimeError):  # the widget went away while locked
                focus.setFocus()
        self.unlocked.emit()


def install_session_lock(
    window: QMainWindow, state: AppState, *, rebuild: Callable[[], QMainWindow] | None = None
) -> SessionLock:
    """Give ``window`` the idle lock, Lock now (Ctrl+L) and Switch user (the start-up calls this)."""
    return SessionLock(window, state, rebuild=rebuild)
