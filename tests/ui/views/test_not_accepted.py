"""The clerk's "Not accepted" view: a booking the centre refused is listed with the centre's
reason, its unstorable text is shown taken out, and "Fix and resend" queues it again (issue 20)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select, text

from frontcounter.db.engine import make_engine, sqlite_url
from frontcounter.db.models import Appointment, OutboxEntry
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.clock import FixedClock
from frontcounter.ui.shell.navigation import views_for
from frontcounter.ui.views.not_accepted import NotAcceptedView
from tests.conftest import actor_named
from tests.sync_support import central_context, create_appointment, rooms_and_officers
from tests.ui.shell.test_sync_ui import App


@pytest.fixture
def counter_app(qtbot: QtBot, station: StationRuntime) -> Iterator[App]:
    running = App(qtbot, station, actor_named(station, "counter.HH"))
    yield running
    running.close()


def test_the_clerk_fixes_and_resends_a_booking_the_centre_refused(
    counter_app: App, station: StationRuntime, demo_dir: Path, clock: FixedClock
) -> None:
    app = counter_app
    assert "not_accepted" in [v.key for v in views_for(app.state)]
    rooms, officers = rooms_and_officers(station.ctx, "HH")
    start = clock.now().replace(hour=3, minute=0, second=0, microsecond=0)
    appt_id = create_appointment(station.ctx, app.state.actor, "HH", rooms[-1].id, officers[-1].id,
                                 start + timedelta(days=2))
    with station.ctx.write.begin() as s:  # stored and queued by an older version
        s.execute(text("UPDATE appointments SET visitor_name = :v WHERE id = :id"),
                  {"v": "Ann\x00Lee", "id": appt_id.hex})
        entry = s.scalars(select(OutboxEntry).where(OutboxEntry.entity_id == appt_id)).one()
        entry.payload = {**entry.payload, "row": {**entry.payload["row"], "visitor_name": "Ann\x00Lee"}}
    assert app.run_sync().rejected == 1

    view = app.window.view("not_accepted")
    assert isinstance(view, NotAcceptedView)
    app.qtbot.waitUntil(lambda: view.list.count() == 1, timeout=10000)
    row = next(i for i, spec in enumerate(app.window._specs) if spec.key == "not_accepted")
    assert app.window.nav.item(row).text() == "Not accepted  (1)"
    assert "Visitor's name: contains a NUL character (U+0000)" in view.detail.text()
    editor = view._editors["visitor_name"]
    assert editor.toPlainText() == "AnnLee"  # what cannot be stored, taken out for the clerk to check
    app.window.resize(1200, 700)
    app.window.show()
    app.window.nav.setCurrentRow(row)
    app.window.grab().save("/tmp/i20_not_accepted.png")
    editor.setPlainText("Ann Lee")
    with app.qtbot.waitSignal(view.resent, timeout=10000):
        view.resend_button.click()
    app.qtbot.waitUntil(lambda: view.list.count() == 0, timeout=10000)

    assert app.run_sync().applied == 1
    centre = central_context(make_engine(sqlite_url(demo_dir / "central.sqlite")), clock)
    with centre.read() as s:
        assert s.get_one(Appointment, appt_id).visitor_name == "Ann Lee"
    centre.engine.dispose()
