"""Fonts for the printed documents, and user text made safe to print.

Every name a visitor gives must print and stay searchable in the PDF, whatever its script: Latin
with Polish diacritics, Arabic, Chinese, emoji. No one font covers all of that, so text is split
into runs and each run is set in the first font of a chain that has its characters: DejaVu Sans,
then the fonts ``frontcounter.assets.FONT_FILES`` declares (Droid Sans Fallback for CJK, Noto Sans
Arabic, Symbola for emoji), all loaded from the package, never from the working directory.

User text is never markup. ReportLab paragraphs parse an XML-like language (``<img src=...>``,
``<a href=...>``, ``<font>``), so every piece of user text goes through :func:`markup`, which
escapes it before it adds the font runs of its own. A note that says ``<img src="http://x">``
prints exactly that and nothing is fetched.

Arabic needs two things ReportLab only half provides. Shaping (joined letter forms, lam-alef) comes
from HarfBuzz when ``uharfbuzz`` is installed: :func:`needs_shaping` tells the document builder to
switch it on for a paragraph. Bidirectional reordering needs ReportLab's ``rlbidi``, which is not
published on PyPI, so :func:`markup` puts runs of right-to-left words into visual order itself;
HarfBuzz then orders the letters inside each word. That is right for names, addresses and one-line
fields; a right-to-left paragraph long enough to wrap reads its lines in the wrong order.

Text extracted from a shaped paragraph holds presentation forms (U+FExx for Arabic letters, U+FB0x
for a Latin "fi" beside them); NFKC normalisation gives back the plain letters, as search tools do.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from frontcounter.assets import FONT_FILES, FONTS_DIR

logger = logging.getLogger(__name__)


SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
MONO = "DejaVuSansMono"
_PRIMARY = (SANS, SANS_BOLD, MONO)
#: A fallback font whose name names a script takes that script's characters even where DejaVu Sans
#: has them too: its letterforms are drawn by people who write the script.
_SCRIPT_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "Arabic": ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
}

Face = Literal["sans", "bold", "mono"]


@dataclass(frozen=True)
class FontSet:
    """The registered font names: the three faces, then the fallback chains (regular and bold)."""

    sans: str
    bold: str
    mono: str
    fallbacks: tuple[str, ...]
    bold_fallbacks: tuple[str, ...]
    #: Script name -> (regular font, bold font) preferred for that script's characters.
    script_fonts: dict[str, tuple[str, str]]
    shaping: bool


_lock = threading.Lock()
_fonts: FontSet | None = None
#: Each registered font's character coverage, by font name.
_coverage: dict[str, frozenset[int] | dict[int, int]] = {}


def _make_to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """ReportLab's ToUnicode CMap, with characters beyond the BMP written as UTF-16 pairs.

    ReportLab writes ``<%04X>`` for every character, which gives an odd-length hex string for an
    emoji (``<1F600>``): PDF readers then cannot extract it. A CMap destination is UTF-16BE.
    """
    entries = [f"<{i:02X}> <{chr(v).encode('utf-16-be', 'surrogatepass').hex().upper()}>"
               for i, v in enumerate(subset)]
    cmap = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        f"<< /Registry ({fontname})",
        f"/Ordering ({fontname})",
        "/Supplement 0",
        ">> def",
        f"/CMapName /{fontname} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *entries,
        "endbfchar",
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ]
    return "\n".join(cmap)


def _no_discretionary_ligatures() -> None:
    """Shape names as written: ReportLab asks HarfBuzz for discretionary ligatures too.

    With ``dlig`` on, Noto Sans Arabic sets the name Muhammad as the vocalised honorific ligature
    U+FDF4, which is not how a person's name is written on a form. Required and standard ligatures
    (Arabic lam-alef) stay on.
    """
    shape = ttfonts.shapeFragWord
    defaults = shape.__defaults__
    if defaults and isinstance(defaults[0], dict):
        shape.__defaults__ = ({**defaults[0], "dlig": False}, *defaults[1:])


def _fallback_files() -> dict[str, Path]:
    """Every shipped font besides the three primaries, in the order ``FONT_FILES`` declares them."""
    return {name: FONTS_DIR / file for name, file in FONT_FILES.items() if name not in _PRIMARY}


def _register(name: str, path: Path) -> TTFont:
    font = TTFont(name, str(path), subfontIndex=0)
    pdfmetrics.registerFont(font)
    # One face per family: <b> and <i> inside a run in this font must not look for a bold file.
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(name, bold, italic, name)
    _coverage[name] = font.face.charToGlyph
    return font


def fonts() -> FontSet:
    """Register the document fonts once per process and return their names."""
    global _fonts
    if _fonts is not None:
        return _fonts  # registered: no lock needed to read it
    with _lock:
        if _fonts is not None:
            return _fonts
        ttfonts.makeToUnicodeCMap = _make_to_unicode_cmap  # see _make_to_unicode_cmap
        _no_discretionary_ligatures()
        for name in _PRIMARY:
            _register(name, FONTS_DIR / FONT_FILES[name])
        addMapping(SANS, 0, 0, SANS)
        addMapping(SANS, 1, 0, SANS_BOLD)
        addMapping(SANS, 0, 1, SANS)
        addMapping(SANS, 1, 1, SANS_BOLD)
        usable: list[str] = []
        for name, path in _fallback_files().items():
            try:
                _register(name, path)
            except (TTFError, OSError) as exc:  # e.g. CFF outlines, which ReportLab cannot embed
                logger.warning("font %s is not usable in PDFs: %s", path.name, exc)
                continue
            usable.append(name)
        regular = tuple(n for n in usable if not n.endswith("-Bold"))
        bold = tuple(f"{n}-Bold" if f"{n}-Bold" in usable else n for n in regular)
        scripts = {
            script: (reg, b)
            for script in _SCRIPT_RANGES
            for reg, b in zip(regular, bold, strict=True)
            if script.lower() in reg.lower()
        }
        _fonts = FontSet(SANS, SANS_BOLD, MONO, regular, bold, scripts, shaping=ttfonts.uharfbuzz is not None)
        if not _fonts.shaping:
            logger.warning("uharfbuzz is not installed: Arabic and Indic text will print unshaped")
        return _fonts


def register_fonts() -> str:
    """Register the document fonts and return the body font's name (for a plain canvas)."""
    return fonts().sans


