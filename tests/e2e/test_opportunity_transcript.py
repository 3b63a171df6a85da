"""Export, replay and verify a program's transcript; every tampering is caught and named."""

import copy
import dataclasses
import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from marketcraft.__about__ import __version__
from marketcraft.cli import app
from marketcraft.kernel import AppendOnlyLog, Signer
from marketcraft.kernel.checkpoints import open_checkpoint, sign_checkpoint
from marketcraft.kernel.messages import canonical_json
from marketcraft.opportunity.receipts import receipt_bytes, receipt_to_json, verify_receipt
from marketcraft.opportunity.transcript import export_transcript, verify_transcript
from tests.support.opportunity_fixtures import SIGNER, T0, settled_journal

runner = CliRunner()


@pytest.fixture(scope="module")
def program():
    journal, receipts, checkpoints = settled_journal()
    doc = export_transcript(
        journal.origin, journal.records, checkpoints, SIGNER, T0 + timedelta(days=30)
    )
    return doc, receipts


def edit_events(doc, index, change):
    events = json.loads(doc["records"][index]["events"])
    change(events)
    doc["records"][index]["events"] = b"[" + b",".join(canonical_json(e) for e in events) + b"]"
    doc["records"][index]["events"] = doc["records"][index]["events"].decode()


def record_index(doc, command_type):
    return next(
        i
        for i, r in enumerate(doc["records"])
        if json.loads(r["command"])["command"]["type"] == command_type
    )


def test_a_faithful_transcript_and_its_receipts_verify(program):
    doc, receipts = program
    assert verify_transcript(doc, receipts) == []
    assert verify_transcript(doc, receipts, SIGNER.public_key) == []
    assert all(verify_receipt(r, SIGNER.public_key) == [] for r in receipts)


def mutate_fill(doc):
    i = record_index(doc, "opportunity.place_order")
    edit_events(
        doc, i, lambda evs: evs[0]["data"].update(shares=str(float(evs[0]["data"]["shares"]) + 1))
    )


def drop_event(doc):
    i = record_index(doc, "opportunity.resolve_market")
    edit_events(doc, i, lambda evs: evs.pop(0))


def drop_record(doc):
    del doc["records"][7]


def reorder_records(doc):
    doc["records"][7], doc["records"][8] = doc["records"][8], doc["records"][7]


def alter_command_salt(doc):
    i = record_index(doc, "opportunity.place_order")
    plain = json.loads(doc["records"][i]["command"])
    plain["command"]["data"]["salt"] = "ff" * 32
    doc["records"][i]["command"] = canonical_json(plain).decode()


def alter_event_salt(doc):
    i = record_index(doc, "opportunity.place_order")
    edit_events(doc, i, lambda evs: evs[0]["data"].update(salt="ee" * 32))


def forge_checkpoint_root(doc):
    origin, size, _, rest = doc["checkpoints"][0].split("\n", 3)
    doc["checkpoints"][0] = "\n".join([origin, size, "A" * 43 + "=", rest])


def resign_with_another_key(doc):
    forger = Signer(bytes(32))
    cps = [open_checkpoint(c, SIGNER.public_key) for c in doc["checkpoints"]]
    doc["checkpoints"] = [sign_checkpoint(c.checkpoint, forger).note for c in cps]
    doc["public_key"] = forger.public_key.hex()


def checkpoints_withheld(doc):
    doc["checkpoints"] = doc["checkpoints"][-1:]  # only the final one: receipts merged late


def another_engine_version(doc):
    doc["engine_version"] = "9.9.9"


def an_old_format(doc):
    doc["format"] = "marketcraft/opportunity-transcript/1"


def a_repeated_checkpoint(doc):
    doc["checkpoints"].append(doc["checkpoints"][-1])


def sponsor_payout_skim(doc):
    i = record_index(doc, "opportunity.settle_program")
    edit_events(doc, i, lambda evs: evs[0]["data"].update(dust_to_sponsor="5.00"))


