"""What an operator reads: Prometheus metrics, request ids, readiness, and CORS (off unless
origins are named)."""

from __future__ import annotations

import re
import shutil

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from marketcraft.config import Settings
from marketcraft.kernel import FixedClock
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store import Database
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.support.problems import NOT_AUTHENTICATED

ORDERS = "/programs/{program_id}/orders"


def app_with(tmp_path, database, **settings):
    settings = Settings(data_dir=tmp_path / "var", checkpoint_every=0, **settings)
    return create_app(settings, database=database, clock=FixedClock(NOW), signer=SIGNER)


def samples(client: TestClient, **headers: str) -> list[tuple[str, dict[str, str], float]]:
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    ]


def value(found, name: str, **labels: str) -> float:
    matching = [v for n, ls, v in found if n == name and labels.items() <= ls.items()]
    assert len(matching) == 1, (name, labels, matching)
    return matching[0]


def place_order(client: TestClient, tokens: dict[Role, str]) -> str:
    sponsor, scout = bearer(tokens[Role.SPONSOR]), bearer(tokens[Role.SCOUT])
    body = {"title": "Label X", "deposit": "50000", "terms": {"market_budget": "1000"}}
    program = client.post("/programs", json=body, headers=sponsor).json()["program_id"]
    market = client.post(
        f"/programs/{program}/markets", json={"title": "Sign XYZ?"}, headers=sponsor
    ).json()["market_id"]
    deposit = client.post(f"/programs/{program}/deposits", json={"amount": "300"}, headers=scout)
    assert deposit.status_code == 200, deposit.text
    order = client.post(
        f"/programs/{program}/orders",
        headers={**scout, "Idempotency-Key": "k"},
        json={"market_id": market, "side": "buy", "max_spend": "20"},
    )
    assert order.status_code == 201, order.text
    return program


# -- metrics ---------------------------------------------------------------------------------------
def test_metrics_show_latency_per_route_template_and_the_group_commit(tmp_path, database, tokens):
    with TestClient(app_with(tmp_path, database)) as client:
        before = samples(client)
        assert value(before, "marketcraft_commit_batch_size_count") == 0
        program = place_order(client, tokens)
        client.get(f"/programs/{program}/orders", headers=bearer(tokens[Role.SCOUT]))
        client.get("/no/such/path/12345")
        found = samples(client)

    latency = "http_request_duration_seconds_count"
    assert value(found, latency, handler=ORDERS, method="POST", status="2xx") == 1
    assert value(found, latency, handler=ORDERS, method="GET", status="2xx") == 1
    assert value(found, latency, handler="none", method="GET", status="4xx") == 1
    handlers = {ls["handler"] for n, ls, _ in found if "handler" in ls}
    assert not [h for h in handlers if program in h or "12345" in h], handlers
    assert "/metrics" not in handlers
    # the program, its market, the deposit and the order each went through the group commit
    batches = value(found, "marketcraft_commit_batch_size_count")
    assert batches >= 1
    assert value(found, "marketcraft_commit_batch_size_sum") == 4
    assert value(found, "marketcraft_commit_batch_seconds_count") == batches
    assert value(found, "marketcraft_commit_batch_seconds_sum") > 0
    assert value(found, "marketcraft_deal_jobs_queued") == 0


def test_the_deal_job_queue_depth_is_what_waits(tmp_path, database):
    app = app_with(tmp_path, database)
    with TestClient(app) as client:
        jobs = app.state.deal_jobs
        with jobs.lock:  # the worker thread is not started: nothing takes from the queue
            for job_id in ("a" * 16, "b" * 16):
                jobs.waiting.put(job_id)
        assert value(samples(client), "marketcraft_deal_jobs_queued") == 2


def test_a_metrics_token_is_required_once_set(tmp_path, database):
    secret = "s3cret-scrape-token"
    with TestClient(app_with(tmp_path, database, metrics_token=secret)) as client:
        for headers in (
            {},
            bearer("wrong-token-wrong-token"),
            {"Authorization": f"Basic {secret}"},
        ):
            r = client.get("/metrics", headers=headers)
            assert r.status_code == 401
            assert r.json() == NOT_AUTHENTICATED
        assert samples(client, **bearer(secret))


def test_metrics_can_be_turned_off(tmp_path, database):
    with TestClient(app_with(tmp_path, database, metrics_enabled=False)) as client:
        assert client.get("/metrics").status_code == 404
        assert client.get("/health").status_code == 200


# -- request ids -----------------------------------------------------------------------------------
@pytest.mark.parametrize("given", ["req-42.a:b_c", "0f" * 16])
def test_a_well_formed_request_id_is_echoed(client, given):
    assert client.get("/health", headers={"X-Request-ID": given}).headers["x-request-id"] == given


@pytest.mark.parametrize("given", [None, "", "has space", "x" * 129, "a/b", "a;b", "a\\nb"])
def test_otherwise_a_fresh_one_is_made(client, given):
    headers = {} if given is None else {"X-Request-ID": given}
    first = client.get("/health", headers=headers).headers["x-request-id"]
    second = client.get("/health", headers=headers).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


# -- readiness -------------------------------------------------------------------------------------
def test_ready_once_started_and_while_the_database_answers(tmp_path):
    home = tmp_path / "db"
    home.mkdir()
    database = Database.open(f"sqlite:///{home / 's.db'}", migrate=True)
    app = app_with(tmp_path, database)
    not_started = TestClient(app).get("/ready")  # no lifespan: startup never ran
    assert (not_started.status_code, not_started.json()) == (503, {"status": "starting"})
    with TestClient(app) as client:
        assert client.get("/ready").json() == {"status": "ready"}
        database.close()
        shutil.rmtree(home)  # the database is gone: nothing can connect
        r = client.get("/ready")
        assert (r.status_code, r.json()) == (503, {"status": "unavailable"})
    assert TestClient(app).get("/ready").status_code == 503  # stopped


# -- CORS ------------------------------------------------------------------------------------------
ALLOWED = "https://app.example"


def preflight(client: TestClient, origin: str):
    return client.options(
        "/programs",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )


def cors_headers(r) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k.startswith("access-control-")}


def test_no_cors_headers_by_default(tmp_path, database):
    with TestClient(app_with(tmp_path, database)) as client:
        assert cors_headers(client.get("/health", headers={"Origin": ALLOWED})) == {}
        assert cors_headers(preflight(client, ALLOWED)) == {}


def test_cors_answers_an_allowed_origin_only(tmp_path, database, tokens):
    app = app_with(tmp_path, database, cors_allow_origins=f"{ALLOWED}, http://localhost:5173")
    with TestClient(app) as client:
        allowed = client.get("/me", headers={"Origin": ALLOWED, **bearer(tokens[Role.SCOUT])})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ALLOWED
        assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
        assert "access-control-allow-credentials" not in allowed.headers
        ok = preflight(client, ALLOWED)
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == ALLOWED
        assert "POST" in ok.headers["access-control-allow-methods"]

        # Starlette names the exposed headers to any origin; without an allowed origin a
        # browser shows the script nothing
        other = "https://evil.example"
        assert (
            "access-control-allow-origin"
            not in client.get("/health", headers={"Origin": other}).headers
        )
        refused = preflight(client, other)
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize("origins", ["https://a.example/path", "ftp://a.example", "a.example"])
def test_an_origin_setting_must_name_origins(origins):
    with pytest.raises(ValueError, match="is not an origin"):
        Settings(cors_allow_origins=origins)
