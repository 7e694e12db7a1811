"""All user settings, declared and typed in one place (STYLE.md), stored as JSON in the data dir.

Never holds a secret: the central database password lives only in the OS keyring
(frontcounter/services/security/secrets.py). Window geometry is kept apart, in the UI's own state file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from frontcounter.services.core.context import Policy
from frontcounter.services.security.retention import RetentionPolicy


@dataclass
class Settings:
    station_code: str | None = None
    #: SQLAlchemy URL of the centre without its password, e.g.
    #: ``postgresql+psycopg://station_hh@central.example/frontcounter?sslmode=require``.
    central_url: str | None = None
    workstation: str | None = None
    no_show_grace_minutes: int = 15
    early_checkin_minutes: int = 60
    idle_lock_minutes: int = 5
    protective_marking: str = "OFFICIAL-SENSITIVE"
    sync_interval_seconds: int = 30
    theme: str = "calm"
    default_printer: str | None = None
    retention_days_personal: int = 365 * 2
    retention_days_closed_follow_ups: int = 365
    retention_days_audit: int = 365 * 6 + 2
    demo: bool = False

    def policy(self) -> Policy:
        return Policy(
            no_show_grace_minutes=self.no_show_grace_minutes,
            early_checkin_minutes=self.early_checkin_minutes,
            protective_marking=self.protective_marking,
        )

    def retention(self) -> RetentionPolicy:
        """The retention periods as the purge takes them (services/security/retention.py)."""
        return RetentionPolicy(
            personal_data_days=self.retention_days_personal,
            closed_follow_up_days=self.retention_days_closed_follow_ups,
            audit_days=self.retention_days_audit,
        )


def load_settings(path: Path) -> Settings:
    if not path.exists():
        return Settings()
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in data.items() if k in known})


def save_settings(path: Path, settings: Settings) -> None:
    """Write atomically, readable by the owner only, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(settings), handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
