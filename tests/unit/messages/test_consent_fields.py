"""The structured safe-contact fields as the booking service and the import take them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from frontcounter.db.models import Appointment
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.scheduling import importer
from frontcounter.services.scheduling.booking import validate_contact
from frontcounter.services.scheduling.slots import SlotNeeds, find_slots
from tests.messages_support import IMPORT_HEADER, book_here

pytestmark = pytest.mark.wallclock


@pytest.mark.parametrize(("given", "message"), [
    ({"contact_may_text": True}, "Texts are allowed but no number is given"),
    ({"contact_may_email": True}, "Email is allowed but no address is given"),
    ({"contact_via_person_only": True, "contact_may_text": True, "contact_text_number": "07700 900123"},
     "'Only via the person of choice' cannot be combined"),
    ({"contact_may_text": True, "contact_text_number": "call me"}, "does not look right"),
    ({"contact_may_email": True, "contact_email_address": "nobody"}, "does not look right"),
])
def test_what_cannot_be_honoured_is_refused_in_words(given: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_contact(given, phone=None, email=None)


def test_the_visitors_phone_and_email_are_the_defaults_stored_explicitly() -> None:
    got = validate_contact({"contact_may_text": True, "contact_may_email": True}, phone="07700 900123",
                           email="v@example.org")
    assert (got["contact_text_number"], got["contact_email_address"]) == ("07700 900123", "v@example.org")
    assert validate_contact({}, phone="07700 900123", email="v@example.org")["contact_text_number"] is None


def test_booking_stores_the_consent_and_refuses_a_contradiction(station: StationRuntime, counter: Actor) -> None:
    view = book_here(station.ctx, counter, contact_may_text=True, contact_may_phone=True)
    assert (view.contact.may_text, view.contact.text_number, view.contact.may_phone) == (True, "07700 900123", True)
    with pytest.raises(ValidationError, match="cannot be combined"):
        book_here(station.ctx, counter, contact_via_person_only=True, contact_may_email=True,
                  contact_email_address="v@example.org")


def test_the_import_reads_the_consent_columns_and_rejects_bad_ones(
    station: StationRuntime, supervisor: Actor, tmp_path: Path
) -> None:
    slots = find_slots(station.ctx, supervisor, SlotNeeds(),
                       start_day=(station.ctx.clock.now() + timedelta(days=1)).date(), days=1, limit=2)
    rows = [
        f"CAD-C1,HH,{slots[0].start.isoformat()},60,,,victim_update,,,Visitor One,07700 900101,,,,,,,,,,,,"
        "yes,no,yes,no,no,07700 900999,",
        f"CAD-C2,HH,{slots[1].start.isoformat()},60,,,victim_update,,,Visitor Two,07700 900102,,,,,,,,,,,,"
        "yes,,,,yes,,",
        f"CAD-C3,HH,{slots[1].start.isoformat()},60,,,victim_update,,,Visitor Three,,,,,,,,,,,,,maybe,,,,,,",
    ]
    path = tmp_path / "cad.csv"
    path.write_text(IMPORT_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = importer.import_file(station.ctx, supervisor, path)
    assert len(report.imported) == 1
    problems = {p.external_id: " ".join(p.errors) for p in report.rejected}
    assert "cannot be combined" in problems["CAD-C2"]
    assert "may_text must be yes or no, not 'maybe'" in problems["CAD-C3"]
    with station.ctx.read() as s:
        row = s.scalars(select(Appointment).where(Appointment.external_id == "CAD-C1")).one()
    assert (row.contact_may_text, row.contact_text_number, row.contact_may_phone, row.contact_may_email) == (
        True, "07700 900999", True, False)
