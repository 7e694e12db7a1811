"""Pull: bring a station cache up to date with the centre (DESIGN.md section 4).

Per table, rows with ``version > cursor`` in the station's scope are applied locally, one local
transaction per page together with the table's new cursor, so a crash leaves either the old rows
and the old cursor or the new rows and the new cursor.

The pull reads all tables in one central snapshot (REPEATABLE READ on PostgreSQL; a read
transaction on SQLite), parents before children. Where versions come from, and why no late commit
is ever skipped:

- PostgreSQL (migration 0002): a row's version is its writing transaction's id plus an offset,
  stamped by a trigger, and no writer waits on any shared row. A transaction still running may
  commit rows with versions below ones already visible, so each cursor stays below the snapshot's
  watermark, ``fc_version_watermark()`` (the oldest running transaction's id plus the offset):
  every row a running transaction writes carries a version at or above it. Rows above the
  watermark are applied but read again next time (idempotent upserts).
- SQLite (the embedded centre): every write takes the next value of the one-row clock and holds
  its lock until it commits, so versions become visible in order; the watermark is unbounded.

When nothing has happened at the centre since the last complete pull (the same clock value on
SQLite; on PostgreSQL the same snapshot: no transaction has started writing or finished since),
nothing else is read at all.

Pages are keyset-paginated on (version, id), so one huge central transaction (the demo seed, a bulk
import) still arrives in small local transactions; the committed cursor only ever covers versions
seen completely, so an interrupted pull re-reads at most one version.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Engine,
    String,
    Uuid,
    and_,
    bindparam,
    delete,
    exists,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from frontcounter.db.engine import make_session_factory
from frontcounter.db.models import (
    SYNCED_MODELS,
    Appointment,
    AttentionItem,
    Duty,
    FollowUp,
    OutboxEntry,
    Station,
    SyncClock,
    SyncCursor,
    SyncedMixin,
    SyncMeta,
    User,
)
from frontcounter.services.core import text_rules
from frontcounter.services.core.errors import FrontCounterError, NotFound
from frontcounter.services.core.rowcodec import LOCAL_ONLY_COLUMNS
from frontcounter.services.sync.reader_keys import apply_reader_keys, fetch_reader_keys

logger = logging.getLogger(__name__)

PAGE_SIZE = 500

#: Tables a station holds only for itself; the rest (stations, rooms, officers…) it holds whole.
STATION_SCOPED: tuple[type[SyncedMixin], ...] = (Duty, User, Appointment, FollowUp, AttentionItem)

#: SyncMeta key: the centre's clock token (see read_clock_and_time) of the last complete pull.
PULLED_CLOCK = "pulled_clock"

Progress = Callable[[int, int], None]
#: Called with a step name at each point a test may cut the link ("pull.page").
Step = Callable[[str], None]


class SyncCancelled(FrontCounterError):
    """The user or the app stopped a sync; it resumes where it stopped next time."""


@dataclass
class PullResult:
    rows: dict[str, int] = field(default_factory=dict)
    #: The centre's clock token this pull brought the cache up to (None if nothing was read or the
    #: pull is incomplete).
    clock: str | None = None
    first: bool = False
    #: The centre's time when the pull began (PostgreSQL's clock; None for the SQLite centre).
    centre_time: datetime | None = None
    #: Tables whose cursor stayed below a row skipped for a pending local change.
    held: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def columns_of(model: type[SyncedMixin]) -> list[str]:
    table = model.__table__  # type: ignore[attr-defined]
    return [c.key for c in table.columns if c.key not in LOCAL_ONLY_COLUMNS]


def scope_of(model: type[SyncedMixin], station_id: uuid.UUID) -> Any:
    if model in STATION_SCOPED:
        return model.station_id == station_id  # type: ignore[attr-defined]
    return None


def fetch_page(
    central: Session,
    model: type[SyncedMixin],
    station_id: uuid.UUID,
    after: tuple[int, uuid.UUID | None],
    limit: int = PAGE_SIZE,
) -> list[dict[str, Any]]:
    """Up to ``limit`` rows after position ``after`` = (version, id) in (version, id) order."""
    table = model.__table__  # type: ignore[attr-defined]
    version, after_id = after
    if after_id is None:
        position = table.c.version > version
    else:
        position = or_(table.c.version > version, and_(table.c.version == version, table.c.id > after_id))
    query = select(*(table.c[c] for c in columns_of(model))).where(position)
    scope = scope_of(model, station_id)
    if scope is not None:
        query = query.where(scope)
    query = query.order_by(table.c.version, table.c.id).limit(limit)
    return [dict(r._mapping) for r in central.execute(query)]


def count_after(central: Session, model: type[SyncedMixin], station_id: uuid.UUID, cursor: int) -> int:
    table = model.__table__  # type: ignore[attr-defined]
    query = select(func.count()).select_from(table).where(table.c.version > cursor)
    scope = scope_of(model, station_id)
    if scope is not None:
        query = query.where(scope)
    return int(central.scalar(query) or 0)


def pending_entity_ids(local: Session) -> set[uuid.UUID]:
    """Rows with local changes not yet answered by the centre: a pull must not overwrite them.

    A skipped row holds its table's cursor below the row's version (see ``pull``), so a later
    pull reads it again whatever the centre's answer did or did not touch.
    """
    return set(local.scalars(select(OutboxEntry.entity_id).where(OutboxEntry.state == "pending")))


#: Set in sync_meta while a pull applies rows (same transaction): the local double-booking
#: triggers stand aside, since the centre already refused any double booking in these rows and a
#: cache row not yet updated (its newer version is further on, or it has a change of its own
#: waiting) must not block the centre's truth. The migration's triggers name the same key.
PULL_APPLYING = "pull_applying"


@dataclass(frozen=True)
class Applied:
    """What one page did to the cache: rows written, and the lowest version it had to skip."""

    count: int
    #: The lowest central version among rows left alone because a local change waits on them
    #: (None if none): the table's cursor must stay below it, so the row is read again.
    skipped_from: int | None = None


def apply_rows(local: Session, model: type[SyncedMixin], rows: list[dict[str, Any]]) -> Applied:
    """Upsert pulled rows by primary key (bulk, no per-row SELECT), keeping pending local edits."""
    if not rows:
        return Applied(0)
    if model is Appointment:
        set_meta(local, PULL_APPLYING, "1")
        local.flush()
    skip = pending_entity_ids(local)
    skipped = [r["version"] for r in rows if r["id"] in skip]
    rows = [r for r in rows if r["id"] not in skip]
    cleaned = text_rules.clean_rows(rows)
    if cleaned:
        logger.warning("pulled %s rows held unstorable text in: %s (shown as \ufffd)",
                       model.__tablename__, ", ".join(cleaned))  # type: ignore[attr-defined]
    ids = [r["id"] for r in rows]
    existing: set[uuid.UUID] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        existing.update(local.scalars(select(model.id).where(model.id.in_(chunk))))
    new = [r for r in rows if r["id"] not in existing]
    old = [r for r in rows if r["id"] in existing]
    if new:
        local.execute(insert(model), new)
    if old:
        local.execute(update(model), old)
    if model is Appointment:
        local.execute(delete(SyncMeta).where(SyncMeta.key == PULL_APPLYING))
    return Applied(len(rows), min(skipped) if skipped else None)


def record_pulled_clock(local: Session, clock: str | None) -> None:
    """Remember the clock of a complete pull; forget it after an incomplete one (rows were held)."""
    if clock is None:
        local.execute(delete(SyncMeta).where(SyncMeta.key == PULLED_CLOCK))
    else:
        set_meta(local, PULLED_CLOCK, str(clock))


def get_cursor(local: Session, entity: str) -> int:
    row = local.get(SyncCursor, entity)
    return row.cursor if row else 0


def set_cursor(local: Session, entity: str, value: int) -> None:
    row = local.get(SyncCursor, entity)
    if row is None:
        local.add(SyncCursor(entity=entity, cursor=value))
    else:
        row.cursor = value


def get_meta(local: Session, key: str) -> str | None:
    row = local.get(SyncMeta, key)
    return row.value if row else None


def set_meta(local: Session, key: str, value: str) -> None:
    row = local.get(SyncMeta, key)
    if row is None:
        local.add(SyncMeta(key=key, value=value))
    else:
        row.value = value


@contextmanager
def central_snapshot(central_engine: Engine) -> Iterator[Session]:
    """One consistent read-only view of the centre for a whole pull."""
    bind = central_engine
    if central_engine.dialect.name == "postgresql":
        bind = central_engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    factory = make_session_factory(bind)
    with factory() as session, session.begin():
        yield session


def read_clock(central: Session) -> int:
    return int(central.scalar(select(SyncClock.value).where(SyncClock.id == 1)) or 0)


@dataclass(frozen=True)
class CentreClock:
    """What one pull knows of the centre's clocks, read in one round trip."""

    #: Equal tokens mean nothing committed at the centre in between (a complete pull may stop).
    token: str
    #: Cursors stay below this version (None: no bound, the embedded centre's ordered clock).
    watermark: int | None
    #: The centre's time (PostgreSQL's; None for the SQLite centre, whose time is the process's).
    time: datetime | None


