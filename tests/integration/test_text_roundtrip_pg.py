"""Nothing lost between a station and a real PostgreSQL centre, whatever text is typed (issue 20).

- the NUL round trip: a booking holding U+0000 (let in by an older version) is refused by the
  PostgreSQL centre with the field named, kept at the station with its command, fixed by the
  clerk, resent, accepted, and pulled back by a fresh cache of the same station;
- a property test: arbitrary text (NULs, lone surrogates, controls, any script, any length) in
  every text field of a booking. Either the station refuses it, naming the field, and queues
  nothing; or the booking reaches the centre and comes back exactly as the station stored it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DataError

from frontcounter.db.engine import make_engine
from frontcounter.db.models import Appointment, OutboxEntry
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, create_demo, open_station
from frontcounter.services.core import text_rules
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.scheduling import booking, slots
from frontcounter.services.scheduling import changes as scheduling
from frontcounter.services.sync import rejections
from frontcounter.services.sync.station import sync_once
from tests.conftest import DEMO_NOW, actor_named
from tests.sync_support import create_appointment, differences, rooms_and_officers

pytestmark = pytest.mark.postgres

#: Every free-text field a booking carries, as the request names it (the column's name too).
TEXT_FIELDS = ("visitor_name", "visitor_preferred_name", "visitor_phone", "visitor_email", "visitor_address",
               "safe_contact", "preferred_language", "interpreter_language", "access_needs", "person_of_choice",
               "briefing_notes", "crime_reference", "external_id")


@pytest.fixture
def central(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def hh(pg_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[StationRuntime]:
    clock.set(DEMO_NOW)
    paths = Paths.resolve(tmp_path / "HH")
    create_demo(paths, clock=clock, central_url=pg_url, station_code="HH")
    runtime = open_station(paths, clock=clock)
    yield runtime
    runtime.engine.dispose()


def _sync(station: StationRuntime, central: Engine):  # type: ignore[no-untyped-def]
    return sync_once(station.engine, central, "HH", clock=station.ctx.clock)


def test_nul_round_trip_through_postgresql(
    hh: StationRuntime, central: Engine, pg_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    counter = actor_named(hh, "counter.HH")
    rooms, officers = rooms_and_officers(hh.ctx, "HH")
    start = clock.now().replace(hour=3, minute=0, second=0, microsecond=0) + timedelta(days=2)
    appt_id = create_appointment(hh.ctx, counter, "HH", rooms[-1].id, officers[-1].id, start)
    with hh.ctx.write.begin() as s:  # what an older version stored and queued
        s.execute(text("UPDATE appointments SET visitor_name = :v WHERE id = :id"),
                  {"v": "Ann\x00Lee", "id": appt_id.hex})
        entry = s.scalars(select(OutboxEntry).where(OutboxEntry.entity_id == appt_id)).one()
        entry.payload = {**entry.payload, "row": {**entry.payload["row"], "visitor_name": "Ann\x00Lee"}}
    # (PostgreSQL itself cannot hold it: the station's and the centre's check is not a guess)
    with central.connect() as conn, pytest.raises(DataError, match="NUL"):
        conn.execute(text("SELECT CAST(:v AS text)"), {"v": "Ann\x00Lee"})

    refused = _sync(hh, central)

    assert (refused.rejected, refused.withheld) == (1, 1)
    with hh.ctx.read() as s:
        kept = s.get_one(Appointment, appt_id)
        assert kept.visitor_name == "Ann\x00Lee" and kept.deleted
    (item,) = rejections.list_not_accepted(hh.ctx, counter)
    assert "Visitor's name: contains a NUL character (U+0000)" in item.reason
    with central.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM appointments WHERE id = :id"), {"id": appt_id}).scalar() == 0

    rejections.resend(hh.ctx, counter, appt_id, {"visitor_name": "Ann Lee"})
    accepted = _sync(hh, central)

    assert (accepted.applied, accepted.rejected, accepted.waiting) == (1, 0, 0)
    with central.connect() as conn:
        name = conn.execute(text("SELECT visitor_name FROM appointments WHERE id = :id"), {"id": appt_id}).scalar()
        assert name == "Ann Lee"
    assert differences(hh.engine, central, "HH") == []
    # And back: a new counter PC at the same station pulls the fixed booking from the centre.
    second_paths = Paths.resolve(tmp_path / "HH-2")
    create_demo(second_paths, clock=clock, central_url=pg_url, station_code="HH")
    second = open_station(second_paths, clock=clock)
    try:
        sync_once(second.engine, central, "HH", clock=clock)
        with second.ctx.read() as s:
            assert s.get_one(Appointment, appt_id).visitor_name == "Ann Lee"
    finally:
        second.engine.dispose()


#: Any text at all, weighted towards what breaks databases: NULs, lone surrogates, controls, RTL.
_NASTY = st.sampled_from(["\x00", "\ud800", "\udfff", "\x01", "\x1b", "\x7f", "\t", "\n", "\r\n", "\u202e",
                          "مرحبا", "שלום", "😀", "\ufeff", "'; DROP TABLE appointments; --", "\\", "%", "_"])
ANY_TEXT = st.lists(st.one_of(st.text(max_size=30), _NASTY), max_size=4).map("".join)


#: Fields with a format of their own get mostly well-formed values, so most examples reach the centre.
_FORMATTED = {"visitor_phone": "07700 900123", "visitor_email": "ann@example.org", "crime_reference": "41/12345/26"}


#: Any script, any symbol, no control characters: what a clerk could type or paste.
_PLAIN = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)


def _field(name: str, hostile: bool) -> st.SearchStrategy[str | None]:
    if name in _FORMATTED:
        return st.one_of(st.none(), st.just(_FORMATTED[name]), *([ANY_TEXT] if hostile else []))
    return st.one_of(st.none(), _PLAIN, *([ANY_TEXT] if hostile else []))


#: Half the examples are text a clerk could type (they must arrive whole), half anything at all.
_VALUES = st.one_of(*(st.fixed_dictionaries({f: _field(f, hostile) for f in TEXT_FIELDS}) for hostile in (False, True)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(values=_VALUES, flags=st.lists(st.one_of(_PLAIN, ANY_TEXT), max_size=3))
def test_arbitrary_text_in_every_field_is_refused_by_name_or_arrives_whole(
    hh: StationRuntime, central: Engine, values: dict[str, str | None], flags: list[str]
) -> None:
    supervisor = actor_named(hh, "supervisor.HH")
    free = slots.find_slots(hh.ctx, supervisor, slots.SlotNeeds(), days=30, limit=1)
    assert free, "the demo has free slots for a month"
    fields = {k: v for k, v in values.items() if k != "visitor_name"}
    fields["external_id"] = (fields["external_id"] or "") + uuid.uuid4().hex[:8]  # unique per example
    request = booking.BookingRequest.for_slot(free[0], values["visitor_name"] or "Visitor", **fields,
                                              vulnerability_flags=tuple(flags))
    bad = [f for f in (*TEXT_FIELDS, "vulnerability_flags")
           if any(not text_rules.storable(v) for v in _texts(getattr(request, f)))]
    with hh.ctx.read() as s:
        queued_before = len(s.scalars(select(OutboxEntry)).all())
    try:
        view = booking.book(hh.ctx, supervisor, request)
    except ValidationError as exc:
        event("refused at the station" + (" (unstorable)" if bad else " (format)"))
        with hh.ctx.read() as s:
            assert len(s.scalars(select(OutboxEntry)).all()) == queued_before, "a refused booking queued nothing"
        if bad:
            assert any(exc.message.startswith(text_rules.label(f) + ":") for f in bad), exc.message
        return
    assert not bad, f"unstorable text in {bad} was accepted"
    event("booked and synced")
    report = _sync(hh, central)
    assert (report.rejected, report.waiting) == (0, 0), report.notes
    with hh.ctx.read() as s:
        here = s.get_one(Appointment, view.id)
        mine = {f: getattr(here, f) for f in (*TEXT_FIELDS, "vulnerability_flags")}
    with central.connect() as conn:
        row = conn.execute(select(Appointment.__table__).where(Appointment.id == view.id)).mappings().one()
    assert {f: row[f] for f in mine} == mine, "the centre holds exactly what the station stored"
    assert differences(hh.engine, central, "HH") == []
    scheduling.cancel(hh.ctx, supervisor, view.reference, "visitor_request")  # free the slot for the next one
    assert _sync(hh, central).rejected == 0


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple | list):
        return [v for v in value if isinstance(v, str)]
    return []
