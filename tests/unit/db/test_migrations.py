"""The schema: one linear chain, no drift from the models, and the database itself refuses a
double booking, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from frontcounter.db.engine import make_engine, make_session_factory, sqlite_url
from frontcounter.db.migrate import alembic_config, current_revision, head_revision, upgrade
from frontcounter.db.models import Appointment, Base, Officer, Room, Station, Status


def test_chain_is_linear() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    assert sum(1 for r in revisions if r.down_revision is None) == 1
    for rev in revisions:
        assert not isinstance(rev.down_revision, tuple), f"{rev.revision} is a merge"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        eng = make_engine(sqlite_url(tmp_path / "schema.sqlite"))
    else:
        eng = make_engine(request.getfixturevalue("pg_url"))
    upgrade(eng)
    yield eng
    eng.dispose()


def test_upgrade_reaches_head_and_is_idempotent(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_autogenerate_finds_no_drift(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def _reference_rows(session) -> tuple[Station, Room, Officer, Officer]:  # type: ignore[no-untyped-def]
    station = Station(id=uuid.uuid4(), code="HH", name="Hemel Hempstead", address="Combe Street",
                      postcode="HP1 1HL", latitude=51.75, longitude=-0.47)
    room = Room(id=uuid.uuid4(), station_id=station.id, name="Interview Room 1")
    officer_a = Officer(id=uuid.uuid4(), station_id=station.id, collar_number="1234", name="Priya Patel")
    officer_b = Officer(id=uuid.uuid4(), station_id=station.id, collar_number="5678", name="Tom Ward")
    session.add(station)
    session.flush()
    session.add_all([room, officer_a, officer_b])
    session.flush()
    return station, room, officer_a, officer_b


def _appointment(station: Station, room: Room, officer: Officer, start: datetime, ref: str) -> Appointment:
    return Appointment(
        id=uuid.uuid4(), reference=ref, station_id=station.id, room_id=room.id, officer_id=officer.id,
        start_at=start, end_at=start + timedelta(hours=1), channel="101_call", reason="report_crime",
        created_at=start, created_by="test", status=Status.BOOKED.value,
    )


def test_database_refuses_overlapping_room_and_officer(engine: Engine) -> None:
    factory = make_session_factory(engine, write=True)
    start = datetime(2026, 11, 23, 17, tzinfo=UTC)
    with factory.begin() as s:
        station, room, officer_a, officer_b = _reference_rows(s)
        s.add(_appointment(station, room, officer_a, start, "HH-AAAAA"))
    # Same room, overlapping half an hour, different officer: the room guard refuses.
    with pytest.raises(IntegrityError, match="ex_appointments_room_overlap"), factory.begin() as s:
        s.add(_appointment(station, room, officer_b, start + timedelta(minutes=30), "HH-BBBBB"))
    # Same officer in another room at the same time: the officer guard refuses.
    with factory.begin() as s:
        room2 = Room(id=uuid.uuid4(), station_id=station.id, name="Family Room")
        s.add(room2)
    with pytest.raises(IntegrityError, match="ex_appointments_officer_overlap"), factory.begin() as s:
        s.add(_appointment(station, room2, officer_a, start, "HH-CCCCC"))
    # Back to back is fine, and a cancelled booking releases its slot.
    with factory.begin() as s:
        s.add(_appointment(station, room, officer_a, start + timedelta(hours=1), "HH-DDDDD"))
        first = s.query(Appointment).filter_by(reference="HH-AAAAA").one()
        first.status = Status.CANCELLED.value
    with factory.begin() as s:
        s.add(_appointment(station, room, officer_b, start, "HH-EEEEE"))
    # Moving a booking onto a taken slot by UPDATE is refused too.
    with pytest.raises(IntegrityError, match="overlap"), factory.begin() as s:
        moved = s.query(Appointment).filter_by(reference="HH-DDDDD").one()
        moved.start_at, moved.end_at = start, start + timedelta(hours=1)


def test_audit_rows_are_append_only(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO audit_events (id, local_seq, at, username, role, workstation, category, action, outcome, details) "
            "VALUES (:id, 1, :at, 'u', 'counter', 'w', 'consultation', 'x', 'success', '{}')"
        ), {"id": uuid.uuid4().hex if engine.dialect.name == "sqlite" else str(uuid.uuid4()),
            "at": datetime(2026, 1, 1, tzinfo=UTC) if engine.dialect.name != "sqlite" else "2026-01-01 00:00:00.000000"})
    for statement in ("UPDATE audit_events SET outcome = 'tampered'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
