"""The public keys of force-wide readers (the FCR), so a station can seal rows to them.

A station's cache holds only its own users (with their password hashes: the offline sign-in).
A row written there must still be sealed to every force-wide role that may read it
(services/core/sealing.py), so each pull also brings those users' public keys: their name,
role, station, whether they are active, and the public key; never a password hash or a wrapped
private key (the local copy's hash is empty, so they cannot sign in at this counter). On
PostgreSQL a station role may not read other stations' users (row-level security), so the
centre hands out just these columns through ``frontcounter_security.reader_keys()``
(frontcounter/db/rls.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from frontcounter.db.models import User
from frontcounter.services.core.sealing import reading_roles

COLUMNS = ("id", "username", "display_name", "role", "station_id", "active", "deleted", "public_key", "version")


def fetch_reader_keys(central: Session) -> list[dict[str, Any]]:
    wide = sorted(r.value for r in reading_roles()[1])
    if central.get_bind().dialect.name == "postgresql" and central.scalar(
            text("SELECT to_regprocedure('frontcounter_security.reader_keys()') IS NOT NULL")):
        rows = central.execute(text(f"SELECT {', '.join(COLUMNS)} FROM frontcounter_security.reader_keys()"))
        return [dict(r._mapping) for r in rows]
    # SQLite, or a PostgreSQL centre without row-level security installed (its owner reads users).
    table = User.__table__
    query = select(*(table.c[c] for c in COLUMNS)).where(table.c.role.in_(wide), table.c.public_key.is_not(None))
    return [dict(r._mapping) for r in central.execute(query)]


def apply_reader_keys(local: Session, rows: list[dict[str, Any]], station_id: uuid.UUID) -> int:
    """Insert or refresh the other stations' force-wide readers; this station's own users come
    through the ordinary pull and are left alone."""
    changed = 0
    for data in rows:
        if data["station_id"] == station_id:
            continue
        user = local.get(User, data["id"])
        if user is None:
            clash = local.scalar(select(User.id).where(User.username == data["username"]))
            if clash is not None:
                continue
            local.add(User(**data, password_hash="", wrapped_private_key=None, must_change_password=False,
                           failed_attempts=0))
            changed += 1
        elif user.station_id != station_id and (user.public_key, user.active, user.deleted, user.role) != (
                data["public_key"], data["active"], data["deleted"], data["role"]):
            for key in ("display_name", "role", "active", "deleted", "public_key", "version"):
                setattr(user, key, data[key])
            user.password_hash, user.wrapped_private_key = "", None
            changed += 1
    return changed
