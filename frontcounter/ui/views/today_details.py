"""Today's right-hand pane: the selected visitor's details and the counter's actions, and the banner
above the list (a message with what to do, and up to two buttons that do it)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import Status
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import local
from frontcounter.ui.app_state import mask_name
from frontcounter.ui.kit.appointment_model import AppointmentTableModel
from frontcounter.ui.kit.labels import need_badges


def _set_property(widget: QWidget, name: str, value: object) -> None:
    """A stylesheet hook, re-polished so the new value shows (theme.set_property without the import)."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def mask_phone(phone: str | None, masked: bool) -> str:
    if not phone:
        return ""
    if not masked:
        return phone
    digits = [c for c in phone if c.isdigit()]
    return "•••• " + "".join(digits[-3:])


class Banner(QFrame):
    """A one-line message with what to do, and up to two buttons that do it (keyboard: Alt+letter)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("todayBanner")
        self.glyph = QLabel()
        self.text = QLabel()
        self.text.setObjectName("bannerText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.buttons: list[QPushButton] = []
        self.close_button = QPushButton(self.tr("Dismiss"))
        self.close_button.setToolTip(self.tr("Hide this message"))
        self.close_button.setAccessibleName(self.tr("Dismiss message"))
        self.close_button.clicked.connect(self.hide)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.addWidget(self.glyph, 0, Qt.AlignmentFlag.AlignTop)
        self._layout.addWidget(self.text, 1)
        self._layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setAccessibleName(self.tr("Message"))
        self.kind = ""
        self.hide()

    def show_message(self, kind: str, text: str,
                     actions: list[tuple[str, Callable[[], None]]] | None = None) -> None:
        """``kind`` is info, success, warning or error; the glyph says which without colour."""
        for button in self.buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        self.kind = kind
        glyph = {"success": "✓", "info": "ℹ", "warning": "⚠", "error": "✗"}.get(kind, "")
        self.glyph.setText(glyph)
        self.text.setText(text)
        self.setAccessibleDescription(text)
        _set_property(self, "banner", "info" if kind == "success" else kind)
        for label, callback in actions or []:
            button = QPushButton(label)
            button.setAutoDefault(False)
            button.clicked.connect(callback)
            self._layout.insertWidget(self._layout.count() - 1, button, 0, Qt.AlignmentFlag.AlignTop)
            self.buttons.append(button)
        self.show()

    def button(self, text_contains: str) -> QPushButton:
        return next(b for b in self.buttons if text_contains in b.text().replace("&", ""))


class DetailsPane(QFrame):
    """The selected visitor: who, when, where, with whom, what they need; and the actions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPane")
        self.setMinimumWidth(300)
        self.setMaximumWidth(420)
        self.name = QLabel()
        self.name.setObjectName("detailsName")
        self.name.setWordWrap(True)
        big = self.name.font()
        big.setPointSizeF(big.pointSizeF() * 1.45)
        big.setBold(True)
        self.name.setFont(big)
        self.status = QLabel()
        self.status.setObjectName("detailsStatus")
        self.risk = QLabel()
        self.risk.setObjectName("detailsRisk")
        _set_property(self.risk, "status", "at_risk")
        self.when = QLabel()
        self.when.setObjectName("detailsWhen")
        self.when.setWordWrap(True)
        self.hint = QLabel(self.tr("Select a visitor: scan their slip, type a name, phone number or "
                                   "reference, or use ↓ and ↑. Enter checks them in."))
        self.hint.setWordWrap(True)
        self.hint.setObjectName("detailsHint")

        self.facts = QFormLayout()
        self.facts.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.facts.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.fields: dict[str, QLabel] = {}
        self._rows_shown: list[bool] = []
        for key, label in (("room", self.tr("Room")), ("officer", self.tr("Officer")),
                           ("reason", self.tr("Reason")), ("crime", self.tr("Crime ref")),
                           ("phone", self.tr("Phone")), ("needs", self.tr("Needs")),
                           ("with", self.tr("With")), ("contact", self.tr("Contact")),
                           ("arrived", self.tr("Arrived"))):
            value = QLabel()
            value.setWordWrap(True)
            value.setObjectName(f"details_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addRow(label, value)
            self.fields[key] = value
            self._rows_shown.append(True)

        self.check_in_button = QPushButton(self.tr("Check in ⏎"))
        _set_property(self.check_in_button, "primary", True)
        self.no_show_button = QPushButton(self.tr("No-show"))
        self.left_unseen_button = QPushButton(self.tr("Left unseen"))
        self.slip_button = QPushButton(self.tr("Slip"))
        self.walk_in_button = QPushButton(self.tr("Walk-in…"))
        for button in (self.check_in_button, self.no_show_button, self.left_unseen_button, self.slip_button,
                       self.walk_in_button):
            button.setAutoDefault(False)
            button.setMinimumHeight(34)
        actions = QHBoxLayout()
        actions.addWidget(self.check_in_button, 2)
        actions.addWidget(self.no_show_button, 1)
        more = QHBoxLayout()
        more.addWidget(self.left_unseen_button)
        more.addWidget(self.slip_button)

        top = QHBoxLayout()
        top.addWidget(self.status)
        top.addWidget(self.risk)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addWidget(self.name)
        layout.addLayout(top)
        layout.addWidget(self.when)
        layout.addWidget(self.hint)
        layout.addLayout(self.facts)
        layout.addStretch(1)
        layout.addLayout(actions)
        layout.addLayout(more)
        separator = QFrame()
        separator.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(separator)
        layout.addWidget(self.walk_in_button)
        self.show_view(None, None)

    def show_view(self, view: AppointmentView | None, model: AppointmentTableModel | None) -> None:
        has = view is not None and model is not None
        for widget in (self.status, self.when):
            widget.setVisible(has)
        self.hint.setVisible(not has)
        if view is None or model is None:
            self.name.setText(self.tr("No visitor selected"))
            self.risk.hide()
            self._show_rows([False] * len(self.fields))
            return
        masked = model.masked
        self.name.setText(model.visitor_label(view))
        row = model.row_of(view.id)
        self.status.setText(model.status_text(row) if row is not None else view.status)
        _set_property(self.status, "status", view.status)
        self.risk.setVisible(view.at_risk and view.status == Status.BOOKED)
        self.risk.setText(self.tr("⚠ At risk"))
        self.risk.setToolTip(view.at_risk_reason or "")
        self.when.setText(f"{local(view.start):%H:%M}–{local(view.end):%H:%M} · {view.reference}")
        room_features = [t for on, t in ((view.room_step_free, self.tr("step-free")),
                                         (view.room_hearing_loop, self.tr("hearing loop"))) if on]
        room = view.room_name + (f" ({', '.join(room_features)})" if room_features else "")
        waited = model.waited_minutes(view)
        arrived = ""
        if view.arrived_at is not None:
            arrived = self.tr("{0} by {1}").format(f"{local(view.arrived_at):%H:%M}", view.checked_in_by or "")
            if view.status == Status.ARRIVED and waited is not None:
                arrived += self.tr(" · waiting {0} min").format(waited)
        values = {
            "room": room,
            "officer": view.officer_label if view.officer_id else self.tr("Unassigned — tell the supervisor"),
            "reason": model.reason_text(view),
            "crime": view.crime_reference or "",
            "phone": mask_phone(view.visitor_phone, masked),
            "needs": " · ".join(need_badges(view) + ([view.access_needs] if view.access_needs and not masked else [])),
            "with": mask_name(view.person_of_choice, masked) if view.person_of_choice else "",
            "contact": "" if masked else (view.safe_contact or ""),
            "arrived": arrived,
        }
        for key, label in self.fields.items():
            label.setText(values[key])
        self._show_rows([bool(values[key]) for key in self.fields])

    def _show_rows(self, visible: list[bool]) -> None:
        """Show the facts that have a value; only rows that change are touched (each relayouts)."""
        for row, (now, wanted) in enumerate(zip(self._rows_shown, visible, strict=True)):
            if now != wanted:
                self.facts.setRowVisible(row, wanted)
        self._rows_shown = visible
