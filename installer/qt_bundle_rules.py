"""What both specs (frontcounter.spec and the hello-world floor's) leave out of a PySide6 bundle.

PyInstaller's Qt hooks copy every plugin of each kind the bundled Qt modules can load, and with
each plugin the libraries it links. Those listed here are never loaded on a counter PC: the
embedded-device platforms (EGLFS, LinuxFB, VNC, Vulkan displays) and their input drivers (evdev,
TUIO), the GTK 3 platform theme (it links GTK, GDK, Cairo and Pango, which Qt's own dialogs make
unnecessary), and image formats the app never reads (its icons are SVG, its window icon .ico,
PNG is built into QtGui; the PDF image-format plugin alone links QtPdf into any bundle). The
offscreen and minimal platforms stay: the self-check runs offscreen.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: plugin kind -> plugin names (the file name without "lib" and the extension); "*" is every one.
UNWANTED_PLUGINS: dict[str, tuple[str, ...] | str] = {
    "platforms": ("qeglfs", "qlinuxfb", "qminimalegl", "qvnc", "qvkkhrdisplay", "qdirect2d"),
    "egldeviceintegrations": "*",
    "generic": "*",
    "platformthemes": ("qgtk3",),
    "imageformats": ("qgif", "qicns", "qjpeg", "qpdf", "qtga", "qtiff", "qwbmp", "qwebp"),
}

#: The Qt input-context plugin for the on-screen virtual keyboard drags in Qt Quick and QML
#: (~20 MB) that nothing else uses; a counter has a real keyboard.
UNWANTED_BINARIES = ("qtvirtualkeyboard", "qt6virtualkeyboard", "qt6quick", "qt6qml")


#: Strip symbol tables from the bundle's binaries on Linux: pyenv's and most wheels' libraries
#: carry them (libpython alone 23 MB, 6 MB stripped; about 110 MB of unstripped ELF files in all,
#: measured on the 6.11.3 bundle). Windows DLLs carry no such table, and stripping a macOS binary
#: would break its signature.
STRIP_BINARIES = sys.platform.startswith("linux")


def plugin_name(path: str) -> str:
    name = Path(path).name
    stem = name.split(".")[0]
    return stem[3:] if stem.startswith("lib") else stem


def trim_qt_plugins() -> None:
    """Make PyInstaller's Qt hooks skip UNWANTED_PLUGINS (call before Analysis): a plugin left out
    here is never analysed, so the libraries only it links stay out too."""
    from PyInstaller.utils.hooks import qt

    original = qt.QtLibraryInfo.collect_plugins
    if getattr(original, "trimmed", False):
        return

    def collect_plugins(self, plugin_type):  # noqa: ANN001, ANN202 (PyInstaller's signature)
        found = original(self, plugin_type)
        unwanted = UNWANTED_PLUGINS.get(plugin_type)
        if unwanted is None:
            return found
        return [(src, dst) for src, dst in found if unwanted != "*" and plugin_name(src) not in unwanted]

    collect_plugins.trimmed = True  # type: ignore[attr-defined]
    qt.QtLibraryInfo.collect_plugins = collect_plugins


def keep_binary(entry: tuple) -> bool:
    return not any(part in Path(entry[0]).name.lower() for part in UNWANTED_BINARIES)


def keep_data(entry: tuple) -> bool:
    """Qt's own translations (.qm files) stay out: the app installs no QTranslator and ships in English."""
    return "/translations/" not in entry[0].replace("\\", "/")
