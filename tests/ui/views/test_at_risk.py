"""At risk is loud: once every officer of the evening is pulled away, each booked or waiting visitor
left without one shows AT RISK in Today (the word, a shape of its own and a red row), the heading
counts them, and Needs attention lists and counts them in the navigation — until an officer is
assigned, when the row turns ordinary again and the item leaves the list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import Appointment, Duty, Officer, Station, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import local, local_day_bounds
from frontcounter.services.counter import attention as attention_service
from frontcounter.services.scheduling import roster
from frontcounter.services.scheduling.changes import unsuitable_because
from frontcounter.services.scheduling.reassignment import assign_officer, reassign_officer
from frontcounter.ui.kit.appointment_model import AT_RISK_GLYPH, DETAIL_ROLE, Column
from frontcounter.ui.views.attention import AttentionView
from tests.screens import screenshot_dir
from tests.ui.views.test_today_view import Counter

pytestmark = pytest.mark.wallclock

DOCS = screenshot_dir()


@pytest.fixture
def at_desk(qtbot: QtBot, station: StationRuntime, supervisor: Actor) -> Iterator[Counter]:
    c = Counter(qtbot, station, supervisor)
    c.window.resize(1280, 720)
    yield c
    c.state.tasks.wait(5000)


def pull_everyone_away(station: StationRuntime, supervisor: Actor) -> list[str]:
    """Withdraw every officer with an appointment left today; returns the references now at risk."""
    now = station.ctx.clock.now()
    day = local(now).date()
    start, end = local_day_bounds(day)
    with station.ctx.read() as s:
        officers = set(s.scalars(select(Appointment.officer_id).where(
            Appointment.start_at >= start, Appointment.start_at < end, Appointment.end_at > now,
            Appointment.status.in_([Status.BOOKED.value, Status.ARRIVED.value]),
            Appointment.officer_id.is_not(None))))
    for officer_id in officers:
        reassign_officer(station.ctx, supervisor, officer_id, day, "Called to a major incident")
    with station.ctx.read() as s:
        return sorted(s.scalars(select(Appointment.reference).where(
            Appointment.at_risk.is_(True), Appointment.start_at >= start, Appointment.start_at < end,
            Appointment.status.in_([Status.BOOKED.value, Status.ARRIVED.value]))))


def test_pulled_away_officer_makes_today_and_needs_attention_loud_until_assigned(
    at_desk: Counter, station: StationRuntime, supervisor: Actor
) -> None:
    c, today = at_desk, at_desk.today
    before = attention_service.open_count(station.ctx)  # the demo flags some later days already
    at_risk = pull_everyone_away(station, supervisor)
    assert at_risk, "the demo evening has visitors still to come"
    c.settle()
    attention = c.window.view("attention")
    assert isinstance(attention, AttentionView)
    c.qtbot.waitUntil(lambda: attention.model.rowCount() >= len(at_risk), timeout=10000)

    for reference in at_risk:
        row = c.row(reference)
        status = today.model.index(row, Column.STATUS)
        assert status.data().startswith(f"{AT_RISK_GLYPH} AT RISK")
        assert status.data(Qt.ItemDataRole.BackgroundRole).color().name() == "#fbdadd"
        assert "pulled away" in today.model.index(row, Column.ROOM).data(DETAIL_ROLE)
    assert f"{AT_RISK_GLYPH} {len(at_risk)} AT RISK" in today.summary.text()
    assert today.select_reference(at_risk[0])
    assert today.details.status.text() == f"{AT_RISK_GLYPH} AT RISK"
    assert today.details.risk.isVisible() and "no officer" in today.details.risk.text()
    c.window.grab().save(str(DOCS / "today-at-risk.png"))

    nav = next(c.window.nav.item(i) for i in range(c.window.nav.count())
               if c.window.nav.item(i).data(Qt.ItemDataRole.UserRole) == "attention")
    assert attention_service.open_count(station.ctx) == before + len(at_risk)
    assert nav.text().endswith(f"({before + len(at_risk)})")
    listed = {attention.model.row_at(r).reference for r in range(attention.model.rowCount())
              if attention.model.row_at(r).kind == "at_risk"}
    assert set(at_risk) <= listed
    assert attention.model.index(0, 1).data() == f"{AT_RISK_GLYPH} AT RISK"
    attention.table.selectRow(0)
    assert not attention.note.isEnabled()  # settled by assigning an officer, not by a note

    # An officer comes on duty and is given the first one: it is ordinary again, everywhere.
    first = at_risk[0]
    with station.ctx.read() as s:
        appt = s.scalars(select(Appointment).where(Appointment.reference == first)).one()
        hh = s.scalars(select(Station.id).where(Station.code == "HH")).one()
        around = (appt.start_at - timedelta(hours=1), appt.end_at + timedelta(hours=1))
        busy = set(s.scalars(select(Duty.officer_id).where(Duty.start_at < around[1], Duty.end_at > around[0])))
        spare = s.scalars(select(Officer).where(Officer.station_id == hh, Officer.id.not_in(busy),
                                                Officer.active.is_(True), Officer.deleted.is_(False))
                          .order_by(Officer.collar_number)).all()
    assert spare, "the demo has an officer off duty this evening at Hemel Hempstead"
    helper = next(o for o in spare if unsuitable_because(o, appt) is None)
    roster.add_duty(station.ctx, supervisor, helper.id, *around)
    assign_officer(station.ctx, supervisor, first, helper.id)
    c.settle()
    c.qtbot.waitUntil(lambda: nav.text().endswith(f"({before + len(at_risk) - 1})"), timeout=10000)
    status = today.model.index(c.row(first), Column.STATUS).data()
    assert "AT RISK" not in status
    assert all(attention.model.row_at(r).reference != first for r in range(attention.model.rowCount()))
