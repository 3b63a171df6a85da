"""A receipt binds the order its scout sent, and its entry's inclusion is provable later.

The attack this answers: acting as the platform, log a scout's order with a changed limit
price and sign a receipt for what was logged. The scout recomputes the receipt's order hash
from what it sent (`opportunity verify --receipt R --order ORDER.json`) and the check fails."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import timedelta
from decimal import Decimal as D

from nacl.signing import VerifyKey
from typer.testing import CliRunner

from marketcraft.cli import app
from marketcraft.kernel import Signer
from marketcraft.kernel.messages import canonical_json, to_plain
from marketcraft.opportunity.commands import (
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    PlaceOrder,
)
from marketcraft.opportunity.journal import ProgramJournal
from marketcraft.opportunity.receipts import (
    check_inclusion,
    check_order,
    order_from_plain,
    order_hash,
    receipt_bytes,
    verify_receipt,
)
from marketcraft.opportunity.terms import ProgramTerms, Side
from tests.support.opportunity_fixtures import SIGNER, T0, settled_journal

runner = CliRunner()
SENT = {"market_id": "m1", "side": "buy", "max_spend": "40", "limit_price": "0.05"}
SALT = bytes([3]) * 32


def opened() -> ProgramJournal:
    journal = ProgramJournal("p-bind", SIGNER)
    terms = ProgramTerms(market_budget=D(2000), window_seconds=86400)
    journal.handle(OpenProgram("p-bind", "Binding", D(10_000), terms), Context("label", T0))
    journal.handle(ListMarket("m1", "Will we sign Ada?"), Context("label", T0))
    journal.handle(DepositCash(D(500)), Context("fan", T0))
    return journal


def place(journal: ProgramJournal, limit: str):
    order = PlaceOrder(
        "o-1", "m1", Side.BUY, SALT, max_spend=D(40), limit_price=D(limit)
    )  # what the platform logs
    return journal.handle(order, Context("fan", T0 + timedelta(minutes=1))).receipt


def verify(tmp_path, receipt, sent=SENT, *extra):
    r, o = tmp_path / "r.json", tmp_path / "order.json"
    r.write_text(json.dumps({"receipt": to_plain(receipt)}))
    o.write_text(json.dumps(sent))
    args = ["opportunity", "verify", "--receipt", str(r), "--order", str(o)]
    return runner.invoke(app, [*args, "--public-key", SIGNER.public_key.hex(), *extra])


def test_the_honest_receipt_matches_the_order_sent(tmp_path):
    receipt = place(opened(), "0.05")
    assert check_order(receipt, order_from_plain(SENT, receipt.order_id)) == []
    # the same order written as the API's decimals may be (trailing zeros, numbers)
    again = {**SENT, "max_spend": 40, "limit_price": "0.050"}
    assert check_order(receipt, order_from_plain(again, receipt.order_id)) == []
    result = verify(tmp_path, receipt)
    assert result.exit_code == 0, result.output
    assert "1 match the orders you sent" in result.output


def test_a_changed_limit_price_is_caught_by_the_scout(tmp_path):
    receipt = place(opened(), "0.5")  # logged and receipted with another limit
    assert receipt is not None
    assert verify_receipt(receipt, SIGNER.public_key) == []  # the platform's own signature
    problems = check_order(receipt, order_from_plain(SENT, receipt.order_id))
    assert problems == ["the receipt's order hash is not the hash of the order you sent"]
    result = verify(tmp_path, receipt)
    assert result.exit_code == 1
    assert "FAIL receipt o-1: the receipt's order hash is not the hash" in result.output


def test_unreadable_or_unpinned_input_is_a_failure_never_an_ok(tmp_path):
    receipt = place(opened(), "0.05")
    unreadable = runner.invoke(app, ["opportunity", "verify", "--receipt", "/dev/null"])
    assert unreadable.exit_code == 1 and "FAIL input" in unreadable.output
    r = tmp_path / "r.json"
    r.write_text(json.dumps({"receipt": to_plain(receipt)}))
    unpinned = runner.invoke(app, ["opportunity", "verify", "--receipt", str(r)])
    assert unpinned.exit_code == 1 and "--public-key" in unpinned.output
    other_key = Signer(bytes(32)).public_key.hex()
    wrong = runner.invoke(
        app, ["opportunity", "verify", "--receipt", str(r), "--public-key", other_key]
    )
    assert wrong.exit_code == 1 and "signature is invalid" in wrong.output


def test_the_order_hash_leaves_out_the_salt_and_covers_everything_else():
    honest = PlaceOrder("o-1", "m1", Side.BUY, SALT, max_spend=D(40), limit_price=D("0.05"))
    ctx = Context("fan", T0)
    assert order_hash(honest, ctx) == order_hash(dataclasses.replace(honest, salt=b"x"), ctx)
    changes = [
        dataclasses.replace(honest, limit_price=D("0.5")),
        dataclasses.replace(honest, max_spend=D(41)),
        dataclasses.replace(honest, side=Side.SELL),
        dataclasses.replace(honest, market_id="m2"),
        dataclasses.replace(honest, order_id="o-2"),
    ]
    assert len({order_hash(c, ctx) for c in [honest, *changes]}) == 6
    assert order_hash(honest, Context("other", T0)) != order_hash(honest, ctx)
    assert order_hash(honest, Context("fan", T0 + timedelta(1))) != order_hash(honest, ctx)


def test_an_inclusion_proof_checks_against_the_next_checkpoint():
    journal = opened()
    before = journal.signed_checkpoint(T0)
    receipt = place(journal, "0.05")
    assert journal.inclusion("o-1", before) is None  # that checkpoint does not cover it
    assert journal.inclusion("o-unknown", journal.signed_checkpoint(T0)) is None
    checkpoint = journal.signed_checkpoint(T0 + timedelta(minutes=2))
    inclusion = journal.inclusion("o-1", checkpoint)
    assert inclusion is not None and inclusion.leaf_index == 3
    assert check_inclusion(receipt, inclusion, SIGNER.public_key) == []
    # late: a checkpoint after the receipt's merge_by breaks the promise
    late = journal.signed_checkpoint(receipt.merge_by + timedelta(seconds=1))
    late_inclusion = journal.inclusion("o-1", late)
    assert late_inclusion is not None
    assert any(
        "merged late" in p for p in check_inclusion(receipt, late_inclusion, SIGNER.public_key)
    )
    # another key's checkpoint, another entry's proof, another log
    forged = dataclasses.replace(
        inclusion, checkpoint=journal.log.signed_checkpoint(
            T0 + timedelta(minutes=2), Signer(bytes(32)), origin=journal.origin)
    )  # fmt: skip
    assert check_inclusion(receipt, forged, SIGNER.public_key)
    shifted = dataclasses.replace(inclusion, leaf_index=2)
    assert check_inclusion(receipt, shifted, SIGNER.public_key)
    elsewhere = dataclasses.replace(
        inclusion, checkpoint=journal.log.signed_checkpoint(
            T0 + timedelta(minutes=2), SIGNER, origin="other.example/log")
    )  # fmt: skip
    assert any("another log" in p for p in check_inclusion(receipt, elsewhere, SIGNER.public_key))


def test_the_signed_bytes_are_the_receipt_with_an_empty_signature_under_its_batch_root():
    _, receipts, _ = settled_journal()
    for receipt in receipts:
        plain = dataclasses.replace(receipt, signature=b"", batch_index=0, batch_path=())
        generic = canonical_json(to_plain(plain))
        assert receipt_bytes(receipt) == b"marketcraft/receipt/v3\n" + generic
        # RFC 6962 hashing written out here: leaf, then the path up a 64-leaf perfect tree
        node = hashlib.sha256(b"\x00" + receipt_bytes(receipt)).digest()
        index = receipt.batch_index
        assert len(receipt.batch_path) == 6
        for sibling in receipt.batch_path:
            pair = sibling + node if index & 1 else node + sibling
            node, index = hashlib.sha256(b"\x01" + pair).digest(), index >> 1
        statement = b"marketcraft/receipt-batch/v1\n" + node
        VerifyKey(SIGNER.public_key).verify(statement, receipt.signature)  # raises if not
        assert verify_receipt(receipt, SIGNER.public_key) == []


def test_a_downloads_own_order_is_checked_when_no_order_is_given(tmp_path):
    journal = opened()
    receipt = place(journal, "0.05")
    download = {"receipt": to_plain(receipt), "order": {"type": "opportunity.place_order",
                "data": {"order_id": "o-1", **SENT}}}  # fmt: skip
    r = tmp_path / "r.json"
    key = ["--public-key", SIGNER.public_key.hex()]
    r.write_text(json.dumps(download))
    ok = runner.invoke(app, ["opportunity", "verify", "--receipt", str(r), *key])
    assert ok.exit_code == 0 and "1 the order their download holds" in ok.output
    download["order"]["data"]["max_spend"] = "20"  # edited after the fact
    r.write_text(json.dumps(download))
    edited = runner.invoke(app, ["opportunity", "verify", "--receipt", str(r), *key])
    assert edited.exit_code == 1 and "not the hash of the order" in edited.output


def test_a_checkpoint_from_before_the_order_is_refused():
    journal = opened()
    receipt = place(journal, "0.05")
    early = journal.signed_checkpoint(receipt.accepted_at - timedelta(minutes=30))
    inclusion = journal.inclusion("o-1", early)
    assert inclusion is not None
    assert "the checkpoint predates the order" in check_inclusion(
        receipt, inclusion, SIGNER.public_key
    )
