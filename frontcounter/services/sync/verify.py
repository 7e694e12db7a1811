"""``sync --verify`` / ``--repair``: is this cache really equal to the centre for its scope?

Convergence is built into the pull (docs/SYNC.md), but a cache can still be damaged from outside:
a restored backup, a disk fault, someone editing the file. Verify compares, per synced table, the
row count and one hash over every row's content at both ends; only for a table whose hash differs
does it compare row by row and say which rows are missing, extra or different (by id and column
name, never by value: the output holds no personal data). Rows with a change still waiting in the
outbox are left out: they differ on purpose until the centre answers.

Repair re-pulls exactly the differing rows from the centre and applies them like a pull would
(pending local changes stay untouched); rows only the station has are reported, not deleted (the
centre never accepted them; what to do with them is the clerk's and the supervisor's call).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, false, select
from sqlalchemy.orm import Session

from frontcounter.db.engine import make_session_factory
from frontcounter.db.models import SYNCED_MODELS, Station, SyncedMixin, SyncMeta
from frontcounter.services.core.errors import NotFound
from frontcounter.services.core.rowcodec import encode_value
from frontcounter.services.sync import pull as sync_pull
from frontcounter.services.sync.pull import get_meta, set_meta

logger = logging.getLogger(__name__)

#: Exit code of ``sync --verify`` when the cache differs from the centre (0 when equal).
EXIT_DIFFERENT = 3


@dataclass(frozen=True)
class RowDifference:
    table: str
    row_id: uuid.UUID
    #: "missing at the station", "only at the station" or "different".
    kind: str
    columns: tuple[str, ...] = ()

    def line(self) -> str:
        cols = f" ({', '.join(self.columns)})" if self.columns else ""
        return f"{self.table} {self.row_id}: {self.kind}{cols}"


@dataclass
class TableCheck:
    table: str
    station_rows: int
    centre_rows: int
    same: bool


@dataclass
class VerifyReport:
    tables: list[TableCheck] = field(default_factory=list)
    differences: list[RowDifference] = field(default_factory=list)
    #: Rows left out because a local change waits for the centre.
    waiting: int = 0
    #: Rows the centre refused, kept (tombstoned) at the station for the clerk to fix and resend.
    set_aside: int = 0
    repaired: int = 0

    @property
    def ok(self) -> bool:
        return not self.differences

    def lines(self, *, limit: int = 50) -> list[str]:
        out = []
        for t in self.tables:
            verdict = "same" if t.same else "DIFFERENT"
            counts = f"{t.station_rows}" if t.station_rows == t.centre_rows else (
                f"station {t.station_rows}, centre {t.centre_rows}")
            out.append(f"  {t.table:<16} {counts:>22} rows  {verdict}")
        for d in self.differences[:limit]:
            out.append(f"    {d.line()}")
        if len(self.differences) > limit:
            out.append(f"    … and {len(self.differences) - limit} more")
        rows = sum(t.centre_rows for t in self.tables)
        bad = {d.table for d in self.differences}
        if self.ok:
            out.append(f"The cache equals the centre: {len(self.tables)} tables, {rows} rows"
                       + (f" ({self.waiting} with a change waiting, not compared)." if self.waiting else "."))
        else:
            out.append(f"{len(self.differences)} row(s) differ in {len(bad)} table(s)"
                       + (f"; {self.waiting} with a change waiting were not compared" if self.waiting else "")
                       + ". 'frontcounter sync --repair' re-pulls them from the centre.")
        if self.set_aside:
            out.append(f"{self.set_aside} row(s) the centre did not accept are kept here under 'Not accepted'.")
        if self.repaired:
            out.append(f"Re-pulled {self.repaired} row(s) from the centre.")
        return out


def _digest(row: dict[str, Any]) -> str:
    canonical = {k: round(v, 9) if isinstance(v, float) else encode_value(v) for k, v in row.items()}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, default=str).encode()).hexdigest()


#: Rows read per round trip while a table is streamed (verify holds a batch, never the table).
BATCH_ROWS = 1000


def _stream(session: Session, model: type[SyncedMixin], station_id: uuid.UUID) -> Iterator[dict[str, Any]]:
    """The station's rows of ``model``, in id order, a batch at a time: a cache with years of
    history (100,000 appointments, as many audit events) must not be held whole in memory."""
    table = model.__table__  # type: ignore[attr-defined]
    query = select(*(table.c[c] for c in sync_pull.columns_of(model))).order_by(table.c.id)
    scope = sync_pull.scope_of(model, station_id)
    if scope is not None:
        query = query.where(scope)
    for row in session.execute(query.execution_options(yield_per=BATCH_ROWS)):
        yield dict(row._mapping)


class _Ordered:
    """A row stream that checks the ids come in ascending order (the merge below relies on both
    ends sorting ids the same way, as UUIDs; a database that did not would be caught, not trusted)."""

    def __init__(self, rows: Iterator[dict[str, Any]], where: str) -> None:
        self._rows = rows
        self._last: uuid.UUID | None = None
        self._where = where
        self.count = 0

    def next(self) -> dict[str, Any] | None:
        row = next(self._rows, None)
        if row is not None:
            if self._last is not None and row["id"] <= self._last:
                raise RuntimeError(f"the {self._where} returned ids out of order; cannot compare")
            self._last = row["id"]
            self.count += 1
        return row


def _station_id(local: Session, station_code: str) -> uuid.UUID:
    found = local.scalar(select(Station.id).where(Station.code == station_code, Station.deleted == false()))
    if found is None:
        raise NotFound(f"This cache holds no station {station_code!r} yet: sync it first.")
    return found


def verify(local_engine: Engine, central_engine: Engine, station_code: str) -> VerifyReport:
    """Compare the cache with the centre for the station's scope (see the module docstring)."""
    report = VerifyReport()
    with make_session_factory(local_engine)() as local, sync_pull.central_snapshot(central_engine) as central:
        station_id = _station_id(local, station_code)
        waiting = sync_pull.pending_entity_ids(local)
        for model in SYNCED_MODELS:
            name = model.__tablename__  # type: ignore[attr-defined]
            report.tables.append(_compare(report, name, waiting,
                                          _Ordered(_stream(local, model, station_id), "station cache"),
                                          _Ordered(_stream(central, model, station_id), "centre")))
    return report


