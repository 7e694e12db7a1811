"""The station's own set-up: who is on appointment duty when, its rooms, its opening sessions.

Supervisors keep the duty roster (``manage_roster``); supervisors and admins keep rooms
(``manage_rooms``) and opening sessions (``manage_sessions``), each at their own station. Every
change is one command. A change that would strand booked visitors — taking a room out of use,
removing a feature a visitor needs, removing a duty with appointments in it — is refused with what
to do first, because the scheme exists so that appointments are kept.

Also the day board's frame (:func:`day_layout`): the rooms as lanes, the officers on duty, and the
hours the station is open that day.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontcounter.db.models import (
    Appointment,
    Duty,
    Officer,
    OpeningSession,
    Room,
    Station,
    Status,
)
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import station_by_code
from frontcounter.services.core.clock import LONDON, local, local_day_bounds
from frontcounter.services.core.commands import command, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import NotFound, PermissionDenied, ValidationError
from frontcounter.services.core.permissions import Action, allowed

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: The longest appointment-duty shift the roster accepts.
MAX_SHIFT = timedelta(hours=16)
FEATURES = ("step_free", "hearing_loop", "video_link", "soundproofed", "child_friendly")
FEATURE_LABELS = {
    "step_free": "step-free",
    "hearing_loop": "hearing loop",
    "video_link": "video link",
    "soundproofed": "soundproofed",
    "child_friendly": "child-friendly",
}


# --- Views -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoomView:
    id: uuid.UUID
    station_id: uuid.UUID
    name: str
    capacity: int
    step_free: bool
    hearing_loop: bool
    video_link: bool
    soundproofed: bool
    child_friendly: bool
    active: bool
    version: int

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(FEATURE_LABELS[f] for f in FEATURES if getattr(self, f))


@dataclass(frozen=True, slots=True)
class OfficerView:
    id: uuid.UUID
    station_id: uuid.UUID
    collar_number: str
    name: str
    rank: str
    languages: tuple[str, ...]
    specialisms: tuple[str, ...]
    active: bool
    username: str | None

    @property
    def label(self) -> str:
        return f"{self.rank} {self.collar_number} {self.name}"


@dataclass(frozen=True, slots=True)
class DutyView:
    id: uuid.UUID
    officer_id: uuid.UUID
    officer_label: str
    station_id: uuid.UUID
    start: datetime
    end: datetime
    withdrawn_at: datetime | None
    withdrawn_reason: str | None
    version: int

    @property
    def available_until(self) -> datetime:
        """When the officer stops being available: the end, or when they were pulled away."""
        if self.withdrawn_at is None:
            return self.end
        return max(self.start, min(self.end, self.withdrawn_at))


@dataclass(frozen=True, slots=True)
class SessionView:
    id: uuid.UUID
    station_id: uuid.UUID
    weekday: int
    start_time: time
    end_time: time
    version: int

    @property
    def label(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


@dataclass(frozen=True, slots=True)
class OfficerOnDuty:
    officer: OfficerView
    duties: tuple[DutyView, ...]


@dataclass(frozen=True, slots=True)
class DayLayout:
    """The frame of a station's day: lanes and the hours the station is open."""

    station_id: uuid.UUID
    station_code: str
    station_name: str
    day: date
    rooms: tuple[RoomView, ...]
    officers: tuple[OfficerOnDuty, ...]
    #: Opening sessions of that day as UTC intervals (a session may run past midnight).
    sessions: tuple[tuple[datetime, datetime], ...]


def room_view(r: Room) -> RoomView:
    return RoomView(r.id, r.station_id, r.name, r.capacity, r.step_free, r.hearing_loop, r.video_link,
                    r.soundproofed, r.child_friendly, r.active, r.version)


def officer_view(o: Officer) -> OfficerView:
    return OfficerView(o.id, o.station_id, o.collar_number, o.name, o.rank, tuple(o.languages or ()),
                       tuple(o.specialisms or ()), o.active, o.username)


def duty_view(d: Duty, officer: Officer | None) -> DutyView:
    label = f"{officer.rank} {officer.collar_number} {officer.name}" if officer else "unknown officer"
    return DutyView(d.id, d.officer_id, label, d.station_id, d.start_at, d.end_at, d.withdrawn_at,
                    d.withdrawn_reason, d.version)


def session_view(s: OpeningSession) -> SessionView:
    return SessionView(s.id, s.station_id, s.weekday, s.start_time, s.end_time, s.version)


