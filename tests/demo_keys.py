"""Test actors holding the session key a sign-in with the demo password would unwrap."""

from __future__ import annotations

import dataclasses
import functools
import uuid

from frontcounter.services.core.actor import Actor
from frontcounter.services.core.sealing import SessionKey, may_hold_key, unwrap_private

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
