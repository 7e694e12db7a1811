"""Issue 21 item 4: what the counter may not read is encrypted at rest (docs/SECURITY.md section 6).

The station cache, its outbox and the centre hold the briefing notes, safe-contact texts and
vulnerability flags only as ciphertext; a reader's session opens them with its own key, a
counter user's session holds none.
"""

from __future__ import annotations

import io
import os
import sqlite3
import uuid
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.models import Appointment, OutboxEntry, Station, User
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.commands import command
from frontcounter.services.core.errors import AuthenticationError, PermissionDenied
from frontcounter.services.core.references import new_reference
from frontcounter.services.core.sealing import (
    CONFIDENTIAL_FIELDS,
    SEALED_TEXT,
    SealedError,
    is_token,
    open_fields,
    try_open,
    unwrap_private,
)
from frontcounter.services.demo.seed import NOTES, SAFE_CONTACT, VISITORS, VULNERABILITY
from frontcounter.services.documents import contents
from frontcounter.services.documents.briefing import briefing_pdf
from frontcounter.services.security import auth, users
from frontcounter.services.sync.station import sync_once
from tests.conftest import actor_named
from tests.sync_support import rooms_and_officers

#: What a counter clerk types at a walk-in; none of it may reach the disk in clear.
TYPED_NOTE = "Disclosed coercive control by partner Zebedee Quartermain; do not discuss at the counter."
TYPED_CONTACT = "Only ring the sister's mobile, never the flat: Quartermain checks it."
TYPED_FLAG = "stalking victim (Quartermain)"


def known_secrets() -> list[str]:
    """The demo's confidential texts (whole, and a fragment of each note) and the typed ones.

    The demo's vulnerability flags are common words ("mental health" is also an officer's
    specialism), so they are looked for in the appointments and the outbox only
    (``flags_in_clear``); the typed flag is unique and looked for everywhere.
    """
    texts = [n for n in NOTES] + [n.split(";")[0][:40] for n in NOTES]
    texts += [c for c in SAFE_CONTACT if c]
    return [*texts, TYPED_NOTE, TYPED_CONTACT, TYPED_FLAG, "Zebedee Quartermain"]


def flags_in_clear(db_file: Path) -> list[str]:
    """Any demo vulnerability flag stored in clear in an appointment or an outbox payload."""
    with closing(sqlite3.connect(db_file)) as conn:
        texts = [r[0] or "" for r in conn.execute("SELECT vulnerability_flags FROM appointments")]
        texts += [r[0] or "" for r in conn.execute("SELECT payload FROM outbox")]
    return [f for f in VULNERABILITY for t in texts if f in t]


