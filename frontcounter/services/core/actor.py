"""Who is acting: every service call takes one and checks permission itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from frontcounter.db.models import Role
from frontcounter.services.core.keys import SessionKey


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: uuid.UUID
    username: str
    display_name: str
    role: Role
    station_id: uuid.UUID | None
    station_code: str | None
    workstation: str
    #: The signed-in reader's private key (services/core/sealing.py), unwrapped by the password
    #: at sign-in and held only here, in memory. Always None for a role that may not read the
    #: confidential fields (a counter user's session never holds one).
    key: SessionKey | None = field(default=None, repr=False, compare=False)
