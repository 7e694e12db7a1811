"""The admin's forms for one user: a new user, another role and station, a temporary password.

Only the fields a change needs are shown; the dialog returns what was typed and the Users view
runs the change on the task runner (scrypt is slow by design), so nothing here touches services.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import Role


@dataclass(frozen=True)
class UserForm:
    username: str
    display_name: str
    role: Role
    station_code: str
    password: str


class UserFormDialog(QDialog):
    """``mode``: "create" (everything), "role" (role and station) or "password" (a temporary one)."""

    def __init__(self, mode: str, station_codes: list[str], *, username: str = "", role: Role = Role.COUNTER,
                 station_code: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = mode
        titles = {"create": self.tr("New user"), "role": self.tr("Role and station of {0}").format(username),
                  "password": self.tr("Temporary password for {0}").format(username)}
        self.setWindowTitle(titles[mode])
        self.setObjectName("userFormDialog")
        self.username = QLineEdit(username)
        self.username.setAccessibleName(self.tr("User name"))
        self.username.setPlaceholderText("counter2.HH")
        self.display_name = QLineEdit()
        self.display_name.setAccessibleName(self.tr("Name"))
        self.role = QComboBox()
        self.role.setAccessibleName(self.tr("Role"))
        for item in Role:
            self.role.addItem(item.value, item.value)  # plain text: Qt would not keep the enum
        self.role.setCurrentIndex(max(0, self.role.findData(role.value)))
        self.station = QComboBox()
        self.station.setAccessibleName(self.tr("Station"))
        for code in station_codes:
            self.station.addItem(code, code)
        self.station.setCurrentIndex(max(0, self.station.findData(station_code)))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Temporary password"))
        note = QLabel(self.tr("The user must choose their own password when they next sign in."))
        note.setWordWrap(True)
        form = QFormLayout()
        if mode == "create":
            form.addRow(self.tr("&User name"), self.username)
            form.addRow(self.tr("&Name"), self.display_name)
        if mode in ("create", "role"):
            form.addRow(self.tr("&Role"), self.role)
            form.addRow(self.tr("S&tation"), self.station)
        if mode in ("create", "password"):
            form.addRow(self.tr("Temporary &password"), self.password)
            form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def form(self) -> UserForm:
        return UserForm(self.username.text().strip(), self.display_name.text().strip(), Role(self.role.currentData()),
                        self.station.currentData() or "", self.password.text())
