"""Years of past appointments in a station cache, for benchmarks that must not slow as data builds up.

``make_history_cache(path, years=5)`` makes a demo data dir at ``path`` (the embedded demo, its
station cache for Hemel Hempstead) and adds ``years`` × 20,000 finished appointments before the
demo's week: about 100,000 for five years, the volume a busy station's cache holds after five
years. Each comes with the audit event and the acknowledged outbox entry its last command left,
since those tables grow alongside; the audit events count as already sent to the centre.

Quick on purpose (about ten seconds on a 2-core VM): plain ``executemany`` INSERTs in one
transaction, indexes built after the load, newest first so
the SQLite double-booking triggers find no earlier rows to compare with (their index scan runs from
the room's first booking up to the new one's end). Rooms are never double-booked: each room's slots
on a day follow one another, and no two rooms share an officer in the same slot.

``cached_data_dirs()`` keeps a pristine demo and five-year data dir under
``~/.cache/frontcounter-bench``, rebuilt only when the code that shapes them changes; copy them
before use, since opening the app writes to its cache (sign-in is audited).

Usage::

    from bench.history import BENCH_NOW, make_history_cache
    data_dir = make_history_cache(tmp / "history")           # a data dir: Paths.resolve(data_dir)
    runtime = open_station(Paths.resolve(data_dir), clock=FixedClock(BENCH_NOW))
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from frontcounter.config import load_settings
from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.models import (
    Appointment,
    AuditEvent,
    CancelReason,
    Channel,
    Officer,
    Reason,
    Room,
    Station,
    Status,
)
from frontcounter.paths import Paths
from frontcounter.services.core.clock import LONDON, FixedClock, local
from frontcounter.services.core.references import ALPHABET, LENGTH
from frontcounter.services.sync.report import AUDIT_PUSHED

#: The demo's "now" in the tests (tests/conftest.py DEMO_NOW): a Monday evening session.
BENCH_NOW = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
PER_YEAR = 20_000
#: Slots run between these local hours; their length shrinks to fit the day's share of the total.
DAY_START, DAY_END = time(8), time(22)

_FIRST = ("Jane", "Amir", "Siobhan", "Łukasz", "Wang", "David", "Ngozi", "Ioana", "Gurpreet", "Thomas",
          "Ayşe", "Hodan", "Robert", "Olivia", "Rajesh", "Karen", "Fiona", "Samuel", "Tariq", "Beata")
_LAST = ("Smith", "Khan", "O'Brien", "Wiśniewski", "Fang", "Jones", "Eze", "Popa", "Kaur", "Wright",
         "Yılmaz", "Abdi", "Taylor", "Bennett", "Patel", "Mitchell", "MacLeod", "Adebayo", "Mahmood", "Nowak")


@dataclass(frozen=True)
class HistorySummary:
    appointments: int
    first_day: date
    last_day: date
    slot_minutes: int


def make_history_cache(path: Path, years: int = 5, *, template: Path | None = None,
                       now: datetime = BENCH_NOW, per_year: int = PER_YEAR) -> Path:
    """A demo data dir at ``path`` with ``years`` of history in its station cache; returns ``path``.

    ``template`` is an existing demo data dir to copy (saves seeding the demo again); otherwise the
    demo is created at ``now``. ``path`` must not exist yet.
    """
    from frontcounter.runtime import create_demo

    path = Path(path)
    if template is not None:
        shutil.copytree(template, path)
    else:
        create_demo(Paths.resolve(path), clock=FixedClock(now))
    paths = Paths.resolve(path)
    code = load_settings(paths.config_file).station_code or "HH"
    engine = make_engine(sqlite_url(paths.station_db))
    try:
        add_history(engine, code, years=years, now=now, per_year=per_year)
    finally:
        engine.dispose()
    return path


REPO_ROOT = Path(__file__).resolve().parent.parent
#: What shapes the demo and the history: a change to any of these rebuilds the cached data dirs.
_SHAPING = ("bench/history.py", "frontcounter/runtime.py", "frontcounter/config.py", "frontcounter/db",
            "frontcounter/services")


def cache_root() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "frontcounter-bench"


def _shaping_key(years: int, now: datetime, per_year: int) -> str:
    digest = hashlib.sha256(f"{years}/{per_year}/{now.isoformat()}".encode())
    for name in _SHAPING:
        target = REPO_ROOT / name
        for path in sorted(target.rglob("*.py")) if target.is_dir() else [target]:
            digest.update(str(path.relative_to(REPO_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached_data_dirs(years: int = 5, *, now: datetime = BENCH_NOW, per_year: int = PER_YEAR,
                     copy_to: Path | None = None) -> tuple[Path, Path]:
    """A pristine demo data dir and the same with ``years`` of history, built once per version of
    the code that shapes them (about 12 s) and kept under ``cache_root()``.

    Pass ``copy_to`` to get fresh copies there (``copy_to/demo``, ``copy_to/history``): the app
    writes to its cache, and the copy is made under the lock, so it is safe while another run
    rebuilds for newer code. Without it you get the shared dirs themselves: never write to them.

    Several benchmark runs may ask at once (engineers share machines): a file lock lets one build
    while the others wait for it; only other versions' data dirs are removed.
    """
    import fcntl

    from frontcounter.runtime import create_demo

    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    ready = root / f"data-{_shaping_key(years, now, per_year)}"
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (ready / "done").exists():
            shutil.rmtree(ready, ignore_errors=True)  # a build that was stopped half-way
            create_demo(Paths.resolve(ready / "demo"), clock=FixedClock(now))
            make_history_cache(ready / "history", years, template=ready / "demo", now=now, per_year=per_year)
            (ready / "done").write_text("ok\n")
            for stale in root.glob("data-*"):  # keep one version: each is about 150 MB
                if stale.name != ready.name:
                    shutil.rmtree(stale, ignore_errors=True)
        if copy_to is None:
            return ready / "demo", ready / "history"
        copy_to = Path(copy_to)
        return (Path(shutil.copytree(ready / "demo", copy_to / "demo")),
                Path(shutil.copytree(ready / "history", copy_to / "history")))


def add_history(engine: Engine, station_code: str, *, years: int = 5, now: datetime = BENCH_NOW,
                per_year: int = PER_YEAR, seed: int = 9) -> HistorySummary:
    """Insert ``years × per_year`` finished appointments (completed, no-show, cancelled) before
    the week around ``now``, with one audit event and one acknowledged outbox entry each.

    Rows go in as SQLite stores them (``_ts``, ``_uuid``), through the driver's ``executemany``: the ORM's
    per-value conversions would take most of a minute for 300,000 rows. The seed differs from the
    demo's, whose random stream made the demo's own ids.
    """
    rng = random.Random(seed)
    with engine.connect() as conn:
        station = conn.execute(select(Station.id).where(Station.code == station_code)).scalar_one()
        rooms = list(conn.execute(select(Room.id).where(Room.station_id == station, Room.active)
                                  .order_by(Room.name)).scalars())
        officers = list(conn.execute(select(Officer.id).where(Officer.station_id == station)
                                     .order_by(Officer.collar_number)).scalars())
        used = set(conn.execute(select(Appointment.reference)).scalars())
        seq = int(conn.execute(select(func.coalesce(func.max(AuditEvent.local_seq), 0))).scalar_one())
    if not rooms or len(officers) < len(rooms):
        raise ValueError(f"station {station_code} needs rooms and at least as many officers as rooms")

    total = years * per_year
    # Clear of the demo's week (-3 … +3 days) and its rescheduled originals (up to -5 days).
    last_day = local(now).date() - timedelta(days=6)
    per_day = math.ceil(total / (years * 365))
    slots_per_room = math.ceil(per_day / len(rooms))
    span = (datetime.combine(last_day, DAY_END) - datetime.combine(last_day, DAY_START)).seconds // 60
    slot_minutes = min(60, span // slots_per_room)
    if slot_minutes < 10:
        raise ValueError(f"{per_day} appointments a day do not fit {len(rooms)} rooms")

    references = _references(rng, station_code, used, total)
    ids = (station.hex, [r.hex for r in rooms], [o.hex for o in officers])
    appointments: list[tuple[Any, ...]] = []
    audits: list[tuple[Any, ...]] = []
    outbox: list[tuple[Any, ...]] = []
    day = last_day
    while len(appointments) < total:
        # Naive UTC from here on: SQLite stores it so (frontcounter/db/types.py).
        opening = datetime.combine(day, DAY_START, tzinfo=LONDON).astimezone(UTC).replace(tzinfo=None)
        made_today = 0
        # Newest first within the day as well as across days (see the module's docstring).
        for slot in reversed(range(slots_per_room)):
            start = opening + timedelta(minutes=slot * slot_minutes)
            for r, room in enumerate(ids[1]):
                if made_today >= per_day or len(appointments) >= total:
                    break
                officer = ids[2][(slot * len(rooms) + r) % len(officers)]
                row, event, entry = _finished(rng, references[len(appointments)], station_code, ids[0],
                                              room, officer, start, start + timedelta(minutes=slot_minutes))
                appointments.append(row)
                audits.append(event)
                outbox.append(entry)
                made_today += 1
        day -= timedelta(days=1)
    appointments = _sealed(engine, station, appointments)
    # local_seq rises with time among these events, as it did when they were written.
    audits.sort(key=lambda event: event[1])  # by "at" (text sorts as time)
    audits = [(*event, seq + 1 + i) for i, event in enumerate(audits)]
    audits.sort()  # by id: the primary key's index then grows at its end (the ids are random)
    outbox.reverse()  # the outbox's seq follows time

    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # Benchmark data, rebuilt at will: no need to wait for the disk, and a big page cache keeps
        # the random-UUID index inserts off it too.
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-262144")
        cursor.execute("BEGIN IMMEDIATE")
        # Indexes are quicker built once over the loaded rows than grown row by row; the ones the
        # double-booking triggers search stay, so the database's own guard still checks every row.
        indexes = cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join(repr(t) for t in _COLUMNS)}) AND name NOT IN ({', '.join(repr(n) for n in _TRIGGER_INDEXES)})"
        ).fetchall()
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for table, rows in (("appointments", appointments), ("audit_events", audits), ("outbox", outbox)):
            keys = _COLUMNS[table]
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(keys)}) VALUES ({', '.join('?' * len(keys))})", rows)
        for _name, sql in indexes:
            cursor.execute(sql)
        # Five years of audit events reached the centre long ago: without this the first sync
        # would push them all, on the app's worker thread, while it starts.
        cursor.execute("INSERT INTO sync_meta (key, value) VALUES (?, ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       (AUDIT_PUSHED, str(seq + len(audits))))
        cursor.execute("COMMIT")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()
    finally:
        raw.close()
    return HistorySummary(len(appointments), day + timedelta(days=1), last_day, slot_minutes)


def _sealed(engine: Engine, station: uuid.UUID, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows as this version stores them: each one's notes sealed to the station's readers under
    its own data key (issue 21), as the app's write path would have (a cache of this version holds
    no history in clear; an upgraded one is sealed by its readers' sign-ins, see core/reseal)."""
    from sqlalchemy.orm import Session

    from frontcounter.services.core.sealing import Sealer, recipients, seal_new_values

    with Session(engine) as session:
        readers = recipients(session, station)
    notes, keys = APPOINTMENT_COLUMNS.index("briefing_notes"), APPOINTMENT_COLUMNS.index("sealed_keys")
    sealer = Sealer()
    out = []
    for row in rows:
        values: dict[str, Any] = {"briefing_notes": row[notes]}
        seal_new_values(values, readers, sealer)
        fields = list(row)
        fields[notes], fields[keys] = values["briefing_notes"], json.dumps(values.get("sealed_keys"))
        out.append(tuple(fields))
    return out