_CLOCK_COLUMNS = 3


def _clock_columns() -> list[Any]:
    """PostgreSQL's clock token (the snapshot), the watermark and the time, as select columns."""
    return [func.pg_current_snapshot().cast(String), func.fc_version_watermark(), func.clock_timestamp()]


def _clock_of(row: Any) -> CentreClock:
    return CentreClock(f"pg:{row[0]}", int(row[1]), row[2])


def read_clock_and_time(central: Session) -> CentreClock:
    if central.get_bind().dialect.name != "postgresql":
        return CentreClock(str(read_clock(central)), None, None)
    return _clock_of(central.execute(select(*_clock_columns())).one())


@dataclass(frozen=True)
class Probe:
    """The no-op sync's one question to a PostgreSQL centre, asked in one autocommit statement
    (one snapshot, one round trip): its schema version, its clock, and which tables hold news for
    this station since its cursors. Nothing new (the usual case) ends the sync there."""

    revision: str | None
    centre: CentreClock
    news: list[type[SyncedMixin]]

    def nothing_new(self, pulled_clock: str | None) -> bool:
        return self.centre.token == pulled_clock or not self.news


@functools.lru_cache(maxsize=1)
def _probe_statement() -> Any:
    """Built once, with the station and its cursors as bound parameters (the probe runs every
    sync of every station: building and compiling it each time was most of its client CPU)."""
    revision: Any = literal_column("(SELECT version_num FROM alembic_version)")
    cursors = {m.__tablename__: bindparam(f"cursor_{m.__tablename__}", type_=BigInteger)  # type: ignore[attr-defined]
               for m in SYNCED_MODELS}
    return select(revision, *_clock_columns(), *_news_checks(bindparam("station_id", type_=Uuid), cursors))


