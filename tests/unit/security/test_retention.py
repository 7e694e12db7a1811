"""Retention: personal data past its period is erased field by field, at the station through the
outbox and at the centre through new versions that every station cache pulls; each erasure is
audited without the erased values; only admin may run it."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from frontcounter.cli.main import main as cli_main
from frontcounter.config import Settings, load_settings, save_settings
from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.models import Appointment, AuditEvent, FollowUp, OutboxEntry, Role
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import PermissionDenied, ValidationError
from frontcounter.services.security import retention
from frontcounter.services.security.auth import actor_for
from frontcounter.services.security.retention import PERSONAL_FIELDS, RetentionPolicy
from frontcounter.services.sync import pull as sync_pull
from tests.conftest import actor_named

#: Runs again under shifted wall clocks in CI (scripts/test-any-date.sh -m wallclock).
pytestmark = pytest.mark.wallclock

SHORT = RetentionPolicy(personal_data_days=1, closed_follow_up_days=1, audit_days=30)


@pytest.fixture
def admin(station: StationRuntime) -> Actor:
    return actor_named(station, "admin.HH")


def _personal_values(row: Appointment) -> list[object]:
    return [getattr(row, name) for name in PERSONAL_FIELDS]


def _erased(row: Appointment) -> bool:
    return row.purged_at is not None and all(
        getattr(row, name) == value for name, value in PERSONAL_FIELDS.items()
    )


def _open_follow_up_ids(runtime: StationRuntime) -> set[uuid.UUID]:
    with runtime.ctx.read() as s:
        return set(s.scalars(select(FollowUp.appointment_id).where(FollowUp.status == "open")))


def test_station_purge_erases_personal_fields_audits_and_queues_one_op_each(
    station: StationRuntime, admin: Actor, clock: FixedClock
) -> None:
    clock.advance(timedelta(days=10))  # every demo appointment ended more than a day ago
    with station.ctx.read() as s:
        before = {a.id: a for a in s.scalars(select(Appointment))}
    held_ids = _open_follow_up_ids(station)
    names = {a.visitor_name for a in before.values() if a.visitor_name}

    result = retention.purge(station.ctx, admin, SHORT)

    assert result.appointments == len(before) - len(held_ids & before.keys())
    assert result.held == len(held_ids & before.keys()) > 0
    with station.ctx.read() as s:
        after = {a.id: a for a in s.scalars(select(Appointment))}
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "appointment.purge")).all()
        entries = s.scalars(select(OutboxEntry).where(OutboxEntry.op_type == "appointment.purge")).all()
        run = s.scalars(select(AuditEvent).where(AuditEvent.action == retention.RUN_ACTION)).one()
    for appointment_id, row in after.items():
        if appointment_id in held_ids:
            assert row.purged_at is None and row.visitor_name == before[appointment_id].visitor_name
        else:
            assert _erased(row), row.reference
            # What is not personal stays, so reports still count the appointment.
            assert row.reference == before[appointment_id].reference and row.status == before[appointment_id].status
    assert len(events) == len(entries) == result.appointments
    assert {e.record for e in events} == {f"appointment:{a.reference}" for a in after.values() if a.purged_at}
    assert all(e.category == "erasure" and e.outcome == "success" and e.username == "admin.HH" for e in events)
    # The audit records the erasure, never the erased values.
    dumped = json.dumps([e.details for e in events] + [run.details], ensure_ascii=False)
    assert not any(name in dumped for name in names)
    assert run.details["appointments"] == result.appointments
    # Each outbox entry is a plain per-field update the centre's generic merge applies.
    entry = entries[0]
    assert entry.entity == "appointments" and entry.payload["created"] is False
    row = entry.payload["row"]
    assert row["visitor_name"] is None and row["vulnerability_flags"] == [] and row["purged_at"]
    assert set(PERSONAL_FIELDS) <= set(row)


def test_purge_is_idempotent_and_leaves_recent_data(station: StationRuntime, admin: Actor, clock: FixedClock) -> None:
    first = retention.purge(station.ctx, admin, SHORT)  # "now" is the demo's evening: today's data stays
    with station.ctx.read() as s:
        recent = s.scalar(select(func.count()).select_from(Appointment).where(
            Appointment.end_at >= clock.now() - timedelta(days=1), Appointment.purged_at.is_(None)))
    assert recent and recent > 0
    second = retention.purge(station.ctx, admin, SHORT)
    assert first.appointments > 0 and second.appointments == 0


@pytest.mark.parametrize("username", ["counter.HH", "officer.HH", "supervisor.HH", "fcr.HH", "auditor.HH"])
def test_only_admin_may_purge_and_refusals_are_audited(station: StationRuntime, username: str) -> None:
    actor = actor_named(station, username)
    with pytest.raises(PermissionDenied):
        retention.purge(station.ctx, actor, SHORT)
    with station.ctx.read() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
        purged = s.scalar(select(func.count()).select_from(Appointment).where(Appointment.purged_at.is_not(None)))
    assert event is not None
    assert (event.username, event.action, event.outcome) == (username, "retention.purge", "denied")
    assert purged == 0


def test_closed_follow_up_notes_are_erased_open_ones_kept(
    station: StationRuntime, admin: Actor, clock: FixedClock
) -> None:
    with station.ctx.write.begin() as s:
        follow_ups = s.scalars(select(FollowUp).order_by(FollowUp.id)).all()
        assert len(follow_ups) >= 2
        closed, still_open = follow_ups[0], follow_ups[1]
        closed.status, closed.closed_at, closed.note = "done", clock.now() - timedelta(days=3), "Spoke to Ms X at home"
        still_open.status, still_open.note = "open", "Try again Thursday"
        closed_id, open_id = closed.id, still_open.id
    result = retention.purge(station.ctx, admin, SHORT)
    assert result.follow_ups == 1
    with station.ctx.read() as s:
        assert s.get(FollowUp, closed_id).note is None
        assert s.get(FollowUp, open_id).note == "Try again Thursday"
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "follow_up.purge")).one()
    assert event.record == f"follow_up:{closed_id}" and "Ms X" not in json.dumps(event.details)


def test_answered_outbox_payloads_are_scrubbed_pending_ones_kept(
    station: StationRuntime, admin: Actor, clock: FixedClock
) -> None:
    retention.purge(station.ctx, admin, SHORT)
    with station.ctx.write.begin() as s:
        s.execute(update(OutboxEntry).values(state="applied"))
    clock.advance(timedelta(days=2))
    result = retention.purge(station.ctx, admin, SHORT)
    with station.ctx.read() as s:
        payloads = s.scalars(select(OutboxEntry.payload).where(OutboxEntry.state == "applied")).all()
        pending = s.scalars(select(OutboxEntry.payload).where(OutboxEntry.state == "pending")).all()
    assert result.outbox_scrubbed == len(payloads) > 0
    assert all(p == {"scrubbed": True} for p in payloads)
    assert pending and all(p != {"scrubbed": True} for p in pending)


def _central(demo_dir: Path, clock: FixedClock) -> ServiceContext:
    engine = make_engine(sqlite_url(Paths.resolve(demo_dir).embedded_central_db))
    return ServiceContext(engine=engine, clock=clock, station_code=None, mode="central", workstation="test-centre")


def test_central_purge_reaches_every_station_cache_by_pull(
    demo_dir: Path, station: StationRuntime, clock: FixedClock, tmp_path: Path
) -> None:
    central = _central(demo_dir, clock)
    try:
        with central.read() as s:
            from frontcounter.db.models import Station, User

            user = s.scalars(select(User).where(User.username == "admin.SG")).one()
            admin = actor_for(user, s.get(Station, user.station_id), central.workstation)
            top_before = s.scalar(select(func.max(Appointment.version)))
            stations = s.scalar(select(func.count(func.distinct(Appointment.station_id))))
        clock.advance(timedelta(days=10))
        result = retention.purge(central, admin, SHORT)
        with central.read() as s:
            rows = s.scalars(select(Appointment)).all()
            erased = [a for a in rows if a.purged_at is not None]
            assert len(erased) == result.appointments and stations and stations > 1
            # Every erasure took a central version after everything already pulled.
            assert all(a.version > (top_before or 0) for a in erased)
            assert {a.station_id for a in erased} and len({a.station_id for a in erased}) == stations
            assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 0  # the centre has no outbox
        # The HH cache (pulled before the purge) receives the erasure with its next pull.
        with station.ctx.read() as s:
            assert s.scalar(select(func.count()).select_from(Appointment).where(Appointment.purged_at.is_not(None))) == 0
        sync_pull.pull(central.engine, station.engine, "HH")
        with station.ctx.read() as s:
            local_rows = {a.id: a for a in s.scalars(select(Appointment))}
        central_hh = {a.id: a for a in erased if a.id in local_rows}
        assert central_hh
        for appointment_id in central_hh:
            assert _erased(local_rows[appointment_id])
    finally:
        central.engine.dispose()


def test_purge_if_due_runs_once_a_day(station: StationRuntime, admin: Actor, clock: FixedClock) -> None:
    assert retention.last_run(station.ctx) is None
    assert retention.purge_if_due(station.ctx, admin, SHORT) is not None
    clock.advance(timedelta(hours=23))
    assert retention.purge_if_due(station.ctx, admin, SHORT) is None
    clock.advance(timedelta(hours=2))
    assert retention.purge_if_due(station.ctx, admin, SHORT) is not None
    assert retention.last_run(station.ctx) == clock.now()


def test_system_actor_is_named_as_such_in_the_audit(station: StationRuntime) -> None:
    actor = retention.system_actor(station.ctx)
    assert actor.role is Role.ADMIN and actor.username == "system.retention"
    retention.purge(station.ctx, actor, SHORT)
    with station.ctx.read() as s:
        run = s.scalars(select(AuditEvent).where(AuditEvent.action == retention.RUN_ACTION)).one()
    assert run.username == "system.retention"


def test_policy_is_validated_and_configurable(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        RetentionPolicy(personal_data_days=0)
    with pytest.raises(ValidationError):
        RetentionPolicy(personal_data_days=400, audit_days=300)
    settings = Settings(retention_days_personal=90, retention_days_closed_follow_ups=30, retention_days_audit=2200)
    save_settings(tmp_path / "config.json", settings)
    assert load_settings(tmp_path / "config.json").retention() == RetentionPolicy(90, 30, 2200)
    assert Settings().retention().audit_days >= 6 * 365


def test_cli_purge(demo_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    paths = Paths.resolve(demo_dir)
    settings = load_settings(paths.config_file)
    settings.retention_days_personal = settings.retention_days_closed_follow_ups = 1
    save_settings(paths.config_file, settings)
    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")
    assert cli_main(["--data-dir", str(demo_dir), "--user", "counter.HH", "purge"]) == 1
    assert "may not purge" in capsys.readouterr().err
    assert cli_main(["--data-dir", str(demo_dir), "--user", "admin.HH", "purge"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Erased personal data from ")
    assert cli_main(["--data-dir", str(demo_dir), "--user", "admin.HH", "purge", "--if-due"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    engine = make_engine(sqlite_url(paths.station_db))
    try:
        with engine.connect() as c:
            actions = [r[0] for r in c.execute(select(AuditEvent.action, AuditEvent.outcome).where(
                AuditEvent.action.in_(("retention.purge", retention.RUN_ACTION))).order_by(AuditEvent.local_seq))]
    finally:
        engine.dispose()
    assert actions == ["retention.purge", retention.RUN_ACTION]


def test_cli_purge_at_the_centre(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = Paths.resolve(demo_dir)
    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")
    url = sqlite_url(paths.embedded_central_db)
    assert cli_main(["--data-dir", str(demo_dir), "--central", url, "--user", "admin.WD", "purge"]) == 0
    assert "Erased personal data" in capsys.readouterr().out
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            run = c.execute(select(AuditEvent.username, AuditEvent.station_code).where(
                AuditEvent.action == retention.RUN_ACTION)).one()
    finally:
        engine.dispose()
    assert tuple(run) == ("admin.WD", "WD")
