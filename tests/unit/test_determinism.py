"""Cores are deterministic: no wall clock, randomness, UUIDs or float money inside them."""

import pytest

from tests.support.determinism import core_files, scan_cores, scan_source


def test_cores_exist_and_are_scanned():
    names = {p.parent.name for p in core_files()}
    assert {"kernel", "amm", "opportunity", "peg"} <= names


def test_no_core_uses_wall_clock_randomness_uuids_or_floats():
    findings = scan_cores()
    assert not findings, "\n".join(map(str, findings))


@pytest.mark.parametrize(
    "snippet",
    [
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.utcnow()",
        "import time\nx = time.time()",
        "import random",
        "from random import choice",
        "import uuid\nx = uuid.uuid4()",
        "from uuid import uuid4",
        "price = 0.5",
        "x = float('1.5')",
        "import math",
        "import numpy as np",
        "import os\nx = os.urandom(8)",
    ],
)
def test_the_scanner_catches_each_forbidden_pattern(snippet):
    assert scan_source(snippet), snippet


def test_a_justified_line_can_opt_out():
    assert not scan_source("import time\nx = time.time()  # determinism-ok: adapter")
    assert not scan_source("from decimal import Decimal\nx = Decimal('0.5') * 2")
