"""The service keeps Python's default recursion limit, whatever it imports and whatever it
checks: a deeper limit lets a parser overflow the C stack and kill the process."""

import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    default = sys.getrecursionlimit()
    import marketcraft
    for module in pkgutil.walk_packages(marketcraft.__path__, "marketcraft."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    from fastapi.testclient import TestClient
    from marketcraft.service.app import create_app
    from marketcraft.config import Settings
    with TestClient(create_app(Settings(database_url="memory://", data_dir=sys.argv[1]))) as c:
        assert c.get("/health").status_code == 200
        started = sys.getrecursionlimit()
    from marketcraft.repo.zk import groth16
    try:
        groth16.verify({"protocol": "groth16", "curve": "bn128", "IC": [0]}, [], {})
    except groth16.ProofFormatError:
        pass
    print(default, started, sys.getrecursionlimit())
    """
)


def test_the_recursion_limit_is_the_default_after_start_and_after_a_proof_check(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    default, started, after_proof = map(int, out.stdout.split())
    assert started == default, "the app raised the recursion limit at start-up"
    assert after_proof == default, "checking a proof raised the recursion limit"
