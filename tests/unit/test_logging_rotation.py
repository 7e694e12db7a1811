"""The GUI's log rotates when the app starts (frontcounter/logging_setup.py rotate_on_open), with the
same file names as the CLI's RotatingFileHandler, keeping at most five old files."""

from __future__ import annotations

from pathlib import Path

from frontcounter.logging_setup import rotate_on_open


def test_a_small_log_is_left_alone(tmp_path: Path) -> None:
    log = tmp_path / "frontcounter.log"
    log.write_text("short\n")
    rotate_on_open(log, max_bytes=100)
    assert log.read_text() == "short\n" and sorted(p.name for p in tmp_path.iterdir()) == ["frontcounter.log"]
    rotate_on_open(tmp_path / "missing.log", max_bytes=100)  # no file yet: nothing to do


def test_a_full_log_moves_to_dot_one_and_the_oldest_is_dropped(tmp_path: Path) -> None:
    log = tmp_path / "frontcounter.log"
    for n in range(1, 4):
        (tmp_path / f"frontcounter.log.{n}").write_text(f"old {n}")
    log.write_text("x" * 200)
    rotate_on_open(log, max_bytes=100, backups=3)
    assert not log.exists()
    assert (tmp_path / "frontcounter.log.1").read_text() == "x" * 200
    assert (tmp_path / "frontcounter.log.2").read_text() == "old 1"
    assert (tmp_path / "frontcounter.log.3").read_text() == "old 2"
    assert not (tmp_path / "frontcounter.log.4").exists()  # "old 3" was the oldest of three
