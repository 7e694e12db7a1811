"""The officer's own appointments, and the arrival notice when the counter checks a visitor in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import AuditEvent
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock, local
from frontcounter.services.counter import checkin
from frontcounter.services.scheduling.agenda import my_appointments, my_officer
from frontcounter.ui.app_state import AppState
from frontcounter.ui.views.my_appointments import POLL_MS, ArrivalNotice, MyAppointmentsView
from tests.conftest import DEMO_NOW


@pytest.fixture
def officer_state(station: StationRuntime, officer: Actor) -> Iterator[AppState]:
    state = AppState(station.ctx, officer, station.settings, station.paths)
    yield state
    state.tasks.wait(5000)


def open_view(qtbot: QtBot, state: AppState) -> MyAppointmentsView:
    with qtbot.waitSignal(state.tasks.busy_changed, timeout=10000, check_params_cb=lambda busy: not busy):
        view = MyAppointmentsView(state)
        qtbot.addWidget(view)
    view.show_notices = True
    view.resize(1100, 700)
    view.show()
    qtbot.waitExposed(view)
    return view


def rows(tree) -> list[str]:  # type: ignore[no-untyped-def]
    return [tree.topLevelItem(i).text(1) for i in range(tree.topLevelItemCount())]


def test_today_and_upcoming_are_the_officers_own(qtbot: QtBot, officer_state: AppState, station: StationRuntime,
                                                 officer: Actor) -> None:
    view = open_view(qtbot, officer_state)
    qtbot.waitUntil(lambda: view.today.topLevelItemCount() > 0, timeout=10000)
    me = my_officer(station.ctx, officer)
    assert me is not None and me[1] in view.heading.text()
    start = DEMO_NOW.replace(hour=0, minute=0)
    expected = my_appointments(station.ctx, officer, start - timedelta(hours=1), start + timedelta(days=15))
    today = [v.reference for v in expected if local(v.start).date() == local(DEMO_NOW).date()]
    assert rows(view.today) == today
    assert set(rows(view.upcoming)) == {v.reference for v in expected} - set(today)
    assert all(v.officer_id == me[0] for v in expected)
    assert view.timer.interval() == POLL_MS == 15_000


def test_an_arrival_shows_a_banner_and_a_notice_that_opens_the_briefing(
    qtbot: QtBot, officer_state: AppState, station: StationRuntime, counter: Actor, officer: Actor,
    clock: FixedClock
) -> None:
    view = open_view(qtbot, officer_state)
    qtbot.waitUntil(lambda: view.today.topLevelItemCount() > 0, timeout=10000)
    me = my_officer(station.ctx, officer)
    upcoming = next(v for v in my_appointments(station.ctx, officer, DEMO_NOW, DEMO_NOW + timedelta(hours=4))
                    if v.status == "booked")
    clock.set(upcoming.start - timedelta(minutes=5))
    checkin.check_in(station.ctx, counter, upcoming.reference)
    with qtbot.waitSignal(view.arrivals_noticed, timeout=10000) as signal:
        view.poll_arrivals()
    assert [v.reference for v in signal.args[0]] == [upcoming.reference]
    assert view.arrival_frame.isVisible() and upcoming.reference in view.arrival_label.text()
    notices = [n for n in view._notices if isinstance(n, ArrivalNotice)]
    assert notices and not notices[-1].isModal() and notices[-1].isVisible()
    # The next poll finds nothing new.
    with qtbot.waitSignal(officer_state.tasks.busy_changed, timeout=10000, check_params_cb=lambda busy: not busy):
        view.poll_arrivals()
    assert len([n for n in view._notices if isinstance(n, ArrivalNotice)]) == len(notices)
    # "Open briefing" from the banner: the appointment and its briefing, audited.
    qtbot.mouseClick(view.arrival_open, Qt.MouseButton.LeftButton)
    dialog = view._dialogs[-1]
    assert dialog.view.reference == upcoming.reference
    qtbot.waitUntil(lambda: bool(dialog._children), timeout=15000)
    with station.ctx.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "briefing.open")
                          .order_by(AuditEvent.local_seq.desc())).first()
    assert event.record == f"appointment:{upcoming.reference}" and event.username == "officer.HH"
    assert me is not None
    for notice in list(view._notices):
        notice.close()


def test_a_user_without_an_officer_record_is_told(qtbot: QtBot, station: StationRuntime,
                                                  supervisor: Actor) -> None:
    state = AppState(station.ctx, supervisor, station.settings, station.paths)
    view = open_view(qtbot, state)
    qtbot.waitUntil(lambda: bool(view.banner.text()), timeout=10000)
    assert "not linked to an officer" in view.banner.text()
    assert view.today.topLevelItemCount() == 0
    state.tasks.wait(5000)


def test_enter_on_a_row_opens_the_appointment(qtbot: QtBot, officer_state: AppState) -> None:
    view = open_view(qtbot, officer_state)
    qtbot.waitUntil(lambda: view.today.topLevelItemCount() > 0, timeout=10000)
    view.today.setFocus()
    view.today.setCurrentItem(view.today.topLevelItem(0))
    qtbot.keyClick(view.today, Qt.Key.Key_Return)
    assert view._dialogs and view._dialogs[-1].view.reference == view.today.topLevelItem(0).text(1)
