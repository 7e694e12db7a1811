"""Sign-in at the counter: user name and password, a clear message on failure, nothing else."""

from __future__ import annotations

import os

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import AuthenticationError
from frontcounter.services.security.auth import sign_in


class LoginDialog(QDialog):
    def __init__(self, ctx: ServiceContext, *, username: str = "", title: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.actor: Actor | None = None
        self.setWindowTitle(title or self.tr("FrontCounter — sign in"))
        self.user = QLineEdit(username)
        self.user.setAccessibleName(self.tr("User name"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Password"))
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        form = QFormLayout()
        form.addRow(self.tr("&User name"), self.user)
        form.addRow(self.tr("&Password"), self.password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Sign in"))
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        (self.password if username else self.user).setFocus()

    def _on_buttons_accepted(self) -> None:
        try:
            self.actor = sign_in(self.ctx, self.user.text(), self.password.text())
        except AuthenticationError as exc:
            self.error.setText(exc.message)
            self.error.setVisible(True)
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()


def sign_in_interactively(runtime: StationRuntime, *, preset_user: str | None = None) -> Actor | None:
    """Sign in without a dialog when the password is in the environment (kiosk scripts, tests)."""
    password = os.environ.get("FRONTCOUNTER_PASSWORD")
    if preset_user and password is not None:
        return sign_in(runtime.ctx, preset_user, password)
    default_user = preset_user or (f"counter.{runtime.ctx.station_code}" if runtime.settings.demo else "")
    dialog = LoginDialog(runtime.ctx, username=default_user)
    if runtime.settings.demo:
        dialog.error.setText(dialog.tr("Demo: every user's password is 'demo' (counter.HH, officer.HH, "
                                       "supervisor.HH, fcr.HH, auditor.HH, admin.HH)."))
        dialog.error.setVisible(True)
    return dialog.actor if dialog.exec() == QDialog.DialogCode.Accepted else None
