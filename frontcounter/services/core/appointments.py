"""Reading appointments: the day's list, one by reference, search; and the views the UI shows.

Views are frozen dataclasses, never ORM rows, so the UI cannot write through them and never holds
a Session. ``AppointmentView`` has no confidential notes: those come only from
``frontcounter.services.documents.contents.load_briefing`` after a ``read_briefing`` permission check.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontcounter.db.models import Appointment, Officer, Room, Station
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import local_day_bounds
from frontcounter.services.core.commands import audit, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import NotFound
from frontcounter.services.core.permissions import Action
from frontcounter.services.core.sealing import SessionKey, shown_safe_contact


@dataclass(frozen=True, slots=True)
class ContactConsent:
    """The structured safe-contact instructions of an appointment (issue 16); all "no" by default."""

    may_text: bool = False
    may_email: bool = False
    may_phone: bool = False
    may_voicemail: bool = False
    via_person_only: bool = False
    text_number: str | None = None
    email_address: str | None = None

    @classmethod
    def of(cls, a: Appointment) -> ContactConsent:
        return cls(bool(a.contact_may_text), bool(a.contact_may_email), bool(a.contact_may_phone),
                   bool(a.contact_may_voicemail), bool(a.contact_via_person_only), a.contact_text_number,
                   a.contact_email_address)


@dataclass(frozen=True, slots=True)
class AppointmentView:
    id: uuid.UUID
    reference: str
    station_id: uuid.UUID
    station_code: str
    station_name: str
    room_id: uuid.UUID
    room_name: str
    room_step_free: bool
    room_hearing_loop: bool
    officer_id: uuid.UUID | None
    officer_name: str | None
    officer_collar: str | None
    start: datetime
    end: datetime
    status: str
    at_risk: bool
    at_risk_reason: str | None
    channel: str
    reason: str
    crime_reference: str | None
    visitor_name: str | None
    visitor_preferred_name: str | None
    visitor_phone: str | None
    visitor_email: str | None
    safe_contact: str | None
    preferred_language: str | None
    interpreter_language: str | None
    needs_step_free: bool
    needs_hearing_loop: bool
    access_needs: str | None
    person_of_choice: str | None
    arrived_at: datetime | None
    checked_in_by: str | None
    seen_at: datetime | None
    completed_at: datetime | None
    cancel_reason: str | None
    rescheduled_to_id: uuid.UUID | None
    rescheduled_from_id: uuid.UUID | None
    version: int
    #: Who took the visitor in (the officer's user name) and when they left unseen.
    seen_by: str | None = None
    left_unseen_at: datetime | None = None
    #: A video appointment's joining link (channel ``video``).
    meeting_link: str | None = None

    @property
    def is_video(self) -> bool:
        return self.channel == "video"
    #: Safe contact, structured (issue 16): what the visitor agreed to be messaged by, and where.
    contact: ContactConsent = field(default_factory=ContactConsent)

    @property
    def officer_label(self) -> str:
        if self.officer_name is None:
            return "unassigned"
        return f"{self.officer_collar} {self.officer_name}"


@dataclass(frozen=True, slots=True)
class Lookups:
    """Reference data by id, loaded once per query instead of joined per row."""

    stations: dict[uuid.UUID, Station]
    rooms: dict[uuid.UUID, Room]
    officers: dict[uuid.UUID, Officer]


def load_lookups(session: Session) -> Lookups:
    return Lookups(
        stations={s.id: s for s in session.scalars(select(Station))},
        rooms={r.id: r for r in session.scalars(select(Room))},
        officers={o.id: o for o in session.scalars(select(Officer))},
    )


def lookups_for(session: Session, rows: Iterable[Appointment]) -> Lookups:
    """Only the stations, rooms and officers ``rows`` refer to: three small queries instead of the
    whole reference data (a check-in's one view, a day's few dozen)."""
    station_ids, room_ids, officer_ids = set(), set(), set()
    for a in rows:
        station_ids.add(a.station_id)
        room_ids.add(a.room_id)
        if a.officer_id is not None:
            officer_ids.add(a.officer_id)
    return Lookups(
        stations={s.id: s for s in session.scalars(select(Station).where(Station.id.in_(station_ids)))}
        if station_ids else {},
        rooms={r.id: r for r in session.scalars(select(Room).where(Room.id.in_(room_ids)))} if room_ids else {},
        officers={o.id: o for o in session.scalars(select(Officer).where(Officer.id.in_(officer_ids)))}
        if officer_ids else {},
    )


def view_of(session: Session, a: Appointment, key: SessionKey | None = None) -> AppointmentView:
    """One appointment's view, loading only what it refers to."""
    return to_view(a, lookups_for(session, (a,)), key)


