"""Connection to the centre: its URL, TLS, and the password (kept only in the OS keyring).

"Test connection" runs in the background and says in one line what happened: connected (and the
schema matches), unreachable, wrong credentials, or another schema version. Saving writes the URL
without any password to config.json and the password to the keyring.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import make_url

from frontcounter.config import Settings, save_settings
from frontcounter.paths import Paths
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.security import secrets
from frontcounter.services.sync.connection import describe_url, test_connection
from frontcounter.ui.tasks import TaskRunner

logger = logging.getLogger(__name__)

#: (value, label): libpq's sslmode values, the ones a force would choose between.
TLS_MODES = (
    (None, "As the URL says"),
    ("disable", "Off (test systems only)"),
    ("prefer", "If the centre offers it"),
    ("require", "Required"),
    ("verify-ca", "Required, certificate checked"),
    ("verify-full", "Required, certificate and host name checked"),
)


def split_password(url: str) -> tuple[str, str | None]:
    """A URL someone pasted with a password in it: the URL without it, and the password."""
    parsed = make_url(url)
    return secrets.strip_password(url), parsed.password


class ConnectionSettingsDialog(QDialog):
    """Edits the central URL, TLS mode and password; ``saved`` carries the new settings."""

    saved = Signal(object)
    #: A connection test finished: (ok, one-line message).
    tested = Signal(bool, str)

    def __init__(self, settings: Settings, paths: Paths, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Connection to the centre"))
        self.setObjectName("connectionSettings")
        self._settings = settings
        self._paths = paths
        self._tasks = tasks

        url = settings.central_url or ""
        mode = make_url(url).query.get("sslmode") if url else None
        self.url = QLineEdit(url)
        self.url.setObjectName("centralUrl")
        self.url.setPlaceholderText("postgresql+psycopg://station_hh@central.example/frontcounter")
        self.url.setAccessibleName(self.tr("Central database URL, without the password"))
        self.url.setMinimumWidth(480)
        self.setMinimumWidth(640)
        self.tls = QComboBox()
        self.tls.setObjectName("tlsMode")
        self.tls.setAccessibleName(self.tr("TLS (encryption) to the centre"))
        for value, label in TLS_MODES:
            self.tls.addItem(self.tr(label), value)
        self.tls.setCurrentIndex(max(0, self.tls.findData(mode)) if mode else 0)
        self.password = QLineEdit()
        self.password.setObjectName("centralPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        stored = bool(url) and secrets.load_password(url) is not None
        self.password.setPlaceholderText(self.tr("stored in the keyring") if stored else self.tr("not set"))
        self.password.setAccessibleName(self.tr("Central database password (kept in the OS keyring only)"))
        self.test_button = QPushButton(self.tr("&Test connection"))
        self.test_button.setObjectName("testConnection")
        self.test_button.setAccessibleName(self.tr("Test the connection to the centre"))
        self.result = QLabel()
        self.result.setObjectName("connectionResult")
        self.result.setAccessibleName(self.tr("Connection test result"))
        self.result.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.tr("Central &URL"), self.url)
        form.addRow(self.tr("T&LS"), self.tls)
        form.addRow(self.tr("&Password"), self.password)
        note = QLabel(self.tr("The password is kept in the operating system's keyring, never in a file or a log."))
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(10)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.result)
        layout.addWidget(buttons)

        self.test_button.clicked.connect(self._on_test_button_clicked)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        self.url.editingFinished.connect(self._on_url_editing_finished)

    def edited_url(self) -> str | None:
        """The URL as the form now says, with the chosen TLS mode and without a password."""
        text = self.url.text().strip()
        if not text:
            return None
        url, _ = split_password(text)
        mode = self.tls.currentData()
        return secrets.with_sslmode(url, mode) if mode else url

    def _on_url_editing_finished(self) -> None:
        # A pasted URL with a password: move the password to its own (hidden) field.
        text = self.url.text().strip()
        try:
            url, password = split_password(text) if text else (text, None)
        except Exception:  # not a URL yet: Save and Test say so
            return
        if password:
            self.url.setText(url)
            self.password.setText(password)

    def _on_test_button_clicked(self) -> None:
        try:
            url = self.edited_url()
        except Exception as exc:
            self._show_result(False, self.tr("The URL is not valid: {0}").format(type(exc).__name__))
            return
        if not url:
            self._show_result(False, self.tr("Enter the centre's URL first."))
            return
        password = self.password.text() or None
        self.test_button.setEnabled(False)
        self.result.setText(self.tr("Testing {0}…").format(describe_url(url)))
        self._tasks.run(lambda _p: test_connection(url, password),
                        on_done=lambda message: self._show_result(True, message),
                        on_error=self._on_test_failed)

    def _on_test_failed(self, exc: BaseException) -> None:
        if isinstance(exc, FrontCounterError):
            self._show_result(False, exc.message)
            return
        logger.error("connection test failed unexpectedly: %s", type(exc).__name__)
        self._show_result(False, self.tr("The test failed unexpectedly ({0}); see the log.").format(type(exc).__name__))

    def _show_result(self, ok: bool, message: str) -> None:
        self.test_button.setEnabled(True)
        self.result.setText(("✓ " if ok else "✖ ") + message)
        self.tested.emit(ok, message)

    def _on_buttons_accepted(self) -> None:
        try:
            url = self.edited_url()
        except Exception as exc:
            self._show_result(False, self.tr("The URL is not valid: {0}").format(type(exc).__name__))
            return
        new = replace(self._settings, central_url=url)
        if url and self.password.text():
            secrets.store_password(url, self.password.text())
        save_settings(self._paths.config_file, new)
        logger.info("central connection set to %s", describe_url(url) if url else "(none)")
        self.saved.emit(new)
        self.accept()
