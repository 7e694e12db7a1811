"""Today's right-hand pane: the selected visitor's details and the counter's actions, and the banner
above the list (a message with what to do, and up to two buttons that do it)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import Status
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import hhmm, local
from frontcounter.ui.app_state import mask_name
from frontcounter.ui.kit.appointment_model import AppointmentTableModel, is_at_risk
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
        self.slip_button = QPushButton(self.tr("Print slip"))
        self.preview_slip_button = QPushButton(self.tr("Preview"))
        self.walk_in_button = QPushButton(self.tr("Walk-in…"))
        for button in (self.check_in_button, self.no_show_button, self.left_unseen_button, self.slip_button,
                       self.preview_slip_button, self.walk_in_button):
            button.setAutoDefault(False)
            button.setMinimumHeight(34)
        actions = QHBoxLayout()
        actions.addWidget(self.check_in_button, 2)
        actions.addWidget(self.no_show_button, 1)
        # Two buttons a row, so each keeps its whole label in the pane's narrowest width.
        more = QHBoxLayout()
        more.addWidget(self.left_unseen_button)
        printing = QHBoxLayout()
        printing.addWidget(self.slip_button)
        printing.addWidget(self.preview_slip_button)
        #: Taken in and Seen (views/visit_actions.py), put here by the view; Feedback joins ``more``.
        self.visit_row = QHBoxLayout()
        self.more = more

        top = QHBoxLayout()
        top.addWidget(self.status)
        top.addWidget(self.risk)
        top.addStretch(1)
        # Who and what scroll when a short screen (1280x720) cannot show every fact above the
        # buttons, rather than the last lines being cut off; the buttons always stay in view.
        about = QWidget()
        about.setObjectName("detailsAbout")
        about_layout = QVBoxLayout(about)
        about_layout.setContentsMargins(0, 0, 0, 0)
        about_layout.setSpacing(8)
        about_layout.addWidget(self.name)
        about_layout.addLayout(top)
        about_layout.addWidget(self.when)
        about_layout.addWidget(self.hint)
        about_layout.addLayout(self.facts)
        about_layout.addStretch(1)
        self.scroller = QScrollArea()
        self.scroller.setObjectName("detailsScroller")
        self.scroller.setWidget(about)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroller.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the buttons, not the frame
        self.scroller.setAccessibleName(self.tr("Visitor details"))
        self.scroller.viewport().setAutoFillBackground(False)
        about.setAutoFillBackground(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addWidget(self.scroller, 1)
        layout.addLayout(actions)
        layout.addLayout(self.visit_row)
        layout.addLayout(more)
        layout.addLayout(printing)
        #: The rule above Walk-in…, hidden with it for a role that does not book.
        self.walk_in_separator = separator = QFrame()
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
        self.risk.setVisible(is_at_risk(view))
        self.risk.setText(self.tr("no officer — tell the supervisor"))
        self.risk.setToolTip(view.at_risk_reason or "")
        self.when.setText(f"{hhmm(view.start)}–{hhmm(view.end)} · {view.reference}")
        room_features = [t for on, t in ((view.room_step_free, self.tr("step-free")),
                                         (view.room_hearing_loop, self.tr("hearing loop"))) if on]
        room = view.room_name + (f" ({', '.join(room_features)})" if room_features else "")
        waited = model.waited_minutes(view)
        arrived = ""
        if view.arrived_at is not None:
            arrived = self.tr("{0} by {1}").format(f"{local(view.arrived_at):%H:%M}", view.checked_in_by or "")
            if view.status == Status.ARRIVED and waited is not None:
                arrived += self.tr(" · waiting {0} min").format(waited)
        if view.seen_at is not None:
            arrived += self.tr(" · taken in {0} by {1}").format(f"{local(view.seen_at):%H:%M}", view.seen_by or "")
        if view.completed_at is not None:
            arrived += self.tr(" · seen, left {0}").format(f"{local(view.completed_at):%H:%M}")
        if view.left_unseen_at is not None:
            arrived += self.tr(" · left unseen {0}").format(f"{local(view.left_unseen_at):%H:%M}")
        values = {
            "room": room,
            "officer": (self.tr("Unassigned — tell the supervisor") if not view.officer_id
                        else self.tr("{0} (pulled away)").format(view.officer_label) if is_at_risk(view)
                        else view.officer_label),
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
