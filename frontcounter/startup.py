"""Start the desktop app in a fixed order (STYLE.md, after Vorta): excepthook → paths → logging →
the sign-in window → (on a worker, while the clerk types) migrate the local DB → credentials →
window (frontcounter/ui/shell/startup.py).

``cli.main`` calls ``run_gui`` when no subcommand is given; ``__main__`` only hands over to the CLI,
so the two never import each other."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

logger = logging.getLogger(__name__)


def qt_application() -> QApplication:
    """The running QApplication, or a new one made as the app makes its own: the Fusion style named
    on Qt's command line (frontcounter/ui/theme.py ``new_application``), and PySide6 kept from reading
    the source of every module imported after it (frontcounter/ui/pyside_sources.py)."""
    from PySide6.QtWidgets import QApplication

    from frontcounter.ui.pyside_sources import stop_reading_module_sources

    stop_reading_module_sources()  # before any more imports: ~20 MB of cached source lines otherwise
    existing = QApplication.instance()
    if existing is not None:
        return existing  # type: ignore[return-value]  (a test's, or the probe's)
    try:
        from frontcounter.ui.theme import new_application
    except ImportError:  # compiled resources missing: run_gui says so, the app runs unstyled
        return QApplication(sys.argv[:1])
    return new_application(sys.argv[0] if sys.argv else "frontcounter")


def run_gui(args: argparse.Namespace) -> int:
    """The first frame (the sign-in window) needs Qt and config.json only; the station cache opens
    behind it on a worker while the clerk types (frontcounter/ui/shell/startup.py)."""
    app = qt_application()
    from frontcounter.paths import Paths
    from frontcounter.ui.crash import install_excepthook

    app.setApplicationName("FrontCounter")
    app.setOrganizationName("FrontCounter")
    install_excepthook()  # 1. excepthook

    data_dir = args.data_dir
    if args.demo and not data_dir and not os.environ.get("FRONTCOUNTER_DATA_DIR"):
        import platformdirs

        data_dir = Path(platformdirs.user_data_dir("FrontCounter", appauthor=False)) / "demo"
    paths = Paths.resolve(data_dir)  # 2. paths (3. logging was set up by cli.main)
    from frontcounter.config import load_settings

    try:
        from frontcounter.ui.theme import apply_theme

        apply_theme(app, load_settings(paths.config_file).theme)
    except ImportError:
        logger.warning("compiled resources missing; running without the theme")
    except (OSError, ValueError):  # an unreadable config.json: the sign-in window says so once opened
        logger.warning("could not read %s for the theme", paths.config_file, exc_info=True)

    from frontcounter.ui.shell.startup import start

    # 4. the sign-in window, then (on a worker) the local DB migrated, 5. credentials, 6. the window
    startup = start(app, paths.data_dir, station_code=args.station, demo=args.demo, preset_user=args.user,
                    fcr=bool(getattr(args, "fcr", False)))
    status = int(app.exec())
    startup.tasks.wait(5000)
    return status
