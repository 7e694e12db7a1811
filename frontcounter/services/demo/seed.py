"""The embedded demo: 11 Hertfordshire stations, their rooms, officers, roster, users, and a week of
appointments around today. Deterministic from a seed and the clock, so a demo and a test agree.

Demo credentials exist only here: every demo user is ``<role>.<station code>`` with password
``demo`` (DESIGN.md section 6). A real install makes each user set their own password.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from frontcounter.db.engine import make_session_factory
from frontcounter.db.models import (
    SYNCED_MODELS,
    Appointment,
    CancelReason,
    Channel,
    Duty,
    FollowUp,
    Officer,
    OpeningSession,
    Reason,
    Role,
    Room,
    Station,
    Status,
    SyncMeta,
    User,
)
from frontcounter.services.core.clock import LONDON, Clock, local
from frontcounter.services.core.commands import next_central_version
from frontcounter.services.core.references import new_reference
from frontcounter.services.core.sealing import WrapKey, may_hold_key, new_key_pair, seal_rows
from frontcounter.services.security.auth import hash_password

DEMO_PASSWORD = "demo"
DEMO_STATION = "HH"
DEFAULT_SEED = 2018

# code, name, address, postcode, latitude, longitude, has daytime sessions
STATIONS: tuple[tuple[str, str, str, str, float, float, bool], ...] = (
    ("HH", "Hemel Hempstead", "Combe Street, Hemel Hempstead", "HP1 1HL", 51.7526, -0.4692, True),
    ("SG", "Stevenage", "Lytton Way, Stevenage", "SG1 1HF", 51.9038, -0.2067, True),
    ("WD", "Watford", "Shady Lane, Clarendon Road, Watford", "WD17 1DD", 51.6590, -0.3990, True),
    ("SA", "St Albans", "Victoria Street, St Albans", "AL1 3JL", 51.7508, -0.3347, True),
    ("HF", "Hatfield", "Comet Way, Hatfield", "AL10 9SJ", 51.7630, -0.2300, True),
    ("HT", "Hertford", "Ware Road, Hertford", "SG13 7HW", 51.7960, -0.0720, False),
    ("BS", "Bishop's Stortford", "Basbow Lane, Bishop's Stortford", "CM23 2NA", 51.8720, 0.1590, False),
    ("CH", "Cheshunt", "Turners Hill, Cheshunt", "EN8 8LB", 51.7020, -0.0330, False),
    ("BW", "Borehamwood", "Elstree Way, Borehamwood", "WD6 1JP", 51.6570, -0.2720, False),
    ("HI", "Hitchin", "Bancroft, Hitchin", "SG5 1JW", 51.9500, -0.2800, False),
    ("LG", "Letchworth Garden City", "Nevells Road, Letchworth Garden City", "SG6 4UA", 51.9790, -0.2290, False),
)

#: The channels the demo's appointments come by (video appointments are booked at the FCR desk).
FACE_TO_FACE = [c for c in Channel if c is not Channel.VIDEO]
ROOM_NAMES = ("Interview Room 1", "Interview Room 2", "Family Room", "Quiet Room")

OFFICER_NAMES = (
    "Priya Patel", "James Whitfield", "Aisha Rahman", "Tomasz Nowak", "Sarah O'Connell", "Daniel Okafor",
    "Emma Clarke", "Harjit Singh", "Lucy Brennan", "Mohammed Iqbal", "Rachel Green", "Kwame Mensah",
    "Sophie Turner", "Adam Kowalski", "Fatima Begum", "Oliver Hughes", "Chloe Evans", "Ravi Sharma",
    "Hannah Lewis", "Callum Reid", "Zainab Ahmed", "George Ward", "Megan Price", "Andrei Popescu",
    "Jessica Hall", "Ben Morris", "Amira Hassan", "Liam Foster", "Grace Adeyemi", "Nathan Cole",
    "Ellie Shaw", "Imran Chaudhry", "Katie Walsh", "Marek Zielinski", "Naomi Baker", "Sean Murphy",
)
LANGUAGES = ("Urdu", "Polish", "Punjabi", "Bengali", "Romanian", "Turkish", "Arabic", "BSL", "Gujarati",
             "Portuguese", "Lithuanian", "Somali", "Hindi", "Tamil")
SPECIALISMS = ("domestic abuse", "sexual offences (SOIT)", "hate crime", "fraud", "child protection",
               "mental health", "road traffic")
RANKS = ("PC", "PC", "PC", "PC", "DC", "Sgt")

VISITORS: tuple[tuple[str, str | None, str | None], ...] = (
    # name, preferred language, interpreter language
    ("Jane Smith", None, None), ("Amir Khan", "Urdu", "Urdu"), ("Siobhan O'Brien", None, None),
    ("Łukasz Wiśniewski", "Polish", "Polish"), ("محمد الأحمد", "Arabic", "Arabic"),
    ("Wang Fang 王芳", "Mandarin", "Mandarin"), ("David Jones", None, None), ("Ngozi Eze", None, None),
    ("Ioana Popa", "Romanian", "Romanian"), ("Peter van der Berg", None, None), ("Gurpreet Kaur", "Punjabi", None),
    ("Mary-Ann D'Souza", None, None), ("Thomas Wright", None, None), ("Ayşe Yılmaz", "Turkish", "Turkish"),
    ("Hodan Abdi", "Somali", "Somali"), ("Robert Taylor", None, None), ("Chen Wei 陈伟", None, None),
    ("Olivia Bennett", None, None), ("Rajesh Patel", "Gujarati", None), ("Karen Mitchell", "BSL", "BSL"),
    ("Jakub Nowicki", "Polish", None), ("Fiona MacLeod", None, None), ("Samuel Adebayo", None, None),
    ("Eleanor Hughes", None, None), ("Tariq Mahmood", None, None), ("Beata Kowalczyk", "Polish", "Polish"),
    ("Joseph O'Neill", None, None), ("Layla Hussain", None, None), ("Michael Brown", None, None),
    ("Agnieszka Lewandowska", "Polish", None), ("Ruth Abrahams", None, None), ("Kevin Doyle", None, None),
)
SAFE_CONTACT = (
    "No voicemail. Text only before 18:00.", "Do not call the landline; mobile only.",
    "Email only — partner checks the phone.", "Call after 19:00; say you are calling from the GP surgery.",
    None, None, None,
)
#: The structured consent each demo safe-contact note stands for (issue 16); no note: texts allowed.
#: Derived from the note, so the demo's random sequence (and every reference) stays as it was.
CONSENT: dict[str | None, dict[str, bool]] = {
    SAFE_CONTACT[0]: {"contact_may_text": True, "contact_may_phone": True},
    SAFE_CONTACT[1]: {"contact_may_text": True, "contact_may_phone": True, "contact_may_voicemail": True},
    SAFE_CONTACT[2]: {"contact_may_email": True},
    SAFE_CONTACT[3]: {"contact_may_phone": True},
    None: {"contact_may_text": True, "contact_may_phone": True, "contact_may_voicemail": True},
}
ACCESS = ("Wheelchair user", "Hard of hearing — hearing loop please", "Assistance dog", "Anxious in small rooms",
          None, None, None, None)
VULNERABILITY = ("domestic abuse victim", "repeat victim", "mental health", "under 18 accompanied",
                 "learning disability", "elderly and lives alone")
NOTES = (
    "Reports ongoing harassment by ex-partner since September; messages saved on phone. Wants advice on a "
    "non-molestation order. Previous DASH assessment medium risk — reassess.",
    "Victim of a bike theft outside the station; has CCTV stills from the shop opposite. Straightforward.",
    "Witness to an assault in the town centre on Saturday night. Nervous about giving a statement; offer "
    "special measures information.",
    "Online fraud: lost £2,400 to a fake investment site. Bring bank statements. Refer to Action Fraud "
    "reference if they have one.",
    "Hate incident on the bus route 320: racial abuse from a group of teenagers. Victim wants to know what "
    "happens next. Check for linked reports this month.",
    "Neighbour dispute escalating: damage to car and threats. Earlier visit resulted in words of advice.",
    "Update on burglary investigation: forensic results back, suspect identified. Victim Code update due.",
    "Firearms licence renewal query — wants to discuss medical form delay.",
)


@dataclass(frozen=True)
class DemoSummary:
    stations: int
    rooms: int
    officers: int
    users: int
    appointments: int
    #: Booked visitors still to come today at the demo station, and when the next one is due.
    ahead_today: int = 0
    next_visitor_at: datetime | None = None


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _sessions_for(has_daytime: bool) -> list[tuple[int, time, time]]:
    """2018's evening hours (Sun–Thu 17–20, Fri–Sat 19–22) plus weekday mornings at bigger stations."""
    sessions = []
    for weekday in range(7):
        if weekday in (4, 5):
            sessions.append((weekday, time(19), time(22)))
        else:
            sessions.append((weekday, time(17), time(20)))
        if has_daytime and weekday < 5:
            sessions.append((weekday, time(10), time(13)))
    return sessions