MUTATIONS = [
    (mutate_fill, "differ from the replay"),
    (drop_event, "differ from the replay"),
    (drop_record, "root differs from the records"),
    (reorder_records, "root differs from the records"),
    (alter_command_salt, "not in the transcript's log"),
    (alter_event_salt, "differ from the replay"),
    (forge_checkpoint_root, "checkpoint 0"),
    (resign_with_another_key, "receipt signature"),
    (sponsor_payout_skim, "differ from the replay"),
    (checkpoints_withheld, "as promised"),
    (another_engine_version, f"engine version '9.9.9', this is {__version__}"),
    (an_old_format, "format 'marketcraft/opportunity-transcript/1'"),
    (a_repeated_checkpoint, "repeats the previous checkpoint's size"),
]


@pytest.mark.parametrize(("mutation", "named"), MUTATIONS, ids=[m.__name__ for m, _ in MUTATIONS])
def test_every_mutation_is_caught_and_named(program, mutation, named):
    doc, receipts = program
    forged = copy.deepcopy(doc)
    mutation(forged)
    failures = verify_transcript(forged, receipts)
    assert failures, mutation.__name__
    assert any(named in f for f in failures), failures


def test_a_tampered_receipt_is_caught(program):
    doc, receipts = program

    bad = dataclasses.replace(receipts[0], commitment=bytes(32))
    failures = verify_transcript(doc, [bad])
    assert any("signature" in f for f in failures)
    other = dataclasses.replace(receipts[0], leaf_hash=receipts[1].leaf_hash)
    assert verify_transcript(doc, [other])
    # re-signed by the platform for another order's entry: the entry is not this order
    resigned = dataclasses.replace(
        other,
        signature=SIGNER.sign(receipt_bytes(other)),
    )
    failures = verify_transcript(doc, [resigned])
    assert any("not the order it acknowledged" in f for f in failures), failures


def test_the_cli_verifies_and_fails_with_reasons(program, tmp_path):
    doc, receipts = program
    good = tmp_path / "transcript.json"
    good.write_text(json.dumps(doc))
    paths = []
    for r in receipts:
        path = tmp_path / f"{r.order_id}.receipt.json"
        path.write_bytes(receipt_to_json(r))
        paths += ["--receipt", str(path)]
    ok = runner.invoke(
        app, ["opportunity", "verify", str(good), *paths, "--public-key", SIGNER.public_key.hex()]
    )
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output
    forged = copy.deepcopy(doc)
    mutate_fill(forged)
    bad = tmp_path / "forged.json"
    bad.write_text(json.dumps(forged))
    key = ["--public-key", SIGNER.public_key.hex()]
    fail = runner.invoke(app, ["opportunity", "verify", str(bad), *paths, *key])
    assert fail.exit_code == 1
    assert "FAIL record" in fail.output
    # a transcript's own key proves only that the file agrees with itself: it is never used
    unpinned = runner.invoke(app, ["opportunity", "verify", str(good), *paths])
    assert unpinned.exit_code == 1 and "give --public-key" in unpinned.output
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert runner.invoke(app, ["opportunity", "verify", str(garbage)]).exit_code == 1


def test_a_checkpoint_seen_elsewhere_must_be_of_this_log(program):
    """A split view: the platform signed, for an inclusion proof, a checkpoint of another
    history of the same log. The transcript alone cannot know; given the checkpoint, it names
    it."""
    doc, receipts = program
    honest = open_checkpoint(doc["checkpoints"][3], SIGNER.public_key)
    assert verify_transcript(doc, receipts, SIGNER.public_key, seen=[honest]) == []
    other = AppendOnlyLog(honest.checkpoint.origin)
    other.append(b"another history")
    forged = sign_checkpoint(
        other.checkpoint(T0, origin=honest.checkpoint.origin), SIGNER
    )  # fmt: skip
    failures = verify_transcript(doc, receipts, SIGNER.public_key, seen=[forged])
    assert any("two histories" in f for f in failures), failures
