"""The Poseidon hash over the BN254 scalar field, as circomlib's ``Poseidon(n)`` template and
circomlibjs compute it (x^5 S-box, 8 full rounds, the partial rounds of the Poseidon paper's
table for each width, state ``[0, inputs...]``, output ``state[0]``).

The round constants and the Cauchy MDS matrix are not shipped: they are regenerated from the
paper's Grain LFSR with the parameters (prime field, x^alpha S-box, 254-bit field, width t,
R_F = 8, R_P), exactly as the reference parameter script draws them. Tests hash the same inputs
with circomlibjs and compare."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache

from marketcraft.kernel.errors import ValidationError

__all__ = ["FIELD", "FIELD_DIGITS", "FIELD_TEXT_PATTERN", "MAX_INPUTS", "field_element", "poseidon"]

#: the BN254 scalar field (circom's and snarkjs's ``bn128``)
FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: the most decimal digits a field element has (77)
FIELD_DIGITS = len(str(FIELD - 1))
#: a field element written in decimal: ASCII digits only (``str.isdigit`` would also pass
#: ``"²"`` and ``"١٢"``), never longer than the field's
FIELD_TEXT_PATTERN = rf"^[0-9]{{1,{FIELD_DIGITS}}}$"
_FIELD_TEXT = re.compile(FIELD_TEXT_PATTERN)
FULL_ROUNDS = 8
PARTIAL_ROUNDS = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
MAX_INPUTS = len(PARTIAL_ROUNDS)
_FIELD_BITS = 254


def field_element(text: object, what: str, code: str) -> int:
    """``text``, decimal text of a field element (commitments, salts), as an int.

    Raises :class:`ValidationError` (``code``) naming ``what`` for anything else: not text,
    not ASCII digits, longer than :data:`FIELD_DIGITS`, or not below :data:`FIELD`."""
    if isinstance(text, str) and _FIELD_TEXT.match(text) and int(text) < FIELD:
        return int(text)
    raise ValidationError(code, f"{what} must be a field element as decimal text")


def _grain(t: int, partial: int) -> Iterator[int]:
    """The Grain LFSR bit stream seeded with the instance's parameters (self-shrinking output)."""
    seed = f"{1:02b}{0:04b}{_FIELD_BITS:012b}{t:012b}{FULL_ROUNDS:010b}{partial:010b}" + "1" * 30
    bits = [int(c) for c in seed]

    def step() -> int:
        new = bits[62] ^ bits[51] ^ bits[38] ^ bits[23] ^ bits[13] ^ bits[0]
        bits.pop(0)
        bits.append(new)
        return new

    for _ in range(160):
        step()
    while True:
        first, second = step(), step()
        while first == 0:  # a pair starting with 0 is dropped
            first, second = step(), step()
        yield second


def _number(stream: Iterator[int]) -> int:
    value = 0
    for _ in range(_FIELD_BITS):
        value = (value << 1) | next(stream)
    return value


@cache
def _parameters(t: int) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    partial = PARTIAL_ROUNDS[t - 2]
    stream = _grain(t, partial)
    constants: list[int] = []
    while len(constants) < (FULL_ROUNDS + partial) * t:
        value = _number(stream)
        if value < FIELD:  # rejection sampling
            constants.append(value)
    while True:
        points = [_number(stream) % FIELD for _ in range(2 * t)]
        xs, ys = points[:t], points[t:]
        if len(set(points)) == 2 * t and all((x + y) % FIELD for x in xs for y in ys):
            break
    mds = tuple(tuple(pow(x + y, -1, FIELD) for y in ys) for x in xs)
    return tuple(constants), mds


def poseidon(inputs: Sequence[int]) -> int:
    """``Poseidon(inputs)`` for 1..16 field elements (each in ``0..FIELD-1``)."""
    n = len(inputs)
    if not 1 <= n <= MAX_INPUTS:
        raise ValueError(f"Poseidon takes 1 to {MAX_INPUTS} inputs, not {n}")
    if any(not 0 <= x < FIELD for x in inputs):
        raise ValueError("Poseidon inputs must be field elements")
    t = n + 1
    constants, mds = _parameters(t)
    partial = PARTIAL_ROUNDS[t - 2]
    half = FULL_ROUNDS // 2
    p = FIELD
    state = [0, *inputs]
    for r in range(FULL_ROUNDS + partial):
        offset = r * t
        state = [(a + constants[offset + i]) % p for i, a in enumerate(state)]
        if r < half or r >= half + partial:
            state = [pow(a, 5, p) for a in state]
        else:
            state[0] = pow(state[0], 5, p)
        state = [sum(m * a for m, a in zip(row, state, strict=True)) % p for row in mds]
    return state[0]
