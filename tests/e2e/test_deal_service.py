"""The deal desk over HTTP: an analyst uploads terms, the analysis runs as a background job
with progress, the report and results can be read; roles and ownership are enforced; bad terms
are refused clearly; queued work survives a restart."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketcraft.config import Settings
from marketcraft.kernel import FixedClock
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.service.deal_jobs import DealJobs
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.support.pages import flash_after, sign_in

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"


def short_terms(days=3):
    return (
        (EXAMPLES / "article.toml").read_text().replace("tenor_days = 365", f"tenor_days = {days}")
    )


@pytest.fixture
def desk(tmp_path):
    db = Database.open(f"sqlite:///{tmp_path / 'd.db'}", migrate=True)
    tokens = {
        name: issue_token(db.principals, name, role, NOW)[1]
        for name, role in (("ana", Role.ANALYST), ("bob", Role.ANALYST), ("sue", Role.SCOUT))
    }
    app = create_app(Settings(data_dir=tmp_path / "var"), database=db, clock=FixedClock(NOW),
                     signer=SIGNER)  # fmt: skip
    with TestClient(app) as client:
        yield client, tokens
    db.close()


def wait_done(client, token, job_id, seconds=180):
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        job = client.get(f"/deal/jobs/{job_id}", headers=bearer(token)).json()
        seen.append(job["progress"])
        if job["status"] in ("done", "failed"):
            return job, seen
        time.sleep(0.3)
    raise AssertionError(f"the job did not finish: {job}")


def test_an_analysis_runs_in_the_background_and_its_report_can_be_read(desk):
    client, tokens = desk
    ana = bearer(tokens["ana"])
    queued = client.post("/deal/jobs", json={"terms": short_terms(), "paths": 40, "step": "2h"},
                         headers=ana)  # fmt: skip
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["id"]
    assert queued.json()["status"] in ("queued", "running") and queued.json()["report"] is None
    job, seen = wait_done(client, tokens["ana"], job_id)
    assert job["status"] == "done", job
    assert seen == sorted(seen) and job["progress"] == 1.0  # progress only moves forward
    assert job["summary"]["attribution_residual"] < 1e-9 and "pnl_mean" in job["summary"]
    report = client.get(job["report"], headers=ana)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert report.text.count("data:image/png;base64,") == 9
    paths = client.get(f"/deal/jobs/{job_id}/files/paths.parquet", headers=ana)
    assert paths.status_code == 200 and paths.content[:4] == b"PAR1"
    summary = client.get(f"/deal/jobs/{job_id}/files/summary.json", headers=ana).json()
    assert summary["paths"] == 40
    assert [j["id"] for j in client.get("/deal/jobs", headers=ana).json()["items"]] == [job_id]


def test_another_analyst_sees_nothing_and_other_roles_are_refused(desk):
    client, tokens = desk
    job_id = client.post("/deal/jobs", json={"terms": short_terms(1), "paths": 5},
                         headers=bearer(tokens["ana"])).json()["id"]  # fmt: skip
    bob = bearer(tokens["bob"])
    missing = client.get("/deal/jobs/0123456789abcdef", headers=bob)
    theirs = client.get(f"/deal/jobs/{job_id}", headers=bob)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()  # the same answer as no job at all
    assert client.get(f"/deal/jobs/{job_id}/files/report.html", headers=bob).status_code == 404
    assert client.get("/deal/jobs", headers=bob).json()["items"] == []
    scout = bearer(tokens["sue"])
    assert (
        client.post("/deal/jobs", json={"terms": short_terms()}, headers=scout).status_code == 403
    )
    assert client.get(f"/deal/jobs/{job_id}", headers=scout).status_code == 403
    assert client.get("/deal/jobs").status_code == 401
    wait_done(client, tokens["ana"], job_id)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"terms": "[loan]\ntokens = 0\n"}, "loan.tokens must be in (0, 1e+18], not 0"),
        ({"terms": "[loan]\ntokens = 1\n[market]\nvol = nan\n"}, "market.vol must be a finite"),
        ({"terms": "[loan]\ntokens = 1\n", "step": "7h"}, "7h cannot be simulated"),
        ({"terms": "[loan\n"}, "not valid TOML"),
        # (a step that is not written as one is refused by the request's schema: 422)
        ({"terms": "[loan]\ntokens = 1\n", "step": "25h"}, "must divide a day"),
        (
            {"terms": "[loan]\ntokens=1_000_000\n[market]\nmodel='bootstrap'\ncsv='/etc/x.csv'\n"},
            "no file",
        ),
    ],
)
def test_bad_terms_are_refused_with_the_reason(desk, body, reason):
    client, tokens = desk
    refused = client.post("/deal/jobs", json=body, headers=bearer(tokens["ana"]))
    assert refused.status_code == 400 and reason in refused.text  # a typed error, as elsewhere
    assert client.get("/deal/jobs", headers=bearer(tokens["ana"])).json()["items"] == []
    too_many = client.post("/deal/jobs", json={"terms": short_terms(), "paths": 10**6},
                           headers=bearer(tokens["ana"]))  # fmt: skip
    # over the server's deal_max_paths: refused, naming the field
    assert too_many.status_code == 400 and too_many.json()["detail"].startswith("paths")
    negative = client.post("/deal/jobs", json={"terms": short_terms(), "seed": -1},
                           headers=bearer(tokens["ana"]))  # fmt: skip
    assert negative.status_code == 422  # as the command line refuses it


def test_the_pages_upload_follow_and_show_the_report(desk):
    client, tokens = desk
    sign_in(client, tokens["ana"])
    home = client.get("/ui/analyst")
    assert home.status_code == 200 and "Analyse a deal" in home.text
    posted = client.post(
        "/ui/analyst/jobs", files={"terms": ("deal.toml", short_terms(2).encode())},
        data={"paths": "12", "step": "4h"}, follow_redirects=False,
    )  # fmt: skip
    assert posted.status_code == 303
    page_url = posted.headers["location"]
    job_id = page_url.rsplit("/", 1)[1]
    wait_done(client, tokens["ana"], job_id)
    page = client.get(page_url)
    assert "Open the report" in page.text and 'http-equiv="refresh"' not in page.text
    report = client.get(f"{page_url}/report")
    assert report.status_code == 200 and "The market maker" in report.text
    bad = client.post("/ui/analyst/jobs", files={"terms": ("x.toml", b"[loan]\ntokens=-1\n")},
                      follow_redirects=False)  # fmt: skip
    assert "loan.tokens" in flash_after(client, bad)
    sign_in(client, tokens["sue"])
    assert client.get("/ui/analyst").status_code == 403


def left_running(tmp_path, job_id):
    """A job folder as a stopped service leaves it: marked running, no results."""
    root = tmp_path / "deal-jobs"
    home = root / job_id
    home.mkdir(parents=True)
    (home / "terms.toml").write_text(short_terms(1))
    meta = {"id": job_id, "owner": "ana", "name": "article", "paths": 4, "step_hours": 6.0,
            "seed": 1, "status": "running", "error": "", "summary": None, "created": 0}  # fmt: skip
    (home / "job.json").write_text(json.dumps(meta))
    return root, home


def wait_for(jobs, job_id, seconds=120):
    deadline = time.monotonic() + seconds
    while jobs.find(job_id).status != "done" and time.monotonic() < deadline:
        time.sleep(0.3)


def test_work_queued_or_running_at_a_stop_runs_after_a_restart(tmp_path):
    root, home = left_running(tmp_path, "00112233445566ff")
    jobs = DealJobs(root, workers=1)
    wait_for(jobs, home.name)
    job = jobs.find(home.name)
    assert job.status == "done" and job.summary is not None
    assert (home / "results" / "report.html").exists()


def test_a_job_another_live_process_claimed_is_left_to_it(tmp_path):
    root, home = left_running(tmp_path, "00112233445566aa")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (home / "claim").write_text(str(other.pid))
        jobs = DealJobs(root, workers=1)
        time.sleep(1.0)
        assert jobs.find(home.name).status == "running"  # not run a second time here
        assert not (home / "results").exists()
    finally:
        other.kill()
        other.wait()
    (home / "claim").write_text(str(other.pid))  # now a dead process's claim: taken over
    jobs = DealJobs(root, workers=1)
    wait_for(jobs, home.name)
    assert jobs.find(home.name).status == "done"


def test_jobs_keep_their_times_show_their_place_in_the_queue_and_can_be_cancelled(desk):
    client, tokens = desk
    ana, bob = bearer(tokens["ana"]), bearer(tokens["bob"])
    long = {"terms": short_terms(365), "paths": 400, "step": "1h"}  # runs for a while
    first = client.post("/deal/jobs", json=long, headers=ana).json()
    second = client.post("/deal/jobs", json={**long, "seed": 2}, headers=ana).json()
    assert first["created_at"] == second["created_at"] == NOW.isoformat().replace("+00:00", "Z")
    deadline = time.monotonic() + 60
    while client.get(f"/deal/jobs/{first['id']}", headers=ana).json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    waiting = client.get(f"/deal/jobs/{second['id']}", headers=ana).json()
    assert waiting["status"] == "queued" and waiting["queue_position"] == 2  # one runs ahead
    assert client.post(f"/deal/jobs/{second['id']}/cancel", headers=bob).status_code == 404
    cancelled = client.post(f"/deal/jobs/{second['id']}/cancel", headers=ana).json()
    assert cancelled["status"] == "cancelled" and cancelled["queue_position"] is None
    assert cancelled["finished_at"] is not None and cancelled["started_at"] is None

    running = client.post(f"/deal/jobs/{first['id']}/cancel", headers=ana)
    assert running.status_code == 200
    deadline = time.monotonic() + 30
    while (job := client.get(f"/deal/jobs/{first['id']}", headers=ana).json())["status"] != (
        "cancelled"
    ):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["started_at"] is not None and job["finished_at"] is not None
    assert job["report"] is None and job["error"] == "cancelled by its analyst"
    again = client.post(f"/deal/jobs/{first['id']}/cancel", headers=ana)
    assert again.status_code == 400 and again.json()["code"] == "job_finished"
    # cancelled jobs leave the quota: two more may be queued at once again
    assert client.post("/deal/jobs", json={"terms": short_terms(), "paths": 4},
                       headers=ana).status_code == 202  # fmt: skip


def test_the_analysts_page_shows_times_and_cancels_after_asking(desk):
    client, tokens = desk
    sign_in(client, tokens["ana"])
    job = client.post("/deal/jobs", json={"terms": short_terms(365), "paths": 400},
                      headers=bearer(tokens["ana"])).json()  # fmt: skip
    page = client.get("/ui/analyst").text
    assert f'data-job="{job["id"]}"' in page and "Submitted" in page
    assert f"{NOW:%Y-%m-%d %H:%M} UTC" in page and 'data-confirm="Stop the analysis' in page
    r = client.post(f"/ui/analyst/jobs/{job['id']}/cancel", follow_redirects=False)
    assert r.status_code == 303
    deadline = time.monotonic() + 30
    while (
        client.get(f"/deal/jobs/{job['id']}", headers=bearer(tokens["ana"])).json()["status"]
        != "cancelled"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert "cancelled by its analyst" in client.get(f"/ui/analyst/jobs/{job['id']}").text


@pytest.mark.parametrize("terms", [
    "x = [", "[loan]\ntokens = 'many'", "[market]\ncsv = '/etc/passwd'", "\x00\x01",
    short_terms().replace("tenor_days = 3\n", "tenor_days = -1\n"),
])  # fmt: skip
def test_a_refused_upload_names_no_server_path(desk, tmp_path, terms):
    client, tokens = desk
    sign_in(client, tokens["ana"])
    files = {"terms": ("deal.toml", terms.encode(), "text/plain")}
    r = client.post("/ui/analyst/jobs", data={"paths": "4"}, files=files, follow_redirects=False)
    message = flash_after(client, r)
    assert message and str(tmp_path) not in message and "/var/" not in message, message
    assert "deal-jobs" not in message and "terms.toml" not in message.replace("terms:", "")
