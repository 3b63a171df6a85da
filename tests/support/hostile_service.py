"""A service with something of every kind in it, to throw hostile numbers at: a program with a
market and a funded scout, a peg market with a funded trader, a repo session still taking
commitments and one taking openings (its dealers committed, the deadline passed), and an
analyst with no jobs. ``snapshot`` is what no refused request may change."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketcraft.app import repo_sessions
from marketcraft.config import Settings
from marketcraft.kernel import Signer, SimulatedClock
from marketcraft.repo.reports import report_from_plain
from marketcraft.repo.schedule import Side
from marketcraft.repo.sealing import Opening
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PEOPLE = {
    "sponsor": Role.SPONSOR, "scout": Role.SCOUT, "ops": Role.ADMIN, "tia": Role.TRADER,
    "mia": Role.DEALER, "rex": Role.DEALER, "ana": Role.ANALYST, "aud": Role.AUDITOR,
}  # fmt: skip
GRID = [0, 5, 10]
MM = {"volumes": GRID, "rates": [500, 505, 510], "hurdle": 0}
RM = {"volumes": GRID, "rates": [540, 535, 530], "hurdle": 0}
#: the session that takes commitments (its deadline is far off) and the one that takes openings
COMMITTING, OPENING = "later", "sealed"


@dataclass
class World:
    client: TestClient
    db: Database
    clock: SimulatedClock
    auth: dict[str, dict[str, str]]
    program: str
    market: str
    jobs: Path
    mm_opening: Opening
    contract_key: bytes

    def snapshot(self) -> dict[str, Any]:
        """The stored log's size, the balances, the jobs and the sessions."""
        get = self.client.get
        return {
            "log": self.db.events.last_position(),
            "scout": get(f"/programs/{self.program}/balance", headers=self.auth["scout"]).json(),
            "tia": get("/peg/markets/usd/balance", headers=self.auth["tia"]).json(),
            "peg": get("/peg/markets/usd").json(),
            "jobs": sorted(p.name for p in self.jobs.iterdir()) if self.jobs.exists() else [],
            "sessions": get("/repo/sessions", headers=self.auth["ops"]).json(),
        }


def _ok(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def world() -> Any:
    data = Path(tempfile.mkdtemp(prefix="mc-hostile-"))
    db = Database.open("memory://")
    clock = SimulatedClock(NOW)
    auth = {
        name: {"Authorization": f"Bearer {issue_token(db.principals, name, role, NOW)[1]}"}
        for name, role in PEOPLE.items()
    }
    # no cadence checkpoints: a refused request must change nothing, and nothing else may
    settings = Settings(data_dir=data, checkpoint_every=0)
    app = create_app(settings, database=db, clock=clock, signer=Signer(bytes(32)))
    with pytest.MonkeyPatch.context() as patch, TestClient(app) as client:
        # a proof setup is only needed to settle; sessions here never get that far
        patch.setattr(
            repo_sessions, "setup_for", lambda k, *_, **__: SimpleNamespace(id="stub", k=k)
        )
        post = client.post
        program = _ok(post("/programs", headers=auth["sponsor"], json={
            "title": "Hostile", "deposit": "100000", "terms": {"market_budget": "1000"},
        }))["program_id"]  # fmt: skip
        market = _ok(post(f"/programs/{program}/markets", headers=auth["sponsor"],
                          json={"title": "Will it hold?"}))["market_id"]  # fmt: skip
        _ok(post(f"/programs/{program}/deposits", headers=auth["scout"], json={"amount": "500"}))
        _ok(post("/peg/markets", headers=auth["ops"], json={
            "name": "usd", "opener": "founder", "deposit": "1000000", "feed": "0.5",
        }))  # fmt: skip
        _ok(post("/peg/markets/usd/credits", headers=auth["ops"],
                 json={"user": "tia", "amount": "1000"}))  # fmt: skip
        mm = Opening.fresh(report_from_plain(MM, Side.MM, "mm"))
        rm = Opening.fresh(report_from_plain(RM, Side.RM, "rm"))
        for name, deadline in ((COMMITTING, NOW + timedelta(days=30)),
                               (OPENING, NOW + timedelta(hours=1))):  # fmt: skip
            _ok(post("/repo/sessions", headers=auth["ops"], json={
                "name": name, "volumes": GRID, "deadline": deadline.isoformat(),
                "mm_dealer": "mia", "rm_dealer": "rex",
            }))  # fmt: skip
        for who, opening in (("mia", mm), ("rex", rm)):
            _ok(post(f"/repo/sessions/{OPENING}/commitment", headers=auth[who],
                     json={"commitment": str(opening.commitment)}))  # fmt: skip
        clock.advance(timedelta(hours=2))
        key = bytes.fromhex(_ok(client.get("/repo/key", headers=auth["mia"]))["public_key"])
        yield World(client, db, clock, auth, program, market, data / "deal-jobs", mm, key)
    db.close()


def body_json(body: dict[str, Any], raw: dict[str, str]) -> str:
    """``body`` as JSON, with each value equal to a key of ``raw`` replaced by that raw text."""
    text = json.dumps(body)
    for marker, value in raw.items():
        text = text.replace(json.dumps(marker), value)
    return text
