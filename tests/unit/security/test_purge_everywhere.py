"""Issue 21 item 5: a purge erases the visitor everywhere — the row, every outbox payload (a
booking purged before it was sent too), attention items, the search queries in the audit log —
at the station and at the centre; then no file of the data dir, and no table of the centre,
holds a trace of what was typed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update

from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.models import Appointment, AttentionItem, AuditEvent, OutboxEntry
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, open_station
from frontcounter.services.core import appointments
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.scheduling import booking
from frontcounter.services.scheduling.booking import BookingRequest
from frontcounter.services.scheduling.slots import SlotNeeds, find_slots
from frontcounter.services.security import retention
from frontcounter.services.security.auth import actor_for
from frontcounter.services.security.retention import RetentionPolicy
from frontcounter.services.security.retention_traces import ERASED_NOTE, query_kind
from frontcounter.services.sync import station as sync
from tests.conftest import actor_named
from tests.demo_keys import with_demo_key

pytestmark = pytest.mark.wallclock

SHORT = RetentionPolicy(personal_data_days=1, closed_follow_up_days=1, audit_days=30)

#: Two visitors whose every personal field is a string found nowhere else in the demo.
FIRST = {"visitor_name": "Zebedee Quixmarsh", "visitor_phone": "07700 913579",
         "visitor_email": "zq.trace@example.org", "visitor_address": "7 Qzyville Lane",
         "safe_contact": "Knock-twice-Qzv only", "briefing_notes": "Briefnote-Xylo-7731",
         "person_of_choice": "Aunt Qwilla", "access_needs": "Ramp-Qzz-needed",
         "vulnerability_flags": ("Qzflag-unusual",)}
SECOND = {"visitor_name": "Philomena Vrooq", "visitor_phone": "07700 924680",
          "visitor_email": "pv.trace@example.org", "visitor_address": "9 Vrooq Row",
          "safe_contact": "Text-only-Vrq", "briefing_notes": "Briefnote-Vrq-4417",
          "person_of_choice": "Uncle Vroomer", "access_needs": "Loop-Vrq-needed",
          "vulnerability_flags": ("Vrqflag-unusual",)}


def _traces() -> list[str]:
    found = []
    for visitor in (FIRST, SECOND):
        for value in visitor.values():
            found.extend(value if isinstance(value, tuple) else (value,))
    # The phone numbers also without their space, as a search or a payload may hold them.
    return [*found, "07700913579", "07700924680"]


@pytest.fixture
def centre_engine(demo_dir: Path) -> Iterator[Engine]:
    engine = make_engine(sqlite_url(Paths.resolve(demo_dir).embedded_central_db))
    yield engine
    engine.dispose()


def _book(station: StationRuntime, fields: dict[str, object], skip: int) -> str:
    counter = actor_named(station, "counter.HH")
    slot = find_slots(station.ctx, counter, SlotNeeds(), days=14, limit=skip + 1)[skip]
    view = booking.book(station.ctx, counter, BookingRequest(
        station_code="HH", start=slot.start, room_id=slot.room_id, officer_id=slot.officer_id,
        **fields))  # type: ignore[arg-type]
    for query in (str(fields["visitor_name"]), str(fields["visitor_phone"]).replace(" ", "")):
        assert [v.reference for v in appointments.search(station.ctx, counter, query)] == [view.reference]
    return view.reference


def _every_file_holding(root: Path, needles: list[str]) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found = [n for n in needles if n.encode() in data or n.encode("utf-16-le") in data]
        if found:
            hits[str(path.relative_to(root))] = found
    return hits


def test_a_purge_leaves_no_trace_in_any_file_of_the_data_dir_or_any_table_of_the_centre(
    demo_dir: Path, clock: FixedClock, centre_engine: Engine
) -> None:
    station = open_station(Paths.resolve(demo_dir), clock=clock)
    try:
        first = _book(station, FIRST, 0)
        sync.sync_once(station.engine, centre_engine, "HH", clock=clock)  # the centre has FIRST verbatim
        second = _book(station, SECOND, 1)  # SECOND is purged before it is ever sent
        with station.ctx.read() as s:
            pending = s.scalars(select(OutboxEntry).where(OutboxEntry.state == "pending")).all()
            answered = s.scalars(select(OutboxEntry).where(OutboxEntry.state != "pending")).all()
        assert any(e.payload.get("row", {}).get("visitor_name") == SECOND["visitor_name"] for e in pending)
        assert answered and all(e.payload == {"scrubbed": True} for e in answered)  # dropped once answered
        # An attention item about FIRST, naming the visitor in its free text, at both ends.
        _flag_at_the_centre(centre_engine, first, clock)
        sync.sync_once(station.engine, centre_engine, "HH", clock=clock)
        with station.ctx.read() as s:
            assert [i.message for i in s.scalars(select(AttentionItem))] == [f"Call {FIRST['visitor_name']} back"]

        clock.advance(timedelta(days=40))
        admin = actor_named(station, "admin.HH")
        retention.purge(station.ctx, admin, SHORT)  # at the station
        report = sync.sync_once(station.engine, centre_engine, "HH", clock=clock)
        assert report.rejected == 0, report.notes
        central = ServiceContext(engine=centre_engine, station_code=None, mode="central",
                                 workstation="centre-ws", clock=clock)
        retention.purge(central, actor_for_centre(station, centre_engine), SHORT)  # and at the centre
        sync.sync_once(station.engine, centre_engine, "HH", clock=clock)
        retention.purge(station.ctx, admin, SHORT)  # the daily run reduces the newest searches too

        # Both appointments still exist (reports count them) at both ends, erased.
        for engine in (station.engine, centre_engine):
            with engine.connect() as c:
                rows = c.execute(text("SELECT reference, visitor_name, purged_at FROM appointments "
                                      "WHERE reference IN (:a, :b)"), {"a": first, "b": second}).all()
            assert sorted(r.reference for r in rows) == sorted((first, second))
            assert all(r.visitor_name is None and r.purged_at is not None for r in rows)
            # The confidential fields were ciphertext (issue 21 item 4): blanked with their sealed keys.
            with engine.connect() as c:
                sealed = c.execute(select(Appointment.briefing_notes, Appointment.safe_contact,
                                          Appointment.vulnerability_flags, Appointment.sealed_keys)
                                   .where(Appointment.reference.in_((first, second)))).all()
            assert sealed and all(tuple(r) == (None, None, [], {}) for r in sealed)
            with engine.connect() as c:
                searches = c.execute(select(AuditEvent.details).where(
                    AuditEvent.action == "appointments.search")).scalars().all()
                messages = c.execute(select(AttentionItem.message)).scalars().all()
            assert searches and all("query" not in d and d["query_reduced"] for d in searches)
            assert {d["query_kind"] for d in searches} >= {"name", "phone"}
            assert messages and set(messages) == {ERASED_NOTE}
    finally:
        station.engine.dispose()
    for engine in (centre_engine,):
        with engine.connect() as c:
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()

    # Every byte of every file under the data dir: the station cache and its WAL, the embedded
    # centre, config, logs, window state.
    assert _every_file_holding(demo_dir, _traces()) == {}


def _flag_at_the_centre(centre_engine: Engine, reference: str, clock: FixedClock) -> None:
    from frontcounter.db.engine import make_session_factory
    from frontcounter.db.models import Appointment
    from frontcounter.services.core.commands import next_central_version

    with make_session_factory(centre_engine, write=True).begin() as s:
        appt = s.scalars(select(Appointment).where(Appointment.reference == reference)).one()
        s.add(AttentionItem(id=uuid.uuid4(), station_id=appt.station_id, appointment_id=appt.id, op_id=None,
                            kind="flagged", message=f"Call {FIRST['visitor_name']} back", created_at=clock.now(),
                            settlement=f"Spoke to {FIRST['person_of_choice']}", settled_at=None, settled_by=None,
                            updated_at=clock.now(), version=next_central_version(s), deleted=False))


def actor_for_centre(station: StationRuntime, centre_engine: Engine):  # type: ignore[no-untyped-def]
    """The centre's admin as the CLI signs them in there (``--central URL --user admin.HH``)."""
    from frontcounter.db.engine import make_session_factory
    from frontcounter.db.models import Station, User

    with make_session_factory(centre_engine)() as s:
        user = s.scalars(select(User).where(User.username == "admin.HH")).one()
        home = s.get(Station, user.station_id)
        return with_demo_key(actor_for(user, home, "centre-ws"), user.wrapped_private_key)


