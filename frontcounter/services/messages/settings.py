"""The notify worker's settings: a JSON file of template ids and timings; the API key elsewhere.

The file (``notify.json`` in the data folder, or ``--settings FILE``)::

    {
      "base_url": "https://api.notifications.service.gov.uk",
      "reminder_hours": [24, 2],
      "how_to_rebook": "Call 101 and quote your reference to change or cancel.",
      "templates": {
        "confirmation": {"sms": "<template id>", "email": "<template id>"},
        "reminder_24h": {"sms": "…", "email": "…"}, "reminder_2h": {…},
        "reschedule": {…}, "cancellation": {…}, "at_risk": {…}
      }
    }

The API key is never in it: it comes from the service's environment (``FRONTCOUNTER_NOTIFY_API_KEY``)
or the OS keyring (``frontcounter notify --set-key`` prompts for it); a file that holds one is
refused. See docs/MESSAGES.md.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frontcounter.services.core.environment import keyring_problem
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.messages.kinds import all_kinds

ENV_API_KEY = "FRONTCOUNTER_NOTIFY_API_KEY"
KEYRING_SERVICE = "FrontCounter GOV.UK Notify"
KEYRING_USER = "api_key"
DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"
CHANNELS = ("sms", "email")


@dataclass(frozen=True)
class NotifySettings:
    templates: dict[str, dict[str, str]]
    base_url: str = DEFAULT_BASE_URL
    reminder_hours: tuple[int, ...] = (24, 2)
    how_to_rebook: str = "Call 101 and quote your reference to change or cancel."
    #: Seconds one HTTP request may take before it counts as failed (a hanging server).
    timeout_seconds: float = 10.0
    #: First retry delay; doubled per attempt up to ``backoff_cap_seconds``.
    backoff_seconds: float = 30.0
    backoff_cap_seconds: float = 3600.0
    max_attempts: int = 8
    #: How often a sent message's delivery status is asked for.
    status_every_seconds: float = 300.0
    batch: int = 50
    #: Messages claimed (and then recorded) per transaction: fewer commits, a few more to ask
    #: Notify about after a kill.
    claim_batch: int = 20
    extra: dict[str, Any] = field(default_factory=dict)

    def template(self, kind: str, channel: str) -> str:
        return self.templates[kind][channel]


def parse_settings(data: Any, source: str = "the notify settings") -> NotifySettings:
    """Check the settings as a whole; a ValidationError names what is missing or wrong."""
    if not isinstance(data, dict):
        raise ValidationError(f"{source} must be a JSON object.")
    if any("key" in str(k).casefold() for k in data):
        raise ValidationError(f"{source} holds an API key: remove it. The key lives only in the keyring "
                              f"('frontcounter notify --set-key') or the environment ({ENV_API_KEY}).")
    hours = tuple(int(h) for h in data.get("reminder_hours", (24, 2)))
    if any(h <= 0 or h > 24 * 14 for h in hours) or len(set(hours)) != len(hours):
        raise ValidationError(f"{source}: reminder_hours must be distinct whole hours between 1 and 336.")
    templates = data.get("templates") or {}
    missing = [f"{kind}.{channel}" for kind in all_kinds(hours) for channel in CHANNELS
               if not str((templates.get(kind) or {}).get(channel) or "").strip()]
    if missing:
        raise ValidationError(f"{source} has no template id for: {', '.join(missing)}.")
    numbers = {k: float(data[k]) for k in ("timeout_seconds", "backoff_seconds", "backoff_cap_seconds",
                                             "status_every_seconds") if k in data}
    if any(v <= 0 for v in numbers.values()):
        raise ValidationError(f"{source}: timings must be positive numbers of seconds.")
    return NotifySettings(
        templates={k: {c: str(v[c]).strip() for c in CHANNELS} for k, v in templates.items()},
        base_url=str(data.get("base_url") or DEFAULT_BASE_URL),
        reminder_hours=hours,
        how_to_rebook=str(data.get("how_to_rebook") or NotifySettings.how_to_rebook),
        max_attempts=int(data.get("max_attempts", 8)),
        batch=int(data.get("batch", 50)),
        claim_batch=int(data.get("claim_batch", 20)),
        **numbers,  # type: ignore[arg-type]
    )


def load_settings(path: Path) -> NotifySettings:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"No notify settings at {path}: write the template ids there (docs/MESSAGES.md) "
                              "or give --settings FILE.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{path} is not valid JSON (line {exc.lineno}).") from None
    return parse_settings(data, str(path))


def api_key(environ: dict[str, str] | None = None) -> str:
    """The Notify API key: the environment first, else the keyring; never a file."""
    env = os.environ if environ is None else environ
    key = (env.get(ENV_API_KEY) or "").strip()
    if key:
        return key
    import keyring

    try:
        stored = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except Exception:  # no keyring, or a locked one
        stored = None
    if not stored:
        raise ValidationError(f"No GOV.UK Notify API key: set {ENV_API_KEY} in the service's environment, "
                              "or store it once with 'frontcounter notify --set-key'.")
    return stored


def store_api_key(key: str) -> None:
    import keyring

    try:
        keyring.set_password(KEYRING_SERVICE, KEYRING_USER, key.strip())
    except Exception as exc:
        raise keyring_problem(exc) from exc
