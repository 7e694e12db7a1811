"""The reports view: its charts show exactly the computed numbers, a bar (or a table row, by
keyboard) opens the appointments behind it, exports are written owner-readable (a drill-down
export is an audited disclosure), and the feedback dialog works from the keyboard.

Screenshots of the demo go to docs/reports.png (a supervisor) and docs/reports-fcr.png (the FCR at
the centre, all stations)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCharts import QBarSeries, QLineSeries
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.engine import make_engine
from frontcounter.db.models import Appointment, AuditEvent, Status
from frontcounter.runtime import StationRuntime, embedded_central_url
from frontcounter.services.core import appointments
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.reports import figures as reports
from frontcounter.services.reports.model import OUTCOMES, REASON_GROUPS, WAIT_BANDS, Report, period_bounds
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.drill_down import DrillDownDialog
from frontcounter.ui.dialogs.feedback import FeedbackDialog, feedback_action, record_feedback_for
from frontcounter.ui.kit.report_format import Target
from frontcounter.ui.shell.navigation import views_for
from frontcounter.ui.views.report_charts import ChartCard
from frontcounter.ui.views.reports import ReportsView, period_dates
from tests.conftest import actor_named
from tests.screens import screenshot_dir

DOCS = screenshot_dir()
#: The demo holds a week of appointments around Monday 23 November 2026.
FROM, TO = date(2026, 11, 20), date(2026, 11, 26)


def _state(runtime: StationRuntime, username: str, ctx: ServiceContext | None = None) -> AppState:
    return AppState(ctx or runtime.ctx, actor_named(runtime, username), runtime.settings, runtime.paths)


def _idle(qtbot: QtBot, state: AppState) -> None:
    qtbot.waitUntil(lambda: state.tasks.active == 0, timeout=15000)


def _view(qtbot: QtBot, state: AppState, size: tuple[int, int] = (1180, 860),
          period: tuple[date, date] = (FROM, TO)) -> ReportsView:
    view = ReportsView(state)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    _idle(qtbot, state)
    with qtbot.waitSignal(view.report_loaded, timeout=15000):
        view.set_period(*period)
    _idle(qtbot, state)
    return view


def _bars(card: ChartCard) -> list[list[float]]:
    series = [s for s in card.chart.series() if isinstance(s, QBarSeries)]
    assert len(series) == 1
    return [[bar_set.at(i) for i in range(bar_set.count())] for bar_set in series[0].barSets()]


def _lines(card: ChartCard) -> dict[str, dict[float, float]]:
    return {s.name(): {p.x(): p.y() for p in s.points()} for s in card.chart.series() if isinstance(s, QLineSeries)}


@pytest.fixture
def central_ctx(station: StationRuntime) -> Iterator[ServiceContext]:
    """The demo's embedded centre, as the FCR's desk sees it (every station's appointments)."""
    engine = make_engine(embedded_central_url(station.paths))
    yield ServiceContext(engine=engine, clock=station.ctx.clock, mode="central", workstation="fcr-desk")
    engine.dispose()


def test_who_gets_the_reports_view(station: StationRuntime) -> None:
    for username, expected in (("supervisor.HH", True), ("fcr.HH", True), ("counter.HH", False),
                               ("officer.HH", False), ("auditor.HH", False), ("admin.HH", False)):
        keys = [v.key for v in views_for(_state(station, username))]
        assert ("reports" in keys) is expected, username


def test_period_presets() -> None:
    monday = date(2026, 11, 23)
    assert period_dates("this_week", date(2026, 11, 25)) == (monday, date(2026, 11, 29))
    assert period_dates("last_week", monday) == (date(2026, 11, 16), date(2026, 11, 22))
    assert period_dates("last_4_weeks", monday) == (date(2026, 10, 27), monday)


def test_charts_show_the_computed_numbers(qtbot: QtBot, station: StationRuntime) -> None:
    state = _state(station, "supervisor.HH")
    view = _view(qtbot, state)
    report = reports.compute_report(station.ctx, state.actor, FROM, TO)
    f = report.total
    assert f.booked > 50  # the demo's week is not trivial
    cards = view.cards

    assert _bars(cards["outcomes"]) == [[float(f.outcome(o)) for o in OUTCOMES]]
    assert _bars(cards["reasons"]) == [[float(f.cancelled_by_reason[g]) for g in REASON_GROUPS],
                                       [float(f.postponed_by_reason[g]) for g in REASON_GROUPS]]
    assert _bars(cards["at_risk"]) == [[float(f.at_risk_outcomes[o]) for o in OUTCOMES]]
    assert _bars(cards["waits"]) == [[float(f.wait_bands[b]) for b, *_ in WAIT_BANDS]]
    assert _bars(cards["rooms"]) == [[float(round((r.utilisation or 0) * 100)) for r in f.rooms]]
    assert _bars(cards["officers"]) == [[round(o.duty_hours, 1) for o in f.officers],
                                        [round(o.appointment_hours, 1) for o in f.officers]]
    assert _lines(cards["satisfaction"]) == {
        "HH": {float(i): round(w.average, 2) for i, w in enumerate(f.satisfaction) if w.average is not None}}
    assert not cards["stations"].isVisible()  # one station: nothing to compare

    # The numbers beside each chart, and the headline tiles.
    table = cards["outcomes"].table
    assert [table.item(r, 1).text() for r in range(1 + len(OUTCOMES))] == \
        [str(f.booked)] + [str(f.outcome(o)) for o in OUTCOMES]
    assert view.tile_values["booked"].text() == str(f.booked)
    assert view.tile_values["no_show"].text() == str(f.no_show)
    assert view.tile_values["p90"].text() == f"{f.wait_p90} min"
    assert "Hemel Hempstead" in view.scope_label.text()
    assert not view.station.isEnabled()  # a supervisor reports on their own station only


def _drill(qtbot: QtBot, view: ReportsView, open_it) -> DrillDownDialog:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.drill_down_opened, timeout=5000) as opened:
        open_it()
    dialog = opened.args[0]
    assert isinstance(dialog, DrillDownDialog)
    qtbot.addWidget(dialog)
    if not dialog.appointments:
        with qtbot.waitSignal(dialog.loaded, timeout=15000):
            pass
    _idle(qtbot, view.state)
    return dialog


