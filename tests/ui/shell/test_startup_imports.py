"""The sign-in window paints before SQLAlchemy, Alembic, ReportLab, psycopg or keyring is imported
(issue 15), checked in a fresh process started as the app starts, through the benchmark's probe,
which then waits for the main window (signed in, Today filled) to prove the rest still follows."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.startup_probe import HEAVY_AT_SIGN_IN

pytestmark = pytest.mark.wallclock

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_no_database_pdf_or_keyring_module_is_loaded_when_the_sign_in_window_paints(demo_dir: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FRONTCOUNTER_PASSWORD": "demo"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bench.startup_probe", "app", "--data-dir", str(demo_dir), "--user", "counter.HH"],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120,
    )
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert "error" not in values, values["error"]
    assert "interactive" in values and "first_frame" in values, done.stdout + done.stderr[-2000:]
    assert values["loaded_at_interactive"] == ""  # none of HEAVY_AT_SIGN_IN
    assert set(HEAVY_AT_SIGN_IN) >= {"sqlalchemy", "alembic", "reportlab", "psycopg", "keyring"}
    assert started < float(values["interactive"]) < float(values["first_frame"])


def test_the_app_is_made_in_the_fusion_style_without_setting_it_again() -> None:
    """The style is named on Qt's command line (setStyle would build PySide6's QStyle type before
    the first frame); the theme then keeps it rather than making a new one."""
    code = (
        "from frontcounter.startup import qt_application\n"
        "from frontcounter.ui.theme import apply_theme\n"
        "app = qt_application()\n"
        "made = app.style()\n"
        "apply_theme(app, 'calm')\n"
        "print(made.name(), app.property('frontcounterStyle'), qt_application() is app)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_STYLE_OVERRIDE": "windows"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO_ROOT,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["fusion", "Fusion", "True"]
