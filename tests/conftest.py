"""Shared test settings: Hypothesis budgets as named profiles with fixed seeds."""

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings

# The service keeps its signing key under MARKETCRAFT_DATA_DIR: never the repository's var/.
os.environ.setdefault("MARKETCRAFT_DATA_DIR", tempfile.mkdtemp(prefix="mc-test-data-"))
# Rate limits off: suites drive far more requests than a user would; the tests of the limits
# turn them on in their own Settings.
os.environ.setdefault("MARKETCRAFT_RATE_LIMIT_ENABLED", "false")

# dev: the default, quick and derandomised so a failure reproduces on every run.
settings.register_profile("dev", max_examples=60, derandomize=True, deadline=None)
# ci: a larger budget, still derandomised (fixed seed) so CI is reproducible.
settings.register_profile(
    "ci",
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# fuzz: a long, random run for hunting bugs locally (not reproducible by design).
settings.register_profile("fuzz", max_examples=5_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


# -- real PostgreSQL ---------------------------------------------------------------------------
import pytest  # noqa: E402

from marketcraft.kernel.errors import ValidationError  # noqa: E402
from marketcraft.repo.zk.ceremony import load_setup, run_setup  # noqa: E402
from marketcraft.repo.zk.node import node_bin  # noqa: E402
from tests.support.postgres import PostgresUnavailable, fresh_database, server_url  # noqa: E402


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server URL for the session (see tests/support/postgres.py)."""
    try:
        with server_url() as url:
            yield url
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")


@pytest.fixture
def postgres_url(postgres_server):
    """An empty database of its own for one test."""
    with fresh_database(postgres_server) as url:
        yield url


# -- Node tools (circom2, snarkjs) and a real Groth16 setup --------------------------------------
@pytest.fixture(scope="session")
def node_tools():
    """circom2 and snarkjs from the project's npm lock file (`npm ci`)."""
    try:
        return {tool: node_bin(tool) for tool in ("circom2", "snarkjs")}
    except ValidationError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the Node tools are required under CI: {exc}")
        pytest.skip(f"Node tools not available: {exc}")


#: the grid size of the circuit the tests prove with (small, so the setup takes about a minute)
ZK_TEST_K = 4


@pytest.fixture(scope="session")
def zk_cache(tmp_path_factory):
    """The cache the tests' circuits and setups live in: a fresh folder, or
    $MARKETCRAFT_TEST_ZK_CACHE to keep them between runs."""
    kept = os.environ.get("MARKETCRAFT_TEST_ZK_CACHE")
    return Path(kept) if kept else tmp_path_factory.mktemp("zk-cache")


@pytest.fixture(scope="session")
def zk_setup(node_tools, zk_cache):
    """A real setup (both phases, a contribution from the contract and each dealer) for the
    K = ZK_TEST_K circuit; reused from the cache when one with those contributors exists."""
    setups = zk_cache / "repo" / "setups"
    for folder in sorted(setups.glob("*")) if setups.exists() else []:
        if (folder / "setup.json").exists():
            setup = load_setup(folder)
            if setup.k == ZK_TEST_K and setup.contributors == ("contract", "mm", "rm"):
                return setup
    return run_setup(ZK_TEST_K, ["contract", "mm", "rm"], cache=zk_cache)
