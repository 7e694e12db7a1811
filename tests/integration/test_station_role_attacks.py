"""Issue 21's attacks with a stolen station password, on a real PostgreSQL centre.

Every statement runs as the station's own login role (made by ``create_station_role``, as
``db create-role`` does), never as a superuser pretending; each attack must be refused by the
server, and the legitimate path next to it must still work.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from frontcounter.db import rls
from tests.integration import test_rls
from tests.integration.test_rls import Centre

#: The same centre as the row-level security tests: demo data, HH, SG and FCR login roles.
centre = test_rls.centre

pytestmark = pytest.mark.postgres

BIGINT_MAX = 9223372036854775807

#: What each group may do to each table of the public schema (docs/SECURITY.md, "Grants").
#: Row scope comes on top from the policies; anything absent here must be refused.
EXPECTED_TABLE_PRIVILEGES: dict[str, set[str]] = {
    **{t: {"SELECT", "INSERT", "UPDATE"} for t in (*rls.STATION_TABLES, *rls.SHARED_STATION_TABLES)},
    **{t: {"SELECT"} for t in (*rls.READ_ONLY_TABLES, "sync_clock")},
    "applied_ops": {"SELECT", "INSERT"},
    "visitor_messages": {"SELECT", "INSERT"},
    "audit_events": {"SELECT", "INSERT"},
}
ALL_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
COLUMN_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "REFERENCES")


def _clock(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT value FROM sync_clock WHERE id = 1")).scalar_one())


def test_the_sync_clock_cannot_be_set_by_a_station_or_the_fcr(centre: Centre) -> None:
    before = _clock(centre.owner)
    for engine in (centre.hh, centre.sg, centre.fcr):
        for attack in (f"UPDATE sync_clock SET value = {BIGINT_MAX}",
                       "UPDATE sync_clock SET value = 0",
                       "DELETE FROM sync_clock",
                       "TRUNCATE sync_clock",
                       "INSERT INTO sync_clock (id, value) VALUES (2, 0)",
                       "LOCK TABLE sync_clock IN ACCESS EXCLUSIVE MODE"):
            with pytest.raises(ProgrammingError, match="permission denied"), engine.begin() as c:
                c.execute(text(attack))
    assert _clock(centre.owner) == before
    # What a station does need, a version for what it writes, comes from its own transaction id
    # (migration 0002): nothing shared to move, and it only grows.
    with centre.hh.begin() as c:
        first = c.execute(text("SELECT fc_tx_version()")).scalar_one()
    with centre.hh.begin() as c:
        second = c.execute(text("SELECT fc_tx_version()")).scalar_one()
    assert second > first


def test_no_sequence_can_be_moved_by_a_station(centre: Centre) -> None:
    with centre.owner.connect() as c:
        sequences = c.execute(text(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(s.relname) FROM pg_class s "
            "JOIN pg_namespace n ON n.oid = s.relnamespace WHERE s.relkind = 'S' AND n.nspname = 'public'"
        )).scalars().all()
    assert sequences, "the schema has sequences (outbox.seq at least) to attack"
    for name in sequences:
        for attack in (f"SELECT setval('{name}', {BIGINT_MAX})", f"SELECT nextval('{name}')",
                       f"ALTER SEQUENCE {name} RESTART"):
            with pytest.raises(ProgrammingError, match="permission denied|must be owner"), centre.hh.begin() as c:
                c.execute(text(attack))


def _privileges(engine: Engine, role: str) -> dict[str, set[str]]:
    with engine.connect() as c:
        tables = c.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).scalars().all()
        held: dict[str, set[str]] = {}
        for table in tables:
            for privilege in ALL_TABLE_PRIVILEGES:
                # A column-level grant counts: has_table_privilege alone would not see it.
                check = "has_any_column_privilege" if privilege in COLUMN_PRIVILEGES else "has_table_privilege"
                if c.execute(text(f"SELECT {check}(:r, :t, :p)"),
                             {"r": role, "t": f"public.{table}", "p": privilege}).scalar_one():
                    held.setdefault(table, set()).add(privilege)
    return held


def test_every_grant_a_station_or_fcr_role_holds_is_the_documented_one(centre: Centre) -> None:
    hh, _sg, fcr = centre.roles
    for role in (hh, fcr):
        held = _privileges(centre.owner, role)
        # The FCR desk's record of calls to at-risk visitors is the FCR's alone (issue 14).
        expected = {**EXPECTED_TABLE_PRIVILEGES, "at_risk_contacts": {"SELECT", "INSERT"}} if role == fcr \
            else EXPECTED_TABLE_PRIVILEGES
        assert held == expected, role
        with centre.owner.connect() as c:  # audit_events' INSERT is column by column
            for column in rls.CENTRE_STAMPED_AUDIT_COLUMNS:
                assert not c.execute(text("SELECT has_column_privilege(:r, 'public.audit_events', :c, 'INSERT')"),
                                     {"r": role, "c": column}).scalar_one()
            assert c.execute(text("SELECT has_column_privilege(:r, 'public.audit_events', 'at', 'INSERT')"),
                             {"r": role}).scalar_one()
    with centre.hh.connect() as c:
        assert not c.execute(text("SELECT has_schema_privilege('public', 'CREATE')")).scalar_one()
    with pytest.raises(ProgrammingError, match="permission denied"), centre.hh.begin() as c:
        c.execute(text("CREATE TABLE public.shadow_clock (value bigint)"))


def _row(c: Connection, sql: str, **params: Any) -> Any:
    return c.execute(text(sql), params).one()


def _copy_appointment(c: Connection, source: uuid.UUID, **overrides: Any) -> uuid.UUID:
    """INSERT a copy of appointment ``source`` with some columns replaced; returns the new id."""
    columns = c.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = 'appointments' ORDER BY ordinal_position")).scalars().all()
    new_id = uuid.uuid4()
    values = {"id": new_id, "reference": f"X{new_id.hex[:7].upper()}", **overrides}
    select_list = ", ".join(f"CAST(:{col} AS {_pg_type(c, col)})" if col in values else col for col in columns)
    c.execute(text(f"INSERT INTO appointments ({', '.join(columns)}) SELECT {select_list} "
                   "FROM appointments WHERE id = :source"), {**values, "source": source})
    return new_id


def _pg_type(c: Connection, column: str) -> str:
    return str(c.execute(text(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 'public.appointments'::regclass AND attname = :c"), {"c": column}).scalar_one())


def test_a_station_cannot_book_another_stations_room_or_officer(centre: Centre) -> None:
    hh, sg = centre.station_id("HH"), centre.station_id("SG")
    with centre.owner.connect() as c:
        # One whose hour no SG appointment shares, so moving it into an SG room or to an SG officer
        # is refused by the station check, not first by the double-booking guard (and in a fixed
        # order: heap order changes whenever the demo's rows are rewritten, e.g. sealed).
        hh_appt = _row(c, "SELECT a.id, a.room_id, a.officer_id FROM appointments a WHERE a.station_id = :s "
                          "AND a.officer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM appointments b "
                          "WHERE b.station_id = :sg AND b.start_at < a.end_at AND b.end_at > a.start_at) "
                          "ORDER BY a.start_at, a.id LIMIT 1", s=hh, sg=sg)
        sg_room = c.execute(text("SELECT id FROM rooms WHERE station_id = :s LIMIT 1"), {"s": sg}).scalar_one()
        sg_officer = c.execute(text("SELECT id FROM officers WHERE station_id = :s LIMIT 1"), {"s": sg}).scalar_one()
    # Far from any real booking, so only the station check can refuse it.
    start = datetime(2031, 3, 3, 10, tzinfo=UTC)
    slot = {"start_at": start, "end_at": start + timedelta(hours=1)}
    for overrides in ({"room_id": sg_room}, {"officer_id": sg_officer}):
        with pytest.raises(DBAPIError, match="belongs to another station"), centre.hh.begin() as c:
            _copy_appointment(c, hh_appt.id, **slot, **overrides)
    with pytest.raises(DBAPIError, match="belongs to another station"), centre.hh.begin() as c:
        c.execute(text("UPDATE appointments SET room_id = :r WHERE id = :i"), {"r": sg_room, "i": hh_appt.id})
    with pytest.raises(DBAPIError, match="belongs to another station"), centre.hh.begin() as c:
        c.execute(text("UPDATE appointments SET officer_id = :o WHERE id = :i"), {"o": sg_officer, "i": hh_appt.id})
    # The same booking with HH's own room and officer goes through.
    with centre.hh.begin() as c:
        _copy_appointment(c, hh_appt.id, **slot)
    # The FCR books for any station, with that station's room and officer; not with another's.
    with centre.fcr.begin() as c:
        _copy_appointment(c, hh_appt.id, station_id=sg, room_id=sg_room, officer_id=sg_officer, **slot)
    with pytest.raises(DBAPIError, match="belongs to another station"), centre.fcr.begin() as c:
        _copy_appointment(c, hh_appt.id, room_id=sg_room, officer_id=None,
                          start_at=start + timedelta(hours=2), end_at=start + timedelta(hours=3))


def _duty(c: Connection, officer: uuid.UUID, station: uuid.UUID, start: datetime, hours: int = 4) -> None:
    c.execute(text("INSERT INTO duties (id, officer_id, station_id, start_at, end_at, version, deleted) "
                   "VALUES (:i, :o, :s, :a, :b, 0, false)"),
              {"i": uuid.uuid4(), "o": officer, "s": station, "a": start, "b": start + timedelta(hours=hours)})


def test_a_station_cannot_borrow_another_stations_officer_by_rostering_them(centre: Centre) -> None:
    """A visiting officer is real (the reports count them), but lending is not the borrower's act."""
    hh, sg = centre.station_id("HH"), centre.station_id("SG")
    with centre.owner.connect() as c:
        hh_appt = c.execute(text("SELECT id FROM appointments WHERE station_id = :s LIMIT 1"), {"s": hh}).scalar_one()
        sg_officer = c.execute(text("SELECT id FROM officers WHERE station_id = :s LIMIT 1"), {"s": sg}).scalar_one()
    start = datetime(2031, 4, 7, 9, tzinfo=UTC)
    with pytest.raises(DBAPIError, match="rosters only its own officers"), centre.hh.begin() as c:
        _duty(c, sg_officer, hh, start)
    # The FCR lends the SG officer to HH for a morning: then HH may book them at HH, in that duty.
    with centre.fcr.begin() as c:
        _duty(c, sg_officer, hh, start)
    with centre.hh.begin() as c:
        _copy_appointment(c, hh_appt, officer_id=sg_officer, start_at=start + timedelta(hours=1),
                          end_at=start + timedelta(hours=2))
    with pytest.raises(DBAPIError, match="belongs to another station"), centre.hh.begin() as c:
        _copy_appointment(c, hh_appt, officer_id=sg_officer, start_at=start + timedelta(hours=5),
                          end_at=start + timedelta(hours=6))


