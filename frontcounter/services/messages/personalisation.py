"""The only fields a Notify template ever receives: date, time, station, address, reference, how to rebook.

Never the reason for the visit, the crime reference, the visitor's name, the safe-contact note or
any other note: a message may be read by the person the visitor is hiding from, so it must say
no more than "an appointment at this police station at this time".
"""

from __future__ import annotations

from frontcounter.db.models import Appointment, Station
from frontcounter.services.core.clock import hhmm, local

FIELDS: tuple[str, ...] = ("date", "time", "station_name", "station_address", "reference", "how_to_rebook")


def fields(appt: Appointment, station: Station, how_to_rebook: str) -> dict[str, str]:
    day = local(appt.start_at)
    return {
        "date": f"{day:%A} {day.day} {day:%B %Y}",
        "time": hhmm(appt.start_at),
        "station_name": station.name,
        "station_address": f"{' '.join(station.address.split())}, {station.postcode}".strip(", "),
        "reference": appt.reference,
        "how_to_rebook": how_to_rebook,
    }
