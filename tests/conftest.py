"""Shared test settings: Hypothesis budgets as named profiles with fixed seeds."""

import os
import tempfile

from hypothesis import HealthCheck, settings

# The service keeps its signing key under MARKETCRAFT_DATA_DIR: never the repository's var/.
os.environ.setdefault("MARKETCRAFT_DATA_DIR", tempfile.mkdtemp(prefix="mc-test-data-"))

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