def test_clicking_a_bar_lists_the_appointments_behind_it(qtbot: QtBot, station: StationRuntime) -> None:
    state = _state(station, "supervisor.HH")
    view = _view(qtbot, state)
    bar_set = view.cards["outcomes"].chart.series()[0].barSets()[0]
    dialog = _drill(qtbot, view, lambda: bar_set.clicked.emit(OUTCOMES.index("no_show")))
    start, _ = period_bounds(FROM, TO)
    _, end = period_bounds(FROM, TO)
    with station.ctx.read() as s:
        expected = set(s.scalars(select(Appointment.reference).where(
            Appointment.status == Status.NO_SHOW.value, Appointment.start_at >= start, Appointment.start_at < end)))
    assert expected and set(dialog.references()) == expected
    assert dialog.table.rowCount() == len(expected)
    assert int(bar_set.at(OUTCOMES.index("no_show"))) == len(expected)
    assert dialog.windowTitle() == "No-show appointments"
    with station.ctx.read() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
    assert (event.action, event.record, event.username) == ("report.drill_down", "report:outcome:no_show",
                                                            "supervisor.HH")

    # The second set of the reasons chart is "postponed"; its first bar is operational demand.
    postponed = view.cards["reasons"].chart.series()[0].barSets()[1]
    dialog = _drill(qtbot, view, lambda: postponed.clicked.emit(0))
    with station.ctx.read() as s:
        expected = set(s.scalars(select(Appointment.reference).where(
            Appointment.status == Status.RESCHEDULED.value, Appointment.cancel_reason == "operational_demand",
            Appointment.start_at >= start, Appointment.start_at < end)))
    assert set(dialog.references()) == expected and len(expected) == int(postponed.at(0))


