"""At the counter: check-in records who and when and leaves one audit event and one outbox entry;
a visitor at the wrong station, on the wrong day, early or late is told what to do; no-show waits
for the grace period and opens a follow-up; the officer's arrival notice; and the confidential
briefing notes never reach a counter user through any service call.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import io
import pkgutil
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, update

from frontcounter import services
from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.models import (
    Appointment,
    AuditEvent,
    FollowUp,
    Officer,
    OutboxEntry,
    Room,
    Station,
    Status,
)
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock, local
from frontcounter.services.core.errors import (
    FrontCounterError,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from frontcounter.services.core.references import new_reference
from frontcounter.services.counter import checkin
from frontcounter.services.counter.checkin import MissedAppointment, WrongStation, WrongTime
from frontcounter.services.scheduling import changes as scheduling
from frontcounter.services.scheduling.slots import SlotNeeds
from tests.conftest import DEMO_NOW

#: Runs again under shifted wall clocks in CI (scripts/test-any-date.sh -m wallclock).
pytestmark = pytest.mark.wallclock


def booked(runtime: StationRuntime, *, after: datetime | None = None, code: str = "HH") -> Appointment:
    """The first booked appointment at ``code`` starting after ``after`` (default now)."""
    after = after or runtime.ctx.clock.now()
    with runtime.ctx.read() as s:
        sid = s.scalars(select(Station.id).where(Station.code == code)).one()
        row = s.scalars(
            select(Appointment).where(Appointment.station_id == sid, Appointment.status == Status.BOOKED.value,
                                      Appointment.start_at > after)
            .order_by(Appointment.start_at, Appointment.reference)
        ).first()
    assert row is not None
    return row


def counts(runtime: StationRuntime) -> tuple[int, int]:
    with runtime.ctx.read() as s:
        return (s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
                s.scalar(select(func.count()).select_from(OutboxEntry)) or 0)


def copy_to_station(runtime: StationRuntime, appt: Appointment, code: str) -> Appointment:
    """Put an appointment of another station into this cache (as the centre might hold it)."""
    with runtime.ctx.write.begin() as s:
        station = s.scalars(select(Station).where(Station.code == code)).one()
        room = s.scalars(select(Room).where(Room.station_id == station.id)).first()
        assert room is not None
        row = Appointment(**{c.key: getattr(appt, c.key) for c in Appointment.__table__.columns})
        row.id, row.reference, row.station_id, row.room_id = uuid.uuid4(), new_reference(code), station.id, room.id
        row.officer_id = None
        s.add(row)
    return row


# --- check-in ------------------------------------------------------------------------------------


def test_check_in_records_arrival_and_who_with_one_audit_event_and_one_outbox_entry(
    station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    appt = booked(station)
    clock.set(appt.start_at - timedelta(minutes=12))
    before = counts(station)
    result = checkin.check_in(station.ctx, counter, f"  {appt.reference.lower().replace('-', '')} ")
    assert counts(station) == (before[0] + 1, before[1] + 1)
    assert result.warning is None
    view = result.appointment
    assert (view.status, view.arrived_at, view.checked_in_by) == ("arrived", clock.now(), "counter.HH")
    with station.ctx.read() as s:
        entry = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc())).first()
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
    assert entry is not None and event is not None
    assert (entry.op_type, entry.entity_id, entry.payload["row"]["status"]) == (
        "appointment.check_in", appt.id, "arrived")
    assert (event.action, event.record, event.username) == (
        "appointment.check_in", f"appointment:{appt.reference}", "counter.HH")
    with pytest.raises(IllegalTransition, match=rf"{appt.reference} is already checked in \(arrived"):
        checkin.check_in(station.ctx, counter, appt.reference)


def test_wrong_reference_says_what_a_reference_looks_like(station: StationRuntime, counter: Actor) -> None:
    with pytest.raises(NotFound, match="not an appointment reference. References look like HH-4KQ7M"):
        checkin.check_in(station.ctx, counter, "hello?")
    with pytest.raises(NotFound, match="No appointment HH-XXXXX. Check the slip, or search by name"):
        checkin.check_in(station.ctx, counter, "HH-XXXXX")


def test_wrong_station_says_where_and_when_to_go(
    station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    appt = booked(station)
    elsewhere = copy_to_station(station, appt, "SG")
    with pytest.raises(WrongStation, match=rf"{elsewhere.reference} is booked at Stevenage at 18:00 today\. "
                                           "Please direct the visitor there"):
        checkin.check_in(station.ctx, counter, elsewhere.reference)
    # A reference this cache has never seen: its prefix still says which station it belongs to.
    with pytest.raises(WrongStation, match="SG-4KQ7M is a reference for Stevenage, not this station"):
        checkin.check_in(station.ctx, counter, "sg 4kq7m")
    # Where the centre can be asked, it says when too.
    remote = checkin.RemoteAppointment("WD-4KQ7M", "WD", "Watford", clock.now() + timedelta(days=1))
    with pytest.raises(WrongStation, match=r"WD-4KQ7M is booked at Watford at 17:30 tomorrow"):
        checkin.check_in(station.ctx, counter, "WD-4KQ7M", remote_lookup=lambda ref: remote)


def test_wrong_day_early_late_and_ended_each_say_what_to_do(
    station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    tomorrow = booked(station, after=clock.now() + timedelta(hours=12))
    with pytest.raises(WrongTime, match=rf"{tomorrow.reference} is booked for \d\d:\d\d tomorrow, not today"):
        checkin.check_in(station.ctx, counter, tomorrow.reference)
    yesterday = booked(station, after=clock.now() - timedelta(days=2))
    clock.set(yesterday.start_at + timedelta(days=1))
    with pytest.raises(MissedAppointment, match="which has passed. Book the visitor a new appointment"):
        checkin.check_in(station.ctx, counter, yesterday.reference)

    appt = booked(station, after=DEMO_NOW)
    clock.set(appt.start_at - timedelta(minutes=90))
    with pytest.raises(WrongTime, match=rf"booked at {local(appt.start_at):%H:%M} today, 90 minutes from now"):
        checkin.check_in(station.ctx, counter, appt.reference)
    clock.set(appt.end_at + timedelta(minutes=1))
    with pytest.raises(WrongTime, match="has ended. Check the visitor in anyway"):
        checkin.check_in(station.ctx, counter, appt.reference)
    clock.set(appt.start_at + timedelta(minutes=25))
    before = counts(station)
    result = checkin.check_in(station.ctx, counter, appt.reference)
    assert result.warning == "The visitor is 25 minutes late; let the officer know."
    assert counts(station) == (before[0] + 1, before[1] + 1)


def test_force_checks_in_an_early_visitor_once_the_clerk_decides(
    station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    appt = booked(station)
    clock.set(appt.start_at - timedelta(hours=3))
    with pytest.raises(WrongTime):
        checkin.check_in(station.ctx, counter, appt.reference)
    assert checkin.check_in(station.ctx, counter, appt.reference, force=True).appointment.status == "arrived"


# --- no-show and left unseen ---------------------------------------------------------------------


def test_no_show_is_refused_before_the_grace_period_then_opens_a_follow_up(
    station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    appt = booked(station)
    clock.set(appt.start_at + timedelta(minutes=14, seconds=59))
    before = counts(station)
    with pytest.raises(ValidationError, match=rf"Too early for a no-show: wait until "
                                              rf"{local(appt.start_at + timedelta(minutes=15)):%H:%M}"):
        checkin.mark_no_show(station.ctx, counter, appt.reference)
    assert counts(station) == before
    clock.advance(timedelta(seconds=1))
    view = checkin.mark_no_show(station.ctx, counter, appt.reference)
    assert view.status == "no_show" and counts(station) == (before[0] + 1, before[1] + 1)
    with station.ctx.read() as s:
        follow_up = s.scalars(select(FollowUp).where(FollowUp.appointment_id == appt.id)).one()
    assert follow_up.status == "open" and follow_up.officer_id == appt.officer_id
    assert follow_up.kind == ("welfare_check" if appt.vulnerability_flags else "recontact")


def test_grace_period_is_configurable(station: StationRuntime, counter: Actor, clock: FixedClock) -> None:
    station.ctx.policy = dataclasses.replace(station.ctx.policy, no_show_grace_minutes=30)
    appt = booked(station)
    clock.set(appt.start_at + timedelta(minutes=20))
    with pytest.raises(ValidationError, match="30 minutes after the start"):
        checkin.mark_no_show(station.ctx, counter, appt.id)


def test_left_unseen_is_recorded_for_a_waiting_visitor_only(
    station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    appt = booked(station)
    with pytest.raises(IllegalTransition, match="is booked; it cannot be marked left unseen"):
        checkin.mark_left_unseen(station.ctx, counter, appt.id)
    clock.set(appt.start_at - timedelta(minutes=5))
    checkin.check_in(station.ctx, counter, appt.reference)
    clock.advance(timedelta(minutes=50))
    view = checkin.mark_left_unseen(station.ctx, counter, appt.id)
    assert view.status == "left_unseen"
    with station.ctx.read() as s:
        assert s.get_one(Appointment, appt.id).left_unseen_at == clock.now()


def test_counter_cannot_act_at_another_station(station: StationRuntime, counter: Actor) -> None:
    appt = booked(station)
    elsewhere = copy_to_station(station, appt, "SG")
    with pytest.raises(PermissionDenied, match="another station"):
        checkin.mark_no_show(station.ctx, counter, elsewhere.id)


# --- the officer's arrival notice ----------------------------------------------------------------


def test_arrivals_for_officer_lists_their_visitors_checked_in_since(
    station: StationRuntime, counter: Actor, officer: Actor, clock: FixedClock
) -> None:
    appt = booked(station)
    with station.ctx.write.begin() as s:
        s.execute(update(Officer).where(Officer.username == "officer.HH").values(username=None))
        s.execute(update(Officer).where(Officer.id == appt.officer_id).values(username="officer.HH"))
    since = clock.now()
    assert checkin.arrivals_for_officer(station.ctx, officer, since) == []
    clock.set(appt.start_at - timedelta(minutes=10))
    checkin.check_in(station.ctx, counter, appt.reference)
    arrivals = checkin.arrivals_for_officer(station.ctx, officer, since)
    assert [(a.reference, a.arrived_at) for a in arrivals] == [(appt.reference, clock.now())]
    assert checkin.arrivals_for_officer(station.ctx, officer, clock.now()) == []
    # Someone else's visitor is not announced to this officer; nobody's are to a counter clerk.
    assert checkin.arrivals_for_officer(station.ctx, counter, since) == []
    # A visitor the officer already took in (in progress) still counts as arrived since then: a
    # poll that comes late must not miss them (the one arrivals query; scheduling has none).
    checkin.start_meeting(station.ctx, officer, appt.id)
    assert [a.reference for a in checkin.arrivals_for_officer(station.ctx, officer, since)] == [appt.reference]
    assert not hasattr(scheduling, "arrivals_since")


# --- the confidential briefing notes -------------------------------------------------------------

MARKER = "ZQXJ confidential marker"


def _contains_marker(value: Any, depth: int = 0) -> bool:
    if depth > 6:
        return False
    if isinstance(value, bytes):
        if value.startswith(b"%PDF"):
            from pypdf import PdfReader

            text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(value)).pages)
            return MARKER.casefold() in " ".join(text.split()).casefold()
        return MARKER.encode() in value
    if isinstance(value, str):
        return MARKER in value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_contains_marker(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return any(_contains_marker(v, depth + 1) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_contains_marker(v, depth + 1) for v in value)
    return MARKER in repr(value)


def _service_calls() -> list[tuple[str, Any, list[inspect.Parameter]]]:
    found = []
    for info in pkgutil.walk_packages(services.__path__, "frontcounter.services."):
        module = importlib.import_module(info.name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters.values())
            if len(params) >= 2 and params[0].name == "ctx" and params[1].name == "actor":
                found.append((f"{info.name.removeprefix('frontcounter.services.')}.{name}", fn, params[2:]))
    return found


def test_a_counter_user_never_receives_briefing_notes_from_any_service_call(
    station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    """Every public service function taking (ctx, actor) is called as counter.HH with plausible
    arguments; whatever it returns (views, PDFs' text) must not contain the notes."""
    appt = booked(station)
    with station.ctx.write.begin() as s:
        s.execute(update(Appointment).values(briefing_notes=MARKER + " — " + "details " * 10))
    today = local(clock.now()).date()
    values: dict[str, Any] = {
        "reference": appt.reference, "ref": appt.reference, "appointment": appt.reference,
        "appointment_ref_or_id": appt.reference, "appointment_id": appt.id, "day": today,
        "date": today, "query": appt.visitor_name or "a", "text": "", "since": clock.now() - timedelta(days=7),
        "start": clock.now() - timedelta(days=7), "end": clock.now() + timedelta(days=7),
        "needs": SlotNeeds(), "confidential": True, "station_code": "HH",
    }
    called, skipped, leaks = [], [], []
    for name, fn, params in _service_calls():
        args, kwargs = [], {}
        for p in params:
            if p.name in values and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                args.append(values[p.name])
            elif p.name in values:
                kwargs[p.name] = values[p.name]
            elif p.default is p.empty:
                skipped.append(name)
                break
        else:
            try:
                result = fn(station.ctx, counter, *args, **kwargs)
            except FrontCounterError:
                called.append(name)
                continue
            called.append(name)
            if _contains_marker(result):
                leaks.append(name)
    assert leaks == [], f"briefing notes reached a counter user through {leaks}"
    # The calls that matter were really made (a rename must not quietly shrink this test).
    assert {"core.appointments.list_day", "core.appointments.get", "core.appointments.get_by_reference",
            "core.appointments.search", "counter.checkin.check_in", "counter.checkin.arrivals_for_officer",
            "scheduling.slots.find_slots"} <= set(called)
    assert {"documents.contents.load_briefing", "documents.briefing.briefing_pdf",
            "documents.day_sheet.day_sheet_pdf"} <= set(called) or \
        not any(n.startswith("documents.") for n, _f, _p in _service_calls())


def test_the_briefing_itself_is_refused_to_the_counter_and_the_refusal_audited(
    station: StationRuntime, counter: Actor, officer: Actor
) -> None:
    from frontcounter.services.documents import contents as briefing

    appt = booked(station)
    with pytest.raises(PermissionDenied):
        briefing.load_briefing(station.ctx, counter, appt.reference)
    with station.ctx.read() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
    assert event is not None and (event.action, event.outcome, event.username) == (
        "briefing.open", "denied", "counter.HH")
    assert briefing.load_briefing(station.ctx, officer, appt.reference).notes  # the officer does get them
    assert "briefing_notes" not in {f.name for f in dataclasses.fields(checkin.AppointmentView)}


def test_demo_date_is_a_monday_evening() -> None:
    """The fixtures above rely on the demo's clock: Monday 23 Nov 2026, 17:30, in the session."""
    assert local(DEMO_NOW).date() == date(2026, 11, 23) and local(DEMO_NOW).hour == 17


# --- asking the centre about a reference this cache does not hold -----------------------------------


def centre_appointment(centre: Engine, code: str, after: datetime) -> tuple[str, datetime]:
    """A booked appointment at station ``code`` in the centre, starting after ``after``."""
    with centre.connect() as c:
        reference, start = c.execute(
            select(Appointment.reference, Appointment.start_at).join(Station, Station.id == Appointment.station_id)
            .where(Station.code == code, Appointment.status == Status.BOOKED.value, Appointment.start_at > after)
            .order_by(Appointment.start_at, Appointment.reference).limit(1)).one()
    return reference, start


@pytest.fixture
def centre(demo_dir: Path) -> Iterator[Engine]:
    """The demo's embedded centre (it holds every station's appointments)."""
    engine = make_engine(sqlite_url(Paths.resolve(demo_dir).embedded_central_db))
    yield engine
    engine.dispose()


def test_the_centre_says_where_and_when_a_reference_unknown_here_is_booked(
    station: StationRuntime, counter: Actor, centre: Engine
) -> None:
    reference, start = centre_appointment(centre, "SG", DEMO_NOW)
    statements: list[str] = []
    event.listen(centre, "before_cursor_execute", lambda *a: statements.append(a[2]))
    lookup = checkin.central_lookup(centre)
    assert lookup(reference) == checkin.RemoteAppointment(reference, "SG", "Stevenage", start)
    assert lookup("SG-ZZZZZ") is None
    with pytest.raises(WrongStation, match=rf"^{reference} is booked at Stevenage at {local(start):%H:%M} today\. "
                                           "Please direct the visitor there\\.$"):
        checkin.check_in(station.ctx, counter, reference, remote_lookup=lookup)
    # One narrow read by reference: the station and the start, no visitor details.
    statements = [s for s in statements if not s.startswith("BEGIN")]
    assert statements and all(s.lstrip().upper().startswith("SELECT") for s in statements)
    assert not any(word in s.lower() for s in statements for word in ("visitor", "briefing", "phone", "*"))
    # Booked here but not yet synced to this workstation: sync, then check in.
    here_ref, here_start = centre_appointment(centre, "HH", DEMO_NOW)
    with station.ctx.write.begin() as s:
        s.execute(update(Appointment).where(Appointment.reference == here_ref).values(deleted=True))
    with pytest.raises(NotFound, match=rf"{here_ref} is booked here at {local(here_start):%H:%M} today but has not "
                                       "reached this workstation yet\\. Sync now"):
        checkin.check_in(station.ctx, counter, here_ref, remote_lookup=lookup)


def test_an_unreachable_or_missing_centre_answers_nothing_and_the_cache_speaks(
    station: StationRuntime, counter: Actor, tmp_path: Path
) -> None:
    import time

    missing = tmp_path / "nowhere" / "central.sqlite"
    for url in (f"sqlite+pysqlite:///{missing}", "postgresql+psycopg://nobody@127.0.0.1:9/none", "::not a url::"):
        started = time.monotonic()
        assert checkin.central_lookup_at(url)("SG-4KQ7M") is None, url
        assert time.monotonic() - started < checkin.LOOKUP_TIMEOUT_S + 2, url
        with pytest.raises(WrongStation, match="SG-4KQ7M is a reference for Stevenage, not this station"):
            checkin.check_in(station.ctx, counter, "SG-4KQ7M", remote_lookup=checkin.central_lookup_at(url))
    assert not missing.parent.exists(), "asking an absent embedded centre must not create it"


def test_a_centre_that_never_answers_is_given_up_on_after_the_short_timeout() -> None:
    """A server that accepts the connection and then says nothing (a hung centre, a half-open link):
    the clerk hears the cache's answer after ``LOOKUP_TIMEOUT_S``, not the sync's 10 s."""
    import socket
    import time

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the kernel completes the handshake; nobody ever answers
        url = f"postgresql+psycopg://nobody@127.0.0.1:{silent.getsockname()[1]}/none"
        started = time.monotonic()
        assert checkin.central_lookup_at(url)("SG-4KQ7M") is None
        waited = time.monotonic() - started
    assert checkin.LOOKUP_TIMEOUT_S - 1 <= waited < checkin.LOOKUP_TIMEOUT_S + 2


def test_the_cli_check_in_asks_the_configured_centre(
    demo_dir: Path, centre: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    from frontcounter.cli.main import main as cli_main

    reference, start = centre_appointment(centre, "SG", DEMO_NOW)
    assert cli_main(["--data-dir", str(demo_dir), "check-in", reference]) == 1
    err = capsys.readouterr().err
    assert f"{reference} is booked at Stevenage at {local(start):%H:%M}" in err and err.count("\n") == 1


def test_a_station_role_learns_where_another_stations_reference_is_but_nothing_else(
    pg_url: str, clock: FixedClock
) -> None:
    """On a PostgreSQL centre with row-level security a station's role cannot read other stations'
    appointments; the lookup goes through the centre's narrow ``locate_appointment`` function."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from frontcounter.db import rls
    from frontcounter.db.migrate import upgrade
    from frontcounter.services.demo.seed import seed_central

    owner = make_engine(pg_url)
    role = f"fc_t{uuid.uuid4().hex[:8]}_hh"
    as_station = None
    try:
        upgrade(owner)
        seed_central(owner, clock)
        reference, start = centre_appointment(owner, "SG", DEMO_NOW)
        expected = checkin.RemoteAppointment(reference, "SG", "Stevenage", start)
        assert checkin.central_lookup(owner)(reference) == expected  # no row-level security yet
        rls.create_station_role(owner, "HH", "hh-secret", role=role)
        as_station = create_engine(make_url(pg_url).set(username=role, password="hh-secret"))
        with as_station.connect() as c:
            hidden = c.execute(text("SELECT count(*) FROM appointments WHERE reference = :r"), {"r": reference})
            assert hidden.scalar_one() == 0
        assert checkin.central_lookup(as_station)(reference) == expected
        assert checkin.central_lookup(as_station)("SG-ZZZZZ") is None
    finally:
        if as_station is not None:
            as_station.dispose()
        with owner.begin() as c:
            if c.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
                c.execute(text(f'DROP OWNED BY "{role}"'))
                c.execute(text(f'DROP ROLE "{role}"'))
        owner.dispose()