# --- Text ------------------------------------------------------------------------------------

#: Control characters XML and the PDF text operators cannot carry (tab and newline are handled).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """Text with line endings unified and the characters no document can hold removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    return _CONTROL.sub("", text).replace("\t", " ")


def _is_rtl(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL")


def has_rtl(text: str) -> bool:
    return any(_is_rtl(ch) for ch in text)


_SHAPED_SCRIPTS = (
    (0x0590, 0x08FF),  # Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic, Arabic Extended
    (0x0900, 0x0DFF),  # Devanagari … Sinhala
    (0x0F00, 0x0FFF),  # Tibetan
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0xFB1D, 0xFDFF),  # Hebrew and Arabic presentation forms A
    (0xFE70, 0xFEFF),  # Arabic presentation forms B
)


def needs_shaping(text: str) -> bool:
    """Does ``text`` hold a script whose letters change form with their neighbours?"""
    for ch in text:
        code = ord(ch)
        if code >= 0x0590 and any(lo <= code <= hi for lo, hi in _SHAPED_SCRIPTS):
            return True
    return False


def _strong(word: str) -> str | None:
    for ch in word:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "R"
        if kind == "L":
            return "L"
    return None


def visual_order(line: str) -> str:
    """One line with its right-to-left words in left-to-right display order.

    A line whose first strong character is right-to-left reads right to left as a whole, so all its
    words reverse; otherwise only each run of right-to-left words (and the neutral words between
    them) does. Letters inside a word stay in reading order: HarfBuzz orders those.
    """
    if not has_rtl(line):
        return line
    words = line.split(" ")
    kinds = [_strong(w) for w in words]
    base = next((k for k in kinds if k is not None), "L")
    if base == "R":
        return " ".join(reversed(words))
    out = list(words)
    i = 0
    while i < len(words):
        if kinds[i] != "R":
            i += 1
            continue
        j = i
        k = i + 1
        while k < len(words) and kinds[k] != "L":
            if kinds[k] == "R":
                j = k
            k += 1
        out[i:j + 1] = reversed(words[i:j + 1])
        i = j + 1
    return " ".join(out)


#: Each base font's plain characters (see :func:`plain_chars`), by font name.
_plain: dict[str, frozenset[str]] = {}


