"""``frontcounter``: a thin command line over the same services the GUI uses (DESIGN.md section 6).

Form: ``frontcounter [GLOBAL OPTIONS] SUBCOMMAND ...``; the global options are accepted after the
subcommand too. Exit codes: 0 ok, 1 a user error with a one-line message, 2 usage. Without a
subcommand it starts the GUI (``frontcounter.startup``). This module holds the parser and the
dispatch; each group of subcommands has a module of its own (``station``, ``counter``,
``documents``, ``security``, ``exchange``), and what they share is in ``common``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import frontcounter
from frontcounter.cli.common import (
    UsageError,
    _paths,
    refuse_password_in_argument,
)
from frontcounter.services.core.errors import FrontCounterError

logger = logging.getLogger(__name__)


if TYPE_CHECKING:
    from datetime import date


def fromisoformat(text: str) -> date:
    """A YYYY-MM-DD option; ``datetime`` is imported when one is given, not on the way to the GUI."""
    from datetime import date

    return date.fromisoformat(text)


class _VersionAction(argparse.Action):
    """``--version``, with the version looked up only when asked (it is slow to import)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        parser.exit(message=f"frontcounter {frontcounter.__version__}\n")


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--data-dir", default=default, metavar="DIR",
                        help="all state lives here (env FRONTCOUNTER_DATA_DIR)")
    parser.add_argument("--central", default=default, metavar="URL",
                        help="the central database URL (env FRONTCOUNTER_CENTRAL_URL)")
    parser.add_argument("--station", default=default, metavar="CODE", help="station code, e.g. HH")
    parser.add_argument("--user", default=default, metavar="NAME",
                        help="sign in as NAME (password from the prompt or FRONTCOUNTER_PASSWORD)")


def _top_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="frontcounter",
        description="FrontCounter: police station front-counter appointments. Without a subcommand, "
        "starts the desktop app.",
    )


def _gui_parser() -> argparse.ArgumentParser:
    """The global options alone, for a start without a subcommand: the full parser's sixteen
    sub-parsers cost start-up ~10 ms before the sign-in window (argparse asks gettext for every
    one of their built-in strings)."""
    parser = _top_parser()
    _global_options(parser, suppress=False)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--fcr", action="store_true")
    parser.add_argument("--self-check", action="store_true")
    parser.set_defaults(command=None, version=None)
    return parser


