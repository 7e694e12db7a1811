"""The reports view's cards: one chart (bars or a line, with a target line) and a table that says
the same for a screen reader, in colours that stay apart on the light and the high-contrast theme."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
from PySide6.QtCore import QMargins, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.reports.model import (
    axis_scale,
)
from frontcounter.ui.kit.report_format import Row, Target, _two_lines


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
            top, step = axis_scale(values)
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
