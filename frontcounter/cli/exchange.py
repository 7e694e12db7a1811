"""Data in and out: ``import`` (from command and control), ``sync`` (with the centre) and ``report``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING

from frontcounter.cli.common import (
    UsageError,
    _central_url,
    _open,
    _sign_in,
    ask_password,
)
from frontcounter.services.core.errors import FrontCounterError

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from frontcounter.runtime import StationRuntime


def cmd_import(args: argparse.Namespace) -> int:
    """Import a command-and-control export; exit 1 if any row was rejected (the rest still go in).

    Into this station's cache, or with ``--central URL`` into the centre (any station's rows).
    The progress goes to stderr: one line rewritten in place on a terminal, a line per batch
    otherwise. Ctrl+C stops after rolling back the batch being written (exit 130); the same
    command again carries on where it stopped.
    """
    from frontcounter.services.scheduling import importer

    runtime = _central_runtime(args) if args.central else _open(args)
    try:
        actor = _sign_in(args, runtime)
        report = importer.import_file(runtime.ctx, actor, args.file, progress=_progress_printer())
    finally:
        if args.central:
            runtime.ctx.engine.dispose()
    for warning in report.warnings:
        print(f"warning: {warning}")
    print(f"{report.file_name}: {report.imported_count:,} imported, {report.skipped_count:,} skipped "
          f"(already imported), {report.rejected_count:,} rejected")
    if report.at_risk_count:
        shown = ", ".join(report.at_risk[:SHOW])
        more = f" and {report.at_risk_count - SHOW:,} more" if report.at_risk_count > SHOW else ""
        print(f"{report.at_risk_count:,} imported at risk (no officer on duty and free): {shown}{more}")
    for problem in report.rejected[:SHOW]:
        print(f"rejected {problem.describe()}")
    if report.rejected_count > SHOW:
        print(f"... and {report.rejected_count - SHOW:,} more rejected rows.")
    if report.rejected_file is not None:
        print(f"The rejected rows, with their line numbers and reasons, are in {report.rejected_file}")
    if report.cancelled:
        print(f"frontcounter: stopped after {report.rows:,} rows (whole batches only); run the same command again "
              "to carry on.", file=sys.stderr)
        return 130
    return 1 if report.rejected_count else 0


#: Rejected rows and at-risk references printed; the rest are counted (and all are in the CSV).
SHOW = 50


def _central_runtime(args: argparse.Namespace) -> object:
    """The centre as a runtime-like object (``ctx``, ``settings``), as ``purge --central`` opens it."""
    from types import SimpleNamespace

    from frontcounter.cli.common import _paths
    from frontcounter.config import load_settings
    from frontcounter.services.core.context import ServiceContext
    from frontcounter.services.security.auth import workstation_name
    from frontcounter.services.security.secrets import central_engine

    paths = _paths(args)
    paths.ensure()
    settings = load_settings(paths.config_file)
    ctx = ServiceContext(engine=central_engine(args.central), station_code=None, mode="central",
                         workstation=settings.workstation or workstation_name(), policy=settings.policy())
    return SimpleNamespace(ctx=ctx, settings=settings)


def _progress_printer() -> Callable[[int, int, int], None]:
    in_place = sys.stderr.isatty()
    started = time.monotonic()  # (a duration for the rate, not the time of day: no clock involved)

    def progress(done: int, total: int, rejected: int) -> None:
        line = progress_line(done, total, rejected, time.monotonic() - started)
        if in_place:
            print(f"\r{line}\033[K", end="\n" if done >= total else "", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)

    return progress


def progress_line(done: int, total: int, rejected: int, seconds: float) -> str:
    """'12,000/250,000 rows · 5,120 rows/s · 3 rejected · about 46 s left'."""
    rate = done / seconds if seconds > 0 else 0.0
    left = (total - done) / rate if rate > 0 else None
    eta = "done" if done >= total else ("about " + _duration(left) + " left" if left is not None else "starting")
    return f"{done:,}/{total:,} rows · {rate:,.0f} rows/s · {rejected:,} rejected · {eta}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def cmd_sync(args: argparse.Namespace) -> int:
    """Sync with the centre: once (``--once``, reporting what moved) or every
    ``sync_interval_seconds`` until Ctrl+C, backing off while the centre is unreachable.

    No sign-in: what authorises a station's sync is the centre's own database login, whose
    password lives in the OS keyring (``--set-password`` puts it there).
    """
    import time

    from frontcounter.services.core.errors import AuthenticationError, OfflineError, SchemaMismatch
    from frontcounter.services.security import secrets
    from frontcounter.services.sync import station as sync
    from frontcounter.services.sync.connection import describe_url, open_central, retry_delay

    runtime = _open(args)
    url = _central_url(args) or runtime.settings.central_url
    if not url:
        raise FrontCounterError("No centre is configured: give --central URL, or set it in Settings.")
    if args.set_password:
        if not sys.stdin.isatty():
            raise UsageError("--set-password needs a terminal to ask for the password.")
        secrets.store_password(url, ask_password(f"Password for {describe_url(url)}: "))
        print("Password stored in the OS keyring.")
    code = runtime.ctx.station_code
    engine = open_central(url)
    try:
        if args.verify or args.repair:
            return _verify(runtime, engine, url, repair=args.repair)
        if args.once:
            report = sync.sync_once(runtime.engine, engine, code, clock=runtime.ctx.clock)
            print("\n".join(report.lines()))
            return 0
        interval = max(1, runtime.settings.sync_interval_seconds)
        print(f"Syncing {code} with {describe_url(url)} every {interval} s; Ctrl+C stops.", flush=True)
        failures = 0
        while True:
            try:
                report = sync.sync_once(runtime.engine, engine, code, clock=runtime.ctx.clock)
                failures, delay = 0, interval
                if report.pushed or report.pulled_total or report.audit_sent:
                    print(f"{time.strftime('%H:%M:%S')} " + "; ".join(report.lines()), flush=True)
            except (OfflineError, AuthenticationError, SchemaMismatch) as exc:
                failures += 1
                delay = retry_delay(failures, interval)
                print(f"frontcounter: {exc.message} Retrying in {delay} s.", file=sys.stderr, flush=True)
            time.sleep(delay)
    except KeyboardInterrupt:
        print("Stopped.")
        return 0
    finally:
        engine.dispose()


def _verify(runtime: StationRuntime, engine: Engine, url: str, *, repair: bool) -> int:
    """``sync --verify`` / ``--repair``: print what differs; exit 0 if equal, 3 if not."""
    from frontcounter.services.sync import verify as sync_verify
    from frontcounter.services.sync.connection import central_errors, check_schema, describe_url

    code = runtime.ctx.station_code or ""
    with central_errors(url):
        check_schema(engine)
        if repair:
            report = sync_verify.repair(runtime.engine, engine, code)
        else:
            report = sync_verify.verify(runtime.engine, engine, code)
    print(f"{'Repair' if repair else 'Verify'} of {code}'s cache against {describe_url(url)}:")
    print("\n".join(report.lines()))
    return 0 if report.ok else sync_verify.EXIT_DIFFERENT


def cmd_report(args: argparse.Namespace) -> int:
    """The reports' figures (``report --from D --to D [--station CODE] [--json]``).

    Signed in at the station cache; with ``--central URL`` the figures come from the centre
    (every station's appointments, for the FCR), otherwise from this station's cache.
    """
    from frontcounter.services.reports import figures as reports
    from frontcounter.services.reports.text import report_json, report_text

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    ctx = runtime.ctx
    central = None
    if args.central:
        from dataclasses import replace

        from frontcounter.services.sync.connection import open_central

        central = open_central(args.central)
        ctx = replace(runtime.ctx, engine=central, mode="central")
    try:
        report = reports.compute_report(ctx, actor, args.date_from, args.date_to, args.report_station)
    finally:
        if central is not None:
            central.dispose()
    if args.json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    else:
        print("\n".join(report_text(report)))
    return 0
