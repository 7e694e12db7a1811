"""The whole role-by-action matrix (DESIGN.md section 5), checked three ways:

1. the one table in services/core/permissions.py against an expectation written out here by hand;
2. every action through the real service function that performs it, for every role: a refused
   role gets ``PermissionDenied``, the refusal is audited, and nothing is written; an allowed role
   is never refused (it may still meet an ordinary error, such as a visitor already checked in);
3. the CLI paths: a refused role exits 1 with a one-line message, and the attempt is audited.

Plus the two promises that matter most: counter staff never receive briefing notes, through any
service or CLI path; admin sees no case content.
"""

from __future__ import annotations

import dataclasses
import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from frontcounter.cli.main import main as cli_main
from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.models import (
    Appointment,
    AuditEvent,
    Duty,
    OutboxEntry,
    Role,
    Room,
    Station,
    Status,
    User,
)
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime
from frontcounter.services.core import appointments
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock, local_today
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import FrontCounterError, PermissionDenied
from frontcounter.services.core.permissions import FORCE_WIDE_ROLES, ROLE_ACTIONS, Action, allowed
from frontcounter.services.counter import attention, checkin, feedback
from frontcounter.services.documents import contents as briefing
from frontcounter.services.documents.briefing import briefing_pdf
from frontcounter.services.documents.day_sheet import day_sheet_pdf
from frontcounter.services.documents.slip import slip_pdf
from frontcounter.services.reports import figures as reports
from frontcounter.services.reports.export import export_report
from frontcounter.services.scheduling import changes as scheduling
from frontcounter.services.scheduling import contacts, importer, roster
from frontcounter.services.scheduling import slots as booking
from frontcounter.services.scheduling.premises import RoomInput, add_room, add_session
from frontcounter.services.scheduling.reassignment import suitable_officers
from frontcounter.services.security import audit_log, auth, retention
from frontcounter.services.security.auth import actor_for
from frontcounter.services.sync import rejections
from tests.conftest import actor_named
from tests.demo_keys import with_demo_key

#: Runs again under shifted wall clocks in CI (scripts/test-any-date.sh -m wallclock).
pytestmark = pytest.mark.wallclock

A = Action
COUNTER = {A.VIEW_APPOINTMENTS, A.SEARCH, A.CHECK_IN, A.MARK_NO_SHOW, A.MARK_LEFT_UNSEEN, A.START_MEETING,
           A.COMPLETE, A.BOOK, A.PRINT_SLIP,
           A.PRINT_DAY_SHEET, A.RECORD_FEEDBACK, A.SYNC, A.RESEND_REJECTED}
OFFICER = {A.VIEW_APPOINTMENTS, A.SEARCH, A.CHECK_IN, A.MARK_NO_SHOW, A.MARK_LEFT_UNSEEN, A.START_MEETING,
           A.COMPLETE, A.READ_BRIEFING, A.PRINT_BRIEFING, A.PRINT_SLIP, A.PRINT_DAY_SHEET,
           A.PRINT_CONFIDENTIAL_DAY_SHEET, A.RECORD_FEEDBACK, A.MANAGE_FOLLOW_UPS, A.SYNC, A.RESEND_REJECTED}
#: Written out by hand: a change to the table must change this too, on purpose.
EXPECTED: dict[Role, set[Action]] = {
    Role.COUNTER: COUNTER,
    Role.OFFICER: OFFICER,
    Role.SUPERVISOR: COUNTER | OFFICER | {A.RESCHEDULE, A.CANCEL, A.REASSIGN, A.MANAGE_ROSTER, A.MANAGE_ROOMS,
                                          A.MANAGE_SESSIONS, A.SETTLE_ATTENTION, A.IMPORT, A.VIEW_REPORTS,
                                          A.EXPORT_REPORTS},
    Role.FCR: {A.VIEW_APPOINTMENTS, A.SEARCH, A.BOOK, A.RESCHEDULE, A.CANCEL, A.READ_BRIEFING, A.RECORD_CONTACT,
               A.PRINT_SLIP, A.IMPORT, A.VIEW_REPORTS, A.EXPORT_REPORTS, A.SYNC},
    Role.AUDITOR: {A.VIEW_AUDIT, A.EXPORT_AUDIT, A.SYNC},
    Role.ADMIN: {A.MANAGE_USERS, A.CONFIGURE_STATION, A.MANAGE_ROOMS, A.MANAGE_SESSIONS, A.PURGE, A.SYNC},
}
#: Actions that show or hand over case content (visitors, their needs, the notes).
CASE_CONTENT = {A.VIEW_APPOINTMENTS, A.SEARCH, A.CHECK_IN, A.MARK_NO_SHOW, A.MARK_LEFT_UNSEEN, A.START_MEETING,
                A.COMPLETE, A.BOOK, A.RESCHEDULE, A.CANCEL, A.REASSIGN, A.READ_BRIEFING, A.PRINT_BRIEFING,
                A.PRINT_SLIP, A.PRINT_DAY_SHEET, A.PRINT_CONFIDENTIAL_DAY_SHEET, A.RECORD_FEEDBACK,
                A.MANAGE_FOLLOW_UPS, A.SETTLE_ATTENTION, A.RECORD_CONTACT, A.IMPORT, A.EXPORT_REPORTS,
                A.RESEND_REJECTED}
