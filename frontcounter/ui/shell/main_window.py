"""The main window as a counter clerk meets it (DESIGN.md section 6).

One input box across the top (focused at start: a USB scanner types a reference then Enter), the
navigation on the left showing only what the role may use, the selected view in the middle (each
view carries its own details pane), and sync state and the screen mask in the status bar.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.core.clock import local
from frontcounter.ui.app_state import AppState
from frontcounter.ui.kit.mnemonics import assign_mnemonics, chosen_letter
from frontcounter.ui.kit.screen_fit import WindowState
from frontcounter.ui.shell.navigation import ViewSpec, views_for

logger = logging.getLogger(__name__)

#: The most the window asks for: a counter screen is given to the app, a very large one is not.
PREFERRED_SIZE = QSize(1920, 1200)


@runtime_checkable
class SelectionMover(Protocol):
    """A view whose list ↓/↑ in the search box moves through, while the text stays editable."""

    def move_selection(self, step: int) -> None: ...


class SearchBox(QLineEdit):
    """The one input: live filter as you type, Enter to act (a scanner ends with Enter too).

    Escape clears it, so an interrupted clerk gets back to the full list with one key; ↓/↑ and
    Page Down/Up are announced (``navigated``) for the current view's list to move through.
    """

    submitted = Signal(str)
    #: ↓/↑ (±1) or Page Down/Up (±8) pressed without modifiers: rows to move the list's selection.
    navigated = Signal(int)
    _STEPS = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 8, Qt.Key.Key_PageUp: -8}
    _PLAIN = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
    #: A scanner types a whole reference with a few ms between keys; a person needs 100 ms or more.
    SCANNER_GAP_S = 0.04
    #: A pause this long before a key starts a new burst of typing.
    PAUSE_S = 0.3
    #: The fewest characters a scanned reference has ("HH-4KQ7").
    SCAN_MIN_CHARS = 5

    def __init__(self, parent: QWidget | None = None, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self._monotonic = monotonic
        self._last_key = float("-inf")
        #: Where the current burst of typing began, and whether every key of it came at scanner speed.
        self._burst_start = 0
        self._burst_fast = False
        self.setPlaceholderText(self.tr("Scan or type a reference, name, phone, crime ref…"))
        self.setClearButtonEnabled(True)
        self.setAccessibleName(self.tr("Search or scan"))
        self.setToolTip(self.tr("Scan the slip's QR code or type a reference, name, phone number or crime "
                                "reference. Enter checks in the selected visitor. (Ctrl+F)"))
        self.returnPressed.connect(self._on_return_pressed)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        step = self._STEPS.get(event.key())
        if step is not None and event.modifiers() in self._PLAIN:
            self.navigated.emit(step)
            return
        if event.text() and event.text().isprintable():
            now = self._monotonic()
            if now - self._last_key >= self.PAUSE_S:  # a new burst: a person typing, or a scan
                self._burst_start = self.cursorPosition() if not self.hasSelectedText() else self.selectionStart()
                self._burst_fast = True
            elif now - self._last_key > self.SCANNER_GAP_S:
                self._burst_fast = False
            self._last_key = now
        super().keyPressEvent(event)

    def scanned_text(self) -> str | None:
        """What the last burst typed, if it came at scanner speed after other text: the scan alone."""
        text = self.text()
        burst = text[self._burst_start:]
        if (self._burst_fast and self._burst_start > 0 and len(burst.strip()) >= self.SCAN_MIN_CHARS
                and self._monotonic() - self._last_key < self.PAUSE_S):
            return burst.strip()
        return None

    def _on_return_pressed(self) -> None:
        scan = self.scanned_text()
        if scan is not None:
            # A scan replaces what the box held (a half-typed name): the scan is what the clerk meant.
            self.setText(scan)
        self._burst_fast = False
        self.submitted.emit(self.text())


class MainWindow(QMainWindow):
    view_changed = Signal(str)

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self._specs: list[ViewSpec] = views_for(state)
        self._built: dict[str, QWidget] = {}
        self._counts: dict[str, int] = {}
        self.setObjectName("MainWindow")
        self._update_title()
        self.setMinimumSize(QSize(960, 600))
        # No fixed size: where the clerk left it, if that fits this screen, else the screen's
        # available area up to a comfortable size (a 1280x720 laptop loses nothing off the bottom).
        self._window_state = WindowState(state.paths.window_state_file)
        self._window_state.restore(self, PREFERRED_SIZE)

        self.search = SearchBox()
        self.search.setObjectName("searchBox")
        self.date_label = QLabel()
        self.date_label.setObjectName("dateLabel")
        self.user_button = QToolButton()
        self.user_button.setObjectName("userButton")
        self.user_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.user_button.setAccessibleName(self.tr("Signed-in user"))

        header = QFrame()
        header.setObjectName("header")
        header_layout = QHBoxLayout(header)
        header_layout.setContentsMargins(12, 8, 12, 8)
        header_layout.addWidget(self.search, 1)
        header_layout.addWidget(self.date_label)
        header_layout.addWidget(self.user_button)

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName(self.tr("Views"))
        self.nav.setMaximumWidth(230)
        self.nav.setMinimumWidth(170)  # a wide view (reports) must not squeeze the navigation to icons
        self.stack = QStackedWidget()
        self.stack.setObjectName("viewStack")
        for spec in self._specs:
            item = QListWidgetItem(self.tr(spec.title))
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setToolTip(f"{self.tr(spec.title)} ({spec.shortcut})")
            self.nav.addItem(item)
            self._set_icon(item, spec.icon)

        splitter = QSplitter()
        splitter.addWidget(self.nav)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)

        self.sync_label = QLabel(self.tr("● Centre: working on it directly, no local copy")
                                 if state.ctx.mode == "central" else self.tr("● Local only"))
        self.sync_label.setObjectName("syncLabel")
        self.sync_label.setAccessibleName(self.tr("Sync status"))
        self.mask_label = QLabel()
        self.mask_label.setObjectName("maskLabel")
        # Permanent widgets: a passing message (left) never hides the sync state or the mask.
        self.statusBar().addPermanentWidget(self.sync_label)
        self.statusBar().addPermanentWidget(self.mask_label)

        self._build_menus()
        self._update_user()
        self._update_mask(state.masked)
        self._tick_date()

        self.nav.currentRowChanged.connect(self._on_nav_current_row_changed)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.submitted.connect(self._on_search_submitted)
        self.search.navigated.connect(self._on_search_navigated)
        state.mask_changed.connect(self._update_mask)
        # A bound slot, not a lambda: Qt drops it when this window is replaced (switch user);
        # a lambda outlived the window and raised on the next switch.
        state.actor_changed.connect(self._on_state_actor_changed)
        state.message.connect(self._on_state_message)
        # Tab goes from the input box to the navigation, then the user menu, then the view.
        QWidget.setTabOrder(self.search, self.nav)
        QWidget.setTabOrder(self.nav, self.user_button)
        if self._specs:
            self.nav.setCurrentRow(0)
        # Needs attention (rejections, appointments at risk) counts in the navigation from the
        # start, not only once it has been opened.
        if any(s.key == "attention" for s in self._specs):
            self.view("attention")
        self.search.setFocus()

    # -- building -----------------------------------------------------------------------------

    def _set_icon(self, item: QListWidgetItem, name: str) -> None:
        try:
            from frontcounter.ui.theme import icon
        except ImportError:  # resources not compiled: text-only navigation still works
            return
        item.setIcon(icon(name))

    def _build_menus(self) -> None:
        menu = self.menuBar()
        self.file_menu = menu.addMenu(self.tr("&File"))
        settings_action = QAction(self.tr("&Settings…"), self)
        settings_action.setShortcut(QKeySequence("Ctrl+,"))
        settings_action.triggered.connect(self.open_settings)
        self.file_menu.addAction(settings_action)
        self.file_menu.addSeparator()
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.file_menu.addAction(quit_action)

        self.view_menu = menu.addMenu(self.tr("&View"))
        find = QAction(self.tr("&Find or scan"), self)
        find.setShortcut(QKeySequence("Ctrl+F"))
        find.triggered.connect(self.focus_search)
        self.view_menu.addAction(find)
        self.addAction(find)
        for row, spec in enumerate(self._specs):
            action = QAction(self.tr(spec.title), self)
            action.setShortcut(QKeySequence(spec.shortcut))
            action.triggered.connect(lambda _=False, r=row: self.nav.setCurrentRow(r))
            self.view_menu.addAction(action)
        self.view_menu.addSeparator()
        self.mask_action = QAction(self.tr("Screen &mask"), self)
        self.mask_action.setCheckable(True)
        self.mask_action.setShortcut(QKeySequence("F9"))
        self.mask_action.setToolTip(self.tr("Show initials instead of names, for screens the public can see (F9)"))
        self.mask_action.toggled.connect(self.state.set_masked)
        self.view_menu.addAction(self.mask_action)
        self.addAction(self.mask_action)

        self.actions_menu = menu.addMenu(self.tr("&Actions"))
        self.session_menu = menu.addMenu(self.tr("&Session"))
        self.help_menu = menu.addMenu(self.tr("&Help"))
        about = QAction(self.tr("&About FrontCounter"), self)
        about.triggered.connect(self.open_about)
        self.help_menu.addAction(about)

    # -- views --------------------------------------------------------------------------------

    def view(self, key: str) -> QWidget:
        """The view for ``key``, built on first use (keeps start-up to the first screen's cost)."""
        if key not in self._built:
            spec = next(s for s in self._specs if s.key == key)
            widget = spec.build(self.state)
            # One Alt+letter, one thing: the view's letters never repeat nor take a menu's.
            assign_mnemonics(widget, self._menu_letters())
            self._built[key] = widget
            self.stack.addWidget(widget)
            count_changed = getattr(widget, "count_changed", None)
            if count_changed is not None:
                count_changed.connect(lambda n, k=key: self._on_view_count_changed(k, n))
            for action in getattr(widget, "menu_actions", lambda: [])():
                self.actions_menu.addAction(action)
        return self._built[key]

    def _menu_letters(self) -> set[str]:
        return {letter for a in self.menuBar().actions() if (letter := chosen_letter(a.text()))}

    def show_view(self, key: str) -> QWidget:
        row = next(i for i, s in enumerate(self._specs) if s.key == key)
        self.nav.setCurrentRow(row)
        return self._built[key]

    def current_key(self) -> str | None:
        item = self.nav.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _on_nav_current_row_changed(self, row: int) -> None:
        if row < 0:
            return
        spec = self._specs[row]
        widget = self.view(spec.key)
        self.stack.setCurrentWidget(widget)
        self.view_changed.emit(spec.key)

    def _on_view_count_changed(self, key: str, count: int) -> None:
        self._counts[key] = count
        row = next(i for i, s in enumerate(self._specs) if s.key == key)
        spec = self._specs[row]
        self.nav.item(row).setText(f"{self.tr(spec.title)}  ({count})" if count else self.tr(spec.title))

    # -- the search box -----------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _searchable(self) -> QWidget | None:
        """The view that takes the search box: the current one if it can, else Today."""
        key = self.current_key()
        widget = self._built.get(key) if key else None
        if widget is not None and hasattr(widget, "apply_search"):
            return widget
        if any(s.key == "today" for s in self._specs):
            return self.view("today")
        return None

    def _on_search_text_changed(self, text: str) -> None:
        target = self._searchable()
        if target is not None:
            target.apply_search(text)  # type: ignore[attr-defined]

    def _on_search_navigated(self, step: int) -> None:
        widget = self.stack.currentWidget()
        if isinstance(widget, SelectionMover):
            widget.move_selection(step)

    def _on_search_submitted(self, text: str) -> None:
        target = self._searchable()
        if target is None:
            return
        if target is not self.stack.currentWidget():
            self.show_view("today")
        if target.submit_search(text):  # type: ignore[attr-defined]
            self.search.clear()

    # -- status -------------------------------------------------------------------------------

    def _on_state_actor_changed(self, _actor: object) -> None:
        self._update_user()
        self._update_title()

    def _update_title(self) -> None:
        if self.state.ctx.mode == "central":  # the FCR desk: the centre, every station
            self.setWindowTitle(f"FrontCounter — FCR desk (the centre) — {self.state.ctx.policy.protective_marking}")
            return
        station = self.state.actor.station_code or self.state.ctx.station_code or ""
        name = station
        try:
            from frontcounter.services.core.appointments import station_by_code

            with self.state.ctx.read() as session:
                name = station_by_code(session, station).name
        except Exception:  # the title must never stop the window from opening
            logger.debug("station name lookup failed", exc_info=True)
        marking = self.state.ctx.policy.protective_marking
        self.setWindowTitle(f"FrontCounter — {name} — {marking}")

    def _update_user(self) -> None:
        actor = self.state.actor
        self.user_button.setText(f"{actor.username} ▾")
        self.user_button.setToolTip(self.tr("Signed in as {0} ({1})").format(actor.display_name, actor.role.value))

    def _update_mask(self, masked: bool) -> None:
        if masked:
            self.statusBar().clearMessage()  # a passing message may name someone
        self.mask_action.setChecked(masked)
        self.mask_label.setText(self.tr("Screen mask: on (F9)") if masked else self.tr("Screen mask: off (F9)"))

    def _tick_date(self) -> None:
        self.date_label.setText(f"{local(self.state.ctx.clock.now()):%a %d %b}")

    def _on_state_message(self, text: str, kind: str) -> None:
        self.statusBar().showMessage(text, 8000 if kind == "info" else 15000)

    def open_settings(self) -> None:
        from frontcounter.services.core.permissions import Action
        from frontcounter.ui.dialogs.settings import SettingsDialog

        dialog = SettingsDialog(self.state.settings, self.state.paths, self,
                                may_set_up=self.state.can(Action.CONFIGURE_STATION))
        dialog.saved.connect(self._on_settings_saved)
        dialog.exec()

    def _on_settings_saved(self, settings: object) -> None:
        from frontcounter.config import Settings

        assert isinstance(settings, Settings)
        station_changed = settings.station_code != self.state.settings.station_code
        self.state.settings = settings
        self.state.ctx.policy = settings.policy()
        try:
            from PySide6.QtWidgets import QApplication

            from frontcounter.ui.theme import apply_theme

            app = QApplication.instance()
            if isinstance(app, QApplication):
                apply_theme(app, settings.theme)
        except ImportError:
            pass
        self._update_title()
        self.state.data_changed.emit()
        if station_changed:
            self.state.message.emit(self.tr("The new station takes effect when the app restarts."), "warning")

    def open_about(self) -> None:
        from frontcounter.ui.dialogs.about import AboutDialog

        AboutDialog(self.state.ctx.policy.protective_marking, self).exec()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self._window_state.save(self)
        self.state.tasks.wait(5000)
        super().closeEvent(event)
