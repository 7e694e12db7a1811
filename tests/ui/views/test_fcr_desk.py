"""The FCR desk's screens (issue 14): the main window signed in as the FCR on the centre itself,
a whole call-taking booking by keyboard alone, a lost centre that refuses to book and loses
nothing typed, and the force-wide at-risk list with a contact recorded."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from frontcounter.db.models import Appointment, AtRiskContact, AuditEvent
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, open_centre
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.sync.connection import open_central
from frontcounter.ui.app_state import AppState
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.views.fcr_at_risk import AtRiskView
from frontcounter.ui.views.fcr_desk import FcrBookingForm, FcrDeskView
from tests.demo_keys import in_clear
from tests.screens import screenshot_dir
from tests.sync_support import actor_in

pytestmark = pytest.mark.wallclock

DOCS = screenshot_dir()


@pytest.fixture
def centre(demo_dir: Path, clock: FixedClock) -> Iterator[StationRuntime]:
    runtime = open_centre(Paths.resolve(demo_dir), clock=clock)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def fcr_state(centre: StationRuntime) -> Iterator[AppState]:
    state = AppState(centre.ctx, actor_in(centre.ctx, "fcr.HH"), centre.settings, centre.paths)
    yield state
    state.tasks.wait(5000)


@pytest.fixture
def window(qtbot: QtBot, fcr_state: AppState) -> MainWindow:
    w = MainWindow(fcr_state)
    qtbot.addWidget(w)
    w.resize(1400, 960)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    return w


def _focused() -> QWidget:
    """Where the keyboard is: the active window's focus (a dialog's, or the main window's)."""
    active = QApplication.activeWindow()
    widget = active.focusWidget() if active is not None else QApplication.focusWidget()
    assert widget is not None
    return widget


def _tab_to(qtbot: QtBot, target: QWidget, limit: int = 60) -> None:
    for _ in range(limit):
        if _focused() is target:
            return
        qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {target.accessibleName()!r}")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_fcr_desk_is_the_centre_with_its_own_views(window: MainWindow) -> None:
    keys = [window.nav.item(i).data(Qt.ItemDataRole.UserRole) for i in range(window.nav.count())]
    assert keys == ["fcr", "at_risk", "messages", "board", "reports"]
    assert "FCR desk" in window.windowTitle() and "no local copy" in window.sync_label.text()
    assert isinstance(window.view("fcr"), FcrDeskView)


