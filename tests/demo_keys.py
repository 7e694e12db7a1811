"""Test actors holding the session key a sign-in with the demo password would unwrap."""

from __future__ import annotations

import dataclasses
import functools
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontcounter.db.models import Appointment, User
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.sealing import SessionKey, may_hold_key, try_open, unwrap_private

DEMO_PASSWORD = "demo"


@functools.cache
def demo_session_key(user_id: uuid.UUID, wrapped: str) -> SessionKey | None:
    """Unwrapped once per key (argon2id costs ~0.1 s), as a sign-in would."""
    return unwrap_private(user_id, wrapped, DEMO_PASSWORD)


def with_demo_key(actor: Actor, wrapped: str | None) -> Actor:
    """``actor`` with their key (readers only; a counter user's actor never holds one)."""
    if not wrapped or not may_hold_key(actor.role):
        return actor
    return dataclasses.replace(actor, key=demo_session_key(actor.user_id, wrapped))


def opened(session: Session, row: Appointment) -> dict[str, Any]:
    """``row``'s confidential fields in clear, opened with the key of any demo reader it is sealed to
    (what an officer's session would see); a test reads the stored row through this."""
    for user in session.scalars(select(User).where(User.wrapped_private_key.is_not(None))):
        key = demo_session_key(user.id, user.wrapped_private_key or "")
        found = try_open(row, key)
        if found is not None:
            return found
    raise AssertionError(f"no demo reader opens {row.reference}")


def in_clear(session: Session, row: Appointment | None) -> Appointment | None:
    """``row``, detached from ``session``, with its confidential fields replaced by their clear text."""
    if row is None:
        return None
    try:
        values = opened(session, row) if row.sealed_keys else {}
    except AssertionError:
        values = {}  # sealed to nobody this database holds a demo key for: left as stored
    session.expunge(row)
    for name, value in values.items():
        setattr(row, name, value)
    return row
