"""What every subcommand shares: the station's paths and centre from the global options, opening the
station, signing in (password from the prompt or FRONTCOUNTER_PASSWORD), writing a file."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
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


def refuse_password_in_argument(url: str) -> None:
    """A password inside ``--central URL`` is readable by every local user (``ps``) while the
    command runs, and stays in shell history: refused, with where the password goes instead."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        password = make_url(url).password
    except ArgumentError:
        return  # not a URL at all: the command that uses it says so
    if password:
        raise FrontCounterError(
            "Do not put the password in --central (it shows in the process list): give the URL without it "
            "and store the password once with 'frontcounter --central URL sync --set-password' (it prompts).")


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
        password = ask_password(f"Password for {username}: ")
    return sign_in(runtime.ctx, username, password)


def _file_writer(path: str) -> Callable[[bytes], object]:
    """Write a document whole (temporary name, then rename), so the audit records only a real file."""
    from frontcounter.services.core.files import write_atomically

    return lambda data: write_atomically(path, data)


def ask_password(prompt: str) -> str:
    """A password from the terminal (``getpass`` imported here: the GUI never prompts)."""
    import getpass

    return getpass.getpass(prompt)
