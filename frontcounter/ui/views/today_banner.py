"""Today's banner above the list: a message with what to do, and up to two buttons that do it.

Each message carries its cause and goes when that ends or at the next action (DESIGN: the screen
says what is true now); a confirmation's first button is its default, so Enter confirms it; the
names in it are kept apart so the screen mask can make them initials after the fact.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMainWindow, QPushButton, QSizePolicy, QWidget

from frontcounter.ui.app_state import mask_name
from frontcounter.ui.kit.mnemonics import MENU_LETTERS, assign_mnemonics, chosen_letter


def _set_property(widget: QWidget, name: str, value: object) -> None:
    """A stylesheet hook, re-polished so the new value shows (theme.set_property without the import)."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class Cause(enum.StrEnum):
    """What a banner is about, so it goes when that ends (DESIGN: a banner says what is true now)."""

    ACTION = "action"  # the outcome of the last action: goes at the next action
    SELECTION = "selection"  # about the selected visitor (a confirmation): goes when it changes
    SEARCH = "search"  # about what was typed: goes when the search changes
    LOAD = "load"  # the list could not be loaded: goes when a load succeeds
    NOTICE = "notice"  # news for the user (a visitor arrived): goes at the next action


class Banner(QFrame):
    """A one-line message with what to do, and up to two buttons that do it (keyboard: Alt+letter).

    A confirmation's first button is its default: Enter presses it (in the banner, the list or an
    empty search box), Escape dismisses. Names in the text are given as ``personal`` so the screen
    mask can turn them into initials in a banner raised before F9 too.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("todayBanner")
        self.glyph = QLabel()
        self.text = QLabel()
        self.text.setObjectName("bannerText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.buttons: list[QPushButton] = []
        self.close_button = QPushButton(self.tr("Dismiss"))
        self.close_button.setToolTip(self.tr("Hide this message (Escape)"))
        self.close_button.setAccessibleName(self.tr("Dismiss message"))
        self.close_button.clicked.connect(self.dismiss)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.addWidget(self.glyph, 0, Qt.AlignmentFlag.AlignTop)
        self._layout.addWidget(self.text, 1)
        self._layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setAccessibleName(self.tr("Message"))
        self.kind = ""
        self.cause = Cause.ACTION
        self._raw = ""
        self._personal: tuple[str, ...] = ()
        self._masked = False
        #: The confirmation Enter gives (None: this message asks nothing).
        self.default_action: Callable[[], None] | None = None
        self.hide()

    def show_message(self, kind: str, text: str,
                     actions: list[tuple[str, Callable[[], None]]] | None = None, *,
                     cause: Cause = Cause.ACTION, personal: tuple[str | None, ...] = (),
                     confirm: bool = False) -> None:
        """``kind`` is info, success, warning or error; the glyph says which without colour.

        ``confirm``: the first action is the default (Enter), as in a confirmation dialog.
        """
        for button in self.buttons:
            self._layout.removeWidget(button)
            button.setParent(None)  # gone now: its Alt+letter must not outlive it until deleteLater
            button.deleteLater()
        self.buttons = []
        self.kind = kind
        self.cause = cause
        self._raw = text
        self._personal = tuple(p for p in personal if p)
        glyph = {"success": "✓", "info": "ℹ", "warning": "⚠", "error": "✗"}.get(kind, "")
        self.glyph.setText(glyph)
        self._render()
        _set_property(self, "banner", "info" if kind == "success" else kind)
        self.default_action = None
        for number, (label, callback) in enumerate(actions or []):
            button = QPushButton(label)
            default = confirm and number == 0
            button.setAutoDefault(default)  # Enter on the focused default presses it
            button.setDefault(default)
            if default:
                self.default_action = button.click
            button.clicked.connect(callback)
            self._layout.insertWidget(self._layout.count() - 1, button, 0, Qt.AlignmentFlag.AlignTop)
            self.buttons.append(button)
        if self.buttons:
            host = self.window()
            assign_mnemonics(self.parentWidget() or self, MENU_LETTERS | {
                letter for a in (host.menuBar().actions() if isinstance(host, QMainWindow) else [])
                if (letter := chosen_letter(a.text()))})
        self.show()

    def set_masked(self, masked: bool) -> None:
        if masked != self._masked:
            self._masked = masked
            self._render()

    def _render(self) -> None:
        text = self._raw
        if self._masked:
            for name in sorted(self._personal, key=len, reverse=True):
                text = text.replace(name, mask_name(name, True))
        self.text.setText(text)
        self.setAccessibleDescription(text)

    def dismiss(self) -> None:
        self.default_action = None
        self.hide()

    def clear_for(self, *causes: Cause) -> None:
        """Hide the message if it is about one of ``causes`` (what it said is no longer true)."""
        if not self.isHidden() and self.cause in causes:
            self.dismiss()

    def confirm_default(self) -> bool:
        """Enter: press the confirmation's default button. False if nothing is being asked."""
        action = self.default_action
        if action is None or self.isHidden():
            return False
        action()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Escape:
            self.dismiss()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.confirm_default():
            return
        super().keyPressEvent(event)

    def button(self, text_contains: str) -> QPushButton:
        return next(b for b in self.buttons if text_contains in b.text().replace("&", ""))
