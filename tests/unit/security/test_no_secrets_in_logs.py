"""After a scripted day (sign-ins with a distinctive password, a walk-in with distinctive personal
details, a briefing printed, an export, a purge, a sync, CLI commands), nothing in the data dir
but the databases, and nothing logged at any level, holds a password or the visitor's details.
The databases hold no password either (only scrypt hashes), and the config file and caches are
readable by their owner only."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontcounter.cli.main import main as cli_main
from frontcounter.config import load_settings, save_settings
from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.logging_setup import setup_logging
from frontcounter.paths import Paths
from frontcounter.runtime import open_station
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.security import secrets
from frontcounter.services.sync import station as sync
from tests import scripted_day

SECRETS = (scripted_day.CLERK_PASSWORD, "Quokka-Sunset-0000")
PERSONAL = (scripted_day.VISITOR_NAME, "Quenby", scripted_day.VISITOR_PHONE, "07700900461",
            scripted_day.VISITOR_EMAIL, scripted_day.SAFE_CONTACT)


@pytest.fixture
def fresh_logging(demo_dir: Path) -> Iterator[None]:
    """Log this test's process into the demo data dir at DEBUG (the app logs at INFO)."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, getattr(root, "_frontcounter_configured", False))
    root.handlers = [h for h in root.handlers if type(h).__name__ == "LogCaptureHandler"]
    root._frontcounter_configured = False  # type: ignore[attr-defined]
    setup_logging(Paths.resolve(demo_dir), console=True, level=logging.DEBUG)
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in saved[0]:
                handler.close()
        root.handlers, root.level = saved[0], saved[1]
        root._frontcounter_configured = saved[2]  # type: ignore[attr-defined]


def test_no_password_or_personal_data_outside_the_databases(
    demo_dir: Path, clock: FixedClock, tmp_path: Path, fresh_logging: None,
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    paths = Paths.resolve(demo_dir)
    central = make_engine(sqlite_url(paths.embedded_central_db))
    station = open_station(paths, clock=clock)
    try:
        scripted_day.add_clerk(central)
        sync.sync_once(station.engine, central, "HH", clock=clock)
        day = scripted_day.run_day(station, central, str(tmp_path))
        sync.sync_once(station.engine, central, "HH", clock=clock)
    finally:
        station.engine.dispose()
        central.dispose()
    # The same people at the command line, including refusals and a wrong password.
    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", scripted_day.CLERK_PASSWORD)
    base = ["--data-dir", str(demo_dir), "--user", scripted_day.CLERK]
    assert cli_main([*base, "appointments", "--json"]) == 0
    assert cli_main([*base, "briefing", day.reference, "-o", str(tmp_path / "b.pdf")]) == 1
    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", SECRETS[1])
    assert cli_main([*base, "check-in", day.reference]) == 1
    capsys.readouterr()

    logs = list(paths.log_dir.glob("*"))
    assert logs and logs[0].stat().st_size > 0  # the day did log something
    scanned = [p for p in paths.data_dir.rglob("*") if p.is_file() and ".sqlite" not in p.name]
    texts = {str(p): p.read_bytes().decode("utf-8", errors="replace") for p in scanned}
    texts["(log records)"] = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    for where, content in texts.items():
        for needle in (*SECRETS, *PERSONAL):
            assert needle not in content, f"{needle!r} found in {where}"
    # The databases hold personal data by design, but never a password.
    for db in paths.data_dir.glob("*.sqlite*"):
        content = db.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in content, f"{secret!r} in {db.name}"


def test_files_are_owner_only(demo_dir: Path) -> None:
    paths = Paths.resolve(demo_dir)
    open_station(paths).engine.dispose()
    assert stat.S_IMODE(os.stat(paths.data_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(paths.log_dir).st_mode) == 0o700
    for path in (paths.station_db, paths.embedded_central_db, paths.config_file):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_a_central_password_goes_to_the_keyring_not_the_config(tmp_path: Path, memory_keyring: object) -> None:
    url = "postgresql+psycopg://station_hh:Cent-Pa55-9911@central.example/frontcounter?sslmode=require"
    assert "Cent-Pa55-9911" not in secrets.strip_password(url)
    assert "Cent-Pa55-9911" not in secrets.redact_url(url)
    secrets.store_password(url, "Cent-Pa55-9911")
    assert secrets.load_password(secrets.strip_password(url)) == "Cent-Pa55-9911"
    # The keyring entry is named by the URL without its password.
    assert all("Cent-Pa55-9911" not in name for (_service, name) in memory_keyring.store)  # type: ignore[attr-defined]
    config = tmp_path / "config.json"
    settings = load_settings(config)
    settings.central_url = secrets.strip_password(url)
    save_settings(config, settings)
    assert "Cent-Pa55-9911" not in config.read_text()
