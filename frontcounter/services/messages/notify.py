"""GOV.UK Notify through its official Python client, and what its answers mean for a message."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from frontcounter.services.messages.settings import NotifySettings

logger = logging.getLogger(__name__)

Verdict = Literal["sent", "retry", "rate_limited", "refused_key", "rejected"]


@dataclass(frozen=True)
class Answer:
    verdict: Verdict
    notify_id: str | None = None
    #: In words, for the FCR's list and the message history; never the key or the message.
    detail: str | None = None
    retry_after: float | None = None


class NotifyGateway:
    """The few calls the worker makes, over ``notifications_python_client``'s own client."""

    def __init__(self, settings: NotifySettings, api_key: str) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        self._client = NotificationsAPIClient(api_key, base_url=settings.base_url, timeout=settings.timeout_seconds)

    def send(self, channel: str, to: str, template_id: str, fields: dict[str, str], reference: str) -> Answer:
        try:
            if channel == "sms":
                body = self._client.send_sms_notification(to, template_id, personalisation=fields, reference=reference)
            else:
                body = self._client.send_email_notification(to, template_id, personalisation=fields,
                                                            reference=reference)
        except Exception as exc:
            return classify(exc)
        return Answer("sent", notify_id=str(body.get("id")), detail="accepted by GOV.UK Notify")

    def find(self, reference: str) -> str | None:
        """The Notify id of a notification sent with ``reference``, or None; errors propagate."""
        found = self._client.get_all_notifications(reference=reference).get("notifications") or []
        return str(found[0]["id"]) if found else None

    def status(self, notify_id: str) -> dict[str, Any]:
        return dict(self._client.get_notification_by_id(notify_id))


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _errors_in_words(exc: Exception) -> str:
    message = getattr(exc, "message", None)
    if isinstance(message, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in message)
    return str(message or type(exc).__name__)


def classify(exc: Exception) -> Answer:
    """What a failed call means: retry later, slow down, stop (the key), or give up on this message."""
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    if response is None:  # no answer at all: a timeout, a refused connection (the client says 503)
        return Answer("retry", detail=f"GOV.UK Notify did not answer ({type(exc.__cause__ or exc).__name__})")
    if status == 429:
        return Answer("rate_limited", detail="GOV.UK Notify asked us to slow down (429)",
                      retry_after=_retry_after(exc))
    if status == 403:
        return Answer("refused_key", detail="GOV.UK Notify refused the API key (403)")
    if status == 400:
        return Answer("rejected", detail=f"GOV.UK Notify refused the message: {_errors_in_words(exc)}")
    return Answer("retry", detail=f"GOV.UK Notify failed ({status})")


#: Notify's statuses in words; the terminal failures ask the FCR to phone instead.
STATUS_WORDS = {
    "delivered": ("delivered", "delivered"),
    "permanent-failure": ("failed", "the number or address does not exist or is permanently unavailable"),
    "temporary-failure": ("failed", "the phone was switched off or the inbox full for 72 hours"),
    "technical-failure": ("failed", "a technical failure at GOV.UK Notify"),
    "validation-failed": ("failed", "GOV.UK Notify could not send to that number or address"),
}


def mask(channel: str, to: str) -> str:
    """A number or address as the audit and the history show it: enough to tell which, no more."""
    if channel == "email":
        local_part, _, domain = to.partition("@")
        return f"{local_part[:1]}***@{domain}"
    digits = "".join(c for c in to if c.isdigit() or c == "+")
    return f"{digits[:3]}{'*' * max(0, len(digits) - 6)}{digits[-3:]}" if len(digits) > 6 else "*" * len(digits)