def _audit_values(code: str) -> dict[str, Any]:
    return {"i": uuid.uuid4(), "c": code, "at": datetime(2020, 1, 1, tzinfo=UTC)}


AUDIT_INSERT = """
    INSERT INTO audit_events (id, local_seq, at, username, role, station_code, workstation, category, action,
                              record, outcome, details{extra_columns})
    VALUES (:i, 1, :at, 'supervisor.HH', 'supervisor', :c, 'ws', 'erasure', 'forged', NULL, 'success',
            '{{}}'{extra_values})
"""


def test_the_centre_stamps_arrival_and_login_on_every_audit_row(centre: Centre) -> None:
    hh_role = centre.roles[0]
    forged = AUDIT_INSERT.format(extra_columns=", received_at, received_by",
                                 extra_values=", :at, 'frontcounter_fcr'")
    with pytest.raises(ProgrammingError, match="permission denied"), centre.hh.begin() as c:
        c.execute(text(forged), _audit_values("HH"))
    for column, value in (("received_at", ":at"), ("received_by", "'someone_else'")):
        one = AUDIT_INSERT.format(extra_columns=f", {column}", extra_values=f", {value}")
        with pytest.raises(ProgrammingError, match="permission denied"), centre.hh.begin() as c:
            c.execute(text(one), _audit_values("HH"))
    # A back-dated row is still accepted (the station's clock is its own), but the centre says when
    # it arrived and which login sent it; no later UPDATE can change that.
    honest = AUDIT_INSERT.format(extra_columns="", extra_values="")
    values = _audit_values("HH")
    with centre.hh.begin() as c:
        c.execute(text(honest), values)
        server_now = c.execute(text("SELECT now()")).scalar_one()
    with centre.owner.connect() as c:
        stamped = _row(c, "SELECT at, received_at, received_by FROM audit_events WHERE id = :i", i=values["i"])
    assert stamped.at == values["at"]
    assert stamped.received_by == hh_role
    assert abs((stamped.received_at - server_now).total_seconds()) < 60
    with pytest.raises(ProgrammingError, match="permission denied"), centre.hh.begin() as c:
        c.execute(text("UPDATE audit_events SET received_by = 'x' WHERE id = :i"), {"i": values["i"]})