def probe(conn: Any, station_id: uuid.UUID, cursors: dict[str, int]) -> Probe:
    """Ask ``conn`` (PostgreSQL, best in autocommit) the probe's question; see ``Probe``."""
    params: dict[str, Any] = {f"cursor_{m.__tablename__}": cursors.get(m.__tablename__, 0)  # type: ignore[attr-defined]
                              for m in SYNCED_MODELS}
    params["station_id"] = station_id
    row = conn.execute(_probe_statement(), params).one()
    news = row[1 + _CLOCK_COLUMNS:]
    return Probe(None if row[0] is None else str(row[0]), _clock_of(row[1:]),
                 [m for m, found in zip(SYNCED_MODELS, news, strict=True) if found])


def read_clock_and_news(central: Session, station_id: uuid.UUID,
                        cursors: dict[str, int]) -> tuple[CentreClock, list[type[SyncedMixin]]]:
    """The clock and the tables with news in one round trip (PostgreSQL)."""
    row = central.execute(select(*_clock_columns(), *_news_checks(station_id, cursors))).one()
    news = row[_CLOCK_COLUMNS:]
    return _clock_of(row), [m for m, found in zip(SYNCED_MODELS, news, strict=True) if found]


@dataclass
class LocalPullState:
    """What the cache knows about its pulls, read once per sync."""

    cursors: dict[str, int]
    pulled_clock: str | None
    #: The station's id from the cache's own copy of the stations table (None before a first pull).
    station_id: uuid.UUID | None


def read_local_state(local: Session, station_code: str) -> LocalPullState:
    pulled = get_meta(local, PULLED_CLOCK)
    return LocalPullState(
        cursors={c.entity: c.cursor for c in local.scalars(select(SyncCursor))},
        pulled_clock=pulled,
        station_id=local.scalar(select(Station.id).where(Station.code == station_code, Station.deleted == false())),
    )


def tables_with_news(central: Session, station_id: uuid.UUID, cursors: dict[str, int]) -> list[type[SyncedMixin]]:
    """Which tables hold rows past their cursor for this station: one query for all of them.

    When others' changes moved the clock but nothing of this station's changed (the usual case
    with many stations), a sync costs this one round trip instead of one per table.
    """
    row = central.execute(select(*_news_checks(station_id, cursors))).one()
    return [m for m, news in zip(SYNCED_MODELS, row, strict=True) if news]


def _news_checks(station_id: Any, cursors: dict[str, Any]) -> list[Any]:
    """One EXISTS per synced table: a row in this station's scope past the table's cursor (values
    or bound parameters)."""
    checks = []
    for model in SYNCED_MODELS:
        table = model.__table__  # type: ignore[attr-defined]
        condition = table.c.version > cursors.get(table.name, 0)
        scope = scope_of(model, station_id)
        if scope is not None:
            condition = and_(scope, condition)
        checks.append(exists().where(condition).label(table.name))
    return checks


