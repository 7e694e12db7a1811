"""Reading the audit log: filters, every read itself audited with its filter, the CSV export as an
audited disclosure with its recipient, and nobody but the auditor reading it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from frontcounter.db.models import AuditEvent
from frontcounter.runtime import StationRuntime
from frontcounter.services.core import appointments
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.commands import audit
from frontcounter.services.core.errors import PermissionDenied
from frontcounter.services.security import audit_log
from tests.conftest import actor_named


@pytest.fixture
def auditor(station: StationRuntime) -> Actor:
    return actor_named(station, "auditor.HH")


def _last(station: StationRuntime) -> AuditEvent:
    with station.ctx.read() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
    assert event is not None
    return event


def test_filters_by_text_user_kind_outcome_and_dates(
    station: StationRuntime, auditor: Actor, counter: Actor, clock: FixedClock
) -> None:
    appointments.search(station.ctx, counter, "Wiśniewski")
    with pytest.raises(PermissionDenied):
        audit_log.list_events(station.ctx, counter)
    clock.advance(timedelta(days=2))
    audit(station.ctx, counter, category="consultation", action="appointments.search", record=None,
          details={"query": "later_search%"})

    by_user = audit_log.list_events(station.ctx, auditor, user="counter.HH")
    assert {e.username for e in by_user} == {"counter.HH"} and len(by_user) == 3
    denied = audit_log.list_events(station.ctx, auditor, outcome="denied")
    assert [(e.username, e.action) for e in denied] == [("counter.HH", "audit.view")]
    # Text matches the user, action, record and the details (who searched for what), any case.
    assert len(audit_log.list_events(station.ctx, auditor, text="APPOINTMENTS.SEARCH")) == 2
    assert len(audit_log.list_events(station.ctx, auditor, text="Wiśniewski")) == 1
    assert len(audit_log.list_events(station.ctx, auditor, text="later_search%")) == 1
    assert audit_log.list_events(station.ctx, auditor, text="later_searchX") == []  # _ and % are literal
    recent = audit_log.list_events(station.ctx, auditor, since=clock.now() - timedelta(days=1),
                                   category="consultation", user="counter.HH")
    assert [e.action for e in recent] == ["appointments.search"]
    old = audit_log.list_events(station.ctx, auditor, until=clock.now() - timedelta(days=1), user="counter.HH")
    assert len(old) == 2
    # Newest first.
    everything = audit_log.list_events(station.ctx, auditor)
    assert [e.at for e in everything] == sorted((e.at for e in everything), reverse=True)


def test_every_read_is_audited_with_its_filter(station: StationRuntime, auditor: Actor) -> None:
    found = audit_log.list_events(station.ctx, auditor, text="sign", user="counter.HH")
    event = _last(station)
    assert (event.username, event.category, event.action, event.outcome) == (
        "auditor.HH", "consultation", "audit.view", "success")
    assert event.details == {"filter": {"text": "sign", "user": "counter.HH"}, "results": len(found)}


@pytest.mark.parametrize("username", ["counter.HH", "officer.HH", "supervisor.HH", "fcr.HH", "admin.HH"])
def test_only_the_auditor_reads_or_exports(station: StationRuntime, username: str) -> None:
    actor = actor_named(station, username)
    with pytest.raises(PermissionDenied):
        audit_log.list_events(station.ctx, actor)
    assert (_last(station).action, _last(station).outcome) == ("audit.view", "denied")
    with pytest.raises(PermissionDenied):
        audit_log.export_csv(station.ctx, actor, recipient="x.csv")
    assert (_last(station).action, _last(station).outcome) == ("audit.export", "denied")


def test_export_is_marked_defused_and_audited_as_a_disclosure(
    station: StationRuntime, auditor: Actor, counter: Actor
) -> None:
    audit(station.ctx, counter, category="consultation", action="appointments.search", record="=HYPERLINK(1)",
          details={"query": "x"})
    text = audit_log.export_csv(station.ctx, auditor, recipient="audit-20261123.csv", user="counter.HH")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["OFFICIAL-SENSITIVE"]
    assert tuple(rows[1]) == audit_log.CSV_COLUMNS
    assert len(rows) == 3 and rows[2][1] == "counter.HH" and rows[2][7] == "'=HYPERLINK(1)"
    event = _last(station)
    assert (event.category, event.action, event.username) == ("disclosure", "audit.export", "auditor.HH")
    assert event.details["recipient"] == "audit-20261123.csv" and event.details["events"] == 1
