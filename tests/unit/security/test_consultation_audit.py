"""Issue 21 item 6 (DPA 2018 s.62): every consultation and disclosure leaves an audit row — a list
shown, a list exported, a record opened, a refused sign-in whatever name was typed, a sign-out and
a switch of user — and an unknown name costs the same hash check as a real one."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from frontcounter.cli.main import main as cli_main
from frontcounter.db.engine import make_engine, make_session_factory, sqlite_url
from frontcounter.db.models import AuditEvent
from frontcounter.runtime import StationRuntime
from frontcounter.services.core import appointments
from frontcounter.services.core.clock import local_today
from frontcounter.services.core.errors import AuthenticationError
from frontcounter.services.security import auth
from tests.conftest import actor_named

pytestmark = pytest.mark.wallclock  # the CLI cases take "today" from the process clock


def _events(station: StationRuntime, action: str) -> list[AuditEvent]:
    with station.ctx.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.local_seq)))


def _cli_events(data: Path, action: str) -> list[dict[str, Any]]:
    engine = make_engine(sqlite_url(data / "station.sqlite"))
    try:
        with make_session_factory(engine)() as s:
            rows = s.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
            return [{"user": r.username, "category": r.category, "details": r.details} for r in rows]
    finally:
        engine.dispose()


def test_an_appointments_run_is_one_consultation_row_and_json_is_a_disclosure(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["--data-dir", str(demo_dir), "appointments"]) == 0
    shown = capsys.readouterr().out
    listed = _cli_events(demo_dir, "appointments.list")
    assert len(listed) == 1 and listed[0]["category"] == "consultation"
    assert listed[0]["user"] == "counter.HH" and listed[0]["details"]["view"] == "cli"
    count = listed[0]["details"]["count"]
    assert f"— {count} appointments" in shown and count > 0
    assert date.fromisoformat(listed[0]["details"]["day"])
    assert _cli_events(demo_dir, "appointments.export") == []

    assert cli_main(["--data-dir", str(demo_dir), "appointments", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    exported = _cli_events(demo_dir, "appointments.export")
    assert len(exported) == 1 and exported[0]["category"] == "disclosure"
    assert exported[0]["details"] == {"day": listed[0]["details"]["day"], "count": len(rows), "format": "json"}
    assert len(_cli_events(demo_dir, "appointments.list")) == 1  # the export is its own row


def test_a_view_that_refreshes_audits_each_list_once(station: StationRuntime) -> None:
    counter = actor_named(station, "counter.HH")
    day = local_today(station.ctx.clock)
    listing = appointments.ListingAudit("today")
    for _ in range(3):  # three refreshes of the same list: one row
        listing.shown(station.ctx, counter, day=day, count=7)
    listing.shown(station.ctx, counter, day=day, count=8)  # a new booking appeared: a new row
    listing.shown(station.ctx, actor_named(station, "officer.HH"), day=day, count=8)  # another reader
    rows = _events(station, "appointments.list")
    assert [(e.username, e.details["count"], e.details["view"]) for e in rows] == [
        ("counter.HH", 7, "today"), ("counter.HH", 8, "today"), ("officer.HH", 8, "today")]
    assert {e.category for e in rows} == {"consultation"} and {e.record for e in rows} == {"station:HH"}


def test_opening_a_record_is_a_consultation_row(station: StationRuntime) -> None:
    counter = actor_named(station, "counter.HH")
    first = appointments.list_day(station.ctx, counter, local_today(station.ctx.clock))[0]
    opened = appointments.open_record(station.ctx, counter, first.id)
    assert opened.reference == first.reference
    rows = _events(station, "appointment.open")
    assert [(e.username, e.category, e.record) for e in rows] == [
        ("counter.HH", "consultation", f"appointment:{first.reference}")]


@pytest.mark.parametrize("typed", ["nobody.HH", "  Counter.HH  ", "x" * 300, "inactive"])
def test_a_refused_sign_in_is_audited_whatever_name_was_typed(station: StationRuntime, typed: str) -> None:
    if typed == "inactive":
        from frontcounter.db.models import User

        with station.ctx.write.begin() as s:
            s.scalars(select(User).where(User.username == "officer.HH")).one().active = False
        typed = "officer.HH"
    with pytest.raises(AuthenticationError, match="Wrong user name or password"):
        auth.sign_in(station.ctx, typed, "demo")
    (row,) = _events(station, "sign_in")
    expected = typed.strip()[: auth.TYPED_NAME_LIMIT]
    assert (row.username, row.record, row.outcome, row.category) == (
        expected, f"user:{expected}", "denied", "authentication")
    assert row.role == "unknown" and row.station_code == "HH"
    assert "demo" not in json.dumps(row.details)


def test_an_unknown_name_costs_a_full_hash_check(station: StationRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = auth.verify_password

    def spy(password: str, stored: str) -> bool:
        checked.append(stored)
        return real(password, stored)

    monkeypatch.setattr(auth, "verify_password", spy)
    with pytest.raises(AuthenticationError):
        auth.sign_in(station.ctx, "nobody.HH", "demo")
    with pytest.raises(AuthenticationError):
        auth.sign_in(station.ctx, "counter.HH", "wrong")
    # Both refusals paid for one hash check at the production cost.
    assert len(checked) == 2
    for stored in checked:
        assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_sign_out_and_switch_user_are_audited(station: StationRuntime) -> None:
    counter, officer = actor_named(station, "counter.HH"), actor_named(station, "officer.HH")
    auth.record_user_switch(station.ctx, counter, officer)
    auth.sign_out(station.ctx, officer)
    (switch,) = _events(station, "user.switch")
    assert (switch.username, switch.details, switch.category) == ("counter.HH", {"to": "officer.HH"}, "authentication")
    (out,) = _events(station, "sign_out")
    assert (out.username, out.record, out.category) == ("officer.HH", "user:officer.HH", "authentication")
