"""Every subcommand under every machine failure: one line on stderr, exit 1, never a traceback (issue 20).

Two halves:

- **real conditions in a subprocess**, where the machine allows it: a read-only bind mount of the
  data dir and a full tmpfs, each in a private user and mount namespace (``unshare -rm``), so
  nothing is mounted for anyone else and root's power to ignore permissions does not hide the
  failure (a read-only *mount* stops root too). Every stderr is searched for "Traceback".
- **in-process**, for failures a file system cannot make on demand: a station cache another
  process holds locked (a real lock, a short busy timeout), a damaged cache file (real garbage),
  a data dir whose parent is a file, no keyring backend (keyring's own failing backend), an output
  path in a folder that does not exist.

Output files are written whole or not at all, and a print is audited only when its file exists.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from frontcounter.cli import main as cli
from frontcounter.db import engine as db_engine
from tests.conftest import DEMO_NOW

pytestmark = pytest.mark.wallclock

REPO = Path(__file__).resolve().parents[2]
DAY = DEMO_NOW.date().isoformat()


def _reference(data_dir: Path) -> str:
    with closing(sqlite3.connect(data_dir / "station.sqlite")) as conn:
        return str(conn.execute("SELECT reference FROM appointments WHERE deleted = 0 ORDER BY start_at LIMIT 1")
                   .fetchone()[0])


def subcommands(data_dir: Path, out_dir: Path, ref: str, import_file: Path) -> dict[str, list[str]]:
    """Every subcommand of DESIGN.md section 6, as the role that may run it (name -> argv)."""
    d = ["--data-dir", str(data_dir)]
    return {
        "demo": [*d, "demo"],
        "db upgrade": [*d, "db", "upgrade"],
        "sync": [*d, "sync", "--once"],
        "appointments": [*d, "--user", "counter.HH", "appointments", "--date", DAY],
        "appointments --json": [*d, "--user", "counter.HH", "appointments", "--json", "--date", DAY],
        "briefing": [*d, "--user", "officer.HH", "briefing", ref, "-o", str(out_dir / "b.pdf")],
        "day-sheet": [*d, "--user", "counter.HH", "day-sheet", "--date", DAY, "-o", str(out_dir / "d.pdf")],
        "slip": [*d, "--user", "counter.HH", "slip", ref, "-o", str(out_dir / "s.pdf")],
        "check-in": [*d, "--user", "counter.HH", "check-in", ref, "--force"],
        "import": [*d, "--user", "supervisor.HH", "import", str(import_file)],
        "purge": [*d, "--user", "admin.HH", "purge"],
        "audit": [*d, "--user", "auditor.HH", "audit", "--json"],
        "report": [*d, "--user", "supervisor.HH", "report", "--from", DAY, "--to", DAY],
        "self-check": [*d, "--self-check"],
    }


@pytest.fixture
def import_file(tmp_path: Path) -> Path:
    path = tmp_path / "import.csv"
    path.write_text("external_id,station,start,reason,visitor_name\nF-1,HH,2035-01-08 18:00,other,Far Future\n")
    return path


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("frontcounter: "), stderr
    return lines[0]


# --- 1. Real read-only and full disks, in a private mount namespace -------------------------


def _namespaces_work() -> str | None:
    if shutil.which("unshare") is None:
        return "no unshare(1) on this machine"
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                           capture_output=True, text=True)
    return None if probe.returncode == 0 else f"no private mount namespaces here: {probe.stderr.strip()}"


_NO_NAMESPACES = _namespaces_work()

READ_ONLY = "mount --bind \"$D\" \"$D\" && mount -o remount,bind,ro \"$D\""
#: A 16 MB tmpfs with the data dir on it, then a file that takes every byte left.
FULL = ("mount -t tmpfs -o size=16m tmpfs \"$M\" && cp -a \"$SRC\"/. \"$D\" && "
        "(dd if=/dev/zero of=\"$M/fill\" bs=64k 2>/dev/null || true)")


def _run_in_namespace(setup: str, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = f"{setup} && exec \"$PY\" -m frontcounter \"$@\""
    return subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", *argv], capture_output=True, text=True,
                          env=env, timeout=120, cwd=REPO)


@pytest.mark.skipif(_NO_NAMESPACES is not None, reason=_NO_NAMESPACES or "")
@pytest.mark.parametrize("failure", ["read-only", "full"])
def test_every_subcommand_on_a_real_read_only_or_full_disk_says_one_line(
    failure: str, demo_dir: Path, tmp_path: Path, import_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    ref = _reference(demo_dir)
    mount = tmp_path / "mnt"
    mount.mkdir()
    data_dir = demo_dir if failure == "read-only" else mount / "data"
    out_dir = data_dir / "out" if failure == "read-only" else mount
    env = {**os.environ, "PY": sys.executable, "D": str(data_dir), "M": str(mount), "SRC": str(demo_dir),
           "FRONTCOUNTER_PASSWORD": "demo"}
    setup = READ_ONLY if failure == "read-only" else FULL
    stderr_all = []
    for name, argv in subcommands(data_dir, out_dir, ref, import_file).items():
        result = _run_in_namespace(setup, argv, env)
        stderr_all.append(result.stderr)
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        line = _one_line(result.stderr)
        expected = "read-only" if failure == "read-only" else "is full"
        assert expected in line, (name, line)
        assert str(data_dir) in line or str(out_dir) in line, (name, line)
    assert sum(s.count("Traceback") for s in stderr_all) == 0
    assert not list(mount.glob("*.pdf")) and not list(mount.glob(".*.part"))


# --- 2. In-process: locked, damaged, missing, no keyring, bad output path -------------------


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(argv)
    return code, capsys.readouterr().err


@pytest.fixture
def quick_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A locked cache is reported after 0.2 s instead of the real 10 s wait."""
    original = db_engine._on_sqlite_connect

    def connect(dbapi_connection: object, record: object) -> None:
        original(dbapi_connection, record)
        dbapi_connection.execute("PRAGMA busy_timeout=200")  # type: ignore[attr-defined]

    monkeypatch.setattr(db_engine, "_on_sqlite_connect", connect)


