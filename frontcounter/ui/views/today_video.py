"""Today's video appointments, apart from the counter's list: nobody will walk in for them, so
they never sit among the visitors to check in. The officer (or the clerk) marks a visitor
**joined** when they are on the call, in place of "arrived"; the slip gave them the link."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import Status
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import local
from frontcounter.services.core.permissions import Action
from frontcounter.services.counter import checkin
from frontcounter.ui.app_state import AppState, mask_name
from frontcounter.ui.kit.banner import error_text
from frontcounter.ui.kit.status import status_text

logger = logging.getLogger(__name__)


class VideoPanel(QGroupBox):
    """The day's video appointments at this station, with "Joined" for the one selected."""

    def __init__(self, state: AppState, show_message: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("todayVideo")
        self.state = state
        self._show_message = show_message
        self._views: list[AppointmentView] = []
        self.list = QListWidget()
        self.list.setObjectName("todayVideoList")
        self.list.setAccessibleName(self.tr("Video appointments today"))
        self.list.setMaximumHeight(120)
        self.joined_button = QPushButton(self.tr("&Joined"))
        self.joined_button.setToolTip(self.tr("The visitor is on the video call (in place of checking in)"))
        self.joined_button.setVisible(state.can(Action.CHECK_IN))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.joined_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.joined_button.clicked.connect(self.mark_joined)
        self.list.currentRowChanged.connect(lambda _r: self._update_button())
        state.mask_changed.connect(lambda _m: self._fill())
        self.set_views([])

    def set_views(self, views: list[AppointmentView]) -> None:
        self._views = sorted(views, key=lambda v: (v.start, v.reference))
        self._fill()

    def _fill(self) -> None:
        current = self.selected()
        self.list.clear()
        live = [v for v in self._views if v.status not in (Status.CANCELLED, Status.RESCHEDULED)]
        self.setTitle(self.tr("Video today — nobody will walk in ({0})").format(len(live)))
        self.setVisible(bool(self._views))
        for v in self._views:
            when = f"{local(v.start):%H:%M}–{local(v.end):%H:%M}"
            item = QListWidgetItem(f"{when}  {mask_name(v.visitor_name, self.state.masked)}  ·  "
                                   f"{self.tr('video with')} {v.officer_label}  ·  {status_text(v)}")
            item.setData(Qt.ItemDataRole.UserRole, v.reference)
            self.list.addItem(item)
        if current is not None:
            row = next((i for i, v in enumerate(self._views) if v.reference == current.reference), -1)
            self.list.setCurrentRow(row)
        self._update_button()

    def selected(self) -> AppointmentView | None:
        row = self.list.currentRow()
        return self._views[row] if 0 <= row < len(self._views) else None

    def _update_button(self) -> None:
        chosen = self.selected()
        self.joined_button.setEnabled(chosen is not None and chosen.status == Status.BOOKED)

    def mark_joined(self) -> None:
        chosen = self.selected()
        if chosen is None or chosen.status != Status.BOOKED:
            return
        ctx, actor = self.state.ctx, self.state.actor
        self.joined_button.setEnabled(False)
        # Joined, whatever the minute: the officer sees the visitor on the call (no early/late refusal).
        self.state.tasks.run(lambda _p: checkin.check_in(ctx, actor, chosen.reference, force=True),
                             on_done=lambda _r: self._say(self.tr("{0} joined the video call.").format(
                                 chosen.reference), "info"),
                             on_error=lambda exc: self._say(error_text(exc, self.tr("That did not work.")), "error"))

    def _say(self, text: str, kind: str) -> None:
        self._update_button()
        self._show_message(text, kind)  # type: ignore[operator]