def _references(rng: random.Random, code: str, used: set[str], count: int) -> list[str]:
    """``count`` distinct references in the app's format that no existing appointment has."""
    base = len(ALPHABET)
    picked: list[str] = []
    for number in rng.sample(range(base**LENGTH), count + len(used)):
        chars = []
        for _ in range(LENGTH):
            number, digit = divmod(number, base)
            chars.append(ALPHABET[digit])
        reference = f"{code}-{''.join(chars)}"
        if reference not in used:
            picked.append(reference)
            if len(picked) == count:
                break
    return picked


def _ts(at: datetime) -> str:
    """A naive UTC time as SQLAlchemy's SQLite ``DateTime`` stores it (compared as text in SQL)."""
    text = at.isoformat(" ")
    return text if at.microsecond else f"{text}.000000"


def _uuid(rng: random.Random) -> str:
    """A random (version 4) UUID as SQLite stores it: 32 hex digits."""
    return uuid.UUID(int=rng.getrandbits(128), version=4).hex


APPOINTMENT_COLUMNS = (
    "id", "version", "deleted", "updated_at", "reference", "station_id", "room_id", "officer_id", "start_at",
    "end_at", "channel", "reason", "crime_reference", "visitor_name", "visitor_phone", "briefing_notes",
    "vulnerability_flags", "at_risk", "needs_step_free", "needs_hearing_loop", "created_at", "created_by",
    "status", "arrived_at", "checked_in_by", "seen_at", "seen_by", "completed_at", "no_show_at",
    "cancelled_at", "cancelled_by", "cancel_reason", "sealed_keys",
)
AUDIT_COLUMNS = ("id", "at", "username", "role", "station_code", "workstation", "category", "action",
                 "record", "outcome", "details", "local_seq")
