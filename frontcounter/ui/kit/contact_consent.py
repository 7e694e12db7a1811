"""The booking forms' safe-contact section (issue 16): what the visitor agreed to be contacted by.

Structured, not free text: ticks for texts, email, phone calls, voicemail and "only via the
person of choice", the number and address messages may go to, and a line that says at once what
will happen: "Messages by text to 07700 900123" or "No messages will be sent: <reason>". Shared
by the booking form and the walk-in dialog; the appointment's own panel shows the same line.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QGridLayout, QGroupBox, QLabel, QLineEdit, QWidget

from frontcounter.services.core.appointments import ContactConsent
from frontcounter.services.messages.safe_contact import reach_by_phone, why_not


def consent_line(consent: ContactConsent) -> str:
    """What will be sent to the visitor, in one line for the booking screen."""
    reason = why_not(consent)
    if reason is not None:
        phone = reach_by_phone(consent)
        return f"No messages will be sent: {reason}." + (f" If plans change: {phone}." if phone else "")
    ways = []
    if consent.may_text and consent.text_number:
        ways.append(f"by text to {consent.text_number}")
    if consent.may_email and consent.email_address:
        ways.append(f"by email to {consent.email_address}" if not ways else f"(email to {consent.email_address} "
                    "if no text can go)")
    return "Confirmation and reminders " + " ".join(ways) + "."


class ContactConsentBox(QGroupBox):
    """Ticks and the number/address; ``values()`` are the booking request's ``contact_*`` fields."""

    def __init__(self, phone: QLineEdit | None = None, email: QLineEdit | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Safe contact: how we may contact the visitor"), parent)
        self.setObjectName("contactConsent")
        self._phone, self._email = phone, email
        self.may_text = QCheckBox(self.tr("Te&xts OK"))
        self.may_email = QCheckBox(self.tr("Emai&l OK"))
        self.may_phone = QCheckBox(self.tr("Phone &calls OK"))
        self.may_voicemail = QCheckBox(self.tr("&Voicemail OK"))
        self.via_person = QCheckBox(self.tr("Only via the person of &choice"))
        self.text_number = QLineEdit()
        self.text_number.setObjectName("contactTextNumber")
        self.text_number.setAccessibleName(self.tr("Number for texts"))
        self.email_address = QLineEdit()
        self.email_address.setObjectName("contactEmailAddress")
        self.email_address.setAccessibleName(self.tr("Address for email"))
        self.summary = QLabel()
        self.summary.setObjectName("contactSummary")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName(self.tr("What will be sent"))
        grid = QGridLayout(self)
        grid.addWidget(self.may_text, 0, 0)
        grid.addWidget(QLabel(self.tr("to:")), 0, 1)
        grid.addWidget(self.text_number, 0, 2)
        grid.addWidget(self.may_email, 0, 3)
        grid.addWidget(QLabel(self.tr("to:")), 0, 4)
        grid.addWidget(self.email_address, 0, 5)
        grid.addWidget(self.may_phone, 1, 0)
        grid.addWidget(self.may_voicemail, 1, 1, 1, 2)
        grid.addWidget(self.via_person, 1, 3, 1, 3)
        grid.addWidget(self.summary, 2, 0, 1, 6)
        grid.setColumnStretch(2, 1)
        grid.setColumnStretch(5, 1)
        for box in (self.may_text, self.may_email, self.may_phone, self.may_voicemail, self.via_person):
            box.toggled.connect(self._update)
        for edit in (self.text_number, self.email_address, *(e for e in (phone, email) if e is not None)):
            edit.textChanged.connect(self._update)
        self._update()

    def _fallback(self, edit: QLineEdit | None) -> str:
        return edit.text().strip() if edit is not None else ""

    def consent(self) -> ContactConsent:
        text_to = self.text_number.text().strip() or (self._fallback(self._phone) if self.may_text.isChecked() else "")
        mail_to = self.email_address.text().strip() or (self._fallback(self._email) if self.may_email.isChecked()
                                                        else "")
        return ContactConsent(self.may_text.isChecked(), self.may_email.isChecked(), self.may_phone.isChecked(),
                              self.may_voicemail.isChecked(), self.via_person.isChecked(), text_to or None,
                              mail_to or None)

    def values(self) -> dict[str, Any]:
        c = self.consent()
        return {"contact_may_text": c.may_text, "contact_may_email": c.may_email, "contact_may_phone": c.may_phone,
                "contact_may_voicemail": c.may_voicemail, "contact_via_person_only": c.via_person_only,
                "contact_text_number": c.text_number, "contact_email_address": c.email_address}

    def clear(self) -> None:
        for box in (self.may_text, self.may_email, self.may_phone, self.may_voicemail, self.via_person):
            box.setChecked(False)
        self.text_number.clear()
        self.email_address.clear()

    def _update(self) -> None:
        person = self.via_person.isChecked()
        for widget in (self.may_text, self.may_email, self.may_phone, self.may_voicemail):
            widget.setEnabled(not person)
            if person:
                widget.setChecked(False)
        self.may_voicemail.setEnabled(not person and self.may_phone.isChecked())
        self.text_number.setEnabled(self.may_text.isChecked())
        self.email_address.setEnabled(self.may_email.isChecked())
        self.text_number.setPlaceholderText(self._fallback(self._phone) or self.tr("the number they agreed to"))
        self.email_address.setPlaceholderText(self._fallback(self._email) or self.tr("the address they agreed to"))
        self.summary.setText(consent_line(self.consent()))
        self.summary.setProperty("warning", why_not(self.consent()) is not None)
