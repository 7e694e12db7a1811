"""Encryption at rest of what the counter may not read (docs/SECURITY.md section 6).

The confidential fields of an appointment (``CONFIDENTIAL_FIELDS``: the briefing notes, the
safe-contact instructions, the vulnerability flags) are stored encrypted, in the station cache,
in outbox payloads and at the centre alike. Each appointment has its own random 256-bit data key
(AES-256-GCM, one nonce per field, the field's name as associated data, so a value cannot be moved
to another field). The data key is sealed to every reader's X25519 public key (ECDH with an
ephemeral key, HKDF-SHA256, AES-GCM) and the sealed copies sit in ``appointments.sealed_keys``
(user id → ``<key id>:<sealed>``), so the sync moves them like any column without holding a key.

Readers are the users whose role has ``read_briefing`` at the row's station, plus the force-wide
roles that have it (``permissions.py``: officers, supervisors, the FCR). A user's private key is
wrapped by a key derived from their password (argon2id, raw) and kept in ``users.wrapped_private_key``;
only their signed-in session unwraps it (``SessionKey``, held by the ``Actor``, never written
anywhere). A counter user's session never holds one.

``seal_appointment`` is the one function every writer calls (the command path's flush hook, the
centre's apply, the demo seed, a centre-side writer such as the FCR desk): it needs only the
session and the row, finds the recipients from the row's station, and encrypts whatever
confidential field still holds plain text.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from frontcounter.db.models import Appointment, Role, User
from frontcounter.services.core.errors import PermissionDenied, ValidationError
from frontcounter.services.core.keys import SEAL_INFO, SessionKey, b64, key_id, raw_public, seal_kdf, unb64
from frontcounter.services.core.permissions import FORCE_WIDE_ROLES, ROLE_ACTIONS, Action

#: The columns stored encrypted. Structured, non-confidential facts (person of choice, access
#: needs, channel consent) stay plain: the counter needs them and search/reports may use them.
CONFIDENTIAL_FIELDS: tuple[str, ...] = ("briefing_notes", "safe_contact", "vulnerability_flags")
#: A field's ciphertext (lists hold one such string: the encrypted JSON of the list).
TOKEN_PREFIX = "fcenc1:"
#: What a session that cannot open a row is shown instead of the safe-contact text.
SEALED_TEXT = "Confidential: for officers and supervisors"
_WRAP_PREFIX = "fckey1"
#: argon2id for the key that wraps a private key: the password hash's own cost (auth.py), so the
#: wrapped key is no cheaper a target for guessing than the hash already is.
KDF_TIME, KDF_MEMORY, KDF_LANES = 2, 19456, 1
#: ``Session.info`` key: ids of the rows the current transaction sealed.
SEALED_NOW = "frontcounter.sealed_now"


class SealedError(PermissionDenied):
    """This session holds no key that opens the row (a counter user, or not yet re-sealed)."""


def reading_roles() -> tuple[frozenset[Role], frozenset[Role]]:
    """(station roles, force-wide roles) that may read the confidential fields, from permissions.py."""
    readers = {r for r, actions in ROLE_ACTIONS.items() if Action.READ_BRIEFING in actions}
    return frozenset(readers - FORCE_WIDE_ROLES), frozenset(readers & FORCE_WIDE_ROLES)


def may_hold_key(role: Role | str) -> bool:
    return Action.READ_BRIEFING in ROLE_ACTIONS[Role(role)]


# --- A user's key pair -------------------------------------------------------------------------


def _derive_wrap_key(password: str, salt: bytes, t: int = KDF_TIME, m: int = KDF_MEMORY, p: int = KDF_LANES) -> bytes:
    return hash_secret_raw(password.encode(), salt, time_cost=t, memory_cost=m, parallelism=p, hash_len=32,
                           type=Type.ID)


@dataclass(frozen=True)
class WrapKey:
    """A password-derived key with its salt, derived once (the demo's users share one, as they
    share one password hash)."""

    salt: bytes
    key: bytes
    params: tuple[int, int, int] = (KDF_TIME, KDF_MEMORY, KDF_LANES)

    @classmethod
    def derive(cls, password: str, salt: bytes | None = None) -> WrapKey:
        salt = salt or os.urandom(16)
        return cls(salt, _derive_wrap_key(password, salt))


def wrap_private(key: SessionKey, wrap: WrapKey) -> str:
    nonce = os.urandom(12)
    body = AESGCM(wrap.key).encrypt(nonce, key.raw_private(), str(key.user_id).encode())
    t, m, p = wrap.params
    return f"{_WRAP_PREFIX}${t},{m},{p}${b64(wrap.salt)}${b64(nonce + body)}"


def new_key_pair(user_id: uuid.UUID, password: str | None = None, *,
                 wrap: WrapKey | None = None) -> tuple[SessionKey, str, str]:
    """A fresh key pair: (the session key, public key, private key wrapped by the password)."""
    key = SessionKey(user_id, X25519PrivateKey.generate())
    if wrap is None:
        if password is None:
            raise ValueError("a password or a derived wrap key is needed")
        wrap = WrapKey.derive(password)
    return key, key.public_b64, wrap_private(key, wrap)


def unwrap_private(user_id: uuid.UUID, wrapped: str | None, password: str) -> SessionKey | None:
    """The user's private key, or None if there is none or the password does not open it."""
    if not wrapped:
        return None
    try:
        prefix, params, salt, body = wrapped.split("$")
        t, m, p = (int(x) for x in params.split(","))
        if prefix != _WRAP_PREFIX:
            return None
        raw = unb64(body)
        kek = _derive_wrap_key(password, unb64(salt), t, m, p)
        private = AESGCM(kek).decrypt(raw[:12], raw[12:], str(user_id).encode())
        return SessionKey(user_id, X25519PrivateKey.from_private_bytes(private))
    except (ValueError, InvalidTag):
        return None


