"""Openings and sealed boxes: what a dealer sends the contract after committing.

An opening is the report and the salt its commitment was made with. The dealer encrypts it to
the contract's X25519 public key (a libsodium sealed box: an ephemeral sender key, so nothing
identifies the sender and only the contract's private key opens it). The contract stores the
box as it came and opens it only in memory, at settlement.

The private key is the stand-in for an enclave's: it is made and kept by the contract process
(a file readable only by its owner). In a real deployment a TEE would generate it inside the
enclave, publish the public key with an attestation quote binding it to the enclave's code
measurement, and never export the private half; dealers would check the quote before sealing."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.commitment import commit, new_salt
from marketcraft.repo.poseidon import field_element
from marketcraft.repo.reports import loads_strict, report_from_plain
from marketcraft.repo.schedule import Report, Side, units_to_bp

__all__ = ["ContractKey", "Opening", "open_box", "seal"]


@dataclass(frozen=True, slots=True)
class Opening:
    report: Report
    salt: int

    @classmethod
    def fresh(cls, report: Report) -> Opening:
        return cls(report, new_salt())

    @property
    def commitment(self) -> int:
        return commit(self.report, self.salt)

    def to_plain(self) -> dict[str, Any]:
        r = self.report
        plain = {
            "side": r.side.value,
            "volumes": list(r.volumes),
            "rates": [_bp(v - r.offset) for v in r.rates],
            "hurdle": _bp(r.hurdle),
            "salt": str(self.salt),
        }
        if r.offset:
            plain["offset"] = _bp(r.offset)
        return plain

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_plain(), separators=(",", ":")).encode()

    @classmethod
    def from_plain(cls, plain: Any, where: str, side: Side | None = None) -> Opening:
        """An opening file: a report file's fields plus ``side`` and ``salt`` (decimal text)."""
        if not isinstance(plain, dict):
            raise ValidationError("bad_opening", f"{where}: expected an object")
        fields = dict(plain)
        try:
            named = Side(fields.pop("side"))
        except (KeyError, ValueError):
            raise ValidationError("bad_opening", f"{where}: side must be 'mm' or 'rm'") from None
        if side is not None and named is not side:
            raise ValidationError("bad_opening", f"{where}: expected the {side.value} side")
        salt = field_element(fields.pop("salt", None), f"{where}: salt", "bad_opening")
        return cls(report_from_plain(fields, named, where), salt)


def _bp(units: int) -> int | float:
    value = units_to_bp(units)
    return int(value) if value == value.to_integral_value() else float(value)


def seal(opening: Opening, public_key: bytes) -> bytes:
    """The opening encrypted to the contract's public key."""
    try:
        return bytes(SealedBox(PublicKey(public_key)).encrypt(opening.to_bytes()))
    except (CryptoError, TypeError, ValueError):
        raise ValidationError("bad_key", "not an X25519 public key (32 bytes)") from None


def open_box(box: bytes, key: ContractKey, side: Side) -> Opening:
    """Decrypt and parse a sealed opening; any failure is the same refusal (no oracle)."""
    try:
        plain = loads_strict(SealedBox(key.private).decrypt(box), exact=True)
        return Opening.from_plain(plain, "sealed opening", side)
    except (CryptoError, ValueError, ValidationError, TypeError):
        raise ValidationError(
            "bad_opening", "the sealed opening does not decrypt to a valid report for this side"
        ) from None


class ContractKey:
    """The contract's X25519 key pair."""

    def __init__(self, private: PrivateKey) -> None:
        self.private = private

    @classmethod
    def generate(cls) -> ContractKey:
        return cls(PrivateKey.generate())

    @property
    def public(self) -> bytes:
        return bytes(self.private.public_key)

    @classmethod
    def load_or_create(cls, path: Path) -> ContractKey:
        """The key in ``path`` (created, readable by its owner only, when missing)."""
        if path.exists():
            raw = path.read_bytes()
            if len(raw) != 32:
                raise ValidationError("bad_key", f"{path}: not a 32-byte X25519 private key")
            return cls(PrivateKey(raw))
        key = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(bytes(key.private))
        return key
