"""What covers a locked window: the cover over the window and the unlock panel on it (password,
Switch user), readable on both themes."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from frontcounter.ui.app_state import AppState


def _set_property(widget: QWidget, name: str, value: object) -> None:
    try:
        from frontcounter.ui.theme import set_property
    except ImportError:  # resources not compiled: the property still goes on, unstyled
        widget.setProperty(name, value)
        return
    set_property(widget, name, value)


class UnlockPanel(QFrame):
    """The password prompt on the cover: unlock as the signed-in user, or switch user."""

    unlock_requested = Signal(str)
    switch_requested = Signal(str, str)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unlockPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAccessibleName(self.tr("Locked: sign in to continue"))
        self.setMaximumWidth(460)
        self._state = state

        title = QLabel(self.tr("FrontCounter is locked"))
        title.setObjectName("lockTitle")
        _set_property(title, "heading", "true")
        self.who = QLabel()
        self.who.setObjectName("lockUser")
        self.who.setWordWrap(True)
        marking = QLabel(state.ctx.policy.protective_marking)
        marking.setObjectName("lockMarking")
        _set_property(marking, "marking", "true")

        self.password = QLineEdit()
        self.password.setObjectName("unlockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.unlock_button = QPushButton(self.tr("&Unlock"))
        self.unlock_button.setObjectName("unlockButton")
        _set_property(self.unlock_button, "primary", "true")
        self.to_switch = QPushButton(self.tr("S&witch user…"))
        self.to_switch.setObjectName("toSwitchButton")
        unlock_page = QWidget()
        unlock_form = QFormLayout(unlock_page)
        unlock_form.setContentsMargins(0, 0, 0, 0)
        unlock_form.addRow(self.tr("&Password"), self.password)
        unlock_buttons = QHBoxLayout()
        unlock_buttons.addWidget(self.to_switch)
        unlock_buttons.addStretch(1)
        unlock_buttons.addWidget(self.unlock_button)
        unlock_form.addRow(unlock_buttons)

        self.switch_user = QLineEdit()
        self.switch_user.setObjectName("switchUser")
        self.switch_user.setAccessibleName(self.tr("User name"))
        self.switch_password = QLineEdit()
        self.switch_password.setObjectName("switchPassword")
        self.switch_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.switch_password.setAccessibleName(self.tr("Password"))
        self.switch_button = QPushButton(self.tr("&Sign in"))
        self.switch_button.setObjectName("switchButton")
        _set_property(self.switch_button, "primary", "true")
        self.back_button = QPushButton(self.tr("&Back"))
        self.back_button.setObjectName("backButton")
        switch_page = QWidget()
        switch_form = QFormLayout(switch_page)
        switch_form.setContentsMargins(0, 0, 0, 0)
        switch_form.addRow(self.tr("&User name"), self.switch_user)
        switch_form.addRow(self.tr("Pass&word"), self.switch_password)
        switch_buttons = QHBoxLayout()
        switch_buttons.addWidget(self.back_button)
        switch_buttons.addStretch(1)
        switch_buttons.addWidget(self.switch_button)
        switch_form.addRow(switch_buttons)

        self.pages = QStackedWidget()
        self.pages.addWidget(unlock_page)
        self.pages.addWidget(switch_page)

        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setAccessibleName(self.tr("Sign-in message"))
        self.error.setWordWrap(True)
        self.error.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.who)
        layout.addWidget(self.pages)
        layout.addWidget(self.error)
        layout.addWidget(marking, 0, Qt.AlignmentFlag.AlignRight)

        self.password.returnPressed.connect(self._on_unlock_button_clicked)
        self.unlock_button.clicked.connect(self._on_unlock_button_clicked)
        self.to_switch.clicked.connect(lambda: self.show_switch(True))
        self.back_button.clicked.connect(lambda: self.show_switch(False))
        self.switch_password.returnPressed.connect(self._on_switch_button_clicked)
        self.switch_user.returnPressed.connect(self.switch_password.setFocus)
        self.switch_button.clicked.connect(self._on_switch_button_clicked)
        self.refresh()

    def refresh(self) -> None:
        actor = self._state.actor
        self.who.setText(self.tr("Signed in: {0} ({1}). Enter your password to carry on where you left off.")
                         .format(actor.display_name, actor.username))
        self.password.setAccessibleName(self.tr("Password for {0}").format(actor.username))

    def show_switch(self, switching: bool) -> None:
        self.pages.setCurrentIndex(1 if switching else 0)
        self.show_error(None)
        (self.switch_user if switching else self.password).setFocus()

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def set_busy(self, busy: bool) -> None:
        for widget in (self.unlock_button, self.switch_button, self.to_switch, self.back_button):
            widget.setEnabled(not busy)

    def _on_unlock_button_clicked(self) -> None:
        if self.unlock_button.isEnabled():
            self.unlock_requested.emit(self.password.text())

    def _on_switch_button_clicked(self) -> None:
        if self.switch_button.isEnabled():
            self.switch_requested.emit(self.switch_user.text(), self.switch_password.text())


class LockCover(QWidget):
    """An opaque cover over one top-level window, following its size; on one of them, the panel."""

    def __init__(self, host: QWidget, panel: UnlockPanel | None) -> None:
        super().__init__(host)
        self.setObjectName("lockCover")
        self.setAutoFillBackground(True)  # opaque: nothing of the window beneath shows
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        if panel is not None:
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(panel, 1)
            row.addStretch(1)
            layout.addLayout(row)
        else:
            note = QLabel(self.tr("Locked"))
            note.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(note)
        layout.addStretch(1)
        self.setGeometry(host.rect())
        host.installEventFilter(self)
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.parent() and event.type() in (QEvent.Type.Resize, QEvent.Type.ChildAdded):
            host = self.parentWidget()
            if host is not None:
                self.setGeometry(host.rect())
                self.raise_()
        return False

    def remove(self) -> None:
        host = self.parentWidget()
        if host is not None:
            host.removeEventFilter(self)
        self.hide()
        self.setParent(None)  # gone from the window at once, not at the next event loop turn
        self.deleteLater()
