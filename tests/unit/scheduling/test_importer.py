"""Import from command and control: a good file, a file with bad rows, re-import idempotent, JSON, CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from frontcounter.cli.main import main as cli_main
from frontcounter.db.models import Appointment
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.errors import PermissionDenied, ValidationError
from frontcounter.services.scheduling import importer
from tests.demo_keys import in_clear
from tests.unit.roster_fixtures import (
    QUIET_DAY,
    add_appointment,
    add_duty,
    at,
    counts,
    last_audit,
    last_outbox,
    officer_where,
    officers,
    rooms,
)

HEADER = ("external_id,station,start,duration_minutes,room,officer,reason,channel,crime_reference,visitor_name,"
          "phone,email,address,safe_contact,preferred_language,interpreter_language,needs_step_free,"
          "needs_hearing_loop,access_needs,person_of_choice,vulnerability_flags,notes")


def _evening_duties(runtime: StationRuntime, n: int = 3) -> list:  # type: ignore[type-arg]
    chosen = officers(runtime)[:n]
    for o in chosen:
        add_duty(runtime, o, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    return chosen


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _by_external_id(runtime: StationRuntime, external_id: str) -> Appointment | None:
    with runtime.ctx.read() as s:
        return in_clear(s, s.scalars(select(Appointment).where(Appointment.external_id == external_id)).one_or_none())


def _appointment_count(runtime: StationRuntime) -> int:
    with runtime.ctx.read() as s:
        return s.scalar(select(func.count()).select_from(Appointment)) or 0


def test_a_good_file_is_imported_row_by_row_and_again_creates_no_duplicates(
    station: StationRuntime, supervisor: Actor, tmp_path: Path
) -> None:
    on_duty = _evening_duties(station)
    step_free_room = next(r for r in rooms(station) if r.step_free)
    collar = on_duty[1].collar_number
    path = _write(tmp_path, "cad.csv", "\n".join([
        HEADER,
        "CAD-001,HH,2026-11-30 17:00,60,,,report_crime,,41/12345/26,Jane Smith,07700 900001,,,"
        "No voicemail,,,no,no,,,,Bike stolen from outside the station",
        f"CAD-002,hh,2026-11-30T18:00:00+00:00,45,{step_free_room.name},{collar},Domestic abuse,101 call,,"
        "Amir Khan,,amir@example.org,\"1 High Street, Hemel\",,Urdu,,yes,0,Wheelchair user,Sister,"
        "domestic abuse victim;repeat victim,\"Ex-partner; risk medium\"",
        "CAD-003,HH,2026-11-30 19:00,,,,victim_update,,,Ioana Popa,,,,,Romanian,,,,,,,",
    ]) + "\n")
    before = counts(station)
    seen: list[tuple[int, int]] = []
    report = importer.import_file(station.ctx, supervisor, path, progress=lambda d, t, _rejected: seen.append((d, t)),
                                  batch_rows=2)
    assert (len(report.imported), len(report.skipped), len(report.rejected)) == (3, 0, 0), report.rejected
    assert [d for d, _ in seen] == [2, 3] and seen[-1] == (3, 3), "progress after each batch of 2"
    assert all(t >= d for d, t in seen)
    assert counts(station) == (before[0] + 4, before[1] + 3), "a command per row, and the file's own audit"
    assert [e.op_type for e in last_outbox(station, 3)] == ["appointment.import"] * 3
    assert all(e.payload["created"] for e in last_outbox(station, 3))
    assert last_audit(station)[0].action == "import.file"

    first = _by_external_id(station, "CAD-001")
    assert first is not None and first.reference.startswith("HH-") and first.channel == "command_and_control"
    assert first.officer_id in {o.id for o in on_duty} and not first.at_risk
    assert (first.crime_reference, first.safe_contact, first.briefing_notes) == (
        "41/12345/26", "No voicemail", "Bike stolen from outside the station")
    second = _by_external_id(station, "CAD-002")
    assert second is not None
    assert (second.room_id, second.officer_id, second.reason, second.channel) == (
        step_free_room.id, on_duty[1].id, "domestic_abuse", "101_call")
    assert second.start_at == at(QUIET_DAY, 18) and (second.end_at - second.start_at).seconds == 45 * 60
    assert second.needs_step_free and not second.needs_hearing_loop
    assert second.vulnerability_flags == ["domestic abuse victim", "repeat victim"]
    assert (second.visitor_address, second.briefing_notes) == ("1 High Street, Hemel", "Ex-partner; risk medium")
    third = _by_external_id(station, "CAD-003")
    assert third is not None and third.preferred_language == "Romanian"

    total = _appointment_count(station)
    again = importer.import_file(station.ctx, supervisor, path)
    assert (len(again.imported), len(again.skipped), len(again.rejected)) == (0, 3, 0)
    assert [line for line, _ in again.skipped] == [2, 3, 4]
    assert _appointment_count(station) == total
    assert "0 imported, 3 skipped" in again.describe()


def test_bad_rows_are_reported_with_line_numbers_and_all_their_errors_and_write_nothing(
    station: StationRuntime, supervisor: Actor, tmp_path: Path
) -> None:
    _evening_duties(station)
    room = rooms(station)[0]
    add_appointment(station, room, None, at(QUIET_DAY, 18))  # room 1 is taken at 18:00
    path = _write(tmp_path, "bad.csv", "\n".join([
        HEADER,
        "OK-1,HH,2026-11-30 17:00,,,,report_crime,,,Good Row,,,,,,,,,,,,\"notes over",
        "two lines\"",
        "BAD-1,HH,31/11/2026 17:00,,,,burglary,,,,,not-an-email,,,,,maybe,,,,,",
        "BAD-2,XX,2026-11-30 17:00,2,,,other,,,Someone,,,,,,,,,,,,",
        f"BAD-3,HH,2026-11-30 18:00,,{room.name},,other,,,Clash Visitor,,,,,,,,,,,,",
        "BAD-4,HH,2026-11-23 09:00,,,9999999,other,,,Past Visitor,,,,,,,,,,,,",
        "BAD-5,HH,2027-03-28 01:30,,No Such Room,,other,,,Spring Forward,,,,,,,,,,,,",
        "OK-2,HH,2026-11-30 19:00,,,,fraud,,,Also Good,,,,,,,,,,,,",
        ",HH,2026-11-30 17:00,,,,other,,,No Id,,,,,,,,,,,,,extra",
    ]) + "\n")
    total = _appointment_count(station)
    report = importer.import_file(station.ctx, supervisor, path)
    assert len(report.imported) == 2 and _appointment_count(station) == total + 2
    problems = {p.line: p for p in report.rejected}
    assert sorted(problems) == [4, 5, 6, 7, 8, 10], "OK-1 spans lines 2-3, OK-2 is line 9"
    bad1 = problems[4].errors
    assert problems[4].external_id == "BAD-1"
    assert any("start '31/11/2026 17:00'" in e for e in bad1)
    assert any("reason 'burglary'" in e for e in bad1)
    assert "visitor_name is missing" in bad1
    assert any("email 'not-an-email'" in e for e in bad1)
    assert any("needs_step_free must be yes or no" in e for e in bad1)
    assert len(bad1) == 5, "every problem of the row, not just the first"
    assert set(problems[5].errors) == {"no station with code 'XX'", "duration_minutes must be between 5 and 480"}
    assert problems[6].errors == (f"room {room.name!r} is already booked at 18:00 on 30 Nov",)
    assert problems[7].errors == ("start 2026-11-23 09:00 is in the past",)
    assert problems[8].errors == ("start '2027-03-28 01:30' does not exist in UK time (the clocks go forward then)",)
    assert "external_id is missing" in problems[10].errors
    assert any("more value(s) than there are columns" in e for e in problems[10].errors)
    for external_id in ("BAD-1", "BAD-2", "BAD-3", "BAD-4", "BAD-5"):
        assert _by_external_id(station, external_id) is None
    ok = _by_external_id(station, "OK-1")
    assert ok is not None and ok.briefing_notes == "notes over\ntwo lines"
    assert "line 4 (BAD-1): " in problems[4].describe()


def test_officer_checks_happen_against_the_database(
    station: StationRuntime, supervisor: Actor, tmp_path: Path
) -> None:
    busy, off_duty = officers(station)[:2]
    add_duty(station, busy, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    add_appointment(station, rooms(station)[0], busy, at(QUIET_DAY, 17))
    path = _write(tmp_path, "officers.csv", "\n".join([
        "external_id,station,start,officer,reason,visitor_name",
        f"O-1,HH,2026-11-30 17:00,{busy.collar_number},other,Busy Officer Visitor",
        f"O-2,HH,2026-11-30 18:00,{off_duty.collar_number},other,Off Duty Visitor",
        "O-3,HH,2026-11-30 17:00,,sexual_offence,Nobody Free Visitor",
    ]))
    report = importer.import_file(station.ctx, supervisor, path)
    assert [p.errors for p in report.rejected] == [(f"officer {busy.collar_number} already has an appointment then",)]
    o2, o3 = _by_external_id(station, "O-2"), _by_external_id(station, "O-3")
    assert o2 is not None and o2.officer_id == off_duty.id and o2.at_risk
    assert o2.at_risk_reason == f"Imported: officer {off_duty.collar_number} is not on appointment duty then"
    assert o3 is not None and o3.officer_id is None and o3.at_risk, "the only officer on duty is busy"
    assert set(report.at_risk) == {o2.reference, o3.reference}


def test_interpreter_language_picks_an_officer_who_speaks_it(
    station: StationRuntime, supervisor: Actor, tmp_path: Path
) -> None:
    speaker = officer_where(station, language="Arabic")
    other = officer_where(station, without_language="Arabic")
    for o in (other, speaker):
        add_duty(station, o, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    path = _write(tmp_path, "lang.csv", "external_id,station,start,reason,visitor_name,interpreter_language\n"
                  "L-1,HH,2026-11-30 17:00,other,Layla Hussain,Arabic\n")
    importer.import_file(station.ctx, supervisor, path)
    row = _by_external_id(station, "L-1")
    assert row is not None and row.officer_id == speaker.id


def test_json_rows_report_the_line_each_object_starts_on(
    station: StationRuntime, supervisor: Actor, tmp_path: Path
) -> None:
    _evening_duties(station)
    items = [
        {"external_id": "J-1", "station": "HH", "start": "2026-11-30 17:00", "reason": "witness_statement",
         "visitor_name": "Json One", "needs_step_free": False, "duration_minutes": 30,
         "vulnerability_flags": ["mental health"]},
        {"external_id": "J-2", "station": "HH", "start": "not a time", "reason": "other", "visitor_name": "Json Two"},
        "not an object",
    ]
    text = json.dumps({"exported_by": "CAD", "appointments": items}, indent=2)
    path = _write(tmp_path, "cad.json", text)
    report = importer.import_file(station.ctx, supervisor, path)
    assert len(report.imported) == 1
    lines = text.splitlines()
    j2_line = next(i for i, line in enumerate(lines, start=1) if '"J-2"' in line) - 1
    assert [p.line for p in report.rejected] == [j2_line, len(lines) - 2]
    j1 = _by_external_id(station, "J-1")
    assert j1 is not None and j1.vulnerability_flags == ["mental health"]
    assert (j1.end_at - j1.start_at).seconds == 30 * 60
    plain = _write(tmp_path, "plain.json", json.dumps(items[:1]))
    assert len(importer.import_file(station.ctx, supervisor, plain).skipped) == 1


@pytest.mark.parametrize(("name", "text", "message"), [
    ("empty.csv", "", "empty"),
    ("cols.csv", "id,when,who\n1,2,3\n", "no column(s) external_id, station, start, reason, visitor_name"),
    ("broken.json", "[{\"a\": 1,", "broken.json line 1 column 2: not valid JSON (the file ends before this value is closed)"),
    ("comma.json", "[{\"a\": 1}\n {\"b\": 2}]", "comma.json line 2 column 2: not valid JSON (expected ',' or ']'"),
    ("value.json", "[\n  {\"a\": tru}]", "value.json line 2 column 9: not valid JSON (Expecting value)"),
    ("object.json", "{\"x\": 1}", "must hold a list"),
])
def test_a_file_that_cannot_be_read_is_refused_whole(
    station: StationRuntime, supervisor: Actor, tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        importer.import_file(station.ctx, supervisor, _write(tmp_path, name, text))


def test_who_may_import_and_for_which_station(
    station: StationRuntime, supervisor: Actor, counter: Actor, tmp_path: Path
) -> None:
    path = _write(tmp_path, "sg.csv", "external_id,station,start,reason,visitor_name\n"
                  "S-1,SG,2026-11-30 17:00,other,Elsewhere\n")
    with pytest.raises(PermissionDenied):
        importer.import_file(station.ctx, counter, path)
    report = importer.import_file(station.ctx, supervisor, path)
    assert report.rejected[0].errors == ("this station's copy holds only HH; import SG rows at the centre",)


def test_parse_start_forms() -> None:
    assert importer.parse_start("2026-11-30 18:00") == at(QUIET_DAY, 18)
    assert importer.parse_start("2026-11-30T18:00") == at(QUIET_DAY, 18)
    assert importer.parse_start("2026-11-30T18:00:00Z") == at(QUIET_DAY, 18)
    assert importer.parse_start("2026-07-01 18:00").hour == 17, "British Summer Time is UTC+1"
    assert importer.parse_start("2026-07-01T18:00:00+01:00").hour == 17


def test_cli_import_prints_counts_and_bad_lines_and_exits_1(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")
    path = _write(tmp_path, "cli.csv", "external_id,station,start,reason,visitor_name\n"
                  "C-1,HH,2035-01-08 18:00,other,Far Future\n"
                  "C-2,HH,2035-01-08 18:00,nonsense,Bad Reason\n")
    args = ["import", str(path), "--data-dir", str(demo_dir), "--user", "supervisor.HH"]
    assert cli_main(args) == 1
    out = capsys.readouterr().out
    assert "cli.csv: 1 imported, 0 skipped (already imported), 1 rejected" in out
    assert "rejected line 3 (C-2): reason 'nonsense' is not one of" in out
    assert "1 imported at risk" in out
    good = _write(tmp_path, "cli.csv", "external_id,station,start,reason,visitor_name\n"
                  "C-1,HH,2035-01-08 18:00,other,Far Future\n")
    assert cli_main(args[:1] + [str(good)] + args[2:]) == 0
    assert "0 imported, 1 skipped" in capsys.readouterr().out
