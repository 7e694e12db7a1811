"""Security and privacy costs: the auditor's search, the retention purge, sign-in, the idle lock.

Figures, each against a floor measured in the same run (runs interleaved where possible):

- **audit search over a year of events**: ``audit_log.list_events`` filtered by user and free text
  over a station cache holding 100,000 audit events (20,000 in quick mode), which includes the
  permission check and the audited consultation it writes. Floor: the same ``SELECT … LIKE …
  ORDER BY … LIMIT 200`` through plain ``sqlite3``. Target <= 3x.
- **purge, per appointment erased**: ``retention.purge`` at a station (each erasure one command:
  the row, its audit event and its outbox entry, fsync). Floor: one bare ``UPDATE`` + ``COMMIT``
  per row through ``sqlite3`` with the cache's settings (WAL, ``synchronous=FULL``,
  ``secure_delete``). Target <= 4x.
- **sign-in**: ``auth.sign_in`` with the right password (user look-up, scrypt, the audited
  attempt). Floor: ``hashlib.scrypt`` alone with the same parameters; the KDF is meant to cost
  time, so the target is that everything else stays small: <= 1.5x.
- **input event with the idle-lock filter**: a key press sent to a line edit with the session
  lock's application-wide event filter installed. Floor: the same without it. Target <= 1.5x.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import figure, median

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DEMO_NOW = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
ACTIONS = ("appointments.search", "appointment.check_in", "briefing.open", "sign_in", "slip.print",
           "appointments.list", "appointment.book", "briefing.print")
USERS = ("counter.HH", "officer.HH", "supervisor.HH", "clerk1.HH", "clerk2.HH", "fcr.HH")


def _demo(tmp: Path) -> Path:
    from frontcounter.paths import Paths
    from frontcounter.runtime import create_demo
    from frontcounter.services.core.clock import FixedClock

    data = tmp / "demo"
    create_demo(Paths.resolve(data), clock=FixedClock(DEMO_NOW))
    return data


def actor_named(runtime: Any, username: str) -> Any:
    """The Actor of a demo user without paying for scrypt (sign-in is measured on its own)."""
    from sqlalchemy import select

    from frontcounter.db.models import Station, User
    from frontcounter.services.security.auth import actor_for

    with runtime.ctx.read() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        station = session.get(Station, user.station_id) if user.station_id else None
        return actor_for(user, station, runtime.ctx.workstation)


def _fill_audit(db: Path, count: int) -> None:
    """A year of counter activity in the audit log, written straight into the cache."""
    rng = random.Random(7)
    start = DEMO_NOW - timedelta(days=365)
    conn = sqlite3.connect(db)
    seq = conn.execute("SELECT coalesce(max(local_seq), 0) FROM audit_events").fetchone()[0]
    rows = []
    for i in range(count):
        action = rng.choice(ACTIONS)
        at = start + timedelta(seconds=int(i * 365 * 86400 / count))
        query = rng.choice(("Smith", "Khan", "07700", "HH-4K", "Nowak"))
        details = json.dumps({"query": query, "results": 3})
        rows.append((uuid.uuid4().hex, seq + i + 1, at.replace(tzinfo=None).isoformat(sep=" "), rng.choice(USERS),
                     "counter", "HH", "counter-pc-1", "consultation", action,
                     f"appointment:HH-{rng.randrange(36**5):05X}", rng.choice(("success",) * 9 + ("denied",)),
                     details if action == "appointments.search" else "{}"))
    conn.executemany(
        "INSERT INTO audit_events (id, local_seq, at, username, role, station_code, workstation, category, "
        "action, record, outcome, details) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.commit()
    conn.close()


def _bench_audit_search(data: Path, quick: bool) -> dict[str, Any]:
    from frontcounter.paths import Paths
    from frontcounter.runtime import open_station
    from frontcounter.services.core.clock import FixedClock
    from frontcounter.services.security import audit_log

    count = 20_000 if quick else 100_000
    db = Paths.resolve(data).station_db
    _fill_audit(db, count)
    runtime = open_station(Paths.resolve(data), clock=FixedClock(DEMO_NOW))
    auditor = actor_named(runtime, "auditor.HH")
    raw = sqlite3.connect(db)
    sql = ("SELECT * FROM audit_events WHERE username = ? AND (username LIKE ? OR action LIKE ? OR record LIKE ? "
           "OR workstation LIKE ? OR CAST(details AS VARCHAR) LIKE ?) ORDER BY at DESC, local_seq DESC LIMIT 200")
    values, floors = [], []
    runs = 5 if quick else 15
    for i in range(runs + 1):
        t0 = time.perf_counter()
        audit_log.list_events(runtime.ctx, auditor, user="counter.HH", text="search")
        t1 = time.perf_counter()
        raw.execute(sql, ("counter.HH", *(["%search%"] * 5))).fetchall()
        t2 = time.perf_counter()
        if i:  # the first of each is a warm-up
            values.append((t1 - t0) * 1000)
            floors.append((t2 - t1) * 1000)
    raw.close()
    runtime.engine.dispose()
    return figure(median(values), "ms", median(floors), "<= 3x", events=count)


def _bench_purge(data: Path, quick: bool) -> dict[str, Any]:
    from sqlalchemy import func, select

    from frontcounter.db.models import Appointment
    from frontcounter.paths import Paths
    from frontcounter.runtime import open_station
    from frontcounter.services.core.clock import FixedClock
    from frontcounter.services.security import retention

    clock = FixedClock(DEMO_NOW + timedelta(days=10))  # every demo appointment is past its period
    runtime = open_station(Paths.resolve(data), clock=clock)
    admin = actor_named(runtime, "admin.HH")
    t0 = time.perf_counter()
    result = retention.purge(runtime.ctx, admin, retention.RetentionPolicy(1, 1, 2200))
    per_row = (time.perf_counter() - t0) * 1000 / max(1, result.appointments)
    with runtime.ctx.read() as s:
        left = s.scalar(select(func.count()).select_from(Appointment).where(Appointment.purged_at.is_(None)))
    runtime.engine.dispose()

    floor_db = data / "floor.sqlite"
    conn = sqlite3.connect(floor_db, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "secure_delete=ON"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, phone TEXT, notes TEXT)")
    n = max(20, result.appointments)
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", [(i, "Visitor name", "07700 900000", "x" * 200)
                                                           for i in range(n)])
    t0 = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN")
        conn.execute("UPDATE t SET name = NULL, phone = NULL, notes = NULL WHERE id = ?", (i,))
        conn.execute("COMMIT")
    floor = (time.perf_counter() - t0) * 1000 / n
    conn.close()
    return figure(per_row, "ms", floor, "<= 4x", erased=result.appointments, held=result.held, untouched=left)


def _bench_sign_in(data: Path, quick: bool) -> dict[str, Any]:
    import base64
    import hashlib

    from frontcounter.paths import Paths
    from frontcounter.runtime import open_station
    from frontcounter.services.core.clock import FixedClock
    from frontcounter.services.security import auth

    runtime = open_station(Paths.resolve(data), clock=FixedClock(DEMO_NOW))
    salt = base64.b64decode(base64.b64encode(os.urandom(16)))
    values, floors = [], []
    for _ in range(3 if quick else 9):
        t0 = time.perf_counter()
        auth.sign_in(runtime.ctx, "counter.HH", "demo")
        t1 = time.perf_counter()
        hashlib.scrypt(b"demo", salt=salt, n=auth.SCRYPT_N, r=auth.SCRYPT_R, p=auth.SCRYPT_P, dklen=32)
        t2 = time.perf_counter()
        values.append((t1 - t0) * 1000)
        floors.append((t2 - t1) * 1000)
    runtime.engine.dispose()
    return figure(median(values), "ms", median(floors), "<= 1.5x")


def _bench_event_filter(data: Path, quick: bool) -> dict[str, Any]:
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication, QLineEdit, QMainWindow

    from frontcounter.paths import Paths
    from frontcounter.runtime import open_station
    from frontcounter.services.core.clock import FixedClock
    from frontcounter.ui.app_state import AppState
    from frontcounter.ui.shell.lock import SessionLock

    app = QApplication.instance() or QApplication(["bench"])
    runtime = open_station(Paths.resolve(data), clock=FixedClock(DEMO_NOW))
    state = AppState(runtime.ctx, actor_named(runtime, "counter.HH"), runtime.settings, runtime.paths)
    window = QMainWindow()
    edit = QLineEdit()
    window.setCentralWidget(edit)
    window.show()
    app.processEvents()
    keys = 2000 if quick else 10000

    def type_keys() -> float:
        edit.clear()
        t0 = time.perf_counter()
        for i in range(keys):
            key = Qt.Key(Qt.Key.Key_A + i % 26)
            QApplication.sendEvent(edit, QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier,
                                                   chr(ord("a") + i % 26)))
            if i % 200 == 199:
                edit.clear()
        return (time.perf_counter() - t0) * 1e6 / keys

    lock = SessionLock(window, state, idle_seconds=300)
    lock.dispose()  # start without the filter
    values, floors = [], []
    for _ in range(3 if quick else 7):
        floors.append(type_keys())
        app.installEventFilter(lock)
        values.append(type_keys())
        app.removeEventFilter(lock)
    window.close()
    runtime.engine.dispose()
    return figure(median(values), "µs", median(floors), "<= 1.5x", keys=keys)


def run(quick: bool) -> dict[str, dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix="fc-bench-security-"))
    try:
        data = _demo(tmp)
        return {
            "audit search by user and text (ms)": _bench_audit_search(data, quick),
            "sign-in incl. scrypt (ms)": _bench_sign_in(data, quick),
            "input event with idle-lock filter (µs)": _bench_event_filter(data, quick),
            "purge per appointment erased (ms)": _bench_purge(data, quick),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run("--quick" in sys.argv), indent=2, ensure_ascii=False))
