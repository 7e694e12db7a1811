"""The import dialog at scale: rows done of about how many and rejected so far while it runs, and
Cancel, which stops between two batches (whole batches in) so the same file again carries on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from frontcounter.db.models import Appointment
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.scheduling import import_batch, importer
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.import_appointments import ImportDialog
from tests.import_files_support import generated_rows, write_csv
from tests.screens import screenshot_dir

BATCH = 100


@pytest.fixture
def supervisor_state(station: StationRuntime, supervisor: Actor) -> Iterator[AppState]:
    state = AppState(station.ctx, supervisor, station.settings, station.paths)
    yield state
    state.tasks.wait(10000)


def _imported(station: StationRuntime) -> int:
    with station.ctx.read() as s:
        return s.scalar(select(func.count()).select_from(Appointment).where(Appointment.external_id.like("G-%"))) or 0


def test_cancel_stops_between_batches_and_importing_again_carries_on(
    qtbot: QtBot, supervisor_state: AppState, station: StationRuntime, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importer, "BATCH_ROWS", BATCH)
    rows = generated_rows(1000)
    rows[3]["reason"] = "nonsense"
    path = write_csv(tmp_path / "cad.csv", rows)
    real = import_batch.write_batch
    may_go_on = threading.Event()
    calls: list[int] = []

    def second_batch_waits(*args: Any) -> Any:  # on the worker: hold batch 2 until the clerk has clicked
        calls.append(1)
        if len(calls) == 2:
            may_go_on.wait(10)
        return real(*args)

    monkeypatch.setattr(importer, "write_batch", second_batch_waits)
    dialog = ImportDialog(supervisor_state)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.path.setText(str(path))
    qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
    assert dialog.cancel_button.isVisible() and not dialog.start.isEnabled()
    qtbot.waitUntil(lambda: dialog.progress.value() == BATCH, timeout=10000)
    assert dialog.progress_text.text().startswith(f"{BATCH} of about ") and "rows · 1 rejected" in dialog.progress_text.text()
    dialog.grab().save(str(screenshot_dir() / "import-progress.png"))
    with qtbot.waitSignal(dialog.imported, timeout=10000) as signal:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert dialog.progress_text.text() == "Stopping after this batch…"
        may_go_on.set()
    report = signal.args[0]
    assert report.cancelled and report.imported_count == 2 * BATCH - 1 and _imported(station) == 2 * BATCH - 1
    assert "import the same file again to carry on" in dialog.summary.text()
    assert not dialog.cancel_button.isVisible() and dialog.start.isEnabled()
    with qtbot.waitSignal(dialog.imported, timeout=20000) as again:
        qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
    report = again.args[0]
    assert (report.skipped_count, report.imported_count, report.rejected_count) == (2 * BATCH - 1, 800, 1)
    assert _imported(station) == 999
    assert "All of them, with the reasons, are in" in dialog.banner.text()
