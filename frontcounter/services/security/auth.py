"""Sign-in: scrypt password hashes, lockout after repeated failures, the Actor for a session.

scrypt is memory-hard and in the standard library, so no native dependency is needed on managed
desktops. Lockout state is per workstation (never synced): a counter PC cannot be used to guess.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import socket
from datetime import timedelta

from sqlalchemy import select

from frontcounter.db.models import Role, Station, User
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.commands import append_audit, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import AuthenticationError, NotFound
from frontcounter.services.core.permissions import Action

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def workstation_name() -> str:
    return socket.gethostname() or "unknown"


def actor_for(user: User, station: Station | None, workstation: str) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        station_id=station.id if station else None,
        station_code=station.code if station else None,
        workstation=workstation,
    )


def sign_in(ctx: ServiceContext, username: str, password: str) -> Actor:
    """Check the password and return the Actor, or raise ``AuthenticationError``.

    The same message answers an unknown user and a wrong password, so the counter PC does not
    reveal who has an account. Every attempt is audited (without the password).
    """
    now = ctx.clock.now()
    refusal: AuthenticationError | None = None
    with ctx.write.begin() as session:
        user = session.scalars(
            select(User).where(User.username == username.strip(), User.deleted.is_(False))
        ).one_or_none()
        if user is None or not user.active:
            raise AuthenticationError("Wrong user name or password.")
        station = session.get(Station, user.station_id) if user.station_id else None
        actor = actor_for(user, station, ctx.workstation)
        if user.locked_until is not None and user.locked_until > now:
            append_audit(session, ctx, actor, category="authentication", action="sign_in",
                         record=f"user:{user.username}", outcome="denied", details={"reason": "locked"})
            minutes = max(1, math.ceil((user.locked_until - now).total_seconds() / 60))
            refusal = AuthenticationError(
                f"Too many wrong passwords: this account is locked here for {minutes} more minutes, "
                "or until an administrator unlocks it on this computer."
            )
        elif not verify_password(password, user.password_hash):
            user.failed_attempts += 1
            if user.failed_attempts >= MAX_FAILURES:
                user.locked_until = now + LOCKOUT
                user.failed_attempts = 0
            append_audit(session, ctx, actor, category="authentication", action="sign_in",
                         record=f"user:{user.username}", outcome="denied", details={"reason": "password"})
            refusal = AuthenticationError("Wrong user name or password.")
        else:
            user.failed_attempts = 0
            user.locked_until = None
            append_audit(session, ctx, actor, category="authentication", action="sign_in",
                         record=f"user:{user.username}")
    # Raised after the commit: the failure count and the audit of a refusal must be kept.
    if refusal is not None:
        raise refusal
    return actor


def unlock_account(ctx: ServiceContext, actor: Actor, username: str) -> None:
    """End a lockout on this workstation before its time (``manage_users``: an administrator).

    Lockout state never leaves the workstation, so this is no synced command: like a sign-in, it
    changes the local columns and appends its audit event in one transaction.
    """
    name = username.strip()
    record = f"user:{name[:80]}"
    guard(ctx, actor, Action.MANAGE_USERS, action="user.unlock", record=record)
    with ctx.read() as session:
        station_id = session.scalar(select(User.station_id).where(User.username == name, User.deleted.is_(False)))
        known = session.scalar(select(User.id).where(User.username == name, User.deleted.is_(False)))
    if known is None:
        raise NotFound(f"No user {name[:80]!r} here.")
    guard(ctx, actor, Action.MANAGE_USERS, station_id=station_id, action="user.unlock", record=record)
    with ctx.write.begin() as session:
        user = session.get_one(User, known)
        user.failed_attempts = 0
        user.locked_until = None
        append_audit(session, ctx, actor, category="authentication", action="user.unlock", record=record)
