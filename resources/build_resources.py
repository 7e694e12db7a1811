"""Compile resources/ into the files the app and the installer load.

Run after changing anything under resources/ (see README.md):

    python resources/build_resources.py          # regenerate
    python resources/build_resources.py --check  # exit 1 if the committed output is stale

It writes two generated files, both committed so that an install needs no build step:

- ``frontcounter/ui/resources_rc.py``: icons and themes compiled by Qt's rcc, registered at
  ``:/icons/...`` and ``:/themes/...`` on import.
- ``resources/icons/frontcounter.ico``: the application icon for Windows (PyInstaller, Inno
  Setup), rendered from ``frontcounter.svg`` at the sizes Windows asks for.

Output is byte-for-byte reproducible (no timestamps), so ``--check`` can run in CI.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent
REPO = RESOURCES.parent
QRC = RESOURCES / "frontcounter.qrc"
RESOURCES_RC = REPO / "frontcounter" / "ui" / "resources_rc.py"
APP_SVG = RESOURCES / "icons" / "frontcounter.svg"
APP_ICO = RESOURCES / "icons" / "frontcounter.ico"
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)


def find_rcc() -> list[str]:
    """The rcc command that ships inside the installed PySide6 wheel.

    The wheel keeps the real binary in ``Qt/libexec`` on Linux/macOS and next to the package on
    Windows; the ``pyside6-rcc`` wrapper on PATH is only a fallback, since it may belong to another
    environment whose Qt differs.
    """
    import PySide6

    package = Path(PySide6.__file__).resolve().parent
    binary = package / "rcc.exe" if sys.platform == "win32" else package / "Qt" / "libexec" / "rcc"
    if binary.is_file():
        return [str(binary)]
    wrapper = shutil.which("pyside6-rcc")
    if wrapper is not None:
        return [wrapper]
    raise SystemExit("cannot find Qt's rcc: install PySide6 in this environment")


def compile_qrc(output: Path) -> None:
    """Run rcc: format version 1 stores no file timestamps, so the output is reproducible, and zlib
    (not rcc's default zstd) because every Qt build can read it."""
    command = [*find_rcc(), "-g", "python", "--format-version", "1", "--compress-algo", "zlib",
               str(QRC), "-o", str(output)]
    subprocess.run(command, check=True, cwd=RESOURCES)


def render_ico(output: Path) -> None:
    """Write a Windows .ico holding one PNG per size (the Vista+ ICO layout every tool reads)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(APP_SVG))
    if not renderer.isValid():
        raise SystemExit(f"{APP_SVG} is not valid SVG")
    images: list[bytes] = []
    for size in ICO_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; the binding wants str
        buffer.close()
        images.append(bytes(data.data()))

    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    directory = b""
    for size, png in zip(ICO_SIZES, images, strict=True):
        side = 0 if size >= 256 else size  # 0 means 256 in the ICO directory
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        offset += len(png)
    output.write_bytes(header + directory + b"".join(images))


def _comparable(path: Path) -> bytes:
    """The file without rcc's "Created by ... Qt version" line, which changes with every Qt."""
    return b"\n".join(line for line in path.read_bytes().split(b"\n") if not line.startswith(b"# Created by"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the generated files are stale")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        new_rc = Path(tmp) / "resources_rc.py"
        new_ico = Path(tmp) / "frontcounter.ico"
        compile_qrc(new_rc)
        render_ico(new_ico)
        pairs = ((new_rc, RESOURCES_RC), (new_ico, APP_ICO))
        if args.check:
            stale = [str(dst.relative_to(REPO)) for src, dst in pairs
                     if not dst.is_file() or _comparable(dst) != _comparable(src)]
            if stale:
                print("stale, run resources/build_resources.py: " + ", ".join(stale), file=sys.stderr)
                return 1
            print("generated resources are up to date")
            return 0
        for src, dst in pairs:
            shutil.copyfile(src, dst)
            print(f"wrote {dst.relative_to(REPO)} ({dst.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