def rewrap(key: SessionKey, password: str) -> str:
    """The same private key wrapped by a new password (a password change keeps the user's access)."""
    return wrap_private(key, WrapKey.derive(password))


# --- Sealing a data key to recipients -------------------------------------------------------------


class Sealer:
    """Seals data keys to recipients with one ephemeral key, deriving each recipient's wrapping key
    once: a batch of rows (an import's 2,000) pays one X25519 exchange per reader, not one per
    reader per row. Every row still has its own data key, wrapped under a fresh nonce."""

    def __init__(self) -> None:
        self._ephemeral = X25519PrivateKey.generate()
        self._ephemeral_pub = raw_public(self._ephemeral.public_key())
        self._keks: dict[str, AESGCM] = {}

    def _kek(self, public_b64: str) -> AESGCM:
        kek = self._keks.get(public_b64)
        if kek is None:
            recipient_raw = unb64(public_b64)
            shared = self._ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_raw))
            kek = self._keks[public_b64] = AESGCM(seal_kdf(shared, self._ephemeral_pub, recipient_raw))
        return kek

    def seal(self, data_key: bytes, recipients: dict[uuid.UUID, str]) -> dict[str, str]:
        sealed: dict[str, str] = {}
        for user_id, public_b64 in recipients.items():
            nonce = os.urandom(12)
            body = self._kek(public_b64).encrypt(nonce, data_key, SEAL_INFO)
            sealed[str(user_id)] = f"{key_id(public_b64)}:{b64(self._ephemeral_pub + nonce + body)}"
        return sealed


def seal_data_key(data_key: bytes, recipients: dict[uuid.UUID, str]) -> dict[str, str]:
    """``data_key`` sealed to each recipient's public key (one ephemeral key per call)."""
    return Sealer().seal(data_key, recipients)


# --- Fields ---------------------------------------------------------------------------------------


def is_token(value: Any) -> bool:
    if isinstance(value, list):
        return len(value) == 1 and isinstance(value[0], str) and value[0].startswith(TOKEN_PREFIX)
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


