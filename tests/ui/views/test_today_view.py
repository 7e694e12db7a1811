"""The Today view driven through the real main window: scan + Enter checks in (audit + outbox),
live search by name, phone and crime reference, the messages for a wrong reference, station, day,
early and late, no-show after the grace period, the screen mask, refresh on data changes, minutes
waited, the officer's arrival notice and the slip.

The demo clock stands at Monday 23 Nov 2026 17:30 (evening session 17:00–20:00 at HH).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select, update

from frontcounter.db.models import Appointment, AuditEvent, FollowUp, Officer, OutboxEntry, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import FixedClock, local
from frontcounter.services.counter import checkin
from frontcounter.ui.app_state import AppState
from frontcounter.ui.kit.appointment_model import DETAIL_ROLE, Column, RowState
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.views.today import TodayView
from tests.conftest import actor_named
from tests.screens import screenshot_dir

#: Runs again under shifted wall clocks in CI (scripts/test-any-date.sh -m wallclock).
pytestmark = pytest.mark.wallclock

DOCS = screenshot_dir()


class Counter:
    """The main window signed in as someone, with its Today view, and helpers to drive it."""

    def __init__(self, qtbot: QtBot, runtime: StationRuntime, actor: Actor) -> None:
        self.qtbot = qtbot
        self.runtime = runtime
        self.state = AppState(runtime.ctx, actor, runtime.settings, runtime.paths)
        self.window = MainWindow(self.state)
        qtbot.addWidget(self.window)
        self.window.show()
        qtbot.waitExposed(self.window)
        view = self.window.view("today")
        assert isinstance(view, TodayView)
        self.today = view
        self.settle()

    def settle(self) -> None:
        self.qtbot.waitUntil(lambda: self.state.tasks.active == 0 and not self.today._loading, timeout=10000)

    def scan(self, text: str) -> None:
        """What a USB scanner does: type the characters, then Enter."""
        self.window.search.setFocus()
        self.qtbot.keyClicks(self.window.search, text)
        with self.qtbot.waitSignal(self.today.action_finished, timeout=10000):
            self.qtbot.keyClick(self.window.search, Qt.Key.Key_Return)
        self.settle()

    def type(self, text: str) -> None:
        """Type into the search box (QTest types ASCII only; other text arrives as an input method's)."""
        self.window.search.clear()
        self.window.search.setFocus()
        if text.isascii():
            self.qtbot.keyClicks(self.window.search, text)
        else:
            self.window.search.insert(text)

    def visible(self) -> list[AppointmentView]:
        proxy = self.today.proxy
        return [self.today.model.view_at(proxy.mapToSource(proxy.index(r, 0)).row()) for r in range(proxy.rowCount())]

    def row(self, reference: str) -> int:
        row = self.today.model.row_of_reference(reference)
        assert row is not None
        return row

    def banner(self) -> str:
        assert self.today.banner.isVisible(), "no message shown"
        return self.today.banner.text.text()


@pytest.fixture
def at_counter(qtbot: QtBot, station: StationRuntime, counter: Actor) -> Iterator[Counter]:
    c = Counter(qtbot, station, counter)
    yield c
    c.state.tasks.wait(5000)


def booked_today(runtime: StationRuntime, *, after_minutes: int = 0) -> AppointmentView:
    from frontcounter.services.core import appointments

    actor = actor_named(runtime, "counter.HH")
    now = runtime.ctx.clock.now()
    views = appointments.list_day(runtime.ctx, actor, local(now).date())
    return next(v for v in views if v.status == Status.BOOKED and v.start > now + timedelta(minutes=after_minutes))


def counts(runtime: StationRuntime) -> tuple[int, int]:
    with runtime.ctx.read() as s:
        return (s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
                s.scalar(select(func.count()).select_from(OutboxEntry)) or 0)


# --- the list --------------------------------------------------------------------------------


def test_today_lists_every_appointment_by_time_with_next_and_status_in_words(at_counter: Counter) -> None:
    today = at_counter.today
    views = today.model.views()
    assert views and all(local(v.start).date() == local(at_counter.runtime.ctx.clock.now()).date() for v in views)
    shown_order = [v.start for v in at_counter.visible()]
    assert shown_order == sorted(shown_order)
    # The next visitors stand out by shape and words, not only colour.
    next_rows = [r for r in range(today.model.rowCount()) if today.model.state_at(r) == RowState.NEXT]
    assert next_rows
    index = today.model.index(next_rows[0], Column.TIME)
    assert index.data().startswith("▶ ")
    assert today.model.index(next_rows[0], Column.STATUS).data() == "▶ Next"
    assert today.model.index(next_rows[0], Column.TIME).data(DETAIL_ROLE) == views[next_rows[0]].reference
    statuses = {today.model.index(r, Column.STATUS).data() for r in range(today.model.rowCount())}
    assert {"✓ Seen", "✗ No-show", "◐ With officer"} <= statuses
    assert "appointments" in today.summary.text() and "next at 18:00" in today.summary.text()
    # The search box has the focus at start, ready for a scanner.
    assert QApplication.focusWidget() is at_counter.window.search


def test_scanning_a_reference_and_enter_checks_in_with_one_audit_event_and_one_outbox_entry(
    at_counter: Counter, station: StationRuntime, clock: FixedClock
) -> None:
    target = booked_today(station)
    before = counts(station)
    with at_counter.qtbot.waitSignal(at_counter.today.checked_in, timeout=10000) as signal:
        at_counter.scan(target.reference.lower().replace("-", " "))
    assert signal.args[0].reference == target.reference
    assert counts(station) == (before[0] + 1, before[1] + 1)
    with station.ctx.read() as s:
        row = s.get_one(Appointment, target.id)
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
        entry = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc())).first()
    assert (row.status, row.arrived_at, row.checked_in_by) == ("arrived", clock.now(), "counter.HH")
    assert event is not None and (event.action, event.record) == (
        "appointment.check_in", f"appointment:{target.reference}")
    assert entry is not None and (entry.op_type, entry.entity_id) == ("appointment.check_in", target.id)
    assert "Checked in" in at_counter.banner() and target.reference in at_counter.banner()
    assert at_counter.window.search.text() == ""  # ready for the next scan
    # The list shows the visitor waiting, selected, with minutes waited that tick along.
    today = at_counter.today
    assert today.selected_view() is not None and today.selected_view().reference == target.reference
    row_index = at_counter.row(target.reference)
    assert today.model.state_at(row_index) == RowState.WAITING
    assert today.model.index(row_index, Column.STATUS).data() == "● Waiting"
    clock.advance(timedelta(minutes=7))
    today.tick()
    assert today.model.index(row_index, Column.STATUS).data(DETAIL_ROLE) == "waiting 7 min"
    assert "waiting 7 min" in today.details.fields["arrived"].text()
    # A second Enter from the scanner is told, not re-recorded.
    at_counter.scan(target.reference)
    assert "already checked in" in at_counter.banner()
    assert counts(station) == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize("kind", ["name", "phone", "crime reference", "reference without hyphen"])