def test_search_queries_are_reduced_to_kind_and_length_only_past_the_period(
    station: StationRuntime, clock: FixedClock
) -> None:
    counter, admin = actor_named(station, "counter.HH"), actor_named(station, "admin.HH")
    appointments.search(station.ctx, counter, "Jane Smith")
    clock.advance(timedelta(hours=12))
    appointments.search(station.ctx, counter, "07700 900123")
    clock.advance(timedelta(hours=13))  # the first search is past one day, the second is not
    retention.purge(station.ctx, admin, SHORT)
    with station.ctx.read() as s:
        details = s.scalars(select(AuditEvent.details).where(AuditEvent.action == "appointments.search")
                            .order_by(AuditEvent.local_seq)).all()
    assert details[0] == {"results": details[0]["results"], "query_reduced": True, "query_kind": "name",
                          "query_length": 10}
    assert details[1]["query"] == "07700 900123"  # still within the period: kept as typed
    # The one change the append-only log allows: nothing else can be rewritten.
    with pytest.raises(Exception, match="append-only"), station.ctx.write.begin() as s:
        s.execute(update(AuditEvent).where(AuditEvent.action == "appointments.search")
                  .values(username="someone.else"))
    with pytest.raises(Exception, match="append-only"), station.ctx.write.begin() as s:
        s.execute(update(AuditEvent).where(AuditEvent.action == retention.RUN_ACTION).values(details={"query_reduced": True}))


@pytest.mark.parametrize(("query", "kind"), [
    ("HH-4KQ7M", "reference"), ("hh4kq7m", "reference"), ("41/12345/26", "crime_reference"),
    ("07700 900123", "phone"), ("jane@example.org", "email"), ("Jane Smith", "name"), ("  ", "empty")])
def test_query_kinds(query: str, kind: str) -> None:
    assert query_kind(query) == kind
