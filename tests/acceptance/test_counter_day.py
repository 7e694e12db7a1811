"""A counter clerk's day through the real main window, by mouse and keyboard (issue 19).

The app is built the way ``frontcounter`` builds it: the sign-in window and the start-up
controller (ui/shell/startup.py) open the station, check the password and make the main window
with its session lock (install_session_lock), so Switch user and Sign out are the real ones.
Each step drives the widgets with QTest clicks and keys and asserts on what the screen shows:
sign in as counter; scan a slip and check the visitor in; a mouse click on a row shows it at once;
the officer takes them in (the button); seen (Ctrl+D) - the row drops below the finished line;
the visitor's rating (the banner's Feedback, the key 5, Record); a walk-in at 18:22 booked at the
next quarter-hour; a late visitor marked a no-show with the button and Enter; an officer pulled
away elsewhere -> AT RISK in Today; F9 and no visitor's name in any visible widget; then Switch
user five times (the supervisor's Needs attention and its badge count the AT RISK visitors), each
time with nothing of the previous user left on screen, and Sign out.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import Appointment, Officer, Station, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.clock import FixedClock, local, local_day_bounds
from frontcounter.services.scheduling.reassignment import reassign_officer
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.feedback import FeedbackDialog
from frontcounter.ui.dialogs.walk_in import WalkInDialog
from frontcounter.ui.kit.appointment_model import AT_RISK_GLYPH, Column
from frontcounter.ui.shell.lock import SessionLock
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.shell.startup import Opened, Startup, start
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


def _click_row(qtbot: QtBot, today: TodayView, reference: str, *, double: bool = False) -> None:
    """A real mouse click (press and release on the viewport) on the row of ``reference``."""
    row = next(r for r in range(today.proxy.rowCount())
               if today.model.view_at(today.proxy.mapToSource(today.proxy.index(r, 0)).row()).reference == reference)
    index = today.proxy.index(row, Column.VISITOR)
    today.table.scrollTo(index)
    click = QTest.mouseDClick if double else QTest.mouseClick
    click(today.table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
          today.table.visualRect(index).center())


def _start_app(qtbot: QtBot, station: StationRuntime, demo_dir: Path) -> Startup:
    """``frontcounter --data-dir``: the sign-in window first, the station opened behind it."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    startup = start(app, demo_dir, station_code=None, demo=False, preset_user=None,
                    open_station=lambda: Opened(runtime=station, never_synced=False))
    qtbot.addWidget(startup.window)
    qtbot.waitExposed(startup.window)
    return startup


