"""Issue 21 item 4 on a real PostgreSQL centre, synced as the station's own database role.

After a demo build and a sync of a counter's walk-in (notes typed by the clerk), neither the
station's SQLite file (read with sqlite3 alone) nor any table of the centre holds a confidential
text; the centre's FCR still reads the walk-in's notes (the station sealed them to the FCR's
public key, which it received through ``frontcounter_security.reader_keys()``, not by reading
the users table, which row-level security keeps from it).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from frontcounter.db import rls
from frontcounter.db.engine import make_engine
from frontcounter.db.models import Appointment, User
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, create_demo, open_station
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.sealing import SealedError, is_token, open_fields
from frontcounter.services.sync.station import sync_once
from tests.sync_support import actor_in, central_context
from tests.unit.security.test_encryption_at_rest import (
    TYPED_CONTACT,
    TYPED_NOTE,
    flags_in_clear,
    known_secrets,
    sqlite_leaks,
    type_a_walk_in,
)

pytestmark = pytest.mark.postgres


def _as(url: str, role: str) -> Engine:
    return create_engine(make_url(url).set(username=role, password="not-checked-under-trust"),
                         connect_args={"connect_timeout": 10})


def centre_leaks(owner: Engine, secrets: list[str]) -> list[str]:
    """Every public table's rows as text at the centre, searched for each secret."""
    found: list[str] = []
    with owner.connect() as c:
        tables = c.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
        for table in tables:
            for (row,) in c.execute(text(f'SELECT t::text FROM "{table}" t')):
                found += [f"{table}: {s[:30]}" for s in secrets if s in row]
    return found


def test_the_pg_centre_and_the_synced_cache_hold_ciphertext_only(pg_url: str, tmp_path: Path,
                                                                  clock: FixedClock) -> None:
    paths = Paths.resolve(tmp_path / "hh")
    create_demo(paths, clock=clock, central_url=pg_url, station_code="HH")
    owner = make_engine(pg_url)
    rls.install_row_level_security(owner)
    role = rls.create_station_role(owner, "HH", "hh-secret", role=f"fc_t{uuid.uuid4().hex[:8]}_hh")
    hh = _as(pg_url, role)
    station: StationRuntime = open_station(paths, clock=clock)
    try:
        assert sqlite_leaks(paths.station_db, known_secrets()) == []  # the demo build
        assert centre_leaks(owner, known_secrets()) == []
        appointment_id = type_a_walk_in(station)
        report = sync_once(station.engine, hh, "HH", clock=clock)  # as the station's own role
        assert report.pushed >= 1 and report.waiting == 0
        assert sqlite_leaks(paths.station_db, known_secrets()) == [] and flags_in_clear(paths.station_db) == []
        assert centre_leaks(owner, known_secrets()) == []
        centre = central_context(owner, clock)
        with centre.read() as s:
            row = s.get_one(Appointment, appointment_id)
            assert is_token(row.briefing_notes) and is_token(row.safe_contact) and is_token(row.vulnerability_flags)
            tokens = s.scalars(select(Appointment.briefing_notes).where(Appointment.briefing_notes.is_not(None))).all()
            assert tokens and all(is_token(t) for t in tokens)
        # The FCR of another station, at the centre, opens what HH's clerk typed: HH sealed it to
        # fcr.SG's public key, handed out by the centre's reader_keys() under row-level security.
        fcr = actor_in(centre, "fcr.SG")
        counter = actor_in(centre, "counter.SG")
        with centre.read() as s:
            row = s.get_one(Appointment, appointment_id)
            assert open_fields(row, fcr.key)["briefing_notes"] == TYPED_NOTE
            assert open_fields(row, fcr.key)["safe_contact"] == TYPED_CONTACT
            with pytest.raises(SealedError):
                open_fields(row, counter.key)
        # ...while the station role still sees only its own users' rows (and so no FCR's hash).
        with hh.connect() as c:
            assert c.execute(text("SELECT count(*) FROM users WHERE role = 'fcr'")).scalar_one() == 1
        with station.ctx.read() as s:
            foreign = s.scalars(select(User).where(User.username == "fcr.SG")).one()
            assert foreign.password_hash == "" and foreign.wrapped_private_key is None and foreign.public_key
    finally:
        station.engine.dispose()
        hh.dispose()
        with owner.begin() as c:
            c.execute(text(f'DROP OWNED BY "{role}"'))
            c.execute(text(f'DROP ROLE "{role}"'))
        owner.dispose()
