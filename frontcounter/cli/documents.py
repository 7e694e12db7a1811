"""Printed documents to a file: ``briefing``, ``day-sheet`` and ``slip``."""

from __future__ import annotations

import argparse

from frontcounter.cli.common import (
    _open,
    _sign_in,
    _write_bytes,
)


def cmd_briefing(args: argparse.Namespace) -> int:
    from frontcounter.services.documents.briefing import briefing_pdf

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    _write_bytes(args.output, briefing_pdf(runtime.ctx, actor, args.reference, recipient=args.output))
    print(f"Briefing for {args.reference} written to {args.output}")
    return 0


def cmd_day_sheet(args: argparse.Namespace) -> int:
    from frontcounter.services.core.clock import local_today
    from frontcounter.services.documents.day_sheet import day_sheet_pdf

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    day = args.date or local_today(runtime.ctx.clock)
    _write_bytes(args.output, day_sheet_pdf(runtime.ctx, actor, day, confidential=args.confidential))
    print(f"Day sheet for {day:%d %b %Y} written to {args.output}")
    return 0


def cmd_slip(args: argparse.Namespace) -> int:
    from frontcounter.services.documents.slip import slip_pdf

    runtime = _open(args)
    actor = _sign_in(args, runtime)
    _write_bytes(args.output, slip_pdf(runtime.ctx, actor, args.reference))
    print(f"Slip for {args.reference} written to {args.output}")
    return 0
