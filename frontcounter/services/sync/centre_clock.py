"""The centre's clock rules (issue 22): the centre's time, not a station PC's, is what counts.

A station PC's clock may be hours off (a dead CMOS battery, a wrong time zone, a hand edit). So:

- the centre stamps what it receives (``applied_ops.applied_at``, attention items, a status time a
  station claims in the future) with **its own** time: PostgreSQL's ``clock_timestamp()``, or,
  for the embedded SQLite centre, the centre process's injected clock;
- each sync measures the centre's time against the station's and records the offset;
- a station more than ``SKEW_LIMIT`` off shows it in the status bar, audits it once (until it is
  back within the limit), and runs its early/late and no-show rules on the centre-corrected time
  (``CorrectedClock`` wraps the injected Clock);
- the centre refuses a no-show before start + grace by its own clock.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session

from frontcounter.db.engine import make_session_factory
from frontcounter.db.models import AuditEvent, SyncMeta
from frontcounter.services.core.clock import CLOCK_ENV, Clock, default_clock

#: Beyond this the station's clock is called wrong, shown, audited and corrected.
SKEW_LIMIT = timedelta(seconds=60)
#: SyncMeta keys: the last measured offset (centre minus station, seconds) and whether it was audited.
CENTRE_OFFSET = "centre_offset_seconds"
SKEW_AUDITED = "clock_skew_audited"
#: A recorded offset is rewritten only when it moves more than this (each write is a disk flush).
_RECORD_STEP = timedelta(seconds=5)


class CorrectedClock:
    """The station's injected clock plus the centre's correction when the station is off.

    ``raw()`` is the uncorrected station time (what sync measures against). Anything else a test
    clock offers (``advance``, ``set``) is the inner clock's.
    """

    def __init__(self, inner: Clock, offset: timedelta = timedelta(0)) -> None:
        self._inner = inner
        self.offset = timedelta(0)
        self.set_offset(offset)

    def now(self) -> datetime:
        return self._inner.now() + self.offset

    def raw(self) -> datetime:
        return self._inner.now()

    def set_offset(self, measured: timedelta) -> None:
        """Correct by ``measured`` if it is beyond the limit; within it, trust the PC's clock."""
        self.offset = measured if abs(measured) > SKEW_LIMIT else timedelta(0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def raw_now(clock: Clock) -> datetime:
    return clock.raw() if isinstance(clock, CorrectedClock) else clock.now()


def pinned_clock() -> Clock | None:
    """The process's pinned clock (CLOCK_ENV: tests, demos, benches), or None on a real install.

    A pinned process stands in for the centre's clock too, so a test world runs on one clock; on a
    real install the centre's time is PostgreSQL's (or the embedded centre process's wall clock).
    """
    return default_clock() if os.environ.get(CLOCK_ENV, "").strip() else None


def centre_now(session: Session, centre_clock: Clock | None = None) -> datetime:
    """The centre's time inside a central session: ``centre_clock`` if given (or pinned), else the
    server's ``clock_timestamp()`` on PostgreSQL, else this (centre) process's clock."""
    clock = centre_clock or pinned_clock()
    if clock is not None:
        return clock.now()
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(text("SELECT clock_timestamp()")).scalar_one()
    return default_clock().now()


def describe(offset: timedelta) -> str:
    """'3 h 0 min fast' / '2 min slow': how the station's clock stands against the centre's."""
    station_ahead = -offset
    minutes = int(abs(station_ahead).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    amount = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return f"{amount} {'fast' if station_ahead > timedelta(0) else 'slow'}"


def skewed(offset: timedelta | None) -> bool:
    return offset is not None and abs(offset) > SKEW_LIMIT


def recorded_offset(local: Session) -> timedelta | None:
    row = local.get(SyncMeta, CENTRE_OFFSET)
    return timedelta(seconds=float(row.value)) if row else None


def record(local_engine: Engine, offset: timedelta, station_code: str, station_time: datetime, *,
           meta: dict[str, str] | None = None) -> None:
    """Keep the measured offset; audit a skew once, and again only after it was fixed and came back.

    ``meta``: the cache's sync_meta rows as the sync read them at its start (saves a local read;
    only this function writes these two keys, and one sync of a cache runs at a time)."""
    if meta is None:
        with make_session_factory(local_engine)() as s:
            before = recorded_offset(s)
            audited = s.get(SyncMeta, SKEW_AUDITED) is not None
    else:
        before = timedelta(seconds=float(meta[CENTRE_OFFSET])) if CENTRE_OFFSET in meta else None
        audited = SKEW_AUDITED in meta
    needs_audit = skewed(offset) and not audited
    back_in_line = audited and not skewed(offset)
    moved = before is None or abs(offset - before) > _RECORD_STEP
    if not (needs_audit or back_in_line or moved):
        return
    with make_session_factory(local_engine, write=True).begin() as s:
        row = s.get(SyncMeta, CENTRE_OFFSET)
        if row is None:
            s.add(SyncMeta(key=CENTRE_OFFSET, value=f"{offset.total_seconds():.3f}"))
        else:
            row.value = f"{offset.total_seconds():.3f}"
        if back_in_line:
            s.execute(delete(SyncMeta).where(SyncMeta.key == SKEW_AUDITED))
        if needs_audit:
            s.add(SyncMeta(key=SKEW_AUDITED, value=f"{offset.total_seconds():.3f}"))
            seq = s.execute(select(func.coalesce(func.max(AuditEvent.local_seq), 0))).scalar_one()
            s.add(AuditEvent(
                id=uuid.uuid4(), local_seq=int(seq) + 1, at=station_time + offset, username="system.sync",
                role="admin", station_code=station_code, workstation="sync", category="access",
                action="sync.clock_skew", record=None, outcome="failed",
                details={"station_clock": station_time.isoformat(), "centre_clock": (station_time + offset).isoformat(),
                         "offset_seconds": round(offset.total_seconds(), 1),
                         "note": f"this PC's clock is {describe(offset)}; the centre's time is used"},
            ))
