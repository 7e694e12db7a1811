"""Audit completeness on a real PostgreSQL centre: a scripted day (sign in, book, check in, search,
a refused and an allowed briefing, print, export, purge) leaves exactly the expected audit events
at the station, the same events reach the centre by sync, the erasure reaches the centre without
the erased values, and the centre refuses any update or delete of an audit row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from frontcounter.db.engine import make_engine, make_session_factory
from frontcounter.db.models import Appointment
from frontcounter.paths import Paths
from frontcounter.runtime import create_demo, open_station
from frontcounter.services.core.clock import FixedClock, local
from frontcounter.services.security.retention import PERSONAL_FIELDS
from frontcounter.services.sync import station as sync
from tests import scripted_day
from tests.conftest import DEMO_NOW

pytestmark = pytest.mark.postgres


def test_a_scripted_day_leaves_exactly_the_expected_audit_trail_here_and_at_the_centre(
    pg_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    """The fixture clock (its moves reach FRONTCOUNTER_CLOCK, which the embedded centre's clock
    follows in tests), so the day's 47 minutes are not taken for a skewed station clock."""
    paths = Paths.resolve(tmp_path / "hh")
    create_demo(paths, clock=clock, central_url=pg_url, station_code="HH")
    central = make_engine(pg_url)
    station = open_station(paths, clock=clock)
    try:
        scripted_day.add_clerk(central)
        sync.sync_once(station.engine, central, "HH", clock=clock)

        day = scripted_day.run_day(station, central, str(tmp_path))

        here = scripted_day.events_since(station.engine, day.first_seq)
        assert scripted_day.as_expected(here) == day.expected
        # Who, role, station, workstation, when: on every event.
        assert {(e.station_code, e.workstation) for e in here} == {("HH", station.ctx.workstation)}
        assert all(DEMO_NOW <= e.at <= clock.now() and e.role for e in here)
        # The disclosures name their recipient; the erasures name the fields, never the values.
        by_action = {e.action: e for e in here}
        assert by_action["briefing.print"].details["recipient"] == "printer:HH front office"
        assert by_action["report.export_appointments"].details["destination"] == day.export_file
        erasures = json.dumps([e.details for e in here if e.category == "erasure"], ensure_ascii=False)
        assert scripted_day.VISITOR_NAME not in erasures and "Jane Smith" not in erasures

        report = sync.sync_once(station.engine, central, "HH", clock=clock)
        assert report.audit_sent == len(here) and report.rejected == 0

        there = scripted_day.events_since(central, day.first_seq)
        assert scripted_day.as_expected(there) == day.expected
        assert [e.id for e in there] == [e.id for e in here]
        # A second sync sends nothing twice.
        assert sync.sync_once(station.engine, central, "HH", clock=clock).audit_sent == 0
        assert len(scripted_day.events_since(central, day.first_seq)) == len(here)

        # The visit's end fills the report: the wait (arrived → taken in), the outcome and the
        # rating, at the station and at the centre alike.
        from frontcounter.services.core.context import ServiceContext as _Ctx
        from frontcounter.services.reports.figures import compute_report
        from tests.conftest import actor_named as _named

        boss = _named(station, "supervisor.HH")
        assert day.visit_start is not None
        visit_day = local(day.visit_start).date()
        for ctx in (station.ctx, _Ctx(engine=central, clock=clock, mode="central")):
            figures = compute_report(ctx, boss, visit_day, visit_day, "HH").figures_for("HH")
            assert figures.wait_histogram == ((int(scripted_day.WAIT.total_seconds() // 60), 1),)
            assert figures.wait_average == scripted_day.WAIT.total_seconds() / 60
            assert figures.outcome("kept") == 1
            assert figures.feedback_responses == 1 and figures.feedback_average == scripted_day.RATING

        # The erasure reached the centre: the purged appointments hold no personal data there.
        with make_session_factory(central)() as s:
            rows = s.scalars(select(Appointment).where(Appointment.reference.in_(day.purged))).all()
        assert len(rows) == len(day.purged)
        assert all(r.purged_at is not None for r in rows)
        assert all(getattr(r, f) == v for r in rows for f, v in PERSONAL_FIELDS.items())

        # The auditor searches the centre's log (PostgreSQL: case folded by ILIKE) and exports it.
        from frontcounter.services.core.context import ServiceContext
        from frontcounter.services.security import audit_log
        from tests.conftest import actor_named

        centre_ctx = ServiceContext(engine=central, clock=clock, mode="central", workstation="audit-office")
        auditor = actor_named(station, "auditor.HH")
        found = audit_log.list_events(centre_ctx, auditor, text="QUENBY", user=scripted_day.CLERK)
        assert [(e.action, e.details["query"]) for e in found] == [("appointments.search", "Quenby")]
        exported = audit_log.export_csv(centre_ctx, auditor, recipient="hh-day.csv", user=scripted_day.CLERK)
        assert exported.count("\r\n") == 2 + sum(1 for e in day.expected if e[0] == scripted_day.CLERK)

        # Append-only at the centre: the database refuses to change or remove an audit row.
        for sql in ("UPDATE audit_events SET outcome = 'success' WHERE outcome = 'denied'",
                    "DELETE FROM audit_events WHERE username = :u", "TRUNCATE audit_events"):
            with pytest.raises(DBAPIError, match="append-only"), central.begin() as c:
                c.execute(text(sql), {"u": scripted_day.CLERK})
        # Nothing was removed; the auditor's own search and export were added (at the centre).
        after = scripted_day.events_since(central, day.first_seq)
        assert [e.action for e in after[len(here):]] == ["audit.view", "audit.export"]
        assert {e.workstation for e in after[len(here):]} == {"audit-office"}
    finally:
        station.engine.dispose()
        central.dispose()
