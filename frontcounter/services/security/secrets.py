"""The central database password: only in the OS keyring, never in config files, logs or caches.

The config holds the URL without its password; the keyring entry is keyed by that URL.
"""

from __future__ import annotations

import keyring
import keyring.errors
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from frontcounter.db.engine import make_engine

KEYRING_SERVICE = "FrontCounter central database"


def redact_url(url: str) -> str:
    """The URL as it may be shown or logged: any password replaced by ***."""
    return make_url(url).render_as_string(hide_password=True)


def strip_password(url: str) -> str:
    # Not ``URL.set(password=None)``: SQLAlchemy reads None there as "leave unchanged".
    return make_url(url)._replace(password=None).render_as_string(hide_password=False)


def store_password(url: str, password: str) -> None:
    keyring.set_password(KEYRING_SERVICE, strip_password(url), password)


def load_password(url: str) -> str | None:
    try:
        return keyring.get_password(KEYRING_SERVICE, strip_password(url))
    except keyring.errors.KeyringError:
        return None


def central_engine(url: str) -> Engine:
    """An engine for the centre, with the password taken from the keyring when the URL has none."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.password is None:
        password = load_password(url)
        if password:
            parsed = parsed.set(password=password)
    return make_engine(parsed.render_as_string(hide_password=False))


def with_sslmode(url: str, mode: str) -> str:
    """The URL with ``sslmode`` set (PostgreSQL only; TLS is the server's and driver's job)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.update_query_dict({"sslmode": mode}).render_as_string(hide_password=False)
