"""Helpers the sync tests share: a central writer, station-side commands that need no UI, a
comparison of a station cache with the centre, a loopback TCP proxy that cuts links on demand, and
a fake PostgreSQL server that refuses every password.

Commands here go through ``frontcounter.services.core.commands.command`` like every real one, so each
leaves one audit event and (at a station) one outbox entry, or (at the centre) a new version.
"""

from __future__ import annotations

import random
import select
import socket
import struct
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session

from frontcounter.db.engine import make_session_factory
from frontcounter.db.models import SYNCED_MODELS, Appointment, Officer, Room, Station, Status, User
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import Clock
from frontcounter.services.core.commands import command
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.references import new_reference
from frontcounter.services.core.rowcodec import LOCAL_ONLY_COLUMNS
from frontcounter.services.security.auth import actor_for
from frontcounter.services.sync.pull import STATION_SCOPED
from tests.demo_keys import with_demo_key


def central_context(engine: Engine, clock: Clock) -> ServiceContext:
    return ServiceContext(engine=engine, clock=clock, mode="central", workstation="fcr-desk")


def actor_in(ctx: ServiceContext, username: str) -> Actor:
    with ctx.read() as s:
        user = s.scalars(sa_select(User).where(User.username == username)).one()
        station = s.get(Station, user.station_id) if user.station_id else None
        return with_demo_key(actor_for(user, station, ctx.workstation), user.wrapped_private_key)


def edit(ctx: ServiceContext, actor: Actor, appointment_id: uuid.UUID, op_type: str = "test.edit",
         **changes: Any) -> None:
    """Change fields of one appointment as one command (central: a new version; station: an op)."""
    with command(ctx, actor, category="alteration", action=op_type, record=f"appointment:{appointment_id}") as scope:
        row = scope.session.get_one(Appointment, appointment_id)
        base = row.version
        for key, value in changes.items():
            setattr(row, key, value)
        scope.changed(row, op_type, base_version=base, changes=changes)


def cancel(ctx: ServiceContext, actor: Actor, appointment_id: uuid.UUID) -> None:
    edit(ctx, actor, appointment_id, "appointment.cancel", status=Status.CANCELLED.value,
         cancelled_at=ctx.clock.now(), cancelled_by=actor.username, cancel_reason="operational_demand")


def create_appointment(
    ctx: ServiceContext, actor: Actor, station_code: str, room_id: uuid.UUID, officer_id: uuid.UUID | None,
    start: datetime, *, op_type: str = "appointment.walk_in", minutes: int = 60, rng: random.Random | None = None,
) -> uuid.UUID:
    """A booking as one command (the whole row travels: created=True)."""
    with ctx.read() as s:
        station_id = s.scalars(sa_select(Station.id).where(Station.code == station_code)).one()
    reference = new_reference(station_code, rng)
    with command(ctx, actor, category="collection", action=op_type, record=f"appointment:{reference}") as scope:
        appt = Appointment(
            id=uuid.uuid4(), reference=reference, station_id=station_id, room_id=room_id,
            officer_id=officer_id, start_at=start, end_at=start + timedelta(minutes=minutes), channel="walk_in",
            reason="report_crime", visitor_name="Test Visitor", visitor_phone="07700 900123",
            status=Status.BOOKED.value, created_at=scope.now, created_by=actor.username, version=0, deleted=False,
            vulnerability_flags=[],
        )
        scope.session.add(appt)
        scope.session.flush()
        scope.changed(appt, op_type, base_version=0, created=True)
        return appt.id


def rooms_and_officers(ctx: ServiceContext, station_code: str) -> tuple[list[Room], list[Officer]]:
    with ctx.read() as s:
        station = s.scalars(sa_select(Station).where(Station.code == station_code)).one()
        rooms = list(s.scalars(sa_select(Room).where(Room.station_id == station.id).order_by(Room.name)))
        officers = list(s.scalars(sa_select(Officer).where(Officer.station_id == station.id)
                                  .order_by(Officer.collar_number)))
        return rooms, officers


# -- comparing a station cache with the centre --------------------------------------------------


def scoped_rows(engine: Engine, station_code: str) -> dict[str, dict[uuid.UUID, dict[str, Any]]]:
    """Every synced row a station should hold, by table and id, without per-workstation columns."""
    with make_session_factory(engine)() as s:
        station_id = s.scalars(sa_select(Station.id).where(Station.code == station_code)).one()
        out: dict[str, dict[uuid.UUID, dict[str, Any]]] = {}
        for model in SYNCED_MODELS:
            table = model.__table__  # type: ignore[attr-defined]
            query = sa_select(table)
            if model in STATION_SCOPED:
                query = query.where(table.c.station_id == station_id)
            out[table.name] = {
                r.id: {k: v for k, v in r._mapping.items() if k not in LOCAL_ONLY_COLUMNS}
                for r in s.execute(query)
            }
        return out


def differences(station: Engine, centre: Engine, station_code: str, limit: int = 10) -> list[str]:
    """What differs between a station cache and the centre for the station's scope (empty: equal)."""
    here, there = scoped_rows(station, station_code), scoped_rows(centre, station_code)
    found: list[str] = []
    for table, rows in there.items():
        mine = here[table]
        for row_id in rows.keys() - mine.keys():
            found.append(f"{table} {row_id}: missing at the station")
        for row_id in mine.keys() - rows.keys():
            if not mine[row_id].get("deleted"):  # (a refused new record is kept here, set aside)
                found.append(f"{table} {row_id}: at the station only")
        for row_id in rows.keys() & mine.keys():
            a, b = mine[row_id], rows[row_id]
            diff = sorted(k for k in b if _norm(a.get(k)) != _norm(b.get(k)))
            if diff:
                found.append(f"{table} {row_id}: {', '.join(f'{k}={a.get(k)!r}/{b.get(k)!r}' for k in diff)}")
        if len(found) >= limit:
            break
    return found[:limit]


