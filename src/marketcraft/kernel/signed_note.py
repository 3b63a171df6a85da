"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 signatures.

A note is UTF-8 text ending in a newline, a blank line, then one signature line per key::

    <text, ending in "\\n">
    <blank line>
    — <key name> base64(4-byte key ID || 64-byte Ed25519 signature over the text)

The key ID is ``SHA-256(key name || 0x0A || 0x01 || public key)[:4]``, and a verifier key is
written ``<name>+<key ID, 8 hex digits>+base64(0x01 || public key)``, as Go's
``golang.org/x/mod/sumdb/note`` and the transparency-log tools that read it do. Opening a note
ignores signatures by unknown keys and refuses the note unless the known key's signature
verifies. Pure functions of strings, bytes and keys.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.signing import Signer, verify_signature

__all__ = [
    "MAX_NOTE_BYTES",
    "NoteKey",
    "note_key_id",
    "open_note",
    "parse_verifier_key",
    "sign_note",
    "split_note",
    "verifier_key",
]

_ED25519 = b"\x01"
_DASH = "\u2014 "
#: a note longer than this is refused unread (the spec asks verifiers for a limit)
MAX_NOTE_BYTES = 64 * 1024
_MAX_SIGNATURES = 16


def _bad(reason: str) -> ValidationError:
    return ValidationError("bad_note", reason)


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise _bad("a key name is non-empty, with no spaces and no '+'")
    return name


def note_key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 key under ``name``."""
    return hashlib.sha256(_check_name(name).encode() + b"\n" + _ED25519 + public_key).digest()[:4]


@dataclass(frozen=True, slots=True)
class NoteKey:
    """A key a note can be checked against: its name, key ID and Ed25519 public key."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return note_key_id(self.name, self.public_key)


def verifier_key(key: NoteKey) -> str:
    """``<name>+<key ID hex>+base64(0x01 || public key)``: the key as note tools print it."""
    material = base64.b64encode(_ED25519 + key.public_key).decode()
    return f"{key.name}+{key.key_id.hex()}+{material}"


def parse_verifier_key(text: str) -> NoteKey:
    """Inverse of :func:`verifier_key`; ValidationError unless the ID matches the key."""
    name, sep, rest = text.strip().partition("+")
    key_hex, sep2, material = rest.partition("+")
    if not (sep and sep2):
        raise _bad("a verifier key is <name>+<key id>+<key>")
    try:
        raw = base64.b64decode(material, validate=True)
        key_id = bytes.fromhex(key_hex)
    except ValueError:  # binascii.Error, or non-ASCII text
        raise _bad("a verifier key's id is hex and its key base64") from None
    if len(raw) != 33 or raw[:1] != _ED25519:
        raise _bad("only Ed25519 verifier keys (type 0x01) are supported")
    key = NoteKey(_check_name(name), raw[1:])
    if len(key_hex) != 8 or key.key_id != key_id:
        raise _bad("the verifier key's id does not match its name and key")
    return key


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise _bad("a note's text ends in a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise _bad("a note holds no control characters but newlines")


def sign_note(text: str, name: str, signer: Signer) -> str:
    """``text`` signed by ``signer`` under key name ``name``, as a signed note."""
    _check_text(text)
    key = NoteKey(name, signer.public_key)
    signature = signer.sign(text.encode())
    blob = base64.b64encode(key.key_id + signature).decode()
    return f"{text}\n{_DASH}{name} {blob}\n"


def split_note(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """A note's text and its signatures as (key name, key ID, signature); ValidationError if
    it is not a well-formed note. Nothing is verified here."""
    if len(note.encode()) > MAX_NOTE_BYTES:
        raise _bad("the note is too long")
    _check_text(note)
    cut = note.rfind("\n\n")
    if cut < 0:
        raise _bad("a note has a blank line before its signatures")
    text, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    if not lines or len(lines) > _MAX_SIGNATURES:
        raise _bad(f"a note has 1..{_MAX_SIGNATURES} signature lines")
    signatures = []
    for line in lines:
        name, _, blob = line.removeprefix(_DASH).partition(" ")
        if not line.startswith(_DASH) or not blob or " " in blob:
            raise _bad("a signature line is '\u2014 <name> <base64>'")
        try:
            raw = base64.b64decode(blob, validate=True)
        except ValueError:  # binascii.Error, or non-ASCII text
            raise _bad("a signature is base64") from None
        if len(raw) < 5:
            raise _bad("a signature holds a key ID and a signature")
        signatures.append((_check_name(name), raw[:4], raw[4:]))
    return text, signatures


def open_note(note: str, key: NoteKey) -> str:
    """The text of ``note`` if ``key`` signed it; ValidationError if it did not, or if its
    signature line does not verify. Signatures by other keys are ignored."""
    text, signatures = split_note(note)
    mine = [sig for name, key_id, sig in signatures if (name, key_id) == (key.name, key.key_id)]
    if not mine:
        raise ValidationError("unknown_signer", f"the note is not signed by {key.name}")
    if not all(verify_signature(key.public_key, text.encode(), sig) for sig in mine):
        raise ValidationError("bad_signature", f"{key.name}'s signature does not verify")
    return text
