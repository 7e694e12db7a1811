"""The Book view: the booking form as a page of the main window (the FCR and the counter)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.booking import BookingForm


class BookingView(QWidget):
    """The navigation's "Book": the booking form, scrollable on small screens."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bookingView")
        self.form = BookingForm(state)
        heading = QLabel(self.tr("Book an appointment"))
        heading.setProperty("heading", True)
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes straight to the form's fields
        scroll.setAccessibleName(self.tr("Booking form"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(heading)
        layout.addWidget(scroll, 1)
