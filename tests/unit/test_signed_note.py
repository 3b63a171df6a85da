"""C2SP signed notes and tlog checkpoints, checked against published vectors: the examples in
the C2SP signed-note and tlog-checkpoint specifications, and the signed-note example of Go's
golang.org/x/mod/sumdb/note (the format's origin), whose private key is published, so a
signature must come out byte for byte."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketcraft.kernel import Signer, ValidationError
from marketcraft.kernel.checkpoints import (
    Checkpoint,
    checkpoint_text,
    open_checkpoint,
    parse_checkpoint,
    parse_checkpoint_body,
    sign_checkpoint,
    verify_checkpoint,
)
from marketcraft.kernel.signed_note import (
    NoteKey,
    note_key_id,
    open_note,
    parse_verifier_key,
    sign_note,
    split_note,
    verifier_key,
)

# golang.org/x/mod/sumdb/note, package documentation ("Here is a well-formed signed note")
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# c2sp.org/signed-note: its example note (text with an empty line inside)
C2SP_NOTE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed \u00e8 subito sera.\n"
    "\n"
    "\u2014 quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)
# c2sp.org/tlog-checkpoint: its example checkpoint
C2SP_CHECKPOINT = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\u2014 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SIGNER = Signer(bytes(range(32)))


def go_signer() -> Signer:
    material = GO_SIGNER_KEY.split("+", 4)[4]
    raw = base64.b64decode(material)
    assert raw[0] == 1  # Ed25519
    return Signer(raw[1:])


def test_the_go_example_is_signed_byte_for_byte_and_opens():
    signer = go_signer()
    assert sign_note(GO_TEXT, "PeterNeumann", signer) == GO_NOTE
    key = parse_verifier_key(GO_VERIFIER_KEY)
    assert key == NoteKey("PeterNeumann", signer.public_key)
    assert verifier_key(key) == GO_VERIFIER_KEY
    assert key.key_id == bytes.fromhex("c74f20a3")
    assert open_note(GO_NOTE, key) == GO_TEXT


def test_a_changed_note_does_not_open():
    key = parse_verifier_key(GO_VERIFIER_KEY)
    with pytest.raises(ValidationError, match="does not verify"):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), key)
    # a flipped bit in the signature itself (not in its base64 spelling)
    text, signatures = split_note(GO_NOTE)
    name, key_id, sig = signatures[0]
    flipped = bytes([sig[0] ^ 1]) + sig[1:]
    forged = f"{text}\n\u2014 {name} {base64.b64encode(key_id + flipped).decode()}\n"
    with pytest.raises(ValidationError, match="does not verify"):
        open_note(forged, key)


def test_only_the_known_keys_signature_counts():
    key = parse_verifier_key(GO_VERIFIER_KEY)
    stranger = sign_note(GO_TEXT, "Stranger", SIGNER)
    with pytest.raises(ValidationError, match="not signed by PeterNeumann"):
        open_note(stranger, key)
    # another key's line beside the known one is ignored
    both = GO_NOTE + stranger.split("\n\n")[-1]
    assert open_note(both, key) == GO_TEXT
    # the same name with another key (so another key ID) is an unknown key
    impostor = sign_note(GO_TEXT, "PeterNeumann", SIGNER)
    with pytest.raises(ValidationError, match="not signed by"):
        open_note(impostor, key)


def test_the_c2sp_note_example_is_well_formed():
    text, signatures = split_note(C2SP_NOTE)
    assert text == C2SP_NOTE.rsplit("\n\n", 1)[0] + "\n"  # the last blank line splits
    assert text.count("\n\n") == 1  # the poem's own blank line stays in the text
    ((name, key_id, signature),) = signatures
    assert name == "quasimodo.example/salvatore"
    assert len(key_id) == 4 and len(signature) == 64  # an Ed25519 signature


def test_the_c2sp_checkpoint_example_is_well_formed():
    text, signatures = split_note(C2SP_CHECKPOINT)
    origin, size, root, extensions = parse_checkpoint_body(text)
    assert (origin, size, extensions) == ("example.com/behind-the-sofa", 20852163, [])
    assert len(root) == 32
    assert signatures[0][0] == origin  # the key name matches the origin, as the spec asks
    with pytest.raises(ValidationError, match="time line"):
        parse_checkpoint(text)  # ours always say when they were signed


@pytest.mark.parametrize(
    "text",
    [
        "origin\n01\n" + "A" * 43 + "=\n",
        "origin\n-1\nAA==\n",
        "origin\n1\n!!\n",
        "origin\n1\n",
        "origin\n\n1\nAA==\n",
        "origin\n1\nAA==\n\nx\n",
    ],
)
def test_malformed_checkpoint_bodies_are_refused(text):
    with pytest.raises(ValidationError):
        parse_checkpoint_body(text)


@pytest.mark.parametrize(
    "note",
    [
        "no newline",
        "text\n",
        "text\n\n",
        "text\n\n- name AAAAAAA=\n",
        "te\x01xt\n\n\u2014 n AAAAAAA=\n",
        "text\n\n\u2014 n !!!\n",
        "text\n\n\u2014 n AAA=\n",
        "text\n\n" + "\u2014 n AAAAAAA=\n" * 17,
    ],
)
def test_malformed_notes_are_refused(note):
    with pytest.raises(ValidationError):
        split_note(note)


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "tab\tname"])
def test_key_names_have_no_spaces_or_plus(name):
    with pytest.raises(ValidationError):
        note_key_id(name, SIGNER.public_key)


@pytest.mark.parametrize(
    "text",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # short key
        "PeterNeumann+c74f20a3",
        "PeterNeumann",
        "PeterNeumann+zz+AA==",
    ],
)
def test_bad_verifier_keys_are_refused(text):
    with pytest.raises(ValidationError):
        parse_verifier_key(text)


origins = st.from_regex(r"\A[a-z0-9.]{1,20}/[a-z0-9/_-]{0,20}\Z")
checkpoints = st.builds(
    Checkpoint,
    origin=origins,
    tree_size=st.integers(0, 2**63),
    root_hash=st.binary(min_size=32, max_size=32),
    timestamp=st.integers(0, 10**9).map(lambda us: T0 + timedelta(microseconds=us)),
)


@given(checkpoints)
def test_a_checkpoint_reads_back_as_written(cp):
    assert parse_checkpoint(checkpoint_text(cp)) == cp
    signed = sign_checkpoint(cp, SIGNER)
    assert open_checkpoint(signed.note, SIGNER.public_key) == signed
    assert verify_checkpoint(signed, SIGNER.public_key)


@given(checkpoints, st.data())
def test_no_single_character_change_passes_for_the_same_key(cp, data):
    note = sign_checkpoint(cp, SIGNER).note
    at = data.draw(st.integers(0, len(note) - 1))
    char = data.draw(st.characters(codec="utf-8").filter(lambda c: c != note[at]))
    changed = note[:at] + char + note[at + 1 :]
    try:
        opened = open_checkpoint(changed, SIGNER.public_key)
    except ValidationError:
        return
    # only a change outside what the signature covers and the signature itself may leave it
    # valid (none exists), and never with another checkpoint
    assert opened.checkpoint == cp
    raise AssertionError(f"a changed note still opens: {changed!r}")


def test_a_checkpoint_signed_under_another_origin_is_refused():
    signed = sign_checkpoint(Checkpoint("a.example/log", 3, bytes(32), T0), SIGNER)
    assert not verify_checkpoint(
        replace(signed, checkpoint=replace(signed.checkpoint, origin="b.example/log")),
        SIGNER.public_key,
    )
    with pytest.raises(ValidationError):
        open_checkpoint(signed.note, Signer(bytes(32)).public_key)