def test_a_real_push_of_audit_rows_as_the_station_role_gets_stamped(centre: Centre, tmp_path: Any) -> None:
    from frontcounter.db.engine import make_engine, sqlite_url
    from frontcounter.db.migrate import upgrade
    from frontcounter.services.sync import push as sync

    local = make_engine(sqlite_url(tmp_path / "station.sqlite"))
    upgrade(local)
    with local.begin() as c:
        c.execute(text(
            "INSERT INTO audit_events (id, local_seq, at, username, role, station_code, workstation, category, "
            "action, record, outcome, details) VALUES (:i, 1, :at, 'counter.HH', 'counter', 'HH', 'ws', "
            "'consultation', 'appointments.list', NULL, 'success', '{}')"), {"i": uuid.uuid4().hex, "at": "2026-01-01 00:00:00.000000"})
    try:
        assert sync.push_audit(local, centre.hh) == 1
    finally:
        local.dispose()
    with centre.owner.connect() as c:
        received_by = c.execute(text("SELECT received_by FROM audit_events WHERE action = 'appointments.list' "
                                     "AND received_at IS NOT NULL")).scalars().all()
    assert received_by == [centre.roles[0]]


def test_a_station_cannot_push_a_row_version_past_the_clock(centre: Centre) -> None:
    """A room with version 2^63-1 would move every station's rooms cursor past all later changes:
    whatever version a login writes, the trigger stamps the writing transaction's own (migration 0002)."""
    hh = centre.station_id("HH")
    with centre.owner.connect() as c:
        room = c.execute(text("SELECT id FROM rooms WHERE station_id = :s LIMIT 1"), {"s": hh}).scalar_one()
    for engine in (centre.hh, centre.fcr):
        with engine.begin() as c:
            mine = c.execute(text("SELECT fc_tx_version()")).scalar_one()
            c.execute(text(f"UPDATE rooms SET version = {BIGINT_MAX} WHERE id = :i"), {"i": room})
            written = c.execute(text("SELECT version FROM rooms WHERE id = :i"), {"i": room}).scalar_one()
        assert written == mine < BIGINT_MAX
        with engine.begin() as c:  # and lower is refused too: a row's version only grows
            c.execute(text("UPDATE rooms SET version = 1 WHERE id = :i"), {"i": room})
            assert c.execute(text("SELECT version FROM rooms WHERE id = :i"), {"i": room}).scalar_one() > written