def _is_plain(value: Any) -> bool:
    """Holds something confidential in clear (None and an empty list hold nothing)."""
    return bool(value) and not is_token(value)


def encrypt_field(data_key: bytes, field_name: str, value: Any) -> Any:
    nonce = os.urandom(12)
    body = AESGCM(data_key).encrypt(nonce, json.dumps(value, ensure_ascii=False).encode(), field_name.encode())
    token = TOKEN_PREFIX + b64(nonce + body)
    return [token] if isinstance(value, list) else token


def decrypt_field(data_key: bytes, field_name: str, value: Any) -> Any:
    token = value[0] if isinstance(value, list) else value
    raw = unb64(token[len(TOKEN_PREFIX):])
    return json.loads(AESGCM(data_key).decrypt(raw[:12], raw[12:], field_name.encode()).decode())


# --- Recipients and the one write-path function ---------------------------------------------------


def recipients(session: Session, station_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Every active reader of ``station_id``'s confidential fields this database knows a key for."""
    local, wide = reading_roles()
    rows = session.execute(
        select(User.id, User.public_key).where(
            User.deleted.is_(False), User.active.is_(True), User.public_key.is_not(None),
            or_(and_(User.role.in_([r.value for r in local]), User.station_id == station_id),
                User.role.in_([r.value for r in wide])),
        )
    ).all()
    return {user_id: public for user_id, public in rows if public}


def known_users(session: Session) -> set[str]:
    return {str(u) for u in session.scalars(select(User.id))}


def seal_appointment(session: Session, row: Appointment, key: SessionKey | None = None, *,
                     refresh: bool = False, readers: dict[uuid.UUID, str] | None = None,
                     known: set[str] | None = None, sealer: Sealer | None = None) -> bool:
    """Encrypt ``row``'s plain confidential fields and (re)seal its data key; True if it changed.

    ``key`` (the writer's session key, if any) lets an existing data key be kept, so a reader's
    edit does not cut off readers this database holds no key for. A writer with no key may fill
    empty fields of a new row (a clerk types notes at booking) but cannot change a row whose
    other confidential fields are sealed: that would need their data key. ``refresh`` re-seals
    to the current readers (new keys in, leavers and stale keys out) when the key opens the row.
    ``readers``/``known`` let a caller sealing many rows look them up once per station.
    """
    plain = {f: getattr(row, f) for f in CONFIDENTIAL_FIELDS if _is_plain(getattr(row, f))}
    if not plain and not refresh:
        return False
    existing = dict(row.sealed_keys or {})
    sealed_present = any(is_token(getattr(row, f)) for f in CONFIDENTIAL_FIELDS)
    data_key = key.open(existing) if key is not None and sealed_present else None
    if plain and data_key is None:
        if sealed_present:
            raise ValidationError("Only an officer or supervisor who can read this appointment's confidential "
                                  "details may change them.")
        data_key, existing = os.urandom(32), {}
    if data_key is None:
        return False  # nothing plain, and this session cannot open the row to re-seal it
    for field_name, value in plain.items():
        setattr(row, field_name, encrypt_field(data_key, field_name, value))
    if plain:
        # The command's outbox entry carries what this flush sealed (commands.CommandScope.changed).
        session.info.setdefault(SEALED_NOW, set()).add(row.id)
    current = readers if readers is not None else recipients(session, row.station_id)
    local_users = known if known is not None else known_users(session)
    wanted = {str(u): p for u, p in current.items()}
    fresh = {u: e for u, e in existing.items() if u in wanted and e.partition(":")[0] == key_id(wanted[u])}
    missing = {uuid.UUID(u): p for u, p in wanted.items() if u not in fresh}
    # Copies for users this database does not hold are kept (another station's reader); copies
    # for users it holds who no longer read (a leaver, a role change) or hold a newer key go.
    foreign = {u: e for u, e in existing.items() if u not in local_users}
    merged = {**foreign, **fresh, **(sealer or Sealer()).seal(data_key, missing)}
    if plain or merged != existing:
        row.sealed_keys = merged
        return True
    return False


def seal_new_values(values: dict[str, Any], readers: dict[uuid.UUID, str], sealer: Sealer | None = None) -> None:
    """A new appointment given as a dict, sealed in place: an import's batch inserts its rows set-based,
    past the ORM flush that ``seal_pending`` hooks, so it seals here (fresh data key, ``readers``)."""
    plain = {f: values[f] for f in CONFIDENTIAL_FIELDS if _is_plain(values.get(f))}
    if not plain:
        return
    data_key = os.urandom(32)
    for field_name, value in plain.items():
        values[field_name] = encrypt_field(data_key, field_name, value)
    values["sealed_keys"] = (sealer or Sealer()).seal(data_key, readers)


def seal_pending(session: Session, key: SessionKey | None = None) -> None:
    """The flush hook of every writer: seal each new or changed appointment that holds plain text."""
    rows = [r for r in (*session.new, *session.dirty) if isinstance(r, Appointment) and not r.purged_at]
    if not rows:
        return
    with session.no_autoflush:
        for row in rows:
            seal_appointment(session, row, key)


def sealed_changes(session: Session, row: Appointment, changes: dict[str, Any]) -> dict[str, Any]:
    """An outbox entry's changed fields as stored: ciphertext and the sealed keys, never the text typed.

    A row this command's flush sealed (a row stored in clear by an older version, touched now)
    sends all its confidential fields, so the centre's copy is sealed too.
    """
    sealed_now = row.id in session.info.get(SEALED_NOW, set())
    if not sealed_now and not set(changes) & {*CONFIDENTIAL_FIELDS, "sealed_keys"}:
        return changes
    out = dict(changes)
    for field_name in CONFIDENTIAL_FIELDS:
        if field_name in out or sealed_now:
            out[field_name] = getattr(row, field_name)
    out["sealed_keys"] = row.sealed_keys
    return out


# --- Reading ---------------------------------------------------------------------------------------


def open_fields(row: Appointment, key: SessionKey | None) -> dict[str, Any]:
    """The confidential fields in clear for a session whose key opens the row; ``SealedError`` if not.

    A row not sealed yet (written before the upgrade, or by an older station) reads as it is.
    """
    values = {f: getattr(row, f) for f in CONFIDENTIAL_FIELDS}
    if not any(is_token(v) for v in values.values()):
        return values
    data_key = key.open(row.sealed_keys) if key is not None else None
    if data_key is None:
        raise SealedError("This session holds no key for that appointment's confidential details"
                          + (" (they are re-shared with you at the next sign-in of a colleague who can read them)."
                             if key is not None else "."))
    return {f: decrypt_field(data_key, f, v) if is_token(v) else v for f, v in values.items()}


def try_open(row: Appointment, key: SessionKey | None) -> dict[str, Any] | None:
    try:
        return open_fields(row, key)
    except SealedError:
        return None


def shown_safe_contact(row: Appointment, key: SessionKey | None) -> str | None:
    """The safe-contact text for a list or dialog: in clear if this session opens it, else a notice."""
    value = row.safe_contact
    if not is_token(value):
        return value
    opened = try_open(row, key)
    return SEALED_TEXT if opened is None else opened["safe_contact"]


def seal_rows(session: Session, rows: Iterable[Appointment], key: SessionKey | None = None) -> int:
    """Seal many rows (the demo seed, an upgrade), looking recipients up once per station."""
    by_station: dict[uuid.UUID, dict[uuid.UUID, str]] = {}
    known = known_users(session)
    changed = 0
    for row in rows:
        readers = by_station.get(row.station_id)
        if readers is None:
            readers = by_station[row.station_id] = recipients(session, row.station_id)
        changed += seal_appointment(session, row, key, readers=readers, known=known)
    return changed
