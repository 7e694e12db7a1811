"""A station or central-writer process for the sync soak tests (not a test module itself).

``python -m tests.integration.sync_worker station DATA_DIR CENTRAL_URL CODE SECONDS SEED LOG``
issues random station commands (check-ins, no-shows, meetings, walk-ins, contact edits) and syncs
now and then; ``... central - CENTRAL_URL CODES SECONDS SEED LOG`` issues random central commands
(cancellations, moves, bookings, another PC's check-ins, contact edits) at the given stations.

Every command that committed is written to LOG (one JSON line, flushed and fsynced after the
commit), so a parent that kills this process with SIGKILL knows what must have survived.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func, select

from frontcounter.db.engine import make_engine
from frontcounter.db.models import Appointment, OutboxEntry, Station, Status
from frontcounter.paths import Paths
from frontcounter.runtime import open_station
from frontcounter.services.core import status as status_machine
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.commands import command
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.counter import checkin
from frontcounter.services.sync.connection import open_central
from frontcounter.services.sync.station import sync_once
from tests.conftest import DEMO_NOW
from tests.sync_support import actor_in, central_context, create_appointment, edit, rooms_and_officers

#: Every demo appointment is in the past by then: no-shows are allowed, check-ins are forced.
WORKER_NOW = DEMO_NOW + timedelta(days=10)


class Log:
    def __init__(self, path: Path) -> None:
        self._file: TextIO = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the process

    def write(self, **record: Any) -> None:
        self._file.write(json.dumps(record, default=str) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())


def _pick(ctx: ServiceContext, rng: random.Random, station_codes: list[str], statuses: tuple[str, ...]) -> Any:
    with ctx.read() as s:
        ids = list(s.scalars(
            select(Appointment.id).join(Station, Station.id == Appointment.station_id)
            .where(Station.code.in_(station_codes), Appointment.status.in_(statuses), Appointment.deleted.is_(False))
            .order_by(Appointment.id)
        ))
    return rng.choice(ids) if ids else None


def _transition(ctx: ServiceContext, actor: Any, appointment_id: uuid.UUID, new: Status, op_type: str,
                **extra: Any) -> None:
    """A central status change that obeys the status machine (IllegalTransition when it cannot)."""
    with command(ctx, actor, category="alteration", action=op_type, record=f"appointment:{appointment_id}") as scope:
        row = scope.session.get_one(Appointment, appointment_id)
        base = row.version
        status_machine.transition(row, new)
        for key, value in extra.items():
            setattr(row, key, value)
        scope.changed(row, op_type, base_version=base, changes={"status": new.value, **extra})


def _last_op(ctx: ServiceContext) -> dict[str, Any]:
    with ctx.read() as s:
        entry = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc()).limit(1)).one()
        return {"op_id": str(entry.op_id), "op_type": entry.op_type, "entity_id": str(entry.entity_id),
                "seq": entry.seq}


def run_station(data_dir: str, central_url: str, code: str, seconds: float, seed: int, log_path: str) -> None:
    rng = random.Random(seed)
    clock = FixedClock(WORKER_NOW)
    runtime = open_station(Paths.resolve(data_dir), clock=clock)
    ctx = runtime.ctx
    central = open_central(central_url)
    log = Log(Path(log_path))
    counter, officer = actor_in(ctx, f"counter.{code}"), actor_in(ctx, f"officer.{code}")
    supervisor = actor_in(ctx, f"supervisor.{code}")
    rooms, officers = rooms_and_officers(ctx, code)
    sync_chance = float(os.environ.get("SYNC_WORKER_SYNC_CHANCE", "0.3"))

    def check_in() -> str | None:
        appointment_id = _pick(ctx, rng, [code], (Status.BOOKED.value,))
        if appointment_id is None:
            return None
        with ctx.read() as s:
            reference = s.get_one(Appointment, appointment_id).reference
        checkin.check_in(ctx, counter, reference, force=True)
        return "check_in"

    def no_show() -> str | None:
        appointment_id = _pick(ctx, rng, [code], (Status.BOOKED.value,))
        if appointment_id is None:
            return None
        checkin.mark_no_show(ctx, counter, appointment_id)
        return "no_show"

    def start_meeting() -> str | None:
        appointment_id = _pick(ctx, rng, [code], (Status.ARRIVED.value,))
        if appointment_id is None:
            return None
        checkin.start_meeting(ctx, officer, appointment_id)
        return "start"

    def complete() -> str | None:
        appointment_id = _pick(ctx, rng, [code], (Status.IN_PROGRESS.value,))
        if appointment_id is None:
            return None
        checkin.complete(ctx, officer, appointment_id)
        return "complete"

    def walk_in() -> str | None:
        start = (DEMO_NOW + timedelta(days=rng.randint(1, 4))).replace(hour=rng.randint(6, 21), minute=0,
                                                                       second=0, microsecond=0)
        create_appointment(ctx, counter, code, rng.choice(rooms).id, rng.choice(officers).id, start, rng=rng)
        return "walk_in"

    def contact() -> str | None:
        appointment_id = _pick(ctx, rng, [code], (Status.BOOKED.value, Status.ARRIVED.value))
        if appointment_id is None:
            return None
        edit(ctx, supervisor, appointment_id, "appointment.update_contact",
             visitor_phone=f"07700 9{rng.randint(10000, 99999)}")
        return "contact"

    actions: list[Callable[[], str | None]] = [check_in, check_in, check_in, no_show, start_meeting, complete,
                                                walk_in, walk_in, contact]
    log.write(event="started")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        clock.advance(timedelta(seconds=1))
        try:
            kind = rng.choice(actions)()
        except FrontCounterError:
            kind = None  # a double booking or an illegal change, refused before anything was written
        if kind is not None:
            log.write(event="committed", kind=kind, **_last_op(ctx))
        if rng.random() < sync_chance:
            log.write(event="sync_start")
            try:
                report = sync_once(ctx.engine, central, code, clock=clock)
                log.write(event="synced", pushed=report.pushed, pulled=report.pulled_total)
            except FrontCounterError as exc:
                log.write(event="sync_failed", message=exc.message[:120])
    central.dispose()


def run_central(central_url: str, codes: list[str], seconds: float, seed: int, log_path: str) -> None:
    rng = random.Random(seed)
    clock = FixedClock(WORKER_NOW)
    engine = make_engine(central_url)
    ctx = central_context(engine, clock)
    log = Log(Path(log_path))
    fcr = actor_in(ctx, f"fcr.{codes[0]}")
    bookable = {code: rooms_and_officers(ctx, code) for code in codes}

    def cancel() -> str | None:
        appointment_id = _pick(ctx, rng, codes, (Status.BOOKED.value,))
        if appointment_id is None:
            return None
        _transition(ctx, fcr, appointment_id, Status.CANCELLED, "appointment.cancel", cancelled_at=clock.now(),
                    cancelled_by=fcr.username, cancel_reason="operational_demand")
        return "cancel"

    def move() -> str | None:
        appointment_id = _pick(ctx, rng, codes, (Status.BOOKED.value,))
        if appointment_id is None:
            return None
        with ctx.read() as s:
            row = s.get_one(Appointment, appointment_id)
            start = row.start_at + timedelta(hours=rng.choice((-2, -1, 1, 2, 24)))
        edit(ctx, fcr, appointment_id, "appointment.move", start_at=start, end_at=start + timedelta(hours=1))
        return "move"

    def book() -> str | None:
        code = rng.choice(codes)
        rooms, officers = bookable[code]
        start = (DEMO_NOW + timedelta(days=rng.randint(1, 4))).replace(hour=rng.randint(6, 21), minute=0,
                                                                       second=0, microsecond=0)
        create_appointment(ctx, fcr, code, rng.choice(rooms).id, rng.choice(officers).id, start,
                           op_type="appointment.book", rng=rng)
        return "book"

    def other_pc_check_in() -> str | None:
        appointment_id = _pick(ctx, rng, codes, (Status.BOOKED.value,))
        if appointment_id is None:
            return None
        _transition(ctx, fcr, appointment_id, Status.ARRIVED, "appointment.check_in", arrived_at=clock.now(),
                    checked_in_by="counter-pc-2")
        return "check_in"

    def contact() -> str | None:
        appointment_id = _pick(ctx, rng, codes, (Status.BOOKED.value,))
        if appointment_id is None:
            return None
        edit(ctx, fcr, appointment_id, "appointment.update_contact", visitor_email=f"v{rng.randint(1, 999)}@example.org")
        return "contact"

    actions: list[Callable[[], str | None]] = [cancel, move, move, book, book, book, other_pc_check_in, contact]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        clock.advance(timedelta(seconds=1))
        try:
            kind = rng.choice(actions)()
        except FrontCounterError:
            kind = None
        if kind is not None:
            log.write(event="committed", kind=kind)
        time.sleep(0.1)
    with ctx.read() as s:
        log.write(event="done", appointments=s.scalar(select(func.count()).select_from(Appointment)))
    engine.dispose()


def main(argv: list[str]) -> int:
    role = argv[0]
    if role == "station":
        data_dir, url, code, seconds, seed, log = argv[1:7]
        run_station(data_dir, url, code, float(seconds), int(seed), log)
    elif role == "central":
        _unused, url, codes, seconds, seed, log = argv[1:7]
        run_central(url, codes.split(","), float(seconds), int(seed), log)
    else:
        raise SystemExit(f"unknown role {role!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