def _sign_in_on_lock_panel(qtbot: QtBot, lock: SessionLock, username: str, *, by_mouse: bool) -> MainWindow:
    panel = lock.panel
    assert panel is not None and panel.isVisible() and panel.pages.currentIndex() == 1
    panel.switch_user.clear()
    qtbot.mouseClick(panel.switch_user, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(panel.switch_user, username)
    qtbot.keyClicks(panel.switch_password, "demo")
    with qtbot.waitSignal(lock.user_switched, timeout=15000):
        if by_mouse:
            qtbot.mouseClick(panel.switch_button, Qt.MouseButton.LeftButton)
        else:
            qtbot.keyClick(panel.switch_password, Qt.Key.Key_Return)
    window = lock.window
    assert isinstance(window, MainWindow)
    qtbot.waitUntil(lambda: window.state.tasks.active == 0, timeout=15000)
    QApplication.processEvents()
    return window


def test_a_counter_day_by_mouse_and_keyboard(
        qtbot: QtBot, station: StationRuntime, demo_dir: Path, clock: FixedClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRONTCOUNTER_PASSWORD", raising=False)
    monkeypatch.setattr(station.settings, "idle_lock_minutes", 0)  # no idle lock in the middle of a step
    # -- sign in as counter, in the sign-in window the app opens with -------------------------
    startup = _start_app(qtbot, station, demo_dir)
    sign_in = startup.window
    qtbot.waitUntil(lambda: startup.result is not None, timeout=20000)
    sign_in.user.clear()
    qtbot.mouseClick(sign_in.user, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(sign_in.user, "counter.HH")
    qtbot.keyClick(sign_in.user, Qt.Key.Key_Return)  # Enter moves on to the password
    qtbot.keyClicks(sign_in.password, "demo")
    with qtbot.waitSignal(startup.main_shown, timeout=20000) as shown:
        qtbot.mouseClick(sign_in.sign_in_button, Qt.MouseButton.LeftButton)
    window = shown.args[0]
    assert isinstance(window, MainWindow) and not sign_in.isVisible()
    lock = startup.session_lock
    assert isinstance(lock, SessionLock) and lock.window is window
    state = window.state
    try:
        _the_day(qtbot, station, clock, startup, lock)
    finally:
        startup.tasks.wait(10000)
        state.tasks.wait(10000)
        for top in QApplication.topLevelWidgets():
            if isinstance(top, MainWindow) and shiboken6.isValid(top):
                top.close()
                top.deleteLater()
        lock.dispose()
        QApplication.processEvents()


def _the_day(qtbot: QtBot, station: StationRuntime, clock: FixedClock, startup: Startup, lock: SessionLock) -> None:
    window = lock.window
    assert isinstance(window, MainWindow)
    state = window.state
    window.resize(1280, 720)
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
    other = next(v for v in today.model.views() if v.reference != visitor.reference)
    _click_row(qtbot, today, other.reference)
    assert today.selected_view() == other and today.details.when.text().endswith(other.reference)
    assert today.details.name.text() == other.visitor_name

    # -- the officer collects them: click their row, then the visible button --------------------
    clock.advance(timedelta(minutes=8))
    _click_row(qtbot, today, visitor.reference)
    assert today.selected_view() is not None and today.selected_view().reference == visitor.reference
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
    assert dialog.record_button.isEnabled() and dialog.rating() == 5
    # Enter on the chosen rating records it (the rating buttons are not defaults that take Enter).
    assert dialog.buttons[4].hasFocus() or not dialog.isActiveWindow()
    with qtbot.waitSignal(dialog.recorded, timeout=10000):
        qtbot.keyClick(dialog.buttons[4], Qt.Key.Key_Return)
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

    # -- no-show: an 18:00 visitor has not come; the button asks, Enter confirms ----------------
    today.tick()
    late = next(v for v in today.model.views()
                if v.status == Status.BOOKED and v.start <= clock.now() - timedelta(minutes=15))
    window.activateWindow()  # back from the walk-in dialog
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    _click_row(qtbot, today, late.reference)
    assert today.details.no_show_button.isVisible() and today.details.no_show_button.isEnabled()
    qtbot.mouseClick(today.details.no_show_button, Qt.MouseButton.LeftButton)
    assert "as a no-show?" in today.banner.text.text()
    default = today.banner.buttons[0]
    assert default.isDefault() and "Confirm no-show" in default.text().replace("&", "")
    with qtbot.waitSignal(today.action_finished, timeout=10000):
        focused = QApplication.focusWidget()
        assert focused is not None and focused.window() is window
        qtbot.keyClick(focused, Qt.Key.Key_Return)
    _settle(qtbot, state, today)
    assert _status(today, late.reference) == "✗ No-show"
    with station.ctx.read() as s:
        assert s.scalars(select(Appointment.status).where(Appointment.reference == late.reference)).one() \
            == Status.NO_SHOW.value

    # -- an officer is pulled away (a supervisor, elsewhere): AT RISK, loud --------------------
    supervisor = actor_named(station, "supervisor.HH")
    _, end = local_day_bounds(TODAY)
    with station.ctx.read() as s:
        evening = set(s.scalars(select(Appointment.officer_id).where(
            Appointment.start_at >= clock.now(), Appointment.start_at < end,
            Appointment.status == Status.BOOKED.value, Appointment.officer_id.is_not(None))))
    for officer_id in evening:  # every officer of the evening: nobody is left to cover
        reassign_officer(station.ctx, supervisor, officer_id, TODAY, "Called to a major incident")
    with qtbot.waitSignal(today.loaded, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_F5)  # the clerk refreshes (the sync would, a little later)
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
    qtbot.keyClick(window, Qt.Key.Key_F9)
    assert state.masked
    leaked = sorted(n for n in names if n in "\n".join(visible_texts()))
    assert not leaked, leaked
    qtbot.keyClick(window, Qt.Key.Key_F9)
    assert not state.masked

    # -- switch user five times: each time a fresh screen; the supervisor's Needs attention -------
    references = {v.reference for v in at_risk}
    users = ["supervisor.HH", "counter.HH", "officer.HH", "counter.HH", "supervisor.HH"]
    for number, username in enumerate(users):
        trace = _leave_a_trace(qtbot, lock, number)
        window = lock.window
        assert isinstance(window, MainWindow)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        with qtbot.waitSignal(lock.locked, timeout=5000):
            qtbot.keyClick(window, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        assert not any(trace in text for text in visible_texts())  # locked: nothing of theirs shows
        window = _sign_in_on_lock_panel(qtbot, lock, username, by_mouse=number % 2 == 0)
        assert window.isVisible() and not lock.is_locked
        assert window.state.actor.username == username and window.user_button.text().startswith(username)
        assert window.search.text() == ""
        assert not any(trace in text for text in visible_texts()), (username, trace)
        assert not [d for d in QApplication.topLevelWidgets() if isinstance(d, QDialog) and d.isVisible()]
        if username == "supervisor.HH" and number == 0:
            _needs_attention_counts(qtbot, window, references)

    # -- and sign out: only a sign-in is offered, nothing of the last user shows ---------------------
    trace = _leave_a_trace(qtbot, lock, len(users))
    window = lock.window
    with qtbot.waitSignal(lock.signed_out, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert lock.is_locked and lock.is_signed_out
    panel = lock.panel
    assert panel is not None and panel.pages.currentIndex() == 1 and not panel.back_button.isVisible()
    assert "supervisor.HH" not in panel.who.text()
    assert not any(trace in text for text in visible_texts())
    assert not any(v.visitor_name in text for text in visible_texts() for v in at_risk if v.visitor_name)
    window = _sign_in_on_lock_panel(qtbot, lock, "counter.HH", by_mouse=True)
    assert window.state.actor.username == "counter.HH" and window.isVisible() and window.search.text() == ""


def _leave_a_trace(qtbot: QtBot, lock: SessionLock, number: int) -> str:
    """What a user leaves behind: a half-typed search, a selected visitor, a banner of their own."""
    window = lock.window
    assert isinstance(window, MainWindow)
    trace = f"trace-{number}-of-{window.state.actor.username}"
    today = window.view("today")
    if isinstance(today, TodayView) and window.current_key() == "today":
        qtbot.waitUntil(lambda: today.model.rowCount() > 0, timeout=10000)
        _click_row(qtbot, today, today.model.views()[0].reference)
        today.banner.show_message("info", trace)
    window.search.setText(trace)
    assert any(trace in text for text in visible_texts())
    return trace


def _needs_attention_counts(qtbot: QtBot, desk: MainWindow, references: set[str]) -> None:
    """The supervisor's Needs attention lists the AT RISK visitors and its badge counts them."""
    attention = desk.view("attention")
    assert isinstance(attention, AttentionView)
    nav_row = next(i for i in range(desk.nav.count())
                   if desk.nav.item(i).data(Qt.ItemDataRole.UserRole) == "attention")
    qtbot.mouseClick(desk.nav.viewport(), Qt.MouseButton.LeftButton,
                     pos=desk.nav.visualItemRect(desk.nav.item(nav_row)).center())
    assert desk.current_key() == "attention" and attention.isVisible()
    qtbot.waitUntil(lambda: references <= {attention.model.row_at(r).reference
                                           for r in range(attention.model.rowCount())}, timeout=10000)
    badge = desk.nav.item(nav_row).text()
    assert badge.startswith("Needs attention") and int(badge.rsplit("(", 1)[1].rstrip(")")) >= len(references)
    shown = [attention.model.index(r, 1).data() for r in range(attention.model.rowCount())]
    assert shown.count(f"{AT_RISK_GLYPH} AT RISK") >= len(references)
    desk.grab().save(str(DOCS / "needs-attention-at-risk.png"))


def _officer_free_from(station: StationRuntime, start, end) -> Officer:  # type: ignore[no-untyped-def]
    """An active officer at HH with no duty overlapping [start, end)."""
    from frontcounter.db.models import Duty

    with station.ctx.read() as s:
        hh = s.scalars(select(Station.id).where(Station.code == "HH")).one()
        busy = set(s.scalars(select(Duty.officer_id).where(Duty.start_at < end, Duty.end_at > start)))
        return s.scalars(select(Officer).where(Officer.station_id == hh, Officer.active.is_(True),
                                               Officer.deleted.is_(False), Officer.id.not_in(busy))
                         .order_by(Officer.collar_number)).first()