BRIEFING_NOTES = {A.READ_BRIEFING, A.PRINT_BRIEFING, A.PRINT_CONFIDENTIAL_DAY_SHEET}


# --- 1. The table ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_the_table_cell_by_cell(role: Role, action: Action) -> None:
    assert (action in ROLE_ACTIONS[role]) == (action in EXPECTED[role])


def test_least_privilege_promises() -> None:
    assert not ROLE_ACTIONS[Role.COUNTER] & BRIEFING_NOTES
    assert not ROLE_ACTIONS[Role.ADMIN] & CASE_CONTENT
    assert ROLE_ACTIONS[Role.AUDITOR] - {A.SYNC} == {A.VIEW_AUDIT, A.EXPORT_AUDIT}
    assert not ROLE_ACTIONS[Role.AUDITOR] & CASE_CONTENT
    assert {r for r in Role if A.VIEW_AUDIT in ROLE_ACTIONS[r]} == {Role.AUDITOR}
    assert {r for r in Role if A.PURGE in ROLE_ACTIONS[r]} == {Role.ADMIN}
    assert {Role.FCR, Role.AUDITOR} == FORCE_WIDE_ROLES


def _actor(role: Role, station_id: uuid.UUID | None) -> Actor:
    return Actor(uuid.uuid4(), f"{role.value}.X", "X", role, station_id, "X", "ws")


def test_station_scope() -> None:
    here, there = uuid.uuid4(), uuid.uuid4()
    for role in Role:
        for action in ROLE_ACTIONS[role]:
            assert allowed(_actor(role, here), action, here)
            assert allowed(_actor(role, here), action, there) == (role in FORCE_WIDE_ROLES), (role, action)


# --- 2. Through the services -----------------------------------------------------------------


@dataclass
class World:
    """What the probes act on: references and ids in the HH cache at the demo's Monday evening."""

    ctx: ServiceContext
    tmp: Path
    today: date
    upcoming: list[str]
    overdue: str
    arrived: list[str]
    in_progress: str | None
    completed: str
    officer_id: uuid.UUID
    room_id: uuid.UUID
    report: Any


def _world(station: StationRuntime, tmp: Path) -> World:
    ctx = station.ctx
    now = ctx.clock.now()
    with ctx.read() as s:
        def refs(*where: Any) -> list[str]:
            return list(s.scalars(select(Appointment.reference).where(*where).order_by(Appointment.start_at)))

        upcoming = refs(Appointment.status == Status.BOOKED.value, Appointment.start_at > now + timedelta(hours=1))
        overdue = refs(Appointment.status == Status.BOOKED.value, Appointment.start_at < now - timedelta(hours=1))
        arrived = refs(Appointment.status == Status.ARRIVED.value)
        in_progress = refs(Appointment.status == Status.IN_PROGRESS.value)
        completed = refs(Appointment.status == Status.COMPLETED.value)
        officer_id = s.scalars(select(Duty.officer_id)).first()
        hh = s.scalars(select(Station.id).where(Station.code == "HH")).one()
        room_id = s.scalars(select(Room.id).where(Room.station_id == hh)).first()
    # With no overdue visitor, a no-show is refused as too early, but only after the permission check.
    overdue = overdue or upcoming[6:7]
    supervisor = actor_named(station, "supervisor.HH")
    while len(arrived) < 2:  # visitors waiting, for left-unseen and start
        arrived.append(checkin.check_in(ctx, supervisor, upcoming.pop(), force=True).appointment.reference)
    if not in_progress:
        ref = checkin.check_in(ctx, supervisor, upcoming.pop(), force=True).appointment.reference
        in_progress = [checkin.start_meeting(ctx, supervisor, ref).reference]
    assert len(upcoming) >= 8 and completed and officer_id and room_id
    today = local_today(ctx.clock)
    return World(ctx, tmp, today, upcoming, overdue[-1], arrived, in_progress[0] if in_progress else None,
                 completed[-1], officer_id, room_id, reports.compute_report(ctx, supervisor, today, today))


