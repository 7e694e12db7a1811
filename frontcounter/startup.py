"""Start the desktop app in a fixed order (STYLE.md, after Vorta):
excepthook → paths → logging → migrate the local DB → credentials → window.

``cli.main`` calls ``run_gui`` when no subcommand is given; ``__main__`` only hands over to the CLI,
so the two never import each other."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

logger = logging.getLogger(__name__)


def run_gui(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from frontcounter.paths import Paths
    from frontcounter.runtime import ensure_demo, open_station
    from frontcounter.ui.crash import install_excepthook

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("FrontCounter")
    app.setOrganizationName("FrontCounter")
    install_excepthook()  # 1. excepthook

    data_dir = args.data_dir
    if args.demo and not data_dir and not os.environ.get("FRONTCOUNTER_DATA_DIR"):
        import platformdirs

        data_dir = Path(platformdirs.user_data_dir("FrontCounter", appauthor=False)) / "demo"
    paths = Paths.resolve(data_dir)  # 2. paths (3. logging was set up by cli.main)
    if args.demo:
        ensure_demo(paths, station_code=args.station or "HH")
    runtime = open_station(paths, station_code=args.station)  # 4. migrate the local DB
    try:
        from frontcounter.ui.theme import apply_theme

        apply_theme(app, runtime.settings.theme)
    except ImportError:
        logger.warning("compiled resources missing; running without the theme")

    from frontcounter.ui.dialogs.login import sign_in_interactively
    from frontcounter.ui.shell.sync_startup import attach_to_window, first_sync_if_needed, start_sync

    if not first_sync_if_needed(runtime):  # a new station fetches its users and data first
        return 0
    actor = sign_in_interactively(runtime, preset_user=args.user)  # 5. credentials
    if actor is None:
        return 0
    from frontcounter.ui.app_state import AppState
    from frontcounter.ui.shell.main_window import MainWindow

    state = AppState(runtime.ctx, actor, runtime.settings, paths)
    sync = start_sync(state, delay_ms=500)  # after the first paint; in the background: on a timer, after each command, backing off offline
    window = attach_to_window(MainWindow(state), sync)  # 6. window
    from frontcounter.ui.shell.lock import install_session_lock

    # Idle lock, Lock now (Ctrl+L) and Switch user; another role gets a freshly built window.
    install_session_lock(window, state, rebuild=lambda: attach_to_window(MainWindow(state), sync))
    window.show()
    return int(app.exec())

