"""``frontcounter``: a thin command line over the same services the GUI uses (DESIGN.md section 6).

Form: ``frontcounter [GLOBAL OPTIONS] SUBCOMMAND ...``; the global options are accepted after the
subcommand too. Exit codes: 0 ok, 1 a user error with a one-line message, 2 usage. Without a
subcommand it starts the GUI.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from frontcounter import __version__
from frontcounter.paths import Paths
from frontcounter.services.errors import FrontCounterError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from frontcounter.runtime import StationRuntime

logger = logging.getLogger(__name__)

ENV_CENTRAL_URL = "FRONTCOUNTER_CENTRAL_URL"
ENV_PASSWORD = "FRONTCOUNTER_PASSWORD"


class UsageError(FrontCounterError):
    """Bad options that argparse could not catch; exit code 2."""


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--data-dir", default=default, metavar="DIR",
                        help="all state lives here (env FRONTCOUNTER_DATA_DIR)")
    parser.add_argument("--central", default=default, metavar="URL",
                        help="the central database URL (env FRONTCOUNTER_CENTRAL_URL)")
    parser.add_argument("--station", default=default, metavar="CODE", help="station code, e.g. HH")
    parser.add_argument("--user", default=default, metavar="NAME",
                        help="sign in as NAME (password from the prompt or FRONTCOUNTER_PASSWORD)")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    parser = argparse.ArgumentParser(
        prog="frontcounter",
        description="FrontCounter: police station front-counter appointments. Without a subcommand, "
        "starts the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"frontcounter {__version__}")
    _global_options(parser, suppress=False)
    parser.add_argument("--demo", action="store_true", help="start the app on the embedded demo (created if missing)")
    parser.add_argument("--self-check", action="store_true",
                        help="open and migrate a database, build a PDF, exit 0 (the installer's smoke test)")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")

    p = sub.add_parser("demo", parents=[common], help="create the embedded demo (or seed a central database)")
    p.add_argument("--seed", type=int, default=None, help="random seed for the demo data")

    p = sub.add_parser("db", parents=[common], help="database maintenance")
    dbsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    dbsub.add_parser("upgrade", parents=[common], help="migrate the station cache (and the centre with --central)")
    role = dbsub.add_parser("create-role", parents=[common],
                            help="create or reset a PostgreSQL login role confined to one station (or the FCR's)")
    role.add_argument("role", metavar="ROLE", help="the login role's name, e.g. frontcounter_station_hh")
    role.add_argument("--for-station", metavar="CODE", help="the station this role may see")
    role.add_argument("--fcr", action="store_true", help="a Force Communications Room role: every station")

    p = sub.add_parser("sync", parents=[common], help="sync the station cache with the centre")
    p.add_argument("--once", action="store_true", help="run one sync and report what moved")
    p.add_argument("--set-password", action="store_true",
                   help="ask for the central database password and keep it in the OS keyring first")
    check = p.add_mutually_exclusive_group()
    check.add_argument("--verify", action="store_true",
                       help="compare the cache with the centre (count and hash per table, then per row); "
                            "exit 0 if equal, 3 if not")
    check.add_argument("--repair", action="store_true",
                       help="verify, re-pull the rows that differ, verify again (exit 0 if equal after, 3 if not)")

    p = sub.add_parser("appointments", parents=[common], help="the station's appointments for a day")
    p.add_argument("--date", type=date.fromisoformat, default=None, metavar="D", help="YYYY-MM-DD (default today)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("briefing", parents=[common], help="write the briefing PDF for an appointment")
    p.add_argument("reference")
    p.add_argument("-o", "--output", required=True, metavar="FILE")

    p = sub.add_parser("day-sheet", parents=[common], help="write the day sheet PDF")
    p.add_argument("--date", type=date.fromisoformat, default=None, metavar="D")
    p.add_argument("--confidential", action="store_true", help="the officers' version, with confidential content")
    p.add_argument("-o", "--output", required=True, metavar="FILE")

    p = sub.add_parser("slip", parents=[common], help="write the visitor's confirmation slip PDF")
    p.add_argument("reference")
    p.add_argument("-o", "--output", required=True, metavar="FILE")

    p = sub.add_parser("check-in", parents=[common], help="check a visitor in by reference")
    p.add_argument("reference")
    p.add_argument("--force", action="store_true", help="check in even if early, late or on another day")

    p = sub.add_parser("import", parents=[common], help="import appointments from command and control (CSV/JSON)")
    p.add_argument("file", type=Path)

    p = sub.add_parser("purge", parents=[common], help="erase personal data past its retention period "
                       "(at the centre with --central)")
    p.add_argument("--if-due", action="store_true",
                   help="only if no purge ran in the last 24 hours (for a scheduler)")

    p = sub.add_parser("audit", parents=[common], help="the audit log")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=200)

    # After "report", --station names the station reported on (not the cache to open): "resolve"
    # lets it replace the global option of the same name for this subcommand only.
    # A parent of its own: "resolve" edits the parent's shared option objects in place, and on the
    # common parent it would turn --station into a positional for every other subcommand.
    report_common = argparse.ArgumentParser(add_help=False)
    _global_options(report_common, suppress=True)
    p = sub.add_parser("report", parents=[report_common], conflict_handler="resolve",
                       help="figures for station managers (with --central URL: every station, from the centre)")
    p.add_argument("--from", dest="date_from", type=date.fromisoformat, required=True, metavar="D")
    p.add_argument("--to", dest="date_to", type=date.fromisoformat, required=True, metavar="D")
    p.add_argument("--station", dest="report_station", default=None, metavar="CODE",
                   help="report on this station only (the FCR; a supervisor always gets their own)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser


# ---------------------------------------------------------------------------------------------
# Helpers shared by subcommands


def _paths(args: argparse.Namespace) -> Paths:
    return Paths.resolve(args.data_dir)


def _central_url(args: argparse.Namespace) -> str | None:
    return args.central or os.environ.get(ENV_CENTRAL_URL)


def _open(args: argparse.Namespace) -> Any:
    from frontcounter.runtime import open_station

    return open_station(_paths(args), station_code=args.station)


def _sign_in(args: argparse.Namespace, runtime: Any) -> Any:
    """Sign in as ``--user``; a demo data dir falls back to its counter user."""
    from frontcounter.services.auth import sign_in
    from frontcounter.services.demo import DEMO_PASSWORD

    username = args.user
    password = os.environ.get(ENV_PASSWORD)
    if username is None:
        if not runtime.settings.demo:
            raise UsageError("--user NAME is required (the password comes from the prompt or FRONTCOUNTER_PASSWORD).")
        username = f"counter.{runtime.ctx.station_code}"
        password = DEMO_PASSWORD if password is None else password
    if password is None:
        if not sys.stdin.isatty():
            raise UsageError(f"No password for {username}: set FRONTCOUNTER_PASSWORD or run in a terminal.")
        password = getpass.getpass(f"Password for {username}: ")
    return sign_in(runtime.ctx, username, password)


def _write_bytes(path: str, data: bytes) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


# ---------------------------------------------------------------------------------------------
# Subcommands


def cmd_demo(args: argparse.Namespace) -> int:
    from frontcounter.runtime import create_demo
    from frontcounter.services.demo import DEMO_STATION

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
    from frontcounter.services.clock import local
    from frontcounter.services.demo import DEMO_STATION

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

        from frontcounter.services import secrets

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
        from frontcounter.services.secrets import central_engine

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
    from frontcounter.services.secrets import central_engine

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


def cmd_appointments(args: argparse.Namespace) -> int:
    from frontcounter.services import appointments
    from frontcounter.services.clock import local, local_today

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    day = args.date or local_today(runtime.ctx.clock)
    views = appointments.list_day(runtime.ctx, actor, day)
    if args.json:
        print(json.dumps([appointment_json(v) for v in views], ensure_ascii=False, indent=2))
        return 0
    print(f"{runtime.ctx.station_code} — {day:%a %d %b %Y} — {len(views)} appointments")
    for v in views:
        print(f"{local(v.start):%H:%M}  {v.reference:<9} {v.status:<12} {v.room_name:<17} "
              f"{v.officer_label:<28} {v.visitor_name or ''}")
    return 0


def appointment_json(v: Any) -> dict[str, Any]:
    """The contract of ``appointments --json`` (DESIGN.md section 6); extend, never rename."""
    from frontcounter.services.clock import local

    return {
        "reference": v.reference,
        "station": v.station_code,
        "start": local(v.start).isoformat(),
        "end": local(v.end).isoformat(),
        "status": v.status,
        "room": v.room_name,
        "officer": v.officer_label if v.officer_id else None,
        "visitor_name": v.visitor_name,
        "at_risk": v.at_risk,
        "reason": v.reason,
        "channel": v.channel,
        "interpreter_language": v.interpreter_language,
        "arrived_at": local(v.arrived_at).isoformat() if v.arrived_at else None,
        "id": str(v.id),
    }


def cmd_check_in(args: argparse.Namespace) -> int:
    from frontcounter.services import checkin
    from frontcounter.services.clock import local

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    # A reference this cache does not hold is asked about at the centre, when one is configured.
    url = _central_url(args) or runtime.settings.central_url
    lookup = checkin.central_lookup_at(url) if url else None
    result = checkin.check_in(runtime.ctx, actor, args.reference, force=args.force, remote_lookup=lookup)
    v = result.appointment
    print(f"Checked in {v.reference} at {local(v.arrived_at or v.start):%H:%M}: {v.room_name}, {v.officer_label}.")
    if result.warning:
        print(result.warning)
    return 0


def cmd_briefing(args: argparse.Namespace) -> int:
    from frontcounter.services import documents

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    _write_bytes(args.output, documents.briefing_pdf(runtime.ctx, actor, args.reference, recipient=args.output))
    print(f"Briefing for {args.reference} written to {args.output}")
    return 0


def cmd_day_sheet(args: argparse.Namespace) -> int:
    from frontcounter.services import documents
    from frontcounter.services.clock import local_today

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    day = args.date or local_today(runtime.ctx.clock)
    _write_bytes(args.output, documents.day_sheet_pdf(runtime.ctx, actor, day, confidential=args.confidential))
    print(f"Day sheet for {day:%d %b %Y} written to {args.output}")
    return 0


def cmd_slip(args: argparse.Namespace) -> int:
    from frontcounter.services import documents

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    _write_bytes(args.output, documents.slip_pdf(runtime.ctx, actor, args.reference))
    print(f"Slip for {args.reference} written to {args.output}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from frontcounter.services import audit_log
    from frontcounter.services.clock import local

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    events = audit_log.list_events(runtime.ctx, actor, limit=args.limit)
    if args.json:
        print(json.dumps([audit_log.event_json(e) for e in events], ensure_ascii=False, indent=2))
        return 0
    for e in events:
        print(f"{local(e.at):%Y-%m-%d %H:%M:%S}  {e.username:<16} {e.role:<10} {e.action:<26} "
              f"{e.record or '':<24} {e.outcome}")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Erase personal data past its retention period: in this station's cache, or with an
    explicit ``--central URL`` at the centre, whence the erasure reaches every cache by pull."""
    from types import SimpleNamespace

    from frontcounter.config import load_settings
    from frontcounter.services import retention

    if args.central:
        from frontcounter.services.auth import workstation_name
        from frontcounter.services.context import ServiceContext
        from frontcounter.services.secrets import central_engine

        paths = _paths(args)
        paths.ensure()
        settings = load_settings(paths.config_file)
        ctx = ServiceContext(engine=central_engine(args.central), station_code=None, mode="central",
                             workstation=settings.workstation or workstation_name(), policy=settings.policy())
        runtime: Any = SimpleNamespace(ctx=ctx, settings=settings)
    else:
        runtime = _open(args)
    try:
        actor = _sign_in(args, runtime)
        policy = runtime.settings.retention()
        if args.if_due:
            result = retention.purge_if_due(runtime.ctx, actor, policy)
            if result is None:
                print("A purge ran in the last 24 hours; nothing to do.")
                return 0
        else:
            result = retention.purge(runtime.ctx, actor, policy)
    finally:
        runtime.ctx.engine.dispose()
    print(result.summary())
    return 0


