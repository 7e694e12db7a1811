"""The booking form's safe-contact section and an appointment's message history (issue 16).

The section says at once what will be sent ("No messages will be sent: …" when the ticks forbid
it) and books what was ticked; the appointment dialog shows the consent line and the history the
centre keeps, read from the demo's embedded centre after a real sync and a real worker pass
against a fake GOV.UK Notify.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import Appointment
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import get as get_appointment
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.scheduling import changes
from frontcounter.services.scheduling.slots import SlotNeeds, find_slots
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.appointment import AppointmentDialog
from tests.messages_support import NO_TEXTS, book_here, centre_beside
from tests.notify_fake import fake_notify
from tests.screens import screenshot_dir
from tests.ui.dialogs.test_booking_dialog import open_form

pytestmark = pytest.mark.wallclock
DOCS = screenshot_dir()


@pytest.fixture
def state(station: StationRuntime, supervisor: Actor) -> Iterator[AppState]:
    s = AppState(station.ctx, supervisor, station.settings, station.paths)
    yield s
    s.tasks.wait(5000)


def test_the_contact_section_says_what_will_be_sent_and_books_it(qtbot: QtBot, state: AppState,
                                                                   station: StationRuntime) -> None:
    form = open_form(qtbot, state)
    box = form.contact
    assert box.summary.text() == "No messages will be sent: the visitor has not agreed to texts or email."
    qtbot.keyClicks(form.name, "Dana Contact")
    qtbot.keyClicks(form.phone, "07700 900321")
    box.may_text.setChecked(True)
    assert box.summary.text() == "Confirmation and reminders by text to 07700 900321."
    box.via_person.setChecked(True)
    assert not box.may_text.isChecked() and not box.may_text.isEnabled()
    assert box.summary.text().startswith("No messages will be sent: the visitor asked to be contacted only via "
                                         "their person of choice.")
    box.via_person.setChecked(False)
    box.may_phone.setChecked(True)
    assert box.summary.text() == ("No messages will be sent: the visitor has not agreed to texts or email. "
                                  "If plans change: phone the visitor (do not leave a voicemail).")
    box.may_text.setChecked(True)
    box.text_number.setText("07700 900999")  # "only this number"
    box.may_email.setChecked(True)
    box.email_address.setText("dana@example.org")
    assert "by text to 07700 900999" in box.summary.text()
    (DOCS / "screens").mkdir(exist_ok=True)
    form.grab().save(str(DOCS / "screens" / "booking-contact-section.png"))
    tomorrow = (station.ctx.clock.now() + timedelta(days=1)).date()
    form.from_day.setDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
    form.days.setValue(1)
    qtbot.mouseClick(form.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.find_button.isEnabled() and form.slots.count() > 0, timeout=10000)
    assert form.slots.count() > 0
    form.slots.setCurrentRow(0)
    qtbot.mouseClick(form.book_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(form.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.result_frame.isVisible(), timeout=10000)
    with station.ctx.read() as s:
        row = s.scalars(select(Appointment).where(Appointment.reference == form.last_booked.reference)).one()
    assert (row.contact_may_text, row.contact_text_number, row.contact_may_email, row.contact_email_address,
            row.contact_may_phone, row.contact_may_voicemail, row.contact_via_person_only) == (
        True, "07700 900999", True, "dana@example.org", True, False, False)


def test_the_appointment_shows_its_message_history_from_the_centre(
    qtbot: QtBot, state: AppState, station: StationRuntime, supervisor: Actor, clock: FixedClock
) -> None:
    from tests.sync_support import edit

    with fake_notify() as fake:
        centre = centre_beside(station, clock, fake)
        view = book_here(station.ctx, supervisor, days_ahead=2, **NO_TEXTS)  # email only; phone, no voicemail
        centre.sync()
        centre.worker().run_once()  # the confirmation
        fake.statuses[fake.created[0]["id"]] = "delivered"
        clock.set(view.start - timedelta(hours=23))
        centre.worker().run_once()  # its delivery, and the 24-hour reminder
        edit(station.ctx, supervisor, view.id, "appointment.at_risk", at_risk=True,
             at_risk_reason="Officer pulled away; no other officer on duty")
        centre.sync()
        centre.worker().run_once()  # "we need to rearrange"
        fake.statuses[fake.created[-1]["id"]] = "permanent-failure"
        clock.advance(timedelta(minutes=10))
        centre.worker().run_once()
        slot = find_slots(station.ctx, supervisor, SlotNeeds(), start_day=view.start.date(), days=3, limit=3)[-1]
        moved = changes.reschedule(station.ctx, supervisor, view.id, slot, "visitor_request")
        centre.sync()
        centre.worker().run_once()
        centre.engine.dispose()
    old = get_appointment(station.ctx, supervisor, view.id)
    dialog = AppointmentDialog(state, old)
    qtbot.addWidget(dialog)
    dialog.resize(760, 640)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.messages.list.count() > 0, timeout=10000)
    lines = dialog.messages.rows()
    assert len(lines) == 3 and lines[0].startswith("Booking confirmation: delivered by email to s***@example.org")
    [reminder] = [line for line in lines if line.startswith("Reminder (24 h before): sent by email to s***@")]
    [risk] = [line for line in lines if line.startswith("⚠ We need to rearrange: failed by email to s***@")]
    assert "not delivered: the number or address does not exist" in risk
    assert "phone the visitor (do not leave a voicemail)" in risk
    assert dialog.messages.consent.text().startswith("Confirmation and reminders by email to safe@example.org")
    state.set_masked(True)
    assert "safe@example.org" not in dialog.messages.consent.text()
    state.set_masked(False)
    dialog.grab().save(str(DOCS / "screens" / "appointment-message-history.png"))
    new = AppointmentDialog(state, get_appointment(station.ctx, supervisor, moved.id))
    qtbot.addWidget(new)
    new.show()
    qtbot.waitUntil(lambda: new.messages.list.count() > 0, timeout=10000)
    assert new.messages.rows()[0].startswith("New time (rescheduled): sent by email to s***@example.org")
