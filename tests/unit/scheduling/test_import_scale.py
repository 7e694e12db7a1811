"""Import at command-and-control scale (issue 20): streamed, in batches, each batch one transaction.

A few thousand generated rows in batches of a few hundred, so every test runs in seconds and still
crosses many batch boundaries: whole batches in, a command per row (audit + outbox) inside each,
Cancel and Ctrl+C leaving whole batches, the same file again carrying on, the rejected rows in a
CSV beside the file, clashes found by the database's own guard, and JSON streamed with its lines.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from frontcounter.db.models import Appointment, AuditEvent, OutboxEntry
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import local
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.scheduling import import_batch, importer
from tests.import_files_support import generated_rows, write_csv, write_json
from tests.unit.roster_fixtures import add_appointment, rooms

N = 3000
BATCH = 400


def _count(runtime: StationRuntime, model: Any, *where: Any) -> int:
    with runtime.ctx.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _imported(runtime: StationRuntime) -> int:
    return _count(runtime, Appointment, Appointment.external_id.like("G-%"))


def _no_room_double_booked(runtime: StationRuntime) -> None:
    with runtime.ctx.read() as s:
        rows = sorted(s.execute(select(Appointment.room_id, Appointment.start_at, Appointment.end_at).where(
            Appointment.external_id.like("G-%"))).all())
    for (room_a, _, end_a), (room_b, start_b, _) in zip(rows, rows[1:], strict=False):
        assert room_a != room_b or start_b >= end_a


def test_thousands_of_rows_go_in_batch_by_batch_each_row_its_own_command(
    station: StationRuntime, supervisor: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "cad.csv", generated_rows(N))
    audits, entries = _count(station, AuditEvent), _count(station, OutboxEntry)
    seen: list[tuple[int, int, int]] = []
    committed: list[str] = []
    station.ctx.on_committed.append(committed.append)
    report = importer.import_file(station.ctx, supervisor, path, batch_rows=BATCH, progress=lambda *a: seen.append(a))
    assert (report.imported_count, report.rejected_count, report.skipped_count) == (N, 0, 0)
    assert report.rejected_file is None and not report.cancelled
    assert _imported(station) == N
    _no_room_double_booked(station)
    assert [d for d, _, _ in seen] == [*range(BATCH, N, BATCH), N], "progress after every batch"
    assert seen[-1] == (N, N, 0) and all(total >= done for done, total, _ in seen)
    assert committed == ["appointment.import"] * (-(-N // BATCH)), "listeners hear once per committed batch"
    # Every row is still a command of its own: one audit event naming it, one outbox entry with the row.
    assert _count(station, AuditEvent) == audits + N + 1, "a command per row, and the file's own audit"
    assert _count(station, OutboxEntry) == entries + N
    with station.ctx.read() as s:
        row = s.scalars(select(Appointment).where(Appointment.external_id == "G-001234")).one()
        entry = s.scalars(select(OutboxEntry).where(OutboxEntry.entity_id == row.id)).one()
        event = s.scalars(select(AuditEvent).where(AuditEvent.record == f"appointment:{row.reference}")).one()
        seqs = list(s.scalars(select(AuditEvent.local_seq).order_by(AuditEvent.local_seq)))
    assert entry.op_type == "appointment.import" and entry.payload["created"]
    assert entry.payload["row"]["external_id"] == "G-001234" and entry.payload["row"]["reference"] == row.reference
    assert (event.action, event.details) == ("appointment.import", {"external_id": "G-001234", "line": 1236})
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "the audit log's sequence has no gap or repeat"
    assert row.at_risk and row.at_risk_reason == "Imported: no suitable officer on duty and free; assign one"


def test_cancel_leaves_whole_batches_and_the_same_file_again_carries_on(
    station: StationRuntime, supervisor: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "cad.csv", generated_rows(N))
    calls: list[int] = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3  # asked before each batch: three go in, then the user cancels

    first = importer.import_file(station.ctx, supervisor, path, batch_rows=BATCH, cancel=cancel)
    assert first.cancelled and first.imported_count == 3 * BATCH == _imported(station)
    assert "import the same file again to carry on" in first.describe()
    again = importer.import_file(station.ctx, supervisor, path, batch_rows=BATCH)
    assert (again.skipped_count, again.imported_count, again.rejected_count) == (3 * BATCH, N - 3 * BATCH, 0)
    assert again.skipped[0] == (2, "G-000000")
    assert _imported(station) == N, "nothing twice"
    _no_room_double_booked(station)


def test_ctrl_c_mid_batch_rolls_that_batch_back_whole(
    station: StationRuntime, supervisor: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "cad.csv", generated_rows(N))
    real = import_batch._place
    calls: list[int] = []

    def interrupted(scope: Any, premises: Any, rows: Any, rejected: Any) -> Any:
        calls.append(1)
        placed = real(scope, premises, rows, rejected)
        if len(calls) == 3:  # the third batch's rows are placed, not yet committed
            raise KeyboardInterrupt
        return placed

    monkeypatch.setattr(import_batch, "_place", interrupted)
    audits = _count(station, AuditEvent)
    report = importer.import_file(station.ctx, supervisor, path, batch_rows=BATCH)
    assert report.cancelled and report.imported_count == 2 * BATCH == _imported(station)
    assert _count(station, AuditEvent) == audits + 2 * BATCH + 1, "no audit event of the rolled-back batch"
    monkeypatch.setattr(import_batch, "_place", real)
    again = importer.import_file(station.ctx, supervisor, path, batch_rows=BATCH)
    assert (again.skipped_count, again.imported_count) == (2 * BATCH, N - 2 * BATCH)


def test_rejected_rows_go_to_a_csv_beside_the_file_in_line_order(
    station: StationRuntime, supervisor: Actor, tmp_path: Path
) -> None:
    rows = generated_rows(N)
    room = rooms(station)[0].name
    rows[501]["room"] = room  # the first row of its slot asks for a room...
    rows.insert(502, {**rows[501], "external_id": "G-clash"})  # ...and so does this one, at the same time
    rows[1000]["visitor_name"] = ""
    rows[1000]["start"] = "2027-03-28 01:30"  # and a time the clocks skip
    wrong_reason = [i for i in range(0, len(rows), 97) if i not in (502, 1000)]
    for i in wrong_reason:
        rows[i]["reason"] = "burglary"
    rows.append({**rows[10], "external_id": "G-000010"})  # a repeat of a row already in the file
    path = write_csv(tmp_path / "cad.csv", rows)
    report = importer.import_file(station.ctx, supervisor, path, batch_rows=BATCH)
    expected_bad = {i + 2 for i in wrong_reason} | {504, 1002}
    assert report.rejected_file == tmp_path / "cad.rejected.csv"
    with report.rejected_file.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["line", "external_id", "reason"]
    assert [int(line) for line, _, _ in lines[1:]] == sorted(expected_bad), "every rejected row, in line order"
    by_line = {int(line): reason for line, _, reason in lines[1:]}
    clash_time = local(importer.parse_start(rows[502]["start"])).strftime("%H:%M on %d %b")
    assert "reason 'burglary' is not one of" in by_line[2]
    assert by_line[504] == f"room {room!r} is already booked at {clash_time}"
    assert "visitor_name is missing" in by_line[1002] and "does not exist in UK time" in by_line[1002]
    assert report.rejected_count == len(expected_bad) and report.skipped_count == 1
    assert report.imported_count == len(rows) - len(expected_bad) - 1
    assert not list(tmp_path.glob(".*.part")), "no temporary file left behind"


def test_a_clash_the_batch_could_not_see_is_refused_by_the_database_and_only_that_row(
    station: StationRuntime, supervisor: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if another writer booked the room meanwhile: the batch's picture misses it, the database's
    double-booking guard refuses the batch, and the halves, looked at afresh, find the one row at fault."""
    rows = generated_rows(600)
    room = rooms(station)[0]
    rows[100].update(room=room.name, start="2029-01-01T10:00:00Z")  # alone at that time
    add_appointment(station, room, None, importer.parse_start(rows[100]["start"]), minutes=30)
    path = write_csv(tmp_path / "cad.csv", rows)
    real = import_batch._picture
    calls: list[int] = []

    def blind_once(session: Any, batch: Any) -> Any:  # the booking lands just after the first look
        calls.append(1)
        seen = real(session, batch)
        return import_batch._Picture(import_batch.Busy(), import_batch.Busy(), {}, seen.load) if len(calls) == 1 else seen

    monkeypatch.setattr(import_batch, "_picture", blind_once)
    report = importer.import_file(station.ctx, supervisor, path, batch_rows=300)  # (whole slots per batch)
    assert [p.line for p in report.rejected] == [102]
    assert report.rejected[0].errors == (f"room {room.name!r} is already booked at 10:00 on 01 Jan",)
    assert len(calls) > 2, "the database refused the first batch whole; its halves were looked at afresh"
    assert report.imported_count == 599


