"""The example reports and outputs in ``examples/repo/`` (written by ``marketcraft repo
examples``, and held in sync with the code by a test): each pair of reports, the outcome the
contract selects for it (``repo settle --no-proof --json``) and what each dealer is told.

- ``linear``: the spec's linear schedules (r_mm = 500 + Q, r_rm = 540 - Q bp, Q = 0..40, no
  hurdles): Q* = 10 at 510/530 bp, the inter-dealer rate 520, a joint profit of 200;
- ``hurdle``: the same with a 20 bp hurdle on the MM side: no trade;
- ``eur``: negative rates (a EUR desk, -60 bp and below), through a 100 bp offset;
- ``demo``: a pair on the demo setup's 4-point grid, for the demo session of ``make run``."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from marketcraft.repo.legs import dealer_view
from marketcraft.repo.reports import report_from_plain
from marketcraft.repo.schedule import Side
from marketcraft.repo.selection import select
from marketcraft.repo.settlement import outcome_plain

__all__ = ["example_files"]

_LINEAR = list(range(41))
_DEMO = [0, 10, 20, 30]
_EUR = [0, 25, 50, 75, 100]
PAIRS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "linear": (
        {"volumes": _LINEAR, "rates": [500 + q for q in _LINEAR], "hurdle": 0},
        {"volumes": _LINEAR, "rates": [540 - q for q in _LINEAR], "hurdle": 0},
    ),
    "hurdle": (
        {"volumes": _LINEAR, "rates": [500 + q for q in _LINEAR], "hurdle": 20},
        {"volumes": _LINEAR, "rates": [540 - q for q in _LINEAR], "hurdle": 0},
    ),
    "eur": (
        {"volumes": _EUR, "rates": [-60, -58.5, -57, -55.5, -54], "hurdle": 0.5, "offset": 100},
        {"volumes": _EUR, "rates": [-40, -44, -48, -52, -56], "hurdle": 1, "offset": 100},
    ),
    "demo": (
        {"volumes": _DEMO, "rates": [500, 510, 520, 530], "hurdle": 0},
        {"volumes": _DEMO, "rates": [540, 530, 520, 510], "hurdle": 0},
    ),
}


def _text(value: Any) -> str:
    return json.dumps(value, indent=1) + "\n"


def example_files() -> dict[str, str]:
    """Each example file's name and content."""
    files: dict[str, str] = {}
    for name, (mm_plain, rm_plain) in PAIRS.items():
        mm = report_from_plain(json.loads(json.dumps(mm_plain), parse_float=Decimal), Side.MM, "mm")
        rm = report_from_plain(json.loads(json.dumps(rm_plain), parse_float=Decimal), Side.RM, "rm")
        shown = outcome_plain(select(mm, rm))
        files[f"{name}-mm.json"] = _text(mm_plain)
        files[f"{name}-rm.json"] = _text(rm_plain)
        files[f"{name}-outcome.json"] = _text(shown)
        for side in Side:
            view = dealer_view(
                side, shown["trade"], shown["volume"], Decimal(shown["rate_mm"]),
                Decimal(shown["rate_rm"]),
            )  # fmt: skip
            files[f"{name}-{side.value}-view.json"] = _text(view)
    return files
