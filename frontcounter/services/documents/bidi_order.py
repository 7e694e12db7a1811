"""The Unicode bidi algorithm (python-bidi) for one line of print: words in display order.

Shared by every PDF: :mod:`frontcounter.services.documents.fonts` uses it for one-line fields and
:mod:`frontcounter.services.documents.bidi_paragraph` for each line of a wrapped paragraph. It knows nothing of
fonts or ReportLab: it says in what order, left to right on the page, the words of a line stand.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

from bidi import algorithm as uba

logger = logging.getLogger(__name__)

#: Separates two pieces of one word that must be shaped apart (two fonts, or two directions).
WORD_SPLIT = "\u200a"


def has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def direction(text: str) -> str:
    """"R" when the first strong character of ``text`` is right to left, else "L" (rules P2-P3)."""
    return "R" if uba.get_base_level(text) == 1 else "L"


def visual(line: str, base: str) -> str:
    """One line in display order (left to right on the page), letters of each RTL word in reading order.

    The bidi algorithm gives every character its level and the display order (rules L1-L2);
    characters of one right-to-left run come out reversed, so each word of such a run is turned
    back, and HarfBuzz (which shapes an Arabic or Hebrew word right to left itself) lays its
    letters out. Words, runs and numbers keep the order the algorithm gave them. (Mirroring, rule
    L4, is left to HarfBuzz, which mirrors a bracket inside a right-to-left word it shapes.)
    """
    if not has_rtl(line):
        return line
    try:
        chars = _display_order(line, base)
    except Exception:  # the algorithm's own assertions on odd input: the plainest safe order
        logger.debug("bidi reordering failed; words reversed as a whole", exc_info=True)
        return " ".join(reversed(line.split(" "))) if base == "R" else line
    out: list[str] = []
    i = 0
    while i < len(chars):
        level = chars[i]["level"]
        j = i
        while j < len(chars) and chars[j]["level"] == level:
            j += 1
        run = "".join(line[c["index"]] for c in chars[i:j])
        if level % 2:  # reversed by the algorithm: each word back to reading order, words as displayed
            run = " ".join(_rtl_word(word[::-1]) for word in run.split(" "))
        if out and not out[-1][-1].isspace() and not run[0].isspace():
            # Two directions inside one word ("מילה501"): HarfBuzz shapes a word in one direction, so
            # a hair space makes them two words (as pdf_fonts.markup does between two fonts).
            run = WORD_SPLIT + run
        out.append(run)
        i = j
    return "".join(out)


_MIRRORED = str.maketrans("()[]{}<>«»‹›", ")(][}{><»«›‹")


def _is_rtl_letter(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL", "NSM")


def _rtl_word(word: str) -> str:
    """One word of a right-to-left run (reading order) as the pieces HarfBuzz and the fonts set.

    Letters stay in reading order (HarfBuzz lays them out right to left); punctuation stuck to
    them ("جنيه." or "(محمد)") is set in another font, as a word of its own, so the pieces are put
    in display order here and the brackets mirrored (rule L4).
    """
    groups: list[str] = []
    for ch in word:
        if groups and _is_rtl_letter(ch) == _is_rtl_letter(groups[-1][-1]):
            groups[-1] += ch
        else:
            groups.append(ch)
    if len(groups) == 1 and _is_rtl_letter(word[0]):
        return word
    pieces = [g if _is_rtl_letter(g[0]) else g[::-1].translate(_MIRRORED) for g in reversed(groups)]
    return WORD_SPLIT.join(pieces)


#: A representative of each bidi class. The algorithm runs on a stand-in line of these, so its
#: levels depend only on the classes (as they must) and a character the pure-Python algorithm does
#: not know (unassigned, or an isolate from Unicode 6.3) cannot trip its assertions.
_PROXY = {"L": "a", "R": "\u05d0", "AL": "\u0628", "EN": "1", "ES": "+", "ET": "$", "AN": "\u0661", "CS": ",",
          "NSM": "\u0300", "BN": "\u200b", "S": "\t", "WS": " ", "ON": "!", "LRE": "\u202a", "LRO": "\u202d",
          "RLE": "\u202b", "RLO": "\u202e", "PDF": "\u202c"}


def _display_order(line: str, base: str) -> list[dict[str, Any]]:
    """The characters of ``line`` (their index and level) in display order, rules X1-L2."""
    proxy = "".join(_PROXY.get(unicodedata.bidirectional(ch), "!" if unicodedata.bidirectional(ch) else "a")
                    for ch in line)
    storage = uba.get_empty_storage()
    storage["base_level"] = 1 if base == "R" else 0
    storage["base_dir"] = base
    uba.get_embedding_levels(proxy, storage, False, False)
    for index, ch in enumerate(storage["chars"]):
        ch["index"] = index
    uba.explicit_embed_and_overrides(storage, False)
    uba.resolve_weak_types(storage, False)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    uba.reorder_resolved_levels(storage, False)
    return list(storage["chars"])
