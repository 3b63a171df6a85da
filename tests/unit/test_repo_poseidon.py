"""The Python Poseidon and commitments against circomlibjs (the JavaScript reference that
circom's Poseidon is checked against), and the commitment's packing."""

import json
import random
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketcraft.repo.commitment import chain, commit, grid_hash, pack
from marketcraft.repo.poseidon import FIELD, MAX_INPUTS, poseidon
from marketcraft.repo.schedule import Report, Side

SCRIPT = """
import { buildPoseidon } from "circomlibjs";
const cases = JSON.parse(process.argv[process.argv.length - 1]);
const p = await buildPoseidon();
console.log(JSON.stringify(cases.map(c => p.F.toString(p(c.map(BigInt))))));
"""


def circomlibjs(cases, node_modules):
    """Hash every case with circomlibjs."""
    done = subprocess.run(
        ["node", "--input-type=module", "-e", SCRIPT, json.dumps([[str(x) for x in c] for c in cases])],  # noqa: E501
        capture_output=True, text=True, check=False, cwd=node_modules.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [int(x) for x in json.loads(done.stdout)]


@pytest.fixture(scope="module")
def node_modules(node_tools):
    modules = node_tools["snarkjs"].parent.parent
    if not (modules / "circomlibjs").exists():
        pytest.fail("circomlibjs missing: run `npm ci` (it is a dev dependency)")
    return modules


def test_every_width_matches_circomlibjs(node_modules):
    rng = random.Random(7)
    cases = []
    for n in range(1, MAX_INPUTS + 1):
        cases.append([rng.randrange(FIELD) for _ in range(n)])
        cases.append(list(range(n)))  # small values and zeros
        cases.append([FIELD - 1] * n)  # the largest element
    assert [poseidon(c) for c in cases] == circomlibjs(cases, node_modules)


def test_commitments_are_poseidon_chains_that_circomlibjs_reproduces(node_modules):
    """The commitment is built only from Poseidon(16) calls, so checking each call against the
    reference checks the commitment; recompute it with circomlibjs block by block."""
    rng = random.Random(11)
    k = 40  # 5 packed elements + hurdle + salt: one block; the grid of 200 needs two blocks
    report = Report(
        Side.MM, tuple(range(k)), tuple(sorted(rng.randrange(2**31) for _ in range(k))), 5
    )
    salt = rng.randrange(FIELD)
    elements = [*pack(report.rates), report.hurdle, salt]
    block = [len(elements), *elements, *[0] * (15 - len(elements))]
    assert commit(report, salt) == circomlibjs([block], node_modules)[0]
    volumes = list(range(200))
    packed = pack(volumes)  # 25 elements: blocks of 15 and 10
    first = [len(packed), *packed[:15]]
    (h1,) = circomlibjs([first], node_modules)
    second = [h1, *packed[15:], *[0] * 5]
    assert grid_hash(volumes) == circomlibjs([second], node_modules)[0]


@given(st.lists(st.integers(0, 2**31 - 1), min_size=1, max_size=40))
def test_packing_is_injective_and_fits_the_field(values):
    packed = pack(values)
    assert all(0 <= e < FIELD for e in packed)
    unpacked = [(e >> (31 * j)) & (2**31 - 1) for e in packed for j in range(8)]
    assert unpacked[: len(values)] == values


def test_the_chain_binds_the_length_and_refuses_bad_input():
    assert chain([1, 2]) != chain([1, 2, 0])  # zero padding is not a collision
    with pytest.raises(ValueError):
        chain([])
    with pytest.raises(ValueError):
        pack([2**31])
    with pytest.raises(ValueError):
        poseidon([FIELD])
    with pytest.raises(ValueError):
        poseidon(list(range(17)))
