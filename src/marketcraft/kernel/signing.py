"""Ed25519 signatures (PyNaCl) over canonical bytes.

A :class:`Signer` holds a private key and signs; verification is a pure function of a public key,
the message bytes and the signature, so anyone holding a transcript can check it offline.
Keys are 32-byte seeds; the key id is the hex SHA-256 of the public key (first 16 bytes).
"""

from __future__ import annotations

import hashlib

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from marketcraft.kernel.errors import ValidationError

__all__ = ["Signer", "key_id", "verify_signature"]


def key_id(public_key: bytes) -> str:
    """A short, stable name for a public key."""
    return hashlib.sha256(public_key).hexdigest()[:32]


class Signer:
    """Signs with one Ed25519 private key."""

    __slots__ = ("_key", "_key_id", "_public_key")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValidationError("bad_key", "an Ed25519 seed is 32 bytes")
        self._key = SigningKey(seed)
        self._public_key = bytes(self._key.verify_key)
        self._key_id = key_id(self._public_key)

    @classmethod
    def generate(cls) -> Signer:
        """A new key from the operating system's CSPRNG (adapters only; never inside a core)."""
        return cls(bytes(SigningKey.generate()))

    @property
    def seed(self) -> bytes:
        return bytes(self._key)

    @property
    def public_key(self) -> bytes:
        return self._public_key

    @property
    def key_id(self) -> str:
        return self._key_id

    def sign(self, message: bytes) -> bytes:
        """The 64-byte detached signature of ``message``."""
        return bytes(self._key.sign(message).signature)


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True iff ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        VerifyKey(public_key).verify(message, signature)
    except (BadSignatureError, ValueError):
        return False
    return True