def _compare(report: VerifyReport, name: str, waiting: set[uuid.UUID], mine: _Ordered,
             theirs: _Ordered) -> TableCheck:
    """Merge two id-ordered row streams of one table: what differs goes into ``report`` (missing,
    then only here, then different, each in id order), and a row with a change still waiting is
    counted but not compared."""
    missing: list[RowDifference] = []
    only_here: list[RowDifference] = []
    different: list[RowDifference] = []
    set_aside = 0
    a, b = mine.next(), theirs.next()
    while a is not None or b is not None:
        if b is None or (a is not None and a["id"] < b["id"]):
            assert a is not None
            if a["id"] in waiting:
                report.waiting += 1
            elif a.get("deleted"):
                # Set aside by a refusal (sync/push.py, _withhold_unaccepted): the centre never had
                # it, and it waits on the "Not accepted" list to be fixed and resent.
                set_aside += 1
            else:
                only_here.append(RowDifference(name, a["id"], "only at the station"))
            a = mine.next()
        elif a is None or b["id"] < a["id"]:
            if b["id"] in waiting:
                report.waiting += 1
            else:
                missing.append(RowDifference(name, b["id"], "missing at the station"))
            b = theirs.next()
        else:
            if a["id"] in waiting:
                report.waiting += 1
            elif _digest(a) != _digest(b):
                cols = tuple(sorted(k for k in b if _digest({k: a.get(k)}) != _digest({k: b[k]})))
                different.append(RowDifference(name, b["id"], "different", cols))
            a, b = mine.next(), theirs.next()
    report.set_aside += set_aside
    report.differences += missing + only_here + different
    same = not (missing or only_here or different or set_aside)
    return TableCheck(name, mine.count, theirs.count, same)


