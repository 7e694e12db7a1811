"""Pull: bring a station cache up to date with the centre (DESIGN.md section 4).

Per table, rows with ``version > cursor`` in the station's scope are applied locally in one
transaction together with the new cursor, so a crash leaves either the old state and old cursor or
the new state and new cursor. Pages end on a version boundary: rows of one central transaction
share a version and are never split across two cursors.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, false, insert, select, update
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
    SyncCursor,
    SyncedMixin,
    User,
)
from frontcounter.services.errors import NotFound
from frontcounter.services.rowcodec import LOCAL_ONLY_COLUMNS

PAGE_SIZE = 2000

#: Tables a station holds only for itself; the rest (stations, rooms, officers…) it holds whole.
STATION_SCOPED: tuple[type[SyncedMixin], ...] = (Duty, User, Appointment, FollowUp, AttentionItem)

Progress = Callable[[int, int], None]


@dataclass
class PullResult:
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _columns(model: type[SyncedMixin]) -> list[str]:
    table = model.__table__  # type: ignore[attr-defined]
    return [c.key for c in table.columns if c.key not in LOCAL_ONLY_COLUMNS]


def _scoped(model: type[SyncedMixin], station_id: uuid.UUID) -> Any:
    if model in STATION_SCOPED:
        return model.station_id == station_id  # type: ignore[attr-defined]
    return None


def fetch_page(
    central: Session, model: type[SyncedMixin], station_id: uuid.UUID, cursor: int, limit: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], int]:
    """Rows after ``cursor`` up to a version boundary, and the cursor that follows them."""
    columns = _columns(model)
    table = model.__table__  # type: ignore[attr-defined]
    query = select(*(table.c[c] for c in columns)).where(table.c.version > cursor)
    scope = _scoped(model, station_id)
    if scope is not None:
        query = query.where(scope)
    rows = [dict(r._mapping) for r in central.execute(query.order_by(table.c.version).limit(limit + 1))]
    if len(rows) > limit:
        last = rows[-1]["version"]
        complete = [r for r in rows if r["version"] < last]
        if complete:
            rows = complete
        else:  # one version bigger than a page: take the whole version at once
            rows = [dict(r._mapping) for r in central.execute(query.where(table.c.version == last))]
    new_cursor = max((r["version"] for r in rows), default=cursor)
    return rows, new_cursor


def pending_entity_ids(local: Session) -> set[uuid.UUID]:
    """Rows with local changes not yet answered by the centre: a pull must not overwrite them."""
    return set(local.scalars(select(OutboxEntry.entity_id).where(OutboxEntry.state == "pending")))


def apply_rows(local: Session, model: type[SyncedMixin], rows: list[dict[str, Any]]) -> None:
    """Upsert pulled rows by primary key (bulk, no per-row SELECT), keeping pending local edits."""
    if not rows:
        return
    skip = pending_entity_ids(local)
    rows = [r for r in rows if r["id"] not in skip]
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


def get_cursor(local: Session, entity: str) -> int:
    row = local.get(SyncCursor, entity)
    return row.cursor if row else 0


def set_cursor(local: Session, entity: str, value: int) -> None:
    row = local.get(SyncCursor, entity)
    if row is None:
        local.add(SyncCursor(entity=entity, cursor=value))
    else:
        row.cursor = value


def pull(
    central_engine: Engine,
    local_engine: Engine,
    station_code: str,
    *,
    progress: Progress | None = None,
    page_size: int = PAGE_SIZE,
) -> PullResult:
    """Pull every synced table for ``station_code``; each page commits with its cursor."""
    central_read = make_session_factory(central_engine)
    local_write = make_session_factory(local_engine, write=True)
    result = PullResult()
    with central_read() as central:
        station = central.scalars(
            select(Station).where(Station.code == station_code, Station.deleted == false())
        ).one_or_none()
        if station is None:
            raise NotFound(f"The centre has no station {station_code!r}.")
        station_id = station.id
    done = 0
    for model in SYNCED_MODELS:
        entity = model.__tablename__  # type: ignore[attr-defined]
        while True:
            with local_write.begin() as local:
                cursor = get_cursor(local, entity)
            with central_read() as central:
                rows, new_cursor = fetch_page(central, model, station_id, cursor, page_size)
            if not rows:
                break
            with local_write.begin() as local:
                # Re-read the cursor inside the write: another puller may have moved it meanwhile.
                if get_cursor(local, entity) != cursor:
                    continue
                apply_rows(local, model, rows)
                set_cursor(local, entity, new_cursor)
            result.rows[entity] = result.rows.get(entity, 0) + len(rows)
            done += len(rows)
            if progress:
                progress(done, 0)
    return result
