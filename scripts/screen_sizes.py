"""Screenshots of Today, the day board, booking and the slip preview on counter-sized screens.

Each size runs in a process of its own whose offscreen screen is exactly that size (Qt's offscreen
platform reads the screen from a JSON file), so the window fits itself as it would on a real
1280x720 laptop or a 1920x1080 monitor, and every picture shows what fits and what does not:

    python scripts/screen_sizes.py [--out docs/screens] [--sizes 1280x720,1366x768,1920x1080]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

NOW = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


def _settle(app: object, state: object, rounds: int = 200) -> None:
    for _ in range(rounds):
        app.processEvents()  # type: ignore[attr-defined]
        if state.tasks.active == 0:  # type: ignore[attr-defined]
            break
        state.tasks.wait(50)  # type: ignore[attr-defined]
    for _ in range(20):
        app.processEvents()  # type: ignore[attr-defined]


def shoot(size: str, out: Path) -> list[Path]:
    """Inside the child process: the screens at ``size`` (the platform is already that size)."""
    from PySide6.QtWidgets import QApplication

    from frontcounter.paths import Paths
    from frontcounter.runtime import create_demo, open_station
    from frontcounter.services.core.clock import FixedClock
    from frontcounter.services.security.auth import sign_in
    from frontcounter.ui.app_state import AppState
    from frontcounter.ui.shell.main_window import MainWindow
    from frontcounter.ui.theme import apply_theme
    from frontcounter.ui.views.today import TodayView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app, "calm")
    clock = FixedClock(NOW)
    taken: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = Paths.resolve(tmp)
        create_demo(paths, clock=clock)
        runtime = open_station(paths, clock=clock)
        state = AppState(runtime.ctx, sign_in(runtime.ctx, "supervisor.HH", "demo"), runtime.settings, paths)
        window = MainWindow(state)  # fits itself to the screen: no saved geometry in a fresh data dir
        window.show()
        _settle(app, state)

        def save(widget: object, name: str) -> None:
            target = out / f"{size}-{name}.png"
            widget.grab().save(str(target))  # type: ignore[attr-defined]
            taken.append(target)

        for key in ("today", "board", "book"):
            window.view(key)
            window.show_view(key)
            _settle(app, state)
            save(window, key)
        window.show_view("today")
        today = window.view("today")
        assert isinstance(today, TodayView)
        today.move_selection(1)
        today.show_slip_selected()
        _settle(app, state)
        dialog = today.slip_dialog
        if dialog is not None:
            import time

            until = time.monotonic() + 2.0  # QPdfView renders its pages on a thread of its own
            while time.monotonic() < until:
                app.processEvents()
                time.sleep(0.02)
            save(dialog, "preview")
            dialog.reject()
        window.close()
        _settle(app, state)
        runtime.engine.dispose()
    return taken


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    parser.add_argument("--sizes", default="1280x720,1366x768,1920x1080")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.child:
        for path in shoot(args.child, args.out):
            print(path)
        return 0
    for size in args.sizes.split(","):
        width, height = (int(n) for n in size.split("x"))
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as config:
            json.dump({"screens": [{"name": "counter", "x": 0, "y": 0, "width": width, "height": height,
                                    "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}, config)
        env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config.name}",
               "PYTHONPATH": str(ROOT)}
        try:
            subprocess.run([sys.executable, __file__, "--child", size, "--out", str(args.out)], env=env,
                           check=True)
        finally:
            os.unlink(config.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
