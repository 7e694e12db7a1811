"""Open the pieces a process needs from its data dir: settings, the migrated station cache, the
service context, and (on request) the centre. Shared by the CLI and the GUI start-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from frontcounter.config import Settings, load_settings, save_settings
from frontcounter.db.engine import make_engine, make_session_factory, sqlite_url
from frontcounter.db.migrate import upgrade
from frontcounter.paths import Paths
from frontcounter.services.core.clock import Clock, default_clock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.demo.seed import DEMO_STATION, DemoSummary, seed_central
from frontcounter.services.security.auth import workstation_name
from frontcounter.services.sync import centre_clock
from frontcounter.services.sync import pull as sync_pull
from frontcounter.services.sync.centre_clock import CorrectedClock
from frontcounter.startup_problems import MigrationFailed, describe

logger = logging.getLogger(__name__)


@dataclass
class StationRuntime:
    paths: Paths
    settings: Settings
    engine: Engine
    ctx: ServiceContext


class NotConfigured(FrontCounterError):
    pass


def open_station(paths: Paths, *, clock: Clock | None = None, station_code: str | None = None) -> StationRuntime:
    """The station cache under ``paths``, migrated to this build's schema."""
    paths.ensure()
    settings = load_settings(paths.config_file)
    code = station_code or settings.station_code
    if not code:
        raise NotConfigured(
            f"No station is configured in {paths.data_dir}. Run 'frontcounter demo' for the demo, or "
            "'frontcounter --station CODE --central URL db upgrade' to set up a station."
        )
    engine = make_engine(sqlite_url(paths.station_db))
    _migrate(engine, paths)
    ctx = ServiceContext(
        engine=engine,
        clock=corrected_clock(engine, clock or default_clock()),
        station_code=code,
        workstation=settings.workstation or workstation_name(),
        policy=settings.policy(),
    )
    return StationRuntime(paths=paths, settings=settings, engine=engine, ctx=ctx)


def open_centre(paths: Paths, *, clock: Clock | None = None, central_url: str | None = None) -> StationRuntime:
    """The FCR desk's runtime: the centre itself (PostgreSQL, or the demo's embedded SQLite centre),
    with no station cache. Commands take their versions from the central clock
    (``ctx.mode == "central"``); bookings reach the stations on their next sync.

    The centre is not migrated from here (its DBA does that with ``db upgrade``): a centre whose
    schema is not this build's is refused, and an unreachable one is said in words."""
    from sqlalchemy.exc import DBAPIError

    from frontcounter.services.sync import connection

    paths.ensure()
    settings = load_settings(paths.config_file)
    url = central_url or settings.central_url
    if not url:
        raise NotConfigured(
            "This FCR desk has no centre configured: set the central database in Settings (Connection), "
            "or run 'frontcounter --demo --fcr' for the demo."
        )
    engine = connection.open_central(url)
    try:
        connection.check_schema(engine)
    except (DBAPIError, OSError) as exc:
        engine.dispose()
        translated = connection.classify(exc, url, consequence=(
            "The FCR desk works on the centre directly and cannot open without it; nothing is lost. "
            "Retry when the link is back."))
        if translated is None:
            raise
        raise translated from exc
    except FrontCounterError:
        engine.dispose()
        raise
    ctx = ServiceContext(
        engine=engine,
        clock=clock or default_clock(),
        station_code=None,
        workstation=settings.workstation or workstation_name(),
        mode="central",
        policy=settings.policy(),
    )
    return StationRuntime(paths=paths, settings=settings, engine=engine, ctx=ctx)


def _migrate(engine: Engine, paths: Paths) -> None:
    """Bring the cache to this build's schema; a failure that is not the file's state (locked,
    read-only, disk full: said as such by startup_problems) is a failed migration, said in words."""
    try:
        upgrade(engine)
    except Exception as exc:
        engine.dispose()
        text = describe(exc, paths.data_dir)
        if text.startswith("FrontCounter could not open"):  # not locked, read-only, full or damaged
            raise MigrationFailed(
                f"The station database {paths.station_db} could not be brought up to date for this version "
                f"of FrontCounter (migration failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}). "
                "Ask IT to check the log; the centre still holds every record."
            ) from exc
        raise