def test_search_filters_live_by_name_phone_and_crime_reference(
    at_counter: Counter, station: StationRuntime, kind: str
) -> None:
    all_views = at_counter.today.model.views()
    target = next(v for v in all_views if v.crime_reference and v.visitor_phone)
    text = {
        "name": target.visitor_name.split()[0][:4].lower(),  # type: ignore[union-attr]
        "phone": target.visitor_phone[-7:].replace(" ", "  "),  # type: ignore[index]
        "crime reference": target.crime_reference.split("/")[1],  # type: ignore[union-attr]
        "reference without hyphen": target.reference.replace("-", "").lower(),
    }[kind]
    at_counter.type(text)
    visible = at_counter.visible()
    assert target in visible
    assert len(visible) < len(all_views)
    assert all(at_counter.today.proxy.filterAcceptsRow(at_counter.row(v.reference), at_counter.today.proxy.index(0, 0).parent())
               for v in visible)
    if len(visible) == 1:
        assert at_counter.today.selected_view() == target  # a single match is ready for Enter
    # Escape clears the filter: back to the whole day with one key.
    at_counter.qtbot.keyClick(at_counter.window.search, Qt.Key.Key_Escape)
    assert len(at_counter.visible()) == len(all_views)


def test_arrow_keys_in_the_search_box_choose_among_matches_and_enter_checks_in(
    at_counter: Counter, station: StationRuntime
) -> None:
    booked = [v for v in at_counter.today.model.views() if v.status == Status.BOOKED and v.start > station.ctx.clock.now()]
    assert len(booked) >= 2
    at_counter.type("HH-")  # every reference matches: the clerk has to choose
    assert not at_counter.today.submit_search("HH-")
    assert "match" in at_counter.banner() and "↓" in at_counter.banner()
    at_counter.window.search.setFocus()
    for _ in range(at_counter.visible().index(booked[1]) + 1):
        at_counter.qtbot.keyClick(at_counter.window.search, Qt.Key.Key_Down)
    assert at_counter.today.selected_view() == booked[1]
    assert at_counter.window.search.text() == "HH-"  # the text stays as typed
    with at_counter.qtbot.waitSignal(at_counter.today.action_finished, timeout=10000):
        at_counter.qtbot.keyClick(at_counter.window.search, Qt.Key.Key_Return)
    at_counter.settle()
    with station.ctx.read() as s:
        assert s.get_one(Appointment, booked[1].id).status == Status.ARRIVED.value


