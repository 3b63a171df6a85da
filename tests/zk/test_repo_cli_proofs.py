"""`marketcraft repo commit | prove | verify | settle | contribute` with a real setup (K = 4): a
dealer commits (and seals), the contract proves, an auditor verifies, and every tampering of
the published settlement is named."""

import json
import stat

import pytest
from typer.testing import CliRunner

from marketcraft.cli import app
from marketcraft.repo.schedule import Side
from marketcraft.repo.sealing import ContractKey, Opening, open_box

runner = CliRunner()
GRID = [0, 5, 10, 15]
MM = {"volumes": GRID, "rates": [500 + q for q in GRID], "hurdle": 0}
RM = {"volumes": GRID, "rates": [540 - q for q in GRID], "hurdle": 0}


@pytest.fixture
def cache(zk_setup, zk_cache, monkeypatch):
    monkeypatch.setenv("MARKETCRAFT_CACHE", str(zk_cache))
    return zk_setup


def run(*args):
    return runner.invoke(app, ["repo", *map(str, args)])


def reports(tmp_path, mm=MM, rm=RM):
    (tmp_path / "mm.json").write_text(json.dumps(mm))
    (tmp_path / "rm.json").write_text(json.dumps(rm))
    return tmp_path / "mm.json", tmp_path / "rm.json"


def test_commit_prove_verify(tmp_path, cache):
    mm, rm = reports(tmp_path)
    key = ContractKey.generate()
    done = run(
        "commit", mm, "--side", "mm", "--out", tmp_path / "mm.open", "--seal-to", key.public.hex()
    )
    assert done.exit_code == 0, done.output
    opening = Opening.from_plain(json.loads((tmp_path / "mm.open").read_text()), "mm.open")
    assert int(done.output.strip()) == opening.commitment
    assert stat.S_IMODE((tmp_path / "mm.open").stat().st_mode) == 0o600  # it holds the salt
    sealed = (tmp_path / "mm.open.sealed").read_bytes()
    assert open_box(sealed, key, Side.MM) == opening
    assert run("commit", rm, "--side", "rm", "--out", tmp_path / "rm.open").exit_code == 0

    done = run("prove", tmp_path / "mm.open", tmp_path / "rm.open", "--out", tmp_path / "s.json")
    assert done.exit_code == 0, done.output
    settlement = json.loads((tmp_path / "s.json").read_text())
    assert settlement["outcome"] == {
        "trade": True, "volume": 10, "rate_mm": "510", "rate_rm": "530", "rate_bd": "520",
        "joint_profit": "200", "profit_each": "100",
    }  # fmt: skip
    assert settlement["commitments"]["mm"] == str(opening.commitment)
    assert settlement["setup"] == cache.id
    done = run("verify", tmp_path / "s.json")
    assert done.exit_code == 0, done.output
    assert done.output.count("ok") == 8 and "FAILED" not in done.output
    assert "ok  the setup's ceremony verified" in done.output
    for contribution in cache.ceremony().contributions:  # who contributed, and each hash
        shown = f"phase {contribution.phase} #{contribution.number} by {contribution.name}: "
        assert shown + contribution.hash in done.output
    # the auditor may hold the key itself rather than trust the cache
    vkey = tmp_path / "vk.json"
    vkey.write_text(json.dumps(cache.vkey))
    assert run("verify", tmp_path / "s.json", "--vkey", vkey).exit_code == 0


@pytest.mark.parametrize(
    ("tamper", "failed"),
    [
        (lambda s: s["outcome"].update(volume=15), "public signals match"),
        (lambda s: s["outcome"].update(rate_bd=521.0), "derived figures consistent"),
        (
            lambda s: s["commitments"].update(mm=str(int(s["commitments"]["mm"]) + 1)),
            "public signals",
        ),
        (lambda s: s["grid"].__setitem__(3, 16), "public signals match"),
        (lambda s: s["public"].__setitem__(4, "15"), "verified by snarkjs"),
        (lambda s: s["proof"]["pi_a"].__setitem__(0, "1"), "verified by the Python verifier"),
        (lambda s: s.update(setup="0" * 64), "setup matches"),
        (lambda s: s.pop("proof"), "well-formed"),
    ],
)
def test_every_tampering_of_a_settlement_is_named(tmp_path, cache, tamper, failed):
    mm, rm = reports(tmp_path)
    done = run("settle", mm, rm, "--out", tmp_path / "s.json", "--json")
    assert done.exit_code == 0, done.output
    printed = json.loads(done.output)
    assert printed["volume"] == 10 and printed["setup"] == cache.id and "proof" in printed
    settlement = json.loads((tmp_path / "s.json").read_text())
    tamper(settlement)
    (tmp_path / "bad.json").write_text(json.dumps(settlement))
    done = run("verify", tmp_path / "bad.json", "--setup", cache.id)
    assert done.exit_code == 1, done.output
    assert any("FAILED" in line and failed in line for line in done.output.splitlines())


