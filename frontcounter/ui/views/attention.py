"""The supervisor's "Needs attention" list: changes the centre rejected and central changes a sync
rule flagged (a check-in that beat a cancellation, a walk-in that lost its slot…).

Nothing the centre refuses is dropped silently: it waits here until a supervisor says what was
done about it. Settling is a command (audited, synced). Loading and settling run on the task
runner; the list reloads whenever data changes (a sync brings new items).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from frontcounter.services.core.clock import local
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.counter import attention
from frontcounter.services.counter.attention import AttentionView as Item
from frontcounter.ui.app_state import AppState

logger = logging.getLogger(__name__)

#: Kinds are told by a symbol and a word, never by colour alone.
KIND_LABELS = {"rejected": "✖ Rejected", "flagged": "⚑ Flagged"}


class AttentionModel(QAbstractTableModel):
    COLUMNS = ("Since", "Kind", "Appointment", "What happened", "Settled")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Item] = []

    def set_rows(self, rows: list[Item]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_at(self, row: int) -> Item:
        return self._rows[row]

    def row_of(self, item_id: uuid.UUID) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == item_id), -1)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(self.COLUMNS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                f"{local(item.created_at):%a %d %b %H:%M}",
                self.tr(KIND_LABELS.get(item.kind, item.kind)),
                item.reference or "",
                item.message,
                self.tr("✓ {0} by {1}").format(f"{local(item.settled_at):%d %b %H:%M}", item.settled_by)
                if item.settled_at else self.tr("open"),
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return item.message
        if role == Qt.ItemDataRole.AccessibleTextRole and column == 1:
            return item.kind
        return None


class AttentionView(QWidget):
    """The list, the selected item in full, and a note to settle it with (Ctrl+Enter)."""

    #: How many items are still open (the navigation shows it).
    count_changed = Signal(int)
    #: A reload finished and the table shows its items.
    loaded = Signal(int)
    #: An item was settled: its id.
    settled = Signal(object)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._selected: uuid.UUID | None = None
        self._loading = False
        self._reload_again = False
        self.setObjectName("attentionView")
        self.setAccessibleName(self.tr("Needs attention"))

        title = QLabel(self.tr("Needs attention"))
        title.setObjectName("viewTitle")
        self.show_settled = QCheckBox(self.tr("Show &settled items"))
        self.show_settled.setAccessibleName(self.tr("Show settled items too"))
        marking = QLabel(state.ctx.policy.protective_marking)
        marking.setObjectName("protectiveMarking")
        marking.setAccessibleName(self.tr("Protective marking"))
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.show_settled)
        top.addWidget(marking)

        self.model = AttentionModel(self)
        self.table = QTableView()
        self.table.setObjectName("attentionTable")
        self.table.setAccessibleName(self.tr("Changes that need a supervisor, open ones first"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)

        self.detail_title = QLabel()
        self.detail_title.setObjectName("attentionDetailTitle")
        self.detail = QLabel(self.tr("Select an item to see it in full."))
        self.detail.setObjectName("attentionDetail")
        self.detail.setAccessibleName(self.tr("The selected item in full"))
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.note = QLineEdit()
        self.note.setObjectName("settlementNote")
        self.note.setPlaceholderText(self.tr("What was done, e.g. 'Visitor rebooked for Tue 18:00'"))
        self.note.setAccessibleName(self.tr("What was done about it"))
        self.settle_button = QPushButton(self.tr("Settle (Ctrl+Enter)"))
        self.settle_button.setObjectName("settleButton")
        self.settle_button.setAccessibleName(self.tr("Settle the selected item with the note"))
        self.settle_button.setEnabled(False)
        note_label = QLabel(self.tr("&What was done"))
        note_label.setBuddy(self.note)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(12, 0, 0, 0)
        side_layout.addWidget(self.detail_title)
        side_layout.addWidget(self.detail, 1)
        side_layout.addWidget(note_label)
        side_layout.addWidget(self.note)
        side_layout.addWidget(self.settle_button)

        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([620, 420])  # the item in full needs room to be read

        self.status = QLabel()
        self.status.setObjectName("attentionStatus")
        self.status.setAccessibleName(self.tr("Needs attention status"))
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)

        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self._on_settle_button_clicked)
        self.settle_button.clicked.connect(self._on_settle_button_clicked)
        self.note.returnPressed.connect(self._on_settle_button_clicked)
        self.note.textChanged.connect(self._update_buttons)
        self.show_settled.toggled.connect(self._on_show_settled_toggled)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        state.data_changed.connect(self.reload)
        self.reload()

    # -- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        ctx, actor, include = self.state.ctx, self.state.actor, self.show_settled.isChecked()
        self.state.tasks.run(lambda _p: attention.list_items(ctx, actor, include_settled=include),
                             on_done=self._on_loaded, on_error=self._on_failed)

    def _on_loaded(self, items: list[Item]) -> None:
        self._loading = False
        self.model.set_rows(items)
        open_items = sum(1 for i in items if i.open)
        self.count_changed.emit(open_items)
        if not items:
            self.status.setText(self.tr("Nothing needs attention. Rejected or flagged changes appear here after a sync."))
        else:
            self.status.setText(self.tr("{0} open item(s).").format(open_items))
        row = self.model.row_of(self._selected) if self._selected else -1
        if row < 0 and items:
            row = 0
        if row >= 0:
            self.table.selectRow(row)
        else:
            self._show(None)
        self.loaded.emit(len(items))
        if self._reload_again:
            self._reload_again = False
            self.reload()

    def _on_failed(self, exc: BaseException) -> None:
        self._loading = False
        if isinstance(exc, FrontCounterError):
            self.status.setText(exc.message)
            return
        logger.error("loading the attention list failed", exc_info=exc)
        self.status.setText(self.tr("The list could not be loaded; the error was logged."))

    # -- the selection and settling ------------------------------------------------------------

    def _on_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show(self.model.row_at(current.row()) if current.isValid() else None)

    def _show(self, item: Item | None) -> None:
        self._selected = item.id if item else None
        if item is None:
            self.detail_title.setText("")
            self.detail.setText(self.tr("Select an item to see it in full."))
        else:
            kind = self.tr(KIND_LABELS.get(item.kind, item.kind))
            when = f"{local(item.created_at):%a %d %b %Y %H:%M}"
            about = f" · {item.reference}" if item.reference else ""
            if item.appointment_start is not None:
                about += f" ({local(item.appointment_start):%a %d %b %H:%M})"
            self.detail_title.setText(f"<b>{kind}</b> · {when}{about}")
            text = item.message
            if item.settled_at is not None:
                text += "\n\n" + self.tr("Settled {0} by {1}: {2}").format(
                    f"{local(item.settled_at):%a %d %b %H:%M}", item.settled_by, item.settlement or "")
            self.detail.setText(text)
        self._update_buttons()

    def _current(self) -> Item | None:
        row = self.model.row_of(self._selected) if self._selected else -1
        return self.model.row_at(row) if row >= 0 else None

    def _update_buttons(self) -> None:
        item = self._current()
        can = item is not None and item.open and bool(self.note.text().strip())
        self.settle_button.setEnabled(can)
        self.note.setEnabled(item is not None and item.open)

    def _on_settle_button_clicked(self) -> None:
        item = self._current()
        if item is None or not item.open:
            return
        note = self.note.text()
        ctx, actor = self.state.ctx, self.state.actor
        self.settle_button.setEnabled(False)
        self.state.tasks.run(lambda _p: attention.settle(ctx, actor, item.id, note),
                             on_done=self._on_settle_done, on_error=self._on_settle_failed)

    def _on_settle_done(self, item: Item) -> None:
        self.note.clear()
        self.status.setText(self.tr("Settled. The note goes to the centre with the next sync."))
        self.settled.emit(item.id)
        # The command's commit already emitted data_changed, which reloads the list.

    def _on_settle_failed(self, exc: BaseException) -> None:
        self._update_buttons()
        if isinstance(exc, FrontCounterError):
            self.status.setText(exc.message)
            return
        logger.error("settling an attention item failed", exc_info=exc)
        self.status.setText(self.tr("The item could not be settled; the error was logged."))

    def _on_show_settled_toggled(self, _checked: bool) -> None:
        self.reload()
