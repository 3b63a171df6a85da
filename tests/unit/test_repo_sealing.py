"""Sealed openings: only the contract's key opens them, every failure reads the same, and the
key file is private."""

import stat

import pytest

from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.schedule import Report, Side
from marketcraft.repo.sealing import ContractKey, Opening, open_box, seal

REPORT = Report(Side.RM, (0, 5, 10), (5_400_000, 5_350_000, 5_300_001), 12_500)


def test_a_sealed_opening_round_trips_exactly():
    key = ContractKey.generate()
    opening = Opening.fresh(REPORT)
    assert open_box(seal(opening, key.public), key, Side.RM) == opening
    # fractions of a basis point survive the trip (540.0000 .. 530.0001 bp)
    assert opening.to_plain()["rates"] == [540, 535, 530.0001]


def test_every_failure_to_open_is_the_same_refusal():
    key, other = ContractKey.generate(), ContractKey.generate()
    box = seal(Opening.fresh(REPORT), key.public)
    flipped = bytearray(box)
    flipped[-1] ^= 1
    messages = set()
    for attempt in (
        lambda: open_box(box, other, Side.RM),  # someone else's key
        lambda: open_box(bytes(flipped), key, Side.RM),  # tampered
        lambda: open_box(box, key, Side.MM),  # the wrong side
        lambda: open_box(b"short", key, Side.RM),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        messages.add(str(refused.value))
    assert len(messages) == 1


def test_two_commitments_to_one_report_differ_and_bind_the_salt():
    a, b = Opening.fresh(REPORT), Opening.fresh(REPORT)
    assert a.commitment != b.commitment
    assert Opening(REPORT, a.salt).commitment == a.commitment


def test_the_key_file_is_created_private_and_reloaded(tmp_path):
    path = tmp_path / "keys" / "contract.key"
    key = ContractKey.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ContractKey.load_or_create(path).public == key.public
    path.write_bytes(b"x" * 5)
    with pytest.raises(ValidationError, match="not a 32-byte"):
        ContractKey.load_or_create(path)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"side": "xx"}, "side must be"),
        ({"salt": 5}, "salt must be"),
        ({"salt": str(2**254)}, "salt must be"),
        ({"extra": 1}, "nothing else"),
    ],
)
def test_a_bad_opening_file_names_the_problem(change, reason):
    plain = Opening.fresh(REPORT).to_plain() | change
    with pytest.raises(ValidationError, match=reason):
        Opening.from_plain(plain, "opening.json")
