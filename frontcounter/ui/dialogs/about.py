"""About: the version, and the licences of what the app bundles (fonts, icons, Qt)."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from frontcounter import __version__
from frontcounter.assets import FONTS_DIR

ICON_LICENCE = "Icons and themes: drawn for FrontCounter by its contributors, MIT licence."


def licence_text() -> str:
    """The bundled fonts' licence summary (shipped beside the fonts) and the other notices."""
    fonts = (FONTS_DIR / "LICENSES.md").read_text(encoding="utf-8")
    return "\n\n".join([
        ICON_LICENCE,
        f"Qt {qVersion()} and PySide6 {pyside_version}: LGPL v3 (https://www.qt.io/licensing).",
        "ReportLab: BSD licence. SQLAlchemy, Alembic: MIT. psycopg: LGPL v3. keyring, platformdirs: MIT.",
        fonts,
    ])


class AboutDialog(QDialog):
    def __init__(self, marking: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About FrontCounter"))
        self.resize(640, 520)
        title = QLabel(f"<h2>FrontCounter {__version__}</h2>")
        title.setAccessibleName(self.tr("Version"))
        facts = QLabel(self.tr(
            "Police station front-counter appointments: check-in, rooms and officers, briefings, "
            "offline-first sync.\nProtective marking: {0}\nPython {1}, Qt {2}"
        ).format(marking, platform.python_version(), qVersion()))
        facts.setWordWrap(True)
        licences = QTextBrowser()
        licences.setObjectName("licences")
        licences.setAccessibleName(self.tr("Licences of bundled fonts and icons"))
        licences.setMarkdown(licence_text())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(facts)
        layout.addWidget(QLabel(self.tr("Licences")))
        layout.addWidget(licences, 1)
        layout.addWidget(buttons)