def test_enter_on_a_name_with_no_match_says_so_and_records_nothing(
    at_counter: Counter, station: StationRuntime
) -> None:
    before = counts(station)
    at_counter.type("Nobody Atall")
    assert at_counter.today.empty.isVisible()
    at_counter.qtbot.keyClick(at_counter.window.search, Qt.Key.Key_Return)
    assert "Nobody today matches “Nobody Atall”" in at_counter.banner()
    assert at_counter.window.search.text() == "Nobody Atall"  # left to correct
    assert counts(station) == before


# --- what the visitor is told --------------------------------------------------------------------


def test_wrong_reference_says_what_to_do(at_counter: Counter, station: StationRuntime) -> None:
    before = counts(station)
    at_counter.scan("HH-XXXXX")
    assert at_counter.banner() == "No appointment HH-XXXXX. Check the slip, or search by name or phone."
    assert at_counter.today.banner.kind == "error" and counts(station) == before


def test_wrong_station_says_where_to_send_the_visitor(at_counter: Counter, station: StationRuntime) -> None:
    at_counter.scan("SG-4KQ7M")
    assert "SG-4KQ7M is a reference for Stevenage, not this station" in at_counter.banner()
    assert "direct the visitor there" in at_counter.banner()
    assert not at_counter.today.banner.buttons  # nothing to force: they must go to Stevenage


def test_a_reference_only_the_centre_knows_is_looked_up_there_without_blocking_the_counter(
    at_counter: Counter, station: StationRuntime, qtbot: QtBot
) -> None:
    """The scan of another station's reference asks the centre (the settings' URL; here the demo's
    embedded centre) on the task runner, and the banner says where and when to send the visitor."""
    from frontcounter.db.engine import make_engine
    from frontcounter.db.models import Station

    url = at_counter.state.settings.central_url
    assert url and url.startswith("sqlite")
    centre = make_engine(url)
    try:
        with centre.connect() as c:
            reference, start = c.execute(
                select(Appointment.reference, Appointment.start_at).join(Station, Station.id == Appointment.station_id)
                .where(Station.code == "SG", Appointment.status == Status.BOOKED.value,
                       Appointment.start_at > station.ctx.clock.now())
                .order_by(Appointment.start_at).limit(1)).one()
    finally:
        centre.dispose()
    with station.ctx.read() as s:
        assert s.scalar(select(func.count()).where(Appointment.reference == reference)) == 0  # not in this cache
    at_counter.window.search.setFocus()
    qtbot.keyClicks(at_counter.window.search, reference)
    qtbot.keyClick(at_counter.window.search, Qt.Key.Key_Return)
    assert at_counter.today._busy  # the lookup runs on the task runner; the window stays live
    qtbot.waitUntil(lambda: not at_counter.today._busy, timeout=10000)
    assert at_counter.banner() == (f"{reference} is booked at Stevenage at {local(start):%H:%M} today. "
                                   "Please direct the visitor there.")
    assert at_counter.today.banner.kind == "warning" and not at_counter.today.banner.buttons
    from frontcounter.ui.theme import apply_theme

    apply_theme(QApplication.instance(), "calm")  # type: ignore[arg-type]  # as the app shows it
    at_counter.window.resize(1280, 780)
    qtbot.wait(50)
    assert at_counter.window.grab().save(str(DOCS / "today-reference-at-another-station.png"))


