"""The notify worker against a fake GOV.UK Notify on 127.0.0.1, with the demo's embedded centre.

Bookings are made by the station's real commands and reach the centre by a real sync: the
message is queued where the centre applies the push, never at the station.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from frontcounter.db.models import AuditEvent, VisitorMessage
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.visitor_messages import queue_for_changes
from frontcounter.services.messages import history
from frontcounter.services.messages.personalisation import FIELDS
from frontcounter.services.messages.worker import PassReport
from frontcounter.services.scheduling import changes
from tests.messages_support import Centre, book_here, centre_beside, forbid_texts_on_every_path, template_id
from tests.notify_fake import FakeNotify, fake_notify

pytestmark = pytest.mark.wallclock

TEXTS = {"contact_may_text": True, "contact_text_number": "07700 900777", "contact_may_phone": True}


@pytest.fixture
def fake() -> Iterator[FakeNotify]:
    with fake_notify() as f:
        yield f


@pytest.fixture
def centre(station: StationRuntime, clock: FixedClock, fake: FakeNotify) -> Iterator[Centre]:
    c = centre_beside(station, clock, fake)
    yield c
    c.engine.dispose()


def test_a_station_booking_is_queued_at_the_centre_on_push_and_sent_once(
    centre: Centre, counter: Actor, fake: FakeNotify
) -> None:
    view = book_here(centre.station.ctx, counter, **TEXTS)
    with centre.station.ctx.read() as s:  # stations never queue
        assert s.scalar(select(func.count()).select_from(VisitorMessage)) == 0
    assert centre.messages(view.id) == []
    centre.sync()
    [queued] = centre.messages(view.id)
    assert (queued.kind, queued.state) == ("confirmation", "queued")
    report = centre.worker().run_once()
    assert report.sent == 1
    [sent] = fake.created
    assert sent["phone_number"] == "07700 900777" and sent["template"]["id"] == template_id("confirmation", "sms")
    assert tuple(sent["personalisation"]) == FIELDS and sent["personalisation"]["reference"] == view.reference
    assert centre.worker().run_once().sent == 0 and len(fake.created) == 1  # never twice
    [row] = centre.messages(view.id)
    assert row.state == "sent" and row.masked_to == "077*****777" and row.notify_id == sent["id"]
    with centre.ctx.read() as s:
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "message.sent")).one()
    assert audit.category == "disclosure" and audit.record == view.reference
    assert audit.details["to"] == "077*****777" and "07700 900777" not in str(audit.details)
    assert set(audit.details) == {"kind", "channel", "to", "template_id", "message_id", "notify_id"}
    fake.statuses[sent["id"]] = "delivered"
    centre.clock.advance(timedelta(minutes=6))
    assert centre.worker().run_once().delivered == 1
    assert centre.messages(view.id)[0].state == "delivered"


def test_queuing_the_same_change_again_queues_nothing(centre: Centre, counter: Actor) -> None:
    view = book_here(centre.station.ctx, counter, **TEXTS)
    centre.sync()
    centre.sync()  # a retried push is answered from applied_ops: nothing new
    with centre.ctx.write.begin() as s:
        from frontcounter.db.models import Appointment

        appt = s.get(Appointment, view.id)
        assert queue_for_changes(s, [appt], appt.version, centre.clock.now()) == []
    assert len(centre.messages(view.id)) == 1


def test_a_reminder_for_a_since_cancelled_appointment_is_not_sent(
    centre: Centre, counter: Actor, supervisor: Actor, fake: FakeNotify
) -> None:
    view = book_here(centre.station.ctx, counter, days_ahead=2, **TEXTS)
    centre.sync()
    centre.worker().run_once()  # the confirmation
    centre.clock.set(view.start - timedelta(hours=23))
    centre.worker()._schedule_reminders(PassReport())  # scheduled, not yet sent
    assert [m.kind for m in centre.messages(view.id)] == ["confirmation", "reminder_24h"]
    changes.cancel(centre.station.ctx, supervisor, view.id, "visitor_request")
    centre.sync()
    report = centre.worker().run_once()
    kinds = {m.kind: m for m in centre.messages(view.id)}
    assert kinds["reminder_24h"].state == "stale" and "cancelled" in (kinds["reminder_24h"].detail or "")
    assert kinds["cancellation"].state == "sent"
    assert report.stale == 1 and [n["template"]["id"] for n in fake.created] == [
        template_id("confirmation", "sms"), template_id("cancellation", "sms")]


def test_reminders_are_scheduled_at_each_offset_once(centre: Centre, counter: Actor, fake: FakeNotify) -> None:
    view = book_here(centre.station.ctx, counter, days_ahead=2, **TEXTS)
    centre.sync()
    for hours_before, expected in ((30, 0), (23, 1), (22, 0), (1, 1)):
        centre.clock.set(view.start - timedelta(hours=hours_before))
        assert centre.worker().run_once().scheduled == expected
    assert [m.kind for m in centre.messages(view.id)] == ["confirmation", "reminder_24h", "reminder_2h"]
    assert len(fake.created) == 3


def test_429_is_honoured_with_its_retry_after(centre: Centre, counter: Actor, fake: FakeNotify) -> None:
    view = book_here(centre.station.ctx, counter, **TEXTS)
    centre.sync()
    fake.script, fake.retry_after = [429], "120"
    report = centre.worker().run_once()
    assert report.retry_later == 1 and "429" in (report.stopped or "") and fake.created == []
    [row] = centre.messages(view.id)
    assert row.next_attempt_at == centre.clock.now() + timedelta(seconds=120)
    centre.clock.advance(timedelta(seconds=60))
    assert centre.worker().run_once().sent == 0 and fake.posts == 1, "retried before Retry-After"
    centre.clock.advance(timedelta(seconds=61))
    assert centre.worker().run_once().sent == 1 and fake.posts == 2
    assert fake.by_reference() == {str(row.id): 1}


def test_back_off_doubles_on_500_and_a_400_goes_to_the_fcr(
    centre: Centre, counter: Actor, fake: FakeNotify
) -> None:
    view = book_here(centre.station.ctx, counter, **TEXTS)
    centre.sync()
    fake.script = [500, 500, 400]
    waits = []
    for _ in range(3):
        centre.worker().run_once()
        [row] = centre.messages(view.id)
        if row.next_attempt_at:
            waits.append((row.next_attempt_at - centre.clock.now()).total_seconds())
            centre.clock.set(row.next_attempt_at)
    assert waits == [30.0, 60.0]
    [row] = centre.messages(view.id)
    assert row.state == "failed" and row.phone_instead and "refused the message" in (row.detail or "")
    assert "phone the visitor (do not leave a voicemail)" in (row.detail or "")
    assert [f.reference for f in history.failures(centre.ctx)] == [view.reference]
    assert fake.created == []


def test_403_stops_the_pass_and_leaves_the_message_queued(centre: Centre, counter: Actor, fake: FakeNotify) -> None:
    book_here(centre.station.ctx, counter, **TEXTS)
    book_here(centre.station.ctx, counter, pick=1, **TEXTS)
    centre.sync()
    fake.script = [403]
    report = centre.worker().run_once()
    assert "403" in (report.stopped or "") and fake.posts == 1
    assert [m.state for m in centre.messages()] == ["queued", "queued"]
    assert centre.worker().run_once().sent == 2


def test_a_hanging_server_and_a_late_answer_send_nothing_twice(
    centre: Centre, counter: Actor, fake: FakeNotify
) -> None:
    hung = book_here(centre.station.ctx, counter, **TEXTS)
    late = book_here(centre.station.ctx, counter, pick=1, **TEXTS)
    centre.sync()
    fake.script = ["hang", ("slow", 1.5)]  # the first never answers; the second is made, answered late
    report = centre.worker().run_once()
    assert report.retry_later == 2 and report.sent == 0
    assert all("did not answer" in (m.detail or "") for m in centre.messages())
    centre.clock.advance(timedelta(minutes=1))
    report = centre.worker().run_once()  # asks Notify first: the late one was made, the hung one not
    assert report.sent == 2
    refs = fake.by_reference()
    assert sorted(refs.values()) == [1, 1] and fake.posts == 3
    assert {m.appointment_id for m in centre.messages() if m.state == "sent"} == {hung.id, late.id}


def test_a_visitor_who_forbids_texts_gets_no_sms_on_any_path(
    centre: Centre, fake: FakeNotify, tmp_path: Path
) -> None:
    made = forbid_texts_on_every_path(centre, tmp_path)
    assert_no_texts(centre, fake, made)


def assert_no_texts(centre: Centre, fake: FakeNotify, made: dict[str, uuid.UUID]) -> None:
    mine = {str(m.id): m for i in made.values() for m in centre.messages(i)}
    kinds = {(name, m.kind) for name, i in made.items() for m in centre.messages(i)}
    assert {("reschedule", "reschedule"), ("import", "confirmation"), ("at risk (station)", "at_risk"),
            ("booking at the centre", "at_risk"), ("at risk, nothing allowed", "at_risk")} <= kinds
    sent_to_them = [n for n in fake.created if n["reference"] in mine]
    assert sent_to_them and all(n["type"] == "email" and n["phone_number"] is None for n in sent_to_them)
    for name in ("booking, nothing allowed", "at risk, nothing allowed"):
        assert {m.state for m in centre.messages(made[name])} == {"not_sent"}
    [risk] = [m for m in centre.messages(made["at risk, nothing allowed"]) if m.kind == "at_risk"]
    assert risk.phone_instead and "person of choice" in (risk.detail or "")