def _at(day: date, t: time) -> datetime:
    return datetime.combine(day, t, tzinfo=LONDON).astimezone(UTC)


def build_demo_rows(now: datetime, seed: int = DEFAULT_SEED) -> list[Any]:
    """Every row of the demo, in insertion order, without touching a database."""
    rng = random.Random(seed)
    today = local(now).date()
    rows: list[Any] = []
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: every demo user shares the password anyway
    # Likewise one password-derived wrap key (one salt) for every demo reader's private key.
    wrap = WrapKey.derive(DEMO_PASSWORD)
    collar = 1000
    name_pool = list(OFFICER_NAMES)
    rng.shuffle(name_pool)
    for index, (code, name, address, postcode, lat, lon, daytime) in enumerate(STATIONS):
        station = Station(id=_uuid(rng), code=code, name=name, address=address, postcode=postcode,
                          phone="101", latitude=lat, longitude=lon, active=True,
                          video_room_required=daytime)  # the bigger stations keep video to video rooms
        rows.append(station)
        sessions = [OpeningSession(id=_uuid(rng), station_id=station.id, weekday=w, start_time=s, end_time=e)
                    for w, s, e in _sessions_for(daytime)]
        rows.extend(sessions)
        rooms = []
        for r in range(rng.randint(2, 4)):
            rooms.append(Room(
                id=_uuid(rng), station_id=station.id, name=ROOM_NAMES[r], capacity=rng.choice((2, 3, 4, 6)),
                step_free=r == 0 or rng.random() < 0.5, hearing_loop=rng.random() < 0.5,
                video_link=rng.random() < 0.3, soundproofed=rng.random() < 0.6,
                child_friendly=ROOM_NAMES[r] == "Family Room", active=True,
            ))
        rows.extend(rooms)
        officers = []
        for o in range(rng.randint(6, 12)):
            collar += rng.randint(1, 40)
            officer_name = name_pool[(index * 3 + o) % len(name_pool)]
            languages = ["English", *rng.sample(LANGUAGES, rng.choice((0, 0, 1, 1, 2)))]
            officers.append(Officer(
                id=_uuid(rng), station_id=station.id, collar_number=str(collar), name=officer_name,
                rank=rng.choice(RANKS), languages=languages,
                specialisms=rng.sample(SPECIALISMS, rng.choice((0, 1, 1, 2))), active=True,
                username=f"officer.{code}" if o == 0 else None,
            ))
        rows.extend(officers)
        for role in Role:
            user = User(
                id=_uuid(rng), username=f"{role.value}.{code}", display_name=f"{role.value.title()} ({name})",
                role=role.value, station_id=station.id, password_hash=password_hash, active=True,
            )
            if may_hold_key(role):
                _, user.public_key, user.wrapped_private_key = new_key_pair(user.id, wrap=wrap)
            rows.append(user)
        week = _week_of_appointments(rng, now, today, station, sessions, rooms, officers)
        rows.extend(week)
        if code == DEMO_STATION:
            rows.extend(_late_counter(random.Random(seed + 1), now, today, station, sessions, rooms, officers, week))
    return rows


