"""The FCR desk's slot search at the centre, on a year of the whole force (issue 14).

The data: bench_reports' year of 11 stations (2026, ~80,000 appointments with duties and opening
sessions, in a migrated SQLite centre), with the stations moved to their real coordinates (the
shipped table), and the clock on 10 December 2026: the rest of the year's bookings are ahead and
occupy rooms and officers, the year before is history the search must step over.

- **FCR search, a caller's town, nearest 40 slots**: ``places.find_nearest_slots`` as the FCR
  desk calls it (the caller's town or postcode to a place, all 11 stations ranked by distance from
  it, the finder's rounds nearest first, and the search's audit row written), for towns across the
  county and a mix of needs (none, step-free, 90 minutes, a hearing loop). Target p95 <= 50 ms.
- **FCR search, every free slot, 11 stations × 14 days**: the same with no early stop (the
  finder's worst case at the centre).

Floor (the same run, interleaved): one plain indexed query, the period's live bookings of all 11
stations (``ix_appointments_station_start``) fetched with ``sqlite3``: the least any search over
those stations and days must read. The diary car (home visits) is not built yet, so it is not in
the figure.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import figure, median, p95

NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
DAYS = 14
TOWNS = ("Ware", "Tring", "Royston", "Potters Bar", "SG1 1HF", "Harpenden", "WD17", "Sawbridgeworth",
         "Borehamwood", "Hitchin", "Cheshunt", "AL10")


def run(quick: bool) -> dict[str, dict[str, Any]]:
    from sqlalchemy import update

    from bench.bench_reports import build_year
    from frontcounter.db.engine import make_engine, sqlite_url
    from frontcounter.db.migrate import upgrade
    from frontcounter.db.models import Role, Station
    from frontcounter.services.core.actor import Actor
    from frontcounter.services.core.clock import FixedClock, local, local_day_bounds
    from frontcounter.services.core.context import ServiceContext
    from frontcounter.services.scheduling import places
    from frontcounter.services.scheduling.slots import SlotNeeds

    runs = 12 if quick else 48
    out: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-fcr-") as tmp:
        db = Path(tmp) / "centre.sqlite"
        engine = make_engine(sqlite_url(db))
        upgrade(engine)
        count = build_year(engine)
        with engine.begin() as conn:
            for code, (lat, lon) in places.station_coordinates().items():
                conn.execute(update(Station).where(Station.code == code).values(latitude=lat, longitude=lon))
        ctx = ServiceContext(engine=engine, clock=FixedClock(NOW), mode="central", workstation="bench")
        fcr = Actor(user_id=uuid.uuid4(), username="fcr.HH", display_name="FCR", role=Role.FCR,
                    station_id=None, station_code="HH", workstation="bench")
        needs_mix = (SlotNeeds(), SlotNeeds(step_free=True), SlotNeeds(duration_minutes=90),
                     SlotNeeds(hearing_loop=True))
        start, _ = local_day_bounds(local(NOW).date())
        _, end = local_day_bounds(local(NOW).date() + timedelta(days=DAYS - 1))
        raw = sqlite3.connect(db)
        ids = [r[0] for r in raw.execute("SELECT id FROM stations")]
        marks = ",".join("?" * len(ids))
        floor_sql = (f"SELECT room_id, officer_id, start_at, end_at FROM appointments WHERE station_id IN ({marks}) "
                     "AND start_at >= ? AND start_at < ? AND deleted = 0 AND status NOT IN ('cancelled', 'rescheduled')")
        floor_args = (*ids, start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S"))
        plan = " ".join(str(r[-1]) for r in raw.execute(f"EXPLAIN QUERY PLAN {floor_sql}", floor_args))

        def floor() -> int:
            return len(raw.execute(floor_sql, floor_args).fetchall())

        for name, limit in (("FCR search, a caller's town, nearest 40 slots (centre, a year)", 40),
                            ("FCR search, every free slot, 11 stations × 14 days (centre, a year)", 100_000)):
            samples: dict[str, list[float]] = {"ours": [], "floor": []}
            cpu: list[float] = []
            found: list[int] = []
            first_station: set[str] = set()
            for i in range(runs):
                place = places.locate(TOWNS[i % len(TOWNS)])
                needs = needs_mix[i % len(needs_mix)]
                for key in ("ours", "floor") if i % 2 == 0 else ("floor", "ours"):
                    t, c = time.perf_counter(), time.process_time()
                    if key == "ours":
                        slots = places.find_nearest_slots(ctx, fcr, place, needs, days=DAYS, limit=limit)
                        cpu.append((time.process_time() - c) * 1000.0)
                        found.append(len(slots))
                        if slots:
                            first_station.add(slots[0].station_code)
                    else:
                        floor()
                    samples[key].append((time.perf_counter() - t) * 1000.0)
            out[name] = figure(
                p95(samples["ours"]), "ms", p95(samples["floor"]), "p95 <= 50 ms",
                median=round(median(samples["ours"]), 3), runs=runs,
                notes=f"{count:,} appointments in the year; {len(TOWNS)} towns × 4 needs; median "
                      f"{median(samples['ours']):.1f} ms (CPU {median(cpu):.1f} ms), {min(found)}–{max(found)} "
                      f"slots, first offers at {len(first_station)} different stations; floor median "
                      f"{median(samples['floor']):.2f} ms ({plan})")
        raw.close()
        engine.dispose()
    return out


if __name__ == "__main__":  # python -m bench.bench_fcr [--full]
    import json
    import sys

    print(json.dumps(run(quick="--full" not in sys.argv), indent=2, ensure_ascii=False))
