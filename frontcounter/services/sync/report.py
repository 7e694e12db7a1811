"""What one sync reports (for the status bar, the CLI and the log), the hooks a sync takes (progress,
cancel, a test seam per step) and the station's sync meta keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from frontcounter.services.sync import centre_clock

#: SyncMeta keys in the station cache.
NODE_ID = "node_id"
AUDIT_PUSHED = "audit_pushed_seq"
LAST_SYNC = "last_sync"

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]
#: A test seam: called with the name of each step ("push.before_send", "push.after_commit",
#: "push.after_ack", "pull.before_page", "pull.page") so a test can cut the link, or commit a
#: command, exactly there.
Step = Callable[[str], None]


@dataclass
class SyncReport:
    """What one sync moved, for the status bar, the CLI and the log (no personal data)."""

    started_at: datetime
    finished_at: datetime | None = None
    pushed: int = 0
    applied: int = 0
    resolved: int = 0
    rejected: int = 0
    #: Answers the centre had given before (the acknowledgement of an earlier push was lost).
    replayed: int = 0
    #: Local rows set aside (kept, not shown) because the centre rejected the new record they were.
    withheld: int = 0
    audit_sent: int = 0
    pulled: dict[str, int] = field(default_factory=dict)
    first: bool = False
    waiting: int = 0
    #: The centre's words on each resolved or rejected change.
    notes: list[str] = field(default_factory=list)
    #: Changes retried after the centre timed out waiting for a lock someone else held.
    busy_retries: int = 0
    #: The centre's time at this sync, and the centre's minus this PC's (uncorrected) time.
    centre_time: datetime | None = None
    clock_offset: timedelta | None = None

    @property
    def clock_skewed(self) -> bool:
        return centre_clock.skewed(self.clock_offset)

    @property
    def pulled_total(self) -> int:
        return sum(self.pulled.values())

    @property
    def changed_local_data(self) -> bool:
        """Did this sync change what the views show (so they should reload)?"""
        return bool(self.pulled_total or self.withheld)

    def lines(self) -> list[str]:
        """A short human report: what moved each way."""
        out = [f"Pushed {self.pushed} change{'s' if self.pushed != 1 else ''}: {self.applied} applied, "
               f"{self.resolved} resolved, {self.rejected} rejected"
               + (f" ({self.replayed} already answered before)" if self.replayed else "")]
        out += [f"  {note}" for note in self.notes]
        if self.withheld:
            out.append(f"Kept {self.withheld} local record(s) the centre did not accept: fix and resend them "
                       "under 'Not accepted'")
        if self.busy_retries:
            out.append(f"  The centre was busy (a lock held elsewhere); retried {self.busy_retries} time(s) with back-off")
        out.append(f"Sent {self.audit_sent} audit event{'s' if self.audit_sent != 1 else ''}")
        tables = ", ".join(f"{k} {v}" for k, v in self.pulled.items() if v)
        out.append(f"Pulled {self.pulled_total} row{'s' if self.pulled_total != 1 else ''}"
                   + (f": {tables}" if tables else ""))
        out.append(f"{self.waiting} change{'s' if self.waiting != 1 else ''} waiting")
        if self.clock_skewed and self.clock_offset is not None:
            out.append(f"This PC's clock is {centre_clock.describe(self.clock_offset)} against the centre's; "
                       "the centre's time is used")
        return out