def pull(
    central_engine: Engine,
    local_engine: Engine,
    station_code: str,
    *,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    on_step: Step | None = None,
    page_size: int = PAGE_SIZE,
    state: LocalPullState | None = None,
    first_check: Callable[[Session], object] | None = None,
    persist_clock: bool = True,
    probed: Probe | None = None,
) -> PullResult:
    """Pull every synced table for ``station_code``; each page commits with its cursor.

    ``state`` saves a local read when the caller already has it; ``first_check`` runs inside the
    central snapshot before anything is read (the schema check, saving a round trip); with
    ``persist_clock=False`` the caller records ``result.clock`` itself (in its own last write);
    ``probed`` is the answer of ``probe`` asked just before: when it says nothing is new, the pull
    reads nothing more.
    """
    local_write = make_session_factory(local_engine, write=True)
    if state is None:
        with make_session_factory(local_engine)() as local:
            state = read_local_state(local, station_code)
    cursors = dict(state.cursors)
    result = PullResult()
    if probed is not None and probed.nothing_new(state.pulled_clock):
        # Nothing committed anywhere since the last complete pull, or nothing of this station's.
        result.clock, result.centre_time = probed.centre.token, probed.centre.time
        return result
    with central_snapshot(central_engine) as central:
        if first_check is not None:
            first_check(central)
        result.first = not cursors
        news: list[type[SyncedMixin]] | None = None
        if state.station_id is not None and not result.first and central_engine.dialect.name == "postgresql":
            centre, news = read_clock_and_news(central, state.station_id, cursors)  # one round trip
        else:
            centre = read_clock_and_time(central)
        clock, result.centre_time, watermark = centre.token, centre.time, centre.watermark
        result.clock = clock
        if state.pulled_clock == clock:
            return result  # nothing committed anywhere since the last complete pull
        station_id = state.station_id or _central_station_id(central, station_code)
        if result.first and progress is not None:
            models = list(SYNCED_MODELS)
            total = sum(count_after(central, m, station_id, 0) for m in SYNCED_MODELS)
            progress(0, total)
        else:
            models, total = (news if news is not None else tables_with_news(central, station_id, cursors)), 0
        done = 0
        for model in models:
            entity = model.__tablename__  # type: ignore[attr-defined]
            committed = cursors.get(entity, 0)
            position: tuple[int, uuid.UUID | None] = (committed, None)
            #: The cursor may not pass a row this pull had to skip (a local change waits on it), nor
            #: the watermark (a running central transaction may still commit rows below it).
            ceiling: int | None = None if watermark is None else watermark - 1
            while True:
                if cancel is not None and cancel():
                    raise SyncCancelled("Sync stopped; it carries on from here next time.")
                rows = fetch_page(central, model, station_id, position, page_size)
                if not rows:
                    end = position[0] if ceiling is None else min(position[0], ceiling)
                    if end > committed:  # the last full page ended exactly on a version
                        with local_write.begin() as local:
                            set_cursor(local, entity, end)
                    break
                if on_step is not None:
                    on_step("pull.before_page")  # read from the centre, not yet applied here
                last = rows[-1]
                full = len(rows) == page_size
                with local_write.begin() as local:
                    if get_cursor(local, entity) != committed:
                        raise SyncCancelled("Another sync of this station is running; this one stopped.")
                    applied = apply_rows(local, model, rows)
                    if applied.skipped_from is not None:
                        below = applied.skipped_from - 1
                        ceiling = below if ceiling is None else min(ceiling, below)
                        result.held.add(entity)
                    # A full page may have cut a version in two: only the versions before it are complete.
                    new_cursor = last["version"] - 1 if full else last["version"]
                    if ceiling is not None:
                        new_cursor = min(new_cursor, ceiling)
                    new_cursor = max(committed, new_cursor)
                    if new_cursor != committed:
                        set_cursor(local, entity, new_cursor)
                committed = new_cursor
                position = (last["version"], last["id"])
                result.rows[entity] = result.rows.get(entity, 0) + applied.count
                done += len(rows)
                if progress is not None:
                    progress(done, max(total, done))
                if on_step is not None:
                    on_step("pull.page")
                if not full:
                    break
        readers = fetch_reader_keys(central)
        with local_write.begin() as local:
            apply_reader_keys(local, readers, station_id)
    if result.held:
        result.clock = None  # not complete: the next pull must look again even if nothing moves
    if persist_clock:
        with local_write.begin() as local:
            record_pulled_clock(local, result.clock)
    return result


def _central_station_id(central: Session, station_code: str) -> uuid.UUID:
    station_id = central.scalar(select(Station.id).where(Station.code == station_code, Station.deleted == false()))
    if station_id is None:
        raise NotFound(f"The centre has no station {station_code!r}; check this station's code.")
    return station_id
