"""The administrator's users: create, disable and enable, reset a password, change role and station.

Each change is a command (DESIGN 2): one transaction with the row, its audit event (who did what to
whom; never a password or its hash) and an outbox entry, so the centre and every station learn of
it. A reset password is temporary: the user must choose their own at the next sign-in
(``auth.change_password``). An admin acts on their own station's users and can never disable
themselves or take away their own admin role (the counter would be left with nobody to undo it).
Unlocking a lockout stays ``auth.unlock_account``: lockouts belong to one workstation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontcounter.db.models import Role, Station, User
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.commands import command, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import NotFound, ValidationError
from frontcounter.services.core.permissions import Action
from frontcounter.services.security.auth import hash_password

#: The shortest temporary or chosen password accepted.
MIN_PASSWORD = 8


@dataclass(frozen=True, slots=True)
class UserView:
    username: str
    display_name: str
    role: Role
    station_code: str | None
    active: bool
    must_change_password: bool
    locked_here: bool


def _view(user: User, station_codes: dict[uuid.UUID, str], now: datetime) -> UserView:
    return UserView(user.username, user.display_name, Role(user.role),
                    station_codes.get(user.station_id) if user.station_id else None, user.active,
                    user.must_change_password, user.locked_until is not None and user.locked_until > now)


def _codes(session: Session) -> dict[uuid.UUID, str]:
    return {station_id: code for station_id, code in session.execute(select(Station.id, Station.code))}


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"A password needs at least {MIN_PASSWORD} characters.")


def list_users(ctx: ServiceContext, actor: Actor) -> list[UserView]:
    """The users of the admin's station, by name (a consultation of who may sign in here)."""
    guard(ctx, actor, Action.MANAGE_USERS, station_id=actor.station_id, action="user.list",
          record=f"station:{actor.station_code}")
    now = ctx.clock.now()
    with ctx.read() as session:
        rows = session.scalars(select(User).where(User.deleted.is_(False), User.station_id == actor.station_id)
                               .order_by(User.username)).all()
        codes = _codes(session)
        return [_view(u, codes, now) for u in rows]


def _station_id(session: Session, code: str) -> uuid.UUID:
    found = session.scalar(select(Station.id).where(Station.code == code.strip().upper()))
    if found is None:
        raise NotFound(f"No station {code[:8]!r}.")
    return found


def _user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username.strip(), User.deleted.is_(False))
                           ).one_or_none()
    if user is None:
        raise NotFound(f"No user {username.strip()[:80]!r}.")
    return user


def _guard_user(ctx: ServiceContext, actor: Actor, username: str, action: str) -> None:
    record = f"user:{username.strip()[:80]}"
    guard(ctx, actor, Action.MANAGE_USERS, action=action, record=record)
    with ctx.read() as session:
        station_id = _user(session, username).station_id
    guard(ctx, actor, Action.MANAGE_USERS, station_id=station_id, action=action, record=record)


def create_user(ctx: ServiceContext, actor: Actor, *, username: str, display_name: str, role: Role,
                station_code: str, temporary_password: str) -> UserView:
    """A new user, who must choose their own password at the first sign-in."""
    name = username.strip()
    if not name or " " in name or len(name) > 80:
        raise ValidationError("A user name is one word of up to 80 characters, e.g. counter2.HH.")
    if not display_name.strip():
        raise ValidationError("Give the user's name as colleagues know it.")
    check_password(temporary_password)
    with ctx.read() as session:
        station_id = _station_id(session, station_code)
        taken = session.scalar(select(User.id).where(User.username == name))
    guard(ctx, actor, Action.MANAGE_USERS, station_id=station_id, action="user.create", record=f"user:{name}")
    if taken is not None:
        raise ValidationError(f"There is already a user {name!r}.")
    password_hash = hash_password(temporary_password)  # slow by design: before the transaction
    with command(ctx, actor, category="collection", action="user.create", record=f"user:{name}",
                 details={"role": role.value, "station": station_code.upper()}) as scope:
        user = User(id=uuid.uuid4(), username=name, display_name=display_name.strip(), role=role.value,
                    station_id=station_id, password_hash=password_hash, must_change_password=True, active=True,
                    failed_attempts=0, version=0, deleted=False)
        scope.session.add(user)
        scope.changed(user, "user.create", base_version=0, created=True)
        return _view(user, _codes(scope.session), scope.now)


def _update(ctx: ServiceContext, actor: Actor, username: str, action: str, details: dict[str, object],
            **values: object) -> UserView:
    _guard_user(ctx, actor, username, action)
    with command(ctx, actor, category="alteration", action=action, record=f"user:{username.strip()[:80]}",
                 details=details) as scope:
        user = _user(scope.session, username)
        base = user.version
        for key, value in values.items():
            setattr(user, key, value)
        scope.changed(user, action, base_version=base, changes=values)
        return _view(user, _codes(scope.session), scope.now)


def set_active(ctx: ServiceContext, actor: Actor, username: str, active: bool) -> UserView:
    """Disable (no more sign-ins anywhere) or enable a user again."""
    if not active and username.strip() == actor.username:
        raise ValidationError("You cannot disable your own account.")
    return _update(ctx, actor, username, "user.enable" if active else "user.disable", {}, active=active)


def reset_password(ctx: ServiceContext, actor: Actor, username: str, temporary_password: str) -> UserView:
    """A temporary password; the user must change it at the next sign-in. Never audited itself."""
    check_password(temporary_password)
    password_hash = hash_password(temporary_password)
    # The old private key was wrapped by the forgotten password: nobody can open it again. The
    # user gets a new key pair at their next sign-in (wrapped by what they type then); rows
    # sealed to the old one are re-shared by the next colleague who can read them (core/reseal).
    return _update(ctx, actor, username, "user.reset_password", {}, password_hash=password_hash,
                   must_change_password=True, public_key=None, wrapped_private_key=None)


def change_role(ctx: ServiceContext, actor: Actor, username: str, role: Role, station_code: str) -> UserView:
    """Another role or station for the user (from their next sign-in)."""
    if username.strip() == actor.username and role != Role(actor.role):
        raise ValidationError("You cannot change your own role; ask another administrator.")
    with ctx.read() as session:
        station_id = _station_id(session, station_code)
    guard(ctx, actor, Action.MANAGE_USERS, station_id=station_id, action="user.change_role",
          record=f"user:{username.strip()[:80]}")
    return _update(ctx, actor, username, "user.change_role", {"role": role.value, "station": station_code.upper()},
                   role=role.value, station_id=station_id)
