"""A template receives date, time, station, address, reference and how to rebook — nothing else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from frontcounter.db.models import Appointment, Station
from frontcounter.services.messages.personalisation import FIELDS, fields

SECRETS = {
    "reason": "domestic_abuse",
    "crime_reference": "41/55555/26",
    "visitor_name": "Alexandra Quinlan-Secret",
    "safe_contact": "Partner reads texts; never mention police",
    "briefing_notes": "Disclosed coercive control by partner",
    "access_needs": "Anxious in small rooms",
    "person_of_choice": "Support worker Brenda",
    "visitor_address": "12 Hidden Lane",
    "cancel_note": "Officer pulled to a firearms job",
    "at_risk_reason": "PC Smith pulled away",
}


def test_only_the_documented_fields_and_no_case_detail() -> None:
    station = Station(id=uuid.uuid4(), code="HH", name="Hemel Hempstead", address="Combe Street\nHemel",
                      postcode="HP1 1HL", phone="101", latitude=0.0, longitude=0.0)
    appt = Appointment(id=uuid.uuid4(), reference="HH-7K2Q9", station_id=station.id,
                       start_at=datetime(2026, 11, 30, 18, 30, tzinfo=UTC), end_at=datetime(2026, 11, 30, 19, 30,
                                                                                             tzinfo=UTC),
                       **SECRETS, vulnerability_flags=["domestic abuse victim"])
    got = fields(appt, station, "Call 101 and quote your reference.")
    assert tuple(got) == FIELDS == ("date", "time", "station_name", "station_address", "reference",
                                    "how_to_rebook")
    assert got["date"] == "Monday 30 November 2026"
    assert got["time"] == "18:30"
    assert got["station_address"] == "Combe Street Hemel, HP1 1HL"
    everything = " ".join(got.values()).casefold()
    for name, value in SECRETS.items():
        for word in str(value).casefold().replace("/", " ").split():
            if len(word) > 3 and word not in ("call", "quote", "your", "reference."):
                assert word not in everything, f"{name} leaked: {word!r}"
    assert "41/55555/26" not in everything and "domestic" not in everything and "police" not in everything