def to_view(a: Appointment, lookups: Lookups, key: SessionKey | None = None) -> AppointmentView:
    """The view of ``a``; the safe-contact text in clear only for a session whose ``key`` opens it."""
    station = lookups.stations[a.station_id]
    room = lookups.rooms[a.room_id]
    officer = lookups.officers.get(a.officer_id) if a.officer_id else None
    return AppointmentView(
        id=a.id,
        reference=a.reference,
        station_id=a.station_id,
        station_code=station.code,
        station_name=station.name,
        room_id=a.room_id,
        room_name=room.name,
        room_step_free=room.step_free,
        room_hearing_loop=room.hearing_loop,
        officer_id=a.officer_id,
        officer_name=officer.name if officer else None,
        officer_collar=f"{officer.rank} {officer.collar_number}" if officer else None,
        start=a.start_at,
        end=a.end_at,
        status=a.status,
        at_risk=a.at_risk,
        at_risk_reason=a.at_risk_reason,
        channel=a.channel,
        reason=a.reason,
        crime_reference=a.crime_reference,
        visitor_name=a.visitor_name,
        visitor_preferred_name=a.visitor_preferred_name,
        visitor_phone=a.visitor_phone,
        visitor_email=a.visitor_email,
        safe_contact=shown_safe_contact(a, key),
        preferred_language=a.preferred_language,
        interpreter_language=a.interpreter_language,
        needs_step_free=a.needs_step_free,
        needs_hearing_loop=a.needs_hearing_loop,
        access_needs=a.access_needs,
        person_of_choice=a.person_of_choice,
        arrived_at=a.arrived_at,
        checked_in_by=a.checked_in_by,
        seen_at=a.seen_at,
        completed_at=a.completed_at,
        cancel_reason=a.cancel_reason,
        rescheduled_to_id=a.rescheduled_to_id,
        rescheduled_from_id=a.rescheduled_from_id,
        version=a.version,
        seen_by=a.seen_by,
        left_unseen_at=a.left_unseen_at,
        meeting_link=a.meeting_link,
        contact=ContactConsent.of(a),
    )


def to_views(rows: Iterable[Appointment], lookups: Lookups, key: SessionKey | None = None) -> list[AppointmentView]:
    return [to_view(a, lookups, key) for a in rows]


_REFERENCE_RE = re.compile(r"^([A-Z]{2})-?([0-9A-Z]{4,6})$")


def normalise_reference(text: str) -> str | None:
    """A typed or scanned reference in canonical form (``HH-4KQ7M``), or None if it cannot be one.

    Scanners and people add spaces, lower case and drop the hyphen; all of that is forgiven.
    """
    cleaned = re.sub(r"\s+", "", text).upper()
    match = _REFERENCE_RE.match(cleaned)
    if not match:
        return None
    return f"{match.group(1)}-{match.group(2)}"


def station_by_code(session: Session, code: str) -> Station:
    station = session.scalars(select(Station).where(Station.code == code)).one_or_none()
    if station is None:
        raise NotFound(f"No station with code {code!r}.")
    return station


