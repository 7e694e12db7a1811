"""The visit to its end on screen: in Today a waiting visitor is taken in (Ctrl+T) and seen (Ctrl+D)
with visible buttons, each step offers Undo (Alt+U) for a few seconds, the end of the visit offers
the 1–5 feedback; My appointments shows the officer who is waiting for them and for how long, and
has the same buttons. Every step is audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import Appointment, AuditEvent, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.counter import checkin
from frontcounter.ui.dialogs.feedback import FeedbackDialog
from frontcounter.ui.kit.appointment_model import Column
from frontcounter.ui.views.my_appointments import MyAppointmentsView
from frontcounter.ui.views.visit_actions import VisitActions
from tests.conftest import actor_named
from tests.screens import screenshot_dir
from tests.ui.views.test_today_view import Counter, booked_today

pytestmark = pytest.mark.wallclock

DOCS = screenshot_dir()


@pytest.fixture
def at_counter(qtbot: QtBot, station: StationRuntime, counter: Actor) -> Iterator[Counter]:
    c = Counter(qtbot, station, counter)
    c.window.resize(1280, 720)
    yield c
    c.state.tasks.wait(5000)


def _actions(station: StationRuntime, reference: str) -> list[str]:
    with station.ctx.read() as s:
        return list(s.scalars(select(AuditEvent.action).where(AuditEvent.record == f"appointment:{reference}",
                                                              AuditEvent.outcome == "success")
                              .order_by(AuditEvent.local_seq)))


def _status(station: StationRuntime, reference: str) -> str:
    with station.ctx.read() as s:
        return s.scalars(select(Appointment.status).where(Appointment.reference == reference)).one()


def _press(c: Counter, visit: VisitActions, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    with c.qtbot.waitSignal(visit.finished, timeout=10000):
        c.qtbot.keyClick(c.window, key, modifiers)
    c.settle()


def test_today_takes_in_undoes_sees_and_asks_for_feedback(
    at_counter: Counter, station: StationRuntime, clock: FixedClock
) -> None:
    c, today = at_counter, at_counter.today
    visit = today.visit
    target = booked_today(station)
    c.scan(target.reference)
    assert visit.take_in_button.isVisible() and visit.take_in_button.isEnabled()
    assert not visit.seen_button.isEnabled()  # seen comes after taken in
    clock.advance(timedelta(minutes=9))

    _press(c, visit, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert _status(station, target.reference) == Status.IN_PROGRESS.value
    assert "taken in at" in c.banner()
    assert today.model.index(c.row(target.reference), Column.STATUS).data() == "◐ With officer"
    assert "taken in" in today.details.fields["arrived"].text()
    undo = today.banner.button("Undo")
    assert undo.isVisible()
    c.window.grab().save(str(DOCS / "today-visit-buttons.png"))

    with c.qtbot.waitSignal(visit.finished, timeout=10000):
        c.qtbot.keyClick(c.window, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)
    c.settle()
    assert _status(station, target.reference) == Status.ARRIVED.value
    assert "Undone" in c.banner() and "waiting again" in c.banner()
    assert today.model.index(c.row(target.reference), Column.STATUS).data() == "● Waiting"

    _press(c, visit, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    clock.advance(timedelta(minutes=30))
    assert visit.seen_button.isEnabled()
    with c.qtbot.waitSignal(visit.finished, timeout=10000):
        c.qtbot.mouseClick(visit.seen_button, Qt.MouseButton.LeftButton)
    c.settle()
    assert _status(station, target.reference) == Status.COMPLETED.value
    assert "seen: the visit is over" in c.banner()
    assert today.model.index(c.row(target.reference), Column.STATUS).data() == "✓ Seen"

    c.qtbot.mouseClick(today.banner.button("Feedback"), Qt.MouseButton.LeftButton)
    dialog = visit.feedback_dialog
    assert isinstance(dialog, FeedbackDialog) and dialog.isVisible()
    c.qtbot.keyClick(dialog, Qt.Key.Key_4)
    with c.qtbot.waitSignal(dialog.recorded, timeout=10000):
        c.qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    c.settle()
    assert "feedback recorded" in c.banner()
    with station.ctx.read() as s:
        assert s.scalars(select(Appointment.feedback_rating)
                         .where(Appointment.reference == target.reference)).one() == 4
    assert _actions(station, target.reference) == [
        "appointment.check_in", "appointment.start", "appointment.undo", "appointment.start",
        "appointment.complete", "appointment.feedback"]


def test_today_left_unseen_is_confirmed_then_undoable_and_the_offer_of_undo_expires(
    at_counter: Counter, station: StationRuntime
) -> None:
    c, today = at_counter, at_counter.today
    target = booked_today(station)
    c.scan(target.reference)
    today.left_unseen_action.trigger()
    with c.qtbot.waitSignal(today.action_finished, timeout=10000):
        today.banner.button("Confirm left unseen").click()
    c.settle()
    assert _status(station, target.reference) == Status.LEFT_UNSEEN.value
    assert "left unseen" in c.banner()
    assert {b.text().replace("&", "") for b in today.banner.buttons} == {"Undo", "Feedback…"}
    today.visit.undo_timer.timeout.emit()  # the few seconds pass
    assert {b.text().replace("&", "") for b in today.banner.buttons} == {"Feedback…"}
    assert today.visit.undoable is None


def test_my_appointments_shows_who_waits_for_the_officer_and_takes_them_in(
    qtbot: QtBot, station: StationRuntime, clock: FixedClock
) -> None:
    officer = actor_named(station, "officer.HH")
    from frontcounter.ui.app_state import AppState

    state = AppState(station.ctx, officer, station.settings, station.paths)
    view = MyAppointmentsView(state)
    view.show_notices = False
    qtbot.addWidget(view)
    view.resize(1280, 620)
    view.show()
    qtbot.waitUntil(lambda: state.tasks.active == 0, timeout=10000)
    mine = next(v for v in view._views if v.status == Status.BOOKED.value and v.start > clock.now())
    checkin.check_in(station.ctx, actor_named(station, "counter.HH"), mine.reference, force=True)
    clock.advance(timedelta(minutes=14))
    with qtbot.waitSignal(view.loaded, timeout=10000):
        view.reload()
    assert view.waiting_frame.isVisible()
    text = view.waiting_label.text()
    assert mine.reference in text and "14 min" in text and (mine.visitor_name or "") in text
    clock.advance(timedelta(minutes=2))
    view.tick()
    assert "16 min" in view.waiting_label.text()
    assert view.select_reference(mine.reference)
    view.grab().save(str(DOCS / "my-appointments-waiting.png"))

    assert view.select_reference(mine.reference)
    assert view.visit.take_in_button.isEnabled()
    with qtbot.waitSignal(view.visit.finished, timeout=10000):
        qtbot.mouseClick(view.visit.take_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state.tasks.active == 0, timeout=10000)
    with qtbot.waitSignal(view.loaded, timeout=10000):
        view.reload()
    assert _status(station, mine.reference) == Status.IN_PROGRESS.value
    assert not view.waiting_frame.isVisible() or mine.reference not in view.waiting_label.text()
    assert "taken in at" in view.visit_banner.text.text()
    assert view.select_reference(mine.reference)
    assert view.visit.seen_button.isEnabled()
    QApplication.processEvents()


@pytest.mark.parametrize("username", ["counter.HH", "officer.HH", "supervisor.HH"])
def test_the_visit_keys_collide_with_no_other_enabled_shortcut(
    qtbot: QtBot, station: StationRuntime, username: str
) -> None:
    from PySide6.QtGui import QAction, QShortcut

    c = Counter(qtbot, station, actor_named(station, username))
    for key in [spec.key for spec in c.window._specs]:  # every view built, as a day of use builds them
        c.window.show_view(key) if key != "book" else c.window.view(key)
        c.settle()
        keys: dict[str, list[str]] = {}
        for action in c.window.findChildren(QAction):
            if action.isEnabled() and not action.shortcut().isEmpty():
                keys.setdefault(action.shortcut().toString(), []).append(action.text())
        for shortcut in c.window.findChildren(QShortcut):
            owner = shortcut.parent()
            if shortcut.isEnabled() and isinstance(owner, QWidget) and owner.isVisible():
                keys.setdefault(shortcut.key().toString(), []).append("shortcut")
        clashes = {k: v for k, v in keys.items() if len(v) > 1}
        assert not clashes, (key, clashes)
    for shortcut in ("Ctrl+T", "Ctrl+D", "Ctrl+Shift+F"):
        assert shortcut in {a.shortcut().toString() for a in c.window.findChildren(QAction)}
    c.state.tasks.wait(5000)