def _late_counter(
    rng: random.Random, now: datetime, today: date, station: Station, sessions: list[OpeningSession],
    rooms: list[Room], officers: list[Officer], week: list[Any],
) -> list[Any]:
    """A late session at the demo station when its ordinary hours leave fewer than two visitors to
    come today, so a newcomer who starts the demo at 21:00 still has someone to check in (issue 17).

    It opens when the ordinary hours close (or a quarter of an hour from now, if later), so it
    never overlaps them, and draws from its own random stream: the ordinary demo, which the tests
    know, is unchanged. Nothing fits after about 22:45, when no hour-long slot ends by midnight;
    the demo command then says when the next visitors are due.
    """
    coming = [a for a in week if isinstance(a, Appointment) and a.status == Status.BOOKED.value
              and a.start_at > now and local(a.start_at).date() == today]
    if len(coming) >= 2:
        return []
    close = max((_at(today, s.end_time) for s in sessions if s.weekday == today.weekday()), default=now)
    soon = local(now).replace(second=0, microsecond=0) + timedelta(minutes=15)
    soon += timedelta(minutes=(-soon.minute) % 15)  # the next quarter-hour at least 15 minutes away
    first = max(soon, local(close))
    midnight = datetime.combine(today + timedelta(days=1), time(0), tzinfo=LONDON)
    starts = [first + timedelta(hours=h) for h in range(3) if first + timedelta(hours=h + 1) <= midnight]
    if not starts:
        return []
    last_end = local(starts[-1] + timedelta(hours=1))
    session = OpeningSession(id=_uuid(rng), station_id=station.id, weekday=today.weekday(),
                             start_time=first.time(), end_time=time(23, 59) if last_end == midnight else last_end.time())
    on_duty = rng.sample(officers, min(len(officers), 2))
    rows: list[Any] = [session]
    rows.extend(Duty(id=_uuid(rng), officer_id=o.id, station_id=station.id, start_at=starts[0] - timedelta(minutes=30),
                     end_at=starts[-1] + timedelta(hours=1, minutes=30)) for o in on_duty)
    history: dict[str, Appointment] = {}
    for start in starts:
        for room, officer in zip(rooms, on_duty, strict=False):
            appointment, _ = _appointment(rng, now, station, room, officer, start.astimezone(UTC), history)
            appointment.status, appointment.at_risk = Status.BOOKED.value, False  # all still to come
            appointment.cancelled_at = appointment.cancelled_by = appointment.cancel_reason = None
            rows.append(appointment)
    return rows


