"""The FCR desk: the call taker's booking form, working on the centre directly.

The same booking form as the station's (ui/dialogs/booking.py) with the caller's whereabouts on
top: a Hertfordshire town or postcode, which ranks all 11 stations by distance from the caller
(services/scheduling/places.py, no network geocoding) so the first offers are at the nearest
station with a suitable free slot. The search box opens any station's appointment by reference
(to reschedule or cancel it). With no cache of its own the desk cannot book while the centre is
unreachable: it says so, and keeps everything typed.
"""

from __future__ import annotations

import logging
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCompleter,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from frontcounter.db.models import Channel
from frontcounter.services.core import appointments as appointment_service
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.scheduling import places
from frontcounter.services.scheduling.slots import Slot
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.booking import BookingForm
from frontcounter.ui.kit.banner import Banner, centre_error_text

logger = logging.getLogger(__name__)


def centre_url(state: AppState) -> str:
    """The centre as people and logs see it (no password)."""
    return state.ctx.engine.url.render_as_string(hide_password=True)


class FcrBookingForm(BookingForm):
    """The booking form with the caller's town or postcode: every station, nearest the caller first."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.place = QLineEdit()
        self.nearest = QLabel()
        self.setObjectName("fcrBookingForm")
        self.place.setObjectName("callerPlace")
        self.place.setAccessibleName(self.tr("Caller's town or postcode"))
        self.place.setPlaceholderText(self.tr("e.g. Ware, or SG12 9AB (ranks the stations by distance)"))
        completer = QCompleter(places.towns(), self.place)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        # Inline, not a popup: the call taker types on and Tabs away with the town completed.
        completer.setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
        self.place.setCompleter(completer)
        self.nearest.setObjectName("nearestStations")
        self.nearest.setWordWrap(True)
        self.nearest.setAccessibleName(self.tr("Stations nearest the caller"))
        form = self.station.parentWidget().layout()
        assert isinstance(form, QFormLayout)
        label = QLabel(self.tr("Caller's &town or postcode:"))
        label.setBuddy(self.place)
        form.insertRow(0, label, self.place)
        # A video appointment: the link the visitor joins by, typed from the force's video service
        # (nothing is generated or fetched here); it goes on the slip in place of the address.
        self.meeting_link = QLineEdit()
        self.meeting_link.setObjectName("meetingLink")
        self.meeting_link.setAccessibleName(self.tr("Meeting link for the video appointment"))
        self.meeting_link.setPlaceholderText(self.tr("https://… (the video service's joining link)"))
        self.meeting_label = QLabel(self.tr("Meeting lin&k:"))
        self.meeting_label.setBuddy(self.meeting_link)
        # Only here: the station's own form has no link field, so it offers no video channel.
        self.channel.addItem(self.tr("Video appointment"), Channel.VIDEO.value)
        row, _role = form.getWidgetPosition(self.channel)
        form.insertRow(row + 1, self.meeting_label, self.meeting_link)
        QWidget.setTabOrder(self.channel, self.meeting_link)
        self.channel.currentIndexChanged.connect(self._on_channel_changed)
        self._on_channel_changed()
        finder = self.authority_note.parentWidget().layout()
        assert isinstance(finder, QVBoxLayout)
        finder.insertWidget(finder.indexOf(self.authority_note) + 1, self.nearest)
        self.all_stations.setChecked(True)
        QWidget.setTabOrder(self.place, self.name)
        self.place.returnPressed.connect(lambda: self.find_slots())
        self.place.setFocus()

    def reset(self) -> None:
        super().reset()
        if hasattr(self, "meeting_link"):  # (BookingForm.__init__ resets before this class's fields exist)
            self.place.clear()
            self.nearest.clear()
            self.meeting_link.clear()
            self.place.setFocus()

    def _on_channel_changed(self, _index: int = 0) -> None:
        video = self.channel.currentData() == Channel.VIDEO.value
        self.meeting_label.setVisible(video)
        self.meeting_link.setVisible(video)

    def meeting_link_text(self) -> str | None:
        if self.channel.currentData() != Channel.VIDEO.value:
            return None
        return self.meeting_link.text().strip() or None

    def find_slots(self, *, keep_message: bool = False) -> None:
        typed = self.place.text().strip()
        if not typed:
            self.nearest.clear()
            super().find_slots(keep_message=keep_message)
            return
        try:
            place = places.locate(typed)
        except ValidationError as exc:
            self.banner.show_message(exc.message, "error")
            self.place.setFocus()
            return
        ctx, actor = self.state.ctx, self.state.actor
        qd = self.from_day.date()
        first = date(qd.year(), qd.month(), qd.day())
        needs, days = self.needs(), self.days.value()
        codes = None if self.all_stations.isChecked() else [self.station.currentData()]
        if not keep_message:
            self.banner.clear()
        self.confirm_frame.hide()
        self.find_button.setEnabled(False)

        def search(_progress: object) -> tuple[places.Place, list[tuple[str, str, float]], list[Slot]]:
            ranked = places.stations_nearest(ctx, place)
            found = places.find_nearest_slots(ctx, actor, place, needs, station_codes=codes, start_day=first,
                                              days=days, limit=40)
            return place, ranked, found

        self.state.tasks.run(search, on_done=self._on_found_near, on_error=self._on_failed)

    def _on_found_near(self, result: tuple[places.Place, list[tuple[str, str, float]], list[Slot]]) -> None:
        place, ranked, found = result
        nearest = "  ·  ".join(f"{name} {round(km, 1):.0f} km" for _code, name, km in ranked[:5])
        self.nearest.setText(self.tr("Nearest to {0}: {1}").format(place.label, nearest))
        if ranked:
            index = self.station.findData(ranked[0][0])
            if index >= 0 and self.all_stations.isChecked():
                self.station.setCurrentIndex(index)
        self._on_found(found)

    def error_message(self, exc: BaseException) -> str:
        return centre_error_text(exc, centre_url(self.state), self.tr("That did not work; please try again."))


class FcrDeskView(QWidget):
    """The navigation's "FCR desk": the booking form; the search box opens any station's appointment."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fcrDeskView")
        self.state = state
        self.form = FcrBookingForm(state)
        heading = QLabel(self.tr("FCR desk: book for a caller at any station"))
        heading.setProperty("heading", True)
        hint = QLabel(self.tr("Working on the centre directly: bookings reach the stations at their next sync. "
                              "Type a reference in the search box and press Enter to reschedule or cancel it."))
        hint.setWordWrap(True)
        self.banner = Banner(self)
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setAccessibleName(self.tr("Booking form"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addWidget(self.banner)
        layout.addWidget(scroll, 1)

    # -- the main window's search box ----------------------------------------------------------

    def apply_search(self, _text: str) -> None:
        """Typing filters nothing here; Enter opens the reference typed."""

    def submit_search(self, text: str) -> bool:
        if not text.strip():
            return False
        ctx, actor = self.state.ctx, self.state.actor
        self.state.tasks.run(lambda _p: appointment_service.get_by_reference(ctx, actor, text),
                             on_done=self._open, on_error=self._on_failed)
        return True

    def _open(self, view: appointment_service.AppointmentView) -> None:
        from frontcounter.ui.dialogs.appointment import AppointmentDialog

        self.banner.clear()
        dialog = AppointmentDialog(self.state, view, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _on_failed(self, exc: BaseException) -> None:
        self.banner.show_message(centre_error_text(exc, centre_url(self.state),
                                                   self.tr("That did not work; please try again.")), "error")
