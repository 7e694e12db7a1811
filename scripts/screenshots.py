"""Screenshots of every main screen, in the calm and the high-contrast theme, for docs/screens/.

Runs offscreen (``widget.grab()`` paints exactly what a screen would show) on a fresh demo at a
fixed clock, so the pictures are the same on every machine:

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [--out docs/screens]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from frontcounter.paths import Paths  # noqa: E402
from frontcounter.runtime import create_demo, open_station  # noqa: E402
from frontcounter.services.core.clock import FixedClock  # noqa: E402
from frontcounter.services.security.auth import sign_in  # noqa: E402
from frontcounter.ui.app_state import AppState  # noqa: E402
from frontcounter.ui.shell.main_window import MainWindow  # noqa: E402
from frontcounter.ui.shell.navigation import views_for  # noqa: E402
from frontcounter.ui.theme import apply_theme  # noqa: E402

NOW = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
USERS = ("supervisor.HH", "officer.HH", "auditor.HH")


def settle(app: QApplication, state: AppState) -> None:
    for _ in range(200):
        app.processEvents()
        if state.tasks.active == 0:
            break
        state.tasks.wait(50)
    for _ in range(20):
        app.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screens"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    clock = FixedClock(NOW)
    with tempfile.TemporaryDirectory() as tmp:
        paths = Paths.resolve(tmp)
        create_demo(paths, clock=clock)
        runtime = open_station(paths, clock=clock)
        for theme in ("calm", "high-contrast"):
            apply_theme(app, theme)
            taken: set[str] = set()
            for username in USERS:
                actor = sign_in(runtime.ctx, username, "demo")
                state = AppState(runtime.ctx, actor, runtime.settings, paths)
                window = MainWindow(state)
                window.resize(1280, 780)
                window.show()
                for spec in views_for(state):
                    if spec.key in taken or (spec.key == "mine" and username != "officer.HH"):
                        continue
                    taken.add(spec.key)
                    window.nav.setCurrentRow([s.key for s in views_for(state)].index(spec.key))
                    settle(app, state)
                    target = args.out / f"{theme}-{spec.key}.png"
                    window.grab().save(str(target))
                    print(target)
                window.close()
                window.deleteLater()
                settle(app, state)
        runtime.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
