"""Short human references (``HH-4KQ7M``): typed at the counter, printed as a QR code.

Five characters from an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 2/Z) give 20 million
references per station, so a station's own random draws practically never collide; the unique
constraint catches the rare one and the caller draws again.
"""

from __future__ import annotations

import random

ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
LENGTH = 5


def new_reference(station_code: str, rng: random.Random | None = None) -> str:
    pick = (rng or random.SystemRandom()).choice
    return f"{station_code}-{''.join(pick(ALPHABET) for _ in range(LENGTH))}"
