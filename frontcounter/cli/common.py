"""What every subcommand shares: the station's paths and centre from the global options, opening the
station, signing in (password from the prompt or FRONTCOUNTER_PASSWORD), writing a file."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from frontcounter.paths import Paths
from frontcounter.services.core.errors import FrontCounterError

ENV_CENTRAL_URL = "FRONTCOUNTER_CENTRAL_URL"
ENV_PASSWORD = "FRONTCOUNTER_PASSWORD"


class UsageError(FrontCounterError):
    """Bad options that argparse could not catch; exit code 2."""


def _paths(args: argparse.Namespace) -> Paths:
    return Paths.resolve(args.data_dir)


def _central_url(args: argparse.Namespace) -> str | None:
    return args.central or os.environ.get(ENV_CENTRAL_URL)


def _open(args: argparse.Namespace) -> Any:
    from frontcounter.runtime import open_station

    return open_station(_paths(args), station_code=args.station)


def _sign_in(args: argparse.Namespace, runtime: Any) -> Any:
    """Sign in as ``--user``; a demo data dir falls back to its counter user."""
    from frontcounter.services.demo.seed import DEMO_PASSWORD
    from frontcounter.services.security.auth import sign_in

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
