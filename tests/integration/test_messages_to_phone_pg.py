"""The FCR's messages to phone against the real PostgreSQL (issue 16): a station's cancellation
that safe contact kept back and a centre booking whose text Notify refused are listed; the call
recorded at the centre takes a reached visitor's message off the list (PostgreSQL's aware
timestamps against the message's), and a "no answer" leaves it to ring again."""

from __future__ import annotations

import pytest

from frontcounter.services.messages import to_phone
from frontcounter.services.scheduling import changes
from tests.integration.test_notify_pg import centre, fake  # noqa: F401 (fixtures)
from tests.messages_support import Centre, book_here
from tests.notify_fake import FakeNotify
from tests.sync_support import actor_in
from tests.ui.views.test_fcr_messages import PHONE_ONLY, TEXTS_REFUSED

pytestmark = [pytest.mark.postgres, pytest.mark.wallclock]


def test_messages_to_phone_at_the_centre_and_the_call_recorded(centre: Centre, fake: FakeNotify) -> None:  # noqa: F811
    counter = actor_in(centre.station.ctx, "counter.HH")
    cancelled = book_here(centre.station.ctx, counter, **PHONE_ONLY)
    changes.cancel(centre.station.ctx, actor_in(centre.station.ctx, "supervisor.HH"), cancelled.id, "visitor_request")
    centre.sync()
    fcr = actor_in(centre.ctx, "fcr.HH")
    refused = book_here(centre.ctx, fcr, pick=1, **TEXTS_REFUSED)
    fake.refuse.add(TEXTS_REFUSED["contact_text_number"])
    report = centre.worker().run_once()
    assert report.failed == 1, report.line()

    calls = {c.appointment.reference: c for c in to_phone.messages_to_phone(centre.ctx, fcr)}
    assert set(calls) == {cancelled.reference, refused.reference}
    assert calls[cancelled.reference].message.kind == "cancellation"
    assert calls[cancelled.reference].appointment.visitor_phone == "07700 900555"
    assert calls[refused.reference].reason.startswith("GOV.UK Notify refused the message")

    to_phone.record_call(centre.ctx, fcr, calls[refused.reference], "no_answer")
    to_phone.record_call(centre.ctx, fcr, calls[cancelled.reference], "reached", "told of the cancellation")
    left = to_phone.messages_to_phone(centre.ctx, fcr)
    assert [(c.appointment.reference, c.called.outcome if c.called else None) for c in left] == [
        (refused.reference, "no_answer")]
    everything = to_phone.messages_to_phone(centre.ctx, fcr, include_handled=True)
    assert {c.appointment.reference: c.handled for c in everything} == {cancelled.reference: True,
                                                                         refused.reference: False}