def _week_of_appointments(
    rng: random.Random, now: datetime, today: date, station: Station, sessions: list[OpeningSession],
    rooms: list[Room], officers: list[Officer],
) -> list[Any]:
    rows: list[Any] = []
    history: dict[str, Appointment] = {}
    for offset in range(-3, 4):
        day = today + timedelta(days=offset)
        for session in (s for s in sessions if s.weekday == day.weekday()):
            start, end = _at(day, session.start_time), _at(day, session.end_time)
            on_duty = rng.sample(officers, min(len(officers), rng.randint(2, 3)))
            for officer in on_duty:
                rows.append(Duty(id=_uuid(rng), officer_id=officer.id, station_id=station.id,
                                 start_at=start - timedelta(minutes=30), end_at=end + timedelta(minutes=30)))
            slot = start
            while slot < end:
                free_officers = list(on_duty)
                rng.shuffle(free_officers)
                for room in rooms:
                    if not free_officers or rng.random() < 0.35:
                        continue
                    officer = free_officers.pop()
                    appointment, follow_up = _appointment(rng, now, station, room, officer, slot, history)
                    if rng.random() < 0.08:
                        rows.append(_rescheduled_from(rng, appointment, now))
                    rows.append(appointment)
                    if follow_up is not None:
                        rows.append(follow_up)
                slot += timedelta(hours=1)
    return rows


