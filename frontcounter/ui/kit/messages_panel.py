"""An appointment's messages to the visitor (issue 16): what may be sent, and what was.

The consent line comes from the appointment itself; the history is kept at the centre (stations
never send), so it is read from there in the background, and a centre out of reach is said in
words. Numbers are shown masked, as the audit log keeps them; the screen mask hides the agreed
number in the consent line too.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from frontcounter.services.core.appointments import AppointmentView, ContactConsent
from frontcounter.services.core.clock import local
from frontcounter.services.messages.history import MessageRow
from frontcounter.ui.app_state import AppState
from frontcounter.ui.kit.banner import error_text
from frontcounter.ui.kit.contact_consent import consent_line

CHANNEL_WORDS = {"sms": "text", "email": "email"}


def history_line(row: MessageRow) -> str:
    when = f"{local(row.sent_at or row.queued_at):%a %d %b %H:%M}"
    to = f" by {CHANNEL_WORDS.get(row.channel or '', row.channel)} to {row.masked_to}" if row.channel else ""
    line = f"{row.kind_label}: {row.state_words}{to} · {when}"
    if row.detail and row.state not in ("sent", "delivered"):
        line += f" — {row.detail}"
    return ("⚠ " if row.phone_instead else "") + line


def load_history(state: AppState, view: AppointmentView) -> list[MessageRow] | None:
    """The history from the centre (None when no centre is configured). Runs on a worker thread."""
    from dataclasses import replace

    from frontcounter.services.messages import history

    if state.ctx.mode == "central":
        return history.history(state.ctx, state.actor, view.id)
    url = state.settings.central_url
    if not url:
        return None
    from frontcounter.services.sync.connection import open_central

    # A short wait: the dialog is open, and an offline centre should say so soon.
    engine = open_central(url, connect_args={"connect_timeout": 3} if url.startswith("postgresql") else None)
    try:
        return history.history(replace(state.ctx, engine=engine, mode="central", on_committed=[]), state.actor,
                               view.id)
    finally:
        engine.dispose()


class MessagesPanel(QGroupBox):
    def __init__(self, state: AppState, view: AppointmentView, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Messages to the visitor"), parent)
        self.setObjectName("messagesPanel")
        self.state, self.view = state, view
        self.consent = QLabel()
        self.consent.setObjectName("messagesConsent")
        self.consent.setWordWrap(True)
        self.consent.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.list = QListWidget()
        self.list.setObjectName("messageHistory")
        self.list.setAccessibleName(self.tr("Message history"))
        self.list.setMaximumHeight(150)
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.status = QLabel(self.tr("Asking the centre for the message history…"))
        self.status.setObjectName("messagesStatus")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.consent)
        layout.addWidget(self.list)
        layout.addWidget(self.status)
        self.list.hide()
        self._on_mask_changed(state.masked)
        state.mask_changed.connect(self._on_mask_changed)

    def load(self) -> None:
        state, view = self.state, self.view
        state.tasks.run(lambda _p: load_history(state, view), on_done=self.show_history,
                        on_error=lambda exc: self.status.setText(self.tr(
                            "The message history is kept at the centre, which could not be reached: {0}").format(
                            error_text(exc, self.tr("try again later")))), owner=self)

    def _on_mask_changed(self, masked: bool) -> None:
        c = self.view.contact
        shown = ContactConsent(c.may_text, c.may_email, c.may_phone, c.may_voicemail, c.via_person_only,
                               "the agreed number" if masked and c.text_number else c.text_number,
                               "the agreed address" if masked and c.email_address else c.email_address)
        self.consent.setText(consent_line(shown))

    def show_history(self, rows: list[MessageRow] | None) -> None:
        self.list.clear()
        if rows is None:
            self.status.setText(self.tr("No centre is configured, so no messages are sent from here."))
            return
        for row in rows:
            item = QListWidgetItem(history_line(row))
            item.setToolTip(row.detail or "")
            self.list.addItem(item)
        self.list.setVisible(bool(rows))
        self.status.setText(self.tr("No message yet: the centre queues one when the booking reaches it.")
                            if not rows else self.tr("{0} message(s); ⚠ = the FCR should phone instead").format(
                                len(rows)))

    def rows(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]
