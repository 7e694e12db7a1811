"""What makes an officer or a station suit a visitor: a language spoken, training held, nearness.

Small pure predicates the slot finder applies to every candidate; kept apart so the finder's
module reads as the search itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def is_english(language: str) -> bool:
    return language.strip().casefold() == "english"


def speaks(languages: Iterable[str], wanted: str | None) -> bool:
    if not wanted or is_english(wanted):
        return True
    key = wanted.strip().casefold()
    return any(lang.strip().casefold() == key for lang in languages)


def trained(specialisms: Iterable[str], wanted: str | None) -> bool:
    if not wanted:
        return True
    key = wanted.strip().casefold()
    return any(key in s.casefold() or s.casefold() in key for s in specialisms)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; good enough to rank stations by nearness."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))
