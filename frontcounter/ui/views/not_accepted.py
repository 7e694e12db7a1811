"""The clerk's "Not accepted" list: this station's changes the centre refused, kept to be fixed.

A refusal never deletes anything (frontcounter/services/sync/rejections.py): a refused booking is kept,
set aside from the day's lists, with the centre's reason. Here the clerk reads the reason, corrects
the text the centre could not store, and sends the record again. Loading and resending run on
the task runner; the list reloads whenever data changes (a sync brings answers).
"""

from __future__ import annotations

import logging
import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.core import text_rules
from frontcounter.services.core.clock import local
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.sync import rejections
from frontcounter.services.sync.rejections import NotAccepted
from frontcounter.ui.app_state import AppState

logger = logging.getLogger(__name__)


def suggested(value: str) -> str:
    """The text with what cannot be stored taken out: the clerk's starting point, to check."""
    return text_rules.clean(value).replace("\ufffd", "")


class NotAcceptedView(QWidget):
    """The refused records, the selected one in full, and its text to correct and resend."""

    count_changed = Signal(int)
    loaded = Signal(int)
    #: A record was queued again: its id.
    resent = Signal(object)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._items: list[NotAccepted] = []
        self._selected: uuid.UUID | None = None
        self._editors: dict[str, QPlainTextEdit] = {}
        self._loading = False
        self.setObjectName("notAcceptedView")
        self.setAccessibleName(self.tr("Not accepted by the centre"))

        title = QLabel(self.tr("Not accepted by the centre"))
        title.setObjectName("viewTitle")
        marking = QLabel(state.ctx.policy.protective_marking)
        marking.setObjectName("protectiveMarking")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(marking)

        self.list = QListWidget()
        self.list.setObjectName("notAcceptedList")
        self.list.setAccessibleName(self.tr("Records the centre refused, oldest first"))
        self.detail = QLabel(self.tr("Select a record to see why the centre refused it."))
        self.detail.setObjectName("notAcceptedDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.fields = QFormLayout()
        self.resend_button = QPushButton(self.tr("&Fix and resend"))
        self.resend_button.setObjectName("resendButton")
        self.resend_button.setAccessibleName(self.tr("Save the corrections and send the record to the centre again"))
        self.resend_button.setEnabled(False)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(12, 0, 0, 0)
        side_layout.addWidget(self.detail)
        side_layout.addLayout(self.fields)
        side_layout.addStretch(1)
        side_layout.addWidget(self.resend_button)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(side)
        splitter.setSizes([420, 560])
        splitter.setChildrenCollapsible(False)

        self.status = QLabel()
        self.status.setObjectName("notAcceptedStatus")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)

        self.list.currentRowChanged.connect(self._on_list_current_row_changed)
        self.resend_button.clicked.connect(self._on_resend_button_clicked)
        state.data_changed.connect(self.reload)
        self.reload()

    # -- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        if self._loading:
            return
        self._loading = True
        ctx, actor = self.state.ctx, self.state.actor
        self.state.tasks.run(lambda _p: rejections.list_not_accepted(ctx, actor),
                             on_done=self._on_loaded, on_error=self._on_failed)

    def _on_loaded(self, items: list[NotAccepted]) -> None:
        self._loading = False
        self._items = items
        self.list.clear()
        for item in items:
            when = f"{local(item.start_at):%a %d %b %H:%M}" if item.start_at else ""
            label = " · ".join(p for p in (item.reference, item.visitor_name and
                                           text_rules.clean(item.visitor_name), when) if p)
            entry = QListWidgetItem(f"✖ {label or item.entity}")
            entry.setData(Qt.ItemDataRole.UserRole, str(item.entity_id))
            self.list.addItem(entry)
        self.count_changed.emit(len(items))
        self.status.setText(self.tr("{0} record(s) wait to be fixed and resent.").format(len(items)) if items else
                            self.tr("Nothing waits: every change this station made was accepted."))
        row = next((i for i, it in enumerate(items) if it.entity_id == self._selected), 0 if items else -1)
        self.list.setCurrentRow(row)
        if row < 0:
            self._show(None)
        self.loaded.emit(len(items))

    def _on_failed(self, exc: BaseException) -> None:
        self._loading = False
        if isinstance(exc, FrontCounterError):
            self.status.setText(exc.message)
            return
        logger.error("loading the not-accepted list failed", exc_info=exc)
        self.status.setText(self.tr("The list could not be loaded; the error was logged."))

    # -- the selected record -------------------------------------------------------------------

    def _on_list_current_row_changed(self, row: int) -> None:
        self._show(self._items[row] if 0 <= row < len(self._items) else None)

    def _show(self, item: NotAccepted | None) -> None:
        self._selected = item.entity_id if item else None
        while self.fields.rowCount():
            self.fields.removeRow(0)
        self._editors.clear()
        if item is None:
            self.detail.setText(self.tr("Select a record to see why the centre refused it."))
            self.resend_button.setEnabled(False)
            return
        lines = [self.tr("The centre said: {0}").format(item.reason)]
        if item.withheld:
            lines.append(self.tr("The booking is kept here but left off today's lists until the centre accepts it."))
        if len(item.op_ids) > 1:
            lines.append(self.tr("{0} later change(s) to it wait with it and go again with it.")
                         .format(len(item.op_ids) - 1))
        for column, words in item.problem_words.items():
            lines.append(f"• {text_rules.label(column)}: {words}")
        if item.problem_words:
            lines.append(self.tr("What cannot be stored has been taken out below: check the text, then resend."))
        self.detail.setText("\n".join(lines))
        for column, value in item.problems.items():
            editor = QPlainTextEdit(suggested(value))
            editor.setObjectName(f"fix_{column}")
            editor.setAccessibleName(text_rules.label(column))
            editor.setMaximumHeight(72)
            self._editors[column] = editor
            self.fields.addRow(text_rules.label(column), editor)
        self.resend_button.setEnabled(True)

    def _on_resend_button_clicked(self) -> None:
        entity_id = self._selected
        if entity_id is None:
            return
        fixes: dict[str, str | None] = {c: e.toPlainText() for c, e in self._editors.items()}
        ctx, actor = self.state.ctx, self.state.actor
        self.resend_button.setEnabled(False)
        self.state.tasks.run(lambda _p: rejections.resend(ctx, actor, entity_id, fixes),
                             on_done=self._on_resend_done, on_error=self._on_resend_failed)

    def _on_resend_done(self, item: NotAccepted) -> None:
        self.status.setText(self.tr("Queued again; it goes to the centre with the next sync."))
        self.resent.emit(item.entity_id)

    def _on_resend_failed(self, exc: BaseException) -> None:
        self.resend_button.setEnabled(True)
        if isinstance(exc, FrontCounterError):
            self.status.setText(exc.message)
            return
        logger.error("resending a refused record failed", exc_info=exc)
        self.status.setText(self.tr("The record could not be resent; the error was logged."))
