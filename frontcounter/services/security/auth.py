"""Sign-in: argon2id password hashes, lockout after repeated failures, the Actor for a session.

The cache's password hashes are the offline sign-in, and the cache file can be copied off the
counter PC, so each guess must cost: argon2id at OWASP's recommended setting (19 MiB, 2 passes,
one lane: about 0.1 s on a counter PC, where scrypt at N=2^17 took over two seconds). Older scrypt hashes (N=2^14) still verify until the user's next
password change. An unknown user name is checked against a dummy hash of the same cost, so the
time a refusal takes does not tell which accounts exist; every refusal is audited with the name
as typed (trimmed, truncated). Lockout state is per workstation (never synced).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import logging
import math
import os
import socket
import uuid
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from frontcounter.db.models import AuditEvent, Role, Station, User
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.commands import append_audit, audit, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import AuthenticationError, NotFound
from frontcounter.services.core.permissions import Action
from frontcounter.services.core.reseal import reseal_station
from frontcounter.services.core.sealing import SessionKey, may_hold_key, new_key_pair, rewrap, unwrap_private

logger = logging.getLogger(__name__)

#: OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1. A stored hash carries its
#: own parameters, so raising these later still verifies the older hashes.
PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
#: The legacy scheme, still verified: hashes written before issue 21.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
#: How much of a typed, unknown user name the audit keeps.
TYPED_NAME_LIMIT = 80


def hash_password(password: str, *, hasher: PasswordHasher = PASSWORD_HASHER) -> str:
    """A new argon2id hash. ``hasher`` lets a test use a cheaper profile; production never passes it."""
    return hasher.hash(password)


def verify_password(password: str, stored: str) -> bool:
    if not stored:
        # Another station's FCR user, held only for their public key (sync/reader_keys.py): no
        # sign-in here, in the time a real check takes.
        verify_password(password, _dummy_hash())
        return False
    if stored.startswith("$argon2"):
        try:
            return PASSWORD_HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
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


@cache
def _dummy_hash() -> str:
    """A hash nobody knows the password of, at the production cost, made once per process."""
    return hash_password(os.urandom(24).hex())


def _audit_refused_name(session: Session, ctx: ServiceContext, typed: str, reason: str) -> None:
    """A denied sign-in for a name that is no account here (unknown, mis-cased, inactive).

    There is no Actor to name, so the row carries the name as typed (trimmed, truncated: it may
    be a password typed into the wrong box, so it is kept short) and the role ``unknown``.
    """
    name = typed.strip()[:TYPED_NAME_LIMIT]
    seq = session.scalar(select(AuditEvent.local_seq).order_by(AuditEvent.local_seq.desc()).limit(1)) or 0
    session.add(AuditEvent(
        id=uuid.uuid4(), local_seq=int(seq) + 1, at=ctx.clock.now(), username=name, role="unknown",
        station_code=ctx.station_code, workstation=ctx.workstation, category="authentication",
        action="sign_in", record=f"user:{name}", outcome="denied", details={"reason": reason},
    ))


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
    reveal who has an account, nor does the time it takes. Every attempt is audited (without the
    password), an unknown name too.
    """
    actor: Actor | None
    refusal: AuthenticationError | None
    with ctx.write.begin() as session:
        user = session.scalars(
            select(User).where(User.username == username.strip(), User.deleted.is_(False))
        ).one_or_none()
        if user is None or not user.active:
            verify_password(password, _dummy_hash())  # the same time as a real account's check
            _audit_refused_name(session, ctx, username, "unknown user" if user is None else "inactive")
            actor, refusal = None, AuthenticationError("Wrong user name or password.")
        else:
            actor, refusal = _check_account(session, ctx, user, password)
    # Raised after the commit: the failure count and the audit of a refusal must be kept.
    if refusal is not None or actor is None:
        raise refusal or AuthenticationError("Wrong user name or password.")
    return open_session_key(ctx, actor, password)


#: Rows a sign-in re-seals before it returns (the soonest first): enough for any ordinary change of
#: colleagues, bounded so an upgraded cache with years of history in clear still signs in at once.
SIGN_IN_RESEAL_ROWS = 1000


def open_session_key(ctx: ServiceContext, actor: Actor, password: str) -> Actor:
    """The actor with their private key unwrapped (readers only), after a good password.

    A reader with no key pair yet (a new role, a reset by an admin, a cache from before the
    upgrade) gets one now, wrapped by the password just typed; then the re-seal pass shares the
    station's rows with colleagues whose key is new. A counter user's session never holds a key.
    """
    if not may_hold_key(actor.role):
        return actor
    with ctx.read() as session:
        wrapped = session.scalar(select(User.wrapped_private_key).where(User.id == actor.user_id))
    key = unwrap_private(actor.user_id, wrapped, password)
    if key is None:
        key = _issue_key_pair(ctx, actor, password)
    actor = dataclasses.replace(actor, key=key)
    try:
        reseal_station(ctx, actor, limit=SIGN_IN_RESEAL_ROWS)
    except Exception:  # sharing rows with colleagues must never stop this user signing in
        logger.exception("re-sealing rows at sign-in failed")
    return actor