def test_wrong_day_says_when_and_the_clerk_may_check_in_anyway(
    at_counter: Counter, station: StationRuntime, clock: FixedClock
) -> None:
    with station.ctx.read() as s:
        tomorrow = s.scalars(select(Appointment).where(
            Appointment.status == Status.BOOKED.value, Appointment.start_at > clock.now() + timedelta(hours=20),
            Appointment.start_at < clock.now() + timedelta(hours=30)).order_by(Appointment.start_at)).first()
    assert tomorrow is not None
    at_counter.scan(tomorrow.reference)
    assert f"is booked for {local(tomorrow.start_at):%H:%M} tomorrow, not today" in at_counter.banner()
    assert at_counter.today.banner.kind == "warning"
    with at_counter.qtbot.waitSignal(at_counter.today.action_finished, timeout=10000):
        at_counter.today.banner.button("Check in anyway").click()
    at_counter.settle()
    with station.ctx.read() as s:
        assert s.get_one(Appointment, tomorrow.id).status == Status.ARRIVED.value


def test_early_and_late_visitors_are_told_the_time(
    at_counter: Counter, station: StationRuntime, clock: FixedClock
) -> None:
    later = booked_today(station, after_minutes=60)  # 19:00 at 17:30: 90 minutes early
    at_counter.scan(later.reference)
    assert f"is booked at {local(later.start):%H:%M} today, 90 minutes from now" in at_counter.banner()
    assert "Check in anyway" in at_counter.today.banner.buttons[0].text().replace("&", "")

    soon = booked_today(station)  # 18:00
    clock.set(soon.start + timedelta(minutes=25))
    at_counter.today.tick()
    row = at_counter.row(soon.reference)
    assert at_counter.today.model.state_at(row) == RowState.LATE
    assert at_counter.today.model.index(row, Column.STATUS).data() == "⚠ Late 25 min"
    at_counter.scan(soon.reference)
    assert "Checked in" in at_counter.banner() and "25 minutes late; let the officer know" in at_counter.banner()
    assert at_counter.today.banner.kind == "warning"


# --- no-show and left unseen ---------------------------------------------------------------------


def test_no_show_is_refused_before_the_grace_period_then_confirmed_and_followed_up(
    at_counter: Counter, station: StationRuntime, clock: FixedClock
) -> None:
    target = booked_today(station)
    clock.set(target.start + timedelta(minutes=10))
    at_counter.today.tick()
    assert at_counter.today.select_reference(target.reference)
    button = at_counter.today.details.no_show_button
    assert button.isEnabled() and "from 18:15" in button.toolTip()
    before = counts(station)
    with at_counter.qtbot.waitSignal(at_counter.today.action_finished, timeout=10000):
        at_counter.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert at_counter.banner() == "Too early for a no-show: wait until 18:15 (15 minutes after the start)."
    assert counts(station) == before

    clock.set(target.start + timedelta(minutes=16))
    at_counter.today.tick()
    at_counter.today.no_show_action.trigger()  # Ctrl+Shift+N
    assert "as a no-show?" in at_counter.banner()
    assert counts(station) == before  # nothing until the clerk confirms
    with at_counter.qtbot.waitSignal(at_counter.today.action_finished, timeout=10000):
        at_counter.today.banner.button("Confirm no-show").click()
    at_counter.settle()
    assert "follow-up is open" in at_counter.banner()
    assert counts(station) == (before[0] + 1, before[1] + 1)
    with station.ctx.read() as s:
        assert s.get_one(Appointment, target.id).status == Status.NO_SHOW.value
        assert s.scalars(select(FollowUp).where(FollowUp.appointment_id == target.id)).one().status == "open"
    assert at_counter.today.model.index(at_counter.row(target.reference), Column.STATUS).data() == "✗ No-show"


