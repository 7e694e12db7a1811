"""Sign-in at the counter: user name and password, a clear message on failure; a user with a
temporary password (new, or reset by an administrator) chooses their own before going on.

Start-up does not use it for the first sign-in: that is the sign-in window
(ui/shell/sign_in_window.py), painted before the database opens; switching user and unlocking do."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.core.actor import Actor
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import AuthenticationError, ValidationError
from frontcounter.services.security.auth import change_password, must_change_password, sign_in


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
        self.new_password = QLineEdit()
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_password.setAccessibleName(self.tr("New password"))
        self.repeat_password = QLineEdit()
        self.repeat_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat_password.setAccessibleName(self.tr("New password again"))
        form = QFormLayout()
        form.addRow(self.tr("&User name"), self.user)
        form.addRow(self.tr("&Password"), self.password)
        form.addRow(self.tr("&New password"), self.new_password)
        form.addRow(self.tr("New password &again"), self.repeat_password)
        self._form = form
        #: True once signed in with a temporary password: the dialog then asks for a new one.
        self.changing = False
        for row in (2, 3):
            form.setRowVisible(row, False)
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
        if self.changing:
            self._change_password()
            return
        try:
            self.actor = sign_in(self.ctx, self.user.text(), self.password.text())
        except AuthenticationError as exc:
            self._show_error(exc.message)
            self.password.clear()
            self.password.setFocus()
            return
        if must_change_password(self.ctx, self.actor):
            self.changing = True
            self.user.setReadOnly(True)
            self.password.setReadOnly(True)
            for row in (2, 3):
                self._form.setRowVisible(row, True)
            self._show_error(self.tr("Your password is temporary: choose your own to go on."))
            self.new_password.setFocus()
            return
        self.accept()

    def _change_password(self) -> None:
        assert self.actor is not None
        if self.new_password.text() != self.repeat_password.text():
            self._show_error(self.tr("The two new passwords differ."))
            return
        try:
            change_password(self.ctx, self.actor, self.password.text(), self.new_password.text())
        except (AuthenticationError, ValidationError) as exc:
            self._show_error(exc.message)
            return
        self.accept()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(True)