OUTBOX_COLUMNS = ("op_id", "station_code", "op_type", "entity", "entity_id", "base_version", "payload",
                  "created_at", "state", "result_message", "acked_at")
#: What the SQLite double-booking triggers search (migration 0001, ``_sqlite_guards``).
_TRIGGER_INDEXES = ("ix_appointments_room_start", "ix_appointments_officer_start")
_COLUMNS = {"appointments": APPOINTMENT_COLUMNS, "audit_events": AUDIT_COLUMNS, "outbox": OUTBOX_COLUMNS}
_CHANNELS = [c.value for c in Channel if c is not Channel.VIDEO]  # (a video appointment has a link)
_REASONS = [r.value for r in Reason]
_CANCEL_REASONS = [c.value for c in CancelReason]
_NOTES = "Historical appointment (benchmark data)."


def _finished(rng: random.Random, reference: str, code: str, station: str, room: str, officer: str,
              start: datetime, end: datetime) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
    """One past appointment, the audit event of its last command and that command's outbox entry,
    as stored tuples in the order of ``APPOINTMENT_COLUMNS``, ``AUDIT_COLUMNS`` (less ``local_seq``)
    and ``OUTBOX_COLUMNS``."""
    roll = rng.random()
    appointment_id = _uuid(rng)
    start_s, end_s = _ts(start), _ts(end)
    if roll < 0.1:
        at = start - timedelta(days=1)
        status, action = Status.CANCELLED.value, "appointment.cancel"
        outcome: tuple[Any, ...] = (None, None, None, None, None, None, _ts(at), f"supervisor.{code}",
                                    rng.choice(_CANCEL_REASONS))
    elif roll < 0.2:
        at = start + timedelta(minutes=20)
        status, action = Status.NO_SHOW.value, "appointment.no_show"
        outcome = (None, None, None, None, None, _ts(at), None, None, None)
    else:
        at = end - timedelta(minutes=5)
        status, action = Status.COMPLETED.value, "appointment.complete"
        outcome = (_ts(start - timedelta(minutes=5)), f"counter.{code}", start_s, f"officer.{code}", _ts(at),
                   None, None, None, None)
    at_s = _ts(at)
    row = (
        appointment_id, 1, 0, end_s, reference, station, room, officer, start_s, end_s,
        rng.choice(_CHANNELS), rng.choice(_REASONS),
        f"41/{rng.randint(10000, 99999)}/{start.year % 100:02d}" if roll < 0.6 else None,
        f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
        _NOTES, "[]", 0, 0, 0, _ts(start - timedelta(days=rng.randint(1, 10))), f"fcr.{code}", status, *outcome,
        None,
    )
    event = (_uuid(rng), at_s, f"counter.{code}", "counter", code, "FC-BENCH", "alteration", action,
             reference, "success", "{}")
    payload = json.dumps({"created": False, "row": {"status": status}, "also_created": []})
    entry = (_uuid(rng), code, action, "appointments", appointment_id, 1, payload, at_s, "applied", None,
             _ts(at + timedelta(seconds=30)))
    return row, event, entry
