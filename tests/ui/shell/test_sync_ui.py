"""The sync worker in the app: the status bar says online/offline, when it last synced and how many
changes wait; a command triggers a sync; offline it backs off and counts down; a refused centre
says why; the supervisor settles rejected changes in Needs attention; the connection dialog tests
in the background and keeps the password in the keyring; and a 10,000-row first sync never stalls
the event loop for more than 50 ms."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot
from sqlalchemy import select, text

from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.migrate import head_revision
from frontcounter.db.models import AttentionItem, OutboxEntry
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, create_demo, open_station
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.counter import checkin
from frontcounter.services.security import secrets
from frontcounter.services.sync.report import SyncReport
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.connection_settings import ConnectionSettingsDialog
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.shell.sync_controller import SyncController
from frontcounter.ui.shell.sync_startup import attach_to_window, freeze_startup_objects
from frontcounter.ui.views.attention import AttentionView
from tests.conftest import MemoryKeyring, actor_named
from tests.sync_support import actor_in, central_context, create_appointment, rooms_and_officers

UNREACHABLE = "postgresql+psycopg://station_hh:hunter2@127.0.0.1:1/frontcounter"


class App:
    """The main window with a sync controller attached, as the app starts it."""

    def __init__(self, qtbot: QtBot, runtime: StationRuntime, actor: Actor) -> None:
        self.qtbot = qtbot
        self.runtime = runtime
        # The demo copy's config names the template's centre; this test's own copy is next to it.
        settings = replace(runtime.settings, central_url=sqlite_url(runtime.paths.embedded_central_db))
        self.state = AppState(runtime.ctx, actor, settings, runtime.paths)
        self.now = [1000.0]
        self.sync = SyncController(self.state.ctx, lambda: self.state.settings, self.state.tasks,
                                   parent=self.state, debounce_ms=50, monotonic=lambda: self.now[0])
        self.window = attach_to_window(MainWindow(self.state), self.sync)
        qtbot.addWidget(self.window)

    def label(self) -> str:
        return self.window.sync_label.text()

    def run_sync(self) -> SyncReport:
        with self.qtbot.waitSignal(self.sync.sync_finished, timeout=20000) as finished:
            self.sync.sync_now()
        return finished.args[0]  # type: ignore[no-any-return]

    def run_failing_sync(self) -> str:
        with self.qtbot.waitSignal(self.sync.sync_failed, timeout=20000) as failed:
            self.sync.sync_now()
        return failed.args[0]  # type: ignore[no-any-return]

    def close(self) -> None:
        self.sync.stop()
        self.state.tasks.wait(10000)
        self.sync.dispose()


@pytest.fixture
def app(qtbot: QtBot, station: StationRuntime, supervisor: Actor) -> Iterator[App]:
    running = App(qtbot, station, supervisor)
    yield running
    running.close()


def _check_in_next(runtime: StationRuntime, clock: FixedClock, skip: int = 0) -> None:
    from tests.unit.sync.test_sync_rules import upcoming

    appt = upcoming(runtime, skip)
    clock.set(appt.start_at - timedelta(minutes=5))
    checkin.check_in(runtime.ctx, actor_named(runtime, "counter.HH"), appt.reference, force=True)


def test_status_bar_shows_online_last_sync_and_nothing_waiting(app: App) -> None:
    report = app.run_sync()
    assert report.waiting == 0
    assert app.label() == "● Online · synced 17:30 · 0 waiting"


def test_a_local_command_triggers_a_sync_after_a_short_debounce(app: App, clock: FixedClock) -> None:
    app.sync.start(delay_ms=60000)  # only the command may trigger it
    with app.qtbot.waitSignal(app.sync.sync_finished, timeout=20000) as finished:
        _check_in_next(app.runtime, clock)
    assert finished.args[0].pushed == 1 and finished.args[0].applied == 1
    assert app.label().startswith("● Online · synced") and app.label().endswith("0 waiting")


def test_offline_it_backs_off_counts_down_and_counts_waiting_changes(app: App, clock: FixedClock) -> None:
    app.state.settings = replace(app.state.settings, central_url=UNREACHABLE)
    app.sync.start(delay_ms=60000)
    message = app.run_failing_sync()
    assert "cannot be reached" in message and "hunter2" not in message and "***" in message
    assert app.label() == "○ Offline · 0 waiting · retrying in 5 s"
    assert "hunter2" not in app.window.sync_label.toolTip()

    _check_in_next(app.runtime, clock)  # offline, a command only adds to what waits
    app.qtbot.waitUntil(lambda: "1 waiting" in app.label(), timeout=5000)
    assert not app.sync.running
    app.now[0] += 3
    app.sync._on_ticker_timeout()
    assert app.label() == "○ Offline · 1 waiting · retrying in 2 s"

    app.run_failing_sync()
    assert app.label().endswith("retrying in 10 s")  # 5 s, then 10 s, 20 s… while the centre is away


def test_a_centre_with_another_schema_is_refused_and_the_reason_is_shown(app: App, demo_dir: Path) -> None:
    engine = make_engine(sqlite_url(demo_dir / "central.sqlite"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999_future'"))
    engine.dispose()
    message = app.run_failing_sync()

    assert f"schema is version 0999_future but this app speaks {head_revision()}" in message
    assert app.label().startswith("⚠ Sync refused · 0 waiting")
    assert "0999_future" in app.window.sync_label.toolTip()


def test_supervisor_sees_and_settles_a_rejected_walk_in(
    app: App, station: StationRuntime, demo_dir: Path, clock: FixedClock
) -> None:
    centre = central_context(make_engine(sqlite_url(demo_dir / "central.sqlite")), clock)
    rooms, officers = rooms_and_officers(station.ctx, "HH")
    start = clock.now().replace(hour=3, minute=0, second=0, microsecond=0) + timedelta(days=1)
    create_appointment(centre, actor_in(centre, "fcr.HH"), "HH", rooms[0].id, officers[0].id, start)
    create_appointment(station.ctx, actor_named(station, "counter.HH"), "HH", rooms[0].id, officers[1].id, start)
    messages: list[tuple[str, str]] = []
    app.state.message.connect(lambda text_, kind: messages.append((text_, kind)))
    assert app.run_sync().rejected == 1
    assert messages == [("The centre did not accept 1 change(s); they are kept under Not accepted, to fix and "
                         "resend.", "warning")]

    view = app.window.view("attention")
    assert isinstance(view, AttentionView)

    def rejected() -> list[int]:
        return [r for r in range(view.model.rowCount()) if view.model.row_at(r).kind == "rejected"]

    app.qtbot.waitUntil(lambda: len(rejected()) == 1, timeout=10000)
    # The demo's appointments at risk are listed (and counted) too, until an officer is assigned.
    at_risk = view.model.rowCount() - 1
    assert all(view.model.row_at(r).kind == "at_risk" for r in range(view.model.rowCount()) if r not in rejected())
    row = next(i for i, spec in enumerate(app.window._specs) if spec.key == "attention")
    assert app.window.nav.item(row).text() == f"Needs attention  ({at_risk + 1})"
    view.table.selectRow(rejected()[0])
    assert "room is already booked" in view.detail.text() and "✖ Rejected" in view.detail_title.text()
    assert not view.settle_button.isEnabled()  # a note first: what was done about it
    view.note.setText("Visitor rebooked for Wednesday 18:00")
    with app.qtbot.waitSignal(view.settled, timeout=10000):
        view.settle_button.click()
    app.qtbot.waitUntil(lambda: not rejected(), timeout=10000)

    report = app.run_sync()  # the settlement goes to the centre like any command
    assert report.applied == 1
    with centre.read() as s:
        item = s.scalars(select(AttentionItem)).one()
    assert item.settled_by == "supervisor.HH" and item.settlement == "Visitor rebooked for Wednesday 18:00"
    centre.engine.dispose()


def test_connection_dialog_tests_in_the_background_and_keeps_the_password_in_the_keyring(
    qtbot: QtBot, station: StationRuntime, memory_keyring: MemoryKeyring
) -> None:
    from frontcounter.ui.tasks import TaskRunner

    tasks = TaskRunner()
    dialog = ConnectionSettingsDialog(station.settings, station.paths, tasks)
    qtbot.addWidget(dialog)
    dialog.url.setText(UNREACHABLE)
    dialog._on_url_editing_finished()  # a pasted password moves to its own hidden field
    assert dialog.url.text() == "postgresql+psycopg://station_hh@127.0.0.1:1/frontcounter"
    assert dialog.password.text() == "hunter2"
    dialog.tls.setCurrentIndex(dialog.tls.findData("require"))
    with qtbot.waitSignal(dialog.tested, timeout=20000) as tested:
        dialog.test_button.click()
    ok, message = tested.args
    assert not ok and "cannot be reached" in message and "hunter2" not in message
    assert dialog.result.text().startswith("✖ ")

    saved: list[object] = []
    dialog.saved.connect(saved.append)
    dialog.save_button.click()
    url = "postgresql+psycopg://station_hh@127.0.0.1:1/frontcounter?sslmode=require"
    assert saved and saved[0].central_url == url  # type: ignore[attr-defined]
    assert "hunter2" not in station.paths.config_file.read_text()
    assert secrets.load_password(url) == "hunter2"
    tasks.wait(5000)


def test_connection_test_reports_a_matching_schema(qtbot: QtBot, station: StationRuntime) -> None:
    from frontcounter.ui.tasks import TaskRunner

    tasks = TaskRunner()
    settings = replace(station.settings, central_url=sqlite_url(station.paths.embedded_central_db))
    dialog = ConnectionSettingsDialog(settings, station.paths, tasks)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.tested, timeout=20000) as tested:
        dialog.test_button.click()

    assert tested.args[0] and f"schema {head_revision()}, the same as this app" in tested.args[1]
    tasks.wait(5000)


# -- the first sync of a big station, with the event loop watched -------------------------------

ROWS = 10_000


def _seed_big_station(pg_url: str, tmp_path: Path, clock: FixedClock) -> None:
    """The demo centre on PostgreSQL plus 10,000 more HH appointments in one central transaction."""
    create_demo(Paths.resolve(tmp_path / "seed"), clock=clock, central_url=pg_url, station_code="SG")
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        version = conn.execute(text("UPDATE sync_clock SET value = value + 1 WHERE id = 1 RETURNING value")).scalar()
        conn.execute(text(
            """
            INSERT INTO appointments (id, reference, station_id, room_id, officer_id, start_at, end_at, channel,
                reason, visitor_name, visitor_phone, needs_step_free, needs_hearing_loop, vulnerability_flags,
                status, at_risk, created_at, created_by, version, deleted, updated_at)
            SELECT md5('big' || n)::uuid, 'HH-B' || lpad(n::text, 5, '0'), s.id,
                (SELECT id FROM rooms WHERE station_id = s.id ORDER BY name LIMIT 1), NULL,
                timestamptz '2027-01-01 00:00+00' + n * interval '1 hour',
                timestamptz '2027-01-01 01:00+00' + n * interval '1 hour', '101_call', 'report_crime',
                'Visitor ' || n, '07700 900000', false, false, '[]', 'booked', false, now(), 'bulk', :v, false, now()
            FROM generate_series(1, :n) AS n, stations s WHERE s.code = 'HH'
            """), {"v": version, "n": ROWS})
    engine.dispose()


@pytest.mark.postgres
def test_first_sync_of_10000_rows_never_stalls_the_event_loop_over_50_ms(
    qtbot: QtBot, pg_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    _seed_big_station(pg_url, tmp_path, clock)
    paths = Paths.resolve(tmp_path / "new-station")
    paths.ensure()
    from frontcounter.config import Settings, save_settings

    save_settings(paths.config_file, Settings(station_code="HH", central_url=pg_url))
    runtime = open_station(paths, clock=clock)
    from frontcounter.ui.tasks import TaskRunner

    tasks = TaskRunner()
    controller = SyncController(runtime.ctx, lambda: runtime.settings, tasks)
    freeze_startup_objects()  # as the app does once start-up is done (start_sync, first_sync_if_needed)
    assert controller.status.phase == "idle"
    progress: list[tuple[int, int]] = []
    labels: list[str] = []
    controller.progressed.connect(lambda done, total: progress.append((done, total)))
    controller.state_changed.connect(lambda status: labels.append(controller.label_text(status)))

    gaps: list[float] = []
    at: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        at.append(now)
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    try:
        with qtbot.waitSignal(controller.sync_finished, timeout=120000) as finished:
            last[0] = time.perf_counter()
            controller.sync_now()
    finally:
        timer.stop()
        tasks.wait(10000)
        controller.dispose()
        gc.unfreeze()  # the rest of the test session collects as usual
    report: SyncReport = finished.args[0]
    assert report.first and report.pulled["appointments"] > ROWS
    assert progress and progress[-1][0] == progress[-1][1] > ROWS  # the total was known up front
    assert any("Downloading station data…" in label for label in labels)
    longest_ms = max(gaps) * 1000
    worst = sorted(zip(gaps, at, strict=True), reverse=True)[:3]
    print("longest gaps: " + ", ".join(f"{g * 1000:.1f} ms at {t - at[0]:.2f} s" for g, t in worst))
    print(f"first sync of {report.pulled_total} rows: {len(gaps)} ticks, longest stall {longest_ms:.1f} ms")
    assert longest_ms <= 50, f"the event loop stalled for {longest_ms:.1f} ms"
    with runtime.ctx.read() as s:
        assert s.scalar(select(OutboxEntry).limit(1)) is None
    runtime.engine.dispose()


def test_a_pc_clock_three_hours_fast_is_shown_in_the_status_bar(qtbot: QtBot, demo_dir: Path,
                                                                 clock: FixedClock) -> None:
    """The centre's clock here is the process clock (DEMO_NOW); this PC's runs three hours ahead."""
    runtime = open_station(Paths.resolve(demo_dir), clock=FixedClock(clock.now() + timedelta(hours=3)))
    running = App(qtbot, runtime, actor_named(runtime, "supervisor.HH"))
    try:
        report = running.run_sync()
        assert report.clock_skewed
        assert running.label() == "● Online · synced 17:30 · 0 waiting · ⚠ PC clock 3 h 0 min fast, centre time used"
        running.window.resize(1200, 700)
        running.window.grab().save("/tmp/i22-status-skew.png")
    finally:
        running.close()
        runtime.engine.dispose()


def test_the_quiet_daily_check_repairs_a_damaged_cache_and_the_status_bar_says_so(
    app: App, demo_dir: Path, clock: FixedClock
) -> None:
    from frontcounter.services.sync import verify as sync_verify

    app.sync.start(delay_ms=60000)
    app.run_sync()  # checked once now; the next check is due in a day
    assert sync_verify.ever_found(app.runtime.engine) is None and "cache check" not in app.label()
    engine = make_engine(sqlite_url(demo_dir / "station.sqlite"))
    with engine.begin() as conn:  # damage the cache behind the app's back
        conn.execute(text("UPDATE rooms SET name = 'Broom cupboard' WHERE id = (SELECT min(id) FROM rooms)"))
    engine.dispose()
    app.run_sync()
    assert "cache check" not in app.label()  # not due yet
    clock.advance(timedelta(days=1))
    app.run_sync()
    assert app.label().endswith("· ⚠ cache check 24 Nov: 1 row(s) re-pulled")
    centre = make_engine(sqlite_url(demo_dir / "central.sqlite"))
    assert sync_verify.verify(app.runtime.engine, centre, "HH").ok
    centre.dispose()
    app.window.resize(1200, 700)
    app.window.grab().save("/tmp/i22-status-check.png")


def test_a_crash_makes_the_check_due_at_the_next_start(app: App, demo_dir: Path) -> None:
    from frontcounter.services.sync import verify as sync_verify

    app.sync.start(delay_ms=60000)
    app.run_sync()
    now = app.runtime.ctx.clock.now()
    assert not sync_verify.check_due(app.runtime.engine, now)
    sync_verify.app_started(app.runtime.engine)  # a second start without a clean stop: the first crashed
    assert sync_verify.check_due(app.runtime.engine, now)