def repair(local_engine: Engine, central_engine: Engine, station_code: str) -> VerifyReport:
    """Verify, re-pull every row that is missing or different here, then verify again."""
    found = verify(local_engine, central_engine, station_code)
    wanted: dict[str, list[uuid.UUID]] = {}
    for d in found.differences:
        if d.kind != "only at the station":
            wanted.setdefault(d.table, []).append(d.row_id)
    repaired = 0
    if wanted:
        models = {m.__tablename__: m for m in SYNCED_MODELS}  # type: ignore[attr-defined]
        with sync_pull.central_snapshot(central_engine) as central, \
                make_session_factory(local_engine, write=True).begin() as local:
            for table, ids in wanted.items():
                model = models[table]
                cols = sync_pull.columns_of(model)
                t = model.__table__  # type: ignore[attr-defined]
                rows = [dict(r._mapping) for r in central.execute(
                    select(*(t.c[c] for c in cols)).where(t.c.id.in_(ids)))]
                repaired += sync_pull.apply_rows(local, model, rows).count
    after = verify(local_engine, central_engine, station_code)
    after.repaired = repaired
    return after



# -- the app's quiet check: once a day, and after a crash ---------------------------------------

#: SyncMeta keys: when the cache was last checked, what a check ever found, and "the app is running"
#: (still set at start-up means the last run did not stop cleanly: check again).
LAST_CHECK = "verify_last_check"
EVER_FOUND = "verify_ever_found"
RUNNING = "verify_app_running"
CHECK_EVERY = timedelta(days=1)


def app_started(local_engine: Engine) -> None:
    """Called when the app starts syncing: a marker left by a run that crashed makes a check due."""
    with make_session_factory(local_engine, write=True).begin() as s:
        if s.get(SyncMeta, RUNNING) is not None:
            s.execute(delete(SyncMeta).where(SyncMeta.key == LAST_CHECK))  # crashed: check soon
        else:
            s.add(SyncMeta(key=RUNNING, value="1"))


def app_stopped(local_engine: Engine) -> None:
    with make_session_factory(local_engine, write=True).begin() as s:
        s.execute(delete(SyncMeta).where(SyncMeta.key == RUNNING))


def check_due(local_engine: Engine, now: datetime) -> bool:
    with make_session_factory(local_engine)() as s:
        row = s.get(SyncMeta, LAST_CHECK)
    return row is None or now - datetime.fromisoformat(row.value) >= CHECK_EVERY


def quiet_check(local_engine: Engine, central_engine: Engine, station_code: str, now: datetime) -> VerifyReport | None:
    """If a check is due: verify, re-pull what differs, and remember what was ever found."""
    if not check_due(local_engine, now):
        return None
    report = repair(local_engine, central_engine, station_code)
    with make_session_factory(local_engine, write=True).begin() as s:
        set_meta(s, LAST_CHECK, now.isoformat())
        if report.repaired or not report.ok:
            left = len(report.differences)
            set_meta(s, EVER_FOUND, json.dumps({"on": now.isoformat(), "repaired": report.repaired, "left": left}))
    if report.repaired or not report.ok:
        logger.warning("the daily cache check re-pulled %d row(s); %d still differ", report.repaired,
                       len(report.differences))
    return report


def ever_found(local_engine: Engine) -> dict[str, Any] | None:
    """What a quiet check ever found ({"on", "repaired", "left"}), for the status bar."""
    with make_session_factory(local_engine)() as s:
        value = get_meta(s, EVER_FOUND)
    return json.loads(value) if value else None
