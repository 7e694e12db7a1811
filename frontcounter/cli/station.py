"""Setting up: ``demo``, ``db upgrade`` (the station cache, and the centre with --central) and
``--self-check`` (what the installer's smoke test runs)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from frontcounter.cli.common import (
    UsageError,
    _central_url,
    _paths,
)
from frontcounter.services.core.errors import FrontCounterError


def cmd_demo(args: argparse.Namespace) -> int:
    from frontcounter.runtime import create_demo
    from frontcounter.services.demo.seed import DEMO_STATION

    paths = _paths(args)
    station = args.station or DEMO_STATION
    summary = create_demo(paths, central_url=_central_url(args), station_code=station)
    if summary is None:
        print(f"The centre already holds data; station cache for {station} set up in {paths.data_dir}.")
    else:
        print(
            f"Demo ready in {paths.data_dir}: {summary.stations} stations, {summary.rooms} rooms, "
            f"{summary.officers} officers, {summary.users} users, {summary.appointments} appointments. "
            f"Station cache: {station}. Sign in as counter.{station} (password: demo)."
        )
        print(_demo_day_note(summary, station))
    return 0


def _demo_day_note(summary: Any, station: str) -> str:
    """What a newcomer will find at the counter now, so a late or Sunday start is not a surprise."""
    from frontcounter.services.core.clock import local
    from frontcounter.services.demo.seed import DEMO_STATION

    if station != DEMO_STATION:
        return f"The demo's visitors to check in are at {DEMO_STATION}."
    if summary.ahead_today:
        return f"{summary.ahead_today} visitors are still to come today at {station}."
    if summary.next_visitor_at is None:
        return f"No visitors are still to come at {station} this week."
    return f"No more visitors today at {station}; the next is due {local(summary.next_visitor_at):%a %d %b at %H:%M}."


def cmd_db(args: argparse.Namespace) -> int:
    from frontcounter.config import load_settings, save_settings
    from frontcounter.db.engine import make_engine, sqlite_url
    from frontcounter.db.migrate import current_revision, upgrade

    paths = _paths(args)
    paths.ensure()
    settings = load_settings(paths.config_file)
    if args.station:
        settings.station_code = args.station
    central = _central_url(args)
    if args.db_command == "create-role":
        return _create_role(args, central)
    if central:
        import keyring.errors
        from sqlalchemy.engine import make_url

        from frontcounter.services.security import secrets

        # A password typed into the URL goes to the keyring, never into config.json.
        password = make_url(central).password
        if password:
            try:
                secrets.store_password(central, str(password))
            except keyring.errors.KeyringError as exc:
                raise FrontCounterError(f"The OS keyring refused the central password ({exc.__class__.__name__}); "
                                        "nothing was saved.") from exc
        settings.central_url = secrets.strip_password(central)
    save_settings(paths.config_file, settings)
    local = make_engine(sqlite_url(paths.station_db))
    upgrade(local)
    print(f"Station cache {paths.station_db}: schema {current_revision(local)}")
    if central:
        from frontcounter.db.rls import install_row_level_security
        from frontcounter.services.security.secrets import central_engine

        engine = central_engine(central)
        try:
            upgrade(engine)
            install_row_level_security(engine)  # PostgreSQL only; idempotent
            print(f"Centre: schema {current_revision(engine)}")
        finally:
            engine.dispose()
    return 0


def _create_role(args: argparse.Namespace, central: str | None) -> int:
    """``db create-role``: the DBA's step that gives a station its own confined database login."""
    from frontcounter.db import rls
    from frontcounter.services.security.secrets import central_engine

    if not central or not central.startswith("postgresql"):
        raise UsageError("db create-role needs --central with a PostgreSQL URL.")
    if bool(args.for_station) == bool(args.fcr):
        raise UsageError("Give exactly one of --for-station CODE or --fcr.")
    password = os.environ.get("FRONTCOUNTER_ROLE_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise UsageError("Set FRONTCOUNTER_ROLE_PASSWORD or run in a terminal to type the role's password.")
        password = getpass.getpass(f"New password for database role {args.role}: ")
        if password != getpass.getpass("Again: "):
            raise FrontCounterError("The two passwords differ; nothing was changed.")
    engine = central_engine(central)
    try:
        if args.fcr:
            rls.create_fcr_role(engine, args.role, password or None)
            print(f"Role {args.role} created: it sees every station.")
        else:
            rls.create_station_role(engine, args.for_station, password or None, role=args.role)
            print(f"Role {args.role} created: it sees only station {args.for_station}.")
    except rls.RowSecurityError as exc:
        raise FrontCounterError(str(exc)) from exc
    finally:
        engine.dispose()
    return 0


def self_check(args: argparse.Namespace) -> int:
    """What the installer's smoke test runs: migrate a database, build a PDF, exit 0."""
    import tempfile

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from frontcounter.db.engine import make_engine, sqlite_url
    from frontcounter.db.migrate import current_revision, head_revision, upgrade

    base = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="frontcounter-self-check-"))
    base.mkdir(parents=True, exist_ok=True)
    engine = make_engine(sqlite_url(base / "self-check.sqlite"))
    upgrade(engine)
    if current_revision(engine) != head_revision():
        raise FrontCounterError("self-check: the database did not reach the schema head")
    engine.dispose()
    pdf = base / "self-check.pdf"
    try:
        from frontcounter.services.documents import fonts as pdf_fonts

        font = pdf_fonts.register_fonts()
    except ImportError:  # documents not built into this bundle
        font = "Helvetica"
    c = canvas.Canvas(str(pdf), pagesize=A4)
    c.setFont(font, 12)
    c.drawString(72, 800, "FrontCounter self-check — Łódź, محمد, 王芳")
    c.save()
    if pdf.stat().st_size < 500:
        raise FrontCounterError("self-check: the PDF is implausibly small")
    # The GUI toolkit, its plugins and the compiled resources must load in the bundle too.
    from PySide6.QtWidgets import QApplication

    from frontcounter.ui.theme import apply_theme, icon

    app = QApplication.instance() or QApplication(["frontcounter-self-check"])
    assert isinstance(app, QApplication)
    apply_theme(app, "calm")
    if icon("check-in").pixmap(24, 24).isNull():
        raise FrontCounterError("self-check: the compiled icons did not load")
    print(f"self-check ok: schema {head_revision()}, PDF {pdf.stat().st_size} bytes, font {font}, "
          f"Qt platform {app.platformName()}")
    return 0
