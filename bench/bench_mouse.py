"""The Today view by mouse: a click on a row until its visitor is in the details pane (issue 19).

Figure, against a floor measured in the same run (clicks interleaved, so noise hits both):

- **row click → details shown (1,000-visitor day), p95**: the real main window signed in as the
  counter, Today holding the demo's day plus 1,000 more visitors (``bench_counter``'s stress day);
  ``QTest.mouseClick`` on a row, then the event loop until it is idle (the selection drawn, the
  pane filled). Each sample is checked: the pane must show the clicked visitor's reference, or the
  run fails. Floor: the same click on a bare ``QTableView`` over a ``QStandardItemModel`` holding
  the same rows' text, whose ``selectionChanged`` puts the row's text in a ``QLabel`` beside it.
  Target p95 <= 16 ms (one frame at 60 Hz).
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import figure, median, p95

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

NAME = "row click → details shown (1,000-visitor day)"


class _Floor:
    """A bare table whose selection fills a label: what Qt itself costs for a click."""

    def __init__(self, rows: list[list[str]]) -> None:
        from PySide6.QtGui import QStandardItem, QStandardItemModel
        from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QLabel, QMainWindow, QTableView, QWidget

        self.model = QStandardItemModel(len(rows), len(rows[0]))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                self.model.setItem(r, c, QStandardItem(text))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.label = QLabel()
        self.label.setMinimumWidth(300)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.window = QMainWindow()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.label)
        self.window.setCentralWidget(central)
        self.window.resize(1280, 720)
        self.window.show()

    def _on_selection_changed(self, *_args: Any) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.label.setText(" ".join(str(self.model.index(rows[0].row(), c).data())
                                    for c in range(self.model.columnCount())) if rows else "")


def _click(app: Any, table: Any, row: int) -> float:
    """Milliseconds from the press on ``row`` until the event loop is idle again."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    index = table.model().index(row, 1)
    table.scrollTo(index)
    app.processEvents()
    point = table.visualRect(index).center()
    start = time.perf_counter()
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    app.processEvents()
    return (time.perf_counter() - start) * 1000.0


def _figure(app: Any, data_dir: Path, clicks: int) -> dict[str, Any]:
    from bench.history import BENCH_NOW
    from frontcounter.paths import Paths
    from frontcounter.runtime import open_station
    from frontcounter.services.core.clock import FixedClock
    from frontcounter.ui.app_state import AppState
    from frontcounter.ui.kit.appointment_model import DETAIL_ROLE
    from frontcounter.ui.shell.main_window import MainWindow
    from frontcounter.ui.views.today import TodayView
    from tests.conftest import actor_named

    runtime = open_station(Paths.resolve(data_dir), clock=FixedClock(BENCH_NOW))
    try:
        state = AppState(runtime.ctx, actor_named(runtime, "counter.HH"), runtime.settings, runtime.paths)
        window = MainWindow(state)
        window.resize(1280, 720)
        window.show()
        today = window.view("today")
        assert isinstance(today, TodayView)
        deadline = time.monotonic() + 60
        while (state.tasks.active or today.model.rowCount() == 0) and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.005)
        today.timer.stop()  # only the click may fill the pane
        model = today.model
        count = model.rowCount()
        rows = [[" ".join(filter(None, (str(model.index(r, c).data() or ""),
                                        str(model.index(r, c).data(DETAIL_ROLE) or ""))))
                 for c in range(model.columnCount())] for r in range(count)]
        floor = _Floor(rows)
        picks = random.Random(19).sample(range(count), min(count, clicks + 3))
        ours: list[float] = []
        bare: list[float] = []
        for n, row in enumerate(picks):
            elapsed = _click(app, today.table, row)
            view = model.view_at(today.proxy.mapToSource(today.proxy.index(row, 0)).row())
            if not today.details.when.text().endswith(view.reference):
                raise RuntimeError(f"the details pane does not show the clicked row {row} ({view.reference})")
            floor_elapsed = _click(app, floor.table, row)
            if n >= 3:  # the first clicks warm the caches
                ours.append(elapsed)
                bare.append(floor_elapsed)
        window.close()
        floor.window.close()
        state.tasks.wait(5000)
        app.processEvents()
    finally:
        runtime.engine.dispose()
    return figure(p95(ours), "ms", p95(bare), "p95 <= 16 ms", median=round(median(ours), 3), runs=len(ours),
                  notes=f"{count} appointments today; {len(ours)} clicks on random rows of the real Today view, "
                        f"each checked in the details pane (median {median(ours):.2f} ms; bare QTableView "
                        f"selection into a QLabel, median {median(bare):.2f} ms)")


def run(quick: bool) -> dict[str, dict[str, Any]]:
    import sys

    from PySide6.QtWidgets import QApplication

    from bench.bench_counter import _add_stress_day
    from bench.history import BENCH_NOW
    from frontcounter.paths import Paths
    from frontcounter.runtime import create_demo
    from frontcounter.services.core.clock import FixedClock

    root = Path(__file__).resolve().parent.parent
    if str(root) not in sys.path:  # tests.conftest.actor_named: an Actor without paying for scrypt
        sys.path.insert(0, str(root))
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="bench-mouse-") as tmp:
        data_dir = Path(tmp) / "busy-day"
        create_demo(Paths.resolve(data_dir), clock=FixedClock(BENCH_NOW))
        _add_stress_day(data_dir, BENCH_NOW)
        return {NAME: _figure(app, data_dir, 40 if quick else 150)}


if __name__ == "__main__":  # python -m bench.bench_mouse [--full]
    import json
    import sys

    print(json.dumps(run(quick="--full" not in sys.argv), indent=2, ensure_ascii=False))
