"""A pure-Python Groth16 verifier over BN254 (py_ecc), for snarkjs's JSON proof, public signals
and verification key: the auditor's check that needs no Node and no trust in snarkjs.

Accepts only well-formed input: affine coordinates below the base field's modulus, points on
their curves, the proof's G2 point in the prime-order subgroup, public signals below the group
order and as many as the key expects. Then checks
``e(A, B) = e(alpha, beta) * e(IC_0 + sum x_i IC_i, gamma) * e(C, delta)``."""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["ProofFormatError", "verify"]


@functools.cache
def _curve() -> Any:
    """py_ecc's optimised BN254, imported on the first proof checked, never at start-up.

    Importing py_ecc raises the interpreter's recursion limit to 100,000 for the whole process;
    with that limit a deeply nested JSON body overflows the C stack in any parser and kills the
    process. The optimised curve needs no deep recursion (its scalar multiplication recurses
    log2(n) <= 254 deep), so the limit is put back as soon as the import is done."""
    limit = sys.getrecursionlimit()
    try:
        from py_ecc import optimized_bn128  # noqa: PLC0415 (slow start)
    finally:
        sys.setrecursionlimit(limit)
    return optimized_bn128  # typed Any: its names are not re-exported for type checkers


#: BN254's base field modulus and group order (py_ecc's ``field_modulus`` and ``curve_order``)
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617


class ProofFormatError(ValueError):
    """The proof, key or public signals are malformed (which also means: not verified)."""


def _int(value: object, bound: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ProofFormatError(f"{what}: expected a decimal number")
    try:
        number = int(value)
    except ValueError:
        raise ProofFormatError(f"{what}: expected a decimal number") from None
    if not 0 <= number < bound:
        raise ProofFormatError(f"{what}: out of range")
    return number


def _g1(value: Any, what: str) -> Any:
    bn = _curve()
    if not isinstance(value, list) or len(value) != 3:
        raise ProofFormatError(f"{what}: expected [x, y, 1]")
    x, y, z = (_int(v, Q, what) for v in value)
    if z != 1:
        raise ProofFormatError(f"{what}: expected affine coordinates (z = 1)")
    point = (bn.FQ(x), bn.FQ(y), bn.FQ.one())
    if not bn.is_on_curve(point, bn.b):
        raise ProofFormatError(f"{what}: not on the curve")
    return point  # G1 has cofactor 1: on the curve is in the group


def _g2(value: Any, what: str, *, subgroup: bool) -> Any:
    if (
        not isinstance(value, list)
        or len(value) != 3
        or any(not isinstance(c, list) or len(c) != 2 for c in value)
    ):
        raise ProofFormatError(f"{what}: expected [[x0, x1], [y0, y1], [1, 0]]")
    bn = _curve()
    (x0, x1), (y0, y1), (z0, z1) = ((_int(a, Q, what), _int(b, Q, what)) for a, b in value)
    if (z0, z1) != (1, 0):
        raise ProofFormatError(f"{what}: expected affine coordinates (z = 1)")
    point = (bn.FQ2([x0, x1]), bn.FQ2([y0, y1]), bn.FQ2.one())
    if not bn.is_on_curve(point, bn.b2):
        raise ProofFormatError(f"{what}: not on the twist")
    if subgroup and not bn.is_inf(bn.multiply(point, R)):
        raise ProofFormatError(f"{what}: not in the prime-order subgroup")
    return point


def verify(vkey: dict[str, Any], public: Sequence[object], proof: dict[str, Any]) -> bool:
    """True when ``proof`` proves ``public`` under ``vkey``; False when the pairing check fails;
    ProofFormatError when any of the three is malformed."""
    bn = _curve()
    if vkey.get("protocol") != "groth16" or vkey.get("curve") != "bn128":
        raise ProofFormatError("the verification key is not a groth16 bn128 key")
    if proof.get("protocol", "groth16") != "groth16":
        raise ProofFormatError("the proof is not a groth16 proof")
    ic = vkey.get("IC")
    if not isinstance(ic, list) or len(ic) != len(public) + 1:
        raise ProofFormatError(
            f"the key expects {len(ic) - 1 if isinstance(ic, list) else '?'} public signals, "
            f"got {len(public)}"
        )
    inputs = [_int(x, R, f"public signal {i}") for i, x in enumerate(public)]
    alpha = _g1(vkey.get("vk_alpha_1"), "vk_alpha_1")
    beta = _g2(vkey.get("vk_beta_2"), "vk_beta_2", subgroup=False)
    gamma = _g2(vkey.get("vk_gamma_2"), "vk_gamma_2", subgroup=False)
    delta = _g2(vkey.get("vk_delta_2"), "vk_delta_2", subgroup=False)
    points = [_g1(p, f"IC[{i}]") for i, p in enumerate(ic)]
    a = _g1(proof.get("pi_a"), "pi_a")
    b = _g2(proof.get("pi_b"), "pi_b", subgroup=True)
    c = _g1(proof.get("pi_c"), "pi_c")

    vk_x = points[0]
    for x, point in zip(inputs, points[1:], strict=True):
        if x:
            vk_x = bn.add(vk_x, bn.multiply(point, x))
    product = bn.FQ12.one()
    for g2, g1 in ((b, bn.neg(a)), (beta, alpha), (gamma, vk_x), (delta, c)):
        product *= bn.pairing(g2, g1, final_exponentiate=False)
    return bool(bn.final_exponentiate(product) == bn.FQ12.one())
