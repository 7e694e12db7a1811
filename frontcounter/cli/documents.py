"""Printed documents to a file: ``briefing``, ``day-sheet`` and ``slip``."""

from __future__ import annotations

import argparse

from frontcounter.cli.common import (
    _file_writer,
    _open,
    _sign_in,
)


def cmd_briefing(args: argparse.Namespace) -> int:
    from frontcounter.services.documents.briefing import briefing_pdf

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    briefing_pdf(runtime.ctx, actor, args.reference, recipient=args.output, deliver=_file_writer(args.output))
    print(f"Briefing for {args.reference} written to {args.output}")
    return 0


def cmd_day_sheet(args: argparse.Namespace) -> int:
    from frontcounter.services.core.clock import local_today
    from frontcounter.services.documents.day_sheet import day_sheet_pdf

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    day = args.date or local_today(runtime.ctx.clock)
    day_sheet_pdf(runtime.ctx, actor, day, confidential=args.confidential, recipient=args.output,
                  deliver=_file_writer(args.output))
    print(f"Day sheet for {day:%d %b %Y} written to {args.output}")
    return 0


def cmd_slip(args: argparse.Namespace) -> int:
    from frontcounter.services.documents.slip import slip_pdf

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    slip_pdf(runtime.ctx, actor, args.reference, deliver=_file_writer(args.output))
    print(f"Slip for {args.reference} written to {args.output}")
    return 0
