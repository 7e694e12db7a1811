"""The audit log (``audit``) and retention (``purge``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from frontcounter.cli.common import (
    _open,
    _paths,
    _sign_in,
)


def cmd_audit(args: argparse.Namespace) -> int:
    from frontcounter.services.core.clock import local
    from frontcounter.services.security import audit_log

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
    from frontcounter.services.security import retention

    if args.central:
        from frontcounter.services.core.context import ServiceContext
        from frontcounter.services.security.auth import workstation_name
        from frontcounter.services.security.secrets import central_engine

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