def _import_file(w: World) -> Path:
    path = w.tmp / "import.csv"
    path.write_text("external_id,station,start,visitor_name,reason\nCC-1,HH,2026-11-30 17:00,Test Visitor,other\n")
    return path


def _appointment_id(w: World, reference: str) -> uuid.UUID:
    with w.ctx.read() as s:
        return s.scalars(select(Appointment.id).where(Appointment.reference == reference)).one()


Probe = Callable[[World, Actor], object]
PROBES: dict[Action, Probe] = {
    A.VIEW_APPOINTMENTS: lambda w, a: appointments.list_day(w.ctx, a, w.today),
    A.SEARCH: lambda w, a: appointments.search(w.ctx, a, "Smith"),
    A.CHECK_IN: lambda w, a: checkin.check_in(w.ctx, a, w.upcoming[0], force=True),
    A.MARK_NO_SHOW: lambda w, a: checkin.mark_no_show(w.ctx, a, w.overdue),
    A.MARK_LEFT_UNSEEN: lambda w, a: checkin.mark_left_unseen(w.ctx, a, w.arrived[0]),
    A.START_MEETING: lambda w, a: checkin.start_meeting(w.ctx, a, w.arrived[1]),
    A.COMPLETE: lambda w, a: checkin.complete(w.ctx, a, w.in_progress or w.arrived[1]),
    A.BOOK: lambda w, a: booking.find_slots(w.ctx, a, booking.SlotNeeds()),
    A.RESCHEDULE: lambda w, a: scheduling.reschedule(
        w.ctx, a, w.upcoming[1],
        scheduling.ChosenSlot(room_id=w.room_id, officer_id=None, start=w.ctx.clock.now() + timedelta(days=9),
                              end=w.ctx.clock.now() + timedelta(days=9, hours=1)),  # type: ignore[call-arg]
        "visitor_request"),
    A.CANCEL: lambda w, a: scheduling.cancel(w.ctx, a, w.upcoming[2], "visitor_request"),
    A.REASSIGN: lambda w, a: suitable_officers(w.ctx, a, w.upcoming[3]),
    A.READ_BRIEFING: lambda w, a: briefing.load_briefing(w.ctx, a, w.upcoming[4]),
    A.PRINT_BRIEFING: lambda w, a: briefing_pdf(w.ctx, a, w.upcoming[4], recipient="b.pdf"),
    A.PRINT_SLIP: lambda w, a: slip_pdf(w.ctx, a, w.upcoming[5]),
    A.PRINT_DAY_SHEET: lambda w, a: day_sheet_pdf(w.ctx, a, w.today),
    A.PRINT_CONFIDENTIAL_DAY_SHEET: lambda w, a: day_sheet_pdf(w.ctx, a, w.today, confidential=True),
    A.RECORD_FEEDBACK: lambda w, a: feedback.record_feedback(w.ctx, a, w.completed, 5),
    A.MANAGE_ROSTER: lambda w, a: roster.add_duty(
        w.ctx, a, w.officer_id, w.ctx.clock.now() + timedelta(days=20), w.ctx.clock.now() + timedelta(days=20, hours=3)),
    A.MANAGE_ROOMS: lambda w, a: add_room(w.ctx, a, RoomInput(name=f"Room {uuid.uuid4().hex[:6]}")),
    A.MANAGE_SESSIONS: lambda w, a: add_session(w.ctx, a, 6, time(8), time(9)),
    A.SETTLE_ATTENTION: lambda w, a: attention.list_items(w.ctx, a),
    A.RESEND_REJECTED: lambda w, a: rejections.list_not_accepted(w.ctx, a),
    A.RECORD_CONTACT: lambda w, a: contacts.record_contact(w.ctx, a, _appointment_id(w, w.upcoming[6]), "no_answer"),
    A.IMPORT: lambda w, a: importer.import_file(w.ctx, a, _import_file(w)),
    A.VIEW_REPORTS: lambda w, a: reports.compute_report(w.ctx, a, w.today, w.today),
    A.EXPORT_REPORTS: lambda w, a: export_report(w.ctx, a, w.report, "csv"),
    A.VIEW_AUDIT: lambda w, a: audit_log.list_events(w.ctx, a),
    A.EXPORT_AUDIT: lambda w, a: audit_log.export_csv(w.ctx, a, recipient="audit.csv"),
    A.PURGE: lambda w, a: retention.purge(w.ctx, a, retention.RetentionPolicy()),
    A.MANAGE_USERS: lambda w, a: auth.unlock_account(w.ctx, a, "counter.HH"),
}
#: Actions no service performs yet, or that guard nothing of their own (said here, not hidden).
UNPROBED = {
    A.MANAGE_FOLLOW_UPS: "no follow-up service yet",
    A.SYNC: "every role may sync; the sync worker acts for the station, not for a user",
    A.CONFIGURE_STATION: "the PC's own config.json; the Settings dialog offers its set-up fields to admins only",
}


