"""Rows the scheduling, slot-finder and importer tests set up by hand on the demo station cache.

The demo fills the week around DEMO_NOW; these helpers work a week later (``QUIET_DAY``, Monday
30 November 2026), where the demo booked nothing, so each test builds exactly the situation it
means. Rows are inserted directly (test set-up, not a user action), so they leave no audit.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from frontcounter.db.models import Appointment, AuditEvent, Duty, Officer, OutboxEntry, Room, Station, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.clock import LONDON
from frontcounter.services.core.references import new_reference
from tests.demo_keys import in_clear

#: A Monday a week after DEMO_NOW: evening session 17:00–20:00, daytime 10:00–13:00 at HH.
QUIET_DAY = date(2026, 11, 30)
_rng = random.Random(4)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    """Europe/London wall-clock time as aware UTC."""
    return datetime.combine(day, time(hh, mm), tzinfo=LONDON).astimezone(UTC)


def station_row(runtime: StationRuntime, code: str = "HH") -> Station:
    with runtime.ctx.read() as s:
        return s.scalars(select(Station).where(Station.code == code)).one()


def rooms(runtime: StationRuntime, code: str = "HH") -> list[Room]:
    with runtime.ctx.read() as s:
        st = s.scalars(select(Station).where(Station.code == code)).one()
        return list(s.scalars(select(Room).where(Room.station_id == st.id).order_by(Room.name)))


def officers(runtime: StationRuntime, code: str = "HH") -> list[Officer]:
    with runtime.ctx.read() as s:
        st = s.scalars(select(Station).where(Station.code == code)).one()
        return list(s.scalars(select(Officer).where(Officer.station_id == st.id).order_by(Officer.collar_number)))


def officer_where(runtime: StationRuntime, code: str = "HH", *, language: str | None = None,
                  specialism: str | None = None, without_language: str | None = None,
                  without_specialism: str | None = None, exclude: tuple[uuid.UUID, ...] = ()) -> Officer:
    for o in officers(runtime, code):
        if o.id in exclude:
            continue
        if language and language not in o.languages:
            continue
        if specialism and specialism not in o.specialisms:
            continue
        if without_language and without_language in o.languages:
            continue
        if without_specialism and without_specialism in o.specialisms:
            continue
        return o
    raise LookupError("no demo officer fits")


def add_duty(runtime: StationRuntime, officer: Officer, start: datetime, end: datetime,
             station: Station | None = None) -> uuid.UUID:
    duty_id = uuid.uuid4()
    with runtime.ctx.write.begin() as s:
        s.add(Duty(id=duty_id, officer_id=officer.id, station_id=(station or station_row(runtime)).id,
                   start_at=start, end_at=end, version=0, deleted=False))
    return duty_id


def add_appointment(runtime: StationRuntime, room: Room, officer: Officer | None, start: datetime,
                    minutes: int = 60, **fields: Any) -> Appointment:
    code = fields.pop("code", "HH")
    values: dict[str, Any] = {
        "id": uuid.uuid4(), "reference": new_reference(code, _rng), "station_id": room.station_id,
        "room_id": room.id, "officer_id": officer.id if officer else None, "start_at": start,
        "end_at": start + timedelta(minutes=minutes), "channel": "101_call", "reason": "report_crime",
        "visitor_name": "Test Visitor", "visitor_phone": "07700 900123", "status": Status.BOOKED.value,
        "created_at": start - timedelta(days=2), "created_by": "fcr.HH", "version": 0, "deleted": False,
        "vulnerability_flags": [],
    }
    values.update(fields)
    row = Appointment(**values)
    with runtime.ctx.write.begin() as s:
        s.add(row)
    return row


def get(runtime: StationRuntime, appointment_id: uuid.UUID) -> Appointment:
    with runtime.ctx.read() as s:
        row = in_clear(s, s.get_one(Appointment, appointment_id))  # as a reader's session sees it
        assert row is not None
        return row


def counts(runtime: StationRuntime) -> tuple[int, int]:
    """(audit events, outbox entries)."""
    with runtime.ctx.read() as s:
        return (
            s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            s.scalar(select(func.count()).select_from(OutboxEntry)) or 0,
        )


def last_outbox(runtime: StationRuntime, n: int = 1) -> list[OutboxEntry]:
    with runtime.ctx.read() as s:
        return list(s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc()).limit(n)))[::-1]


def last_audit(runtime: StationRuntime, n: int = 1) -> list[AuditEvent]:
    with runtime.ctx.read() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc()).limit(n)))[::-1]