def test_json_is_streamed_with_the_line_of_each_object_and_a_broken_tail_keeps_what_went_before(
    station: StationRuntime, supervisor: Actor, tmp_path: Path
) -> None:
    rows = generated_rows(1200)
    rows[700]["reason"] = "nonsense"
    path = write_json(tmp_path / "cad.json", rows)
    text = path.read_text(encoding="utf-8")
    report = importer.import_file(station.ctx, supervisor, path, batch_rows=BATCH)
    assert report.imported_count == 1199
    object_lines = [i for i, line in enumerate(text.splitlines(), start=1) if line == "    {"]
    assert [p.line for p in report.rejected] == [object_lines[700]]

    broken = rows + generated_rows(900, prefix="H", first_day=datetime(2028, 6, 1, tzinfo=UTC))
    body = json.dumps({"appointments": broken}, indent=2)
    cut = body.rfind('"external_id": "H-000850"')
    damaged = tmp_path / "damaged.json"
    damaged.write_text(body[:cut] + '"external_id": H-000850, ' + body[cut + 27:], encoding="utf-8")
    bad_line = body[:cut].count("\n") + 1
    with pytest.raises(ValidationError) as caught:
        importer.import_file(station.ctx, supervisor, damaged, batch_rows=BATCH)
    message = caught.value.message
    assert message.startswith(f"damaged.json line {bad_line} column 22: not valid JSON (Expecting value)")
    assert "rows before it were imported" in message and "\n" not in message
    assert _count(station, Appointment, Appointment.external_id.like("H-%")) == 800, "the batches before the damage"



