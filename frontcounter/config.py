"""All user settings, declared and typed in one place (STYLE.md), stored as JSON in the data dir.

Standard library only at import: start-up reads the station name and protective marking from here
to paint the sign-in window before any database library is loaded.

Never holds a secret: the central database password lives only in the OS keyring
(frontcounter/services/security/secrets.py). Window geometry is kept apart, in the UI's own state file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # kept off the import path: the sign-in window reads settings before SQLAlchemy loads
    from frontcounter.services.core.context import Policy
    from frontcounter.services.security.retention import RetentionPolicy


@dataclass
class Settings:
    station_code: str | None = None
    #: The station's name as the centre knows it, kept here so the sign-in window can show it
    #: before the database is open (refreshed from the cache at every start-up).
    station_name: str | None = None
    #: SQLAlchemy URL of the centre without its password, e.g.
    #: ``postgresql+psycopg://station_hh@central.example/frontcounter?sslmode=require``.
    central_url: str | None = None
    workstation: str | None = None
    no_show_grace_minutes: int = 15
    early_checkin_minutes: int = 60
    #: Slot granularity in minutes (slots start every this many minutes; see Policy.slot_minutes).
    slot_minutes: int = 15
    idle_lock_minutes: int = 5
    protective_marking: str = "OFFICIAL-SENSITIVE"
    sync_interval_seconds: int = 30
    theme: str = "calm"
    default_printer: str | None = None
    retention_days_personal: int = 365 * 2
    retention_days_closed_follow_ups: int = 365
    retention_days_audit: int = 365 * 6 + 2
    demo: bool = False
    #: This PC is an FCR desk: it signs in and works on the centre (``central_url``) directly,
    #: with no station cache of its own (``frontcounter --fcr``; Settings sets it for a real install).
    fcr_desk: bool = False

    def policy(self) -> Policy:
        from frontcounter.services.core.context import Policy

        return Policy(
            no_show_grace_minutes=self.no_show_grace_minutes,
            early_checkin_minutes=self.early_checkin_minutes,
            protective_marking=self.protective_marking,
            slot_minutes=self.slot_minutes if 5 <= self.slot_minutes <= 60 else 15,
        )

    def retention(self) -> RetentionPolicy:
        """The retention periods as the purge takes them (services/security/retention.py)."""
        from frontcounter.services.security.retention import RetentionPolicy

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