def _is_plain_char(code: int) -> bool:
    if code < 0x20 or 0x7F <= code < 0xA0:
        return False  # control characters: clean() removes them, newline aside
    if any(lo <= code <= hi for lo, hi in _SHAPED_SCRIPTS):
        return False
    if any(lo <= code <= hi for ranges in _SCRIPT_RANGES.values() for lo, hi in ranges):
        return False
    return unicodedata.bidirectional(chr(code)) not in ("R", "AL")


def plain_chars(font: str) -> frozenset[str]:
    """The characters ``font`` sets on its own: in its charmap, left to right, not shaped, not
    taken by a script's own font, not control characters (newline aside).

    Built once per font (some five thousand for DejaVu Sans), so :func:`is_plain` is one C-level
    set comparison instead of a lookup per character in each font of the fallback chain.
    """
    try:
        return _plain[font]
    except KeyError:
        fonts()
        plain = _plain[font] = frozenset(chr(code) for code in _coverage[font] if _is_plain_char(code)) | {"\n"}
        return plain


def face_font(face: Face) -> str:
    """The registered font of ``face``."""
    f = fonts()
    return f.bold if face == "bold" else f.mono if face == "mono" else f.sans


def is_plain(text: str, face: Face = "sans") -> bool:
    """Can ``text`` (already :func:`clean`) print in ``face``'s own font as it stands?

    True for almost everything a counter prints (English names, places, times, Polish diacritics):
    no character needs a fallback font, shaping or reordering, so the text needs no splitting into
    font runs and can be set without the paragraph parser.
    """
    return plain_chars(face_font(face)).issuperset(text)


def _chain(fonts: FontSet, face: Face) -> tuple[str, ...]:
    if face == "bold":
        return (fonts.bold, fonts.sans, *fonts.bold_fallbacks)
    if face == "mono":
        return (fonts.mono, fonts.sans, *fonts.fallbacks)
    return (fonts.sans, *fonts.fallbacks)


def _script_font(code: int, fonts: FontSet, face: Face) -> str | None:
    for script, ranges in _SCRIPT_RANGES.items():
        pair = fonts.script_fonts.get(script)
        if pair and any(lo <= code <= hi for lo, hi in ranges):
            font = pair[1] if face == "bold" else pair[0]
            return font if code in _coverage[font] else None
    return None


def _runs(text: str, fonts: FontSet, face: Face) -> Iterator[tuple[str, str]]:
    """Split ``text`` into (font, run) pairs, each character in the first font that has it."""
    chain = _chain(fonts, face)
    primary = chain[0]
    current = primary
    run: list[str] = []
    for ch in text:
        code = ord(ch)
        font = primary
        if ch != "\n" and (code >= 0x0600 or code not in _coverage[primary]):
            found = _script_font(code, fonts, face) if code >= 0x0600 else None
            if found is None:
                found = next((name for name in chain if code in _coverage[name]), None)
            if found is None and unicodedata.category(ch) in ("Cf", "Mn", "Co", "Cn"):
                continue  # invisible joiners and selectors no font has: drop, not a box
            font = found or primary  # no font at all: a missing-glyph box, but never a crash
        if font != current and run:
            yield current, "".join(run)
            run = []
        current = font
        run.append(ch)
    if run:
        yield current, "".join(run)


#: Separates two fonts inside one word of a shaped paragraph (see :func:`markup`).
WORD_SPLIT = "\u200a"


def markup(text: str | None, face: Face = "sans", *, shaped: bool | None = None) -> str:
    """User text as paragraph markup: escaped, with font runs, newlines as line breaks.

    ``shaped`` says the paragraph will be shaped by HarfBuzz (by default: if this text needs it).
    ReportLab shapes word by word with the first font of each word, and a word set in two fonts
    (Arabic letters against a Chinese one, with no space between) breaks it; in a shaped paragraph
    such a word is split in two with a hair space.
    """
    if not text:
        return ""
    text = clean(text)
    if is_plain(text, face):
        return escape(text).replace("\n", "<br/>")  # one run in the base font: nothing to split
    font_set = fonts()
    if shaped is None:
        shaped = needs_shaping(text)
    if has_rtl(text):
        text = "\n".join(visual_order(line) for line in text.split("\n"))
    parts = []
    base = _chain(font_set, face)[0]
    previous = ""
    for font, run in _runs(text, font_set, face):
        if shaped and previous and not previous[-1].isspace() and not run[0].isspace():
            run = WORD_SPLIT + run
        previous = run
        escaped = escape(run).replace("\n", "<br/>")
        parts.append(escaped if font == base else f'<font name="{font}">{escaped}</font>')
    return "".join(parts)
