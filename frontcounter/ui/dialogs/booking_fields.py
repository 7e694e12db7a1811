"""What the booking form's plain fields accept: the channels in words, a typed date of birth, durations.

No widgets here: the form (``booking``) and its tests read these without building a window.
"""

from __future__ import annotations

from datetime import date, datetime

from frontcounter.db.models import Channel
from frontcounter.services.core.errors import ValidationError

CHANNEL_LABELS = {
    Channel.CALL_101.value: "101 call",
    Channel.ONLINE.value: "Online",
    Channel.WALK_IN.value: "Front counter walk-in",
    Channel.COMMAND_AND_CONTROL.value: "Command and control",
}


def parse_dob(text: str) -> date | None:
    """An optional date of birth typed as DD/MM/YYYY (or YYYY-MM-DD)."""
    value = text.strip()
    if not value:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"Date of birth {value!r}: type it as DD/MM/YYYY, or leave it empty.")


#: What the duration box offers: a quarter-hour to a whole working day (the finder takes 15–480).
DURATIONS = (15, 30, 45, 60, 90, 120, 180, 240, 360, 480)
