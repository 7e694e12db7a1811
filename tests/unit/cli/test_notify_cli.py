"""``frontcounter notify``: one pass, the failures listing, and the API key kept out of files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from frontcounter.cli.main import main as cli_main
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.messages.kinds import all_kinds
from tests.messages_support import book_here, centre_beside, template_id
from tests.notify_fake import API_KEY, fake_notify

pytestmark = pytest.mark.wallclock


def _settings(tmp_path: Path, base_url: str, **extra: object) -> Path:
    path = tmp_path / "notify.json"
    path.write_text(json.dumps({"base_url": base_url, "timeout_seconds": 2, **extra, "templates": {
        k: {c: template_id(k, c) for c in ("sms", "email")} for k in all_kinds((24, 2))}}))
    return path


def test_once_sends_and_failures_lists_what_the_fcr_must_phone(
    station: StationRuntime, counter: Actor, clock: FixedClock, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = str(station.paths.data_dir)
    with fake_notify() as fake:
        centre = centre_beside(station, clock, fake)
        ok = book_here(station.ctx, counter, contact_may_text=True, contact_text_number="07700 900111")
        bad = book_here(station.ctx, counter, contact_may_text=True, contact_text_number="07700 900222",
                        contact_may_phone=True)
        centre.sync()
        centre.engine.dispose()
        fake.refuse = {"07700 900222"}
        monkeypatch.setenv("FRONTCOUNTER_NOTIFY_API_KEY", API_KEY)
        settings = _settings(tmp_path, fake.base_url)
        assert cli_main(["--data-dir", data, "notify", "--once", "--settings", str(settings)]) == 0
        out = capsys.readouterr().out
        assert "1 sent" in out and "1 failed" in out
        assert [n["phone_number"] for n in fake.created] == ["07700 900111"]
    assert cli_main(["--data-dir", data, "notify", "--failures"]) == 0
    listing = capsys.readouterr().out
    assert bad.reference in listing and ok.reference not in listing
    assert "077*****222" in listing and "07700 900222" not in listing
    assert "phone the visitor (do not leave a voicemail)" in listing
    assert API_KEY not in listing


def test_the_api_key_is_refused_in_the_settings_file_and_required_from_env_or_keyring(
    station: StationRuntime, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = str(station.paths.data_dir)
    monkeypatch.delenv("FRONTCOUNTER_NOTIFY_API_KEY", raising=False)
    with_key = _settings(tmp_path, "http://127.0.0.1:9", api_key=API_KEY)
    assert cli_main(["--data-dir", data, "notify", "--once", "--settings", str(with_key)]) == 1
    err = capsys.readouterr().err
    assert "holds an API key: remove it" in err and API_KEY not in err and len(err.strip().splitlines()) == 1
    plain = tmp_path / "plain"
    plain.mkdir()
    assert cli_main(["--data-dir", data, "notify", "--once", "--settings",
                     str(_settings(plain, "http://127.0.0.1:9"))]) == 1
    assert "No GOV.UK Notify API key: set FRONTCOUNTER_NOTIFY_API_KEY" in capsys.readouterr().err
    missing = tmp_path / "nothing.json"
    assert cli_main(["--data-dir", data, "notify", "--once", "--settings", str(missing)]) == 1
    assert "No notify settings at" in capsys.readouterr().err
