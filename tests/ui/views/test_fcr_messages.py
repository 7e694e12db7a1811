"""The FCR desk's "Messages to phone" (issue 16): messages that failed, or that safe contact kept
back, where the visitor must still hear and may be phoned; the call recorded by keyboard alone.

Against the demo's embedded centre: the FCR books and cancels there (the centre queues the
messages), and the real worker sends them to a fake GOV.UK Notify on 127.0.0.1 that refuses
some numbers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import AtRiskContact, AuditEvent
from frontcounter.runtime import StationRuntime
from frontcounter.services.messages import to_phone
from frontcounter.services.messages.notify import NotifyGateway
from frontcounter.services.messages.worker import Worker
from frontcounter.services.scheduling import changes
from frontcounter.ui.app_state import AppState
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.views.fcr_messages import CALLED_COLUMN, PHONE_COLUMN, MessagesToPhoneView
from tests.messages_support import book_here, notify_settings
from tests.notify_fake import API_KEY, FakeNotify, fake_notify
from tests.screens import screenshot_dir
from tests.ui.views.test_fcr_desk import _focused, _tab_to, centre, fcr_state, window  # noqa: F401 (fixtures)

pytestmark = pytest.mark.wallclock

DOCS = screenshot_dir()

#: Phoning agreed, nothing may be sent: the cancellation cannot go, the FCR must ring.
PHONE_ONLY: dict[str, Any] = {"contact_may_phone": True, "visitor_phone": "07700 900555",
                              "name": "Phone Only Visitor"}
#: Texts agreed (to a number Notify refuses) and phoning without voicemail.
TEXTS_REFUSED: dict[str, Any] = {"contact_may_text": True, "contact_text_number": "07700 900777",
                                 "contact_may_phone": True, "visitor_phone": "07700 900888",
                                 "name": "Refused Text Visitor"}
#: Texts agreed, refused too, but phoning not agreed: nothing the FCR may do, so not listed.
NO_PHONING: dict[str, Any] = {"contact_may_text": True, "contact_text_number": "07700 900999",
                              "name": "No Phoning Visitor"}


@pytest.fixture
def fake() -> Iterator[FakeNotify]:
    with fake_notify() as f:
        yield f


@pytest.fixture
def undelivered(centre: StationRuntime, fcr_state: AppState, fake: FakeNotify) -> dict[str, str]:  # noqa: F811
    """Three visitors' messages that did not go, by the centre's own commands and the real worker."""
    ctx, fcr = centre.ctx, fcr_state.actor
    phone_only = book_here(ctx, fcr, **PHONE_ONLY)
    changes.cancel(ctx, fcr, phone_only.id, "visitor_request")
    refused = book_here(ctx, fcr, pick=1, **TEXTS_REFUSED)
    no_phoning = book_here(ctx, fcr, pick=2, **NO_PHONING)
    fake.refuse |= {"07700 900777", "07700 900999"}
    settings = notify_settings(fake.base_url)
    report = Worker(ctx, settings, NotifyGateway(settings, API_KEY), sleep=lambda _s: None).run_once()
    assert report.failed == 2 and report.sent == 0, report.line()
    return {"phone_only": phone_only.reference, "refused": refused.reference, "no_phoning": no_phoning.reference}


def test_the_service_lists_only_what_the_fcr_may_phone_about(
        centre: StationRuntime, fcr_state: AppState, undelivered: dict[str, str]) -> None:  # noqa: F811
    calls = to_phone.messages_to_phone(centre.ctx, fcr_state.actor)
    got = {(c.appointment.reference, c.message.kind) for c in calls}
    # The phone-only visitor's confirmation is not owed a call (it is not a must-reach message).
    assert got == {(undelivered["phone_only"], "cancellation"), (undelivered["refused"], "confirmation")}
    by_ref = {c.appointment.reference: c for c in calls}
    cancelled = by_ref[undelivered["phone_only"]]
    assert cancelled.reason == "Not sent: the visitor has not agreed to texts or email"
    assert cancelled.what_to_do == "Phone the visitor (do not leave a voicemail)"
    refused = by_ref[undelivered["refused"]]
    assert refused.reason.startswith("GOV.UK Notify refused the message") and "phone" not in refused.reason
    assert refused.appointment.visitor_phone == "07700 900888" and refused.called is None


def test_messages_to_phone_by_keyboard_with_the_call_recorded(
        qtbot: QtBot, undelivered: dict[str, str], window: MainWindow, fcr_state: AppState,  # noqa: F811
        centre: StationRuntime) -> None:  # noqa: F811
    # (the messages are made first: the window then opens on them, active, as an FCR finds it)
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "messages"
    view = window.view("messages")
    assert isinstance(view, MessagesToPhoneView)
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=15000)
    refs = [view.table.item(r, 3).text() for r in range(view.table.rowCount())]
    assert sorted(refs) == sorted([undelivered["phone_only"], undelivered["refused"]])
    assert undelivered["no_phoning"] not in refs
    with centre.ctx.read() as s:
        listed = s.scalars(select(AuditEvent).where(AuditEvent.action == "messages.to_phone",
                                                    AuditEvent.outcome == "success")).all()
    assert [(e.category, e.username, e.details["count"]) for e in listed] == [("consultation", "fcr.HH", 2)]
    (DOCS / "screens").mkdir(exist_ok=True)
    assert window.grab().save(str(DOCS / "screens" / "fcr-messages-to-phone.png"))

    # From the list, by keys alone: down to the cancelled visitor, how it went, a note, Enter.
    window.activateWindow()  # (the offscreen platform loses the activation while the list loads)
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    _tab_to(qtbot, view.table)
    target = refs.index(undelivered["phone_only"])
    qtbot.keyClick(view.table, Qt.Key.Key_Home)
    for _ in range(target):
        qtbot.keyClick(view.table, Qt.Key.Key_Down)
    chosen = view.selected()
    assert chosen is not None and chosen.appointment.reference == undelivered["phone_only"]
    assert view.table.item(target, PHONE_COLUMN).text() == "07700 900555"
    assert view.why.text() == (f"Cancellation (not sent) for {undelivered['phone_only']}: "
                               "Not sent: the visitor has not agreed to texts or email")
    _tab_to(qtbot, view.outcome)
    qtbot.keyClick(view.outcome, Qt.Key.Key_Home)  # "Spoke to the visitor"
    assert view.outcome.currentData() == "reached"
    _tab_to(qtbot, view.note)
    qtbot.keyClicks(view.note, "Told her of the cancellation")
    qtbot.keyClick(view.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Call recorded" in view.banner.text(), timeout=10000)
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10000)  # reached: it leaves the list
    assert view.table.item(0, 3).text() == undelivered["refused"]
    with centre.ctx.read() as s:
        row = s.scalars(select(AtRiskContact).where(AtRiskContact.appointment_id == chosen.appointment.id)).one()
        recorded = s.scalars(select(AuditEvent).where(AuditEvent.action == "appointment.contact")).all()
    assert (row.username, row.outcome) == ("fcr.HH", "reached")
    assert row.note == "About the cancellation message that did not reach them: Told her of the cancellation"
    assert [(e.category, e.record) for e in recorded] == [("collection", f"appointment:{undelivered['phone_only']}")]

    # Shown again with the call made, on request; the number hidden under the screen mask (F9).
    _tab_to(qtbot, view.show_handled)
    qtbot.keyClick(view.show_handled, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=10000)
    called = [view.table.item(r, CALLED_COLUMN).text() for r in range(2)]
    assert sum("Spoke to the visitor" in c for c in called) == 1 and "not yet called" in called
    qtbot.keyClick(window, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: fcr_state.masked, timeout=5000)
    assert all(view.table.item(r, PHONE_COLUMN).text() == "" for r in range(2))
    assert all("Visitor" not in view.table.item(r, 4).text() for r in range(2))
