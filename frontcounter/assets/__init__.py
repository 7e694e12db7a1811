"""Files shipped inside the package, found by file path.

The PDF services are plain Python (no Qt, so no ``:/`` resources), and they must find the same fonts
in a source checkout, an installed wheel and a PyInstaller bundle; a path next to this module works
in all three, and never depends on the working directory.
"""

from __future__ import annotations

from pathlib import Path

FONTS_DIR: Path = Path(__file__).resolve().parent / "fonts"

#: ReportLab font name -> file in FONTS_DIR. See fonts/LICENSES.md for what each one covers.
FONT_FILES: dict[str, str] = {
    "DejaVuSans": "DejaVuSans.ttf",
    "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
    "DejaVuSansMono": "DejaVuSansMono.ttf",
    "DroidSansFallback": "DroidSansFallback.ttf",
    "NotoSansArabic": "NotoSansArabic-Regular.ttf",
    "NotoSansArabic-Bold": "NotoSansArabic-Bold.ttf",
    "Symbola": "Symbola.ttf",  # emoji and symbols, last in the fallback chain
}


def font_path(name: str) -> Path:
    """The file of the shipped font ``name`` (a key of FONT_FILES); raises KeyError otherwise."""
    return FONTS_DIR / FONT_FILES[name]
