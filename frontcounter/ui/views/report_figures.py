"""How the reports view fills its cards from a report: outcomes, reasons, at risk, waits, rooms,
officers, satisfaction, stations.

A mixin of :class:`~frontcounter.ui.views.reports.ReportsView` (which inherits it before QWidget)."""

from __future__ import annotations

from collections.abc import Sequence

from frontcounter.services.reports.model import (
    OUTCOMES,
    REASON_GROUPS,
    WAIT_BANDS,
    Figures,
    Report,
)
from frontcounter.ui.kit.report_format import (
    Row,
    Target,
    _collar,
    _hours,
    _pct,
    _percent_value,
)
from frontcounter.ui.views.report_charts import Bars, Line


class _ReportFigures:
    """The card-filling methods of ReportsView."""

    def _minutes(self, value: float | int | None) -> str:
        if value is None:
            return "–"
        if isinstance(value, float):
            return self.tr("{0} min").format(f"{value:.1f}")
        return self.tr("{0} min").format(value)

    def _outcome_labels(self) -> dict[str, str]:
        return {"kept": self.tr("Kept"), "postponed": self.tr("Postponed"), "cancelled": self.tr("Cancelled"),
                "no_show": self.tr("No-show"), "left_unseen": self.tr("Left unseen"), "open": self.tr("Still open")}

    def _reason_labels(self) -> dict[str, str]:
        return {"operational_demand": self.tr("Operational demand"), "visitor_request": self.tr("Visitor request"),
                "other": self.tr("Duplicate or other")}

    def _band_labels(self) -> dict[str, str]:
        return {"0-5": self.tr("≤ 5 min"), "5-10": self.tr("5–10 min"), "10-15": self.tr("10–15 min"),
                "15-30": self.tr("15–30 min"), "30+": self.tr("> 30 min")}

    def _show_outcomes(self, f: Figures, scope: str | None, colours: Sequence[str]) -> None:
        labels = self._outcome_labels()
        targets = [Target(f"outcome:{o}", scope, self.tr("{0} appointments").format(labels[o])) for o in OUTCOMES]
        card = self.cards["outcomes"]
        card.show_bars([labels[o] for o in OUTCOMES],
                       [Bars(self.tr("Appointments"), [f.outcome(o) for o in OUTCOMES], targets)], colours)
        rows: list[Row] = [((self.tr("Booked"), str(f.booked)), Target("booked", scope, self.tr("All appointments")))]
        rows += [((labels[o], str(f.outcome(o))), t) for o, t in zip(OUTCOMES, targets, strict=True)]
        rows.append(((self.tr("Kept rate (of those ended)"), _pct(f.kept_rate)), None))
        card.show_rows((self.tr("Outcome"), self.tr("Appointments")), rows)

    def _show_reasons(self, f: Figures, scope: str | None, colours: Sequence[str]) -> None:
        labels = self._reason_labels()
        cancelled = [Target(f"cancelled:{g}", scope, self.tr("Cancelled: {0}").format(labels[g])) for g in REASON_GROUPS]
        postponed = [Target(f"postponed:{g}", scope, self.tr("Postponed: {0}").format(labels[g])) for g in REASON_GROUPS]
        card = self.cards["reasons"]
        card.show_bars([labels[g] for g in REASON_GROUPS], [
            Bars(self.tr("Cancelled"), [f.cancelled_by_reason[g] for g in REASON_GROUPS], cancelled),
            Bars(self.tr("Postponed"), [f.postponed_by_reason[g] for g in REASON_GROUPS], postponed),
        ], colours)
        rows: list[Row] = []
        for g, c in zip(REASON_GROUPS, cancelled, strict=True):
            rows.append(((self.tr("Cancelled: {0}").format(labels[g]), str(f.cancelled_by_reason[g])), c))
        for g, p in zip(REASON_GROUPS, postponed, strict=True):
            rows.append(((self.tr("Postponed: {0}").format(labels[g]), str(f.postponed_by_reason[g])), p))
        card.show_rows((self.tr("Reason"), self.tr("Appointments")), rows)

    def _show_at_risk(self, f: Figures, scope: str | None, colours: Sequence[str]) -> None:
        labels = self._outcome_labels()
        targets = [Target(f"at_risk:{o}", scope, self.tr("At risk, then {0}").format(labels[o].lower()))
                   for o in OUTCOMES]
        card = self.cards["at_risk"]
        card.show_bars([labels[o] for o in OUTCOMES],
                       [Bars(self.tr("At risk"), [f.at_risk_outcomes[o] for o in OUTCOMES], targets)],
                       [*colours[1:], *colours[:1]])
        rows: list[Row] = [((self.tr("At risk, all"), str(f.at_risk)), Target("at_risk", scope, self.tr("At risk")))]
        rows += [((self.tr("…then {0}").format(labels[o].lower()), str(f.at_risk_outcomes[o])), t)
                 for o, t in zip(OUTCOMES, targets, strict=True)]
        follow_up_labels = {"open": self.tr("open"), "done": self.tr("done"), "cancelled": self.tr("cancelled")}
        rows += [((self.tr("No-show follow-ups {0}").format(follow_up_labels[s]), str(f.follow_ups[s])),
                  Target(f"follow_up:{s}", scope, self.tr("No-shows with a follow-up {0}").format(follow_up_labels[s])))
                 for s in ("open", "done", "cancelled")]
        card.show_rows((self.tr("At risk"), self.tr("Appointments")), rows)

    def _show_waits(self, report: Report, scope: str | None, colours: Sequence[str]) -> None:
        f = report.total
        labels = self._band_labels()
        bands = [key for key, *_ in WAIT_BANDS]
        targets = [Target(f"wait:{b}", scope, self.tr("Waited {0}").format(labels[b])) for b in bands]
        card = self.cards["waits"]
        card.show_bars([labels[b] for b in bands],
                       [Bars(self.tr("Visitors"), [f.wait_bands[b] for b in bands], targets)], [*colours[2:], *colours[:2]])
        rows: list[Row] = [((labels[b], str(f.wait_bands[b])), t) for b, t in zip(bands, targets, strict=True)]
        rows += [((self.tr("Visitors seen"), str(f.waits)), None),
                 ((self.tr("Average wait"), self._minutes(f.wait_average)), None),
                 ((self.tr("90% seen within"), self._minutes(f.wait_p90)), None)]
        if len(report.stations) > 1:
            rows += [((self.tr("{0}: average / 90%").format(s.code),
                       f"{self._minutes(s.figures.wait_average)} / {self._minutes(s.figures.wait_p90)}"), None)
                     for s in report.stations if s.figures.waits]
        card.show_rows((self.tr("Wait"), self.tr("Visitors")), rows)

    def _show_rooms(self, report: Report, scope: str | None, colours: Sequence[str]) -> None:
        f = report.total
        card = self.cards["rooms"]
        if len(report.stations) > 1:
            names = [s.code for s in report.stations]
            values = [_percent_value(s.figures.room_utilisation) for s in report.stations]
            targets: list[Target | None] = [
                Target(f"station:{s.code}", s.code, self.tr("Booked at {0}").format(s.name)) for s in report.stations]
            rows: list[Row] = [((s.name, _hours(s.figures.room_booked_hours), _hours(s.figures.room_open_hours),
                                 _pct(s.figures.room_utilisation)), t) for s, t in zip(report.stations, targets,
                                                                                      strict=True)]
        else:
            names = [r.name for r in f.rooms]
            values = [_percent_value(r.utilisation) for r in f.rooms]
            targets = [Target(f"room:{r.room_id}", scope, self.tr("Booked in {0}").format(r.name)) for r in f.rooms]
            rows = [((r.name, _hours(r.booked_hours), _hours(r.open_hours), _pct(r.utilisation)), t)
                    for r, t in zip(f.rooms, targets, strict=True)]
        rows.append(((self.tr("All rooms"), _hours(f.room_booked_hours), _hours(f.room_open_hours),
                      _pct(f.room_utilisation)), None))
        card.show_bars(names, [Bars(self.tr("Booked / open hours"), values, targets)], colours, percent=True)
        first = self.tr("Station") if len(report.stations) > 1 else self.tr("Room")
        card.show_rows((first, self.tr("Booked"), self.tr("Open"), self.tr("Used")), rows)

    def _show_officers(self, report: Report, scope: str | None, colours: Sequence[str]) -> None:
        f = report.total
        card = self.cards["officers"]
        if len(report.stations) > 1:
            names = [s.code for s in report.stations]
            duty = [s.figures.duty_hours for s in report.stations]
            used = [s.figures.appointment_hours for s in report.stations]
            targets: list[Target | None] = [
                Target(f"station:{s.code}", s.code, self.tr("Booked at {0}").format(s.name)) for s in report.stations]
            rows: list[Row] = [((s.name, _hours(s.figures.appointment_hours), _hours(s.figures.duty_hours),
                                 _pct(s.figures.officer_hours_used)), t)
                               for s, t in zip(report.stations, targets, strict=True)]
        else:
            names = [_collar(o.label, short=len(f.officers) > 5) for o in f.officers]
            duty = [o.duty_hours for o in f.officers]
            used = [o.appointment_hours for o in f.officers]
            targets = [Target(f"officer:{o.officer_id}", scope, self.tr("Appointments of {0}").format(o.label))
                       for o in f.officers]
            rows = [((o.label, _hours(o.appointment_hours), _hours(o.duty_hours), _pct(o.used)), t)
                    for o, t in zip(f.officers, targets, strict=True)]
        rows.append(((self.tr("All officers"), _hours(f.appointment_hours), _hours(f.duty_hours),
                      _pct(f.officer_hours_used)), None))
        card.show_bars(names, [Bars(self.tr("On duty (h)"), [round(v, 1) for v in duty], targets),
                               Bars(self.tr("In appointments (h)"), [round(v, 1) for v in used], targets)], colours)
        first = self.tr("Station") if len(report.stations) > 1 else self.tr("Officer")
        card.show_rows((first, self.tr("Appts"), self.tr("Duty"), self.tr("Used")), rows)

    def _show_satisfaction(self, report: Report, colours: Sequence[str]) -> None:
        weeks = [f"{w.day} {w:%b}" for w in report.weeks]
        lines = []
        for s in report.stations:
            targets = [Target(f"feedback:{w.week_start}", s.code,
                              self.tr("Ratings at {0}, week of {1}").format(s.name, f"{w.week_start:%d %b}"))
                       for w in s.figures.satisfaction]
            lines.append(Line(s.code, [w.average for w in s.figures.satisfaction], targets))
        f = report.total
        if len(report.stations) > 1:
            targets = [Target(f"feedback:{w.week_start}", None, self.tr("Ratings, week of {0}")
                              .format(f"{w.week_start:%d %b}")) for w in f.satisfaction]
            lines.insert(0, Line(self.tr("All stations"), [w.average for w in f.satisfaction], targets))
        card = self.cards["satisfaction"]
        card.show_lines(weeks, lines, colours)
        rows: list[Row] = [
            ((f"{w.week_start:%d %b}", str(w.responses), "–" if w.average is None else f"{w.average:.2f}",
              _pct(w.satisfied / w.responses if w.responses else None)),
             Target(f"feedback:{w.week_start}", report.station_code,
                    self.tr("Ratings, week of {0}").format(f"{w.week_start:%d %b}")) if w.responses else None)
            for w in f.satisfaction
        ]
        rows.append(((self.tr("Period"), str(f.feedback_responses),
                      "–" if f.feedback_average is None else f"{f.feedback_average:.2f}",
                      _pct(f.feedback_satisfied_rate)), None))
        card.show_rows((self.tr("Week of"), self.tr("Ratings"), self.tr("Average"), self.tr("4 or 5")), rows)

    def _show_stations(self, report: Report, colours: Sequence[str]) -> None:
        if len(report.stations) < 2:
            return
        card = self.cards["stations"]
        targets: list[Target | None] = [Target("outcome:kept", s.code, self.tr("Kept at {0}").format(s.name))
                                        for s in report.stations]
        card.show_bars([s.code for s in report.stations],
                       [Bars(self.tr("Kept rate"), [_percent_value(s.figures.kept_rate) for s in report.stations],
                             targets)], colours, percent=True)
        rows: list[Row] = [
            ((s.name, str(s.figures.booked), _pct(s.figures.kept_rate), str(s.figures.cancelled),
              str(s.figures.no_show),
              "–" if s.figures.feedback_average is None else f"{s.figures.feedback_average:.2f}"),
             Target("booked", s.code, self.tr("All appointments at {0}").format(s.name)))
            for s in report.stations
        ]
        card.show_rows((self.tr("Station"), self.tr("Booked"), self.tr("Kept"), self.tr("Cancelled"),
                        self.tr("No-show"), self.tr("Rating")), rows)
