"""Which Python ran a benchmark, and how fast it runs plain Python on this machine.

Figures from different interpreters are not comparable: a CPython built without profile-guided
optimisation (a default pyenv build, say) runs pure-Python code about 2.4x slower than the
same version built with it (Debian's, python.org's, the official Docker images), and the
engines are mostly pure Python. The opportunity benchmarks print this line so a reader can
tell; the calibration loop is the quickest way to compare two interpreters.
"""

from __future__ import annotations

import platform
import sys
import timeit

__all__ = ["interpreter_line"]


def interpreter_line() -> str:
    loop = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6
    return (
        f"python {platform.python_version()} at {sys.executable}: "
        f"sum(range(1000)) takes {loop:.1f} us (a profile-guided build took 11 on the machine "
        "whose default build took 25-28)"
    )
