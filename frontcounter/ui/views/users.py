"""Users (admins): who may sign in at this station, and the changes an administrator makes.

Create a user (with a temporary password they must change at the first sign-in), disable or
enable, reset a password, unlock after a lockout on this PC, change role and station. Each is a
service command (audited, synced) run on the task runner; the banner says what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.security import auth, users
from frontcounter.services.security.users import UserView
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.user_form import UserFormDialog
from frontcounter.ui.kit.banner import Banner, error_text

COLUMNS = ("User", "Name", "Role", "Station", "Account", "Password", "Locked here")


class UsersView(QWidget):
    """The navigation's "Users" (Ctrl+9)."""

    loaded = Signal()
    #: A change finished (successfully or not); the banner says which.
    changed = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usersView")
        self.state = state
        self.users: list[UserView] = []
        #: The form last opened (tests fill it in).
        self.form_dialog: UserFormDialog | None = None
        heading = QLabel(self.tr("Users of this station"))
        heading.setProperty("heading", True)
        self.banner = Banner(self)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setAccessibleName(self.tr("Users"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setTabKeyNavigation(False)  # Tab leaves the list for the buttons, as everywhere
        self.table.horizontalHeader().setStretchLastSection(True)
        self.new_button = QPushButton(self.tr("&New user…"))
        self.disable_button = QPushButton(self.tr("&Disable"))
        self.reset_button = QPushButton(self.tr("&Reset password…"))
        self.unlock_button = QPushButton(self.tr("&Unlock"))
        self.role_button = QPushButton(self.tr("Role and s&tation…"))
        buttons = QHBoxLayout()
        for button in (self.new_button, self.disable_button, self.reset_button, self.unlock_button, self.role_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.banner)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.new_button.clicked.connect(self.open_create)
        self.disable_button.clicked.connect(self.toggle_active)
        self.reset_button.clicked.connect(self.open_reset)
        self.unlock_button.clicked.connect(self.unlock)
        self.role_button.clicked.connect(self.open_role)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.reload()

    # -- reading ------------------------------------------------------------------------------

    def reload(self) -> None:
        ctx, actor = self.state.ctx, self.state.actor
        self.state.tasks.run(lambda _p: users.list_users(ctx, actor), on_done=self._on_loaded,
                             on_error=self._on_failed, owner=self)

    def _on_loaded(self, rows: list[UserView]) -> None:
        selected = self.selected()
        self.users = rows
        self.table.setRowCount(len(rows))
        for r, user in enumerate(rows):
            cells = (user.username, user.display_name, user.role.value, user.station_code or "",
                     self.tr("active") if user.active else self.tr("disabled"),
                     self.tr("must change") if user.must_change_password else self.tr("own"),
                     self.tr("locked out") if user.locked_here else "")
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        if selected is not None:
            self.select(selected.username)
        self._update_buttons()
        self.loaded.emit()

    def selected(self) -> UserView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.users[rows[0].row()] if rows and rows[0].row() < len(self.users) else None

    def select(self, username: str) -> bool:
        for r, user in enumerate(self.users):
            if user.username == username:
                self.table.selectRow(r)
                return True
        return False

    def _update_buttons(self) -> None:
        user = self.selected()
        for button in (self.disable_button, self.reset_button, self.role_button):
            button.setEnabled(user is not None)
        self.unlock_button.setEnabled(user is not None and user.locked_here)
        self.disable_button.setText(self.tr("&Enable") if user is not None and not user.active else self.tr("&Disable"))

    # -- changing -----------------------------------------------------------------------------

    def _run(self, fn: Callable[[], Any], done: str) -> None:
        def ok(_result: Any) -> None:
            self.banner.show_message(done, "info")
            self.reload()
            self.changed.emit()

        def failed(exc: BaseException) -> None:
            self._on_failed(exc)
            self.changed.emit()

        self.state.tasks.run(lambda _p: fn(), on_done=ok, on_error=failed, owner=self)

    def _on_failed(self, exc: BaseException) -> None:
        self.banner.show_message(error_text(exc, self.tr("That did not work; the details are in the log.")))

    def _station_codes(self) -> list[str]:
        return [self.state.actor.station_code] if self.state.actor.station_code else []

    def _open_form(self, dialog: UserFormDialog, then: Callable[[UserFormDialog], None]) -> None:
        self.form_dialog = dialog
        dialog.accepted.connect(lambda: then(dialog))
        dialog.open()

    def open_create(self) -> None:
        dialog = UserFormDialog("create", self._station_codes(), station_code=self.state.actor.station_code or "",
                                parent=self)
        self._open_form(dialog, self._create)

    def _create(self, dialog: UserFormDialog) -> None:
        form, ctx, actor = dialog.form(), self.state.ctx, self.state.actor
        self._run(lambda: users.create_user(ctx, actor, username=form.username, display_name=form.display_name,
                                            role=form.role, station_code=form.station_code,
                                            temporary_password=form.password),
                  self.tr("Created {0}: they choose their own password at the first sign-in.").format(form.username))

    def toggle_active(self) -> None:
        user = self.selected()
        if user is None:
            return
        ctx, actor = self.state.ctx, self.state.actor
        self._run(lambda: users.set_active(ctx, actor, user.username, not user.active),
                  (self.tr("Enabled {0}.") if not user.active else self.tr("Disabled {0}: no more sign-ins.")).format(
                      user.username))

    def open_reset(self) -> None:
        user = self.selected()
        if user is not None:
            self._open_form(UserFormDialog("password", [], username=user.username, parent=self), self._reset)

    def _reset(self, dialog: UserFormDialog) -> None:
        username, password, ctx, actor = dialog.username.text(), dialog.password.text(), self.state.ctx, self.state.actor
        self._run(lambda: users.reset_password(ctx, actor, username, password),
                  self.tr("New temporary password for {0}; they must change it when they sign in.").format(username))

    def unlock(self) -> None:
        user = self.selected()
        if user is None:
            return
        ctx, actor = self.state.ctx, self.state.actor
        self._run(lambda: auth.unlock_account(ctx, actor, user.username),
                  self.tr("Unlocked {0} on this computer.").format(user.username))

    def open_role(self) -> None:
        user = self.selected()
        if user is not None:
            self._open_form(UserFormDialog("role", self._station_codes(), username=user.username, role=user.role,
                                           station_code=user.station_code or "", parent=self), self._change_role)

    def _change_role(self, dialog: UserFormDialog) -> None:
        form, ctx, actor = dialog.form(), self.state.ctx, self.state.actor
        self._run(lambda: users.change_role(ctx, actor, form.username, form.role, form.station_code),
                  self.tr("{0} is now {1} at {2}.").format(form.username, form.role.value, form.station_code))