def parse_args(argv: Sequence[str]) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The full parser, unless ``argv`` is plainly a GUI start (no word that names a subcommand,
    no help or version); anything the short parser does not take goes to the full one, so its
    answers and error messages are the full parser's."""
    argv = list(argv)
    if not any(a in COMMANDS or a in ("-h", "--help", "--version") for a in argv):
        parser = _gui_parser()
        args, extra = parser.parse_known_args(argv)
        if not extra:
            return parser, args
    parser = build_parser()
    return parser, parser.parse_args(argv)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    parser = _top_parser()
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    _global_options(parser, suppress=False)
    parser.add_argument("--demo", action="store_true", help="start the app on the embedded demo (created if missing)")
    parser.add_argument("--fcr", action="store_true",
                        help="start the FCR desk: work on the centre directly, no station cache (with --demo: "
                             "the demo's embedded centre)")
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
    p.add_argument("--date", type=fromisoformat, default=None, metavar="D", help="YYYY-MM-DD (default today)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("briefing", parents=[common], help="write the briefing PDF for an appointment")
    p.add_argument("reference")
    p.add_argument("-o", "--output", required=True, metavar="FILE")

    p = sub.add_parser("day-sheet", parents=[common], help="write the day sheet PDF")
    p.add_argument("--date", type=fromisoformat, default=None, metavar="D")
    p.add_argument("--confidential", action="store_true", help="the officers' version, with confidential content")
    p.add_argument("-o", "--output", required=True, metavar="FILE")

    p = sub.add_parser("slip", parents=[common], help="write the visitor's confirmation slip PDF")
    p.add_argument("reference")
    p.add_argument("-o", "--output", required=True, metavar="FILE")

    p = sub.add_parser("check-in", parents=[common], help="check a visitor in by reference")
    p.add_argument("reference")
    p.add_argument("--force", action="store_true", help="check in even if early, late or on another day")

    for verb, help_text in (("take-in", "the officer has collected the waiting visitor (in progress)"),
                            ("complete", "the visitor has been seen (completed)"),
                            ("left-unseen", "the waiting visitor left before being seen")):
        p = sub.add_parser(verb, parents=[common], help=help_text)
        p.add_argument("reference")

    p = sub.add_parser("import", parents=[common], help="import appointments from command and control (CSV/JSON; "
                       "into the centre, any station, with --central)")
    p.add_argument("file", type=Path)

    p = sub.add_parser("purge", parents=[common], help="erase personal data past its retention period "
                       "(at the centre with --central)")
    p.add_argument("--if-due", action="store_true",
                   help="only if no purge ran in the last 24 hours (for a scheduler)")

    p = sub.add_parser("audit", parents=[common], help="the audit log")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=200)

    p = sub.add_parser("notify", parents=[common],
                       help="send visitor confirmations and reminders through GOV.UK Notify (at the centre)")
    p.add_argument("--once", action="store_true", help="one pass (send what is due, poll statuses), then exit")
    p.add_argument("--interval", type=float, default=30.0, metavar="S", help="seconds between passes (default 30)")
    p.add_argument("--settings", default=None, metavar="FILE",
                   help="template ids and timings (default DATA_DIR/notify.json; docs/MESSAGES.md)")
    p.add_argument("--failures", action="store_true", help="list failed messages for the FCR to phone, then exit")
    p.add_argument("--set-key", action="store_true", help="ask for the Notify API key and keep it in the OS keyring")

    # After "report", --station names the station reported on (not the cache to open): "resolve"
    # lets it replace the global option of the same name for this subcommand only.
    # A parent of its own: "resolve" edits the parent's shared option objects in place, and on the
    # common parent it would turn --station into a positional for every other subcommand.
    report_common = argparse.ArgumentParser(add_help=False)
    _global_options(report_common, suppress=True)
    p = sub.add_parser("report", parents=[report_common], conflict_handler="resolve",
                       help="figures for station managers (with --central URL: every station, from the centre)")
    p.add_argument("--from", dest="date_from", type=fromisoformat, required=True, metavar="D")
    p.add_argument("--to", dest="date_to", type=fromisoformat, required=True, metavar="D")
    p.add_argument("--station", dest="report_station", default=None, metavar="CODE",
                   help="report on this station only (the FCR; a supervisor always gets their own)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser


# ---------------------------------------------------------------------------------------------
# Helpers shared by subcommands


# ---------------------------------------------------------------------------------------------
# Subcommands


def _not_yet(name: str, issue: int) -> Callable[[argparse.Namespace], int]:
    def run(_args: argparse.Namespace) -> int:
        raise FrontCounterError(f"'{name}' is not available in this build yet (issue #{issue}).")

    return run


#: Each subcommand's "module:function" under frontcounter.cli, imported when it runs: a GUI start
#: loads none of them.
COMMANDS: dict[str, str] = {
    "demo": "station:cmd_demo",
    "db": "station:cmd_db",
    "appointments": "counter:cmd_appointments",
    "check-in": "counter:cmd_check_in",
    "take-in": "counter:cmd_visit_step",
    "complete": "counter:cmd_visit_step",
    "left-unseen": "counter:cmd_visit_step",
    "briefing": "documents:cmd_briefing",
    "day-sheet": "documents:cmd_day_sheet",
    "slip": "documents:cmd_slip",
    "audit": "security:cmd_audit",
    "sync": "exchange:cmd_sync",
    "import": "exchange:cmd_import",
    "purge": "security:cmd_purge",
    "report": "exchange:cmd_report",
    "notify": "messages:cmd_notify",
}


def _command_self_check(args: argparse.Namespace) -> int:
    from frontcounter.cli.station import self_check

    return self_check(args)


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    module, function = COMMANDS[name].split(":")
    run: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(f"frontcounter.cli.{module}"), function)
    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser, args = parse_args(sys.argv[1:] if argv is None else argv)
    gui = args.command is None and not args.self_check
    try:  # logging too: a read-only or full data dir is one line like every other failure
        from frontcounter.logging_setup import setup_logging

        setup_logging(_paths(args), console=not gui, rotate_while_running=not gui)
        if getattr(args, "central", None):
            refuse_password_in_argument(args.central)  # whatever the command: ps has already shown it
        if args.self_check:
            return _command_self_check(args)
        if args.command is None:
            from frontcounter.startup import run_gui

            return run_gui(args)
        return _command(args.command)(args)
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
    except Exception as exc:  # the machine (a folder, the disk, the database file, the keyring) or a bug
        return _one_line_failure(args, exc)


def _one_line_failure(args: argparse.Namespace, exc: Exception) -> int:
    """An environment failure as its one line, exit 1; a bug as one line too, its traceback in the log."""
    from frontcounter.services.core.environment import explain

    paths = _paths(args)
    known = explain(exc, database=paths.station_db, folder=paths.data_dir)
    if known is not None:
        logger.info("%s failed: %s", args.command or "start-up", known.message)
        print(f"frontcounter: {known.message}", file=sys.stderr)
        return 1
    logger.error("%s failed with an unexpected error", args.command or "start-up", exc_info=exc)
    print(f"frontcounter: an unexpected error stopped '{args.command or 'frontcounter'}' ({type(exc).__name__}); "
          f"the details are in {paths.log_dir / 'frontcounter.log'}. Please report it.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