# --- Permission helpers ------------------------------------------------------------------------------

#: Reading the set-up is not case content: anyone who works with it may see it.
_READERS = (Action.VIEW_APPOINTMENTS, Action.MANAGE_ROSTER, Action.MANAGE_ROOMS, Action.MANAGE_SESSIONS)


def _station(session: Session, ctx: ServiceContext, actor: Actor, code: str | None) -> Station:
    return station_by_code(session, code or actor.station_code or ctx.station_code or "")


def _guard_read(ctx: ServiceContext, actor: Actor, station: Station, action: str) -> None:
    if any(allowed(actor, a, station.id) for a in _READERS):
        return
    # Audit the refusal through the usual path, naming the first permission that would have done.
    guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=station.id, action=action,
          record=f"station:{station.code}")
    raise PermissionDenied("Not allowed.")  # pragma: no cover - guard raised already


# --- Reading -------------------------------------------------------------------------------------------


def list_rooms(ctx: ServiceContext, actor: Actor, *, station_code: str | None = None,
               include_inactive: bool = True) -> list[RoomView]:
    with ctx.read() as session:
        station = _station(session, ctx, actor, station_code)
        _guard_read(ctx, actor, station, "rooms.list")
        query = select(Room).where(Room.station_id == station.id, Room.deleted.is_(False))
        if not include_inactive:
            query = query.where(Room.active.is_(True))
        return [room_view(r) for r in session.scalars(query.order_by(Room.name))]


def list_officers(ctx: ServiceContext, actor: Actor, *, station_code: str | None = None) -> list[OfficerView]:
    """The station's own officers (any officer may still be rostered at another station)."""
    with ctx.read() as session:
        station = _station(session, ctx, actor, station_code)
        _guard_read(ctx, actor, station, "officers.list")
        rows = session.scalars(
            select(Officer).where(Officer.station_id == station.id, Officer.deleted.is_(False))
            .order_by(Officer.name)
        )
        return [officer_view(o) for o in rows]


def list_duties(ctx: ServiceContext, actor: Actor, first_day: date, *, days: int = 7,
                station_code: str | None = None) -> list[DutyView]:
    """Duties at the station overlapping the Europe/London days [first_day, first_day + days)."""
    start, _ = local_day_bounds(first_day)
    _, end = local_day_bounds(first_day + timedelta(days=max(1, days) - 1))
    with ctx.read() as session:
        station = _station(session, ctx, actor, station_code)
        _guard_read(ctx, actor, station, "duties.list")
        rows = session.scalars(
            select(Duty).where(Duty.station_id == station.id, Duty.deleted.is_(False), Duty.start_at < end,
                               Duty.end_at > start).order_by(Duty.start_at)
        ).all()
        officers = _officers_by_id(session, (d.officer_id for d in rows))
        return [duty_view(d, officers.get(d.officer_id)) for d in rows]


def list_sessions(ctx: ServiceContext, actor: Actor, *, station_code: str | None = None) -> list[SessionView]:
    with ctx.read() as session:
        station = _station(session, ctx, actor, station_code)
        _guard_read(ctx, actor, station, "sessions.list")
        rows = session.scalars(
            select(OpeningSession).where(OpeningSession.station_id == station.id, OpeningSession.deleted.is_(False))
            .order_by(OpeningSession.weekday, OpeningSession.start_time)
        )
        return [session_view(s) for s in rows]


