"""Commitments to sealed reports, computed exactly as the circuit computes them.

``commitment = Chain(Pack(rates) || hurdle || salt)`` and ``grid = Chain(Pack(volumes))``:
Pack puts 8 values of 31 bits in one field element (the first value in the lowest bits), and
Chain starts from the element count and absorbs 15 elements (zero-padded) per Poseidon(16)
call. The salt is a uniformly random field element, so a commitment hides the report; Poseidon's
collision resistance binds it."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from marketcraft.repo.poseidon import FIELD, poseidon
from marketcraft.repo.schedule import LIMIT, Report

__all__ = ["SLOT_BITS", "chain", "commit", "grid_hash", "new_salt", "pack"]

SLOT_BITS = 31
PER_ELEMENT = 8
BLOCK = 15


def pack(values: Sequence[int]) -> list[int]:
    out = []
    for start in range(0, len(values), PER_ELEMENT):
        acc = 0
        for j, v in enumerate(values[start : start + PER_ELEMENT]):
            if not 0 <= v < LIMIT:
                raise ValueError("packed values must be in 0..2^31-1")
            acc |= v << (SLOT_BITS * j)
        out.append(acc)
    return out


def chain(elements: Sequence[int]) -> int:
    if not elements:
        raise ValueError("nothing to hash")
    acc = len(elements)
    for start in range(0, len(elements), BLOCK):
        block = list(elements[start : start + BLOCK])
        acc = poseidon([acc, *block, *([0] * (BLOCK - len(block)))])
    return acc


def commit(report: Report, salt: int) -> int:
    """The commitment a dealer posts before the deadline."""
    if not 0 <= salt < FIELD:
        raise ValueError("the salt must be a field element")
    return chain([*pack(report.rates), report.hurdle, salt])


def grid_hash(volumes: Sequence[int]) -> int:
    return chain(pack(volumes))


def new_salt() -> int:
    return secrets.randbelow(FIELD)
