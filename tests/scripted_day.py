"""A scripted day at the Hemel Hempstead counter, for the audit and privacy tests.

A clerk with a password of their own signs in (once wrongly), books a walk-in, checks them in,
searches for them and tries to open the briefing; the officer opens and prints it, takes the
visitor in after a wait of ``WAIT``, and sees them; the clerk records their rating; the supervisor
exports the day's list; the admin runs the retention purge; then the station syncs. ``expected``
lists exactly the audit events the day must leave, in order.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from frontcounter.db.engine import make_session_factory
from frontcounter.db.models import Appointment, AuditEvent, Role, Station, User
from frontcounter.runtime import StationRuntime
from frontcounter.services.core import appointments
from frontcounter.services.core.clock import FixedClock, local_today
from frontcounter.services.core.commands import next_central_version
from frontcounter.services.core.errors import AuthenticationError, PermissionDenied
from frontcounter.services.counter import checkin, visit
from frontcounter.services.counter.feedback import record_feedback
from frontcounter.services.documents import contents as briefing
from frontcounter.services.documents.briefing import briefing_pdf
from frontcounter.services.reports.export import export_appointments
from frontcounter.services.scheduling.booking import WalkInRequest, book_walk_in
from frontcounter.services.security import auth, retention
from frontcounter.services.sync.report import SyncReport

CLERK = "clerk.HH"
#: Distinctive, so a scan of files and logs cannot mistake anything else for it.
CLERK_PASSWORD = "Quokka-Sunrise-8817!"
VISITOR_NAME = "Philippa Quenby-Hartwell"
VISITOR_PHONE = "07700 900461"
VISITOR_EMAIL = "p.quenby.hartwell@example.org"
SAFE_CONTACT = "Text only after 18:00, never call the landline"
POLICY = retention.RetentionPolicy(personal_data_days=2, closed_follow_up_days=2, audit_days=2200)

#: How long the visitor waits between check-in and being taken in, and how long the officer sees them.
WAIT = timedelta(minutes=12)
MEETING = timedelta(minutes=35)
RATING = 4

Expected = tuple[str, str, str, str | None, str]  # user, category, action, record, outcome


@dataclass
class Day:
    reference: str
    first_seq: int
    purged: list[str]
    export_file: str
    #: When the walk-in's appointment starts (the day the report covers).
    visit_start: datetime | None = None
    sync_report: SyncReport | None = None
    expected: list[Expected] = field(default_factory=list)


def add_clerk(central: Engine) -> None:
    """A counter clerk with their own password, created at the centre (as a real install would)."""
    with make_session_factory(central, write=True).begin() as s:
        station = s.scalars(select(Station).where(Station.code == "HH")).one()
        version = next_central_version(s)
        s.add(User(id=uuid.uuid4(), username=CLERK, display_name="Clerk (Hemel Hempstead)", role=Role.COUNTER.value,
                   station_id=station.id, password_hash=auth.hash_password(CLERK_PASSWORD), active=True,
                   version=version))


def run_day(station: StationRuntime, central: Engine, tmp_dir: str) -> Day:
    """Play the day; ``central`` already holds the clerk and the station has pulled them."""
    ctx = station.ctx
    with ctx.read() as s:
        first_seq = s.scalar(select(AuditEvent.local_seq).order_by(AuditEvent.local_seq.desc()).limit(1)) or 0

    with contextlib.suppress(AuthenticationError):
        auth.sign_in(ctx, CLERK, "Quokka-Sunset-0000")
    clerk = auth.sign_in(ctx, CLERK, CLERK_PASSWORD)
    booked = book_walk_in(ctx, clerk, WalkInRequest(  # today's evening is full
        visitor_name=VISITOR_NAME, visitor_phone=VISITOR_PHONE, day=local_today(ctx.clock) + timedelta(days=1),
        extra={"visitor_email": VISITOR_EMAIL, "safe_contact": SAFE_CONTACT}))
    ref = booked.reference
    checkin.check_in(ctx, clerk, ref, force=True)
    appointments.search(ctx, clerk, "Quenby")
    with contextlib.suppress(PermissionDenied):
        briefing.load_briefing(ctx, clerk, ref)

    officer = auth.sign_in(ctx, "officer.HH", "demo")
    briefing.load_briefing(ctx, officer, ref)
    briefing_pdf(ctx, officer, ref, recipient="printer:HH front office", destination="printer")
    assert isinstance(ctx.clock, FixedClock) or isinstance(getattr(ctx.clock, "_inner", None), FixedClock)
    ctx.clock.advance(WAIT)  # type: ignore[attr-defined]  (a CorrectedClock passes it to its FixedClock)
    visit.take_in(ctx, officer, ref)
    ctx.clock.advance(MEETING)  # type: ignore[attr-defined]
    visit.complete(ctx, officer, ref)
    record_feedback(ctx, clerk, ref, RATING)

    supervisor = auth.sign_in(ctx, "supervisor.HH", "demo")
    today = local_today(ctx.clock)
    views = appointments.list_day(ctx, supervisor, today)
    export_file = f"{tmp_dir}/todays-visitors.csv"
    data = export_appointments(ctx, supervisor, views, "csv", figure_key="day", title="Today",
                                             date_from=today, date_to=today, destination=export_file)
    with open(export_file, "wb") as handle:
        handle.write(data)

    admin = auth.sign_in(ctx, "admin.HH", "demo")
    cutoff = ctx.clock.now() - timedelta(days=POLICY.personal_data_days)
    with ctx.read() as s:
        from frontcounter.db.models import FollowUp

        held = set(s.scalars(select(FollowUp.appointment_id).where(FollowUp.status == "open")))
        purged = [a.reference for a in s.scalars(
            select(Appointment).where(Appointment.end_at < cutoff, Appointment.purged_at.is_(None))
            .order_by(Appointment.end_at, Appointment.id)) if a.id not in held]
    result = retention.purge(ctx, admin, POLICY)
    assert result.appointments == len(purged) > 0

    record = f"appointment:{ref}"
    expected: list[Expected] = [
        (CLERK, "authentication", "sign_in", f"user:{CLERK}", "denied"),
        (CLERK, "authentication", "sign_in", f"user:{CLERK}", "success"),
        (CLERK, "collection", "appointment.book", record, "success"),
        (CLERK, "alteration", "appointment.check_in", record, "success"),
        (CLERK, "consultation", "appointments.search", None, "success"),
        (CLERK, "access", "briefing.open", record, "denied"),
        ("officer.HH", "authentication", "sign_in", "user:officer.HH", "success"),
        ("officer.HH", "consultation", "briefing.open", record, "success"),
        ("officer.HH", "consultation", "briefing.open", record, "success"),  # loaded to print
        ("officer.HH", "disclosure", "briefing.print", record, "success"),
        ("officer.HH", "alteration", "appointment.start", record, "success"),
        ("officer.HH", "alteration", "appointment.complete", record, "success"),
        (CLERK, "collection", "appointment.feedback", record, "success"),
        ("supervisor.HH", "authentication", "sign_in", "user:supervisor.HH", "success"),
        ("supervisor.HH", "disclosure", "report.export_appointments", "report:day", "success"),
        ("admin.HH", "authentication", "sign_in", "user:admin.HH", "success"),
        *[("admin.HH", "erasure", "appointment.purge", f"appointment:{r}", "success") for r in purged],
        ("admin.HH", "erasure", retention.RUN_ACTION, None, "success"),
    ]
    return Day(reference=ref, first_seq=first_seq, purged=purged, export_file=export_file, expected=expected,
               visit_start=booked.start)


def events_since(engine: Engine, first_seq: int, station_code: str = "HH") -> list[AuditEvent]:
    with make_session_factory(engine)() as s:
        return list(s.scalars(
            select(AuditEvent).where(AuditEvent.local_seq > first_seq, AuditEvent.station_code == station_code)
            .order_by(AuditEvent.local_seq)))


def as_expected(events: list[AuditEvent]) -> list[Expected]:
    return [(e.username, e.category, e.action, e.record, e.outcome) for e in events]