def list_stations(ctx: ServiceContext, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of every active station this database knows, for choosers."""
    with ctx.read() as session:
        return [(s.code, s.name) for s in session.scalars(
            select(Station).where(Station.deleted.is_(False), Station.active.is_(True)).order_by(Station.name))]


def _officers_by_id(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Officer]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {o.id: o for o in session.scalars(select(Officer).where(Officer.id.in_(wanted)))}


def session_intervals(sessions: Iterable[tuple[time, time]], day: date) -> list[tuple[datetime, datetime]]:
    """A day's opening sessions as UTC intervals (an end at or before the start runs past midnight)."""
    out = []
    for start_time, end_time in sessions:
        start = datetime.combine(day, start_time, tzinfo=LONDON)
        end_day = day + timedelta(days=1) if end_time <= start_time else day
        end = datetime.combine(end_day, end_time, tzinfo=LONDON)
        out.append((start.astimezone(UTC), end.astimezone(UTC)))
    return sorted(out)


def day_layout(ctx: ServiceContext, actor: Actor, day: date, *, station_code: str | None = None) -> DayLayout:
    """Rooms (active ones, and any inactive one still holding an appointment that day), the
    officers on appointment duty that day with their shifts, and the opening sessions."""
    start, end = local_day_bounds(day)
    with ctx.read() as session:
        station = _station(session, ctx, actor, station_code)
        _guard_read(ctx, actor, station, "day_board.view")
        used_rooms = set(session.scalars(
            select(Appointment.room_id).where(Appointment.station_id == station.id, Appointment.deleted.is_(False),
                                              Appointment.start_at >= start, Appointment.start_at < end)
        ))
        rooms = [
            room_view(r)
            for r in session.scalars(select(Room).where(Room.station_id == station.id, Room.deleted.is_(False))
                                     .order_by(Room.name))
            if r.active or r.id in used_rooms
        ]
        duties = session.scalars(
            select(Duty).where(Duty.station_id == station.id, Duty.deleted.is_(False), Duty.start_at < end,
                               Duty.end_at > start).order_by(Duty.start_at)
        ).all()
        officers = _officers_by_id(session, (d.officer_id for d in duties))
        by_officer: dict[uuid.UUID, list[DutyView]] = {}
        for d in duties:
            by_officer.setdefault(d.officer_id, []).append(duty_view(d, officers.get(d.officer_id)))
        on_duty = tuple(
            OfficerOnDuty(officer_view(officers[oid]), tuple(ds))
            for oid, ds in sorted(by_officer.items(), key=lambda kv: (kv[1][0].start, officers[kv[0]].name))
            if oid in officers
        )
        return DayLayout(station.id, station.code, station.name, day, tuple(rooms), on_duty,
                         tuple(open_on(session, station.id, day)))


def open_on(session: Session, station_id: uuid.UUID, day: date) -> list[tuple[datetime, datetime]]:
    """When the station is open on ``day``, as UTC intervals within the day: its own sessions, and
    the small hours of the day before's sessions that run past midnight (20:00-02:00)."""
    day_start, day_end = local_day_bounds(day)
    previous = day - timedelta(days=1)
    rows = session.execute(
        select(OpeningSession.weekday, OpeningSession.start_time, OpeningSession.end_time).where(
            OpeningSession.station_id == station_id, OpeningSession.deleted.is_(False),
            OpeningSession.weekday.in_([previous.weekday(), day.weekday()]))
    ).all()
    out = []
    for d in (previous, day):
        for start, end in session_intervals([(s, e) for w, s, e in rows if w == d.weekday()], d):
            if end > day_start and start < day_end:
                out.append((max(start, day_start), min(end, day_end)))
    return sorted(out)


# --- Duty roster ------------------------------------------------------------------------------------


def _check_shift(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationError("Shift times must carry their time zone.")
    if end <= start:
        raise ValidationError("A shift must end after it starts.")
    if end - start > MAX_SHIFT:
        raise ValidationError("A shift is at most 16 hours.")


def _overlapping_duty(session: Session, officer_id: uuid.UUID, start: datetime, end: datetime,
                      ignore: uuid.UUID | None = None) -> Duty | None:
    query = select(Duty).where(Duty.officer_id == officer_id, Duty.deleted.is_(False), Duty.start_at < end,
                               Duty.end_at > start)
    if ignore is not None:
        query = query.where(Duty.id != ignore)
    return session.scalars(query.limit(1)).first()


def _appointments_left_uncovered(session: Session, duty: Duty, new_start: datetime | None,
                                 new_end: datetime | None) -> int:
    """Booked appointments of the duty's officer that the change would leave outside any duty."""
    rows = session.execute(
        select(Appointment.start_at, Appointment.end_at).where(
            Appointment.officer_id == duty.officer_id, Appointment.station_id == duty.station_id,
            Appointment.deleted.is_(False), Appointment.status.in_((Status.BOOKED.value, Status.ARRIVED.value)),
            Appointment.start_at < duty.end_at, Appointment.end_at > duty.start_at)
    ).all()
    others = session.execute(
        select(Duty.start_at, Duty.end_at).where(Duty.officer_id == duty.officer_id, Duty.id != duty.id,
                                                 Duty.station_id == duty.station_id, Duty.deleted.is_(False),
                                                 Duty.withdrawn_at.is_(None))
    ).all()
    shifts: list[tuple[datetime, datetime]] = [(s, e) for s, e in others]
    if new_start is not None and new_end is not None:
        shifts.append((new_start, new_end))
    return sum(1 for a_start, a_end in rows if not any(s <= a_start and a_end <= e for s, e in shifts))


def add_duty(ctx: ServiceContext, actor: Actor, officer_id: uuid.UUID, start: datetime, end: datetime, *,
             station_code: str | None = None) -> DutyView:
    """Put an officer on appointment duty at the station for one shift."""
    _check_shift(start, end)
    with ctx.read() as session:
        station = _station(session, ctx, actor, station_code)
        station_id = station.id
        officer = session.get(Officer, officer_id)
        if officer is None or officer.deleted:
            raise NotFound("No such officer.")
        collar = officer.collar_number
    guard(ctx, actor, Action.MANAGE_ROSTER, station_id=station_id, action="duty.add", record=f"officer:{collar}")
    with command(ctx, actor, category="alteration", action="duty.add", record=f"officer:{collar}") as scope:
        officer = scope.session.get_one(Officer, officer_id)
        if not officer.active:
            raise ValidationError(f"{officer.name} is not an active officer.")
        clash = _overlapping_duty(scope.session, officer_id, start, end)
        if clash is not None:
            raise ValidationError(
                f"{officer.name} is already on duty {local(clash.start_at):%a %d %b %H:%M}–"
                f"{local(clash.end_at):%H:%M}; change that shift instead."
            )
        duty = Duty(id=uuid.uuid4(), officer_id=officer_id, station_id=station_id, start_at=start, end_at=end,
                    version=0, deleted=False)
        scope.session.add(duty)
        scope.changed(duty, "duty.add", base_version=0, created=True)
        return duty_view(duty, officer)


def update_duty(ctx: ServiceContext, actor: Actor, duty_id: uuid.UUID, start: datetime, end: datetime) -> DutyView:
    """Move or resize a shift; refused if it would leave booked visitors without their officer."""
    _check_shift(start, end)
    station_id = _duty_station(ctx, duty_id)
    guard(ctx, actor, Action.MANAGE_ROSTER, station_id=station_id, action="duty.update", record=f"duty:{duty_id}")
    with command(ctx, actor, category="alteration", action="duty.update", record=f"duty:{duty_id}") as scope:
        duty = scope.session.get_one(Duty, duty_id)
        officer = scope.session.get(Officer, duty.officer_id)
        clash = _overlapping_duty(scope.session, duty.officer_id, start, end, ignore=duty.id)
        if clash is not None:
            raise ValidationError("That overlaps another shift of the same officer.")
        stranded = _appointments_left_uncovered(scope.session, duty, start, end)
        if stranded:
            raise ValidationError(
                f"{stranded} booked appointment(s) of this officer fall outside the new shift. "
                "Reassign them first (Officer pulled away), or keep the shift."
            )
        base = duty.version
        duty.start_at, duty.end_at = start, end
        scope.changed(duty, "duty.update", base_version=base, changes={"start_at": start, "end_at": end})
        return duty_view(duty, officer)


def remove_duty(ctx: ServiceContext, actor: Actor, duty_id: uuid.UUID) -> None:
    """Take a shift off the roster (a tombstone, so every copy learns of it)."""
    station_id = _duty_station(ctx, duty_id)
    guard(ctx, actor, Action.MANAGE_ROSTER, station_id=station_id, action="duty.remove", record=f"duty:{duty_id}")
    with command(ctx, actor, category="alteration", action="duty.remove", record=f"duty:{duty_id}") as scope:
        duty = scope.session.get_one(Duty, duty_id)
        stranded = _appointments_left_uncovered(scope.session, duty, None, None)
        if stranded:
            raise ValidationError(
                f"This officer has {stranded} booked appointment(s) in this shift. "
                "Use 'Officer pulled away' to reassign them instead."
            )
        base = duty.version
        duty.deleted = True
        scope.changed(duty, "duty.remove", base_version=base, changes={"deleted": True})


def _duty_station(ctx: ServiceContext, duty_id: uuid.UUID) -> uuid.UUID:
    with ctx.read() as session:
        duty = session.get(Duty, duty_id)
        if duty is None or duty.deleted:
            raise NotFound("That shift is no longer on the roster.")
        return duty.station_id
