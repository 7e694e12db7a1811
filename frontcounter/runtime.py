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
from frontcounter.services import centre_clock, sync_pull
from frontcounter.services.auth import workstation_name
from frontcounter.services.centre_clock import CorrectedClock
from frontcounter.services.clock import Clock, default_clock
from frontcounter.services.context import ServiceContext
from frontcounter.services.demo import DEMO_STATION, DemoSummary, seed_central
from frontcounter.services.errors import FrontCounterError

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
    upgrade(engine)
    ctx = ServiceContext(
        engine=engine,
        clock=corrected_clock(engine, clock or default_clock()),
        station_code=code,
        workstation=settings.workstation or workstation_name(),
        policy=settings.policy(),
    )
    return StationRuntime(paths=paths, settings=settings, engine=engine, ctx=ctx)


def corrected_clock(engine: Engine, clock: Clock) -> CorrectedClock:
    """The station's clock, corrected by the offset to the centre's that the last sync measured
    (when it is beyond the limit; see services/centre_clock.py). Each sync updates it."""
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
    clock = clock or default_clock()
    paths.ensure()
    url = central_url or embedded_central_url(paths)
    central = make_engine(url)
    try:
        upgrade(central)
        summary = seed_central(central, clock)
        local = make_engine(sqlite_url(paths.station_db))
        upgrade(local)
        sync_pull.pull(central, local, station_code)
        local.dispose()
    finally:
        central.dispose()
    settings = load_settings(paths.config_file)
    settings.station_code = station_code
    from frontcounter.services import secrets

    if make_url(url).password:  # the password belongs in the keyring, never in config.json
        secrets.store_password(url, str(make_url(url).password))
    settings.central_url = secrets.strip_password(url)
    settings.demo = True
    save_settings(paths.config_file, settings)
    logger.info("demo ready in %s for station %s", paths.data_dir, station_code)
    return summary


def demo_exists(paths: Paths) -> bool:
    return Path(paths.station_db).exists() and load_settings(paths.config_file).station_code is not None
