"""Who is acting: every service call takes one and checks permission itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from frontcounter.db.models import Role


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: uuid.UUID
    username: str
    display_name: str
    role: Role
    station_id: uuid.UUID | None
    station_code: str | None
    workstation: str