@pytest.fixture
def env_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTCOUNTER_PASSWORD", "demo")


@pytest.fixture
def locked(demo_dir: Path) -> Iterator[None]:
    holder = sqlite3.connect(demo_dir / "station.sqlite", isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN EXCLUSIVE")
    yield
    holder.execute("ROLLBACK")
    holder.close()


#: Subcommands that write the cache (a read of a WAL cache goes on while a writer holds it).
WRITERS = ("check-in", "import", "purge", "briefing", "slip", "day-sheet")


@pytest.mark.usefixtures("quick_busy_timeout", "env_password", "locked")
@pytest.mark.parametrize("name", WRITERS)
def test_a_locked_cache_is_one_line(name: str, demo_dir: Path, tmp_path: Path, import_file: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    ref = "HH-XXXX"  # (the lock is met before the reference is looked up)
    argv = subcommands(demo_dir, tmp_path, ref, import_file)[name]
    code, err = _run(argv, capsys)
    assert code == 1
    assert "is in use by another program (locked)" in _one_line(err)


@pytest.mark.usefixtures("env_password")
def test_every_subcommand_on_a_damaged_cache_is_one_line(demo_dir: Path, tmp_path: Path, import_file: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    ref = _reference(demo_dir)
    for suffix in ("-wal", "-shm"):
        (demo_dir / f"station.sqlite{suffix}").unlink(missing_ok=True)
    (demo_dir / "station.sqlite").write_bytes(b"this is not a database, it was overwritten " * 200)
    for name, argv in subcommands(demo_dir, tmp_path, ref, import_file).items():
        if name in ("demo", "self-check"):  # (they make their databases afresh: nothing damaged to open)
            continue
        code, err = _run(argv, capsys)
        assert code == 1, name
        line = _one_line(err)
        assert "station.sqlite is damaged" in line and "move the file aside" in line, (name, line)


@pytest.mark.usefixtures("env_password")
def test_every_subcommand_with_a_data_dir_under_a_file_is_one_line(tmp_path: Path, import_file: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data dir's parent should be")
    data_dir = blocker / "data"
    for name, argv in subcommands(data_dir, tmp_path, "HH-XXXX", import_file).items():
        code, err = _run(argv, capsys)
        assert code == 1, name
        line = _one_line(err)
        assert str(blocker) in line and "not a folder" in line, (name, line)


@pytest.mark.usefixtures("env_password")
@pytest.mark.parametrize("name", ["briefing", "day-sheet", "slip"])
def test_an_output_path_in_a_missing_folder_is_one_line_and_nothing_is_audited(
    name: str, demo_dir: Path, import_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = _reference(demo_dir)
    argv = subcommands(demo_dir, Path("/no/such/dir"), ref, import_file)[name]
    code, err = _run(argv, capsys)
    assert code == 1
    assert _one_line(err).startswith("frontcounter: The folder /no/such/dir does not exist")
    assert not Path("/no/such/dir").exists()
    with closing(sqlite3.connect(demo_dir / "station.sqlite")) as conn:
        prints = conn.execute("SELECT count(*) FROM audit_events WHERE category = 'disclosure'").fetchone()[0]
    assert prints == 0, "a print is audited only once its file is whole"


@pytest.mark.usefixtures("env_password")
def test_an_output_file_is_whole_and_audited_once(demo_dir: Path, tmp_path: Path, import_file: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    ref = _reference(demo_dir)
    argv = subcommands(demo_dir, tmp_path, ref, import_file)["briefing"]
    assert _run(argv, capsys)[0] == 0
    pdf = (tmp_path / "b.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert not list(tmp_path.glob(".*.part"))
    with closing(sqlite3.connect(demo_dir / "station.sqlite")) as conn:
        assert conn.execute("SELECT count(*) FROM audit_events WHERE action = 'briefing.print'").fetchone()[0] == 1


@pytest.mark.usefixtures("env_password")
def test_no_keyring_backend_says_how_to_set_one_up(demo_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import getpass

    keyring.set_keyring(fail.Keyring())
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(getpass, "getpass", lambda _prompt="": "s3cret")
    url = "postgresql+psycopg://station_hh@127.0.0.1:1/frontcounter"
    code, err = _run(["--data-dir", str(demo_dir), "--central", url, "sync", "--set-password", "--once"], capsys)
    assert code == 1
    line = _one_line(err)
    assert "No OS keyring is available" in line and "keyrings.alt" in line, line
