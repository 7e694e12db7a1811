"""Free slots as the booking and reschedule dialogs list them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from frontcounter.services.core.clock import hhmm, local
from frontcounter.services.scheduling.slots import Slot


def slot_text(slot: Slot, *, with_station: bool) -> str:
    languages = [lang for lang in slot.officer_languages if lang.casefold() != "english"]
    spoken = f" ({', '.join(languages)})" if languages else ""
    text = f"{local(slot.start):%a %d %b}  {hhmm(slot.start)}–{hhmm(slot.end)}"
    if with_station:
        distance = f", {slot.distance_km:.0f} km" if slot.distance_km else ""
        text += f"  ·  {slot.station_name}{distance}"
    return f"{text}  ·  {slot.room_name}  ·  {slot.officer_label}{spoken}"


class SlotList(QListWidget):
    """The slot finder's proposals, earliest (and nearest) first; Enter or double-click takes one."""

    slot_taken = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Free slots"))
        self.setAlternatingRowColors(True)
        self.setMinimumHeight(120)
        self._slots: list[Slot] = []
        self.itemActivated.connect(lambda item: self.slot_taken.emit(self._slots[self.row(item)]))

    def set_slots(self, slots: list[Slot]) -> None:
        self.clear()
        self._slots = list(slots)
        with_station = len({s.station_code for s in slots}) > 1
        for slot in slots:
            item = QListWidgetItem(slot_text(slot, with_station=with_station))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, slot_text(slot, with_station=True))
            self.addItem(item)
        if slots:
            self.setCurrentRow(0)

    def slots(self) -> list[Slot]:
        return list(self._slots)

    def current_slot(self) -> Slot | None:
        row = self.currentRow()
        return self._slots[row] if 0 <= row < len(self._slots) else None
