"""Sign-in lockout: five wrong passwords lock the account on this workstation for 15 minutes
(the right password is refused meanwhile, with the time left); it ends by itself or when an
administrator unlocks it here; every attempt and the unlock are audited, never the password."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from frontcounter.db.models import AuditEvent, User
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.errors import AuthenticationError, NotFound, PermissionDenied
from frontcounter.services.security import auth
from tests.conftest import actor_named


def _lock_out(station: StationRuntime, username: str = "counter.HH") -> None:
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(AuthenticationError, match="Wrong user name or password"):
            auth.sign_in(station.ctx, username, "Wr0ng-Guess-731")


def test_lockout_after_five_failures_and_its_end(station: StationRuntime, clock: FixedClock) -> None:
    _lock_out(station)
    with pytest.raises(AuthenticationError, match="locked here for 15 more minutes"):
        auth.sign_in(station.ctx, "counter.HH", "demo")
    clock.advance(timedelta(minutes=14, seconds=30))
    with pytest.raises(AuthenticationError, match="locked here for 1 more minutes"):
        auth.sign_in(station.ctx, "counter.HH", "demo")
    clock.advance(timedelta(seconds=31))
    assert auth.sign_in(station.ctx, "counter.HH", "demo").username == "counter.HH"
    with station.ctx.read() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in")).all()
    assert [(e.outcome, e.details.get("reason")) for e in events] == (
        [("denied", "password")] * 5 + [("denied", "locked")] * 2 + [("success", None)])
    assert "Wr0ng-Guess-731" not in json.dumps([e.details for e in events])


def test_an_unknown_user_gets_the_same_answer(station: StationRuntime) -> None:
    with pytest.raises(AuthenticationError) as unknown:
        auth.sign_in(station.ctx, "nobody.HH", "demo")
    with pytest.raises(AuthenticationError) as wrong:
        auth.sign_in(station.ctx, "counter.HH", "nope")
    assert unknown.value.message == wrong.value.message


def test_an_administrator_unlocks_here_others_may_not(station: StationRuntime) -> None:
    _lock_out(station)
    for username in ("counter.HH", "supervisor.HH", "auditor.HH"):
        with pytest.raises(PermissionDenied):
            auth.unlock_account(station.ctx, actor_named(station, username), "counter.HH")
    with pytest.raises(AuthenticationError, match="locked"):
        auth.sign_in(station.ctx, "counter.HH", "demo")
    admin = actor_named(station, "admin.HH")
    with pytest.raises(NotFound):
        auth.unlock_account(station.ctx, admin, "nobody.HH")
    auth.unlock_account(station.ctx, admin, "counter.HH")
    assert auth.sign_in(station.ctx, "counter.HH", "demo").username == "counter.HH"
    with station.ctx.read() as s:
        unlocks = s.scalars(select(AuditEvent).where(AuditEvent.action == "user.unlock")).all()
        user = s.scalars(select(User).where(User.username == "counter.HH")).one()
    assert [(e.username, e.outcome) for e in unlocks] == [
        ("counter.HH", "denied"), ("supervisor.HH", "denied"), ("auditor.HH", "denied"), ("admin.HH", "success")]
    assert (user.failed_attempts, user.locked_until) == (0, None)


def test_passwords_are_scrypt_hashes() -> None:
    stored = auth.hash_password("Correct-Horse-9")
    assert stored.startswith("scrypt$16384$8$1$") and "Correct-Horse-9" not in stored
    assert auth.hash_password("Correct-Horse-9") != stored  # salted
    assert auth.verify_password("Correct-Horse-9", stored)
    assert not auth.verify_password("correct-horse-9", stored)
    assert not auth.verify_password("x", "md5$abc")
