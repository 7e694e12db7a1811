"""Rows for the document tests, built directly with the models on a fresh migrated SQLite file.

``make_world`` gives one station with two rooms and two officers, a context on a fixed clock and
an actor per role; ``add_appointment`` books a visitor with sensible defaults that a test
overrides field by field.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.migrate import upgrade
from frontcounter.db.models import Appointment, Officer, Role, Room, Station, Status
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.references import new_reference

#: Monday 23 November 2026, 16:00 in London (GMT): before the evening session.
NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
DAY = date(2026, 11, 23)

_rng = random.Random(20261123)


def next_reference(code: str = "HH") -> str:
    return new_reference(code, _rng)


@dataclass
class World:
    ctx: ServiceContext
    station: Station
    other_station: Station
    rooms: list[Room]
    officers: list[Officer]
    actors: dict[Role, Actor] = field(default_factory=dict)

    def actor(self, role: Role) -> Actor:
        return self.actors[role]


def make_world(tmp_path: Path, *, marking: str | None = None) -> World:
    engine = make_engine(sqlite_url(tmp_path / "documents.sqlite"))
    upgrade(engine)
    ctx = ServiceContext(engine=engine, clock=FixedClock(NOW), station_code="HH", workstation="test-ws")
    if marking is not None:
        from dataclasses import replace

        ctx.policy = replace(ctx.policy, protective_marking=marking)
    station = Station(id=uuid.uuid4(), code="HH", name="Hemel Hempstead",
                      address="Combe Street, Hemel Hempstead", postcode="HP1 1HL", latitude=51.75,
                      longitude=-0.47)
    other = Station(id=uuid.uuid4(), code="SG", name="Stevenage", address="Lytton Way, Stevenage",
                    postcode="SG1 1HF", latitude=51.9, longitude=-0.2)
    rooms = [
        Room(id=uuid.uuid4(), station_id=station.id, name="Interview Room 1", step_free=True, hearing_loop=True),
        Room(id=uuid.uuid4(), station_id=station.id, name="Family Room", child_friendly=True),
        Room(id=uuid.uuid4(), station_id=other.id, name="Room A"),
    ]
    officers = [
        Officer(id=uuid.uuid4(), station_id=station.id, collar_number="1234", name="Priya Patel", rank="PC",
                languages=["Gujarati"], specialisms=["domestic abuse"]),
        Officer(id=uuid.uuid4(), station_id=station.id, collar_number="5678", name="Tomasz Nowak", rank="DC",
                languages=["Polish"], specialisms=["SOIT-trained-secret-specialism"]),
        Officer(id=uuid.uuid4(), station_id=other.id, collar_number="9012", name="Kwame Mensah", rank="PC"),
    ]
    with ctx.write.begin() as session:
        session.add_all([station, other])
        session.flush()
        session.add_all(rooms + officers)
    world = World(ctx, station, other, rooms, officers)
    for role in Role:
        world.actors[role] = Actor(user_id=uuid.uuid4(), username=f"{role.value}.HH",
                                   display_name=f"{role.value.capitalize()} User", role=role,
                                   station_id=station.id, station_code="HH", workstation="test-ws")
    return world


def add_appointment(world: World, *, start: datetime | None = None, room: int = 0, officer: int | None = 0,
                    **fields: Any) -> Appointment:
    start = start or datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    room_row = world.rooms[room]
    values: dict[str, Any] = dict(
        id=uuid.uuid4(),
        reference=next_reference("HH" if room_row.station_id == world.station.id else "SG"),
        station_id=room_row.station_id,
        room_id=room_row.id,
        officer_id=world.officers[officer].id if officer is not None else None,
        start_at=start,
        end_at=start + timedelta(hours=1),
        channel="101_call",
        reason="report_crime",
        crime_reference="41/12345/26",
        visitor_name="Jane Smith",
        visitor_phone="07700 900123",
        visitor_email="jane@example.org",
        visitor_address="12 High Street, Hemel Hempstead",
        safe_contact="No voicemail. Text only before 18:00.",
        interpreter_language=None,
        access_needs=None,
        person_of_choice=None,
        vulnerability_flags=[],
        briefing_notes="Reports harassment by a neighbour; messages saved on phone.",
        status=Status.BOOKED.value,
        created_at=NOW - timedelta(days=2),
        created_by="fcr.HH",
    )
    values.update(fields)
    row = Appointment(**values)
    with world.ctx.write.begin() as session:
        session.add(row)
    return row
