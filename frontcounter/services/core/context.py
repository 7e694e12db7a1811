"""What every service call needs besides the actor: the database, the clock and the policies.

Passed explicitly (no global registry). ``mode`` says whether this process writes to a station
cache (changes go to the outbox and reach the centre by sync) or straight to the centre (each
command takes its versions from the central clock, as the FCR and the sync server do).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from frontcounter.db.engine import make_session_factory
from frontcounter.services.core.clock import Clock, default_clock


@dataclass(frozen=True)
class Policy:
    """Rules a force may tune; the settings dialog edits them (frontcounter/config.py)."""

    no_show_grace_minutes: int = 15
    #: How early a visitor may check in before their start time without being told they are early.
    early_checkin_minutes: int = 60
    protective_marking: str = "OFFICIAL-SENSITIVE"
    slot_minutes: int = 60


@dataclass
class ServiceContext:
    engine: Engine
    clock: Clock = field(default_factory=default_clock)
    station_code: str | None = None
    workstation: str = "unknown"
    mode: Literal["station", "central"] = "station"
    policy: Policy = field(default_factory=Policy)
    #: Called after every committed command (the UI uses it to refresh and to trigger a sync).
    on_committed: list[Callable[[str], None]] = field(default_factory=list)
    read: sessionmaker[Session] = field(init=False)
    write: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.read = make_session_factory(self.engine)
        self.write = make_session_factory(self.engine, write=True)
