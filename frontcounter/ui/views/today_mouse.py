"""Today by mouse as well as keys: a click shows the visitor at once, a double-click opens the
appointment, a right-click offers the row's actions (the same QActions as the keys and menus).

A click sets the current row first and selects it afterwards (QAbstractItemView's mouse press),
a key does both at once: the details pane listened to the current row alone, so a clicked row
stayed undetailed until the next 30-second tick. Both signals are heard; the pane redraws once.
Also here: the columns' widths, sized to content until the clerk drags a border.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QItemSelection, QModelIndex, QObject, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QMenu

from frontcounter.services.core.permissions import Action
from frontcounter.ui.views.today_banner import Cause


class _RowMouse:
    """Mixed into TodayView (before QWidget): the table's selection, clicks, keys and row menu, and the
    row colours following the theme."""

    table: Any
    banner: Any
    state: Any
    _detailed: Any
    model: Any

    def _on_table_current_row_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        # A click moves the current row first and selects it just after: at this point the new
        # row is not selected yet, and showing "no visitor" in between hid and re-showed every
        # fact (a relayout per row, half of a click's cost). The selectionChanged that follows
        # shows the visitor; a cleared selection is reported there too.
        if self.selected_view() is not None:
            self._on_selection_moved()

    def _on_table_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._on_selection_moved()

    def _on_selection_moved(self) -> None:
        """Show the selected visitor now, unless the pane already shows exactly them."""
        view = self.selected_view()
        if view is self._detailed and view is not None:
            return
        if view is None or self._detailed is None or view.id != self._detailed.id:
            self.banner.clear_for(Cause.SELECTION)  # a confirmation was about the visitor selected before
        self._update_details()

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_selected()

    def open_selected(self) -> None:
        """The selected appointment in full (what the day board opens): details, reschedule, cancel."""
        view = self.selected_view()
        if view is None:
            return
        from frontcounter.ui.dialogs.appointment import AppointmentDialog

        dialog = AppointmentDialog(self.state, view, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.appointment_dialog = dialog

    def row_menu(self) -> QMenu:
        """The row's actions (the same QActions as the details pane, the Actions menu and the keys)."""
        menu = QMenu(self)
        menu.setObjectName("todayRowMenu")
        menu.addAction(self.open_action)
        menu.addSeparator()
        for action in (self.check_in_action, self.no_show_action, self.left_unseen_action, self.slip_action,
                       self.preview_slip_action):
            menu.addAction(action)
        if self.state.can(Action.BOOK):
            menu.addSeparator()
            menu.addAction(self.walk_in_action)
        return menu

    def _on_table_context_menu_requested(self, point: QPoint) -> None:
        index = self.table.indexAt(point)
        if index.isValid() and not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            self._select_proxy_row(index.row())  # the menu acts on the row under the pointer
        if self.selected_view() is None:
            return
        self._update_actions()
        menu = self.row_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.row_menu_shown = menu
        menu.popup(self.table.viewport().mapToGlobal(point))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        # Another theme: the row colours were picked for the old palette (high contrast → calm
        # left yellow text on white).
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self.model.refresh_palette()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        # Enter that no child took (the focus on a details button the clerk just clicked, say
        # No-show): the pending confirmation's default, as in a dialog.
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
                and self.banner.confirm_default()):
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # Enter in the list checks the selected visitor in. (↓/↑ in the window's search box reach
        # ``move_selection`` through the main window: SearchBox.navigated.)
        if (watched is self.table and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)):
            if not self.banner.confirm_default():  # a pending confirmation takes Enter first
                self.check_in_selected()
            return True
        return super().eventFilter(watched, event)
