"""Parameter sweeps: ``NAME=V1,V2,...`` specs into a full grid of parameter sets."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from marketcraft.kernel.errors import ValidationError
from marketcraft.number_types import FLOAT_TEXT

__all__ = ["combinations", "parse_sweep"]


def parse_sweep(specs: Sequence[str], names: Mapping[str, str]) -> dict[str, list[float]]:
    """``["band=0.01,0.02"]`` -> ``{names["band"]: [0.01, 0.02]}``; ``names`` maps what a user
    may write to the parameter it sets."""
    out: dict[str, list[float]] = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        field = names.get(name.strip())
        if not sep or field is None:
            raise ValidationError(
                "bad_sweep",
                f"sweep {spec!r}: write NAME=V1,V2,... with NAME one of {sorted(names)}",
            )
        texts = [v.strip() for v in values.split(",") if v.strip()]
        if not all(FLOAT_TEXT.fullmatch(v) for v in texts):  # not nan, inf or other scripts' digits
            raise ValidationError("bad_sweep", f"sweep {spec!r}: values must be numbers")
        out[field] = [float(v) for v in texts]
        if not all(math.isfinite(v) for v in out[field]):  # 1e400 reads as inf
            raise ValidationError("bad_sweep", f"sweep {spec!r}: values must be finite numbers")
        if not out[field]:
            raise ValidationError("bad_sweep", f"sweep {spec!r}: no values")
    return out


def combinations(sweep: Mapping[str, Sequence[float]]) -> list[dict[str, float]]:
    """Every combination of the swept values, in order (one empty set without a sweep)."""
    names = list(sweep)
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(sweep[n] for n in names))
    ]
