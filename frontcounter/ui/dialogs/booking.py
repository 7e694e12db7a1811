"""Book an appointment: the visitor's details, the slot finder's proposals, one confirmation.

The FCR books at any station (nearest first); counter staff and supervisors at their own. The
finder proposes only slots that meet the visitor's needs (room features, an officer on duty who
speaks the language and has the specialism, inside the opening sessions); ``book`` checks it all
again and the database refuses any double booking. A station's cache holds only its own duties and
bookings, so an FCR searching other stations from it sees them as last synced (the form says so);
the FCR desk (ui/views/fcr_desk.py) searches the centre itself and adds the video meeting link.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import Channel, Reason, Role
from frontcounter.services.core.appointments import AppointmentView
from frontcounter.services.core.clock import local
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.core.permissions import FORCE_WIDE_ROLES, Action, allowed
from frontcounter.services.demo.seed import LANGUAGES, SPECIALISMS
from frontcounter.services.scheduling import slots as booking
from frontcounter.services.scheduling.booking import BookingRequest, book, validate
from frontcounter.services.scheduling.changes import REASON_SPECIALISM
from frontcounter.services.scheduling.slots import Slot, SlotNeeds
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.booking_fields import CHANNEL_LABELS, DURATIONS, parse_dob
from frontcounter.ui.kit.banner import Banner, error_text
from frontcounter.ui.kit.contact_consent import ContactConsentBox
from frontcounter.ui.kit.form_fields import fixed_height, guard_wheel
from frontcounter.ui.kit.labels import reason_label
from frontcounter.ui.kit.mnemonics import assign_mnemonics
from frontcounter.ui.kit.screen_fit import fit_to_screen
from frontcounter.ui.kit.slots import SlotList, slot_text


class BookingForm(QWidget):
    """The whole booking: details, needs, the finder and the confirmation."""

    booked = Signal(object)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bookingForm")
        self.state = state
        self.last_booked: AppointmentView | None = None
        self._pending: Slot | None = None
        actor = state.actor
        force_wide = actor.role in FORCE_WIDE_ROLES

        # -- where ------------------------------------------------------------------------------
        self.station = QComboBox()
        self.station.setAccessibleName(self.tr("Station"))
        self.all_stations = QCheckBox(self.tr("Search &all stations, nearest first"))
        self.all_stations.setVisible(force_wide)
        self._fill_stations(force_wide)

        # -- the visitor ----------------------------------------------------------------------------
        self.name = QLineEdit()
        self.preferred = QLineEdit()
        self.dob = QLineEdit()
        self.dob.setPlaceholderText(self.tr("DD/MM/YYYY (optional)"))
        self.phone = QLineEdit()
        self.email = QLineEdit()
        self.address = QPlainTextEdit()
        fixed_height(self.address, 52)
        self.address.setTabChangesFocus(True)
        self.reason = QComboBox()
        for r in Reason:
            self.reason.addItem(reason_label(r.value), r.value)
        self.channel = QComboBox()
        for value, text in CHANNEL_LABELS.items():
            self.channel.addItem(self.tr(text), value)
        default_channel = Channel.WALK_IN.value if actor.role == Role.COUNTER else Channel.CALL_101.value
        self.channel.setCurrentIndex(self.channel.findData(default_channel))
        self.crime_ref = QLineEdit()
        self.crime_ref.setPlaceholderText(self.tr("e.g. 41/12345/26"))

        # -- needs ----------------------------------------------------------------------------------
        self.step_free = QCheckBox(self.tr("Step-free room"))
        self.hearing_loop = QCheckBox(self.tr("Hearing loop"))
        self.video_link = QCheckBox(self.tr("Video link"))
        self.child_friendly = QCheckBox(self.tr("Child-friendly room"))
        self.preferred_language = self._language_combo()
        self.interpreter = self._language_combo()
        self.interpreter.setToolTip(self.tr("The officer must speak it (or an interpreter is needed)"))
        self.specialism = QComboBox()
        self.specialism.addItem(self.tr("Any"), None)
        for s in SPECIALISMS:
            self.specialism.addItem(s, s)
        self.duration = QComboBox()
        for minutes in DURATIONS:
            label = self.tr("{0} minutes").format(minutes) if minutes < 120 or minutes % 60 else \
                self.tr("{0} hours").format(minutes // 60)
            self.duration.addItem(label, minutes)
        self.duration.setCurrentIndex(self.duration.findData(60))
        self.access = QLineEdit()
        self.safe_contact = QLineEdit()
        self.safe_contact.setPlaceholderText(self.tr("e.g. No voicemail; text only before 18:00"))
        self.person_of_choice = QLineEdit()
        self.flags = QLineEdit()
        self.flags.setPlaceholderText(self.tr("separated by semicolons, e.g. repeat victim; mental health"))
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        fixed_height(self.notes, 90)  # the theme's editor min-height would squeeze it at 720 px

        for widget, name in (
            (self.name, "Visitor's name"), (self.preferred, "Preferred name"), (self.dob, "Date of birth"),
            (self.phone, "Phone"), (self.email, "Email"), (self.address, "Address"), (self.reason, "Reason"),
            (self.channel, "Channel"), (self.crime_ref, "Crime reference"),
            (self.preferred_language, "Preferred language"), (self.interpreter, "Interpreter language"),
            (self.specialism, "Officer specialism"), (self.duration, "Duration"), (self.access, "Access needs"),
            (self.safe_contact, "Safe-contact instructions"), (self.person_of_choice, "Person of choice"),
            (self.flags, "Vulnerability flags"), (self.notes, "Confidential briefing notes"),
        ):
            widget.setAccessibleName(self.tr(name))

        # -- the finder and the confirmation --------------------------------------------------------
        self.from_day = QDateEdit()
        self.from_day.setCalendarPopup(True)
        self.from_day.setDisplayFormat("ddd dd MMM yyyy")
        self.from_day.setAccessibleName(self.tr("From day"))
        self.days = QSpinBox()
        self.days.setRange(1, 28)
        self.days.setValue(14)
        self.days.setSuffix(self.tr(" days"))
        self.days.setAccessibleName(self.tr("Days to search"))
        self.find_button = QPushButton(self.tr("&Find slots"))
        self.slots = SlotList()
        self.book_button = QPushButton(self.tr("&Book the selected slot…"))
        self.book_button.setProperty("primary", True)
        self.banner = Banner(self)
        self.authority_note = QLabel(self.tr(
            "This workstation holds only {0}'s duties and bookings: other stations' slots are shown as "
            "last synced, and the centre has the final say.").format(state.ctx.station_code))
        self.authority_note.setWordWrap(True)
        self.authority_note.setVisible(force_wide and state.ctx.mode == "station")

        self.confirm_frame = QFrame()
        self.confirm_frame.setProperty("banner", "info")
        self.confirm_label = QLabel()
        self.confirm_label.setWordWrap(True)
        self.confirm_label.setObjectName("confirmLabel")
        self.confirm_button = QPushButton(self.tr("&Confirm booking"))
        self.confirm_button.setProperty("primary", True)
        self.back_button = QPushButton(self.tr("Bac&k"))
        confirm_layout = QHBoxLayout(self.confirm_frame)
        confirm_layout.addWidget(self.confirm_label, 1)
        confirm_layout.addWidget(self.confirm_button)
        confirm_layout.addWidget(self.back_button)
        self.confirm_frame.hide()

        self.contact = ContactConsentBox(self.phone, self.email)
        self.result_frame = QFrame()
        self.result_frame.setProperty("banner", "info")
        self.result_label = QLabel()
        self.result_label.setObjectName("bookedReference")
        self.result_label.setProperty("heading", True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.slip_button = QPushButton(self.tr("Print &slip…"))
        self.slip_button.setToolTip(self.tr("The print dialog, then the printer: one step"))
        self.slip_button.setVisible(allowed(actor, Action.PRINT_SLIP))
        self.preview_button = QPushButton(self.tr("Pre&view slip"))
        self.preview_button.setVisible(allowed(actor, Action.PRINT_SLIP))
        self.new_button = QPushButton(self.tr("&New booking"))
        result_layout = QHBoxLayout(self.result_frame)
        result_layout.addWidget(self.result_label, 1)
        result_layout.addWidget(self.slip_button)
        result_layout.addWidget(self.preview_button)
        result_layout.addWidget(self.new_button)
        self.result_frame.hide()

        # -- layout ---------------------------------------------------------------------------------
        visitor = QGroupBox(self.tr("Visitor and case"))
        vf = QFormLayout(visitor)
        vf.addRow(self.tr("Station:"), self.station)
        vf.addRow("", self.all_stations)
        vf.addRow(self.tr("&Name *:"), self.name)
        vf.addRow(self.tr("Pr&eferred name:"), self.preferred)
        vf.addRow(self.tr("Date of &birth:"), self.dob)
        vf.addRow(self.tr("P&hone:"), self.phone)
        vf.addRow(self.tr("E&mail:"), self.email)
        vf.addRow(self.tr("Addr&ess:"), self.address)
        vf.addRow(self.tr("&Reason:"), self.reason)
        vf.addRow(self.tr("Channe&l:"), self.channel)
        vf.addRow(self.tr("Crime &ref:"), self.crime_ref)
        needs = QGroupBox(self.tr("Needs and safety"))
        nf = QFormLayout(needs)
        boxes = QGridLayout()
        boxes.addWidget(self.step_free, 0, 0)
        boxes.addWidget(self.hearing_loop, 0, 1)
        boxes.addWidget(self.video_link, 1, 0)
        boxes.addWidget(self.child_friendly, 1, 1)
        nf.addRow(self.tr("Room:"), boxes)
        nf.addRow(self.tr("&Interpreter:"), self.interpreter)
        nf.addRow(self.tr("Preferred lan&guage:"), self.preferred_language)
        nf.addRow(self.tr("Officer &trained in:"), self.specialism)
        nf.addRow(self.tr("&Duration:"), self.duration)
        nf.addRow(self.tr("Access needs:"), self.access)
        nf.addRow(self.tr("Safe &contact:"), self.safe_contact)
        nf.addRow(self.tr("Person of &choice:"), self.person_of_choice)
        nf.addRow(self.tr("Vulnerability:"), self.flags)
        notes_label = QLabel(self.tr("Confidential &notes for the officer (never on the slip):"))
        notes_label.setBuddy(self.notes)
        nf.addRow(notes_label)
        nf.addRow(self.notes)
        columns = QHBoxLayout()
        columns.addWidget(visitor, 1)
        columns.addWidget(needs, 1)

        finder = QGroupBox(self.tr("Free slots"))
        ff = QVBoxLayout(finder)
        search = QHBoxLayout()
        search.addWidget(QLabel(self.tr("From")))
        search.addWidget(self.from_day)
        search.addWidget(self.days)
        search.addWidget(self.find_button)
        search.addStretch(1)
        search.addWidget(self.book_button)
        ff.addLayout(search)
        ff.addWidget(self.authority_note)
        ff.addWidget(self.slots, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(self.contact)
        layout.addWidget(finder, 1)
        layout.addWidget(self.banner)
        layout.addWidget(self.confirm_frame)
        layout.addWidget(self.result_frame)

        self.reason.currentIndexChanged.connect(self._on_reason_current_index_changed)
        self.find_button.clicked.connect(lambda: self.find_slots())
        self.book_button.clicked.connect(self._on_book_button_clicked)
        self.slots.slot_taken.connect(lambda _s: self._on_book_button_clicked())
        self.confirm_button.clicked.connect(self._on_confirm_button_clicked)
        self.back_button.clicked.connect(self._on_back_button_clicked)
        self.slip_button.clicked.connect(self._on_slip_button_clicked)
        self.preview_button.clicked.connect(self._on_preview_button_clicked)
        self.new_button.clicked.connect(self.reset)
        self._wheel_guard = guard_wheel(self)  # scrolling the form changes none of its fields
        self.reset()

    # -- building helpers ----------------------------------------------------------------------------

    def _language_combo(self) -> QComboBox:
        combo = QComboBox()
        combo.setEditable(True)
        combo.addItem("")
        for language in sorted(LANGUAGES):
            combo.addItem(language)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        return combo

    def _fill_stations(self, force_wide: bool) -> None:
        from frontcounter.services.scheduling.roster import list_stations

        own = self.state.actor.station_code or self.state.ctx.station_code
        for code, name in list_stations(self.state.ctx, self.state.actor):
            if force_wide or code == own:
                self.station.addItem(f"{name} ({code})", code)
        index = self.station.findData(own)
        self.station.setCurrentIndex(max(0, index))
        self.station.setEnabled(force_wide)

    # -- state --------------------------------------------------------------------------------------

    def reset(self) -> None:
        """A fresh booking: empty details, today's date, no proposals."""
        for edit in (self.name, self.preferred, self.dob, self.phone, self.email, self.crime_ref, self.access,
                     self.safe_contact, self.person_of_choice, self.flags):
            edit.clear()
        for text in (self.address, self.notes, self.contact):
            text.clear()
        for box in (self.step_free, self.hearing_loop, self.video_link, self.child_friendly):
            box.setChecked(False)
        self.interpreter.setCurrentText("")
        self.preferred_language.setCurrentText("")
        self.reason.setCurrentIndex(0)
        self.specialism.setCurrentIndex(0)
        today = local(self.state.ctx.clock.now()).date()
        self.from_day.setDate(QDate(today.year, today.month, today.day))
        self.slots.set_slots([])
        self.banner.clear()
        self.confirm_frame.hide()
        self.result_frame.hide()
        self._pending = None
        self.name.setFocus()

    def needs(self) -> SlotNeeds:
        return SlotNeeds(
            step_free=self.step_free.isChecked(), hearing_loop=self.hearing_loop.isChecked(),
            video_link=self.video_link.isChecked(), child_friendly=self.child_friendly.isChecked(),
            language=self.interpreter.currentText().strip() or None,
            specialism=self.specialism.currentData(), duration_minutes=int(self.duration.currentData()),
            video_call=self.channel.currentData() == Channel.VIDEO.value)

    def station_codes(self) -> list[str]:
        chosen = self.station.currentData()
        if not self.all_stations.isChecked():
            return [chosen]
        return [chosen] + [self.station.itemData(i) for i in range(self.station.count())
                           if self.station.itemData(i) != chosen]

    def request_for(self, slot: Slot) -> BookingRequest:
        """What was typed, for ``slot``; tidied and checked by the service's own validation."""
        flags = tuple(f.strip() for f in self.flags.text().split(";") if f.strip())
        request = BookingRequest.for_slot(
            slot, self.name.text(),
            reason=self.reason.currentData(), channel=self.channel.currentData(),
            crime_reference=self.crime_ref.text() or None, visitor_preferred_name=self.preferred.text() or None,
            visitor_dob=parse_dob(self.dob.text()), visitor_phone=self.phone.text() or None,
            visitor_email=self.email.text() or None, visitor_address=self.address.toPlainText() or None,
            safe_contact=self.safe_contact.text() or None,
            preferred_language=self.preferred_language.currentText() or None,
            interpreter_language=self.interpreter.currentText() or None,
            needs_step_free=self.step_free.isChecked(), needs_hearing_loop=self.hearing_loop.isChecked(),
            access_needs=self.access.text() or None, person_of_choice=self.person_of_choice.text() or None,
            vulnerability_flags=flags, briefing_notes=self.notes.toPlainText() or None,
            meeting_link=self.meeting_link_text(), **self.contact.values())
        return validate(request)

    def meeting_link_text(self) -> str | None:  # the FCR desk's form has the field
        return None

    # -- slots ----------------------------------------------------------------------------------------

    def _on_reason_current_index_changed(self, _index: int) -> None:
        wanted = REASON_SPECIALISM.get(self.reason.currentData())
        if wanted in ("domestic abuse", "sexual offences (SOIT)"):
            self.specialism.setCurrentIndex(max(0, self.specialism.findData(wanted)))
        elif self.specialism.currentData() in ("domestic abuse", "sexual offences (SOIT)"):
            self.specialism.setCurrentIndex(0)

    def find_slots(self, *, keep_message: bool = False) -> None:
        ctx, actor = self.state.ctx, self.state.actor
        qd = self.from_day.date()
        first = date(qd.year(), qd.month(), qd.day())
        needs, codes, days = self.needs(), self.station_codes(), self.days.value()
        if not keep_message:
            self.banner.clear()
        self.confirm_frame.hide()
        self.find_button.setEnabled(False)
        self.state.tasks.run(
            lambda _p: booking.find_slots(ctx, actor, needs, station_codes=codes, start_day=first, days=days,
                                          limit=40),
            on_done=self._on_found, on_error=self._on_failed)

    def _on_found(self, slots: list[Slot]) -> None:
        self.find_button.setEnabled(True)
        self.slots.set_slots(slots)
        if not slots:
            wanted = self.needs().describe()
            self.banner.show_message(
                self.tr("No free slot{0} in those days. Try later days{1}.").format(
                    self.tr(" with {0}").format(wanted) if wanted else "",
                    self.tr(" or all stations") if self.all_stations.isVisible() else ""), "warning")
        else:
            self.slots.setFocus()

    def _on_failed(self, exc: BaseException) -> None:
        self.find_button.setEnabled(True)
        self.book_button.setEnabled(True)
        self.confirm_button.setEnabled(True)
        self.banner.show_message(self.error_message(exc), "error")

    def error_message(self, exc: BaseException) -> str:  # the FCR desk's says more of a lost centre
        return error_text(exc, self.tr("That did not work; please try again."))

    # -- booking ---------------------------------------------------------------------------------------

    def _on_book_button_clicked(self) -> None:
        slot = self.slots.current_slot()
        if slot is None:
            self.banner.show_message(self.tr("Find slots and choose one first."), "warning")
            return
        try:
            request = self.request_for(slot)
        except ValidationError as exc:
            self.banner.show_message(exc.message, "error")
            return
        self.banner.clear()
        self._pending = slot
        self.confirm_label.setText(self.tr("Book {0} on {1}?").format(
            request.visitor_name, slot_text(slot, with_station=True)))
        self.confirm_frame.show()
        self.confirm_button.setFocus()

    def _on_back_button_clicked(self) -> None:
        self._pending = None
        self.confirm_frame.hide()
        self.slots.setFocus()

    def _on_confirm_button_clicked(self) -> None:
        slot = self._pending
        if slot is None:
            return
        try:
            request = self.request_for(slot)
        except ValidationError as exc:
            self.banner.show_message(exc.message, "error")
            return
        ctx, actor = self.state.ctx, self.state.actor
        self.confirm_button.setEnabled(False)
        self.state.tasks.run(lambda _p: book(ctx, actor, request), on_done=self._on_booked,
                             on_error=self._on_book_failed)

    def _on_book_failed(self, exc: BaseException) -> None:
        self.confirm_frame.hide()
        self._pending = None
        self._on_failed(exc)
        # A slot taken meanwhile: say so, and show what is free now.
        self.find_slots(keep_message=True)

    def _on_booked(self, view: AppointmentView) -> None:
        self.confirm_button.setEnabled(True)
        self.confirm_frame.hide()
        self._pending = None
        self.last_booked = view
        self.result_label.setText(self.tr("Booked: {0} — {1}, {2}").format(
            view.reference, f"{local(view.start):%a %d %b %H:%M}", view.station_name))
        self.result_label.setAccessibleName(self.tr("Booked reference {0}").format(view.reference))
        self.result_frame.show()
        self.slots.set_slots([])
        self.new_button.setFocus()
        self.state.message.emit(self.tr("Booked {0}.").format(view.reference), "info")
        self.booked.emit(view)

    def _on_slip_button_clicked(self) -> None:
        """After booking: the slip through the print dialog, in one step."""
        if self.last_booked is None:
            return
        from frontcounter.ui.kit.slip_printing import print_slip

        print_slip(self.state, self.last_booked.reference, self, on_error=lambda exc, _ref: self._on_failed(exc))

    def _on_preview_button_clicked(self) -> None:
        if self.last_booked is not None:
            from frontcounter.ui.kit.slip import show_slip

            show_slip(self.state, self.last_booked.reference, self, on_error=lambda exc, _ref: self._on_failed(exc))


class BookingDialog(QDialog):
    """The same form in a window of its own (e.g. opened from another view)."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Book an appointment"))
        fit_to_screen(self, QSize(1100, 820))  # at most the screen's available area
        self.form = BookingForm(state)
        scroll = QScrollArea()  # a 720 px screen is shorter than the form: it scrolls, as in the view
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        assign_mnemonics(self, ())