@pytest.mark.wallclock
def test_cli_prints_progress_on_stderr_and_ctrl_c_stops_cleanly_then_carries_on(
    demo_dir: Path, clock: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontcounter.cli.main import main as cli_main

    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")
    monkeypatch.setattr(importer, "BATCH_ROWS", BATCH)
    rows = generated_rows(N)
    rows[5]["reason"] = "burglary"
    path = write_csv(tmp_path / "cad.csv", rows)
    args = ["--data-dir", str(demo_dir), "--user", "supervisor.HH", "import", str(path)]
    real = import_batch._place
    calls: list[int] = []

    def interrupted(*a: Any) -> Any:
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*a)

    monkeypatch.setattr(import_batch, "_place", interrupted)
    assert cli_main(args) == 130
    captured = capsys.readouterr()
    assert "cad.csv: 1,199 imported, 0 skipped (already imported), 1 rejected" in captured.out
    lines = captured.err.splitlines()
    assert lines[0].startswith(f"{BATCH:,}/") and " rows/s · 1 rejected · about " in lines[0], lines
    assert "stopped after 1,200 rows (whole batches only); run the same command again to carry on" in lines[-1]
    assert "Traceback" not in captured.err
    monkeypatch.setattr(import_batch, "_place", real)
    assert cli_main(args) == 1, "the one rejected row is rejected again"
    captured = capsys.readouterr()
    assert f"cad.csv: {N - 1200:,} imported, 1,199 skipped (already imported), 1 rejected" in captured.out
    assert "rejected line 7 (G-000005): reason 'burglary'" in captured.out
    assert f"{N:,}/{N:,} rows" in captured.err.splitlines()[-1] and "done" in captured.err.splitlines()[-1]
    assert str(tmp_path / "cad.rejected.csv") in captured.out


def test_a_repeated_id_is_skipped_after_its_first_row_went_in_and_tried_when_the_first_was_refused(
    station: StationRuntime, supervisor: Actor, tmp_path: Path
) -> None:
    rows = generated_rows(30)
    first_bad = {**rows[3], "room": "No Such Room"}  # refused by placement, not by validation
    rows[3:4] = [first_bad, {**rows[3]}]  # then the same id again, fit to go in
    rows.append({**rows[10]})  # and a plain repeat of a row that went in
    path = write_csv(tmp_path / "cad.csv", rows)
    report = importer.import_file(station.ctx, supervisor, path, batch_rows=BATCH)
    assert [p.line for p in report.rejected] == [5] and "no room 'No Such Room'" in report.rejected[0].errors[0]
    assert report.skipped == ((len(rows) + 1, rows[10]["external_id"]),)
    assert report.imported_count == 30 and _imported(station) == 30


def test_an_imported_batch_stores_its_notes_sealed_each_row_with_its_own_data_key(
    station: StationRuntime, supervisor: Actor, tmp_path: Path
) -> None:
    """A batch inserts past the ORM flush that seals a command's rows, so it seals them itself
    (issue 21): no note in clear in the cache or its outbox, an officer's key opens each row."""
    import sqlite3
    from contextlib import closing

    from tests.demo_keys import opened

    path = write_csv(tmp_path / "cad.csv", generated_rows(500))
    report = importer.import_file(station.ctx, supervisor, path, batch_rows=BATCH)
    assert report.imported_count == 500
    with closing(sqlite3.connect(station.paths.station_db)) as raw:
        assert raw.execute("SELECT count(*) FROM appointments WHERE briefing_notes LIKE 'incident %'").fetchone()[0] == 0
        assert raw.execute("SELECT count(*) FROM outbox WHERE payload LIKE '%incident %'").fetchone()[0] == 0
    with station.ctx.read() as s:
        rows = s.scalars(select(Appointment).where(Appointment.external_id.in_(["G-000010", "G-000011"]))
                         .order_by(Appointment.external_id)).all()
        assert [opened(s, r)["briefing_notes"] for r in rows] == ["incident 10", "incident 11"]
        first, second = (r.sealed_keys or {} for r in rows)
        assert first.keys() == second.keys() and first, "sealed to the same readers"
        assert all(first[u] != second[u] for u in first), "each row's data key wrapped on its own"
