"""``notify``: the visitor-message worker at the centre (issue 16), and the list of failures to phone."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from pathlib import Path

from frontcounter.cli.common import UsageError, _central_url, _paths, ask_password
from frontcounter.services.core.errors import FrontCounterError


def cmd_notify(args: argparse.Namespace) -> int:
    """Send what is due (``--once``: one pass, then exit), or run until stopped (a service manager's).

    Exit 0 after a pass or a clean stop; 1 with one line when the settings, the key or the centre
    is wrong. The API key comes only from FRONTCOUNTER_NOTIFY_API_KEY or the OS keyring.
    """
    from frontcounter.config import load_settings as load_station_settings
    from frontcounter.services.core.context import ServiceContext
    from frontcounter.services.messages import history
    from frontcounter.services.messages import settings as notify_settings
    from frontcounter.services.security.auth import workstation_name
    from frontcounter.services.sync.connection import check_schema, describe_url, open_central

    paths = _paths(args)
    if args.set_key:
        if not sys.stdin.isatty():
            raise UsageError("--set-key needs a terminal to ask for the key.")
        notify_settings.store_api_key(ask_password("GOV.UK Notify API key: "))
        print("API key stored in the OS keyring.")
        return 0
    station_settings = load_station_settings(paths.config_file)
    url = _central_url(args) or station_settings.central_url
    if not url:
        raise FrontCounterError("No centre is configured: give --central URL (the worker runs at the centre).")
    engine = open_central(url)
    try:
        check_schema(engine)
        ctx = ServiceContext(engine=engine, station_code=None, mode="central",
                             workstation=station_settings.workstation or workstation_name())
        if args.failures:
            return _print_failures(history.failures(ctx))
        settings = notify_settings.load_settings(Path(args.settings) if args.settings else paths.data_dir / "notify.json")
        from frontcounter.services.messages.notify import NotifyGateway
        from frontcounter.services.messages.worker import Worker

        worker = Worker(ctx, settings, NotifyGateway(settings, notify_settings.api_key()))
        if args.once:
            with worker.only_worker():
                print(worker.run_once().line())
            return 0
        stopping: list[bool] = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        print(f"Sending visitor messages for {describe_url(url)} every {args.interval:g} s; Ctrl+C stops.",
              flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            worker.run_forever(args.interval, lambda: bool(stopping))
        print("Stopped.")
        return 0
    finally:
        engine.dispose()


def _print_failures(rows: list) -> int:  # type: ignore[type-arg]
    if not rows:
        print("No failed messages.")
        return 0
    for r in rows:
        when = f"{r.queued_at:%Y-%m-%d %H:%M}"
        print(f"{when}  {r.station_code or '':3} {r.reference or '':10} {r.kind_label:28} "
              f"{r.state_words:10} {r.masked_to or '-':16} {r.detail or ''}")
    return 0