def _norm(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 9)
    return value


def double_bookings(session: Session) -> list[tuple[str, str]]:
    """Pairs of live appointments that share a room or an officer at overlapping times."""
    live = [a for a in session.scalars(sa_select(Appointment).where(Appointment.deleted.is_(False)))
            if a.status not in (Status.CANCELLED.value, Status.RESCHEDULED.value)]
    clashes = []
    for field in ("room_id", "officer_id"):
        by_key: dict[Any, list[Appointment]] = {}
        for a in live:
            if getattr(a, field) is not None:
                by_key.setdefault(getattr(a, field), []).append(a)
        for group in by_key.values():
            group.sort(key=lambda a: a.start_at)
            for first, second in zip(group, group[1:], strict=False):
                if second.start_at < first.end_at:
                    clashes.append((first.reference, second.reference))
    return clashes


# -- a loopback TCP proxy that cuts links on demand ----------------------------------------------


class CuttingProxy:
    """127.0.0.1 proxy in front of PostgreSQL that can drop every link at a chosen moment.

    ``cut()`` closes every open link now; ``down = True`` also refuses new ones (the centre is
    unreachable); ``cut_after_client_sends(marker)`` forwards the client's message containing
    ``marker`` (e.g. the simple-query message b"Q\\x00\\x00\\x00\\x0bCOMMIT\\x00") to the server and then drops the link before the server's answer
    comes back: the transaction commits at the centre but the station never hears so.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.down = False
        self._marker: bytes | None = None
        self.cuts = 0
        self.bytes_up = 0
        self.bytes_down = 0
        self._budget: dict[str, int] = {}
        self._links: set[tuple[socket.socket, socket.socket]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="cutting-proxy", daemon=True)
        self._thread.start()

    def url_for(self, url: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def cut(self) -> None:
        with self._lock:
            links = list(self._links)
            self._links.clear()
            if links:
                self.cuts += 1
        for client, server in links:
            _close(client)
            _close(server)

    def cut_after_client_sends(self, marker: bytes) -> None:
        self._marker = marker

    def cut_after_bytes(self, count: int, direction: str = "up") -> None:
        """Drop every link once ``count`` more bytes have gone up (to the server) or down."""
        with self._lock:
            self._budget = {direction: count}

    def close(self) -> None:
        self._stop.set()
        self.cut()
        _close(self._listener)
        self._thread.join(timeout=5)

    def _accept_loop(self) -> None:
        self._listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            if self.down:
                _close(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            link = (client, server)
            with self._lock:
                self._links.add(link)
            threading.Thread(target=self._pump, args=(link,), daemon=True).start()

    def _spend(self, direction: str, data: bytes) -> bytes:
        """Forward only what is left of an armed byte budget (all of it when none is armed)."""
        with self._lock:
            return _spend_budget(self._budget, direction, data)

    def _lose_answer(self, link: tuple[socket.socket, socket.socket]) -> None:
        """The client's message reached the server; drop the client now and swallow the answer.

        The server side stays open until the answer arrives, so the server really processes the
        message (a COMMIT commits) rather than seeing a reset link first.
        """
        client, server = link
        with self._lock:
            self._links.discard(link)
        _close(client)
        server.settimeout(5)
        with suppress(OSError):
            server.recv(65536)
        _close(server)

    def _pump(self, link: tuple[socket.socket, socket.socket]) -> None:
        client, server = link
        try:
            while not self._stop.is_set():
                with self._lock:
                    if link not in self._links:
                        return
                readable, _, _ = select.select([client, server], [], [], 0.1)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        raise ConnectionError
                    direction = "up" if sock is client else "down"
                    data = self._spend(direction, data)
                    (server if sock is client else client).sendall(data)
                    if direction == "up":
                        self.bytes_up += len(data)
                        marker = self._marker
                        if marker is not None and marker in data:
                            self._marker = None
                            self.cuts += 1
                            self._lose_answer(link)
                            return
                    else:
                        self.bytes_down += len(data)
                    if self._budget.get(direction) == 0:
                        self._budget = {}
                        self.cut()
                        return
        except (OSError, ConnectionError, ValueError):
            pass
        finally:
            with self._lock:
                self._links.discard(link)
            _close(client)
            _close(server)


def _spend_budget(budget: dict[str, int], direction: str, data: bytes) -> bytes:
    left = budget.get(direction)
    if left is None:
        return data
    data = data[:left]
    budget[direction] = left - len(data)
    return data


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@contextmanager
def cutting_proxy(pg_url: str) -> Iterator[CuttingProxy]:
    from sqlalchemy.engine import make_url

    parsed = make_url(pg_url)
    proxy = CuttingProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    try:
        yield proxy
    finally:
        proxy.close()


# -- a PostgreSQL server that refuses every password ---------------------------------------------


@contextmanager
def refusing_server() -> Iterator[int]:
    """A loopback server speaking just enough of the PostgreSQL protocol to refuse a password."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                conn.settimeout(5)
                while True:
                    length = struct.unpack("!I", _recv(conn, 4))[0]
                    body = _recv(conn, length - 4)
                    code = struct.unpack("!I", body[:4])[0]
                    if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest: not offered
                        conn.sendall(b"N")
                        continue
                    break
                fields = (b"SFATAL\x00VFATAL\x00C28P01\x00"
                          b'Mpassword authentication failed for user "station_hh"\x00\x00')
                conn.sendall(b"E" + struct.pack("!I", len(fields) + 4) + fields)
            except OSError:
                pass
            finally:
                _close(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def _recv(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError
        data += chunk
    return data
