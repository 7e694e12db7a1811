"""Text no database can hold is refused where it is typed, with the field named (issue 20).

U+0000, lone surrogates and C0 controls other than tab and newline: the shared validator, the
booking service, the command path (any service), the importer and the CLI all refuse them, and
the audit trail keeps what it can of a search for them instead of blocking sync for ever.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from frontcounter.db.models import Appointment, AuditEvent, OutboxEntry
from frontcounter.runtime import StationRuntime
from frontcounter.services.core import appointments, text_rules
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.scheduling import booking, importer, slots
from tests.sync_support import create_appointment, edit, rooms_and_officers

pytestmark = pytest.mark.wallclock

BAD = ["\x00", "\ud800", "\udfff", "\x01", "\x07", "\x1b", "\x1f", "\x7f", "\x0b", "\x0c"]


@pytest.mark.parametrize("char", BAD)
def test_each_unstorable_character_is_refused_with_the_field_named(char: str) -> None:
    with pytest.raises(ValidationError) as caught:
        text_rules.check("visitor_name", f"Ann{char}Lee")
    assert caught.value.message.startswith("Visitor's name: contains ")
    assert f"U+{ord(char):04X}" in caught.value.message and "at character 4" in caught.value.message


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"))) | st.sampled_from(["\x85", "\x9f"]))
def test_ordinary_text_passes_unchanged_tab_and_newline_included(value: str) -> None:
    assert text_rules.check("briefing_notes", value + "\tx\r\ny") == value + "\tx\r\ny"


def test_lists_are_checked_item_by_item_and_clean_keeps_the_rest() -> None:
    with pytest.raises(ValidationError, match="Vulnerability flags: contains a NUL"):
        text_rules.check("vulnerability_flags", ["ok", "b\x00d"])
    assert text_rules.clean(["ok", "b\x00d", "\ud800"]) == ["ok", "b\ufffdd", "\ufffd"]


def _request(station: StationRuntime, **fields: object) -> booking.BookingRequest:
    counter_slot = slots.find_slots(station.ctx, _actor(station, "counter.HH"), slots.SlotNeeds(), days=14)[0]
    return booking.BookingRequest.for_slot(counter_slot, fields.pop("visitor_name", "Ann Lee"), **fields)


def _actor(station: StationRuntime, name: str) -> Actor:
    from tests.conftest import actor_named

    return actor_named(station, name)


@pytest.mark.parametrize("field,label", [
    ("visitor_name", "Visitor's name"), ("briefing_notes", "Briefing notes"), ("visitor_address", "Address"),
    ("safe_contact", "Safe-contact instructions"), ("person_of_choice", "Person of choice"),
])
def test_booking_refuses_unstorable_text_and_writes_nothing(station: StationRuntime, field: str, label: str) -> None:
    supervisor = _actor(station, "supervisor.HH")
    with station.ctx.read() as s:
        before = len(s.scalars(select(OutboxEntry)).all())
    with pytest.raises(ValidationError, match=f"^{label}: contains a NUL character"):
        booking.book(station.ctx, supervisor, _request(station, **{field: "Mrs\x00 Lee"}))
    with station.ctx.read() as s:
        assert len(s.scalars(select(OutboxEntry)).all()) == before


def test_the_command_path_refuses_any_write_of_unstorable_text(station: StationRuntime) -> None:
    """A service with no check of its own (here a bare command) still cannot store a NUL."""
    supervisor = _actor(station, "supervisor.HH")
    rooms, officers = rooms_and_officers(station.ctx, "HH")
    appt_id = create_appointment(station.ctx, supervisor, "HH", rooms[0].id, officers[0].id,
                                 station.ctx.clock.now().replace(hour=3, minute=0) + _days(3))
    with pytest.raises(ValidationError, match="^Access needs: contains an invisible control character"):
        edit(station.ctx, supervisor, appt_id, "appointment.update_contact", access_needs="ramp\x1b")
    with station.ctx.read() as s:
        assert s.get_one(Appointment, appt_id).access_needs is None


def test_a_search_for_a_nul_is_audited_cleaned_not_refused(station: StationRuntime) -> None:
    counter = _actor(station, "counter.HH")
    appointments.search(station.ctx, counter, "Smi\x00th")
    with station.ctx.read() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.local_seq.desc())).first()
    assert last is not None and "\x00" not in repr(last.details)


def test_import_rejects_the_row_and_names_the_column(station: StationRuntime, tmp_path: Path) -> None:
    supervisor = _actor(station, "supervisor.HH")
    path = tmp_path / "cc.csv"
    path.write_text("external_id,station,start,visitor_name,reason,notes\n"
                    "CC-1,HH,2026-12-30 18:00,Ann\x00Lee,other,\n"
                    "CC-2,HH,2026-12-30 19:00,Bob Ray,other,door\x07bell\n", encoding="utf-8")
    report = importer.import_file(station.ctx, supervisor, path)
    problems = {p.line: " ".join(p.errors) for p in report.rejected}
    assert "visitor_name contains a NUL character (U+0000)" in problems[2]
    assert "notes contains an invisible control character (U+0007)" in problems[3]
    assert not report.imported


def test_deep_json_import_is_one_line_with_the_position(station: StationRuntime, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"appointments": [\n' + "[" * 100_000 + "]" * 100_000 + "]}")
    with pytest.raises(ValidationError) as caught:
        importer.import_file(station.ctx, _actor(station, "supervisor.HH"), path)
    message = caught.value.message
    assert message.startswith("deep.json line 2 column 31: nested more than 32 levels deep")
    assert "\n" not in message


def test_import_warnings_name_no_internal_column(station: StationRuntime, tmp_path: Path) -> None:
    path = tmp_path / "cc.json"
    path.write_text('[{"external_id": "J1", "station": "HH", "start": "2026-12-30 18:00", "visitor_name": "A",'
                    ' "reason": "other", "phone": {"x": 1}}]')
    report = importer.import_file(station.ctx, _actor(station, "supervisor.HH"), path)
    assert not any("__" in w for w in report.warnings), report.warnings
    assert report.rejected and "phone must be text" in report.rejected[0].errors[0]


def _days(n: int):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(days=n)


def test_cli_import_names_the_column_of_a_nul(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontcounter.cli import main as cli

    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")
    path = tmp_path / "nul.csv"
    path.write_text("external_id,station,start,reason,visitor_name\nN-1,HH,2035-01-08 18:00,other,Ann\x00Lee\n")
    assert cli.main(["import", str(path), "--data-dir", str(demo_dir), "--user", "supervisor.HH"]) == 1
    captured = capsys.readouterr()
    assert "rejected line 2 (N-1): visitor_name contains a NUL character (U+0000) at character 4" in captured.out
    assert "Traceback" not in captured.err


def test_rejected_rows_go_to_a_csv_beside_the_input_with_line_and_reason(station: StationRuntime,
                                                                       tmp_path: Path) -> None:
    import csv

    path = tmp_path / "cc.csv"
    path.write_text("external_id,station,start,reason,visitor_name\n"
                    "R-1,HH,2035-01-08 18:00,nonsense,Bad Reason\n"
                    "R-2,HH,2035-01-08 19:00,other,Ann\x00Lee\n", encoding="utf-8")
    seen: list[tuple[int, int, int]] = []
    report = importer.import_file(station.ctx, _actor(station, "supervisor.HH"), path,
                                  progress=lambda *args: seen.append(args))
    assert report.rejected_file == tmp_path / "cc.rejected.csv"
    with report.rejected_file.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "external_id", "reason"]
    assert rows[1][:2] == ["2", "R-1"] and "reason 'nonsense' is not one of" in rows[1][2]
    assert rows[2][:2] == ["3", "R-2"] and "visitor_name contains a NUL character" in rows[2][2]
    assert seen == [(2, 2, 2)], "progress says rows done, rows in all, rejected so far (after each batch)"


def test_the_cli_progress_line_says_rows_rate_rejected_and_time_left() -> None:
    from frontcounter.cli.exchange import progress_line

    assert progress_line(12_000, 250_000, 3, 2.0) == "12,000/250,000 rows · 6,000 rows/s · 3 rejected · about 40 s left"
    assert progress_line(250_000, 250_000, 0, 50.0).endswith("0 rejected · done")
    assert progress_line(0, 10, 0, 0.0).endswith("starting")

