"""Today's side of the window's one search box: live filtering, and Enter (a scan, a name, a
confirmation). A mixin of TodayView, inherited before QWidget."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex

from frontcounter.services.core.appointments import normalise_reference
from frontcounter.ui.views.today_banner import Cause


class _SearchBox:
    """``apply_search`` and ``submit_search``, called by the main window."""

    proxy: Any
    model: Any
    table: Any
    banner: Any

    def apply_search(self, text: str) -> None:
        """Filter live on every keystroke; a single match is selected, ready for Enter."""
        if text != self.proxy.text:
            self.banner.clear_for(Cause.SEARCH)
            if text:  # the clerk moved on to the next visitor (not the box emptied after a scan)
                self.banner.clear_for(Cause.ACTION, Cause.NOTICE, Cause.SELECTION)
        self.proxy.set_query(text)
        visible = self.proxy.rowCount()
        current = self.selected_view()
        if visible == 1:
            self._select_proxy_row(0)
        elif current is not None and self._proxy_row_of(current) is None:
            self.table.selectionModel().clearSelection()
            self.table.setCurrentIndex(QModelIndex())
        self._update_empty()

    def submit_search(self, text: str) -> bool:
        """Enter in the search box: check in the scanned reference or the selected visitor.

        Returns True when it acted (the main window then clears the box, ready for the next
        scan); False when the clerk still has to choose, and the banner says how.
        """
        text = text.strip()
        if not text and self.banner.confirm_default():
            return True  # Enter confirms what the banner asks (a no-show), not a check-in
        canonical = normalise_reference(text) if text else None
        if canonical is not None:
            row = self.model.row_of_reference(canonical)
            if row is not None:
                self._select_source_row(row)
                self.check_in(canonical)
                return True
            if self.proxy.rowCount() == 0:
                # Not one of today's here: the service says where and when it is booked.
                self.check_in(canonical)
                return True
        selected = self.selected_view()
        if selected is not None and (not text or self._proxy_row_of(selected) is not None):
            self.check_in(selected.reference)
            return True
        if not text:
            return False
        matching = self.proxy.rowCount()
        if matching == 0:
            self.banner.show_message("warning", self.tr(
                "Nobody today matches “{0}”. Check the spelling, or try the phone number, crime reference "
                "or the reference on the slip.").format(text[:60]), cause=Cause.SEARCH, personal=(text[:60],))
        else:
            self.banner.show_message("info", self.tr(
                "{0} visitors match “{1}”: choose one with ↓ and ↑, then press Enter.").format(matching, text[:60]),
                cause=Cause.SEARCH, personal=(text[:60],))
        return False