def test_settle_says_what_to_do_without_a_setup_for_the_grid(tmp_path, cache):
    wide = [0, 1, 2, 3, 4]
    mm, rm = reports(
        tmp_path,
        {"volumes": wide, "rates": [500 + q for q in wide]},
        {"volumes": wide, "rates": [540 - q for q in wide]},
    )
    done = run("settle", mm, rm)
    assert done.exit_code == 2
    assert "no proof setup for a 5-point grid" in done.output
    assert "repo setup --grid-size 5" in done.output
    done = run("settle", mm, rm, "--setup", cache.id)
    assert done.exit_code == 2 and "is for a 4-point grid, not 5" in done.output
    assert run("settle", mm, rm, "--no-proof", "--json").exit_code == 0


def test_an_opening_for_the_wrong_side_is_refused(tmp_path, cache):
    mm, _ = reports(tmp_path)
    assert run("commit", mm, "--side", "mm", "--out", tmp_path / "mm.open").exit_code == 0
    done = run("prove", tmp_path / "mm.open", tmp_path / "mm.open", "--out", tmp_path / "s.json")
    assert done.exit_code == 2 and "expected the rm side" in done.output
    assert run("commit", mm, "--side", "xx", "--out", tmp_path / "x").exit_code == 2


def test_a_settlement_over_other_commitments_than_the_posted_ones_fails(tmp_path, cache):
    """The contract proves over another MM opening (same report, another salt): the
    settlement is consistent on its own, and only the posted commitments expose it."""
    mm, rm = reports(tmp_path)
    posted_mm = run("commit", mm, "--side", "mm", "--out", tmp_path / "mm.open")
    assert run("commit", rm, "--side", "rm", "--out", tmp_path / "rm.open").exit_code == 0
    assert run("commit", mm, "--side", "mm", "--out", tmp_path / "other.open").exit_code == 0
    proved = run(
        "prove", tmp_path / "other.open", tmp_path / "rm.open", "--out", tmp_path / "s.json"
    )
    assert proved.exit_code == 0, proved.output

    alone = run("verify", tmp_path / "s.json")
    assert alone.exit_code == 0 and "not checked against posted ones" in alone.output
    against = ["--posted-mm", posted_mm.output.strip(), "--posted-rm", tmp_path / "rm.open"]
    caught = run("verify", tmp_path / "s.json", *against)
    assert caught.exit_code == 1, caught.output
    assert any(
        "FAILED" in line and "commitments are the ones the dealers posted" in line
        for line in caught.output.splitlines()
    )
    assert (
        run(
            "prove", tmp_path / "mm.open", tmp_path / "rm.open", "--out", tmp_path / "h.json"
        ).exit_code
        == 0
    )
    honest = run("verify", tmp_path / "h.json", *against)
    assert honest.exit_code == 0, honest.output
    assert f"commitment mm: {posted_mm.output.strip()}" in honest.output
    assert "ok  commitments are the ones the dealers posted" in honest.output
    one_only = run("verify", tmp_path / "h.json", "--posted-mm", posted_mm.output.strip())
    assert one_only.exit_code == 2 and "pass both" in one_only.output


def test_negative_rates_are_proved_through_the_offset_and_verified(tmp_path, cache):
    """A EUR desk's rates (below zero) with a 600 bp offset: the settlement states the offset,
    shows the clients' own rates and verifies; another offset does not."""
    eur_mm = {"volumes": GRID, "rates": [-500 + q for q in GRID], "hurdle": 0, "offset": 600}
    eur_rm = {"volumes": GRID, "rates": [-460 - q for q in GRID], "hurdle": 0, "offset": 600}
    mm, rm = reports(tmp_path, eur_mm, eur_rm)
    done = run("settle", mm, rm, "--out", tmp_path / "s.json", "--json")
    assert done.exit_code == 0, done.output
    settlement = json.loads((tmp_path / "s.json").read_text())
    assert settlement["rate_offset"] == "600"
    assert settlement["outcome"] == {
        "trade": True, "volume": 10, "rate_mm": "-490", "rate_rm": "-470", "rate_bd": "-480",
        "joint_profit": "200", "profit_each": "100",
    }  # fmt: skip
    assert settlement["public"][5:] == ["1100000", "1300000"]  # offset rates, in rate units
    assert run("verify", tmp_path / "s.json").exit_code == 0
    settlement["rate_offset"] = "601"
    (tmp_path / "bad.json").write_text(json.dumps(settlement))
    done = run("verify", tmp_path / "bad.json")
    assert done.exit_code == 1
    assert any("FAILED" in line and "public signals" in line for line in done.output.splitlines())