def _appointment(
    rng: random.Random, now: datetime, station: Station, room: Room, officer: Officer, start: datetime,
    history: dict[str, Appointment],
) -> tuple[Appointment, FollowUp | None]:
    name, language, interpreter = rng.choice(VISITORS)
    end = start + timedelta(hours=1)
    reason = rng.choice(list(Reason))
    earlier = history.get(name)
    flags = rng.sample(VULNERABILITY, 1) if rng.random() < 0.25 else []
    if reason in (Reason.DOMESTIC_ABUSE, Reason.SEXUAL_OFFENCE) and "domestic abuse victim" not in flags:
        flags.append("domestic abuse victim" if reason == Reason.DOMESTIC_ABUSE else "sexual offence victim")
    access = rng.choice(ACCESS)
    if access == "Wheelchair user" and not room.step_free:
        access = None  # the FCR books wheelchair users only into step-free rooms
    appointment = Appointment(
        id=_uuid(rng),
        reference=new_reference(station.code, rng),
        station_id=station.id,
        room_id=room.id,
        officer_id=officer.id,
        start_at=start,
        end_at=end,
        channel=rng.choices(FACE_TO_FACE, weights=(6, 2, 1, 1))[0].value,
        reason=reason.value,
        crime_reference=f"41/{rng.randint(10000, 99999)}/{start.year % 100:02d}" if rng.random() < 0.6 else None,
        visitor_name=name,
        visitor_preferred_name=name.split()[0] if rng.random() < 0.3 else None,
        visitor_dob=date(rng.randint(1945, 2006), rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.7 else None,
        visitor_phone=f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
        visitor_email=f"{name.split()[0].lower()}.{rng.randint(10, 99)}@example.org" if rng.random() < 0.5 else None,
        visitor_address=f"{rng.randint(1, 120)} {rng.choice(('High Street', 'Station Road', 'Queensway', 'Church Lane'))}, {station.name}",
        safe_contact=rng.choice(SAFE_CONTACT),
        preferred_language=language,
        interpreter_language=interpreter,
        needs_step_free=access == "Wheelchair user",
        needs_hearing_loop=access is not None and "hearing" in access,
        access_needs=access,
        person_of_choice=rng.choice(("Sister (Anna)", "Support worker from Herts Sunflower", None, None, None)),
        vulnerability_flags=flags,
        briefing_notes=rng.choice(NOTES),
        previous_appointment_id=earlier.id if earlier is not None else None,
        status=Status.BOOKED.value,
        created_at=start - timedelta(days=rng.randint(1, 10)),
        created_by=f"fcr.{station.code}",
    )
    consent = CONSENT[appointment.safe_contact]
    for key in ("contact_may_text", "contact_may_email", "contact_may_phone", "contact_may_voicemail",
                "contact_via_person_only"):
        setattr(appointment, key, consent.get(key, False))
    appointment.contact_text_number = appointment.visitor_phone if consent.get("contact_may_text") else None
    appointment.contact_email_address = appointment.visitor_email if consent.get("contact_may_email") else None
    if consent.get("contact_may_email") and not appointment.visitor_email:
        appointment.contact_may_email = False  # agreed to email, but gave no address
    history[name] = appointment
    return appointment, _give_outcome(rng, now, appointment)


def _rescheduled_from(rng: random.Random, new: Appointment, now: datetime) -> Appointment:
    """The visitor's original booking, moved to ``new`` (a released slot holds no room)."""
    old = Appointment(**{c.key: getattr(new, c.key) for c in Appointment.__table__.columns})
    old.id = uuid.UUID(int=rng.getrandbits(128), version=4)
    old.reference = new_reference(new.reference[:2], rng)
    old.start_at = new.start_at - timedelta(days=rng.randint(1, 2))
    old.end_at = old.start_at + timedelta(hours=1)
    for field_name in ("arrived_at", "checked_in_by", "seen_at", "seen_by", "completed_at", "no_show_at",
                       "left_unseen_at", "cancelled_at", "cancelled_by", "cancel_reason", "feedback_rating",
                       "feedback_comment", "feedback_at"):
        setattr(old, field_name, None)
    old.status = Status.RESCHEDULED.value
    old.at_risk = False
    old.cancel_reason = rng.choice((CancelReason.VISITOR_REQUEST, CancelReason.OPERATIONAL_DEMAND)).value
    old.cancelled_by = f"fcr.{new.reference[:2]}"
    old.cancelled_at = min(now, old.start_at) - timedelta(hours=3)
    old.rescheduled_to_id = new.id
    new.rescheduled_from_id = old.id
    return old


def _give_outcome(rng: random.Random, now: datetime, a: Appointment) -> FollowUp | None:
    """Walk the appointment through the status machine as far as the clock has got."""
    roll = rng.random()
    if a.start_at > now:
        if roll < 0.06:
            a.status, a.cancelled_at, a.cancelled_by = Status.CANCELLED.value, now - timedelta(hours=5), f"fcr.{a.reference[:2]}"
            a.cancel_reason = rng.choice(list(CancelReason)).value
        elif roll < 0.10:
            a.at_risk, a.at_risk_reason = True, "Officer called to a major incident; not yet replaced"
        return None
    if roll < 0.07:
        a.status, a.cancelled_at, a.cancelled_by = Status.CANCELLED.value, a.start_at - timedelta(days=1), f"supervisor.{a.reference[:2]}"
        a.cancel_reason = rng.choice(list(CancelReason)).value
        return None
    minutes_in = (now - a.start_at).total_seconds() / 60
    if roll < 0.17:
        if minutes_in < 20:
            return None  # still within the grace period: booked, perhaps on the way
        a.status, a.no_show_at = Status.NO_SHOW.value, a.start_at + timedelta(minutes=20)
        return FollowUp(id=uuid.UUID(int=rng.getrandbits(128), version=4), appointment_id=a.id,
                        station_id=a.station_id, officer_id=a.officer_id,
                        kind="welfare_check" if a.vulnerability_flags else "recontact",
                        status="open" if rng.random() < 0.6 else "done", created_at=a.no_show_at,
                        created_by=f"counter.{a.reference[:2]}")
    arrived = a.start_at - timedelta(minutes=rng.randint(-10, 15))
    if arrived > now:
        return None
    a.status, a.arrived_at, a.checked_in_by = Status.ARRIVED.value, arrived, f"counter.{a.reference[:2]}"
    if roll < 0.2:
        if now - arrived > timedelta(minutes=50):
            a.status, a.left_unseen_at = Status.LEFT_UNSEEN.value, arrived + timedelta(minutes=50)
        return None
    seen = arrived + timedelta(minutes=rng.randint(1, 25))
    if seen > now:
        return None
    a.status, a.seen_at, a.seen_by = Status.IN_PROGRESS.value, seen, f"officer.{a.reference[:2]}"
    done = seen + timedelta(minutes=rng.randint(25, 55))
    if done > now:
        return None
    a.status, a.completed_at = Status.COMPLETED.value, done
    if rng.random() < 0.7:
        a.feedback_rating, a.feedback_at = rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 3, 8, 10))[0], done
        a.feedback_comment = rng.choice(("Very reassuring, thank you.", "Officer was on time and kind.", None, None))
    return None