def test_left_unseen_only_for_a_waiting_visitor(at_counter: Counter, station: StationRuntime) -> None:
    target = booked_today(station)
    assert at_counter.today.select_reference(target.reference)
    assert not at_counter.today.details.left_unseen_button.isEnabled()
    at_counter.scan(target.reference)
    assert at_counter.today.details.left_unseen_button.isEnabled()
    assert not at_counter.today.details.check_in_button.isEnabled()
    at_counter.today.left_unseen_action.trigger()
    with at_counter.qtbot.waitSignal(at_counter.today.action_finished, timeout=10000):
        at_counter.today.banner.button("Confirm left unseen").click()
    at_counter.settle()
    with station.ctx.read() as s:
        assert s.get_one(Appointment, target.id).status == Status.LEFT_UNSEEN.value


# --- privacy -------------------------------------------------------------------------------------


def test_screen_mask_shows_initials_everywhere_names_appear(at_counter: Counter, station: StationRuntime) -> None:
    target = booked_today(station)
    assert at_counter.today.select_reference(target.reference)
    row = at_counter.row(target.reference)
    name = target.visitor_name or ""
    assert at_counter.today.model.index(row, Column.VISITOR).data() == name
    assert at_counter.today.details.name.text() == name
    at_counter.window.mask_action.trigger()  # F9
    initials = " ".join(f"{p[0]}." for p in name.replace("-", " ").split()[:3])
    assert at_counter.today.model.index(row, Column.VISITOR).data() == initials
    assert at_counter.today.details.name.text() == initials
    assert "••••" in at_counter.today.details.fields["phone"].text()
    shown = [at_counter.today.model.index(r, Column.VISITOR).data() for r in range(at_counter.today.model.rowCount())]
    assert not any(v.visitor_name in shown for v in at_counter.today.model.views() if v.visitor_name)
    # Searching by name still works for the clerk who typed it.
    at_counter.type(name.split()[0])
    assert target in at_counter.visible()
    at_counter.window.mask_action.trigger()
    assert at_counter.today.model.index(row, Column.VISITOR).data() == name


# --- keeping the screen true ---------------------------------------------------------------------


def test_changes_from_elsewhere_show_when_data_changes(
    at_counter: Counter, station: StationRuntime, clock: FixedClock
) -> None:
    """A check-in made at another workstation arrives by sync; the view reloads on data_changed."""
    target = booked_today(station)
    with station.ctx.write.begin() as s:  # as a pull would apply it
        s.execute(update(Appointment).where(Appointment.id == target.id).values(
            status=Status.ARRIVED.value, arrived_at=clock.now(), checked_in_by="counter2.HH", version=99))
    with at_counter.qtbot.waitSignal(at_counter.today.loaded, timeout=10000):
        at_counter.state.data_changed.emit()
    assert at_counter.today.model.state_at(at_counter.row(target.reference)) == RowState.WAITING


def test_shortcuts_are_in_the_actions_menu_and_tooltips(at_counter: Counter) -> None:
    menu = at_counter.window.actions_menu
    texts = {a.text().replace("&", ""): a.shortcut().toString() for a in menu.actions() if a.text()}
    assert texts["Check in"] == "Ctrl+Return"
    assert texts["Mark no-show"] == "Ctrl+Shift+N"
    assert texts["Walk-in…"] == "Ctrl+N"
    assert texts["Next visitor"] == "Alt+Down"
    for button in (at_counter.today.details.check_in_button, at_counter.today.details.no_show_button,
                   at_counter.today.details.slip_button, at_counter.today.details.walk_in_button):
        assert "(Ctrl+" in button.toolTip()


def test_the_officer_is_told_when_their_visitor_arrives(
    qtbot: QtBot, station: StationRuntime, counter: Actor, clock: FixedClock
) -> None:
    target = booked_today(station)
    with station.ctx.write.begin() as s:
        s.execute(update(Officer).where(Officer.username == "officer.HH").values(username=None))
        s.execute(update(Officer).where(Officer.id == target.officer_id).values(username="officer.HH"))
    officer_screen = Counter(qtbot, station, actor_named(station, "officer.HH"))
    assert not officer_screen.today.banner.isVisible()
    clock.advance(timedelta(minutes=1))
    checkin.check_in(station.ctx, counter, target.reference)  # at the counter (commits fire data_changed)
    officer_screen.settle()
    assert "Your visitor has arrived" in officer_screen.banner() and target.reference in officer_screen.banner()
    officer_screen.state.tasks.wait(5000)


