"""Video appointments on screen (issue 14): the FCR desk's meeting-link field, and Today's list
apart from the counter's (nobody walks in), with Joined in place of check-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import Appointment, Channel, Status
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, open_centre
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.scheduling.booking import BookingRequest, book
from frontcounter.services.scheduling.slots import SlotNeeds, find_slots
from frontcounter.ui.app_state import AppState
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.views.fcr_desk import FcrDeskView
from frontcounter.ui.views.today import TodayView
from tests.conftest import actor_named
from tests.screens import screenshot_dir
from tests.sync_support import actor_in

pytestmark = pytest.mark.wallclock

DOCS = screenshot_dir()
LINK = "https://video.herts.police.example/join/HH-77"


@pytest.fixture
def centre(demo_dir: Path, clock: FixedClock) -> Iterator[StationRuntime]:
    runtime = open_centre(Paths.resolve(demo_dir), clock=clock)
    yield runtime
    runtime.engine.dispose()


def test_the_fcr_desk_books_a_video_appointment_with_its_link(qtbot: QtBot, centre: StationRuntime) -> None:
    state = AppState(centre.ctx, actor_in(centre.ctx, "fcr.HH"), centre.settings, centre.paths)
    view = FcrDeskView(state)
    qtbot.addWidget(view)
    view.resize(1300, 980)
    view.show()
    form = view.form
    assert not form.meeting_link.isVisibleTo(form)  # only for the video channel
    form.channel.setCurrentIndex(form.channel.findData(Channel.VIDEO.value))
    assert form.meeting_link.isVisibleTo(form)
    qtbot.keyClicks(form.place, "Hitchin")
    qtbot.keyClicks(form.name, "Vera Video")
    form.find_slots()
    qtbot.waitUntil(lambda: form.find_button.isEnabled() and form.slots.count() > 0, timeout=15000)
    qtbot.keyClick(form.slots, Qt.Key.Key_Return)
    assert "meeting link" in form.banner.text() and not form.confirm_frame.isVisible()  # said before booking
    qtbot.keyClicks(form.meeting_link, LINK)
    qtbot.keyClick(form.slots, Qt.Key.Key_Return)
    with qtbot.waitSignal(form.booked, timeout=15000) as signal:
        qtbot.keyClick(form.confirm_button, Qt.Key.Key_Space)
    booked = signal.args[0]
    with centre.ctx.read() as s:
        row = s.scalars(select(Appointment).where(Appointment.reference == booked.reference)).one()
    assert (row.channel, row.meeting_link) == ("video", LINK) and row.officer_id is not None
    state.tasks.wait(5000)


def test_today_lists_video_apart_and_joined_replaces_check_in(
        qtbot: QtBot, station: StationRuntime, clock: FixedClock) -> None:
    counter = actor_named(station, "counter.HH")
    tomorrow = (clock.now() + timedelta(days=1)).date()  # tonight is fully booked at HH
    slot = find_slots(station.ctx, counter, SlotNeeds(video_call=True), start_day=tomorrow, limit=1)[0]
    video = book(station.ctx, counter, BookingRequest.for_slot(slot, "Vera Video", channel=Channel.VIDEO.value,
                                                               meeting_link=LINK))
    clock.set(slot.start - timedelta(minutes=30))  # the counter on that day, before the call
    state = AppState(station.ctx, counter, station.settings, station.paths)
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    today = window.view("today")
    assert isinstance(today, TodayView)
    qtbot.waitUntil(lambda: today.video.list.count() > 0, timeout=10000)
    assert today.model.row_of_reference(video.reference) is None, "not among the visitors to check in"
    assert today.model.rowCount() > 0 and today.video.isVisible()
    assert "nobody will walk in (1)" in today.video.title()
    today.video.list.setCurrentRow(0)
    assert today.video.joined_button.isEnabled()
    (DOCS / "screens").mkdir(exist_ok=True)
    assert window.grab().save(str(DOCS / "screens" / "today-video.png"))
    qtbot.keyClick(today.video.joined_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "Joined (video)" in today.video.list.item(0).text(), timeout=10000)
    with station.ctx.read() as s:
        assert s.scalars(select(Appointment.status).where(Appointment.id == video.id)).one() == Status.ARRIVED.value
    assert not today.video.joined_button.isEnabled()
    state.set_masked(True)
    assert "Vera Video" not in today.video.list.item(0).text()
    state.tasks.wait(5000)