def list_day(
    ctx: ServiceContext, actor: Actor, day: date, *, station_code: str | None = None
) -> list[AppointmentView]:
    """Every appointment of one Europe/London day at one station, in start order."""
    start, end = local_day_bounds(day)
    return list_range(ctx, actor, start, end, station_code=station_code)


def list_range(
    ctx: ServiceContext, actor: Actor, start: datetime, end: datetime, *, station_code: str | None = None
) -> list[AppointmentView]:
    """Appointments starting in [start, end) at one station (a day, the week overview, my appointments)."""
    with ctx.read() as session:
        station = station_by_code(session, station_code or actor.station_code or ctx.station_code or "")
        guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=station.id, action="appointments.list",
              record=f"station:{station.code}")
        rows = session.scalars(
            select(Appointment)
            .where(
                Appointment.station_id == station.id,
                Appointment.start_at >= start,
                Appointment.start_at < end,
                Appointment.deleted.is_(False),
            )
            .order_by(Appointment.start_at, Appointment.reference)
        ).all()
        return to_views(rows, lookups_for(session, rows), actor.key)


def audit_listing(ctx: ServiceContext, actor: Actor, *, day: date, count: int, view: str,
                  station_code: str | None = None) -> None:
    """s.62 consultation: who saw which station's list for which day, and how many visitors.

    One row per list shown (the CLI's ``appointments`` run, a view's first load of a day or a
    change in its count), not per background refresh: the log must stay readable.
    """
    code = station_code or actor.station_code or ctx.station_code
    audit(ctx, actor, category="consultation", action="appointments.list", record=f"station:{code}",
          details={"day": day.isoformat(), "count": count, "view": view[:40]})


def audit_export(ctx: ServiceContext, actor: Actor, *, day: date, count: int, form: str,
                 station_code: str | None = None) -> None:
    """s.62 disclosure: a list left the app (``appointments --json`` and other exports)."""
    code = station_code or actor.station_code or ctx.station_code
    audit(ctx, actor, category="disclosure", action="appointments.export", record=f"station:{code}",
          details={"day": day.isoformat(), "count": count, "format": form[:20]})


def audit_opened(ctx: ServiceContext, actor: Actor, view: AppointmentView) -> None:
    """s.62 consultation: one appointment opened for reading (its dialog)."""
    guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=view.station_id, action="appointment.open",
          record=f"appointment:{view.reference}")
    audit(ctx, actor, category="consultation", action="appointment.open", record=f"appointment:{view.reference}")


def open_record(ctx: ServiceContext, actor: Actor, appointment_id: uuid.UUID) -> AppointmentView:
    """Read one appointment to show it: the view, and its consultation row."""
    found = get(ctx, actor, appointment_id)
    audit_opened(ctx, actor, found)
    return found


class ListingAudit:
    """Audits what one view's list shows when it changes (another day, user or count), so a view
    that refreshes after every sync leaves one row per list seen rather than one per refresh."""

    def __init__(self, view: str) -> None:
        self._view = view
        self._last: tuple[str, str | None, date, int] | None = None
        self._lock = threading.Lock()

    def shown(self, ctx: ServiceContext, actor: Actor, *, day: date, count: int,
              station_code: str | None = None) -> None:
        key = (actor.username, station_code, day, count)
        with self._lock:
            if key == self._last:
                return
            audit_listing(ctx, actor, day=day, count=count, view=self._view, station_code=station_code)
            self._last = key


def get_by_reference(ctx: ServiceContext, actor: Actor, reference: str) -> AppointmentView:
    canonical = normalise_reference(reference)
    if canonical is None:
        raise NotFound(f"{reference.strip()[:40]!r} is not an appointment reference (they look like HH-4KQ7M).")
    with ctx.read() as session:
        row = session.scalars(
            select(Appointment).where(Appointment.reference == canonical, Appointment.deleted.is_(False))
        ).one_or_none()
        if row is None:
            raise NotFound(f"No appointment {canonical} here. Check the slip, or search by name.")
        guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=row.station_id, action="appointments.get",
              record=f"appointment:{canonical}")
        return to_view(row, load_lookups(session), actor.key)


