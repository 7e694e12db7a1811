"""The first window of a shift: the station, the protective marking and the sign-in fields.

It is painted before any database library is imported (Qt and the standard library only), so a
clerk can start typing while the station cache opens behind it (frontcounter/ui/shell/startup.py). It
knows nothing about databases: it shows what it is told (opening…, a problem in words, a wrong
password) and announces ``submitted`` and ``retry_requested``.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent, QPaintEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def _repolish(widget: QWidget, name: str, value: object) -> None:
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class SignInWindow(QWidget):
    #: (user name, password): the user pressed Sign in (or Enter).
    submitted = Signal(str, str)
    #: The user pressed Retry after a start-up problem.
    retry_requested = Signal()
    #: The first frame has been painted (start-up begins its background work then).
    first_painted = Signal()
    #: The user closed the window or pressed Quit before signing in.
    cancelled = Signal()

    def __init__(self, station: str, marking: str, *, username: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SignInWindow")
        self.setWindowTitle(self.tr("FrontCounter — {0} — {1}").format(station, marking))
        self._painted = False
        self._finished = False
        self.station_label = QLabel(station)
        self.station_label.setObjectName("stationLabel")
        self.station_label.setProperty("heading", True)
        self.marking_label = QLabel(marking)
        self.marking_label.setObjectName("markingLabel")
        self.marking_label.setProperty("marking", True)
        # Centred through the style sheet: the first use of Qt's namespace enums (Qt.AlignmentFlag…)
        # makes PySide6 build all of them, some 50 ms before the first frame on a slow PC.
        self.marking_label.setStyleSheet("qproperty-alignment: AlignCenter;")

        self.user = QLineEdit(username)
        self.user.setObjectName("userField")
        self.user.setAccessibleName(self.tr("User name"))
        self.password = QLineEdit()
        self.password.setObjectName("passwordField")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Password"))
        # A grid and a row of buttons rather than QFormLayout and QDialogButtonBox: PySide6 builds
        # those classes' enums (roles, standard buttons, policies) on first use, before the frame.
        form = QGridLayout()
        for row, (text, field) in enumerate(((self.tr("&User name"), self.user),
                                             (self.tr("&Password"), self.password))):
            label = QLabel(text)
            label.setBuddy(field)
            form.addWidget(label, row, 0)
            form.addWidget(field, row, 1)

        # The label is the banner (QLabel is a QFrame, so the theme's QFrame[banner] applies), which
        # keeps a wrapped message's height right: a frame around it would not grow with its lines.
        self.message = QLabel()
        self.message.setObjectName("startupMessage")
        self.message.setProperty("banner", "info")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.banner = self.message
        self.hint = QLabel()
        self.hint.setObjectName("signInHint")
        self.hint.setWordWrap(True)
        self.hint.setVisible(False)

        buttons = QHBoxLayout()
        self.sign_in_button = QPushButton(self.tr("Sign in"))
        self.sign_in_button.setProperty("primary", True)
        self.sign_in_button.setDefault(True)
        self.retry_button = QPushButton(self.tr("&Retry"))
        quit_button = QPushButton(self.tr("&Quit"))
        buttons.addStretch(1)
        for button in (self.sign_in_button, self.retry_button, quit_button):
            buttons.addWidget(button)
        self.retry_button.setVisible(False)
        self.sign_in_button.clicked.connect(self._on_sign_in_clicked)
        self.retry_button.clicked.connect(self._on_retry_clicked)
        quit_button.clicked.connect(self.close)
        self.user.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self._on_sign_in_clicked)

        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # a long problem grows the window
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(self.marking_label)
        layout.addWidget(self.station_label)
        layout.addLayout(form)
        layout.addWidget(self.banner)
        layout.addWidget(self.hint)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.resize(460, 320)
        (self.password if username else self.user).setFocus()

    # -- what start-up tells it ---------------------------------------------------------------

    def set_station(self, station: str, marking: str) -> None:
        self.station_label.setText(station)
        self.marking_label.setText(marking)
        self.setWindowTitle(self.tr("FrontCounter — {0} — {1}").format(station, marking))

    def show_hint(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def show_progress(self, text: str) -> None:
        """Start-up is still working (opening, migrating, checking the password)."""
        self._show(text, "info", retry=False)

    def show_problem(self, text: str, *, retry: bool = True) -> None:
        """A start-up problem in words; signing in waits until Retry succeeds."""
        from PySide6.QtCore import Qt  # not needed for the first frame (see the marking label)

        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # IT may copy it
        self._show(text, "error", retry=retry)
        self.sign_in_button.setEnabled(False)
        (self.retry_button if retry else self.user).setFocus()

    def show_sign_in_error(self, text: str) -> None:
        """A wrong password or locked account: the password is cleared for another try."""
        self._show(text, "error", retry=False)
        self.set_checking(False)
        self.password.clear()
        self.password.setFocus()

    def clear_message(self) -> None:
        self.banner.setVisible(False)
        self.retry_button.setVisible(False)
        self.sign_in_button.setEnabled(True)

    def set_checking(self, checking: bool) -> None:
        """While a password is checked, the fields stay readable but cannot be submitted twice."""
        self.sign_in_button.setEnabled(not checking)
        self.user.setReadOnly(checking)
        self.password.setReadOnly(checking)

    def finish(self) -> None:
        """Signed in: close without announcing ``cancelled``."""
        self._finished = True
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _show(self, text: str, kind: str, *, retry: bool) -> None:
        self.message.setText(text)
        _repolish(self.message, "banner", kind)
        self.message.setVisible(True)
        self.retry_button.setVisible(retry)

    def _on_sign_in_clicked(self) -> None:
        if not self.sign_in_button.isEnabled() or self.password.isReadOnly():
            return
        if not self.user.text().strip():
            self.user.setFocus()
            return
        self.submitted.emit(self.user.text().strip(), self.password.text())

    def _on_retry_clicked(self) -> None:
        self.retry_requested.emit()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        super().closeEvent(event)
        if not self._finished:
            self._finished = True
            self.cancelled.emit()
