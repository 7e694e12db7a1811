"""At the counter: ``appointments`` (the station's list, --json) and ``check-in``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from frontcounter.cli.common import (
    _central_url,
    _open,
    _sign_in,
)


def cmd_appointments(args: argparse.Namespace) -> int:
    from frontcounter.services.core import appointments
    from frontcounter.services.core.clock import local, local_today

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
    from frontcounter.services.core.clock import local

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
    from frontcounter.services.core.clock import local
    from frontcounter.services.counter import checkin

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
