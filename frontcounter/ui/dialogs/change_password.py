"""Choose your own password: after signing in (or switching user) with a temporary one."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from frontcounter.services.core.actor import Actor
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import AuthenticationError, ValidationError
from frontcounter.services.security.auth import change_password


class ChangePasswordDialog(QDialog):
    """Modal; rejecting it means not going on as this user (the caller signs them out)."""

    def __init__(self, ctx: ServiceContext, actor: Actor, current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("changePasswordDialog")
        self.setWindowTitle(self.tr("Choose your password"))
        self.setModal(True)
        self._ctx, self._actor, self._current = ctx, actor, current
        intro = QLabel(self.tr("{0}, your password is temporary: choose your own to go on.").format(
            actor.display_name))
        intro.setWordWrap(True)
        self.new_password = QLineEdit()
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_password.setAccessibleName(self.tr("New password"))
        self.repeat_password = QLineEdit()
        self.repeat_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat_password.setAccessibleName(self.tr("New password again"))
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout()
        form.addRow(self.tr("&New password"), self.new_password)
        form.addRow(self.tr("&Again"), self.repeat_password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.new_password.setFocus()

    def _on_buttons_accepted(self) -> None:
        if self.new_password.text() != self.repeat_password.text():
            self._show(self.tr("The two new passwords differ."))
            return
        try:
            change_password(self._ctx, self._actor, self._current, self.new_password.text())
        except (AuthenticationError, ValidationError) as exc:
            self._show(exc.message)
            return
        self.accept()

    def _show(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
