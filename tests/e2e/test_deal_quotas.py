"""Deal-job quotas from the settings: an analyst's queued and running jobs are bounded (429,
other analysts unaffected, room again once one finishes), and so are the paths of one job
(400 naming ``paths``, whether the request or the terms ask for them)."""

import json

import pytest
from fastapi.testclient import TestClient

from marketcraft.config import Settings
from marketcraft.kernel import FixedClock
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.service.deal_jobs import DealJobs
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.e2e.test_deal_service import short_terms


@pytest.fixture
def desk(database, tmp_path, monkeypatch):
    # no job runs: what is submitted stays queued, so the quota is what the test says it is
    monkeypatch.setattr(DealJobs, "_start", lambda self: None)
    people = {
        name: bearer(issue_token(database.principals, name, Role.ANALYST, NOW)[1])
        for name in ("ana", "bob")
    }
    settings = Settings(data_dir=tmp_path / "var", deal_jobs_per_analyst=2, deal_max_paths=100)
    with TestClient(create_app(settings, database=database, clock=FixedClock(NOW),
                               signer=SIGNER)) as client:  # fmt: skip
        yield client, people, tmp_path / "var" / "deal-jobs"


def submit(client, who, **body):
    return client.post(
        "/deal/jobs", json={"terms": short_terms(), "paths": 10, **body}, headers=who
    )


def test_an_analyst_may_have_only_so_many_jobs_queued_or_running(desk):
    client, people, root = desk
    ana, bob = people["ana"], people["bob"]
    first = submit(client, ana)
    assert first.status_code == 202 and submit(client, ana).status_code == 202
    refused = submit(client, ana)
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_jobs"
    assert "at most 2" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) > 0
    assert len(client.get("/deal/jobs", headers=ana).json()["items"]) == 2  # nothing was queued
    assert submit(client, bob).status_code == 202  # another analyst is unaffected
    meta_path = root / first.json()["id"] / "job.json"  # one of ana's jobs finishes
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "status": "done"}))
    assert submit(client, ana).status_code == 202


def test_the_paths_of_one_job_are_bounded(desk):
    client, people, _ = desk
    ana = people["ana"]
    too_many = submit(client, ana, paths=101)
    assert too_many.status_code == 400 and too_many.json()["detail"] == "paths must be 1..100"
    # the terms' own default (2,000 paths) is over the bound too
    from_terms = client.post("/deal/jobs", json={"terms": short_terms()}, headers=ana)
    assert from_terms.status_code == 400 and from_terms.json()["detail"].startswith("paths:")
    assert client.get("/deal/jobs", headers=ana).json()["items"] == []
    assert submit(client, ana, paths=100).status_code == 202
