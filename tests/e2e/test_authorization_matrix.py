"""Authorization as a matrix generated from the app's route table: every route (API and pages)
is classified below by the kind of resource it reaches, and every principal that may not reach
that resource gets the same answer whether it exists or not (404, identical bodies), 403 for a
wrong role, 401 (API) or the sign-in page (pages) without credentials; nothing changes.

A route the app serves that is not classified here fails ``test_every_route_is_classified``:
a new route must say who may reach it before it can ship."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from marketcraft.config import Settings
from marketcraft.kernel import FixedClock, SimulatedClock
from marketcraft.opportunity.transcript import verify_transcript
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store import Database
from marketcraft.store.records import NewEvent
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.support.pages import sign_in
from tests.support.problems import FORBIDDEN, NOT_AUTHENTICATED, PROBLEM_KEYS

PRINCIPALS = {
    "owner": Role.SPONSOR,  # sponsors program P
    "rival": Role.SPONSOR,
    "fan": Role.SCOUT,  # placed order O in P
    "other": Role.SCOUT,
    "aud": Role.AUDITOR,
    "adm": Role.ADMIN,
    "mm": Role.DEALER,  # a dealer of repo session S
    "outsider": Role.DEALER,
    "desk": Role.ANALYST,  # submitted deal job J
    "desk2": Role.ANALYST,
    "trader": Role.TRADER,
    "throwaway": Role.SCOUT,  # what the admin's revoke route revokes
}
ANON = "anonymous"
EVERYONE = frozenset(PRINCIPALS)
JOB, SESSION, MISSING_JOB = "0123456789abcdef", "week-1", "fedcba9876543210"
SUMMARY = {"pnl_mean": 1.0, "var_5%": -2.0, "options_bs": 3.0, "tokens_sold_mean": 4.0}


@dataclass(frozen=True)
class Kind:
    """Who may reach a kind of resource: ``allowed`` get through (not refused: what they get
    then is the route's business); ``hidden`` are told it does not exist; every other principal
    is refused (403), for its role or, for those in ``seen``, who may see the resource through
    other routes, by the resource's own terms. ``params``: path parameter -> (the real resource,
    a missing one). ``absent_for``: list routes must not show the resource to these."""

    allowed: frozenset[str]
    hidden: frozenset[str] = frozenset()
    params: dict[str, tuple[str, str]] = field(default_factory=dict)
    absent_for: frozenset[str] = frozenset()
    public: bool = False
    seen: frozenset[str] = frozenset()


def kind(allowed, hidden=(), params=None, absent_for=(), public=False, seen=()) -> Kind:
    return Kind(frozenset(allowed), frozenset(hidden), params or {}, frozenset(absent_for),
                public, frozenset(seen))  # fmt: skip


IN_P = {"program_id": ("P", "p-missing"), "market_id": ("M", "M"), "order_id": ("O", "O")}
AT_JOB = {"job_id": (JOB, MISSING_JOB), "name": ("report.html", "report.html")}
AT_SESSION = {"name": (SESSION, "no-such-session")}
PARTICIPANTS = {"owner", "fan", "other", "aud", "adm"}
SCOUTS = {"fan", "other", "throwaway"}

PUBLIC = kind(EVERYONE, public=True, params={"name": ("pm", "pm")})
PUBLIC_LOG = kind(EVERYONE, public=True, params=IN_P)
ANY_ROLE = kind(EVERYONE)
ADMIN = kind({"adm"}, params={"name": ("throwaway", "nobody")})
PEG_ADMIN = kind({"adm"}, params={"name": ("pm", "pm")})
PEG_TRADER = kind({"trader"}, params={"name": ("pm", "pm")})
PROGRAMS = kind(PARTICIPANTS | {"rival", "throwaway"}, absent_for={"rival"})
PROGRAM = kind(PARTICIPANTS | {"throwaway"}, {"rival"}, IN_P)
SPONSOR_HOME = kind({"owner", "rival"}, absent_for={"rival"})
SPONSOR = kind({"owner"}, {"rival"}, IN_P)
LISTING = kind({"owner"} | SCOUTS, {"rival"}, IN_P)
# P's reveal policy is per trader: its scouts see P, but not everyone's fills and salts
TRANSCRIPT = kind({"owner", "aud", "adm"}, {"rival"}, IN_P, seen=SCOUTS)
AUDIT_HOME = kind({"owner", "rival", "aud", "adm"}, absent_for={"rival"})
AUDIT = kind({"owner", "aud", "adm"}, {"rival"}, IN_P)
SCOUT_SELF = kind(SCOUTS, params=IN_P)
ORDER = kind({"fan"}, {"other", "throwaway"}, {"program_id": ("P", "P"), "order_id": ("O", "o-x")})
DEAL_SELF = kind({"desk", "desk2"}, absent_for={"desk2"})
DEAL_JOB = kind({"desk"}, {"desk2"}, AT_JOB)
REPO_READER = kind({"mm", "outsider", "aud", "adm"}, absent_for={"outsider"})
REPO_SESSION = kind({"mm", "aud", "adm"}, {"outsider"}, AT_SESSION)
REPO_DEALER = kind({"mm"}, {"outsider"}, AT_SESSION)
TRADER_SELF = kind({"trader"})
DEALER_SELF = kind({"mm", "outsider"})
REPO_AUDIT = kind({"aud", "adm"}, params=AT_SESSION)
REPO_ADMIN = kind({"adm"}, params=AT_SESSION)

P = "/programs/{program_id}"
M = P + "/markets/{market_id}"
SCOUT_UI = "/ui/scout/programs/{program_id}"
SPONSOR_UI = "/ui/sponsor/programs/{program_id}"
AUDIT_UI = "/ui/audit/programs/{program_id}"
CLASSES: dict[tuple[str, str], Kind] = {
    **{("GET", path): PUBLIC for path in ("/openapi.json", "/docs", "/docs/oauth2-redirect",
                                          "/docs/assets/{name}",
                                          "/redoc", "/health", "/ready", "/metrics", "/",
                                          "/login", "/peg/markets",
                                          "/peg/markets/{name}", "/peg/markets/{name}/history",
                                          "/ui/peg", "/ui/peg/{name}")},
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/me"): ANY_ROLE,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("POST", "/admin/users/{name}/revoke"): ADMIN,
    # opportunity markets: API
    ("POST", "/programs"): SPONSOR_HOME,
    ("GET", "/programs"): PROGRAMS,
    ("GET", P): PROGRAM,
    ("GET", P + "/markets"): PROGRAM,
    ("POST", P + "/markets"): LISTING,
    ("GET", P + "/dashboard"): SPONSOR,
    ("POST", M + "/approve"): SPONSOR,
    ("POST", M + "/reject"): SPONSOR,
    ("POST", M + "/acted-on"): SPONSOR,
    ("POST", M + "/resolve"): SPONSOR,
    ("POST", M + "/reveal"): PROGRAM,
    ("GET", M + "/results"): PROGRAM,
    ("POST", P + "/settle"): SPONSOR,
    ("GET", P + "/collateral"): SPONSOR,
    ("POST", P + "/collateral/withdrawals"): SPONSOR,
    ("POST", P + "/close"): SPONSOR,
    ("POST", P + "/deposits"): SCOUT_SELF,
    ("POST", P + "/withdrawals"): SCOUT_SELF,
    ("GET", P + "/balance"): SCOUT_SELF,
    ("POST", P + "/orders"): SCOUT_SELF,
    ("GET", P + "/orders"): SCOUT_SELF,
    ("POST", P + "/close-orders"): SCOUT_SELF,
    ("GET", P + "/transcript"): TRANSCRIPT,
    # a program's log is a transparency log: its checkpoints are anyone's
    ("GET", P + "/log"): PUBLIC_LOG,
    ("GET", P + "/checkpoint"): PUBLIC_LOG,
    ("GET", P + "/checkpoints"): PUBLIC_LOG,
    ("GET", P + "/checkpoints/consistency"): PUBLIC_LOG,
    ("GET", P + "/orders/{order_id}/receipt"): ORDER,
    ("GET", P + "/orders/{order_id}/inclusion"): ORDER,
    # opportunity markets: pages
    ("GET", "/ui/scout"): SCOUT_SELF,
    ("GET", SCOUT_UI): SCOUT_SELF,
    ("GET", SCOUT_UI + "/receipts/{order_id}.json"): ORDER,
    ("POST", SCOUT_UI + "/close-orders"): SCOUT_SELF,
    ("POST", SCOUT_UI + "/deposit"): SCOUT_SELF,
    ("POST", SCOUT_UI + "/withdraw"): SCOUT_SELF,
    ("POST", SCOUT_UI + "/orders"): SCOUT_SELF,
    ("GET", SCOUT_UI + "/orders.csv"): SCOUT_SELF,
    ("GET", "/ui/audit"): AUDIT_HOME,
    ("GET", AUDIT_UI): AUDIT,
    ("GET", AUDIT_UI + "/transcript.json"): TRANSCRIPT,
    ("POST", AUDIT_UI + "/checkpoint"): AUDIT,
    ("GET", "/ui/sponsor"): SPONSOR_HOME,
    ("POST", "/ui/sponsor/programs"): SPONSOR_HOME,
    ("GET", SPONSOR_UI): SPONSOR,
    ("POST", SPONSOR_UI + "/markets"): SPONSOR,
    ("POST", SPONSOR_UI + "/markets/{market_id}/{action}"): SPONSOR,
    ("POST", SPONSOR_UI + "/settle"): SPONSOR,
    ("POST", SPONSOR_UI + "/collateral/withdraw"): SPONSOR,
    ("POST", SPONSOR_UI + "/close"): SPONSOR,
    ("GET", SPONSOR_UI + "/markets/{market_id}"): SPONSOR,
    # pegged token
    **{("POST", path): PEG_ADMIN for path in ("/peg/markets", "/peg/markets/{name}/credits",
                                              "/peg/markets/{name}/feed",
                                              "/peg/markets/{name}/tick")},
    ("GET", "/peg/markets/{name}/balance"): PEG_TRADER,
    **{("POST", f"/peg/markets/{{name}}/{verb}"): PEG_TRADER
       for verb in ("buy-peg", "sell-peg", "buy-mms", "sell-mms")},
    # sealed repo trades
    ("GET", "/repo/key"): REPO_READER,
    ("GET", "/repo/sessions"): REPO_READER,
    ("POST", "/repo/sessions"): REPO_ADMIN,
    ("GET", "/repo/sessions/{name}"): REPO_SESSION,
    ("POST", "/repo/sessions/{name}/commitment"): REPO_DEALER,
    ("POST", "/repo/sessions/{name}/opening"): REPO_DEALER,
    ("POST", "/repo/sessions/{name}/settle"): REPO_ADMIN,
    ("GET", "/repo/sessions/{name}/settlement"): REPO_AUDIT,
    # its ceremony: anyone who reads the session sees it (and may fetch the key to check it);
    # only its dealers contribute
    ("GET", "/repo/sessions/{name}/ceremony"): REPO_SESSION,
    ("GET", "/repo/sessions/{name}/ceremony/zkey"): REPO_SESSION,
    ("GET", "/repo/sessions/{name}/ceremony/ptau"): REPO_SESSION,
    ("POST", "/repo/sessions/{name}/ceremony/contributions"): REPO_DEALER,
    # deal desk
    ("POST", "/deal/jobs"): DEAL_SELF,
    ("GET", "/deal/jobs"): DEAL_SELF,
    ("GET", "/deal/jobs/{job_id}"): DEAL_JOB,
    ("POST", "/deal/jobs/{job_id}/cancel"): DEAL_JOB,
    ("POST", "/ui/analyst/jobs/{job_id}/cancel"): DEAL_JOB,
    ("GET", "/deal/jobs/{job_id}/files/{name}"): DEAL_JOB,
    ("GET", "/ui/analyst"): DEAL_SELF,
    ("POST", "/ui/analyst/jobs"): DEAL_SELF,
    ("GET", "/ui/analyst/jobs/{job_id}"): DEAL_JOB,
    ("GET", "/ui/analyst/jobs/{job_id}/report"): DEAL_JOB,
    ("GET", "/ui/analyst/jobs/{job_id}/files/{name}"): DEAL_JOB,
    # the pages of traders, dealers and the operator, and the pages' own files
    ("GET", "/ui/assets/{name}"): PUBLIC,
    ("GET", "/ui/peg/{name}/live"): PUBLIC,
    ("GET", SPONSOR_UI + "/live"): SPONSOR,
    ("GET", "/ui/trade"): TRADER_SELF,
    ("POST", "/ui/trade/{name}"): PEG_TRADER,
    ("GET", "/ui/dealer"): DEALER_SELF,
    ("GET", "/ui/admin"): ADMIN,
    ("POST", "/ui/admin/users"): ADMIN,
    ("POST", "/ui/admin/users/{name}/revoke"): ADMIN,
    ("POST", "/ui/admin/peg/{name}/credits"): PEG_ADMIN,
}  # fmt: skip


def served_routes(app) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", None) or ()
        if method != "HEAD"
    }


# -- the world: one resource of each kind, owned by one principal -------------------------------
@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    ids: dict[str, str]
    database: Database
    browser_as: str | None = None  # who the client's page session is signed in as

    def path(self, method: str, template: str, which: int) -> str:
        params = CLASSES[(method, template)].params

        def value(match: re.Match[str]) -> str:
            real, missing = params.get(match[1], ("x", "x"))
            chosen = (real, missing)[which]
            return self.ids.get(chosen, chosen)

        return re.sub(r"\{([^}]+)\}", value, template)

    def state(self) -> tuple[object, ...]:
        """What a refused request must not change."""
        events = self.database.events
        jobs = sorted(p.name for p in (self.client.app.state.deal_jobs.root).rglob("*"))  # type: ignore[attr-defined]
        return events.last_position(), tuple(self.database.principals.list()), tuple(jobs)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("matrix")
    database = Database.open("memory://", migrate=True)
    tokens = {n: issue_token(database.principals, n, r, NOW)[1] for n, r in PRINCIPALS.items()}
    _deal_job(tmp / "var" / "deal-jobs")
    _repo_session(database)
    # no cadence checkpoints: a refused request must change nothing, and nothing else may
    # a live page's stream sends its figures once and ends (a test client reads it whole)
    settings = Settings(data_dir=tmp / "var", checkpoint_every=0, live_stream_seconds=0)
    app = create_app(settings, database=database, clock=FixedClock(NOW), signer=SIGNER)
    with TestClient(app) as client:
        ids = _program(client, tokens)
        yield World(client, tokens, ids, database)
    database.close()


def _program(client: TestClient, tokens: dict[str, str]) -> dict[str, str]:
    owner, fan = bearer(tokens["owner"]), bearer(tokens["fan"])
    body = {"title": "Label X", "deposit": "50000", "terms": {"market_budget": "1000"}}
    program = client.post("/programs", json=body, headers=owner).json()["program_id"]
    market = client.post(f"/programs/{program}/markets", json={"title": "Sign XYZ?"},
                         headers=owner).json()["market_id"]  # fmt: skip
    client.post(f"/programs/{program}/deposits", json={"amount": "300"}, headers=fan)
    order = client.post(f"/programs/{program}/orders", headers={**fan, "Idempotency-Key": "k"},
                        json={"market_id": market, "side": "buy", "max_spend": "20"})  # fmt: skip
    client.app.state.programs.publish_checkpoint(program, NOW)  # the order's inclusion exists
    return {"P": program, "M": market, "O": order.json()["order_id"]}


def _deal_job(root) -> None:
    home = root / JOB
    (home / "results").mkdir(parents=True)
    meta = {"id": JOB, "owner": "desk", "name": "article", "paths": 4, "step_hours": 6.0,
            "seed": 1, "status": "done", "error": "", "summary": SUMMARY,
            "created": 0}  # fmt: skip
    (home / "job.json").write_text(json.dumps(meta))
    (home / "results" / "report.html").write_text("<h1>report</h1>")


def _repo_session(database: Database) -> None:
    opened = {"name": SESSION, "volumes": [0, 10], "setup": "s",
              "deadline": (NOW + timedelta(days=1)).isoformat(),
              "dealers": {"mm": "mm", "rm": "rm"}}  # fmt: skip
    events = database.events
    events.append(f"repo/session/{SESSION}", 0,
                  [NewEvent("repo.opened", json.dumps(opened).encode())])  # fmt: skip
    events.append("repo/sessions", 0, [NewEvent("repo.listed", SESSION.encode())])


# -- requests as each principal -----------------------------------------------------------------
def is_page(path: str) -> bool:
    return path in ("/", "/login", "/logout") or path.startswith("/ui/")


def call(world: World, who: str, method: str, template: str, which: int = 0):
    """``method`` on the route, as ``who`` (a bearer token for the API, a signed-in browser
    with its CSRF token for the pages), on the real resource (0) or a missing one (1)."""
    client, path = world.client, world.path(method, template, which)
    if is_page(template):
        if who == ANON and world.browser_as != ANON:
            client.cookies.clear()
            client.get("/login")  # a CSRF token, so the guard, not the token check, answers
            client.headers["x-csrftoken"] = client.cookies["csrftoken"]
        elif who != world.browser_as:
            sign_in(client, world.tokens[who])
        world.browser_as = who
        return client.request(method, path, data={"junk": "1"}, follow_redirects=False)
    headers = {} if who == ANON else bearer(world.tokens[who])
    return client.request(method, path, headers=headers, json={"junk": True})


def refusal(world: World, who: str, method: str, template: str):
    """A principal's refusal on the real resource, checked against the missing one's: the same
    unless the principal may know the resource exists."""
    real = call(world, who, method, template, 0)
    missing = call(world, who, method, template, 1)
    if who in CLASSES[(method, template)].seen:
        assert missing.status_code == 404, (method, template, who, missing.status_code)
        return real
    assert (real.status_code, real.content) == (missing.status_code, missing.content), (
        method, template, who, real.status_code, missing.status_code,
    )  # fmt: skip
    return real


def test_every_route_is_classified(world):
    served = served_routes(world.client.app)
    assert served - set(CLASSES) == set(), "classify these routes in CLASSES"
    assert set(CLASSES) - served == set(), "these classified routes are no longer served"


def test_every_route_refuses_everyone_who_may_not_reach_its_resource(world):
    before = world.state()
    checked = 0
    for (method, template), k in sorted(CLASSES.items()):
        if k.public:
            continue
        for who in [ANON, *sorted(EVERYONE - k.allowed)]:
            r = refusal(world, who, method, template)
            where = (method, template, who, r.status_code, r.text[:200])
            if who == ANON and is_page(template):
                assert r.status_code == 303 and r.headers["location"] == "/login", where
            elif who == ANON:
                assert r.status_code == 401 and r.json() == NOT_AUTHENTICATED, where
            elif who in k.hidden:
                assert r.status_code == 404, where
                if is_page(template):  # a page's refusal is a page
                    assert r.headers["content-type"].startswith("text/html"), where
                else:
                    assert set(r.json()) == PROBLEM_KEYS, where
            else:
                assert r.status_code == 403, where
            checked += 1
    assert checked > 400
    assert world.state() == before  # nothing a refused request did stayed


def test_everyone_allowed_gets_through_and_lists_hide_what_is_not_theirs(world):
    for (method, template), k in sorted(CLASSES.items()):
        if k.public or method != "GET":
            continue
        for who in sorted(k.allowed):
            r = call(world, who, method, template)
            where = (method, template, who, r.status_code, r.text[:200])
            assert r.status_code not in (401, 403), where
            assert not (r.status_code == 303 and r.headers["location"] == "/login"), where
            if k.hidden:  # the resource is real, so the hidden ones' 404 says something
                assert r.status_code != 404, where
            if who in k.absent_for:
                for resource in ("P", "M", "O"):
                    assert world.ids[resource] not in r.text, where
                assert JOB not in r.text and SESSION not in r.text, where
    for who in ("owner", "aud", "adm"):  # the lists do show the resource to whom it belongs
        r = call(world, who, "GET", "/programs" if who != "aud" else "/ui/audit")
        assert world.ids["P"] in r.text
    assert JOB in call(world, "desk", "GET", "/deal/jobs").text
    assert SESSION in call(world, "mm", "GET", "/repo/sessions").text


# -- the rules' conditions: community listing, transcripts under each reveal policy -------------
@pytest.fixture
def site(tmp_path):
    database = Database.open("memory://", migrate=True)
    tokens = {n: issue_token(database.principals, n, r, NOW)[1] for n, r in PRINCIPALS.items()}
    clock = SimulatedClock(NOW)
    app = create_app(Settings(data_dir=tmp_path / "var"), database=database, clock=clock,
                     signer=SIGNER)  # fmt: skip
    with TestClient(app) as client:
        yield client, {n: bearer(t) for n, t in tokens.items()}, clock, tokens
    database.close()


def open_program(client, owner, **terms) -> str:
    body = {"title": "P", "deposit": "50000",
            "terms": {"market_budget": "1000", "window_seconds": 3600, **terms}}  # fmt: skip
    r = client.post("/programs", json=body, headers=owner)
    assert r.status_code == 201, r.text
    return str(r.json()["program_id"])


def test_scouts_list_markets_only_where_the_terms_allow_and_pay_the_bond(site):
    client, who, _, _ = site
    closed = open_program(client, who["owner"], community_listing=False)
    open_ = open_program(client, who["owner"])
    assert (
        client.get(f"/programs/{open_}", headers=who["fan"]).json()["terms"]["creation_bond"]
        == "25"
    )  # the default: listing costs a scout something
    for pid in (closed, open_):
        client.post(f"/programs/{pid}/deposits", json={"amount": "100"}, headers=who["fan"])
    refused = client.post(f"/programs/{closed}/markets", json={"title": "Mine?"},
                          headers=who["fan"])  # fmt: skip
    assert refused.status_code == 400 and refused.json()["code"] == "community_listing_closed"
    listed = client.post(f"/programs/{open_}/markets", json={"title": "Mine?"},
                         headers=who["fan"])  # fmt: skip
    assert listed.status_code == 201
    balance = client.get(f"/programs/{open_}/balance", headers=who["fan"]).json()
    assert balance["available"] == "75.00"  # the bond, held until the market's window closes
    r = client.post(f"/programs/{closed}/markets", json={"title": "Rival's?"},
                    headers=who["rival"])  # fmt: skip
    assert r.status_code == 404  # another sponsor's program: as if it did not exist
    assert client.post(f"/programs/{closed}/markets", json={"title": "Ours"},
                       headers=who["owner"]).status_code == 201  # fmt: skip


@pytest.mark.parametrize(("policy", "scouts_may"), [("public_all", True), ("per_trader", False),
                                                    ("size_threshold", False)])  # fmt: skip
def test_scouts_read_a_transcript_only_where_the_reveal_policy_makes_it_public(
    site, policy, scouts_may
):
    client, who, clock, tokens = site
    pid = open_program(client, who["owner"], reveal_policy=policy, reveal_threshold="10")
    market = client.post(f"/programs/{pid}/markets", json={"title": "X?"},
                         headers=who["owner"]).json()["market_id"]  # fmt: skip
    client.post(f"/programs/{pid}/deposits", json={"amount": "100"}, headers=who["fan"])
    client.post(f"/programs/{pid}/orders", headers={**who["fan"], "Idempotency-Key": "k"},
                json={"market_id": market, "side": "buy", "max_spend": "20"})  # fmt: skip
    early = client.get(f"/programs/{pid}/transcript", headers=who["fan"])
    assert early.status_code == (400 if scouts_may else 403)  # before settlement: nobody
    clock.advance(timedelta(hours=2))
    client.post(f"/programs/{pid}/markets/{market}/resolve", headers=who["owner"],
                json={"outcome": "yes", "evidence": "signed"})  # fmt: skip
    assert client.post(f"/programs/{pid}/settle", headers=who["owner"]).status_code == 204
    for reader in ("owner", "aud", "adm", "fan", "other"):
        r = client.get(f"/programs/{pid}/transcript", headers=who[reader])
        if reader in ("fan", "other") and not scouts_may:
            assert r.status_code == 403 and r.json() == FORBIDDEN
        else:
            assert r.status_code == 200 and verify_transcript(r.json()) == [], reader
    assert client.get(f"/programs/{pid}/transcript", headers=who["rival"]).status_code == 404
    sign_in(client, tokens["fan"])
    page = client.get(f"/ui/scout/programs/{pid}").text
    assert ('id="transcript"' in page) is scouts_may
    download = client.get(f"/ui/audit/programs/{pid}/transcript.json")
    assert download.status_code == (200 if scouts_may else 403)