def test_enter_on_a_table_row_opens_its_appointments(qtbot: QtBot, station: StationRuntime) -> None:
    state = _state(station, "supervisor.HH")
    view = _view(qtbot, state)
    card = view.cards["rooms"]
    room = view.report.total.rooms[0]  # type: ignore[union-attr]
    card.table.setFocus()
    card.table.selectRow(0)
    dialog = _drill(qtbot, view, lambda: qtbot.keyClick(card.table, Qt.Key.Key_Return))
    assert len(dialog.references()) == room.appointments
    assert {v.room_name for v in dialog.appointments} == {room.name}
    assert all(v.status not in ("cancelled", "rescheduled") for v in dialog.appointments)


def test_screen_mask_hides_names_in_the_drill_down(qtbot: QtBot, station: StationRuntime) -> None:
    state = _state(station, "supervisor.HH")
    view = _view(qtbot, state)
    dialog = _drill(qtbot, view, lambda: view.open_drill_down(Target("outcome:kept", None, "Kept")))
    name = dialog.appointments[0].visitor_name
    assert dialog.table.item(0, 7).text() == name
    state.set_masked(True)
    assert dialog.table.item(0, 7).text() != name and dialog.table.item(0, 7).text().endswith(".")
    _idle(qtbot, state)


def test_exports_are_private_and_the_drill_down_one_is_audited(
    qtbot: QtBot, station: StationRuntime, tmp_path: Path
) -> None:
    state = _state(station, "supervisor.HH")
    view = _view(qtbot, state)
    for fmt in ("csv", "pdf"):
        target = tmp_path / f"report.{fmt}"
        with qtbot.waitSignal(view.exported, timeout=20000):
            view.export_to(target, fmt)
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    text = (tmp_path / "report.csv").read_text(encoding="utf-8-sig")
    assert text.startswith("OFFICIAL-SENSITIVE") and f"outcomes,HH,booked,count,{view.report.total.booked}" in text  # type: ignore[union-attr]
    with station.ctx.read() as s:
        before = s.scalars(select(AuditEvent).where(AuditEvent.category == "disclosure")).all()
    assert before == []  # aggregates are not a disclosure

    dialog = _drill(qtbot, view, lambda: view.open_drill_down(Target("outcome:kept", None, "Kept appointments")))
    target = tmp_path / "kept.csv"
    with qtbot.waitSignal(dialog.exported, timeout=20000):
        dialog.export_to(target, "csv")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "OFFICIAL-SENSITIVE" and len(lines) == 3 + len(dialog.appointments)
    with station.ctx.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.category == "disclosure")).one()
    assert event.action == "report.export_appointments" and event.details["appointments"] == len(dialog.appointments)
    assert event.details["destination"] == "kept.csv"


def test_fcr_at_the_centre_compares_every_station(
    qtbot: QtBot, station: StationRuntime, central_ctx: ServiceContext
) -> None:
    state = _state(station, "fcr.HH", central_ctx)
    view = _view(qtbot, state, (1280, 900))
    report: Report = view.report  # type: ignore[assignment]
    assert len(report.stations) == 11 and view.station.count() == 12 and view.station.currentData() is None
    assert view.cards["stations"].isVisible()
    assert _bars(view.cards["stations"]) == [[float(round((s.figures.kept_rate or 0) * 100))
                                              for s in report.stations]]
    assert _bars(view.cards["rooms"]) == [[float(round((s.figures.room_utilisation or 0) * 100))
                                           for s in report.stations]]
    assert set(_lines(view.cards["satisfaction"])) == {"All stations", *(s.code for s in report.stations)}
    # A station's bar drills into that station only.
    index = [s.code for s in report.stations].index("SG")
    rooms_set = view.cards["rooms"].chart.series()[0].barSets()[0]
    dialog = _drill(qtbot, view, lambda: rooms_set.clicked.emit(index))
    sg = report.figures_for("SG")
    assert {v.station_code for v in dialog.appointments} == {"SG"}
    assert len(dialog.appointments) == sum(r.appointments for r in sg.rooms)

    with qtbot.waitSignal(view.report_loaded, timeout=15000):
        view.station.setCurrentIndex(view.station.findData("SG"))
    assert [s.code for s in view.report.stations] == ["SG"]  # type: ignore[union-attr]
    assert not view.cards["stations"].isVisible()