def _issue_key_pair(ctx: ServiceContext, actor: Actor, password: str) -> SessionKey:
    """A new key pair for a reader who has none their password opens (synced like any change)."""
    from frontcounter.services.core.commands import command

    key, public, wrapped = new_key_pair(actor.user_id, password)
    with command(ctx, actor, category="authentication", action="user.key_pair", record=f"user:{actor.username}",
                 details={"reason": "new key pair"}) as scope:
        user = scope.session.get_one(User, actor.user_id)
        base = user.version
        user.public_key, user.wrapped_private_key = public, wrapped
        scope.changed(user, "user.key_pair", base_version=base,
                      changes={"public_key": public, "wrapped_private_key": wrapped})
    return key


def _check_account(session: Session, ctx: ServiceContext, user: User,
                   password: str) -> tuple[Actor, AuthenticationError | None]:
    """Lockout, password, failure count and the audit row for a known, active account."""
    now = ctx.clock.now()
    station = session.get(Station, user.station_id) if user.station_id else None
    actor = actor_for(user, station, ctx.workstation)
    if user.locked_until is not None and user.locked_until > now:
        append_audit(session, ctx, actor, category="authentication", action="sign_in",
                     record=f"user:{user.username}", outcome="denied", details={"reason": "locked"})
        minutes = max(1, math.ceil((user.locked_until - now).total_seconds() / 60))
        return actor, AuthenticationError(
            f"Too many wrong passwords: this account is locked here for {minutes} more minutes, "
            "or until an administrator unlocks it on this computer."
        )
    if not verify_password(password, user.password_hash):
        user.failed_attempts += 1
        if user.failed_attempts >= MAX_FAILURES:
            user.locked_until = now + LOCKOUT
            user.failed_attempts = 0
        append_audit(session, ctx, actor, category="authentication", action="sign_in",
                     record=f"user:{user.username}", outcome="denied", details={"reason": "password"})
        return actor, AuthenticationError("Wrong user name or password.")
    user.failed_attempts = 0
    user.locked_until = None
    append_audit(session, ctx, actor, category="authentication", action="sign_in", record=f"user:{user.username}")
    return actor, None


def sign_out(ctx: ServiceContext, actor: Actor, *, reason: str = "sign_out") -> None:
    """Audit the end of a session (Sign out, or closing the app signed in)."""
    audit(ctx, actor, category="authentication", action="sign_out", record=f"user:{actor.username}",
          details={"reason": reason})


def record_user_switch(ctx: ServiceContext, previous: Actor, new: Actor) -> None:
    """Audit a switch of user at one counter: the previous session ends, the next one began.

    The new user's sign-in has its own row (``sign_in``); this one ties the two together, under
    the previous user, whose session it ends.
    """
    audit(ctx, previous, category="authentication", action="user.switch", record=f"user:{previous.username}",
          details={"to": new.username})


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


def must_change_password(ctx: ServiceContext, actor: Actor) -> bool:
    """True when the signed-in user still has a temporary password (new, or reset by an admin)."""
    with ctx.read() as session:
        return bool(session.scalar(select(User.must_change_password).where(User.id == actor.user_id)))


def change_password(ctx: ServiceContext, actor: Actor, current: str, new: str) -> None:
    """The user chooses their own password (required after a reset); audited, never the values."""
    from frontcounter.services.core.commands import command
    from frontcounter.services.core.errors import ValidationError

    if len(new) < 8:
        raise ValidationError("A password needs at least 8 characters.")
    if new == current:
        raise ValidationError("Choose a password different from the temporary one.")
    with ctx.read() as session:
        stored, wrapped = session.execute(select(User.password_hash, User.wrapped_private_key)
                                          .where(User.id == actor.user_id)).one_or_none() or (None, None)
    if stored is None or not verify_password(current, stored):
        raise AuthenticationError("The current password is not right.")
    new_hash = hash_password(new)
    changes: dict[str, object] = {"password_hash": new_hash, "must_change_password": False}
    key = None
    if may_hold_key(actor.role):
        # The same private key, wrapped by the new password: the user keeps every row sealed to them.
        key = unwrap_private(actor.user_id, wrapped, current) or actor.key
        if key is None:
            key, changes["public_key"], changes["wrapped_private_key"] = new_key_pair(actor.user_id, new)
        else:
            changes["public_key"], changes["wrapped_private_key"] = key.public_b64, rewrap(key, new)
    with command(ctx, actor, category="authentication", action="user.change_password",
                 record=f"user:{actor.username}") as scope:
        user = scope.session.get_one(User, actor.user_id)
        base = user.version
        for name, value in changes.items():
            setattr(user, name, value)
        scope.changed(user, "user.change_password", base_version=base, changes=changes)