def _not_yet(name: str, issue: int) -> Callable[[argparse.Namespace], int]:
    def run(_args: argparse.Namespace) -> int:
        raise FrontCounterError(f"'{name}' is not available in this build yet (issue #{issue}).")

    return run


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
        from frontcounter.services import pdf_fonts

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


def cmd_import(args: argparse.Namespace) -> int:
    """Import a command-and-control export; exit 1 if any row was rejected (the rest still go in)."""
    from frontcounter.services import importer

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    show_progress = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show_progress and (done == total or done % 50 == 0):
            print(f"\r{done}/{total} rows", end="\n" if done == total else "", file=sys.stderr, flush=True)

    report = importer.import_file(runtime.ctx, actor, args.file, progress=progress)
    for warning in report.warnings:
        print(f"warning: {warning}")
    print(f"{report.file_name}: {len(report.imported)} imported, {len(report.skipped)} skipped "
          f"(already imported), {len(report.rejected)} rejected")
    if report.at_risk:
        print(f"{len(report.at_risk)} imported at risk (no officer on duty and free): {', '.join(report.at_risk)}")
    for problem in report.rejected:
        print(f"rejected {problem.describe()}")
    return 1 if report.rejected else 0


def cmd_sync(args: argparse.Namespace) -> int:
    """Sync with the centre: once (``--once``, reporting what moved) or every
    ``sync_interval_seconds`` until Ctrl+C, backing off while the centre is unreachable.

    No sign-in: what authorises a station's sync is the centre's own database login, whose
    password lives in the OS keyring (``--set-password`` puts it there).
    """
    import time

    from frontcounter.services import secrets, sync
    from frontcounter.services.errors import AuthenticationError, OfflineError, SchemaMismatch

    runtime = _open(args)
    url = _central_url(args) or runtime.settings.central_url
    if not url:
        raise FrontCounterError("No centre is configured: give --central URL, or set it in Settings.")
    if args.set_password:
        if not sys.stdin.isatty():
            raise UsageError("--set-password needs a terminal to ask for the password.")
        secrets.store_password(url, getpass.getpass(f"Password for {sync.describe_url(url)}: "))
        print("Password stored in the OS keyring.")
    code = runtime.ctx.station_code
    engine = sync.open_central(url)
    try:
        if args.verify or args.repair:
            return _verify(runtime, engine, url, repair=args.repair)
        if args.once:
            report = sync.sync_once(runtime.engine, engine, code, clock=runtime.ctx.clock)
            print("\n".join(report.lines()))
            return 0
        interval = max(1, runtime.settings.sync_interval_seconds)
        print(f"Syncing {code} with {sync.describe_url(url)} every {interval} s; Ctrl+C stops.", flush=True)
        failures = 0
        while True:
            try:
                report = sync.sync_once(runtime.engine, engine, code, clock=runtime.ctx.clock)
                failures, delay = 0, interval
                if report.pushed or report.pulled_total or report.audit_sent:
                    print(f"{time.strftime('%H:%M:%S')} " + "; ".join(report.lines()), flush=True)
            except (OfflineError, AuthenticationError, SchemaMismatch) as exc:
                failures += 1
                delay = sync.retry_delay(failures, interval)
                print(f"frontcounter: {exc.message} Retrying in {delay} s.", file=sys.stderr, flush=True)
            time.sleep(delay)
    except KeyboardInterrupt:
        print("Stopped.")
        return 0
    finally:
        engine.dispose()


