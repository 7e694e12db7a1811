"""Row-level security on the real PostgreSQL: a station's database role reads and writes only its
own station's rows, the FCR's role sees all, and the audit log is insert-only for both.

Each test connects as the login roles themselves (separate connections, as a station would), not
as a superuser pretending.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, ProgrammingError

from frontcounter.db import rls
from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.migrate import upgrade
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.demo.seed import seed_central
from frontcounter.services.sync import pull as sync_pull
from tests.conftest import DEMO_NOW

pytestmark = pytest.mark.postgres


@dataclass
class Centre:
    url: str
    owner: Engine
    hh: Engine
    sg: Engine
    fcr: Engine
    roles: tuple[str, str, str]

    def station_id(self, code: str) -> uuid.UUID:
        with self.owner.connect() as c:
            return c.execute(text("SELECT id FROM stations WHERE code = :c"), {"c": code}).scalar_one()


def _as(url: str, role: str) -> Engine:
    return create_engine(make_url(url).set(username=role, password="not-checked-under-trust"),
                         connect_args={"connect_timeout": 10})


@pytest.fixture
def centre(pg_url: str) -> Iterator[Centre]:
    owner = make_engine(pg_url)
    upgrade(owner)
    seed_central(owner, FixedClock(DEMO_NOW))
    rls.install_row_level_security(owner)
    tag = uuid.uuid4().hex[:8]  # login roles are cluster-wide: one set per test
    hh = rls.create_station_role(owner, "HH", "hh-secret", role=f"fc_t{tag}_hh")
    sg = rls.create_station_role(owner, "SG", "sg-secret", role=f"fc_t{tag}_sg")
    fcr = rls.create_fcr_role(owner, f"fc_t{tag}_fcr", "fcr-secret")
    engines = {name: _as(pg_url, name) for name in (hh, sg, fcr)}
    try:
        yield Centre(pg_url, owner, engines[hh], engines[sg], engines[fcr], (hh, sg, fcr))
    finally:
        for engine in engines.values():
            engine.dispose()
        with owner.begin() as c:
            for role in (hh, sg, fcr):
                c.execute(text(f'DROP OWNED BY "{role}"'))
                c.execute(text(f'DROP ROLE "{role}"'))
        owner.dispose()


def _count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as c:
        return int(c.execute(text(sql), params).scalar_one())


def test_a_station_role_reads_only_its_own_station_rows(centre: Centre) -> None:
    hh, sg = centre.station_id("HH"), centre.station_id("SG")
    for table in rls.STATION_TABLES:
        total = _count(centre.owner, f"SELECT count(*) FROM {table}")
        own = _count(centre.owner, f"SELECT count(*) FROM {table} WHERE station_id = :s", s=hh)
        assert _count(centre.hh, f"SELECT count(*) FROM {table}") == own, table
        assert _count(centre.hh, f"SELECT count(*) FROM {table} WHERE station_id = :s", s=sg) == 0, table
        assert _count(centre.fcr, f"SELECT count(*) FROM {table}") == total, table
    assert _count(centre.owner, "SELECT count(*) FROM appointments WHERE station_id = :s", s=sg) > 0
    # Reference data is shared: a visitor may be sent to another station.
    assert _count(centre.hh, "SELECT count(*) FROM stations") == 11
    assert _count(centre.hh, "SELECT count(*) FROM rooms WHERE station_id = :s", s=sg) > 0


def test_a_station_role_cannot_write_another_stations_rows(centre: Centre) -> None:
    sg = centre.station_id("SG")
    with centre.owner.connect() as c:
        sg_appt = c.execute(text("SELECT id, reference FROM appointments WHERE station_id = :s LIMIT 1"),
                            {"s": sg}).one()
        hh_appt = c.execute(text("SELECT id FROM appointments WHERE station_id = :s LIMIT 1"),
                            {"s": centre.station_id("HH")}).scalar_one()
        sg_room = c.execute(text("SELECT id FROM rooms WHERE station_id = :s LIMIT 1"), {"s": sg}).scalar_one()
    with centre.hh.begin() as c:  # invisible rows are simply not updated
        changed = c.execute(text("UPDATE appointments SET visitor_name = 'x' WHERE id = :i"), {"i": sg_appt.id})
        assert changed.rowcount == 0
        changed = c.execute(text("UPDATE rooms SET name = 'x' WHERE id = :i"), {"i": sg_room})
        assert changed.rowcount == 0
    # Moving its own appointment to another station is refused, as is creating one there.
    with pytest.raises(ProgrammingError, match="row-level security"), centre.hh.begin() as c:
        c.execute(text("UPDATE appointments SET station_id = :s WHERE id = :i"), {"s": sg, "i": hh_appt})
    with pytest.raises(ProgrammingError, match="row-level security"), centre.hh.begin() as c:
        c.execute(text("""
            INSERT INTO users (id, version, deleted, username, display_name, role, station_id, password_hash,
                               must_change_password, active, failed_attempts)
            VALUES (:i, 0, false, 'intruder', 'Intruder', 'admin', :s, 'x', false, true, 0)
        """), {"i": uuid.uuid4(), "s": sg})
    with pytest.raises(ProgrammingError, match="permission denied"), centre.hh.begin() as c:
        c.execute(text("DELETE FROM appointments WHERE id = :i"), {"i": hh_appt})
    with pytest.raises(ProgrammingError, match="permission denied"), centre.hh.begin() as c:
        c.execute(text("SELECT * FROM frontcounter_security.station_roles"))
    with pytest.raises(ProgrammingError, match="permission denied"), centre.hh.begin() as c:
        c.execute(text("INSERT INTO frontcounter_security.station_roles VALUES (current_user, :s)"), {"s": sg})
    # Its own rows it may change; the FCR may change anyone's.
    with centre.hh.begin() as c:
        assert c.execute(text("UPDATE appointments SET at_risk = true WHERE id = :i"), {"i": hh_appt}).rowcount == 1
    with centre.fcr.begin() as c:
        assert c.execute(text("UPDATE appointments SET at_risk = true WHERE id = :i"), {"i": sg_appt.id}).rowcount == 1
    # A visitor at the wrong counter: HH learns where and when, nothing more.
    with centre.hh.connect() as c:
        found = c.execute(text("SELECT * FROM frontcounter_security.locate_appointment(:r)"),
                          {"r": sg_appt.reference}).one()
    assert (found.reference, found.station_code) == (sg_appt.reference, "SG")
    assert set(found._mapping) == {"reference", "station_code", "station_name", "start_at"}


def _audit_insert(c, code: str) -> None:  # type: ignore[no-untyped-def]
    c.execute(text("""
        INSERT INTO audit_events (id, local_seq, at, username, role, station_code, workstation, category, action,
                                  record, outcome, details)
        VALUES (:i, 1, now(), 'counter.x', 'counter', :c, 'ws', 'consultation', 'test', NULL, 'success', '{}')
    """), {"i": uuid.uuid4(), "c": code})


def test_the_audit_log_is_insert_only_and_station_scoped(centre: Centre) -> None:
    with centre.hh.begin() as c:
        _audit_insert(c, "HH")
    with centre.sg.begin() as c:
        _audit_insert(c, "SG")
    with pytest.raises(ProgrammingError, match="row-level security"), centre.hh.begin() as c:
        _audit_insert(c, "SG")  # no forging another station's log
    assert _count(centre.hh, "SELECT count(*) FROM audit_events") == 1
    assert _count(centre.fcr, "SELECT count(*) FROM audit_events") == 2
    for engine in (centre.hh, centre.fcr):
        for sql in ("UPDATE audit_events SET outcome = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"):
            with pytest.raises(ProgrammingError, match="permission denied"), engine.begin() as c:
                c.execute(text(sql))
    # Even the owner, who bypasses row security, meets the append-only trigger.
    for sql in ("UPDATE audit_events SET outcome = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), centre.owner.begin() as c:
            c.execute(text(sql))
    assert _count(centre.owner, "SELECT count(*) FROM audit_events") == 2


def test_a_real_pull_as_the_station_role_brings_only_its_station(centre: Centre, tmp_path: Path) -> None:
    local = make_engine(sqlite_url(tmp_path / "station.sqlite"))
    try:
        upgrade(local)
        result = sync_pull.pull(centre.hh, local, "HH")
        assert result.total > 0
        hh = centre.station_id("HH")
        with local.connect() as c:
            stations = c.execute(text("SELECT DISTINCT station_id FROM appointments")).scalars().all()
            assert [uuid.UUID(str(s)) if not isinstance(s, uuid.UUID) else s for s in stations] in ([hh], [hh.hex])
            assert c.execute(text("SELECT count(*) FROM stations")).scalar_one() == 11
        # A pull as SG's role for HH's scope brings none of HH's appointments.
        other = make_engine(sqlite_url(tmp_path / "other.sqlite"))
        upgrade(other)
        stolen = sync_pull.pull(centre.sg, other, "HH")
        assert stolen.rows.get("appointments", 0) == 0 and stolen.rows.get("users", 0) == 0
        other.dispose()
    finally:
        local.dispose()


def test_install_and_role_creation_are_idempotent(centre: Centre) -> None:
    rls.install_row_level_security(centre.owner)
    rls.install_row_level_security(centre.owner)
    hh, sg, fcr = centre.roles
    assert rls.create_station_role(centre.owner, "HH", "new-secret", role=hh) == hh
    # Re-pointing a role moves it, and an FCR role made from a station role loses the station.
    rls.create_station_role(centre.owner, "WD", None, role=sg)
    wd = centre.station_id("WD")
    with centre.sg.connect() as c:
        assert {r for (r,) in c.execute(text("SELECT DISTINCT station_id FROM appointments"))} == {wd}
    rls.create_fcr_role(centre.owner, sg, "x")
    with centre.owner.connect() as c:
        groups = set(c.execute(text(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :r"), {"r": sg}).scalars())
        verifier = c.execute(text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": hh}).scalar_one()
    assert groups == {rls.FCR_GROUP}
    assert verifier.startswith("SCRAM-SHA-256$") and "new-secret" not in verifier
    with pytest.raises(rls.RowSecurityError):
        rls.create_station_role(centre.owner, "XX", "x", role=hh)
    with pytest.raises(rls.RowSecurityError):
        rls.create_fcr_role(centre.owner, 'bad"name', "x")


def test_row_security_ignores_sqlite(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "c.sqlite"))
    rls.install_row_level_security(engine)  # a no-op, not an error
    engine.dispose()


def test_cli_db_upgrade_installs_row_security_and_keeps_the_password_out_of_config(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: object
) -> None:
    import json

    from frontcounter.cli.main import main as cli_main

    data = tmp_path / "station"
    with_password = make_url(pg_url).set(password="Centr4l-Pa55").render_as_string(hide_password=False)
    assert cli_main(["--data-dir", str(data), "--central", pg_url, "--station", "HH", "demo"]) == 0
    assert cli_main(["--data-dir", str(data), "--central", with_password, "--station", "HH", "db", "upgrade"]) == 0
    config = (data / "config.json").read_text()
    assert "Centr4l-Pa55" not in config and json.loads(config)["central_url"] == pg_url
    assert "Centr4l-Pa55" in memory_keyring.store.values()  # type: ignore[attr-defined]
    role = f"fc_t{uuid.uuid4().hex[:8]}_cli"
    monkeypatch.setenv("FRONTCOUNTER_ROLE_PASSWORD", "r0le-secret")
    owner = make_engine(pg_url)
    try:
        assert cli_main(["--data-dir", str(data), "--central", pg_url, "db", "create-role", role,
                         "--for-station", "SG"]) == 0
        assert cli_main(["--data-dir", str(data), "--central", pg_url, "db", "create-role", role]) == 2
        engine = _as(pg_url, role)
        with owner.connect() as c:
            sg = c.execute(text("SELECT id FROM stations WHERE code = 'SG'")).scalar_one()
        with engine.connect() as c:
            assert set(c.execute(text("SELECT DISTINCT station_id FROM appointments")).scalars()) == {sg}
        engine.dispose()
    finally:
        with owner.begin() as c:
            c.execute(text(f'DROP OWNED BY "{role}"'))
            c.execute(text(f'DROP ROLE "{role}"'))
        owner.dispose()
    logs = "".join(p.read_text(errors="replace") for p in (data / "logs").glob("*"))
    assert "Centr4l-Pa55" not in logs and "r0le-secret" not in logs


def test_a_whole_sync_runs_as_the_station_role(centre: Centre, tmp_path: Path) -> None:
    """The station's real sync (schema check, push of a command and the audit log, pull) works
    within what row security allows it, and lands only in its own station's rows."""
    from sqlalchemy import select

    from frontcounter.config import Settings, save_settings
    from frontcounter.db.models import Station, User
    from frontcounter.paths import Paths
    from frontcounter.runtime import open_station
    from frontcounter.services.counter import checkin
    from frontcounter.services.security.auth import actor_for
    from frontcounter.services.sync import station as sync

    clock = FixedClock(DEMO_NOW)
    paths = Paths.resolve(tmp_path / "hh")
    paths.ensure()
    save_settings(paths.config_file, Settings(station_code="HH"))
    station = open_station(paths, clock=clock)
    try:
        sync.sync_once(station.engine, centre.hh, "HH", clock=clock)
        with station.ctx.read() as s:
            user = s.scalars(select(User).where(User.username == "counter.HH")).one()
            counter = actor_for(user, s.get(Station, user.station_id), "ws")
            ref = s.execute(text(
                "SELECT reference FROM appointments WHERE status = 'booked' AND start_at > :now ORDER BY start_at"
            ), {"now": clock.now()}).scalars().first()
        checkin.check_in(station.ctx, counter, ref, force=True)
        report = sync.sync_once(station.engine, centre.hh, "HH", clock=clock)
        assert (report.applied, report.rejected, report.audit_sent) == (1, 0, 1)
        with centre.owner.connect() as c:
            status = c.execute(text("SELECT status FROM appointments WHERE reference = :r"), {"r": ref}).scalar_one()
            audit_stations = set(c.execute(text("SELECT DISTINCT station_code FROM audit_events")).scalars())
        assert status == "arrived" and audit_stations == {"HH"}
    finally:
        station.engine.dispose()