def test_a_call_booked_by_keyboard_alone(qtbot: QtBot, window: MainWindow, centre: StationRuntime) -> None:
    desk = window.view("fcr")
    assert isinstance(desk, FcrDeskView)
    form = desk.form
    form.place.setFocus()  # where the form puts the call taker (reset); from here only keys
    assert _focused() is form.place
    qtbot.keyClicks(form.place, "Ware")
    typed = {form.name: "Jane Caller", form.phone: "07700 900123", form.safe_contact: "Text only, never voicemail",
             form.person_of_choice: "Her sister Anna", form.flags: "repeat victim; domestic abuse",
             form.notes: "Ex-partner lives on the same road; do not call the landline."}
    for widget, text in typed.items():
        _tab_to(qtbot, widget)
        qtbot.keyClicks(widget, text)
    _tab_to(qtbot, form.find_button)
    qtbot.keyClick(form.find_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: form.find_button.isEnabled() and form.slots.count() > 0, timeout=15000)
    offered = form.slots.slots()
    assert offered[0].station_code == "HT"  # Hertford is Ware's nearest station
    assert "Nearest to Ware: Hertford" in form.nearest.text()
    assert _focused() is form.slots, getattr(_focused(), "text", lambda: "")()
    qtbot.keyClick(form.slots, Qt.Key.Key_Down)
    chosen = form.slots.current_slot()
    assert chosen is not None
    qtbot.keyClick(form.slots, Qt.Key.Key_Return)
    assert form.confirm_frame.isVisible() and _focused() is form.confirm_button
    with qtbot.waitSignal(form.booked, timeout=15000) as signal:
        qtbot.keyClick(form.confirm_button, Qt.Key.Key_Space)
    booked = signal.args[0]
    assert booked.reference in form.result_label.text()
    with centre.ctx.read() as s:  # straight into the centre: the stations get it at their next sync
        stored = s.scalars(select(Appointment).where(Appointment.reference == booked.reference)).one()
        assert stored.briefing_notes.startswith("fcenc1:")  # sealed at the centre too (issue 21)
        row = in_clear(s, stored)
        assert row is not None
        searched = s.scalars(select(AuditEvent).where(AuditEvent.action == "booking.find_slots",
                                                      AuditEvent.username == "fcr.HH")).all()
    assert (row.station_id, row.start_at, row.room_id) == (chosen.station_id, chosen.start, chosen.room_id)
    assert (row.visitor_name, row.safe_contact, row.person_of_choice, row.channel) == (
        "Jane Caller", "Text only, never voicemail", "Her sister Anna", "101_call")
    assert row.vulnerability_flags == ["repeat victim", "domestic abuse"]
    assert row.briefing_notes == "Ex-partner lives on the same road; do not call the landline."
    assert row.version > 0  # a central version, as every change made at the centre
    assert searched and searched[-1].details["place"] == "Ware"
    qtbot.keyClick(form.new_button, Qt.Key.Key_Space)  # the next call: a clean form, the place field first
    assert form.name.text() == "" and form.place.text() == "" and window.focusWidget() is form.place
    qtbot.keyClicks(form.place, "Ware")
    form.find_slots()
    qtbot.waitUntil(lambda: form.find_button.isEnabled() and form.slots.count() > 0, timeout=15000)
    (DOCS / "screens").mkdir(exist_ok=True)
    assert window.grab().save(str(DOCS / "screens" / "fcr-desk.png"))


def test_a_lost_centre_refuses_to_book_and_keeps_what_was_typed(
        qtbot: QtBot, fcr_state: AppState, centre: StationRuntime) -> None:
    view = FcrDeskView(fcr_state)
    qtbot.addWidget(view)
    view.show()
    form = view.form
    assert isinstance(form, FcrBookingForm)
    qtbot.keyClicks(form.place, "Stevenage")
    qtbot.keyClicks(form.name, "Sam Caller")
    qtbot.keyClicks(form.notes, "Confidential: for the officer.")
    form.find_slots()
    qtbot.waitUntil(lambda: form.find_button.isEnabled() and form.slots.count() > 0, timeout=15000)
    qtbot.keyClick(form.slots, Qt.Key.Key_Return)
    assert form.confirm_frame.isVisible()
    with centre.ctx.read() as s:
        before = s.scalar(select(func.count()).select_from(Appointment))
    # The link goes: the same desk, now pointing at a centre that does not answer.
    lost = open_central(f"postgresql+psycopg://fcr@127.0.0.1:{_closed_port()}/frontcounter",
                        connect_args={"connect_timeout": 2})
    good = fcr_state.ctx
    fcr_state.ctx = ServiceContext(engine=lost, clock=good.clock, mode="central", workstation="fcr-desk")
    try:
        qtbot.keyClick(form.confirm_button, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: "cannot be reached" in form.banner.text(), timeout=15000)
    finally:
        fcr_state.tasks.wait(15000)
        fcr_state.ctx = good
        lost.dispose()
    text = form.banner.text()
    assert "nothing was booked" in text and "what you typed is kept" in text
    assert (form.place.text(), form.name.text(), form.notes.toPlainText()) == (
        "Stevenage", "Sam Caller", "Confidential: for the officer.")
    assert form.last_booked is None and not form.result_frame.isVisible()
    with centre.ctx.read() as s:
        assert s.scalar(select(func.count()).select_from(Appointment)) == before


