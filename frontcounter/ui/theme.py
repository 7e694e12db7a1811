"""Themes and icons, loaded from the compiled Qt resources (never from the working directory).

``apply_theme`` sets three things in order: the Fusion style (the same look on Windows and Linux,
and it draws everything from the palette), a palette that matches the theme (so the parts a
stylesheet cannot reach, such as check marks and arrows, follow it too), and the stylesheet.

``icon`` draws the monochrome action icons in the current theme's icon colour: the SVG sources use
``currentColor``, which is swapped for that colour, so one set of icons serves both themes. The
selected state is drawn in the selected-text colour, so an icon stays visible on a selected row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QFile, QIODevice
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from frontcounter.ui import resources_rc  # noqa: F401  (registers :/icons and :/themes)

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

logger = logging.getLogger(__name__)

#: Pixel sizes pre-rendered for each icon; QIcon picks the nearest for the size and screen scale.
#: The app draws icons at 16–32 px, so 64 covers a 2× screen; 96, 128 and 256 px held ~0.7 MB of
#: pixels per icon (~11 MB for the app's icons) that nothing ever painted.
_ICON_SIZES = (16, 20, 24, 32, 40, 48, 64)


@dataclass(frozen=True)
class _Theme:
    """What a theme needs besides its stylesheet."""

    qss: str
    window: str
    base: str
    alternate_base: str
    text: str
    button: str
    highlight: str
    highlighted_text: str
    link: str
    disabled_text: str
    icon: str


THEMES: dict[str, _Theme] = {
    "calm": _Theme(
        qss=":/themes/calm.qss",
        window="#f4f5f7",
        base="#ffffff",
        alternate_base="#f7f8fa",
        text="#1f2933",
        button="#ffffff",
        highlight="#1d3557",
        highlighted_text="#ffffff",
        link="#1d4e89",
        disabled_text="#616e7c",
        icon="#1d3557",
    ),
    "high-contrast": _Theme(
        qss=":/themes/high-contrast.qss",
        window="#000000",
        base="#000000",
        alternate_base="#1a1a1a",
        text="#ffffff",
        button="#000000",
        highlight="#ffff00",
        highlighted_text="#000000",
        link="#ffff00",
        disabled_text="#c0c0c0",
        icon="#ffffff",
    ),
}

_current_theme = THEMES["calm"]

#: The style every theme draws on. A QApplication made by ``new_application`` has it from Qt's
#: command line and says so in this dynamic property, so ``apply_theme`` need not set it again.
STYLE = "Fusion"
_STYLE_PROPERTY = "frontcounterStyle"


def new_application(program: str) -> QApplication:
    """The app's QApplication, already in the Fusion style. Named on Qt's command line (``-style``)
    the style costs nothing; ``QApplication.setStyle`` would first make PySide6 build its QStyle
    type with all of that class's enums, 6–10 ms before the sign-in window's first frame."""
    app = QApplication([program, "-style", STYLE])
    app.setProperty(_STYLE_PROPERTY, STYLE)
    return app


def apply_theme(app: QApplication, name: str) -> None:
    """Switch the whole application to the theme ``name`` ("calm" or "high-contrast").

    Icons made after this call use the theme's icon colour; the caller rebuilds existing icons.
    """
    global _current_theme
    theme = THEMES.get(name)
    if theme is None:
        raise ValueError(f"unknown theme {name!r}; expected one of {sorted(THEMES)}")
    if app.property(_STYLE_PROPERTY) != STYLE:  # an application not made by new_application
        app.setStyle(STYLE)
        app.setProperty(_STYLE_PROPERTY, STYLE)
    app.setPalette(_palette(theme))
    app.setStyleSheet(_read_resource_text(theme.qss))
    _current_theme = theme
    logger.debug("theme %s applied", name)


def icon(name: str) -> QIcon:
    """The icon ``:/icons/<name>.svg`` drawn in the current theme's icon colour."""
    return _render_icon(name, _current_theme.icon, _current_theme.highlighted_text)


def set_property(widget: QWidget, name: str, value: object) -> None:
    """Set a dynamic property that the stylesheet matches on (e.g. ``status``) and re-polish.

    Qt evaluates property selectors only when a widget is polished, so without the re-polish a
    status pill would keep its old colour.
    """
    widget.setProperty(name, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def _palette(theme: _Theme) -> QPalette:
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.alternate_base,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.button,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.Highlight: theme.highlight,
        QPalette.ColorRole.HighlightedText: theme.highlighted_text,
        QPalette.ColorRole.ToolTipBase: theme.text,
        QPalette.ColorRole.ToolTipText: theme.base,
        QPalette.ColorRole.PlaceholderText: theme.disabled_text,
        QPalette.ColorRole.Link: theme.link,
        QPalette.ColorRole.BrightText: theme.highlight,
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.disabled_text))
    return palette


def _read_resource(path: str) -> bytes:
    file = QFile(path)
    if not file.open(QIODevice.OpenModeFlag.ReadOnly):
        raise FileNotFoundError(f"Qt resource {path} is missing; regenerate resources_rc.py")
    try:
        return bytes(file.readAll().data())
    finally:
        file.close()


def _read_resource_text(path: str) -> str:
    return _read_resource(path).decode("utf-8")


def _render_icon(name: str, colour: str, selected_colour: str) -> QIcon:
    # Not cached on purpose: about 3 ms an icon, and a module-level cache of pixmaps would outlive
    # the QApplication (in tests) and crash when Python tears it down.
    # Imported here, not at the top: the sign-in window paints without icons, QtSvg or Qt's enums.
    from PySide6.QtCore import QByteArray, QRectF, Qt
    from PySide6.QtGui import QIcon, QPainter, QPixmap
    from PySide6.QtSvg import QSvgRenderer

    source = _read_resource(f":/icons/{name}.svg")
    result = QIcon()
    for mode, fill in ((QIcon.Mode.Normal, colour), (QIcon.Mode.Selected, selected_colour)):
        renderer = QSvgRenderer(QByteArray(source.replace(b"currentColor", fill.encode("ascii"))))
        if not renderer.isValid():
            raise ValueError(f"icon {name!r} is not valid SVG")
        for size in _ICON_SIZES:
            pixmap = QPixmap(size, size)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            renderer.render(painter, QRectF(0, 0, size, size))
            painter.end()
            result.addPixmap(pixmap, mode)
    return result


#: Fonts the app ships for the PDFs, offered to Qt too: a thin client with few system fonts would
#: otherwise draw a Chinese or Arabic visitor name as empty boxes on the counter screen.
FALLBACK_FONTS = ("DroidSansFallback.ttf", "NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf")


def register_bundled_fonts() -> int:
    """Register the bundled fallback fonts with Qt (about 4 ms; after the first frame); returns how
    many Qt accepted. Qt then falls back to them for scripts the system fonts lack."""
    from pathlib import Path

    from PySide6.QtGui import QFontDatabase

    folder = Path(__file__).resolve().parent.parent / "assets" / "fonts"
    return sum(QFontDatabase.addApplicationFont(str(folder / name)) >= 0 for name in FALLBACK_FONTS)
