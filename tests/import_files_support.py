"""Generated command-and-control exports for the import tests (kept small enough to stay fast)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HEADER = ["external_id", "station", "start", "duration_minutes", "room", "reason", "visitor_name", "notes"]
#: A year past the demo's "now": nothing of the demo's own is booked then.
FIRST_DAY = datetime(2027, 12, 1, tzinfo=UTC)


def generated_rows(n: int, *, station: str = "HH", rooms: int = 3, prefix: str = "G",
                   first_day: datetime = FIRST_DAY) -> list[dict[str, Any]]:
    """``n`` rows that all fit: 30-minute UTC slots round the clock, one per room per slot."""
    out = []
    for i in range(n):
        start = first_day + timedelta(minutes=30 * (i // rooms))
        out.append({"external_id": f"{prefix}-{i:06d}", "station": station,
                    "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "duration_minutes": "30", "room": "",
                    "reason": ("report_crime", "victim_update", "other")[i % 3],
                    "visitor_name": f"Visitor {i:06d}", "notes": f"incident {i}"})
    return out


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_json(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"exported_by": "CAD", "appointments": rows}, indent=2), encoding="utf-8")
    return path
