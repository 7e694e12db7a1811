"""Import at a real PostgreSQL centre (issue 20): any station's rows, in batches, each one central
transaction with one version; cancel and resume; the exclusion constraints as the last word; the
station's cache receives its rows by the ordinary pull; and the CLI's ``import --central``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from frontcounter.cli.main import main as cli_main
from frontcounter.db.engine import make_engine
from frontcounter.db.models import Appointment, AuditEvent, Station
from frontcounter.paths import Paths
from frontcounter.runtime import StationRuntime, create_demo, open_station
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.scheduling import import_batch, importer
from frontcounter.services.sync.station import sync_once
from tests.import_files_support import generated_rows, write_csv
from tests.sync_support import actor_in, central_context, create_appointment, rooms_and_officers

pytestmark = [pytest.mark.postgres, pytest.mark.wallclock]

BATCH = 300


@pytest.fixture
def hh(pg_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[StationRuntime]:
    paths = Paths.resolve(tmp_path / "HH")
    create_demo(paths, clock=clock, central_url=pg_url, station_code="HH")
    runtime = open_station(paths, clock=clock)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def centre(pg_url: str, hh: StationRuntime, clock: FixedClock) -> Iterator[ServiceContext]:
    engine = make_engine(pg_url)
    yield central_context(engine, clock)
    engine.dispose()


def _active_rooms(ctx: ServiceContext, code: str) -> int:
    rooms, _ = rooms_and_officers(ctx, code)
    return sum(1 for r in rooms if r.active and not r.deleted)


def _count(ctx: ServiceContext, *where: Any) -> int:
    with ctx.read() as s:
        return s.scalar(select(func.count()).select_from(Appointment).where(*where)) or 0


def test_the_centre_imports_every_stations_rows_in_batches_and_carries_on_after_cancel(
    centre: ServiceContext, hh: StationRuntime, tmp_path: Path
) -> None:
    rows = (generated_rows(900, station="HH", rooms=_active_rooms(centre, "HH"), prefix="G")
            + generated_rows(900, station="SG", rooms=_active_rooms(centre, "SG"), prefix="S"))
    path = write_csv(tmp_path / "cad.csv", rows)
    fcr = actor_in(centre, "fcr.HH")
    asked: list[int] = []
    first = importer.import_file(centre, fcr, path, batch_rows=BATCH, cancel=lambda: bool(asked.append(1)) or
                                 len(asked) > 2)
    assert first.cancelled and first.imported_count == 2 * BATCH
    assert _count(centre, Appointment.external_id.like("G-%")) == 2 * BATCH
    again = importer.import_file(centre, fcr, path, batch_rows=BATCH)
    assert (again.skipped_count, again.imported_count, again.rejected_count) == (2 * BATCH, 1800 - 2 * BATCH, 0)
    with centre.read() as s:
        versions = s.execute(select(Appointment.version, func.count()).where(Appointment.external_id.is_not(None))
                             .group_by(Appointment.version)).all()
        sg = s.scalars(select(Station.id).where(Station.code == "SG")).one()
        imports = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "appointment.import")) or 0
    assert len(versions) == 1800 // BATCH and {n for _, n in versions} == {BATCH}, "one central version a batch"
    assert imports == 1800, "an audit event per imported row"
    assert _count(centre, Appointment.station_id == sg) >= 900
    # The station's cache gets its own station's rows by the ordinary pull.
    sync_once(hh.engine, centre.engine, "HH", clock=hh.ctx.clock)
    assert _count(hh.ctx, Appointment.external_id.like("G-%")) == 900
    assert _count(hh.ctx, Appointment.external_id.like("S-%")) == 0


def test_the_exclusion_constraint_has_the_last_word_at_the_centre(
    centre: ServiceContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A booking that lands between the batch's look and its insert: PostgreSQL refuses the batch,
    its halves are looked at afresh, and only the row that clashes is rejected."""
    rows = generated_rows(600, rooms=_active_rooms(centre, "HH"))
    path = write_csv(tmp_path / "cad.csv", rows)
    real = import_batch._picture
    calls: list[int] = []

    def blind_then_clash(session: Any, batch: Any) -> Any:
        calls.append(1)
        seen = real(session, batch)
        if len(calls) == 1:  # nothing booked yet: every row is placed; now another desk books row 101's room
            return import_batch._Picture(import_batch.Busy(), import_batch.Busy(), seen.duties, seen.load)
        return seen

    monkeypatch.setattr(import_batch, "_picture", blind_then_clash)
    rooms, _ = rooms_and_officers(centre, "HH")
    fcr = actor_in(centre, "fcr.HH")
    start = importer.parse_start(rows[100]["start"])
    for room in rooms:
        if room.active:
            create_appointment(centre, fcr, "HH", room.id, None, start, minutes=30)
    report = importer.import_file(centre, fcr, path, batch_rows=BATCH)
    slot = [i + 2 for i in range(600) if rows[i]["start"] == rows[100]["start"]]
    assert [p.line for p in report.rejected] == slot, "the rows of the slot now taken, and only those"
    assert all("no suitable room free" in p.errors[0] for p in report.rejected)
    assert len(calls) > 2 and report.imported_count == 600 - len(slot)


def test_cli_import_into_the_centre(
    centre: ServiceContext, pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")
    path = write_csv(tmp_path / "sg.csv", generated_rows(50, station="SG", rooms=_active_rooms(centre, "SG"),
                                                         prefix="C"))
    args = ["--central", pg_url, "--data-dir", str(tmp_path / "desk"), "--user", "fcr.HH", "import", str(path)]
    assert cli_main(args) == 0
    captured = capsys.readouterr()
    assert "sg.csv: 50 imported, 0 skipped (already imported), 0 rejected" in captured.out
    assert "50/50 rows" in captured.err and "Traceback" not in captured.err
    assert _count(centre, Appointment.external_id.like("C-%")) == 50
    assert cli_main(args) == 0
    assert "0 imported, 50 skipped" in capsys.readouterr().out
