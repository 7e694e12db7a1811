"""Reports for station managers: are appointments kept, do visitors wait, are they satisfied?

Pictures first, numbers beside them: every chart (QtCharts) sits next to a small table with the
same figures, so nothing depends on reading a bar's height or telling colours apart. Clicking a
bar, a point, or pressing Enter on a table row opens the appointments behind that figure (a
consultation the service audits). Supervisors see their station; the FCR chooses all stations or
one. The figures come from ``services/reports/figures.py`` on the task runner; exports from
``services/reports/pdf.py`` (the report's aggregates are not a disclosure, a drill-down list is).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.core.clock import local, local_today
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.core.permissions import FORCE_WIDE_ROLES, Action
from frontcounter.services.reports import figures as reports
from frontcounter.services.reports.model import (
    Report,
    period_label,
)
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.drill_down import DrillDownDialog
from frontcounter.ui.kit.report_format import (
    _pct,
)
from frontcounter.ui.views.report_charts import DARK_COLOURS, LIGHT_COLOURS, ChartCard
from frontcounter.ui.views.report_exports import _ReportExports
from frontcounter.ui.views.report_figures import _ReportFigures

logger = logging.getLogger(__name__)

PERIODS = ("this_week", "last_week", "last_4_weeks", "custom")
#: Two columns of charts from this width of the view up; one below it.
TWO_COLUMNS_FROM = 1900


def period_dates(choice: str, today: date) -> tuple[date, date]:
    """The Europe/London days a preset covers: this week and last week run Monday to Sunday."""
    monday = today - timedelta(days=today.weekday())
    if choice == "this_week":
        return monday, monday + timedelta(days=6)
    if choice == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if choice == "last_4_weeks":
        return today - timedelta(days=27), today
    raise ValueError(f"no fixed dates for {choice!r}")


class ReportsView(_ReportExports, _ReportFigures, QWidget):
    """The period and station choosers, headline figures, the chart cards and the exports."""

    #: A report was computed and is shown.
    report_loaded = Signal(object)
    #: A drill-down dialog was opened (tests and the main window may want it).
    drill_down_opened = Signal(object)
    #: An export was written: the file's path.
    exported = Signal(str)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.report: Report | None = None
        self.drill_dialog: DrillDownDialog | None = None
        self._request = 0
        self._stations_loaded = False
        self._columns = 0
        self.setObjectName("reportsView")
        self.setAccessibleName(self.tr("Reports"))

        today = local_today(state.ctx.clock)
        first, last = period_dates("this_week", today)
        self.period = QComboBox()
        self.period.setAccessibleName(self.tr("Period"))
        for key, label in zip(PERIODS, (self.tr("This week"), self.tr("Last week"), self.tr("Last 4 weeks"),
                                        self.tr("Custom…")), strict=True):
            self.period.addItem(label, key)
        self.date_from = self._date_edit(first, self.tr("From date"))
        self.date_to = self._date_edit(last, self.tr("To date"))
        self.station = QComboBox()
        self.station.setAccessibleName(self.tr("Station"))
        self.station.setMinimumContentsLength(18)
        self.station_label = QLabel(self.tr("&Station"))
        self.station_label.setBuddy(self.station)
        self.refresh_button = QPushButton(self.tr("&Refresh"))
        self.refresh_button.setAccessibleName(self.tr("Compute the report again (F5)"))
        self.csv_button = QPushButton(self.tr("Export &CSV…"))
        self.csv_button.setAccessibleName(self.tr("Export the report as CSV"))
        self.pdf_button = QPushButton(self.tr("Export &PDF…"))
        self.pdf_button.setAccessibleName(self.tr("Export the report as PDF with its charts"))
        for button in (self.csv_button, self.pdf_button):
            button.setVisible(state.can(Action.EXPORT_REPORTS))
        self._set_icons()

        controls = QHBoxLayout()
        controls.addWidget(self._label(self.tr("P&eriod"), self.period))
        controls.addWidget(self.period)
        controls.addWidget(self._label(self.tr("&From"), self.date_from))
        controls.addWidget(self.date_from)
        controls.addWidget(self._label(self.tr("&to"), self.date_to))
        controls.addWidget(self.date_to)
        controls.addSpacing(12)
        controls.addWidget(self.station_label)
        controls.addWidget(self.station)
        controls.addStretch(1)
        controls.addWidget(self.refresh_button)
        controls.addWidget(self.csv_button)
        controls.addWidget(self.pdf_button)

        title = QLabel(self.tr("Reports"))
        title.setObjectName("viewTitle")
        title.setProperty("heading", True)
        self.scope_label = QLabel()
        self.scope_label.setObjectName("reportScope")
        self.scope_label.setAccessibleName(self.tr("What the report covers"))
        marking = QLabel(state.ctx.policy.protective_marking)
        marking.setObjectName("protectiveMarking")
        marking.setProperty("marking", True)
        marking.setAccessibleName(self.tr("Protective marking"))
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.scope_label, 1)
        top.addWidget(marking)

        self.status = QLabel()
        self.status.setObjectName("reportStatus")
        self.status.setAccessibleName(self.tr("Report status"))
        self.status.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(160)
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName(self.tr("Computing the report"))
        self.busy.hide()
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.busy)

        self.tiles = QHBoxLayout()
        self.tile_values: dict[str, QLabel] = {}
        for key, caption in (
            ("booked", self.tr("booked")), ("kept", self.tr("kept")), ("postponed", self.tr("postponed")),
            ("cancelled", self.tr("cancelled")), ("no_show", self.tr("no-shows")),
            ("wait", self.tr("average wait")), ("p90", self.tr("90% seen within")),
            ("rating", self.tr("satisfaction (1–5)")),
        ):
            self.tiles.addWidget(self._tile(key, caption))

        self.cards: dict[str, ChartCard] = {}
        for key, card_title in (
            ("outcomes", self.tr("What happened to the appointments")),
            ("reasons", self.tr("Cancelled and postponed, by reason")),
            ("at_risk", self.tr("At risk (officer pulled away), and how they ended")),
            ("waits", self.tr("Wait from arrival to being seen")),
            ("rooms", self.tr("Room utilisation")),
            ("officers", self.tr("Officer hours on appointment duty")),
            ("satisfaction", self.tr("Satisfaction by week (average rating, 1–5)")),
            ("stations", self.tr("Stations side by side")),
        ):
            card = ChartCard(key, card_title)
            card.figure_activated.connect(self._on_card_figure_activated)
            self.cards[key] = card
        self.grid = QGridLayout()
        self.grid.setSpacing(12)
        content = QWidget()
        content.setObjectName("reportContent")
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addLayout(self.tiles)
        content_layout.addLayout(self.grid)
        content_layout.addStretch(1)
        self.content = content
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        scroll.setAccessibleName(self.tr("Report charts (Page Up and Page Down scroll)"))
        self.scroll_area = scroll

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(top)
        layout.addLayout(controls)
        layout.addLayout(status_row)
        layout.addWidget(scroll, 1)
        self._reflow(1)

        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(350)  # typing a date fires on every digit
        self._reload_timer.timeout.connect(self.refresh)
        self.period.currentIndexChanged.connect(self._on_period_current_index_changed)
        self.date_from.dateChanged.connect(self._on_date_changed)
        self.date_to.dateChanged.connect(self._on_date_changed)
        self.station.currentIndexChanged.connect(self._on_station_current_index_changed)
        self.refresh_button.clicked.connect(self.refresh)
        self.csv_button.clicked.connect(lambda: self._on_export_clicked("csv"))
        self.pdf_button.clicked.connect(lambda: self._on_export_clicked("pdf"))
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.refresh)
        state.actor_changed.connect(self._on_state_actor_changed)
        self.refresh()

    # -- building -----------------------------------------------------------------------------

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    def _date_edit(self, day: date, name: str) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("ddd dd MMM yyyy")
        edit.setAccessibleName(name)
        return edit

    def _tile(self, key: str, caption: str) -> QFrame:
        tile = QFrame()
        tile.setObjectName(f"reportTile_{key}")
        tile.setFrameShape(QFrame.Shape.StyledPanel)
        value = QLabel("–")
        font = QFont(value.font())
        font.setPointSizeF(font.pointSizeF() * 1.7)
        font.setBold(True)
        value.setFont(font)
        value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label = QLabel(caption)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        column = QVBoxLayout(tile)
        column.setContentsMargins(6, 6, 6, 6)
        column.setSpacing(0)
        column.addWidget(value)
        column.addWidget(label)
        self.tile_values[key] = value
        return tile

    def _set_icons(self) -> None:
        try:
            from frontcounter.ui.theme import icon
        except ImportError:  # resources not compiled: text-only buttons still work
            return
        self.refresh_button.setIcon(icon("sync"))
        self.csv_button.setIcon(icon("export"))
        self.pdf_button.setIcon(icon("export"))

    def _colours(self) -> tuple[str, ...]:
        dark = self.palette().window().color().lightness() < 128
        return DARK_COLOURS if dark else LIGHT_COLOURS

    def _visible_cards(self) -> list[ChartCard]:
        """Every card; with several stations, the side-by-side comparison comes first."""
        if self.report is not None and len(self.report.stations) > 1:
            return [self.cards["stations"], *(c for k, c in self.cards.items() if k != "stations")]
        return [c for k, c in self.cards.items() if k != "stations"]

    def _reflow(self, columns: int) -> None:
        """Lay the cards out in one or two columns (wide screens get two)."""
        self._columns = columns
        for card in self.cards.values():
            self.grid.removeWidget(card)
            card.setParent(self.content)  # a card not in the grid still belongs to the view
            card.hide()
        for i, card in enumerate(self._visible_cards()):
            self.grid.addWidget(card, i // columns, i % columns)
            card.show()
        for c in range(2):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        columns = 2 if event.size().width() >= TWO_COLUMNS_FROM else 1
        if columns != self._columns:
            self._reflow(columns)

    # -- choosing -----------------------------------------------------------------------------

    def period_range(self) -> tuple[date, date]:
        first = self.date_from.date().toPython()
        last = self.date_to.date().toPython()
        assert isinstance(first, date) and isinstance(last, date)
        return first, last

    def station_code(self) -> str | None:
        """The station chosen, or None for all (the FCR) or the user's own (a supervisor)."""
        data = self.station.currentData()
        return data if isinstance(data, str) else None

    def set_period(self, first: date, last: date) -> None:
        """Choose a custom period (tests and callers); the report reloads."""
        self.period.blockSignals(True)
        self.period.setCurrentIndex(PERIODS.index("custom"))
        self.period.blockSignals(False)
        self._set_dates(first, last)
        self.refresh()

    def _set_dates(self, first: date, last: date) -> None:
        for edit, day in ((self.date_from, first), (self.date_to, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def _on_period_current_index_changed(self, _index: int) -> None:
        choice = self.period.currentData()
        if choice != "custom":
            self._set_dates(*period_dates(choice, local_today(self.state.ctx.clock)))
            self.refresh()
        else:
            self.date_from.setFocus()

    def _on_date_changed(self, _day: QDate) -> None:
        if self.period.currentData() != "custom":
            self.period.blockSignals(True)
            self.period.setCurrentIndex(PERIODS.index("custom"))
            self.period.blockSignals(False)
        self._reload_timer.start()

    def _on_station_current_index_changed(self, _index: int) -> None:
        if self._stations_loaded:
            self.refresh()

    # -- loading ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Compute the report for what the controls say, off the GUI thread."""
        self._reload_timer.stop()
        if not self.state.can(Action.VIEW_REPORTS):
            return
        first, last = self.period_range()
        if last < first:
            self.status.setText(self.tr("The period ends before it starts: choose a 'to' date on or after the "
                                        "'from' date."))
            return
        self._request += 1
        request = self._request
        ctx, actor, code = self.state.ctx, self.state.actor, self.station_code()
        load_stations = not self._stations_loaded

        def work(_progress: Any) -> tuple[list[tuple[str, str]] | None, Report]:
            stations = reports.report_stations(ctx, actor) if load_stations else None
            return stations, reports.compute_report(ctx, actor, first, last, code)

        self.busy.show()
        self.status.setText(self.tr("Computing the report…"))
        self.state.tasks.run(work, on_done=lambda result: self._on_report_done(request, result),
                             on_error=lambda exc: self._on_task_failed(request, exc))

    def _on_report_done(self, request: int, result: tuple[list[tuple[str, str]] | None, Report]) -> None:
        if request != self._request:
            return  # a newer choice is on its way
        self.busy.hide()
        stations, report = result
        if stations is not None:
            self._fill_stations(stations)
        self.show_report(report)

    def _fill_stations(self, stations: list[tuple[str, str]]) -> None:
        self.station.blockSignals(True)
        self.station.clear()
        if self.state.actor.role in FORCE_WIDE_ROLES and len(stations) > 1:
            self.station.addItem(self.tr("All stations"), None)
        for code, name in stations:
            self.station.addItem(f"{name} ({code})", code)
        self.station.setEnabled(self.station.count() > 1)
        self.station.blockSignals(False)
        self._stations_loaded = True

    def _on_task_failed(self, request: int, exc: BaseException) -> None:
        if request != self._request:
            return
        self.busy.hide()
        if isinstance(exc, FrontCounterError):
            self.status.setText(exc.message)
            return
        logger.error("report failed", exc_info=exc)
        self.status.setText(self.tr("The report could not be computed; the details are in the log."))

    # -- showing ------------------------------------------------------------------------------

    def show_report(self, report: Report) -> None:
        self.report = report
        f = report.total
        stamp = local(report.generated_at)
        self.scope_label.setText(self.tr("{0} · {1}").format(report.scope_label,
                                                             period_label(report)))
        self.status.setText(report.note or self.tr("Updated {0}. Click a bar, or press Enter on a row, to see "
                                                   "the appointments behind it.").format(f"{stamp:%H:%M}"))
        values = {
            "booked": str(f.booked),
            "kept": f"{_pct(f.kept_rate)} ({f.kept})",
            "postponed": str(f.postponed),
            "cancelled": str(f.cancelled),
            "no_show": str(f.no_show),
            "wait": self._minutes(f.wait_average),
            "p90": self._minutes(f.wait_p90),
            "rating": (f"{f.feedback_average:.2f} ({f.feedback_responses})" if f.feedback_average is not None
                       else "–"),
        }
        for key, text in values.items():
            self.tile_values[key].setText(text)
            self.tile_values[key].setAccessibleName(text)
        colours = self._colours()
        scope = report.station_code
        self._show_outcomes(f, scope, colours)
        self._show_reasons(f, scope, colours)
        self._show_at_risk(f, scope, colours)
        self._show_waits(report, scope, colours)
        self._show_rooms(report, scope, colours)
        self._show_officers(report, scope, colours)
        self._show_satisfaction(report, colours)
        self._show_stations(report, colours)
        self._reflow(self._columns or 1)
        self.report_loaded.emit(report)

    # -- drill-down ---------------------------------------------------------------------------

    # -- export -------------------------------------------------------------------------------

    def _on_state_actor_changed(self, _actor: object) -> None:
        """Another user at this desk: forget what the last one saw, show what this one may."""
        for button in (self.csv_button, self.pdf_button):
            button.setVisible(self.state.can(Action.EXPORT_REPORTS))
        self.report = None
        self._stations_loaded = False
        self.station.clear()
        for card in self.cards.values():
            card._clear()
            card.show_rows((), [])
        if self.drill_dialog is not None:
            self.drill_dialog.close()
        if self.state.can(Action.VIEW_REPORTS):
            self.refresh()
        else:
            self.status.setText(self.tr("Reports are for supervisors and the FCR."))


# --- small helpers ---------------------------------------------------------------------------


