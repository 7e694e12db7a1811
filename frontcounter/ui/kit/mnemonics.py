"""Alt+letter mnemonics that never collide (after KDE's KAcceleratorManager).

Qt gives Alt+letter to every button, buddied label and checkable group box with "&" in its text.
Two on the same letter (or one on a menu bar letter) are ambiguous: Qt then only moves the focus
between them and acts on neither, so Alt+A opened the Actions menu instead of the button's action.
Forms grow one field at a time and nobody checks every letter by hand, so each view's letters are
assigned here once it is built: a widget keeps the letter its author chose if it is still free,
else gets the first free letter of a word, else any free letter of its text, else none.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QWidget

#: The main window's menus: File, View, Actions, Session, Help (main_window._build_menus).
MENU_LETTERS = frozenset("FVASH")


def _text(widget: QWidget) -> str | None:
    if isinstance(widget, QAbstractButton):
        return widget.text()
    if isinstance(widget, QLabel) and widget.buddy() is not None:
        return widget.text()
    if isinstance(widget, QGroupBox) and widget.isCheckable():
        return widget.title()
    return None


def _set_text(widget: QWidget, text: str) -> None:
    if isinstance(widget, QGroupBox):
        widget.setTitle(text)
    elif isinstance(widget, QAbstractButton | QLabel):
        widget.setText(text)


def chosen_letter(text: str) -> str | None:
    """The letter after a single "&" ("&&" is a literal ampersand), upper case."""
    i = 0
    while i < len(text) - 1:
        if text[i] == "&":
            if text[i + 1] == "&":
                i += 2
                continue
            return text[i + 1].upper() if text[i + 1].isalnum() else None
        i += 1
    return None


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&&")


def _candidates(plain: str) -> Iterable[int]:
    """Positions to try: the start of each word, then every other letter or digit."""
    starts = [i for i, c in enumerate(plain) if c.isalnum() and (i == 0 or not plain[i - 1].isalnum())]
    yield from starts
    yield from (i for i, c in enumerate(plain) if c.isalnum() and i not in starts)


def _with_mnemonic(plain: str, position: int) -> str:
    return plain[:position] + "&" + plain[position:]


def assign_mnemonics(root: QWidget, reserved: Iterable[str] = MENU_LETTERS) -> dict[str, QWidget]:
    """Give each mnemonic-bearing widget under ``root`` a distinct letter outside ``reserved``.

    Widgets that had a letter keep it when they can (their author's choice, first come first
    served), so assigning twice changes nothing. Returns letter → widget.
    """
    taken = {letter.upper() for letter in reserved}
    used: dict[str, QWidget] = {}
    widgets = [(w, t) for w in root.findChildren(QWidget) if (t := _text(w)) and "&" in t.replace("&&", "")]
    pending: list[tuple[QWidget, str]] = []
    for widget, text in widgets:
        letter = chosen_letter(text)
        if letter and letter not in taken and letter not in used:
            used[letter] = widget
        else:
            pending.append((widget, text))
    for widget, text in pending:
        plain = _plain(text)
        for position in _candidates(plain):
            letter = plain[position].upper()
            if letter not in taken and letter not in used:
                used[letter] = widget
                _set_text(widget, _with_mnemonic(plain, position))
                break
        else:
            _set_text(widget, plain)  # no letter left: reachable by Tab and mouse, never ambiguous
    return used