def sqlite_leaks(db_file: Path, secrets: list[str]) -> list[str]:
    """Every (table, column) or raw file where a secret appears, read with sqlite3 alone (no app code)."""
    found: list[str] = []
    with closing(sqlite3.connect(db_file)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                for (value,) in conn.execute(f'SELECT "{column}" FROM "{table}"'):
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    found += [f"{table}.{column}: {s[:30]}" for s in secrets if s in text]
    for path in [db_file, *db_file.parent.glob(db_file.name + "-*")]:
        raw = path.read_bytes()
        found += [f"{path.name} bytes: {s[:30]}" for s in secrets if s.encode() in raw]
    return found


def type_a_walk_in(runtime: StationRuntime, username: str = "counter.HH") -> uuid.UUID:
    """A counter clerk books a walk-in and types notes, safe contact and a flag (one command)."""
    actor = actor_named(runtime, username)
    rooms, officers = rooms_and_officers(runtime.ctx, "HH")
    start = (runtime.ctx.clock.now() + timedelta(days=40)).replace(hour=3, minute=0, second=0, microsecond=0)
    with runtime.ctx.read() as s:
        station_id = s.scalars(select(Station.id).where(Station.code == "HH")).one()
    reference = new_reference("HH")
    with command(runtime.ctx, actor, category="collection", action="appointment.walk_in",
                 record=f"appointment:{reference}") as scope:
        appt = Appointment(
            id=uuid.uuid4(), reference=reference, station_id=station_id, room_id=rooms[0].id,
            officer_id=officers[0].id, start_at=start, end_at=start + timedelta(hours=1), channel="walk_in",
            reason="domestic_abuse", visitor_name="Walk In Visitor", status="booked", created_at=scope.now,
            created_by=actor.username, version=0, deleted=False, briefing_notes=TYPED_NOTE,
            safe_contact=TYPED_CONTACT, vulnerability_flags=[TYPED_FLAG],
        )
        scope.session.add(appt)
        scope.changed(appt, "appointment.walk_in", base_version=0, created=True)
        return appt.id


def pdf_text(data: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return " ".join((page.extract_text() or "") for page in pdf.pages)


def test_the_demo_cache_and_centre_hold_no_confidential_text(demo_dir: Path) -> None:
    paths = Paths.resolve(demo_dir)
    with closing(sqlite3.connect(paths.station_db)) as conn:
        rows = conn.execute("SELECT briefing_notes, safe_contact, sealed_keys FROM appointments").fetchall()
    assert rows and all(n is None or n.startswith("fcenc1:") for n, _, _ in rows)
    assert sum(1 for n, _, _ in rows if n) > 20 and sum(1 for _, c, _ in rows if c) > 10
    assert sqlite_leaks(paths.station_db, known_secrets()) == [] and flags_in_clear(paths.station_db) == []
    assert sqlite_leaks(paths.embedded_central_db, known_secrets()) == []
    assert flags_in_clear(paths.embedded_central_db) == []
    # The probe finds what is stored in clear: the visitors' names (not confidential) are there.
    assert sqlite_leaks(paths.station_db, [name for name, _, _ in VISITORS])


def test_a_typed_walk_in_is_sealed_in_the_cache_the_outbox_and_the_centre(station: StationRuntime,
                                                                        demo_dir: Path) -> None:
    appointment_id = type_a_walk_in(station)
    paths = Paths.resolve(demo_dir)
    with station.ctx.read() as s:
        entry = s.scalars(select(OutboxEntry).where(OutboxEntry.entity_id == appointment_id)).one()
        assert is_token(entry.payload["row"]["briefing_notes"]) and entry.payload["row"]["sealed_keys"]
        row = s.get_one(Appointment, appointment_id)
        readers = {u.username for u in s.scalars(select(User)) if str(u.id) in (row.sealed_keys or {})}
    assert {"officer.HH", "supervisor.HH", "fcr.HH"} <= readers
    assert not readers & {"counter.HH", "admin.HH", "auditor.HH"}
    # Other stations' FCR users come through the pull's reader keys: an FCR at the centre reads it.
    assert "fcr.SG" in readers
    assert sqlite_leaks(paths.station_db, known_secrets()) == []
    central = make_engine(sqlite_url(paths.embedded_central_db))
    try:
        report = sync_once(station.engine, central, "HH", clock=station.ctx.clock)
        assert report.pushed >= 1
    finally:
        central.dispose()
    assert sqlite_leaks(paths.station_db, known_secrets()) == [] and flags_in_clear(paths.station_db) == []
    assert sqlite_leaks(paths.embedded_central_db, known_secrets()) == []
    supervisor = actor_named(station, "supervisor.HH")
    with station.ctx.read() as s:
        opened = open_fields(s.get_one(Appointment, appointment_id), supervisor.key)
    assert opened == {"briefing_notes": TYPED_NOTE, "safe_contact": TYPED_CONTACT,
                      "vulnerability_flags": [TYPED_FLAG]}


def test_a_counter_session_holds_no_key_and_cannot_decrypt(station: StationRuntime) -> None:
    counter = auth.sign_in(station.ctx, "counter.HH", "demo")
    assert counter.key is None
    with station.ctx.read() as s:
        user = s.scalars(select(User).where(User.username == "counter.HH")).one()
        assert user.public_key is None and user.wrapped_private_key is None  # no key material at all
        row = s.scalars(select(Appointment).where(Appointment.briefing_notes.is_not(None))).first()
        assert row is not None
        with pytest.raises(SealedError):
            open_fields(row, counter.key)
        reference = row.reference
    with pytest.raises(PermissionDenied):
        contents.load_briefing(station.ctx, counter, reference)
    # Even the view the counter lists shows the notice, never the safe-contact text.
    from frontcounter.services.core import appointments

    view = appointments.get_by_reference(station.ctx, counter, reference)
    assert view.safe_contact in (None, SEALED_TEXT)


def test_an_officer_reads_the_notes_offline_in_the_briefing_pdf(station: StationRuntime) -> None:
    # The station's settings point at a centre; this test never syncs: the keys are all local.
    officer = auth.sign_in(station.ctx, "officer.HH", "demo")
    assert officer.key is not None and "private key held in memory" in repr(officer.key)
    assert "key=" not in repr(officer)
    with station.ctx.read() as s:
        officer_id = s.scalars(select(User.id).where(User.username == "officer.HH")).one()
        row = next(a for a in s.scalars(select(Appointment).where(Appointment.briefing_notes.is_not(None),
                                                                  Appointment.station_id == officer.station_id))
                   if str(officer_id) in (a.sealed_keys or {}))
        secret = open_fields(row, officer.key)
        reference = row.reference
    text = " ".join(pdf_text(briefing_pdf(station.ctx, officer, reference)).split())
    assert " ".join(secret["briefing_notes"].split())[:50] in text
    if secret["safe_contact"]:
        assert " ".join(secret["safe_contact"].split())[:20] in text


def test_a_password_change_rewraps_the_same_key(station: StationRuntime) -> None:
    officer = auth.sign_in(station.ctx, "officer.HH", "demo")
    with station.ctx.read() as s:
        before = s.scalars(select(User).where(User.username == "officer.HH")).one()
        old_wrapped, public = before.wrapped_private_key, before.public_key
    auth.change_password(station.ctx, officer, "demo", "a-longer-secret")
    with station.ctx.read() as s:
        after = s.scalars(select(User).where(User.username == "officer.HH")).one()
        entry = s.scalars(select(OutboxEntry).where(OutboxEntry.op_type == "user.change_password")).one()
    assert after.public_key == public and after.wrapped_private_key != old_wrapped
    assert unwrap_private(after.id, after.wrapped_private_key, "demo") is None
    assert unwrap_private(after.id, after.wrapped_private_key, "a-longer-secret") is not None
    assert entry.payload["row"]["wrapped_private_key"] == after.wrapped_private_key  # the centre learns it
    again = auth.sign_in(station.ctx, "officer.HH", "a-longer-secret")
    assert again.key is not None and again.key.public_b64 == public


def test_an_admin_reset_issues_a_new_key_and_a_colleague_reshares_the_rows(station: StationRuntime) -> None:
    admin = actor_named(station, "admin.HH")
    users.reset_password(station.ctx, admin, "officer.HH", "temporary-1")
    with station.ctx.read() as s:
        cleared = s.scalars(select(User).where(User.username == "officer.HH")).one()
        assert cleared.public_key is None and cleared.wrapped_private_key is None
    officer = auth.sign_in(station.ctx, "officer.HH", "temporary-1")  # a new key pair, wrapped now
    assert officer.key is not None
    with station.ctx.read() as s:
        row = s.scalars(select(Appointment).where(Appointment.briefing_notes.is_not(None),
                                                  Appointment.station_id == officer.station_id)).first()
        assert row is not None
        with pytest.raises(SealedError):  # what was sealed to the forgotten key is lost to it
            open_fields(row, officer.key)
        row_id = row.id
    auth.sign_in(station.ctx, "supervisor.HH", "demo")  # the re-seal pass shares the rows again
    with station.ctx.read() as s:
        assert open_fields(s.get_one(Appointment, row_id), officer.key)["briefing_notes"]
        assert s.scalars(select(OutboxEntry).where(OutboxEntry.op_type == "appointment.reseal")).first()


def test_a_leaver_is_no_recipient_of_new_rows_and_is_dropped_from_old_ones(station: StationRuntime) -> None:
    admin = actor_named(station, "admin.HH")
    with station.ctx.read() as s:
        leaver_id = str(s.scalars(select(User.id).where(User.username == "officer.HH")).one())
    users.set_active(station.ctx, admin, "officer.HH", False)
    with pytest.raises(AuthenticationError):
        auth.sign_in(station.ctx, "officer.HH", "demo")
    new_id = type_a_walk_in(station)
    with station.ctx.read() as s:
        assert leaver_id not in (s.get_one(Appointment, new_id).sealed_keys or {})
    auth.sign_in(station.ctx, "supervisor.HH", "demo")
    with station.ctx.read() as s:
        rows = s.scalars(select(Appointment).where(Appointment.sealed_keys.is_not(None))).all()
        assert rows and not any(leaver_id in (r.sealed_keys or {}) for r in rows)


def test_the_confidential_fields_are_the_ones_the_counter_may_not_read() -> None:
    from frontcounter.services.core.permissions import ROLE_ACTIONS, Action
    from frontcounter.services.core.sealing import reading_roles

    assert set(CONFIDENTIAL_FIELDS) == {"briefing_notes", "safe_contact", "vulnerability_flags"}
    station_roles, wide = reading_roles()
    assert {r.value for r in station_roles} == {"officer", "supervisor"} and {r.value for r in wide} == {"fcr"}
    assert all(Action.READ_BRIEFING not in ROLE_ACTIONS[r] for r in ROLE_ACTIONS
               if r.value in ("counter", "admin", "auditor"))


def test_the_primitives_refuse_a_wrong_password_a_moved_field_and_serialisation() -> None:
    import pickle

    from cryptography.exceptions import InvalidTag

    from frontcounter.services.core.sealing import (
        decrypt_field,
        encrypt_field,
        new_key_pair,
        seal_data_key,
    )

    user = uuid.uuid4()
    key, public, wrapped = new_key_pair(user, "right password")
    assert unwrap_private(user, wrapped, "wrong password") is None
    assert unwrap_private(uuid.uuid4(), wrapped, "right password") is None  # bound to its user
    assert unwrap_private(user, wrapped, "right password").public_b64 == public  # type: ignore[union-attr]
    data_key = os.urandom(32)
    other, other_public, _ = new_key_pair(uuid.uuid4(), "x" * 8)
    sealed = seal_data_key(data_key, {user: public, other.user_id: other_public})
    assert key.open(sealed) == data_key and other.open(sealed) == data_key
    assert key.open({str(user): sealed[str(other.user_id)]}) is None  # another user's copy
    token = encrypt_field(data_key, "briefing_notes", "secret")
    assert decrypt_field(data_key, "briefing_notes", token) == "secret"
    with pytest.raises(InvalidTag):
        decrypt_field(data_key, "safe_contact", token)  # a value moved to another field
    with pytest.raises(TypeError):
        pickle.dumps(key)
    assert "secret" not in repr(key) and wrapped not in repr(key)


def test_another_stations_fcr_held_for_their_key_cannot_sign_in_here(station: StationRuntime) -> None:
    with station.ctx.read() as s:
        foreign = s.scalars(select(User).where(User.username == "fcr.SG")).one()
        assert foreign.public_key and foreign.password_hash == "" and foreign.wrapped_private_key is None
    with pytest.raises(AuthenticationError):
        auth.sign_in(station.ctx, "fcr.SG", "demo")


def test_a_sign_in_reseals_a_bounded_share_soonest_first_and_the_rest_follows_in_chunks(
        station: StationRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upgraded cache with years of history in clear must not hold a sign-in for minutes: the
    sign-in seals at most SIGN_IN_RESEAL_ROWS rows (the soonest), the rest in short commands."""
    from frontcounter.db.models import AuditEvent
    from frontcounter.services.core import reseal

    admin = actor_named(station, "admin.HH")
    users.reset_password(station.ctx, admin, "officer.HH", "temporary-1")
    officer = auth.sign_in(station.ctx, "officer.HH", "temporary-1")
    with station.ctx.read() as s:
        unreadable = [a.id for a in s.scalars(select(Appointment).where(
            Appointment.station_id == officer.station_id, Appointment.sealed_keys.is_not(None)))
            if try_open(a, officer.key) is None]
    assert len(unreadable) > 6
    monkeypatch.setattr(auth, "SIGN_IN_RESEAL_ROWS", 4)
    monkeypatch.setattr(reseal, "RESEAL_CHUNK", 3)
    supervisor = auth.sign_in(station.ctx, "supervisor.HH", "demo")
    with station.ctx.read() as s:
        opened_now = [i for i in unreadable if try_open(s.get_one(Appointment, i), officer.key) is not None]
        starts = {i: s.get_one(Appointment, i).start_at for i in unreadable}
    assert len(opened_now) == 4, "a sign-in re-seals a bounded share"
    assert sorted(starts[i] for i in opened_now) == sorted(starts.values())[-4:], "the soonest first"
    assert reseal.reseal_station(station.ctx, supervisor) == len(unreadable) - 4  # the rest, as the app does
    with station.ctx.read() as s:
        assert all(try_open(s.get_one(Appointment, i), officer.key) is not None for i in unreadable)
        details = [e.details["rows"] for e in s.scalars(select(AuditEvent).where(
            AuditEvent.action == "appointments.reseal").order_by(AuditEvent.local_seq))]
    assert details and max(details) <= 3, "short commands, never one long transaction"