def test_every_action_is_probed_or_says_why_not() -> None:
    assert set(PROBES) | set(UNPROBED) == set(Action) and not set(PROBES) & set(UNPROBED)


def _state(ctx: ServiceContext) -> tuple[int, int]:
    with ctx.read() as s:
        return (s.scalar(select(func.count()).select_from(OutboxEntry)) or 0,
                s.scalar(select(func.max(AuditEvent.local_seq))) or 0)


@pytest.mark.parametrize("role", list(Role))
def test_every_action_through_its_service(station: StationRuntime, tmp_path: Path, role: Role) -> None:
    world = _world(station, tmp_path)
    actor = actor_named(station, f"{role.value}.HH")
    for action, probe in PROBES.items():
        outbox, last_seq = _state(world.ctx)
        if action in EXPECTED[role]:
            try:
                probe(world, actor)
            except PermissionDenied as exc:
                pytest.fail(f"{role.value} refused {action.value}: {exc}")
            except FrontCounterError:
                pass  # allowed, and refused for an ordinary reason (state of the demo data)
            continue
        with pytest.raises(PermissionDenied):
            probe(world, actor)
        with world.ctx.read() as s:
            new = s.scalars(select(AuditEvent).where(AuditEvent.local_seq > last_seq)).all()
            new_outbox = s.scalar(select(func.count()).select_from(OutboxEntry)) or 0
        assert [(e.username, e.outcome) for e in new] == [(actor.username, "denied")], (role.value, action.value)
        assert new_outbox == outbox, f"{role.value} {action.value}: a refused attempt wrote to the outbox"


def _central_world(demo_dir: Path, clock: FixedClock) -> ServiceContext:
    engine = make_engine(sqlite_url(Paths.resolve(demo_dir).embedded_central_db))
    return ServiceContext(engine=engine, clock=clock, station_code=None, mode="central", workstation="centre")


def test_station_roles_are_confined_to_their_station_at_the_centre(demo_dir: Path, clock: FixedClock) -> None:
    """At the centre, which holds every station: HH staff are refused SG's appointments, audited."""
    ctx = _central_world(demo_dir, clock)
    try:
        with ctx.read() as s:
            sg = s.scalars(select(Station).where(Station.code == "SG")).one()
            ref = s.scalars(select(Appointment.reference).where(
                Appointment.station_id == sg.id, Appointment.status == Status.BOOKED.value,
                Appointment.start_at > clock.now() + timedelta(hours=1))).first()
            users = {u.username: u for u in s.scalars(select(User).where(User.username.like("%.HH")))}
            hh = s.scalars(select(Station).where(Station.code == "HH")).one()
        assert ref
        actors = {name: with_demo_key(actor_for(u, hh, "centre"), u.wrapped_private_key) for name, u in users.items()}
        for name in ("officer.HH", "supervisor.HH"):
            with pytest.raises(PermissionDenied, match="another station"):
                briefing.load_briefing(ctx, actors[name], ref)
            with pytest.raises(PermissionDenied):
                appointments.get_by_reference(ctx, actors[name], ref)
        assert briefing.load_briefing(ctx, actors["fcr.HH"], ref).reference == ref  # the FCR sees all
        with ctx.read() as s:
            denied = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied",
                                                        AuditEvent.record == f"appointment:{ref}")).all()
        assert {e.username for e in denied} == {"officer.HH", "supervisor.HH"}
    finally:
        ctx.engine.dispose()


# --- Briefing notes never reach the counter; admin sees no case content ----------------------


