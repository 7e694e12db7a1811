"""Settings: station, central connection, printer, idle lock, no-show grace, marking, theme.

Only what ``frontcounter.config.Settings`` declares is edited here. The central password goes to the
OS keyring (services/security/secrets.py) and is never written to the config file.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import (
    QCheckBox,
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
from frontcounter.services.core.environment import explain_os_error
from frontcounter.services.security import secrets
from frontcounter.ui.kit.keyring_fallback import store_password_or_ask

THEMES = (("calm", "Calm (light)"), ("high-contrast", "High contrast"))


#: The granularities a station may choose for its slots (minutes).
SLOT_STEPS = (5, 10, 15, 20, 30, 60)


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``saved`` carries the new settings after they are written."""

    saved = Signal(object)

    def __init__(self, settings: Settings, paths: Paths, parent: QWidget | None = None, *,
                 may_set_up: bool = True) -> None:
        """``may_set_up``: the signed-in user may change the PC's set-up (admins); others may
        choose only their theme and printer, and see the rest read-only."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self._settings = settings
        self._paths = paths
        self.may_set_up = may_set_up

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
        #: An FCR desk works on the centre directly, with no station cache (issue 14).
        self.fcr_desk = QCheckBox(self.tr("This PC is an &FCR desk: work on the centre directly (no station cache)"))
        self.fcr_desk.setChecked(settings.fcr_desk)
        self.fcr_desk.setAccessibleName(self.tr("FCR desk"))
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
        #: The slot finder's granularity: a slot may start every this many minutes.
        self.slot_step = QComboBox()
        self.slot_step.setAccessibleName(self.tr("Slots start every"))
        for minutes in SLOT_STEPS:
            self.slot_step.addItem(self.tr("{0} minutes").format(minutes), minutes)
        self.slot_step.setCurrentIndex(max(0, self.slot_step.findData(settings.slot_minutes)))

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
        form.addRow(self.fcr_desk)
        note = QLabel(self.tr("The password is stored in the system keyring, never in a file. An FCR desk needs "
                              "an FCR database login ('db create-role --fcr') and takes effect at the next start."))
        note.setWordWrap(True)
        form.addRow(note)
        tabs.addTab(connection, self.tr("Connection"))

        counter = QWidget()
        form = QFormLayout(counter)
        form.addRow(self.tr("&Idle lock after"), self.idle_lock)
        form.addRow(self.tr("&No-show allowed after"), self.grace)
        form.addRow(self.tr("&Early check-in warning"), self.early)
        form.addRow(self.tr("Slots start &every"), self.slot_step)
        form.addRow(self.tr("Protective &marking"), self.marking)
        form.addRow(self.tr("Default &printer"), self.printer)
        tabs.addTab(counter, self.tr("Counter"))

        self.set_up_note = QLabel(self.tr("The station code, connection and counter rules are set by an "
                                          "administrator."))
        self.set_up_note.setObjectName("setUpNote")
        self.set_up_note.setWordWrap(True)
        self.set_up_note.setVisible(not may_set_up)
        for field in self.set_up_fields():
            if isinstance(field, QLineEdit):
                field.setReadOnly(not may_set_up)
            else:
                field.setEnabled(may_set_up)
            if not may_set_up:
                field.setToolTip(self.tr("Set by an administrator"))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.set_up_note)
        layout.addWidget(tabs)
        layout.addWidget(buttons)

    def set_up_fields(self) -> list[QWidget]:
        """The PC's set-up: what only an administrator changes."""
        return [self.station, self.workstation, self.central_url, self.sslmode, self.password, self.fcr_desk,
                self.idle_lock, self.grace, self.early, self.marking]

    def _spin(self, low: int, high: int, value: int, suffix: str, name: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(low, high)
        box.setValue(value)
        box.setSuffix(suffix)
        box.setAccessibleName(name)
        return box

    def edited(self) -> Settings:
        """The settings as the form now says (not yet saved); set-up only from an administrator."""
        if not self.may_set_up:
            return replace(self._settings, theme=self.theme.currentData(), default_printer=self.printer.currentData())
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
            fcr_desk=self.fcr_desk.isChecked(),
            default_printer=self.printer.currentData(),
            idle_lock_minutes=self.idle_lock.value(),
            no_show_grace_minutes=self.grace.value(),
            early_checkin_minutes=self.early.value(),
            slot_minutes=int(self.slot_step.currentData()),
            protective_marking=self.marking.text().strip() or "OFFICIAL-SENSITIVE",
        )

    def _on_buttons_accepted(self) -> None:
        try:
            new = self.edited()
        except ValueError as exc:
            QMessageBox.warning(self, self.tr("Settings"), self.tr("The central URL is not valid: {0}").format(exc))
            return
        if (self.may_set_up and self.password.text() and new.central_url
                and not store_password_or_ask(self, new.central_url, self.password.text())):
            return
        try:
            save_settings(self._paths.config_file, new)
        except OSError as exc:
            QMessageBox.warning(self, self.tr("Settings"), explain_os_error(exc, self._paths.config_file).message)
            return
        self.saved.emit(new)
        self.accept()
