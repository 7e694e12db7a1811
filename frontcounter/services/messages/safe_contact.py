"""The safe-contact decision: instruction × message kind → a channel, or "not sent" and why.

Pure and total: it reads only the structured consent (never the free-text note), and every
combination of instructions has one answer. A text goes only to the number the visitor agreed to
texts on, an email only to the address agreed to; "only via the person of choice" sends nothing
to the visitor at all. When nothing may be sent for a message the visitor must hear about (a
cancellation, a new time, "we need to rearrange"), the answer says how the FCR may reach them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from frontcounter.services.core.appointments import ContactConsent
from frontcounter.services.messages.kinds import MUST_REACH

ChannelName = Literal["sms", "email"]


@dataclass(frozen=True, slots=True)
class Decision:
    channel: ChannelName | None
    #: The number or address to send to (None when not sent).
    to: str | None
    #: Why nothing is sent, in words for the booking screen ("No messages will be sent: …").
    reason: str | None = None
    #: What the FCR should do instead, when the visitor must hear and no message may go.
    instead: str | None = None

    @property
    def sent(self) -> bool:
        return self.channel is not None


def reach_by_phone(consent: ContactConsent) -> str | None:
    """How the FCR may phone the visitor, or None if phoning is not agreed."""
    if consent.via_person_only:
        return "contact the visitor's person of choice"
    if not consent.may_phone:
        return None
    return "phone the visitor" + ("" if consent.may_voicemail else " (do not leave a voicemail)")


def why_not(consent: ContactConsent) -> str | None:
    """Why no message at all will be sent to this visitor, or None if texts or email may go."""
    if consent.via_person_only:
        return "the visitor asked to be contacted only via their person of choice"
    if consent.may_text and consent.text_number:
        return None
    if consent.may_email and consent.email_address:
        return None
    if consent.may_text:
        return "texts are allowed but no number is recorded for them"
    if consent.may_email:
        return "email is allowed but no address is recorded for it"
    return "the visitor has not agreed to texts or email"


def decide(consent: ContactConsent, kind: str) -> Decision:
    reason = why_not(consent)
    if reason is None:
        if consent.may_text and consent.text_number:
            return Decision("sms", consent.text_number)
        return Decision("email", consent.email_address)
    instead = reach_by_phone(consent) if kind in MUST_REACH else None
    return Decision(None, None, reason, instead)
