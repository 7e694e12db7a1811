"""Start-up problems said in words (frontcounter/startup_problems.py): the cause is found through
SQLAlchemy's wrapping and exception chains, and no traceback or class path reaches the user."""

from __future__ import annotations

import errno
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy.exc

from frontcounter.runtime import NotConfigured
from frontcounter.startup_problems import describe

DATA = Path("/srv/frontcounter")


def _wrapped(message: str) -> Exception:
    return sqlalchemy.exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))


@pytest.mark.parametrize(("exc", "words"), [
    (_wrapped("database is locked"), "The station database is locked"),
    (_wrapped("attempt to write a readonly database"), "cannot be written (the data folder is read-only"),
    (_wrapped("database or disk is full"), "is full or failing"),
    (_wrapped("file is not a database"), "is damaged and cannot be read"),
    (PermissionError(errno.EACCES, "Permission denied"), f"The data folder {DATA} cannot be written (Permission denied)"),
    (NotConfigured("No station is configured here."), "No station is configured here."),
])
def test_each_problem_has_its_words(exc: Exception, words: str) -> None:
    text = describe(exc, DATA)
    assert words in text and "Traceback" not in text and "sqlalchemy" not in text


def test_a_cause_behind_another_error_is_found() -> None:
    try:
        try:
            raise _wrapped("database is locked")
        except Exception as inner:
            raise RuntimeError("migration step failed") from inner
    except RuntimeError as outer:
        assert describe(outer, DATA).startswith("The station database is locked")


def test_the_module_loads_no_database_library() -> None:
    code = "import sys, frontcounter.startup_problems, frontcounter.config; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