def seed_central(engine: Engine, clock: Clock, *, seed: int = DEFAULT_SEED) -> DemoSummary | None:
    """Seed the demo into an empty centre (one central transaction, one version); None if not empty."""
    factory = make_session_factory(engine, write=True)
    with factory.begin() as session:
        if session.scalar(select(func.count()).select_from(Station)):
            return None
        now = clock.now()
        rows = build_demo_rows(now, seed)
        version = next_central_version(session)
        for row in rows:
            row.version = version
            row.updated_at = now
        # Parents before children: without relationship() the unit of work does not order tables.
        for model in SYNCED_MODELS:
            session.add_all([r for r in rows if type(r) is model])
            session.flush()
        # Through the one sealing function, as every writer: the notes, safe-contact texts and
        # vulnerability flags are stored sealed to each station's officers and supervisors and
        # to the FCR, so no copy of the demo (centre, station cache, outbox) holds them in clear.
        seal_rows(session, [r for r in rows if isinstance(r, Appointment)])
        session.merge(SyncMeta(key="role", value="central"))
        demo_station = next(r.id for r in rows if isinstance(r, Station) and r.code == DEMO_STATION)
        coming = [r for r in rows if isinstance(r, Appointment) and r.station_id == demo_station
                  and r.status == Status.BOOKED.value and r.start_at > now]
        return DemoSummary(
            stations=sum(isinstance(r, Station) for r in rows),
            rooms=sum(isinstance(r, Room) for r in rows),
            officers=sum(isinstance(r, Officer) for r in rows),
            users=sum(isinstance(r, User) for r in rows),
            appointments=sum(isinstance(r, Appointment) for r in rows),
            ahead_today=sum(local(a.start_at).date() == local(now).date() for a in coming),
            next_visitor_at=min((a.start_at for a in coming), default=None),
        )
