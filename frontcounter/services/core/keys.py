"""A signed-in reader's private key and the sealing primitives it opens (no app imports).

Kept apart from ``sealing`` so the ``Actor`` can hold a ``SessionKey`` without importing the
permissions (which import the actor). See services/core/sealing.py for the design.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEAL_INFO = b"frontcounter seal v1"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_b64: str) -> str:
    """A short tag of the recipient key a sealed copy was made for (a new key pair makes it stale)."""
    return public_b64[:8]


class SessionKey:
    """A signed-in reader's private key, in memory only (never pickled, printed or stored)."""

    __slots__ = ("_private", "public_b64", "user_id")

    def __init__(self, user_id: uuid.UUID, private: X25519PrivateKey) -> None:
        self.user_id = user_id
        self._private = private
        self.public_b64 = b64(raw_public(private.public_key()))

    def __repr__(self) -> str:
        return f"SessionKey(user={self.user_id}, private key held in memory)"

    def __reduce__(self) -> Any:
        raise TypeError("A session key is never serialised.")

    def __deepcopy__(self, memo: dict[int, Any]) -> SessionKey:
        return self

    def raw_private(self) -> bytes:
        return self._private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                           serialization.NoEncryption())

    def open(self, sealed: dict[str, str] | None) -> bytes | None:
        """This row's data key, if it was sealed to this key; else None."""
        entry = (sealed or {}).get(str(self.user_id))
        if not entry:
            return None
        tag, _, body = entry.partition(":")
        if tag != key_id(self.public_b64):
            return None  # sealed to an earlier key pair of this user (before an admin reset)
        try:
            raw = unb64(body)
            ephemeral = X25519PublicKey.from_public_bytes(raw[:32])
            shared = self._private.exchange(ephemeral)
            kek = seal_kdf(shared, raw[:32], unb64(self.public_b64))
            return AESGCM(kek).decrypt(raw[32:44], raw[44:], SEAL_INFO)
        except (ValueError, InvalidTag):
            return None


def seal_kdf(shared: bytes, ephemeral_pub: bytes, recipient_pub: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=SEAL_INFO + ephemeral_pub + recipient_pub).derive(shared)
