"""examples/repo/ is what `marketcraft repo examples` writes, file for file and byte for byte,
and each example settles from the command line as its outcome file says."""

import json
from pathlib import Path

from typer.testing import CliRunner

from marketcraft.cli import app
from marketcraft.repo.examples import example_files

EXAMPLES = Path(__file__).parents[2] / "examples" / "repo"


def test_the_committed_examples_are_what_the_command_writes(tmp_path):
    done = CliRunner().invoke(app, ["repo", "examples", "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    written = {p.name: p.read_text() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_text() for p in EXAMPLES.iterdir()}
    assert written == committed == example_files(), (
        "examples/repo/ is stale: run `marketcraft repo examples`"
    )


def test_each_example_settles_as_its_outcome_file_says():
    pairs = {name.removesuffix("-mm.json") for name in example_files() if name.endswith("-mm.json")}
    assert pairs == {"linear", "hurdle", "eur", "demo"}
    for pair in sorted(pairs):
        mm, rm = EXAMPLES / f"{pair}-mm.json", EXAMPLES / f"{pair}-rm.json"
        done = CliRunner().invoke(app, ["repo", "settle", str(mm), str(rm), "--no-proof", "--json"])
        assert done.exit_code == 0, done.output
        assert json.loads(done.output) == json.loads(
            (EXAMPLES / f"{pair}-outcome.json").read_text()
        )
    eur = json.loads((EXAMPLES / "eur-outcome.json").read_text())
    assert eur["trade"] and eur["rate_mm"].startswith("-")  # negative rates, through the offset
    assert not json.loads((EXAMPLES / "hurdle-outcome.json").read_text())["trade"]
