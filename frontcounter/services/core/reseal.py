"""Re-sealing a station's rows to its current readers, in a reader's session (sign-in).

Sealing needs only public keys, but adding a reader to a row already sealed needs its data key,
which only a session that opens the row holds. So each sign-in of a reader shares the station's
rows with colleagues whose key pair is new (a new user, a role change, a reset by an admin),
drops copies sealed to users who no longer read (a leaver, a role change), and seals rows an
older version stored in clear. One command: one audit event, one outbox entry per row changed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from frontcounter.db.models import Appointment
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.commands import command
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.sealing import (
    CONFIDENTIAL_FIELDS,
    Sealer,
    is_token,
    key_id,
    known_users,
    recipients,
    seal_appointment,
)


def _needs(values: list[Any], sealed: dict[str, str] | None, wanted: dict[str, str], known: set[str]) -> bool:
    if not any(values):
        return False
    if any(v and not is_token(v) for v in values):
        return True  # stored in clear before the upgrade
    existing = sealed or {}
    fresh = {u for u, e in existing.items() if u in wanted and e.partition(":")[0] == key_id(wanted[u])}
    stale = {u for u in existing if u in known and u not in fresh}
    return fresh != set(wanted) or bool(stale)


#: Rows re-sealed per transaction: a cache upgraded with years of history in clear is sealed in
#: many short commands, never one transaction holding the cache's write lock for minutes.
RESEAL_CHUNK = 500
#: Rows read per round trip while looking for rows to re-seal.
SCAN_BATCH = 2000


def reseal_station(ctx: ServiceContext, actor: Actor, *, limit: int | None = None) -> int:
    """Re-seal the rows of the actor's station that this session opens and whose readers changed,
    soonest appointments first; at most ``limit`` of them (sign-in does a bounded share so it stays
    quick; the desktop app does the rest in the background once the main window is up)."""
    key = actor.key
    if key is None or actor.station_id is None:
        return 0
    with ctx.read() as session:
        readers = recipients(session, actor.station_id)
        known = known_users(session)
        wanted = {str(u): p for u, p in readers.items()}
        # Columns, not rows, streamed a batch at a time: a sign-in checks every row of the station
        # (years of history, each with its readers' sealed keys) and usually changes none, so only
        # the ids to re-seal are kept, never the whole station's rows at once.
        rows = session.execute(select(Appointment.id, Appointment.sealed_keys,
                                      *(getattr(Appointment, f) for f in CONFIDENTIAL_FIELDS)).where(
            Appointment.station_id == actor.station_id, Appointment.deleted.is_(False),
            Appointment.purged_at.is_(None)).order_by(Appointment.start_at.desc())
            .execution_options(yield_per=SCAN_BATCH))
        todo: list[Any] = []
        for r in rows:
            if _needs(list(r[2:]), r[1], wanted, known) and (
                    key.open(r[1]) is not None or not any(is_token(v) for v in r[2:])):
                todo.append(r[0])
                if limit is not None and len(todo) >= limit:
                    break
    changed = 0
    for start in range(0, len(todo), RESEAL_CHUNK):
        changed += _reseal_rows(ctx, actor, todo[start:start + RESEAL_CHUNK], readers, known)
    return changed


def _reseal_rows(ctx: ServiceContext, actor: Actor, todo: list[Any], readers: dict[Any, str],
                 known: set[str]) -> int:
    key = actor.key
    assert key is not None
    changed = 0
    sealer = Sealer()  # one ephemeral key for the chunk: each reader's wrapping key derived once
    with command(ctx, actor, category="alteration", action="appointments.reseal",
                 record=f"station:{actor.station_code}", details={"rows": len(todo)}) as scope:
        for appointment_id in todo:
            row = scope.session.get(Appointment, appointment_id)
            if row is None:
                continue
            base = row.version
            plain = [f for f in CONFIDENTIAL_FIELDS if getattr(row, f) and not is_token(getattr(row, f))]
            if seal_appointment(scope.session, row, key, refresh=True, readers=readers, known=known,
                                sealer=sealer):
                changed += 1
                changes = {f: getattr(row, f) for f in plain}
                changes["sealed_keys"] = row.sealed_keys
                scope.changed(row, "appointment.reseal", base_version=base, changes=changes)
    return changed