def test_the_force_wide_at_risk_list_records_each_contact(
        qtbot: QtBot, fcr_state: AppState, centre: StationRuntime) -> None:
    view = AtRiskView(fcr_state)
    qtbot.addWidget(view)
    view.resize(1300, 800)
    view.show()
    qtbot.waitUntil(lambda: view.table.rowCount() > 0, timeout=15000)
    stations = {view.table.item(r, 1).text() for r in range(view.table.rowCount())}
    assert len(stations) > 1, "every station's at-risk appointments"
    with centre.ctx.read() as s:
        listed = s.scalars(select(AuditEvent).where(AuditEvent.action == "appointments.at_risk",
                                                    AuditEvent.outcome == "success")).all()
    assert [(e.username, e.details["count"]) for e in listed] == [("fcr.HH", view.table.rowCount())]
    chosen = view.selected()
    assert chosen is not None
    qtbot.waitUntil(lambda: view.contacts.count() > 0, timeout=10000)
    view.outcome.setCurrentIndex(view.outcome.findData("message_left"))
    qtbot.keyClicks(view.note, "Texted as the safe-contact note says")
    qtbot.keyClick(view.record_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "Contact recorded" in view.banner.text(), timeout=10000)
    qtbot.waitUntil(lambda: "Left a message" in view.table.item(view.table.currentRow(), 7).text(), timeout=10000)
    # The contacts made, on screen at once: the one just recorded, with its note (it stayed "none yet").
    qtbot.waitUntil(lambda: any("Texted as the safe-contact note says" in view.contacts.item(i).text()
                                for i in range(view.contacts.count())), timeout=10000)
    with centre.ctx.read() as s:
        row = s.scalars(select(AtRiskContact).where(AtRiskContact.appointment_id == chosen.id)).one()
    assert (row.username, row.outcome, row.note) == ("fcr.HH", "message_left", "Texted as the safe-contact note says")
    (DOCS / "screens").mkdir(exist_ok=True)
    assert view.grab().save(str(DOCS / "screens" / "fcr-at-risk.png"))
    fcr_state.set_masked(True)
    assert view.table.item(view.table.currentRow(), 4).text() == ""  # no phone on a masked screen


@pytest.mark.parametrize("how", ["--demo --fcr", "fcr_desk in Settings"])
def test_the_app_starts_as_the_fcr_desk(qtbot: QtBot, demo_dir: Path, clock: FixedClock,
                                        monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    from frontcounter.cli.main import parse_args
    from frontcounter.config import load_settings, save_settings
    from frontcounter.ui.shell.startup import start

    if how == "--demo --fcr":
        _parser, args = parse_args(["--demo", "--fcr", "--data-dir", str(demo_dir)])
        assert args.fcr and args.demo and args.command is None
        fcr, demo = True, True
    else:  # a real install: an administrator ticked "This PC is an FCR desk"
        paths = Paths.resolve(demo_dir)
        settings = load_settings(paths.config_file)
        settings.fcr_desk = True
        save_settings(paths.config_file, settings)
        fcr, demo = False, False
    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    startup = start(app, demo_dir, station_code=None, demo=demo, preset_user="fcr.HH", fcr=fcr)
    qtbot.addWidget(startup.window)
    try:
        assert "FCR desk" in startup.window.station_label.text()
        with qtbot.waitSignal(startup.main_shown, timeout=30000) as shown:
            pass
        main = shown.args[0]
        qtbot.addWidget(main)
        assert main.state.ctx.mode == "central" and main.state.ctx.station_code is None
        assert main.current_key() == "fcr" and main.state.actor.username == "fcr.HH"
    finally:
        startup.tasks.wait(20000)
        if startup.main_window is not None:
            state = startup.main_window.state  # type: ignore[attr-defined]
            startup.main_window.close()
            state.tasks.wait(20000)
            state.ctx.engine.dispose()
        startup.deleteLater()
