"""Reports leaving the screen (CSV or PDF): two kinds of export, audited differently (DPA 2018 s.62).

- **the report** (aggregates: counts, hours, averages, officers' hours) names no visitor, so
  exporting it needs ``export_reports`` but is not a disclosure of personal data and is not audited;
- **a drill-down list** (the appointments behind a figure) names visitors, so exporting it is a
  disclosure, audited with the figure, the number of appointments and the destination.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Literal

from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.commands import audit, guard
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.permissions import Action
from frontcounter.services.reports.model import (
    Report,
)
from frontcounter.services.reports.pdf import (
    build_appointments_pdf,
    build_report_pdf,
)
from frontcounter.services.reports.text import (
    appointments_csv,
    report_csv,
)

Format = Literal["csv", "pdf"]


def export_report(ctx: ServiceContext, actor: Actor, report: Report, fmt: Format) -> bytes:
    """The report as CSV or PDF (``export_reports``). Aggregates only: not a disclosure, not audited."""
    guard(ctx, actor, Action.EXPORT_REPORTS, action="report.export", record=f"report:{report.station_code or 'all'}")
    marking = ctx.policy.protective_marking
    if fmt == "csv":
        return report_csv(report, marking).encode("utf-8-sig")  # the BOM makes Excel read UTF-8
    return build_report_pdf(report, marking, actor.display_name, ctx.clock.now())


def export_appointments(
    ctx: ServiceContext,
    actor: Actor,
    views: Sequence[AppointmentView],
    fmt: Format,
    *,
    figure_key: str,
    title: str,
    date_from: date,
    date_to: date,
    destination: str | None = None,
) -> bytes:
    """A drill-down list as CSV or PDF: visitors' names leave the system, so it is a disclosure."""
    record = f"report:{figure_key[:100]}"
    guard(ctx, actor, Action.EXPORT_REPORTS, action="report.export_appointments", record=record)
    station_ids: set[uuid.UUID] = {v.station_id for v in views}
    for station_id in station_ids:
        guard(ctx, actor, Action.EXPORT_REPORTS, station_id=station_id, action="report.export_appointments",
              record=record)
    marking = ctx.policy.protective_marking
    if fmt == "csv":
        data = appointments_csv(views, marking, title).encode("utf-8-sig")
    else:
        first, last = date_from, date_to
        period = (f"{first:%a} {first.day} {first:%b %Y}" if first == last else
                  f"{first:%a} {first.day} {first:%b %Y} – {last:%a} {last.day} {last:%b %Y}")
        data = build_appointments_pdf(views, title, marking, actor.display_name, ctx.clock.now(), period)
    audit(ctx, actor, category="disclosure", action="report.export_appointments", record=record,
          details={"format": fmt, "appointments": len(views), "from": date_from.isoformat(),
                   "to": date_to.isoformat(), "destination": destination,
                   "references": [v.reference for v in views[:200]]})
    return data