def get(ctx: ServiceContext, actor: Actor, appointment_id: uuid.UUID) -> AppointmentView:
    with ctx.read() as session:
        row = session.get(Appointment, appointment_id)
        if row is None or row.deleted:
            raise NotFound("That appointment no longer exists here.")
        guard(ctx, actor, Action.VIEW_APPOINTMENTS, station_id=row.station_id, action="appointments.get",
              record=f"appointment:{row.reference}")
        return to_view(row, load_lookups(session), actor.key)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A free-text query prepared once, then matched against many rows (one per keystroke)."""

    needle: str
    digits: str
    #: The query read as a reference (``hh4kq7m`` → ``hh-4kq7m``, casefolded), if it can be one.
    reference: str | None


@dataclass(frozen=True, slots=True)
class SearchKey:
    """What a row is matched on, computed once per row rather than once per keystroke."""

    text: str
    phone_digits: str


#: Dropped when folding: apostrophes, hyphens and dashes, spaces (D'Souza = dsouza = d souza).
_FOLD_DROP = dict.fromkeys(map(ord, "'’‘ʼ`´-‐‑‒–—  \t."), None)
#: Letters Unicode does not decompose into a base letter and an accent.
_FOLD_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe",
                               "þ": "th", "ŀ": "l"})
#: Between the fields of a key, so a match never runs from one field into the next.
_FIELD_SEPARATOR = "\x1f"


def fold(text: str) -> str:
    """A name as the clerk might type it: no case, accents, apostrophes, hyphens or spaces.

    Both sides are folded the same way (the row's key once per load, the query once per
    keystroke), in Python, so SQLite and PostgreSQL stations find the same visitors: Zoë = Zoe,
    D'Souza = dsouza = d souza, Łukasz = lukasz, Smith-Jones = smith jones.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.translate(_FOLD_LETTERS).translate(_FOLD_DROP)


def prepare_query(query: str) -> SearchQuery:
    needle = fold(query.strip())
    canonical = normalise_reference(query)
    return SearchQuery(needle, re.sub(r"\D", "", query), fold(canonical) if canonical else None)


def search_key(view: AppointmentView) -> SearchKey:
    text = _FIELD_SEPARATOR.join(
        fold(x) for x in (view.reference, view.visitor_name, view.visitor_preferred_name, view.crime_reference) if x
    )
    return SearchKey(text, re.sub(r"\D", "", view.visitor_phone or ""))


def matches_key(key: SearchKey, query: SearchQuery) -> bool:
    """``matches`` on prepared parts: the UI's filter calls this for every row on every keystroke."""
    if not query.needle or query.needle in key.text:
        return True
    if query.reference is not None and query.reference in key.text:
        return True
    return len(query.digits) >= 4 and query.digits in key.phone_digits


def matches(view: AppointmentView, query: str) -> bool:
    """Does ``view`` match a free-text query (reference, name, phone or crime reference)?

    Shared by the service search and the UI's live filter so both agree on what matches. A
    reference typed without its hyphen or in lower case still matches; a phone number matches on
    its digits (four or more), whatever spaces either side has.
    """
    return matches_key(search_key(view), prepare_query(query))


def search(
    ctx: ServiceContext, actor: Actor, query: str, *, day: date | None = None, limit: int = 200
) -> Sequence[AppointmentView]:
    """Search this station's appointments (a consultation: audited with its query)."""
    views = list_day(ctx, actor, day) if day else _recent_and_upcoming(ctx, actor)
    found = [v for v in views if matches(v, query)][:limit]
    audit(ctx, actor, category="consultation", action="appointments.search", record=None,
          details={"query": query[:200], "results": len(found)})
    return found


def _recent_and_upcoming(ctx: ServiceContext, actor: Actor) -> list[AppointmentView]:
    from datetime import timedelta

    now = ctx.clock.now()
    return list_range(ctx, actor, now - timedelta(days=30), now + timedelta(days=60))
