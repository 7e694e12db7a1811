"""The day board on the demo data: blocks where they belong, a click (or the keyboard) opens the
right appointment, days and the week strip move it, at-risk work is called out, and the
appointment dialog's actions (cancel, reschedule, briefing, another officer) go through."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import RELEASED_STATUSES, Appointment, AuditEvent, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock, local, local_day_bounds
from frontcounter.services.scheduling.agenda import week_counts
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.appointment import AppointmentDialog, CancelDialog, RescheduleDialog, needs_of
from frontcounter.ui.kit.row_states import AT_RISK_GLYPH, AT_RISK_LIGHT
from frontcounter.ui.views.day_board import DayBoardView
from frontcounter.ui.views.day_board_layout import _LIGHT
from tests.conftest import DEMO_NOW, actor_named
from tests.screens import screenshot_dir
from tests.unit.roster_fixtures import QUIET_DAY, add_appointment, at, rooms

DOCS = screenshot_dir()

TODAY = date(2026, 11, 23)
WEDNESDAY = date(2026, 11, 25)  # the demo flags one appointment at risk that day


def make_state(station: StationRuntime, actor: Actor) -> AppState:
    return AppState(station.ctx, actor, station.settings, station.paths)


@pytest.fixture
def supervisor_state(station: StationRuntime, supervisor: Actor) -> Iterator[AppState]:
    state = make_state(station, supervisor)
    yield state
    state.tasks.wait(5000)


def open_board(qtbot: QtBot, state: AppState) -> DayBoardView:
    with qtbot.waitSignal(state.tasks.busy_changed, timeout=10000, check_params_cb=lambda busy: not busy):
        view = DayBoardView(state)
        qtbot.addWidget(view)
    view.resize(1500, 900)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: view.data is not None, timeout=10000)
    return view


def go(qtbot: QtBot, view: DayBoardView, action) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.loaded, timeout=10000):
        action()


def dialog_of(view: DayBoardView) -> AppointmentDialog:
    dialogs = [d for d in view._dialogs if isinstance(d, AppointmentDialog)]
    assert dialogs, "no appointment dialog opened"
    return dialogs[-1]


def test_every_block_sits_in_its_room_and_its_officers_lane_at_its_time(
    qtbot: QtBot, supervisor_state: AppState
) -> None:
    view = open_board(qtbot, supervisor_state)
    canvas = view.canvas
    views = canvas.views()
    assert views and {local(v.start).date() for v in views} == {TODAY}
    active = [v for v in views if v.status not in RELEASED_STATUSES]
    released = [v for v in views if v.status in RELEASED_STATUSES]
    assert released, "the demo has a rescheduled appointment today"
    for v in active:
        blocks = canvas.blocks_for(v.id)
        assert {(kind, key) for kind, key, _ in blocks} == {("room", v.room_id), ("officer", v.officer_id)}
        for _kind, _key, rect in blocks:
            assert abs(rect.left() - canvas.x_for(v.start)) <= 3
            assert abs(rect.right() - canvas.x_for(v.end)) <= 3
    for v in released:
        assert canvas.blocks_for(v.id) == [], "released slots are hidden by default"
    view.released_check.setChecked(True)
    assert all(canvas.blocks_for(v.id) for v in released)
    rooms = [key for kind, key, _ in canvas.lanes() if kind == "room"]
    assert rooms == [r.id for r in view.data.layout.rooms]
    officer_lanes = [key for kind, key, _ in canvas.lanes() if kind == "officer"]
    assert [o.officer.id for o in view.data.layout.officers] == officer_lanes[:len(view.data.layout.officers)]
    # The now line is on today, between the 17:00 and 18:00 blocks.
    assert canvas.x_for(DEMO_NOW) > canvas.x_for(DEMO_NOW - timedelta(minutes=30))
    image = canvas.grab().toImage()
    assert not image.isNull()


def test_a_click_opens_the_appointment_under_the_pointer(qtbot: QtBot, supervisor_state: AppState) -> None:
    view = open_board(qtbot, supervisor_state)
    target = next(v for v in view.canvas.views() if v.status == Status.BOOKED and v.start > DEMO_NOW)
    _, _, rect = next(b for b in view.canvas.blocks_for(target.id) if b[0] == "room")
    view.scroller.ensureVisible(int(rect.center().x()), int(rect.center().y()))
    qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    dialog = dialog_of(view)
    assert dialog.view.id == target.id
    assert target.reference in dialog.windowTitle()
    assert dialog.reschedule_button.isVisibleTo(dialog) and dialog.cancel_button.isVisibleTo(dialog)
    dialog.reject()
    # An empty spot opens nothing.
    before = len(view._dialogs)
    qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=QPoint(view.canvas.GUTTER + 2, 5))
    assert len(view._dialogs) == before


def test_keyboard_moves_between_blocks_and_enter_opens(qtbot: QtBot, supervisor_state: AppState) -> None:
    view = open_board(qtbot, supervisor_state)
    canvas = view.canvas
    canvas.setFocus()
    qtbot.waitUntil(lambda: canvas.selected() is not None)
    first = canvas.selected()
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    second = canvas.selected()
    assert second is not None and second.id != first.id and second.start > first.start
    qtbot.keyClick(canvas, Qt.Key.Key_Down)
    assert canvas.selected() is not None
    chosen = canvas.selected()
    assert chosen.reference in canvas.accessibleDescription()
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert dialog_of(view).view.id == chosen.id


def test_days_and_the_week_strip_move_the_board(qtbot: QtBot, supervisor_state: AppState, station: StationRuntime,
                                                supervisor: Actor) -> None:
    view = open_board(qtbot, supervisor_state)
    week = week_counts(station.ctx, supervisor, TODAY)
    for button, count in zip(view.week.buttons, week, strict=True):
        assert f"{count.total} booked" in button.text()
    assert view.week.buttons[0].isChecked()
    go(qtbot, view, lambda: qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton))
    assert view.day == TODAY + timedelta(days=1) and view.week.buttons[1].isChecked()
    assert {local(v.start).date() for v in view.canvas.views()} == {TODAY + timedelta(days=1)}
    go(qtbot, view, lambda: qtbot.mouseClick(view.week.buttons[2], Qt.MouseButton.LeftButton))
    assert view.day == WEDNESDAY
    assert view.notice_frame.isVisible() and "at risk" in view.notice.text()
    # The same words, shape and red as Today's AT RISK (ui/kit/row_states), not a grey "⚠ at risk".
    assert view.risk_label.text() == f"{AT_RISK_GLYPH} 1 AT RISK"
    assert f"{AT_RISK_GLYPH} 1 AT RISK" in view.week.buttons[2].text()
    risky = next(v for v in view.canvas.views() if v.at_risk)
    blocks = [b for b in view.canvas._blocks if b.view.id == risky.id]
    assert blocks and all(b.key == "at_risk" and f"{AT_RISK_GLYPH} AT RISK" in b.body for b in blocks)
    assert f"{AT_RISK_GLYPH} AT RISK" in view.findChild(QLabel, "boardLegend").text().replace("&nbsp;", " ")
    fill, text, _border = _LIGHT["at_risk"]
    assert (text, fill) == AT_RISK_LIGHT[:2]
    assert risky.reference in {view.canvas.views()[i].reference for i in range(len(view.canvas.views()))}
    go(qtbot, view, lambda: qtbot.mouseClick(view.today_button, Qt.MouseButton.LeftButton))
    assert view.day == TODAY


def test_the_screen_mask_shows_initials(qtbot: QtBot, supervisor_state: AppState) -> None:
    view = open_board(qtbot, supervisor_state)
    target = next(v for v in view.canvas.views() if v.visitor_name and " " in v.visitor_name)
    supervisor_state.set_masked(True)
    view.canvas.select(target.id)
    description = view.canvas.accessibleDescription()
    assert target.visitor_name not in description
    initials = " ".join(f"{p[0].upper()}." for p in target.visitor_name.replace("-", " ").split()[:3])
    assert initials in description


def test_cancel_from_the_board_records_the_reason(qtbot: QtBot, supervisor_state: AppState,
                                                  station: StationRuntime) -> None:
    view = open_board(qtbot, supervisor_state)
    target = next(v for v in view.canvas.views() if v.status == Status.BOOKED and v.start > DEMO_NOW)
    dialog = view.open_appointment(target)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    cancel = next(d for d in dialog._children if isinstance(d, CancelDialog))
    cancel.reason.setCurrentIndex(cancel.reason.findData("other"))
    qtbot.mouseClick(cancel.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not cancel.busy, timeout=10000)
    assert "note" in cancel.banner.text(), "'other' needs a note: shown in place"
    qtbot.keyClicks(cancel.note, "Visitor moved away")
    with qtbot.waitSignal(view.loaded, timeout=10000):
        qtbot.mouseClick(cancel.confirm, Qt.MouseButton.LeftButton)
    with station.ctx.read() as s:
        row = s.get_one(Appointment, target.id)
    assert (row.status, row.cancel_reason, row.cancel_note, row.cancelled_by) == (
        "cancelled", "other", "Visitor moved away", "supervisor.HH")
    assert all(v.id != target.id or v.status == "cancelled" for v in view.canvas.views())


def test_reschedule_from_the_board_links_old_and_new(qtbot: QtBot, supervisor_state: AppState,
                                                     station: StationRuntime) -> None:
    view = open_board(qtbot, supervisor_state)
    target = next(v for v in view.canvas.views()
                  if v.status == Status.BOOKED and v.start > DEMO_NOW and not needs_of(v).describe())
    dialog = view.open_appointment(target)
    qtbot.mouseClick(dialog.reschedule_button, Qt.MouseButton.LeftButton)
    moving = next(d for d in dialog._children if isinstance(d, RescheduleDialog))
    qtbot.waitUntil(lambda: not moving.busy, timeout=10000)
    offered = moving.slots.slots()
    assert offered, "the demo has free slots in the next fortnight"
    moving.slots.setCurrentRow(0)
    moving.reason.setCurrentIndex(moving.reason.findData("operational_demand"))
    with qtbot.waitSignal(moving.rescheduled, timeout=10000) as signal:
        qtbot.mouseClick(moving.confirm, Qt.MouseButton.LeftButton)
    new = signal.args[0]
    assert (new.start, new.room_id) == (offered[0].start, offered[0].room_id)
    with station.ctx.read() as s:
        old = s.get_one(Appointment, target.id)
    assert old.status == "rescheduled" and old.rescheduled_to_id == new.id and old.cancel_reason == "operational_demand"


def test_officer_opens_the_briefing_and_it_is_audited(qtbot: QtBot, station: StationRuntime, officer: Actor) -> None:
    state = make_state(station, officer)
    view = open_board(qtbot, state)
    target = next(v for v in view.canvas.views() if v.status == Status.BOOKED)
    dialog = view.open_appointment(target)
    assert dialog.briefing_button.isVisibleTo(dialog)
    assert not dialog.cancel_button.isVisibleTo(dialog) and not dialog.reschedule_button.isVisibleTo(dialog)
    dialog.open_briefing()
    qtbot.waitUntil(lambda: bool(dialog._children), timeout=15000)
    preview = dialog._children[-1]
    assert target.reference in preview.windowTitle()
    with station.ctx.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "briefing.open")
                          .order_by(AuditEvent.local_seq.desc())).first()
    assert event.record == f"appointment:{target.reference}" and event.category == "consultation"
    preview.reject()
    state.tasks.wait(5000)


def test_counter_sees_no_actions_but_the_at_risk_warning(qtbot: QtBot, station: StationRuntime, counter: Actor) -> None:
    state = make_state(station, counter)
    view = open_board(qtbot, state)
    assert not view.pull_button.isVisibleTo(view) and not view.import_button.isVisibleTo(view)
    go(qtbot, view, lambda: view.go_to(WEDNESDAY))
    risky = next(v for v in view.canvas.views() if v.at_risk)
    dialog = view.open_appointment(risky)
    assert dialog.risk.isVisibleTo(dialog) and "At risk" in dialog.risk.text()
    for button in (dialog.briefing_button, dialog.reschedule_button, dialog.cancel_button, dialog.officer_button):
        assert not button.isVisibleTo(dialog)
    state.tasks.wait(5000)


def test_officer_pulled_away_from_the_board(qtbot: QtBot, supervisor_state: AppState, station: StationRuntime,
                                            clock: FixedClock) -> None:
    from frontcounter.ui.dialogs.roster import PulledAwayDialog

    view = open_board(qtbot, supervisor_state)
    dialog = PulledAwayDialog(supervisor_state, TODAY, parent=view)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.officer.count() > 0, timeout=10000)
    evening = next(o for o in view.data.layout.officers
                   if any(v.officer_id == o.officer.id and v.status == "booked" for v in view.canvas.views()))
    index = next(i for i in range(dialog.officer.count()) if dialog.officer.itemData(i) == evening.officer.id)
    dialog.officer.setCurrentIndex(index)
    qtbot.keyClicks(dialog.reason, "Called to a major incident")
    with qtbot.waitSignal(dialog.reassigned, timeout=10000) as signal:
        qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    summary = signal.args[0]
    assert summary.moved or summary.at_risk
    assert dialog.outcomes.count() == len(summary.moved) + len(summary.at_risk)
    qtbot.waitUntil(lambda: any(v.at_risk for v in view.canvas.views()) or not summary.at_risk, timeout=10000)
    with station.ctx.read() as s:
        remaining = s.scalars(select(Appointment).where(Appointment.officer_id == evening.officer.id,
                                                        Appointment.status == "booked",
                                                        Appointment.start_at > DEMO_NOW,
                                                        Appointment.start_at < local_day_bounds(TODAY)[1])).all()
    assert all(a.at_risk for a in remaining)
    QApplication.processEvents()
    supervisor_state.tasks.wait(5000)


def test_fcr_chooses_the_station(qtbot: QtBot, station: StationRuntime) -> None:
    state = make_state(station, actor_named(station, "fcr.HH"))
    view = open_board(qtbot, state)
    assert view.station_combo.isVisibleTo(view) and view.station_combo.count() == 11
    sg = view.station_combo.findData("SG")
    with qtbot.waitSignal(view.loaded, timeout=10000):
        view.station_combo.setCurrentIndex(sg)
        view.station_combo.activated.emit(sg)
    assert view.data.layout.station_code == "SG"
    assert "complete only at the centre" in view.notice.text()
    state.tasks.wait(5000)


# --- import and roster admin, opened from the board's toolbar and the navigation ----------------------


def test_import_dialog_shows_progress_and_the_bad_rows(qtbot: QtBot, supervisor_state: AppState,
                                                       station: StationRuntime, tmp_path: Path) -> None:
    from frontcounter.ui.dialogs.import_appointments import ImportDialog

    path = tmp_path / "cad.csv"
    path.write_text("external_id,station,start,reason,visitor_name\n"
                    "UI-1,HH,2026-11-30 17:00,other,Good Row\n"
                    "UI-2,HH,not a date,nonsense,\n", encoding="utf-8")
    dialog = ImportDialog(supervisor_state)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.path, str(path))
    progress: list[tuple[int, int]] = []
    with qtbot.waitSignal(dialog.imported, timeout=10000) as signal:
        dialog.progress.valueChanged.connect(lambda v: progress.append((v, dialog.progress.maximum())))
        qtbot.keyClick(dialog.path, Qt.Key.Key_Return)
    report = signal.args[0]
    assert (len(report.imported), len(report.rejected)) == (1, 1)
    assert "1 imported, 0 skipped" in dialog.summary.text()
    assert dialog.problems.topLevelItemCount() == 1
    row = dialog.problems.topLevelItem(0)
    assert row.text(0) == "3" and row.text(1) == "UI-2" and "visitor_name is missing" in row.text(2)
    assert "rejected" in dialog.banner.text()
    assert progress and progress[-1] == (2, 2)
    with qtbot.waitSignal(dialog.imported, timeout=10000) as again:
        qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
    assert len(again.args[0].skipped) == 1 and len(again.args[0].imported) == 0


def test_roster_admin_adds_a_shift_and_refuses_what_would_strand_visitors(
    qtbot: QtBot, supervisor_state: AppState, station: StationRuntime
) -> None:
    from frontcounter.ui.dialogs.roster import DutyDialog, RoomDialog
    from frontcounter.ui.views.roster_admin import RosterAdminView

    view = RosterAdminView(supervisor_state)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.rooms.rowCount() > 0 and view.sessions.rowCount() > 0, timeout=10000)
    assert [view.tabs.tabText(i).replace("&", "") for i in range(view.tabs.count())] == [
        "Duty roster", "Rooms", "Opening sessions"]
    shifts = view.duties.rowCount()
    assert shifts > 0, "the demo rosters this week"
    view._on_add_duty_clicked()
    dialog = next(d for d in view._dialogs if isinstance(d, DutyDialog))
    dialog.day.setDate(dialog.day.date().addDays(6))  # Sunday: nothing rostered yet
    with qtbot.waitSignal(view.loaded, timeout=10000):
        dialog._on_buttons_accepted()
    assert view.duties.rowCount() == shifts + 1
    # Take the step-free room's feature away while a booked visitor needs it: refused in place.
    room_row = next(r for r in range(view.rooms.rowCount()) if "step-free" in view.rooms.item(r, 2).text())
    view.rooms.setCurrentCell(room_row, 0)
    room = next(r for r in rooms(station) if r.name == view.rooms.item(room_row, 0).text())
    add_appointment(station, room, None, at(QUIET_DAY, 18), needs_step_free=True)
    view._on_edit_room_clicked()
    edit = next(d for d in view._dialogs if isinstance(d, RoomDialog))
    edit.features["step_free"].setChecked(False)
    edit._on_buttons_accepted()
    qtbot.waitUntil(lambda: bool(edit.banner.text()), timeout=10000)
    assert "step-free" in edit.banner.text() and edit.isVisible()
    edit.reject()
    supervisor_state.tasks.wait(5000)


def test_the_board_opens_on_now_and_its_hour_labels_stay_in_view(
    qtbot: QtBot, supervisor_state: AppState, clock: FixedClock
) -> None:
    with qtbot.waitSignal(supervisor_state.tasks.busy_changed, timeout=10000, check_params_cb=lambda busy: not busy):
        view = DayBoardView(supervisor_state)
        qtbot.addWidget(view)
    view.resize(900, 520)  # a small counter screen: the day does not fit either way
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: view.data is not None, timeout=10000)
    bar = view.scroller.horizontalScrollBar()
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=5000)
    now_x = view.canvas.x_for(clock.now())
    visible = (bar.value() + view.canvas.GUTTER, bar.value() + view.scroller.viewport().width())
    assert visible[0] <= now_x <= visible[1], "now is in view, not 09:00"
    # Scrolled down, the hour labels are drawn at the top of what shows.
    down = view.scroller.verticalScrollBar()
    assert down.maximum() > 0
    down.setValue(down.maximum())
    assert view.canvas.hour_labels_top() == down.maximum()
    image = view.scroller.viewport().grab().toImage()
    assert image.pixelColor(5, 5) == view.canvas._colours.base  # the band, not a lane's shading
    # Scrolled across, the lane names stay at the left too.
    assert view.canvas._sticky_left == bar.value() > 0
    view.grab().save(str(DOCS / "day-board-now.png"))
    QApplication.processEvents()
    supervisor_state.tasks.wait(5000)


def test_the_hour_labels_read_once_when_the_board_is_scrolled_sideways(
        qtbot: QtBot, supervisor_state: AppState) -> None:
    """Scrolled to now, the band of hour labels is painted again over the lanes; it must be the
    same text in the same font, not a regular label over a bold one (they read doubled)."""
    from PySide6.QtCore import QRect

    view = open_board(qtbot, supervisor_state)
    canvas = view.canvas
    canvas.set_sticky_left(0)
    canvas.set_sticky_top(0)
    x = int(canvas.GUTTER + (canvas._last_hour - canvas._first_hour - 2) * canvas._hour_px)
    band = QRect(x, 0, int(canvas._hour_px), canvas.HEADER)  # an hour label far from the corner
    plain = canvas.grab(band).toImage()
    canvas.set_sticky_left(40)  # scrolled sideways: the corner and the labels are painted again
    scrolled = canvas.grab(band).toImage()
    assert scrolled == plain