def _station_name_in(engine: Engine, code: str) -> str | None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from frontcounter.db.models import Station

    with Session(engine) as session:
        return session.scalars(select(Station.name).where(Station.code == code)).first()


def station_name(runtime: StationRuntime) -> str | None:
    """The station's name from the cache, or None when the cache does not know the station yet."""
    from frontcounter.services.core.appointments import station_by_code

    try:
        with runtime.ctx.read() as session:
            return station_by_code(session, runtime.ctx.station_code or "").name
    except FrontCounterError:
        return None


def remember_station_name(runtime: StationRuntime) -> None:
    """Keep the name in config.json so the next start-up's first frame can show it."""
    name = station_name(runtime)
    if name and name != runtime.settings.station_name:
        runtime.settings.station_name = name
        current = load_settings(runtime.paths.config_file)
        current.station_name = name
        save_settings(runtime.paths.config_file, current)


def corrected_clock(engine: Engine, clock: Clock) -> CorrectedClock:
    """The station's clock, corrected by the offset to the centre's that the last sync measured
    (when it is beyond the limit; see services/sync/centre_clock.py). Each sync updates it."""
    with make_session_factory(engine)() as s:
        offset = centre_clock.recorded_offset(s)
    return CorrectedClock(clock, offset or timedelta(0))


def embedded_central_url(paths: Paths) -> str:
    return sqlite_url(paths.embedded_central_db)


def create_demo(
    paths: Paths,
    *,
    clock: Clock | None = None,
    central_url: str | None = None,
    station_code: str = DEMO_STATION,
) -> DemoSummary | None:
    """Seed the demo into the centre (when empty) and set up this data dir's cache for a station.

    Returns what was seeded, or None when the centre already held data (then only the cache is
    set up and pulled).
    """
    from frontcounter.services.security import secrets

    clock = clock or default_clock()
    paths.ensure()
    url = central_url or embedded_central_url(paths)
    if make_url(url).password:  # the password belongs in the keyring, never in config.json: before
        secrets.store_password(url, str(make_url(url).password))  # anything is seeded, so no keyring stops all
    central = make_engine(url)
    try:
        upgrade(central)
        summary = seed_central(central, clock)
        local = make_engine(sqlite_url(paths.station_db))
        upgrade(local)
        sync_pull.pull(central, local, station_code)
        name = _station_name_in(local, station_code)
        local.dispose()
    finally:
        central.dispose()
    settings = load_settings(paths.config_file)
    settings.station_code = station_code
    settings.station_name = name
    settings.central_url = secrets.strip_password(url)
    settings.demo = True
    save_settings(paths.config_file, settings)
    logger.info("demo ready in %s for station %s", paths.data_dir, station_code)
    return summary


def demo_exists(paths: Paths) -> bool:
    return Path(paths.station_db).exists() and load_settings(paths.config_file).station_code is not None


def demo_has_ended(paths: Paths, clock: Clock | None = None) -> bool:
    """True when an embedded demo holds no appointment from today on: its week is over, so the
    Today view would be empty for a newcomer who comes back to it days later."""
    from sqlalchemy import func, select

    from frontcounter.db.models import Appointment
    from frontcounter.services.core.clock import local_day_bounds, local_today

    settings = load_settings(paths.config_file)
    if not settings.demo or not Path(paths.embedded_central_db).exists():
        return False  # a demo seeded into a real centre is not ours to replace
    start, _ = local_day_bounds(local_today(clock or default_clock()))
    engine = make_engine(embedded_central_url(paths))
    try:
        with engine.connect() as connection:
            return not connection.scalar(select(func.count()).select_from(Appointment)
                                         .where(Appointment.start_at >= start))
    finally:
        engine.dispose()


def ensure_demo(paths: Paths, *, station_code: str, clock: Clock | None = None) -> None:
    """The embedded demo for ``--demo``: created when missing, and made afresh when its week has
    ended (nothing in it is worth keeping: it is demo data in a folder of its own)."""
    if demo_exists(paths) and demo_has_ended(paths, clock):
        logger.info("the demo in %s has no appointments left; seeding a new week", paths.data_dir)
        for path in (paths.station_db, paths.embedded_central_db):
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    if not demo_exists(paths):
        create_demo(paths, clock=clock, station_code=station_code)
