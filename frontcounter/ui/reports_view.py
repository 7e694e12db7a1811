"""Reports for station managers: are appointments kept, do visitors wait, are they satisfied?

Pictures first, numbers beside them: every chart (QtCharts) sits next to a small table with the
same figures, so nothing depends on reading a bar's height or telling colours apart. Clicking a
bar, a point, or pressing Enter on a table row opens the appointments behind that figure (a
consultation the service audits). Supervisors see their station; the FCR chooses all stations or
one. The figures come from ``services/reports.py`` on the task runner; exports from
``services/report_export.py`` (the report's aggregates are not a disclosure, a drill-down list is).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QMargins, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QPainter, QPen, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import Status
from frontcounter.services import reports
from frontcounter.services.appointments import AppointmentView
from frontcounter.services.clock import local, local_today
from frontcounter.services.errors import FrontCounterError
from frontcounter.services.files import write_atomically
from frontcounter.services.permissions import FORCE_WIDE_ROLES, Action
from frontcounter.services.reports import OUTCOMES, REASON_GROUPS, WAIT_BANDS, Figures, Report
from frontcounter.services.status import LABELS as STATUS_LABELS
from frontcounter.ui.app_state import AppState, mask_name

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


@dataclass(frozen=True)
class Target:
    """What a bar, a point or a table row stands for: a figure key, its station and a title."""

    key: str
    station_code: str | None
    title: str


@dataclass(frozen=True)
class Bars:
    name: str
    values: Sequence[float]
    targets: Sequence[Target | None]


@dataclass(frozen=True)
class Line:
    name: str
    values: Sequence[float | None]
    targets: Sequence[Target | None]


Row = tuple[Sequence[str], Target | None]

LIGHT_COLOURS = ("#1d3557", "#b45309", "#0f766e", "#9b1c1c", "#6d28d9", "#0369a1", "#4d7c0f", "#be185d",
                 "#374151", "#a16207", "#0e7490", "#52606d")
DARK_COLOURS = ("#ffff00", "#ffffff", "#00ffff", "#ff9f1c", "#7fff00", "#ff66ff", "#66b3ff", "#ffcc99",
                "#c0c0c0", "#99ff99", "#ff8080", "#e0e0e0")


class ChartCard(QFrame):
    """One figure: a chart on the left, its numbers in a table on the right, a title above."""

    #: A bar, a point or a row was chosen: what it stands for.
    figure_activated = Signal(object)

    def __init__(self, key: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName(f"reportCard_{key}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(title)
        self.title.setProperty("heading", True)
        self.title.setWordWrap(True)
        self.chart = QChart()
        # Follow the app theme: the default light chart put yellow bars on white in high contrast.
        dark = self.palette().window().color().lightness() < 128
        self.chart.setTheme(QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight)
        if dark:
            self.chart.setBackgroundBrush(self.palette().window())
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart.setMargins(QMargins(4, 4, 4, 4))
        self.chart.setBackgroundRoundness(0)
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.view = QChartView(self.chart)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumSize(320, 250)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the table beside it is the keyboard way in
        self.view.setAccessibleName(self.tr("Chart: {0}").format(title))
        self.view.setAccessibleDescription(self.tr("The same numbers are in the table beside the chart."))
        self.view.setToolTip(self.tr("Click a bar to see the appointments behind it."))
        self.table = QTableWidget()
        self.table.setObjectName(f"reportTable_{key}")
        self.table.setAccessibleName(self.tr("Numbers: {0}").format(title))
        self.table.setAccessibleDescription(self.tr("Press Enter on a row to list its appointments."))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)  # Tab goes on to the next chart; arrows move in the table
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setMinimumWidth(300)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.table.activated.connect(self._on_table_activated)
        self.table.doubleClicked.connect(self._on_table_activated)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.view, 3)
        body.addWidget(self.table, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.addWidget(self.title)
        layout.addLayout(body, 1)
        self.setMinimumHeight(340)
        self._bar_targets: list[Sequence[Target | None]] = []
        self._line_targets: dict[int, Sequence[Target | None]] = {}
        self._row_targets: list[Target | None] = []

    # -- what it shows ------------------------------------------------------------------------

    def _clear(self) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        self._bar_targets = []
        self._line_targets = {}

    def show_bars(self, categories: Sequence[str], sets: Sequence[Bars], colours: Sequence[str], *,
                  percent: bool = False) -> None:
        """Bars with their values printed on them (percent values are 0–100)."""
        self._clear()
        series = QBarSeries()
        series.setLabelsVisible(True)
        series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
        series.setLabelsFormat("@value%" if percent else "@value")
        series.setLabelsPrecision(3)
        for index, bars in enumerate(sets):
            bar_set = QBarSet(bars.name)
            bar_set.append([float(v) for v in bars.values])
            bar_set.setColor(QColor(colours[index % len(colours)]))
            bar_set.setBorderColor(QColor(colours[index % len(colours)]))
            bar_set.setLabelColor(self.palette().windowText().color())
            bar_set.clicked.connect(lambda i, s=index: self._on_bar_clicked(s, i))
            series.append(bar_set)
            self._bar_targets.append(bars.targets)
        self.chart.addSeries(series)
        x_axis = QBarCategoryAxis()
        x_axis.append([_two_lines(c) for c in categories])
        self.chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(x_axis)
        values = [float(v) for bars in sets for v in bars.values]
        y_axis = QValueAxis()
        if percent:
            top = max(100.0, *values) if values else 100.0
            step = 25.0 if top <= 100 else 50.0
            y_axis.setLabelFormat("%d%%")
        else:
            top, step = reports.axis_scale(values)
            y_axis.setLabelFormat("%d" if step >= 1 else "%.1f")
        y_axis.setRange(0, top * 1.08)  # room above the tallest bar for its label
        y_axis.setTickType(QValueAxis.TickType.TicksDynamic)
        y_axis.setTickAnchor(0)
        y_axis.setTickInterval(step)
        self.chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(y_axis)
        self.chart.legend().setVisible(len(sets) > 1)

    def show_lines(self, categories: Sequence[str], lines: Sequence[Line], colours: Sequence[str]) -> None:
        """Average rating by week on a fixed 1–5 scale; a week without ratings leaves a gap."""
        self._clear()
        x_axis = QBarCategoryAxis()
        x_axis.append(list(categories))
        self.chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        y_axis = QValueAxis()
        y_axis.setRange(1, 5)
        y_axis.setTickType(QValueAxis.TickType.TicksDynamic)
        y_axis.setTickAnchor(1)
        y_axis.setTickInterval(1)
        y_axis.setLabelFormat("%d")
        self.chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        for index, line in enumerate(lines):
            series = QLineSeries()
            series.setName(line.name)
            for x, value in enumerate(line.values):
                if value is not None:
                    series.append(QPointF(x, round(value, 2)))  # the point label prints it as is
            pen = QPen(QColor(colours[index % len(colours)]))
            pen.setWidthF(2.5 if index == 0 or len(lines) < 4 else 1.5)
            series.setPen(pen)
            series.setPointsVisible(True)
            series.setMarkerSize(7)
            series.clicked.connect(lambda point, s=index: self._on_point_clicked(s, point))
            self.chart.addSeries(series)
            series.attachAxis(x_axis)
            series.attachAxis(y_axis)
            self._line_targets[index] = line.targets
        self.chart.legend().setVisible(len(lines) > 1)

    def show_rows(self, header: Sequence[str], rows: Sequence[Row]) -> None:
        self.table.clear()
        self.table.setColumnCount(len(header))
        self.table.setHorizontalHeaderLabels(list(header))
        self.table.setRowCount(len(rows))
        self._row_targets = []
        for r, (cells, target) in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c > 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if target is not None:
                    item.setToolTip(self.tr("Enter or double-click: list these appointments"))
                self.table.setItem(r, c, item)
            self._row_targets.append(target)
        header_view = self.table.horizontalHeader()
        header_view.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(header)):
            header_view.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)

    # -- what it says when chosen -------------------------------------------------------------

    def bar_target(self, set_index: int, index: int) -> Target | None:
        targets = self._bar_targets[set_index] if set_index < len(self._bar_targets) else ()
        return targets[index] if 0 <= index < len(targets) else None

    def _on_bar_clicked(self, set_index: int, index: int) -> None:
        target = self.bar_target(set_index, index)
        if target is not None:
            self.figure_activated.emit(target)

    def _on_point_clicked(self, series_index: int, point: QPointF) -> None:
        targets = self._line_targets.get(series_index, ())
        index = round(point.x())
        if 0 <= index < len(targets) and targets[index] is not None:
            self.figure_activated.emit(targets[index])

    def _on_table_activated(self, index: Any) -> None:
        row = index.row()
        if 0 <= row < len(self._row_targets) and self._row_targets[row] is not None:
            self.figure_activated.emit(self._row_targets[row])


class ReportsView(QWidget):
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
                                                             reports.period_label(report)))
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

    # -- drill-down ---------------------------------------------------------------------------

    def _on_card_figure_activated(self, target: Target) -> None:
        self.open_drill_down(target)

    def open_drill_down(self, target: Target) -> DrillDownDialog | None:
        """List the appointments behind ``target`` in a dialog (loaded off the GUI thread)."""
        if self.report is None:
            return None
        if self.drill_dialog is not None:
            self.drill_dialog.close()
        dialog = DrillDownDialog(self.state, target, self.report.date_from, self.report.date_to, self)
        self.drill_dialog = dialog
        dialog.show()
        self.drill_down_opened.emit(dialog)
        return dialog

    # -- export -------------------------------------------------------------------------------

    def _on_export_clicked(self, fmt: str) -> None:
        if self.report is None:
            return
        scope = (self.report.station_code or "all").lower()
        name = f"report-{scope}-{self.report.date_from:%Y%m%d}-{self.report.date_to:%Y%m%d}.{fmt}"
        suggested = self.state.paths.data_dir.parent / name
        kinds = self.tr("CSV files (*.csv)") if fmt == "csv" else self.tr("PDF files (*.pdf)")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export the report"), str(suggested), kinds)
        if path:
            self.export_to(Path(path), fmt)

    def export_to(self, path: Path, fmt: str) -> None:
        """Write the report shown to ``path`` as CSV or PDF (readable by its owner only)."""
        if self.report is None:
            return
        ctx, actor, report = self.state.ctx, self.state.actor, self.report
        from frontcounter.services import report_export  # ReportLab only when exporting

        kind: report_export.Format = "csv" if fmt == "csv" else "pdf"

        def work(_progress: Any) -> str:
            write_atomically(path, report_export.export_report(ctx, actor, report, kind))
            return str(path)

        self.busy.show()
        self.status.setText(self.tr("Exporting…"))
        self.state.tasks.run(work, on_done=self._on_export_done, on_error=self._on_export_failed)

    def _on_export_done(self, path: str) -> None:
        self.busy.hide()
        self.status.setText(self.tr("Exported to {0}.").format(path))
        self.state.message.emit(self.tr("Report exported to {0}").format(path), "info")
        self.exported.emit(path)

    def _on_export_failed(self, exc: BaseException) -> None:
        self.busy.hide()
        self.status.setText(_failure_text(self, exc))

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


class DrillDownDialog(QDialog):
    """The appointments behind one figure, with CSV/PDF export (an audited disclosure)."""

    #: The list arrived: how many appointments.
    loaded = Signal(int)
    exported = Signal(str)

    COLUMNS = ("Reference", "Date", "Time", "Station", "Room", "Officer", "Status", "Visitor", "Wait")

    def __init__(self, state: AppState, target: Target, date_from: date, date_to: date,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.target = target
        self.date_from, self.date_to = date_from, date_to
        self.appointments: list[AppointmentView] = []
        self.setWindowTitle(target.title)
        self.setObjectName("drillDownDialog")
        self.resize(960, 520)
        heading = QLabel(target.title)
        heading.setProperty("heading", True)
        self.count = QLabel(self.tr("Loading…"))
        self.count.setAccessibleName(self.tr("How many appointments"))
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("drillDownTable")
        self.table.setAccessibleName(self.tr("Appointments behind the figure"))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in self.COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.csv_button = QPushButton(self.tr("Export &CSV…"))
        self.pdf_button = QPushButton(self.tr("Export &PDF…"))
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.close)
        for button in (self.csv_button, self.pdf_button):
            button.setVisible(state.can(Action.EXPORT_REPORTS))
            button.setEnabled(False)
            button.setToolTip(self.tr("The list names visitors: exporting it is recorded in the audit log."))
        self.csv_button.clicked.connect(lambda: self._on_export_clicked("csv"))
        self.pdf_button.clicked.connect(lambda: self._on_export_clicked("pdf"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.count, 1)
        buttons.addWidget(self.csv_button)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        state.mask_changed.connect(self._on_state_mask_changed)
        self._load()

    def _load(self) -> None:
        ctx, actor, t = self.state.ctx, self.state.actor, self.target
        first, last = self.date_from, self.date_to
        self.state.tasks.run(
            lambda _progress: reports.appointments_behind(ctx, actor, t.key, first, last, t.station_code),
            on_done=self._on_loaded, on_error=self._on_failed)

    def references(self) -> list[str]:
        return [v.reference for v in self.appointments]

    def _on_loaded(self, views: list[AppointmentView]) -> None:
        self.appointments = views
        self._fill()
        self.count.setText(self.tr("{0} appointments").format(len(views)) if len(views) != 1
                           else self.tr("1 appointment"))
        for button in (self.csv_button, self.pdf_button):
            button.setEnabled(bool(views))
        self.table.setFocus()
        self.loaded.emit(len(views))

    def _fill(self) -> None:
        masked = self.state.masked
        self.table.setRowCount(len(self.appointments))
        for r, v in enumerate(self.appointments):
            wait = reports.wait_minutes_of(v)
            try:
                status = STATUS_LABELS[Status(v.status)]
            except ValueError:
                status = v.status
            if v.at_risk:
                status = self.tr("{0} · at risk").format(status)
            cells = (v.reference, f"{local(v.start):%a %d %b %Y}", f"{local(v.start):%H:%M}–{local(v.end):%H:%M}",
                     v.station_code, v.room_name, v.officer_label if v.officer_id else self.tr("unassigned"),
                     status, mask_name(v.visitor_name, masked), "" if wait is None else self.tr("{0} min").format(wait))
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))

    def _on_state_mask_changed(self, _masked: bool) -> None:
        self._fill()

    def _on_failed(self, exc: BaseException) -> None:
        self.count.setText(_failure_text(self, exc))
        self.loaded.emit(-1)

    def _on_export_clicked(self, fmt: str) -> None:
        key = self.target.key.replace(":", "-")[:40]
        suggested = self.state.paths.data_dir.parent / f"appointments-{key}-{self.date_from:%Y%m%d}.{fmt}"
        kinds = self.tr("CSV files (*.csv)") if fmt == "csv" else self.tr("PDF files (*.pdf)")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export the appointments"), str(suggested), kinds)
        if path:
            self.export_to(Path(path), fmt)

    def export_to(self, path: Path, fmt: str) -> None:
        """Write the list to ``path`` (owner-readable); the service audits the disclosure."""
        ctx, actor, views, t = self.state.ctx, self.state.actor, list(self.appointments), self.target
        first, last = self.date_from, self.date_to
        from frontcounter.services import report_export  # ReportLab only when exporting

        kind: report_export.Format = "csv" if fmt == "csv" else "pdf"

        def work(_progress: Any) -> str:
            # Written whole before the disclosure is audited (a failed write is no export).
            report_export.export_appointments(ctx, actor, views, kind, figure_key=t.key, title=t.title,
                                              date_from=first, date_to=last, destination=path.name,
                                              deliver=lambda data: write_atomically(path, data))
            return str(path)

        self.count.setText(self.tr("Exporting…"))
        self.state.tasks.run(work, on_done=self._on_export_done,
                             on_error=lambda exc: self.count.setText(_failure_text(self, exc)))

    def _on_export_done(self, path: str) -> None:
        self.count.setText(self.tr("Exported to {0}.").format(path))
        self.exported.emit(path)


# --- small helpers ---------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _percent_value(value: float | None) -> float:
    """A ratio as the whole percentage a chart bar shows (as the table beside it rounds it)."""
    return 0.0 if value is None else float(round(value * 100))


def _hours(value: float) -> str:
    return f"{value:.0f} h" if value >= 100 else f"{value:.1f} h"


def _collar(label: str, *, short: bool) -> str:
    """"PC 1234 Priya Patel" → "1234 Patel" (or "1234" when many bars share the axis)."""
    parts = label.split()
    if len(parts) < 3:
        return label
    return parts[1] if short else f"{parts[1]} {parts[-1]}"


def _two_lines(label: str) -> str:
    """An axis label as Qt Charts' rich text, a long one broken at its middle space so Qt does not
    elide it to "Left unse…" (room and station names are escaped: they are data, not markup)."""
    if len(label) <= 9 or " " not in label:
        return html.escape(label)
    middle = len(label) // 2
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return f"{html.escape(label[:cut])}<br>{html.escape(label[cut + 1:])}"


def _failure_text(widget: QWidget, exc: BaseException) -> str:
    if isinstance(exc, FrontCounterError):
        return exc.message
    if isinstance(exc, OSError):
        return widget.tr("Could not write the file: {0}").format(exc.strerror or exc)
    logger.error("reports task failed", exc_info=exc)
    return widget.tr("Something went wrong; the details are in the log.")
