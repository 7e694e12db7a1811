"""A counter clerk's day through the real main window, by mouse and keyboard (issue 19).

Each step drives the widgets with QTest clicks and keys and asserts on what the screen shows:
sign in as counter; scan a slip and check the visitor in; the officer takes them in (the button);
seen (Ctrl+D) — the row drops below the finished line; the visitor's rating (the banner's Feedback,
the key 5, Record); a walk-in at 18:22 booked at the next quarter-hour; an officer pulled away
elsewhere → AT RISK in Today, and in the supervisor's Needs attention with its badge.

(The click-select, mask, no-show-with-Enter and switch-user steps join when that work lands.)
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import Appointment, Officer, Station, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.clock import FixedClock, local, local_day_bounds
from frontcounter.services.scheduling.reassignment import reassign_officer
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.feedback import FeedbackDialog
from frontcounter.ui.dialogs.login import LoginDialog
from frontcounter.ui.dialogs.walk_in import WalkInDialog
from frontcounter.ui.kit.appointment_model import AT_RISK_GLYPH, Column
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.views.attention import AttentionView
from frontcounter.ui.views.today import TodayView
from tests.conftest import actor_named
from tests.screens import screenshot_dir
from tests.ui.views.test_input_hygiene import visible_texts
from tests.unit.roster_fixtures import add_duty, at

pytestmark = pytest.mark.wallclock

DOCS = screenshot_dir()
TODAY = date(2026, 11, 23)  # the demo's Monday; the clock stands at 17:30


def _status(today: TodayView, reference: str) -> str:
    row = today.model.row_of_reference(reference)
    assert row is not None
    return str(today.model.index(row, Column.STATUS).data())


def _settle(qtbot: QtBot, state: AppState, today: TodayView) -> None:
    qtbot.waitUntil(lambda: state.tasks.active == 0 and not today._loading, timeout=10000)


def test_a_counter_day_by_mouse_and_keyboard(qtbot: QtBot, station: StationRuntime, clock: FixedClock) -> None:
    # -- sign in as counter ------------------------------------------------------------------
    login = LoginDialog(station.ctx)
    qtbot.addWidget(login)
    login.show()
    qtbot.keyClicks(login.user, "counter.HH")
    qtbot.keyClicks(login.password, "demo")
    ok = login.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert login.result() == LoginDialog.DialogCode.Accepted and login.actor is not None
    state = AppState(station.ctx, login.actor, station.settings, station.paths)
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    today = window.view("today")
    assert isinstance(today, TodayView)
    _settle(qtbot, state, today)
    assert window.user_button.text().startswith("counter.HH")
    assert today.isVisible() and today.model.rowCount() > 0

    # -- scan-check-in: the scanner types the reference and Enter -----------------------------
    now = clock.now()
    visitor = next(v for v in today.model.views() if v.status == Status.BOOKED and v.start > now)
    window.search.setFocus()
    qtbot.keyClicks(window.search, visitor.reference)
    with qtbot.waitSignal(today.checked_in, timeout=10000):
        qtbot.keyClick(window.search, Qt.Key.Key_Return)
    _settle(qtbot, state, today)
    assert today.banner.isVisible() and f"Checked in {visitor.visitor_name}" in today.banner.text.text()
    assert _status(today, visitor.reference) == "● Waiting"
    assert window.search.text() == ""  # ready for the next scan

    # -- a mouse click on another row shows that visitor at once (no event-loop turn) ----------
    other_row = next(r for r in range(today.proxy.rowCount())
                     if today.model.view_at(today.proxy.mapToSource(today.proxy.index(r, 0)).row()).reference
                     != visitor.reference)
    other = today.model.view_at(today.proxy.mapToSource(today.proxy.index(other_row, 0)).row())
    index = today.proxy.index(other_row, 1)
    today.table.scrollTo(index)
    QTest.mouseClick(today.table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     today.table.visualRect(index).center())
    assert today.selected_view() == other and today.details.when.text().endswith(other.reference)

    # -- the officer collects them: the visible button ------------------------------------------
    clock.advance(timedelta(minutes=8))
    assert today.select_reference(visitor.reference)
    taken_in = today.visit.take_in_button
    assert taken_in.isVisible() and taken_in.isEnabled()
    with qtbot.waitSignal(today.visit.finished, timeout=10000):
        qtbot.mouseClick(taken_in, Qt.MouseButton.LeftButton)
    _settle(qtbot, state, today)
    assert _status(today, visitor.reference) == "◐ With officer"
    assert "taken in at 17:38" in today.banner.text.text()
    assert "taken in 17:38" in today.details.fields["arrived"].text()

    # -- seen: one key; the visit is over, the row drops below the finished line ----------------
    clock.advance(timedelta(minutes=40))
    with qtbot.waitSignal(today.visit.finished, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, state, today)
    assert _status(today, visitor.reference) == "✓ Seen"
    row = today.model.row_of_reference(visitor.reference)
    assert today.model.first_finished is not None and row is not None and row >= today.model.first_finished
    assert "seen: the visit is over" in today.banner.text.text()

    # -- feedback, offered at the end of the visit ----------------------------------------------
    qtbot.mouseClick(today.banner.button("Feedback"), Qt.MouseButton.LeftButton)
    dialog = today.visit.feedback_dialog
    assert isinstance(dialog, FeedbackDialog) and dialog.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_5)
    assert dialog.record_button.isEnabled()
    with qtbot.waitSignal(dialog.recorded, timeout=10000):
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, state, today)
    assert f"feedback recorded for {visitor.reference}" in today.banner.text.text()
    with station.ctx.read() as s:
        row_db = s.scalars(select(Appointment).where(Appointment.reference == visitor.reference)).one()
    assert (row_db.status, row_db.feedback_rating) == (Status.COMPLETED.value, 5)
    assert row_db.seen_at is not None and row_db.arrived_at is not None
    assert row_db.seen_at - row_db.arrived_at == timedelta(minutes=8)  # the wait the reports measure

    # -- a walk-in at 18:22: the next quarter-hour, not the next hour -------------------------
    clock.set(at(TODAY, 18, 22))
    # A rostered officer free this evening (as a real roster has); the dialog finds them.
    free_officer = _officer_free_from(station, at(TODAY, 17, 30), at(TODAY, 20, 30))
    add_duty(station, free_officer, at(TODAY, 17, 30), at(TODAY, 20, 30))
    # The dialog closed itself once saved (and is gone).
    window.activateWindow()  # the clerk is back at the main window
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(today.walk_in_dialog, WalkInDialog) and today.walk_in_dialog.isVisible(),
                    timeout=10000)
    walk_in = today.walk_in_dialog
    assert isinstance(walk_in, WalkInDialog)
    qtbot.keyClicks(walk_in.name, "Quarter Walker")
    with qtbot.waitSignal(walk_in.proposed, timeout=10000):
        qtbot.keyClick(walk_in.name, Qt.Key.Key_Return)  # Enter: find
    assert walk_in.proposal is not None
    assert f"{local(walk_in.proposal.start):%H:%M}" == "18:30"  # the Family Room is free from 18:00
    with qtbot.waitSignal(today.loaded, timeout=10000), qtbot.waitSignal(walk_in.booked, timeout=10000):
        qtbot.keyClick(walk_in.name, Qt.Key.Key_Return)  # Enter again: book
    _settle(qtbot, state, today)
    assert "Booked" in today.banner.text.text() and "18:30" in today.banner.text.text()
    walk_in.close()
    booked = today.selected_view()
    assert booked is not None and booked.visitor_name == "Quarter Walker"
    window.grab().save(str(DOCS / "today-walk-in-quarter-hour.png"))

    # -- an officer is pulled away (a supervisor, elsewhere): AT RISK, loud --------------------
    supervisor = actor_named(station, "supervisor.HH")
    _, end = local_day_bounds(TODAY)
    with station.ctx.read() as s:
        evening = set(s.scalars(select(Appointment.officer_id).where(
            Appointment.start_at >= clock.now(), Appointment.start_at < end,
            Appointment.status == Status.BOOKED.value, Appointment.officer_id.is_not(None))))
    for officer_id in evening:  # every officer of the evening: nobody is left to cover
        reassign_officer(station.ctx, supervisor, officer_id, TODAY, "Called to a major incident")
    _settle(qtbot, state, today)
    at_risk = [v for v in today.model.views() if v.at_risk and v.status == Status.BOOKED]
    assert at_risk
    for v in at_risk:
        assert _status(today, v.reference) == f"{AT_RISK_GLYPH} AT RISK"
    assert f"{AT_RISK_GLYPH} {len(at_risk)} AT RISK" in today.summary.text()
    window.grab().save(str(DOCS / "today-counter-at-risk.png"))

    # -- the public can see the screen: F9 and no visitor's name is left in any visible widget -----
    names = {v.visitor_name for v in today.model.views() if v.visitor_name}
    assert any(n in "\n".join(visible_texts()) for n in names)  # the walk sees names with the mask off
    window.mask_action.trigger()
    QApplication.processEvents()
    leaked = sorted(n for n in names if n in "\n".join(visible_texts()))
    assert not leaked, leaked
    window.mask_action.trigger()
    QApplication.processEvents()

    # The supervisor's window: Needs attention lists them and its badge counts them.
    boss = AppState(station.ctx, supervisor, station.settings, station.paths)
    desk = MainWindow(boss)
    qtbot.addWidget(desk)
    desk.resize(1280, 720)
    desk.show()
    qtbot.waitExposed(desk)
    attention = desk.view("attention")
    assert isinstance(attention, AttentionView)
    references = {v.reference for v in at_risk}
    qtbot.waitUntil(lambda: references <= {attention.model.row_at(r).reference
                                           for r in range(attention.model.rowCount())}, timeout=10000)
    nav_row = next(i for i in range(desk.nav.count()) if desk.nav.item(i).data(Qt.ItemDataRole.UserRole) == "attention")
    qtbot.mouseClick(desk.nav.viewport(), Qt.MouseButton.LeftButton, pos=desk.nav.visualItemRect(
        desk.nav.item(nav_row)).center())
    assert desk.current_key() == "attention" and attention.isVisible()
    badge = desk.nav.item(nav_row).text()
    assert badge.startswith("Needs attention") and int(badge.rsplit("(", 1)[1].rstrip(")")) >= len(at_risk)
    shown = [attention.model.index(r, 1).data() for r in range(attention.model.rowCount())]
    assert shown.count(f"{AT_RISK_GLYPH} AT RISK") >= len(at_risk)
    desk.grab().save(str(DOCS / "needs-attention-at-risk.png"))
    QApplication.processEvents()
    state.tasks.wait(5000)
    boss.tasks.wait(5000)


def _officer_free_from(station: StationRuntime, start, end) -> Officer:  # type: ignore[no-untyped-def]
    """An active officer at HH with no duty overlapping [start, end)."""
    from frontcounter.db.models import Duty

    with station.ctx.read() as s:
        hh = s.scalars(select(Station.id).where(Station.code == "HH")).one()
        busy = set(s.scalars(select(Duty.officer_id).where(Duty.start_at < end, Duty.end_at > start)))
        return s.scalars(select(Officer).where(Officer.station_id == hh, Officer.active.is_(True),
                                               Officer.deleted.is_(False), Officer.id.not_in(busy))
                         .order_by(Officer.collar_number)).first()
