"""Keeping the central password when the machine has no usable OS keyring.

The keyring is the only place a password is stored (DESIGN.md section 5). Without one, the user
is told how to set one up and may instead use the password for this session only: it stays in
this process's memory and is gone when the app closes.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from frontcounter.services.core.environment import KeyringUnavailable
from frontcounter.services.security import secrets


def store_password_or_ask(parent: QWidget, url: str, password: str) -> bool:
    """Store ``password`` for ``url``; without a keyring, offer this session only. False: cancelled."""
    try:
        secrets.store_password(url, password)
        return True
    except KeyringUnavailable as exc:
        box = QMessageBox(QMessageBox.Icon.Warning, parent.tr("No keyring"), exc.message,
                          QMessageBox.StandardButton.Cancel, parent)
        box.setObjectName("noKeyringMessage")
        session = box.addButton(parent.tr("Use for this &session only"), QMessageBox.ButtonRole.AcceptRole)
        box.exec()
        if box.clickedButton() is not session:
            return False
        secrets.remember_for_session(url, password)
        return True
