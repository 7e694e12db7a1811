"""The cost of encryption at rest (issue 21 item 4, docs/SECURITY.md section 6).

Figures, each against a floor measured in the same run (interleaved):

- **seal one appointment**: ``sealing.seal_appointment`` on a demo HH row with its three
  confidential fields in clear, to the station's readers (officer.HH, supervisor.HH and the 11
  demo FCR users: 13 recipients), recipients passed in as the demo seed and the re-seal pass do.
  Floor: one bare X25519 key exchange (the unit of public-key work; a seal is one ephemeral key
  and one exchange per recipient, 14 for 13 readers, so the ratio grows with the readers).
  Target <= 30x.
- **open one appointment**: ``sealing.open_fields`` with officer.HH's session key (one exchange,
  one AES-GCM unwrap, three field decryptions and their JSON). Floor: one bare X25519 key
  exchange. Target <= 3x.
- **officer sign-in**: ``auth.sign_in`` of officer.HH (the password hash, the key unwrap: a
  second argon2id at the same cost, and the re-seal pass's check of the station's rows). Floor:
  one bare check of a hash at the production cost; two argon2id are 2x by design. Target <= 3x.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import figure, median

DEMO_NOW = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)


def _exchange_floor() -> float:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    a, b = X25519PrivateKey.generate(), X25519PrivateKey.generate().public_key()
    t0 = time.perf_counter()
    a.exchange(b)
    return (time.perf_counter() - t0) * 1e6


def _bench(data: Path, quick: bool) -> dict[str, dict[str, Any]]:
    from sqlalchemy import select

    from frontcounter.db.models import Appointment, Station, User
    from frontcounter.paths import Paths
    from frontcounter.runtime import open_station
    from frontcounter.services.core import sealing
    from frontcounter.services.core.clock import FixedClock
    from frontcounter.services.security import auth

    runtime = open_station(Paths.resolve(data), clock=FixedClock(DEMO_NOW))
    runs = 200 if quick else 2000
    with runtime.ctx.read() as session:
        hh = session.scalars(select(Station).where(Station.code == "HH")).one()
        officer = session.scalars(select(User).where(User.username == "officer.HH")).one()
        key = sealing.unwrap_private(officer.id, officer.wrapped_private_key, "demo")
        assert key is not None
        rows = [r for r in session.scalars(select(Appointment).where(Appointment.station_id == hh.id))
                if key.open(r.sealed_keys) is not None]
        readers = sealing.recipients(session, hh.id)
        known = sealing.known_users(session)
        seal_values, open_values, floors = [], [], []
        for i in range(runs):
            row = rows[i % len(rows)]
            clear = sealing.open_fields(row, key)
            t0 = time.perf_counter()
            sealing.open_fields(row, key)
            t1 = time.perf_counter()
            probe = Appointment(id=row.id, station_id=hh.id, sealed_keys={}, **{
                name: clear[name] or ("Some notes " * 10 if name == "briefing_notes" else None)
                for name in sealing.CONFIDENTIAL_FIELDS})
            t2 = time.perf_counter()
            sealing.seal_appointment(session, probe, None, readers=readers, known=known)
            t3 = time.perf_counter()
            open_values.append((t1 - t0) * 1e6)
            seal_values.append((t3 - t2) * 1e6)
            floors.append(_exchange_floor())
        session.rollback()
    floor = median(floors)
    figures = {
        "seal one appointment to 13 readers (µs)": figure(median(seal_values), "µs", floor, "<= 30x",
                                                          recipients=len(readers)),
        "open one appointment in a reader's session (µs)": figure(median(open_values), "µs", floor, "<= 3x"),
    }
    stored = auth.hash_password("demo")
    values, hash_floors = [], []
    for _ in range(3 if quick else 9):
        t0 = time.perf_counter()
        auth.sign_in(runtime.ctx, "officer.HH", "demo")
        t1 = time.perf_counter()
        auth.PASSWORD_HASHER.verify(stored, "demo")
        t2 = time.perf_counter()
        values.append((t1 - t0) * 1000)
        hash_floors.append((t2 - t1) * 1000)
    figures["officer sign-in incl. key unwrap (ms)"] = figure(median(values), "ms", median(hash_floors), "<= 3x")
    runtime.engine.dispose()
    return figures


def run(quick: bool) -> dict[str, dict[str, Any]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from frontcounter.paths import Paths
    from frontcounter.runtime import create_demo
    from frontcounter.services.core.clock import FixedClock

    tmp = Path(tempfile.mkdtemp(prefix="fc-bench-sealing-"))
    try:
        data = tmp / "demo"
        create_demo(Paths.resolve(data), clock=FixedClock(DEMO_NOW))
        return _bench(data, quick)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run("--quick" in sys.argv), indent=2, ensure_ascii=False))