def _notes(station: StationRuntime) -> list[str]:
    with station.ctx.read() as s:
        return [n for n in s.scalars(select(Appointment.briefing_notes)) if n]


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_counter_staff_never_get_briefing_notes_from_any_service(station: StationRuntime, counter: Actor) -> None:
    notes = _notes(station)
    assert notes
    fragments = {" ".join(n.split()[:4]) for n in notes}
    today = local_today(station.ctx.clock)
    views = appointments.list_day(station.ctx, counter, today)
    found = appointments.search(station.ctx, counter, "a")
    assert "briefing_notes" not in {f.name for f in dataclasses.fields(appointments.AppointmentView)}
    dumped = json.dumps([dataclasses.asdict(v) for v in [*views, *found]], default=str, ensure_ascii=False)
    sheet = _pdf_text(day_sheet_pdf(station.ctx, counter, today))
    slip = _pdf_text(slip_pdf(station.ctx, counter, views[0].reference))
    for text in (dumped, sheet, slip):
        assert not any(f in text for f in fragments)
    for probe in (lambda: briefing.load_briefing(station.ctx, counter, views[0].reference),
                  lambda: briefing_pdf(station.ctx, counter, views[0].reference),
                  lambda: day_sheet_pdf(station.ctx, counter, today, confidential=True)):
        with pytest.raises(PermissionDenied):
            probe()


def test_admin_sees_no_case_content(station: StationRuntime) -> None:
    admin = actor_named(station, "admin.HH")
    today = local_today(station.ctx.clock)
    for probe in (lambda: appointments.list_day(station.ctx, admin, today),
                  lambda: appointments.search(station.ctx, admin, "Smith"),
                  lambda: briefing.load_briefing(station.ctx, admin, _notes_ref(station)),
                  lambda: slip_pdf(station.ctx, admin, _notes_ref(station)),
                  lambda: reports.compute_report(station.ctx, admin, today, today),
                  lambda: audit_log.list_events(station.ctx, admin)):
        with pytest.raises(PermissionDenied):
            probe()


def _notes_ref(station: StationRuntime) -> str:
    with station.ctx.read() as s:
        return s.scalars(select(Appointment.reference).where(Appointment.briefing_notes.is_not(None))).first()


# --- 3. The CLI ------------------------------------------------------------------------------


CLI_REFUSALS = [
    ("counter.HH", ["briefing", "{ref}", "-o", "{out}"], "briefing.print"),
    ("counter.HH", ["day-sheet", "--confidential", "-o", "{out}"], "day_sheet.print"),
    ("admin.HH", ["appointments", "--json"], "appointments.list"),
    ("admin.HH", ["slip", "{ref}", "-o", "{out}"], "slip.print"),
    ("auditor.HH", ["check-in", "{ref}"], "appointment.check_in"),
    ("counter.HH", ["audit", "--json"], "audit.view"),
    ("officer.HH", ["purge"], "retention.purge"),
]


@pytest.mark.parametrize(("username", "argv", "audited_as"), CLI_REFUSALS)
def test_cli_refusals_exit_1_and_are_audited(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    username: str, argv: list[str], audited_as: str,
) -> None:
    station_db = Paths.resolve(demo_dir).station_db
    engine = make_engine(sqlite_url(station_db))
    try:
        with engine.connect() as c:
            ref = c.execute(select(Appointment.reference).where(Appointment.briefing_notes.is_not(None))).scalar()
        out = tmp_path / "out.pdf"
        monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")
        args = [a.format(ref=ref, out=out) for a in argv]
        assert cli_main(["--data-dir", str(demo_dir), "--user", username, *args]) == 1
        captured = capsys.readouterr()
        assert captured.err.startswith("frontcounter: A ") and "may not" in captured.err
        assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
        assert not out.exists() and ref not in captured.out
        with engine.connect() as c:
            last = c.execute(select(AuditEvent.username, AuditEvent.action, AuditEvent.outcome)
                             .order_by(AuditEvent.local_seq.desc())).first()
        assert tuple(last) == (username, audited_as, "denied")
    finally:
        engine.dispose()


def test_cli_appointments_json_for_the_counter_has_no_notes(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], station: StationRuntime
) -> None:
    fragments = {" ".join(n.split()[:4]) for n in _notes(station)}
    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")
    assert cli_main(["--data-dir", str(demo_dir), "--user", "counter.HH", "appointments", "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) and not any(f in out for f in fragments)
