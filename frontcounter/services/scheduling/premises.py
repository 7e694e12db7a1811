"""The station's premises: its rooms (and their features) and its opening sessions, as supervisors
and admins set them up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from frontcounter.db.models import (
    Appointment,
    OpeningSession,
    Room,
    Station,
    Status,
)
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.commands import command, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import NotFound, ValidationError
from frontcounter.services.core.permissions import Action
from frontcounter.services.scheduling.roster import (
    FEATURE_LABELS,
    FEATURES,
    RoomView,
    SessionView,
    _station,
    room_view,
    session_view,
)


@dataclass(frozen=True, slots=True)
class RoomInput:
    name: str
    capacity: int = 3
    step_free: bool = False
    hearing_loop: bool = False
    video_link: bool = False
    soundproofed: bool = False
    child_friendly: bool = False
    active: bool = True


def _check_room(data: RoomInput) -> str:
    name = " ".join(data.name.split())
    if not name:
        raise ValidationError("Give the room a name.")
    if len(name) > 80:
        raise ValidationError("A room name is at most 80 characters.")
    if not 1 <= data.capacity <= 50:
        raise ValidationError("Capacity is between 1 and 50 people.")
    return name


def add_room(ctx: ServiceContext, actor: Actor, data: RoomInput, *, station_code: str | None = None) -> RoomView:
    name = _check_room(data)
    with ctx.read() as session:
        station = _station(session, ctx, actor, station_code)
        station_id = station.id
    guard(ctx, actor, Action.MANAGE_ROOMS, station_id=station_id, action="room.add", record=f"station:{station.code}")
    with command(ctx, actor, category="alteration", action="room.add", record=f"room:{name}") as scope:
        if scope.session.scalar(select(func.count()).where(Room.station_id == station_id, Room.name == name,
                                                           Room.deleted.is_(False))):
            raise ValidationError(f"There is already a room called {name!r} here.")
        room = Room(id=uuid.uuid4(), station_id=station_id, name=name, capacity=data.capacity,
                    step_free=data.step_free, hearing_loop=data.hearing_loop, video_link=data.video_link,
                    soundproofed=data.soundproofed, child_friendly=data.child_friendly, active=data.active,
                    version=0, deleted=False)
        scope.session.add(room)
        scope.changed(room, "room.add", base_version=0, created=True)
        return room_view(room)


def update_room(ctx: ServiceContext, actor: Actor, room_id: uuid.UUID, data: RoomInput) -> RoomView:
    """Rename, resize, change features or take out of use; refused where booked visitors need it."""
    name = _check_room(data)
    with ctx.read() as session:
        room = session.get(Room, room_id)
        if room is None or room.deleted:
            raise NotFound("That room no longer exists.")
        station_id = room.station_id
    guard(ctx, actor, Action.MANAGE_ROOMS, station_id=station_id, action="room.update", record=f"room:{room_id}")
    with command(ctx, actor, category="alteration", action="room.update", record=f"room:{room_id}") as scope:
        room = scope.session.get_one(Room, room_id)
        future = (Appointment.room_id == room_id, Appointment.deleted.is_(False),
                  Appointment.status == Status.BOOKED.value,
                  Appointment.end_at > scope.now)
        if room.active and not data.active:
            n = scope.session.scalar(select(func.count()).where(*future)) or 0
            if n:
                raise ValidationError(f"{room.name} has {n} booked appointment(s) from now on; move them first.")
        for flag, column in (("step_free", Appointment.needs_step_free), ("hearing_loop", Appointment.needs_hearing_loop)):
            if getattr(room, flag) and not getattr(data, flag):
                n = scope.session.scalar(select(func.count()).where(*future, column.is_(True))) or 0
                if n:
                    raise ValidationError(
                        f"{n} booked visitor(s) need {room.name} to be {FEATURE_LABELS[flag]}; move them first."
                    )
        base = room.version
        changes = {"name": name, "capacity": data.capacity, "active": data.active,
                   **{f: getattr(data, f) for f in FEATURES}}
        changes = {k: v for k, v in changes.items() if getattr(room, k) != v}
        for key, value in changes.items():
            setattr(room, key, value)
        scope.changed(room, "room.update", base_version=base, changes=changes)
        return room_view(room)


def _check_session(weekday: int, start_time: time, end_time: time) -> None:
    if not 0 <= weekday <= 6:
        raise ValidationError("Choose a day of the week.")
    if start_time == end_time:
        raise ValidationError("A session must end after it starts.")


def _session_clash(session: Session, station_id: uuid.UUID, weekday: int, start_time: time, end_time: time,
                   ignore: uuid.UUID | None = None) -> OpeningSession | None:
    """An existing session this one would overlap: on its own day, or across midnight with the day
    before's or after's (Friday 21:00-02:00 and Saturday 01:00-03:00 overlap)."""
    def span(s: time, e: time) -> tuple[int, int]:
        a, b = s.hour * 60 + s.minute, e.hour * 60 + e.minute
        return (a, b if b > a else b + 24 * 60)

    mine = span(start_time, end_time)
    neighbours = {(weekday + shift) % 7: shift for shift in (-1, 0, 1)}
    query = select(OpeningSession).where(OpeningSession.station_id == station_id,
                                         OpeningSession.weekday.in_(list(neighbours)),
                                         OpeningSession.deleted.is_(False))
    for other in session.scalars(query):
        if other.id == ignore:
            continue
        start, end = span(other.start_time, other.end_time)
        offset = neighbours[other.weekday] * 24 * 60
        if mine[0] < end + offset and start + offset < mine[1]:
            return other
    return None


def add_session(ctx: ServiceContext, actor: Actor, weekday: int, start_time: time, end_time: time, *,
                station_code: str | None = None) -> SessionView:
    """A weekly window in which the station takes appointments (Europe/London wall-clock time)."""
    _check_session(weekday, start_time, end_time)
    with ctx.read() as session:
        station = _station(session, ctx, actor, station_code)
        station_id, code = station.id, station.code
    guard(ctx, actor, Action.MANAGE_SESSIONS, station_id=station_id, action="session.add", record=f"station:{code}")
    with command(ctx, actor, category="alteration", action="session.add", record=f"station:{code}") as scope:
        clash = _session_clash(scope.session, station_id, weekday, start_time, end_time)
        if clash is not None:
            raise ValidationError(f"That overlaps {session_view(clash).label}.")
        row = OpeningSession(id=uuid.uuid4(), station_id=station_id, weekday=weekday, start_time=start_time,
                             end_time=end_time, version=0, deleted=False)
        scope.session.add(row)
        scope.changed(row, "session.add", base_version=0, created=True)
        return session_view(row)


def update_session(ctx: ServiceContext, actor: Actor, session_id: uuid.UUID, weekday: int, start_time: time,
                   end_time: time) -> SessionView:
    """Change a session's hours. Booked appointments stay (the board shows them outside the hours)."""
    _check_session(weekday, start_time, end_time)
    station_id, code = _session_station(ctx, session_id)
    guard(ctx, actor, Action.MANAGE_SESSIONS, station_id=station_id, action="session.update",
          record=f"station:{code}")
    with command(ctx, actor, category="alteration", action="session.update", record=f"station:{code}") as scope:
        row = scope.session.get_one(OpeningSession, session_id)
        clash = _session_clash(scope.session, station_id, weekday, start_time, end_time, ignore=session_id)
        if clash is not None:
            raise ValidationError(f"That overlaps {session_view(clash).label}.")
        base = row.version
        row.weekday, row.start_time, row.end_time = weekday, start_time, end_time
        scope.changed(row, "session.update", base_version=base,
                      changes={"weekday": weekday, "start_time": start_time, "end_time": end_time})
        return session_view(row)


def remove_session(ctx: ServiceContext, actor: Actor, session_id: uuid.UUID) -> None:
    station_id, code = _session_station(ctx, session_id)
    guard(ctx, actor, Action.MANAGE_SESSIONS, station_id=station_id, action="session.remove",
          record=f"station:{code}")
    with command(ctx, actor, category="alteration", action="session.remove", record=f"station:{code}") as scope:
        row = scope.session.get_one(OpeningSession, session_id)
        base = row.version
        row.deleted = True
        scope.changed(row, "session.remove", base_version=base, changes={"deleted": True})


def _session_station(ctx: ServiceContext, session_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    with ctx.read() as session:
        row = session.get(OpeningSession, session_id)
        if row is None or row.deleted:
            raise NotFound("That session no longer exists.")
        station = session.get_one(Station, row.station_id)
        return station.id, station.code