def test_fcr_at_a_station_sees_that_station_and_is_told_why(qtbot: QtBot, station: StationRuntime) -> None:
    state = _state(station, "fcr.HH")
    view = _view(qtbot, state)
    assert [s.code for s in view.report.stations] == ["HH"]  # type: ignore[union-attr]
    assert "centre" in view.status.text()


def test_feedback_dialog_by_keyboard(qtbot: QtBot, station: StationRuntime) -> None:
    state = _state(station, "counter.HH")
    with station.ctx.read() as s:
        row = s.scalars(select(Appointment).where(Appointment.status == Status.COMPLETED.value,
                                                  Appointment.feedback_rating.is_(None))).first()
    view = appointments.get(station.ctx, state.actor, row.id)
    dialog = FeedbackDialog(state, view)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.record_button.isEnabled() and not dialog.comment.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_4)
    assert dialog.rating() == 4 and dialog.buttons[3].text().startswith("● 4")
    qtbot.keyClick(dialog.buttons[3], Qt.Key.Key_Right)
    assert dialog.rating() == 5
    dialog.consent.setChecked(True)
    assert dialog.comment.isEnabled()
    qtbot.keyClicks(dialog.comment, "Seen on time, thank you")
    with qtbot.waitSignal(dialog.recorded, timeout=10000):
        dialog.record_button.click()
    _idle(qtbot, state)
    with station.ctx.read() as s:
        saved = s.get(Appointment, row.id)
    assert (saved.feedback_rating, saved.feedback_comment) == (5, "Seen on time, thank you")


def test_feedback_refusals_show_in_the_dialog(qtbot: QtBot, station: StationRuntime) -> None:
    state = _state(station, "counter.HH")
    with station.ctx.read() as s:
        booked = s.scalars(select(Appointment).where(Appointment.status == Status.BOOKED.value)).first()
    view = appointments.get(station.ctx, state.actor, booked.id)
    assert record_feedback_for(state, None, view) is False  # not offered before the visitor came
    action = feedback_action(state, QApplication.activeWindow() or _parent(qtbot), lambda: view)
    assert action.isVisible() and not action.isEnabled()
    dialog = FeedbackDialog(state, view)  # forced open: the service refuses and the dialog says why
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_rating(3)
    dialog.record_button.click()
    qtbot.waitUntil(dialog.error.isVisible, timeout=10000)
    assert "feedback is taken when the visitor leaves" in dialog.error.text()
    _idle(qtbot, state)


def _parent(qtbot: QtBot):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def test_screenshots(qtbot: QtBot, station: StationRuntime, central_ctx: ServiceContext) -> None:
    from frontcounter.ui.theme import apply_theme

    apply_theme(QApplication.instance(), "calm")  # type: ignore[arg-type]
    DOCS.mkdir(exist_ok=True)
    # Up to today (Monday 23 November, evening): what a manager looks at, little still to come.
    up_to_today = (FROM, date(2026, 11, 23))
    state = _state(station, "supervisor.HH")
    view = _view(qtbot, state, (1280, 900), up_to_today)
    qtbot.wait(50)
    assert view.grab().save(str(DOCS / "reports.png"))
    fcr = _state(station, "fcr.HH", central_ctx)
    wide = _view(qtbot, fcr, (1280, 900), up_to_today)
    qtbot.wait(50)
    assert wide.content.grab().save(str(DOCS / "reports-fcr.png"))

    counter = _state(station, "counter.HH")
    with station.ctx.read() as s:
        row = s.scalars(select(Appointment).where(Appointment.status == Status.COMPLETED.value,
                                                  Appointment.feedback_rating.is_(None))).first()
    dialog = FeedbackDialog(counter, appointments.get(station.ctx, counter.actor, row.id))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_rating(4)
    dialog.consent.setChecked(True)
    dialog.comment.setPlainText("The officer explained what happens next. Thank you.")
    qtbot.wait(50)
    assert dialog.grab().save(str(DOCS / "feedback-dialog.png"))
