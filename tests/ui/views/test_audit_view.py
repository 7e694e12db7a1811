"""The auditor's view: shows the log newest first, searches on request (each search audited),
exports CSV owner-readable with the export audited, and shows nothing to a non-auditor."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import AuditEvent
from frontcounter.runtime import StationRuntime
from frontcounter.services.core import appointments
from frontcounter.ui.app_state import AppState
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.shell.navigation import views_for
from frontcounter.ui.views.audit import AuditView
from tests.conftest import actor_named
from tests.screens import screenshot_dir

DOCS = screenshot_dir()


def _view(qtbot: QtBot, station: StationRuntime, username: str = "auditor.HH") -> AuditView:
    state = AppState(station.ctx, actor_named(station, username), station.settings, station.paths)
    with qtbot.waitSignal(state.tasks.busy_changed, check_params_cb=lambda busy: not busy, timeout=10000):
        view = AuditView(state)
    qtbot.addWidget(view)
    return view


def test_only_the_auditor_gets_the_view(station: StationRuntime) -> None:
    for username in ("counter.HH", "officer.HH", "supervisor.HH", "fcr.HH", "admin.HH"):
        state = AppState(station.ctx, actor_named(station, username), station.settings, station.paths)
        assert "audit" not in [v.key for v in views_for(state)], username
    state = AppState(station.ctx, actor_named(station, "auditor.HH"), station.settings, station.paths)
    assert [v.key for v in views_for(state)] == ["audit"]


def test_search_and_export(qtbot: QtBot, station: StationRuntime, tmp_path: Path) -> None:
    appointments.search(station.ctx, actor_named(station, "counter.HH"), "Smith")
    view = _view(qtbot, station)
    assert view.model.rowCount() >= 1
    view.text.setText("appointments.search")
    with qtbot.waitSignal(view.searched, timeout=10000) as blocker:
        view.search_button.click()
    assert blocker.args == [1]
    assert view.model.row_at(0).details["query"] == "Smith"
    assert view.model.data(view.model.index(0, 8)) == "✓ success"  # outcome as symbol and word

    target = tmp_path / "audit-export.csv"
    with qtbot.waitSignal(view.exported, timeout=10000):
        view.export_to(target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    content = target.read_text(encoding="utf-8-sig")
    assert content.startswith("OFFICIAL-SENSITIVE") and "appointments.search" in content
    with station.ctx.read() as s:
        actions = [(e.action, e.details.get("recipient")) for e in
                   s.scalars(select(AuditEvent).where(AuditEvent.username == "auditor.HH")
                             .order_by(AuditEvent.local_seq))]
    assert actions[-1] == ("audit.export", "audit-export.csv")
    assert [a for a, _ in actions].count("audit.view") == 2  # the opening search and the one asked for


def test_a_switched_user_sees_nothing_of_the_log(qtbot: QtBot, station: StationRuntime) -> None:
    appointments.search(station.ctx, actor_named(station, "counter.HH"), "Smith")
    view = _view(qtbot, station)
    assert view.model.rowCount() > 0
    view.state.set_actor(actor_named(station, "counter.HH"))
    assert view.model.rowCount() == 0 and not view.export_button.isVisible()


def test_screenshot(qtbot: QtBot, station: StationRuntime) -> None:
    from frontcounter.ui.theme import apply_theme

    apply_theme(QApplication.instance(), "calm")  # type: ignore[arg-type]
    import contextlib

    from frontcounter.services.core.errors import FrontCounterError
    from frontcounter.services.documents import contents as briefing
    from frontcounter.services.security import auth

    counter, officer = actor_named(station, "counter.HH"), actor_named(station, "officer.HH")
    auth.sign_in(station.ctx, "counter.HH", "demo")
    appointments.search(station.ctx, counter, "Khan")
    reference = appointments.list_day(station.ctx, counter, station.ctx.clock.now().date())[0].reference
    with contextlib.suppress(FrontCounterError):
        auth.sign_in(station.ctx, "officer.HH", "wrong")
    auth.sign_in(station.ctx, "officer.HH", "demo")
    briefing.load_briefing(station.ctx, officer, reference)
    with contextlib.suppress(FrontCounterError):
        briefing.load_briefing(station.ctx, counter, reference)
    state = AppState(station.ctx, actor_named(station, "auditor.HH"), station.settings, station.paths)
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: state.tasks.active == 0, timeout=10000)
    view = window.view("audit")
    assert isinstance(view, AuditView)
    view.table.selectRow(0)
    assert "briefing.open" in view.detail.text() and "read briefing" in view.detail.text()
    qtbot.wait(50)
    DOCS.mkdir(exist_ok=True)
    assert window.grab().save(str(DOCS / "audit-view.png"))


def test_the_window_title_and_the_view_carry_the_configured_marking(qtbot: QtBot, station: StationRuntime) -> None:
    import dataclasses

    from PySide6.QtWidgets import QLabel

    station.ctx.policy = dataclasses.replace(station.ctx.policy, protective_marking="OFFICIAL-SENSITIVE PERSONAL")
    state = AppState(station.ctx, actor_named(station, "auditor.HH"), station.settings, station.paths)
    window = MainWindow(state)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: state.tasks.active == 0, timeout=10000)
    assert window.windowTitle() == "FrontCounter — Hemel Hempstead — OFFICIAL-SENSITIVE PERSONAL"
    marking = window.view("audit").findChild(QLabel, "protectiveMarking")
    assert marking is not None and marking.text() == "OFFICIAL-SENSITIVE PERSONAL"
