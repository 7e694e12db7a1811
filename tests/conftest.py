"""Shared fixtures: a fake clock, a fresh demo data dir, an in-memory keyring, real PostgreSQL.

Nothing here touches the real home: the data dir, the keyring and Qt's platform are redirected.
PostgreSQL-backed tests get a database of their own, made and dropped around them; where the
server is unreachable they skip with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from frontcounter.paths import Paths  # noqa: E402
from frontcounter.runtime import StationRuntime, create_demo, open_station  # noqa: E402
from frontcounter.services.core.actor import Actor  # noqa: E402
from frontcounter.services.core.clock import CLOCK_ENV, FixedClock  # noqa: E402
from frontcounter.services.security.auth import actor_for  # noqa: E402
from tests.demo_keys import with_demo_key  # noqa: E402

#: A Monday evening in an evening session (17:00–20:00 Sun–Thu): the demo's "now" in tests.
DEMO_NOW = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
PG_URL = os.environ.get("FRONTCOUNTER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("FRONTCOUNTER_DATA_DIR", str(tmp_path / "default-data-dir"))
    yield backend
    keyring.set_keyring(previous)


class SharedClock(FixedClock):
    """The fixture clock, mirrored into CLOCK_ENV whenever it moves, so a CLI call, the GUI start-up
    or a subprocess started by the test reads the same "now" as the data the fixture built."""

    def __init__(self, at: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        super().__init__(at)
        self._publish()

    def _publish(self) -> None:
        self._monkeypatch.setenv(CLOCK_ENV, self.now().isoformat())

    def set(self, at: datetime) -> None:
        super().set(at)
        self._publish()

    def advance(self, delta: timedelta) -> None:
        super().advance(delta)
        self._publish()


@pytest.fixture(autouse=True)
def root_logging() -> Iterator[None]:
    """The root logger as it was before each test: a CLI run in one test adds a handler on that
    test's captured stderr, which a later test's background-task error would write to once closed."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configured = root.__dict__.get("_frontcounter_configured")
    yield
    for handler in list(root.handlers):
        if handler not in handlers and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    if configured is None:
        root.__dict__.pop("_frontcounter_configured", None)
    else:
        root.__dict__["_frontcounter_configured"] = configured


@pytest.fixture(autouse=True)
def process_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test's processes run at DEMO_NOW unless the ``clock`` fixture moves them: nothing in
    the suite may read the wall clock (the suite runs under faketime at awkward instants to prove it)."""
    monkeypatch.setenv(CLOCK_ENV, DEMO_NOW.isoformat())


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo built once per test session; each test gets a copy."""
    base = tmp_path_factory.mktemp("demo-template")
    create_demo(Paths.resolve(base), clock=FixedClock(DEMO_NOW))
    return base


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    return SharedClock(DEMO_NOW, monkeypatch)


@pytest.fixture
def demo_dir(demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo whose config points at the copy's own embedded centre, so a
    test that syncs never writes into the shared template that later tests copy."""
    from frontcounter.config import load_settings, save_settings
    from frontcounter.runtime import embedded_central_url

    target = tmp_path / "demo"
    shutil.copytree(demo_template, target)
    paths = Paths.resolve(target)
    settings = load_settings(paths.config_file)
    settings.central_url = embedded_central_url(paths)
    save_settings(paths.config_file, settings)
    return target


@pytest.fixture
def station(demo_dir: Path, clock: FixedClock) -> Iterator[StationRuntime]:
    """The demo's Hemel Hempstead station cache, opened with the fake clock."""
    runtime = open_station(Paths.resolve(demo_dir), clock=clock)
    yield runtime
    runtime.engine.dispose()


def actor_named(runtime: StationRuntime, username: str) -> Actor:
    """An Actor for a demo user without paying for the password hash in every test; a reader's
    session key is unwrapped with the demo password (once per key: ``demo_session_key``)."""
    from sqlalchemy import select

    from frontcounter.db.models import Station, User

    with runtime.ctx.read() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        station = session.get(Station, user.station_id) if user.station_id else None
        return with_demo_key(actor_for(user, station, runtime.ctx.workstation), user.wrapped_private_key)



@pytest.fixture
def counter(station: StationRuntime) -> Actor:
    return actor_named(station, "counter.HH")


@pytest.fixture
def supervisor(station: StationRuntime) -> Actor:
    return actor_named(station, "supervisor.HH")


@pytest.fixture
def officer(station: StationRuntime) -> Actor:
    return actor_named(station, "officer.HH")


def _pg_admin_url() -> str:
    return PG_URL


@pytest.fixture(scope="session")
def pg_available() -> str:
    """The PostgreSQL URL, or skip (fail under CI=true) with the reason it cannot be reached."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(_pg_admin_url(), connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to reach the server is the reason to skip
        reason = f"PostgreSQL at {PG_URL} unreachable: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return PG_URL


@pytest.fixture
def pg_url(pg_available: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"fc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_available, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_available).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