def test_slip_opens_the_preview(at_counter: Counter, station: StationRuntime) -> None:
    target = booked_today(station)
    assert at_counter.today.select_reference(target.reference)
    at_counter.today.details.slip_button.click()
    at_counter.qtbot.waitUntil(lambda: at_counter.today.slip_dialog is not None, timeout=10000)
    dialog = at_counter.today.slip_dialog
    assert dialog is not None and dialog.isVisible() and target.reference in dialog.windowTitle()
    dialog.close()


def test_none_survives_a_long_day_at_the_counter(at_counter: Counter, clock: FixedClock) -> None:
    """A day of ticks and repaints leaves None's reference count where it was: PySide6 6.12.0 on
    CPython 3.11 lost one per void call and aborted the interpreter (pyproject.toml pins it out)."""
    import sys

    before = sys.getrefcount(None)
    for _ in range(200):  # ~100 minutes of 30-second ticks, each repainting the list
        clock.advance(timedelta(seconds=30))
        at_counter.today.tick()
        at_counter.today.table.viewport().repaint()
    assert sys.getrefcount(None) >= before - 100


def test_the_search_box_moves_through_the_shown_views_list_only(at_counter: Counter) -> None:
    """↓/↑ and Page Down/Up reach the current view through an explicit hook (SearchBox.navigated to
    ``move_selection``), so they move Today's list only while Today is shown."""
    from frontcounter.ui.shell.main_window import SelectionMover

    window, today, qtbot = at_counter.window, at_counter.today, at_counter.qtbot
    assert isinstance(today, SelectionMover)
    shown = at_counter.visible()
    assert len(shown) > 9
    window.search.setFocus()
    qtbot.keyClick(window.search, Qt.Key.Key_PageDown)  # nothing selected: the first row
    assert today.selected_view() == shown[0]
    qtbot.keyClick(window.search, Qt.Key.Key_PageDown)
    assert today.selected_view() == shown[8]
    qtbot.keyClick(window.search, Qt.Key.Key_Up)
    assert today.selected_view() == shown[7]
    window.show_view("board")
    window.search.setFocus()
    qtbot.keyClick(window.search, Qt.Key.Key_Down)
    qtbot.keyClick(window.search, Qt.Key.Key_PageUp)
    assert today.selected_view() == shown[7]
    window.show_view("today")
    qtbot.keyClick(window.search, Qt.Key.Key_PageUp)
    assert today.selected_view() == shown[0]
    assert window.search.text() == ""


def test_the_filter_answers_again_when_the_rows_change_under_the_same_query(
    qtbot: QtBot, station: StationRuntime, counter: Actor
) -> None:
    """The proxy works out every row's answer once per keystroke; rows that arrive later (a reload,
    a sort) under the same query must be answered afresh, not with the old rows' answers."""
    import dataclasses

    from frontcounter.services.core import appointments
    from frontcounter.ui.kit.appointment_filter import AppointmentFilterProxy
    from frontcounter.ui.kit.appointment_model import AppointmentTableModel

    views = appointments.list_day(station.ctx, counter, local(station.ctx.clock.now()).date())
    model = AppointmentTableModel()
    proxy = AppointmentFilterProxy()
    proxy.setSourceModel(model)
    model.set_rows(views, station.ctx.clock.now())
    proxy.set_query("zebedee")
    assert proxy.rowCount() == 0
    newcomer = dataclasses.replace(views[-1], visitor_name="Zebedee Spring", reference="HH-ZZZZZ")
    model.set_rows([newcomer, *views], station.ctx.clock.now())
    assert proxy.rowCount() == 1
    assert model.view_at(proxy.mapToSource(proxy.index(0, 0)).row()).reference == "HH-ZZZZZ"
    proxy.sort(Column.VISITOR, Qt.SortOrder.DescendingOrder)  # the model reorders its rows
    assert [model.view_at(proxy.mapToSource(proxy.index(r, 0)).row()).reference
            for r in range(proxy.rowCount())] == ["HH-ZZZZZ"]
    proxy.set_query("")
    assert proxy.rowCount() == len(views) + 1