def _verify(runtime: StationRuntime, engine: Engine, url: str, *, repair: bool) -> int:
    """``sync --verify`` / ``--repair``: print what differs; exit 0 if equal, 3 if not."""
    from frontcounter.services import sync, sync_verify

    code = runtime.ctx.station_code or ""
    with sync.central_errors(url):
        sync.check_schema(engine)
        if repair:
            report = sync_verify.repair(runtime.engine, engine, code)
        else:
            report = sync_verify.verify(runtime.engine, engine, code)
    print(f"{'Repair' if repair else 'Verify'} of {code}'s cache against {sync.describe_url(url)}:")
    print("\n".join(report.lines()))
    return 0 if report.ok else sync_verify.EXIT_DIFFERENT


def cmd_report(args: argparse.Namespace) -> int:
    """The reports' figures (``report --from D --to D [--station CODE] [--json]``).

    Signed in at the station cache; with ``--central URL`` the figures come from the centre
    (every station's appointments, for the FCR), otherwise from this station's cache.
    """
    from frontcounter.services import report_export, reports

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    ctx = runtime.ctx
    central = None
    if args.central:
        from dataclasses import replace

        from frontcounter.services import sync

        central = sync.open_central(args.central)
        ctx = replace(runtime.ctx, engine=central, mode="central")
    try:
        report = reports.compute_report(ctx, actor, args.date_from, args.date_to, args.report_station)
    finally:
        if central is not None:
            central.dispose()
    if args.json:
        print(json.dumps(report_export.report_json(report), ensure_ascii=False, indent=2))
    else:
        print("\n".join(report_export.report_text(report)))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": cmd_demo,
    "db": cmd_db,
    "appointments": cmd_appointments,
    "check-in": cmd_check_in,
    "briefing": cmd_briefing,
    "day-sheet": cmd_day_sheet,
    "slip": cmd_slip,
    "audit": cmd_audit,
    "sync": cmd_sync,
    "import": cmd_import,
    "purge": cmd_purge,
    "report": cmd_report,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from frontcounter.logging_setup import setup_logging

    setup_logging(_paths(args), console=args.command is not None)
    try:
        if args.self_check:
            return self_check(args)
        if args.command is None:
            from frontcounter.__main__ import run_gui

            return run_gui(args)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"frontcounter: {exc.message}", file=sys.stderr)
        return 2
    except FrontCounterError as exc:
        print(f"frontcounter: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`frontcounter appointments | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
