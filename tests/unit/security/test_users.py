"""The administrator's users: create (must change the password at the first sign-in), disable and
enable, reset a password, unlock, change role and station; each audited and put in the outbox;
refused to anyone but an admin, and an admin cannot lock themselves out."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from frontcounter.db.models import AuditEvent, OutboxEntry, Role
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.errors import AuthenticationError, PermissionDenied, ValidationError
from frontcounter.services.security import auth, users
from tests.conftest import actor_named

TEMP = "Temporary-Pass-1"


def _audit(station: StationRuntime, action: str) -> list[AuditEvent]:
    with station.ctx.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _outbox(station: StationRuntime) -> int:
    with station.ctx.read() as s:
        return s.scalar(select(func.count()).select_from(OutboxEntry)) or 0


def test_an_admin_creates_a_user_who_must_choose_a_password(station: StationRuntime) -> None:
    admin = actor_named(station, "admin.HH")
    before = _outbox(station)
    view = users.create_user(station.ctx, admin, username="counter2.HH", display_name="Sam Clerk",
                             role=Role.COUNTER, station_code="HH", temporary_password=TEMP)
    assert (view.role, view.station_code, view.active, view.must_change_password) == (Role.COUNTER, "HH", True, True)
    assert "counter2.HH" in [u.username for u in users.list_users(station.ctx, admin)]
    assert _outbox(station) == before + 1
    [event] = _audit(station, "user.create")
    assert event.username == "admin.HH" and event.record == "user:counter2.HH" and TEMP not in str(event.details)

    clerk = auth.sign_in(station.ctx, "counter2.HH", TEMP)
    assert auth.must_change_password(station.ctx, clerk)
    with pytest.raises(ValidationError):
        auth.change_password(station.ctx, clerk, TEMP, TEMP)
    with pytest.raises(AuthenticationError):
        auth.change_password(station.ctx, clerk, "wrong-password", "My-Own-Pass-9")
    auth.change_password(station.ctx, clerk, TEMP, "My-Own-Pass-9")
    assert not auth.must_change_password(station.ctx, clerk)
    assert auth.sign_in(station.ctx, "counter2.HH", "My-Own-Pass-9").username == "counter2.HH"
    assert _audit(station, "user.change_password")


def test_disable_enable_reset_and_change_role(station: StationRuntime) -> None:
    admin = actor_named(station, "admin.HH")
    assert not users.set_active(station.ctx, admin, "counter.HH", False).active
    with pytest.raises(AuthenticationError):
        auth.sign_in(station.ctx, "counter.HH", "demo")
    assert users.set_active(station.ctx, admin, "counter.HH", True).active
    assert users.reset_password(station.ctx, admin, "counter.HH", TEMP).must_change_password
    clerk = auth.sign_in(station.ctx, "counter.HH", TEMP)
    assert auth.must_change_password(station.ctx, clerk)
    moved = users.change_role(station.ctx, admin, "counter.HH", Role.SUPERVISOR, "HH")
    assert moved.role == Role.SUPERVISOR
    for action in ("user.disable", "user.enable", "user.reset_password", "user.change_role"):
        assert [e.record for e in _audit(station, action)] == ["user:counter.HH"], action
    assert all("password" not in str(e.details) or TEMP not in str(e.details)
               for e in _audit(station, "user.reset_password"))


def test_unlock_after_a_lockout(station: StationRuntime) -> None:
    admin = actor_named(station, "admin.HH")
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(AuthenticationError):
            auth.sign_in(station.ctx, "officer.HH", "wrong")
    assert next(u for u in users.list_users(station.ctx, admin) if u.username == "officer.HH").locked_here
    auth.unlock_account(station.ctx, admin, "officer.HH")
    assert not next(u for u in users.list_users(station.ctx, admin) if u.username == "officer.HH").locked_here
    assert auth.sign_in(station.ctx, "officer.HH", "demo")
    assert _audit(station, "user.unlock")


def test_only_an_admin_and_never_against_themselves(station: StationRuntime) -> None:
    admin = actor_named(station, "admin.HH")
    supervisor = actor_named(station, "supervisor.HH")
    with pytest.raises(PermissionDenied):
        users.set_active(station.ctx, supervisor, "counter.HH", False)
    with pytest.raises(PermissionDenied):
        users.list_users(station.ctx, supervisor)
    assert [e.outcome for e in _audit(station, "user.disable")] == ["denied"]
    with pytest.raises(ValidationError):
        users.set_active(station.ctx, admin, "admin.HH", False)
    with pytest.raises(ValidationError):
        users.change_role(station.ctx, admin, "admin.HH", Role.COUNTER, "HH")
    with pytest.raises(ValidationError):
        users.reset_password(station.ctx, admin, "counter.HH", "short")
    with pytest.raises(PermissionDenied):  # another station's users are that station's admin's
        users.create_user(station.ctx, admin, username="counter9.SG", display_name="Not Here", role=Role.COUNTER,
                          station_code="SG", temporary_password=TEMP)


def test_user_changes_reach_the_centre(station: StationRuntime, clock) -> None:  # type: ignore[no-untyped-def]
    from frontcounter.db.engine import make_engine
    from frontcounter.db.models import User
    from frontcounter.runtime import embedded_central_url
    from frontcounter.services.sync.station import sync_once

    admin = actor_named(station, "admin.HH")
    users.create_user(station.ctx, admin, username="counter2.HH", display_name="Sam Clerk", role=Role.COUNTER,
                      station_code="HH", temporary_password=TEMP)
    users.set_active(station.ctx, admin, "counter.HH", False)
    central = make_engine(embedded_central_url(station.paths))
    try:
        report = sync_once(station.engine, central, "HH", clock=clock)
        assert report.rejected == 0
        with central.connect() as conn:
            rows = dict(conn.execute(select(User.username, User.active).where(
                User.username.in_(["counter2.HH", "counter.HH"]))).all())
        assert rows == {"counter2.HH": True, "counter.HH": False}
    finally:
        central.dispose()
