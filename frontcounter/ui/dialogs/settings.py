"""Settings: station, central connection, printer, idle lock, no-show grace, marking, theme.

Only what ``frontcounter.config.Settings`` declares is edited here. The central password goes to the
OS keyring (services/security/secrets.py) and is never written to the config file.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from frontcounter.config import Settings, save_settings
from frontcounter.paths import Paths
from frontcounter.services.security import secrets

THEMES = (("calm", "Calm (light)"), ("high-contrast", "High contrast"))


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``saved`` carries the new settings after they are written."""

    saved = Signal(object)

    def __init__(self, settings: Settings, paths: Paths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self._settings = settings
        self._paths = paths

        self.station = QLineEdit(settings.station_code or "")
        self.station.setMaxLength(8)
        self.station.setAccessibleName(self.tr("Station code"))
        self.workstation = QLineEdit(settings.workstation or "")
        self.workstation.setPlaceholderText(self.tr("this computer's name"))
        self.workstation.setAccessibleName(self.tr("Workstation name"))
        self.theme = QComboBox()
        self.theme.setAccessibleName(self.tr("Theme"))
        for key, label in THEMES:
            self.theme.addItem(self.tr(label), key)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))

        self.central_url = QLineEdit(settings.central_url or "")
        self.central_url.setPlaceholderText("postgresql+psycopg://station_hh@central.example/frontcounter")
        self.central_url.setAccessibleName(self.tr("Central database URL"))
        self.sslmode = QComboBox()
        self.sslmode.setAccessibleName(self.tr("TLS mode"))
        for mode in ("(from URL)", "disable", "prefer", "require", "verify-ca", "verify-full"):
            self.sslmode.addItem(mode, None if mode.startswith("(") else mode)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("unchanged"))
        self.password.setAccessibleName(self.tr("Central database password (kept in the system keyring)"))

        self.printer = QComboBox()
        self.printer.setAccessibleName(self.tr("Default printer"))
        self.printer.addItem(self.tr("System default"), None)
        for name in QPrinterInfo.availablePrinterNames():
            self.printer.addItem(name, name)
        self.printer.setCurrentIndex(max(0, self.printer.findData(settings.default_printer)))

        self.idle_lock = self._spin(1, 120, settings.idle_lock_minutes, self.tr(" min"), self.tr("Idle lock"))
        self.grace = self._spin(0, 120, settings.no_show_grace_minutes, self.tr(" min"), self.tr("No-show grace"))
        self.early = self._spin(0, 240, settings.early_checkin_minutes, self.tr(" min"), self.tr("Early check-in"))
        self.marking = QLineEdit(settings.protective_marking)
        self.marking.setAccessibleName(self.tr("Protective marking"))

        tabs = QTabWidget()
        general = QWidget()
        form = QFormLayout(general)
        form.addRow(self.tr("&Station code"), self.station)
        form.addRow(self.tr("&Workstation"), self.workstation)
        form.addRow(self.tr("&Theme"), self.theme)
        tabs.addTab(general, self.tr("General"))

        connection = QWidget()
        form = QFormLayout(connection)
        form.addRow(self.tr("Central &URL"), self.central_url)
        form.addRow(self.tr("T&LS"), self.sslmode)
        form.addRow(self.tr("&Password"), self.password)
        note = QLabel(self.tr("The password is stored in the system keyring, never in a file."))
        note.setWordWrap(True)
        form.addRow(note)
        tabs.addTab(connection, self.tr("Connection"))

        counter = QWidget()
        form = QFormLayout(counter)
        form.addRow(self.tr("&Idle lock after"), self.idle_lock)
        form.addRow(self.tr("&No-show allowed after"), self.grace)
        form.addRow(self.tr("&Early check-in warning"), self.early)
        form.addRow(self.tr("Protective &marking"), self.marking)
        form.addRow(self.tr("Default &printer"), self.printer)
        tabs.addTab(counter, self.tr("Counter"))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)

    def _spin(self, low: int, high: int, value: int, suffix: str, name: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(low, high)
        box.setValue(value)
        box.setSuffix(suffix)
        box.setAccessibleName(name)
        return box

    def edited(self) -> Settings:
        """The settings as the form now says (not yet saved)."""
        url = self.central_url.text().strip() or None
        mode = self.sslmode.currentData()
        if url and mode:
            url = secrets.with_sslmode(url, mode)
        return replace(
            self._settings,
            station_code=self.station.text().strip().upper() or None,
            workstation=self.workstation.text().strip() or None,
            theme=self.theme.currentData(),
            central_url=secrets.strip_password(url) if url else None,
            default_printer=self.printer.currentData(),
            idle_lock_minutes=self.idle_lock.value(),
            no_show_grace_minutes=self.grace.value(),
            early_checkin_minutes=self.early.value(),
            protective_marking=self.marking.text().strip() or "OFFICIAL-SENSITIVE",
        )

    def _on_buttons_accepted(self) -> None:
        try:
            new = self.edited()
        except ValueError as exc:
            QMessageBox.warning(self, self.tr("Settings"), self.tr("The central URL is not valid: {0}").format(exc))
            return
        if self.password.text() and new.central_url:
            secrets.store_password(new.central_url, self.password.text())
        save_settings(self._paths.config_file, new)
        self.saved.emit(new)
        self.accept()
