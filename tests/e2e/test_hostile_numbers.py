"""Hostile numbers against every number field of every API route: NaN, sNaN, infinities (as
text and as bare JSON tokens), 1e400, 10^26, 5,000 digits, 1E+999999, 1e-400, -0, other
scripts' digits, numbers where text belongs. Each is a 4xx that names the field, and nothing is
stored: the log's size, the balances, the jobs and the sessions stay as they were.

The fields come from the OpenAPI schema, so a new number field (in a body or a query) is
covered as soon as it exists; only a new route needs a valid body to carry it (ROUTES)."""

from __future__ import annotations

import base64
import itertools
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.public import PublicKey, SealedBox

from marketcraft.number_types import DECIMAL_PATTERN
from marketcraft.opportunity.commands import Context, DepositCash, OpenProgram
from marketcraft.opportunity.terms import ProgramTerms
from marketcraft.service.app import create_app
from marketcraft.store import Database
from tests.support.hostile_numbers import (
    HOSTILE,
    KNOWN,
    Raw,
    hostile_decimal,
    hostile_digits,
    hostile_integer,
)
from tests.support.hostile_service import COMMITTING, NOW, OPENING, body_json, world  # noqa: F401
from tests.support.pages import sign_in
from tests.support.problems import problem

TERMS = "[loan]\ntokens = 1000\n"
#: a valid request for each route with number fields: (who, body); the field under test is
#: replaced by a hostile value, so any refusal must name that field
ROUTES: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {
    ("post", "/programs"): (
        "sponsor", {"title": "T", "deposit": "1000", "terms": {"market_budget": "100"}},
    ),
    ("get", "/programs"): ("sponsor", None),
    ("get", "/programs/{program_id}/markets"): ("sponsor", None),
    ("get", "/programs/{program_id}/dashboard"): ("sponsor", None),
    ("post", "/programs/{program_id}/deposits"): ("scout", {"amount": "10"}),
    ("post", "/programs/{program_id}/withdrawals"): ("scout", {"amount": "10"}),
    ("post", "/programs/{program_id}/collateral/withdrawals"): ("sponsor", {"amount": "10"}),
    ("post", "/programs/{program_id}/orders"): (
        "scout", {"market_id": "{market_id}", "side": "buy", "max_spend": "10"},
    ),
    ("get", "/programs/{program_id}/orders"): ("scout", None),
    ("get", "/programs/{program_id}/checkpoints"): ("scout", None),
    ("get", "/programs/{program_id}/checkpoints/consistency"): ("scout", None),
    ("post", "/programs/{program_id}/close-orders"): (
        "scout", {"market_id": "{market_id}", "side": "buy", "trigger_price": "0.2",
                  "max_shares": "1"},
    ),
    ("post", "/peg/markets"): (
        "ops", {"name": "fresh", "opener": "founder", "deposit": "1000000", "feed": "0.5"},
    ),
    ("post", "/peg/markets/{name}/credits"): ("ops", {"user": "tia", "amount": "10"}),
    ("post", "/peg/markets/{name}/feed"): ("ops", {"price": "0.5"}),
    **{("post", f"/peg/markets/{{name}}/{trade}"): ("tia", {"amount": "1"})
       for trade in ("buy-peg", "sell-peg", "buy-mms", "sell-mms")},
    ("post", "/repo/sessions"): ("ops", {
        "name": "fresh", "volumes": [0, 5], "deadline": "2027-01-01T00:00:00+00:00",
        "mm_dealer": "mia", "rm_dealer": "rex",
    }),
    ("post", "/repo/sessions/{name}/commitment"): ("mia", {"commitment": "1"}),
    ("post", "/deal/jobs"): ("ana", {"terms": TERMS}),
    ("get", "/deal/jobs"): ("ana", None),
    ("get", "/peg/markets"): ("ops", None),
    ("get", "/peg/markets/{name}/history"): ("ops", None),
    ("get", "/repo/sessions"): ("ops", None),
    ("get", "/admin/users"): ("ops", None),
}  # fmt: skip


@dataclass(frozen=True)
class Field:
    method: str
    path: str
    where: str  # body or query
    loc: tuple[str | int, ...]
    kind: str  # decimal, integer or digits (see tests.support.hostile_numbers)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} {'.'.join(map(str, self.loc))}"


def _kind(schema: dict[str, Any]) -> str | None:
    """What number a property's schema holds, if any."""
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    if any(s.get("pattern") == DECIMAL_PATTERN for s in options):
        return "decimal"
    if any(s.get("type") == "integer" for s in options):
        return "integer"
    for s in options:  # text that admits digits but no letters is a number written as text
        pattern = s.get("pattern")
        if s.get("type") == "string" and pattern and re.search(pattern, "12"):
            return None if re.search(pattern, "ab") else "digits"
    return None


def _walk(schema: dict[str, Any], spec: dict[str, Any], loc: tuple[Any, ...]) -> list[Any]:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    found = []
    for name, prop in schema.get("properties", {}).items():
        resolved = prop
        if "$ref" in prop:
            resolved = spec["components"]["schemas"][prop["$ref"].rsplit("/", 1)[-1]]
        if resolved.get("properties"):
            found += _walk(resolved, spec, (*loc, name))
        elif resolved.get("type") == "array" and _kind(resolved.get("items", {})):
            found.append(((*loc, name, 1), _kind(resolved["items"])))
        elif _kind(resolved):
            found.append(((*loc, name), _kind(resolved)))
    return found


def number_fields(spec: dict[str, Any]) -> list[Field]:
    fields = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                if param["in"] == "query" and _kind(param["schema"]):
                    kind = _kind(param["schema"])
                    fields.append(Field(method, path, "query", (param["name"],), kind))
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            for loc, kind in _walk(body.get("schema", {}), spec, ()):
                fields.append(Field(method, path, "body", loc, kind))
    return fields


def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = create_app(database=Database.open("memory://")).openapi()
    return spec


FIELDS = number_fields(_spec())


def test_the_schema_shows_the_number_fields_and_their_bounds():
    """Anti-vacuity: the walk finds the money fields of every mechanism, each with its bound."""
    found = {str(f) for f in FIELDS}
    for expected in (
        "POST /programs deposit", "POST /programs terms.fee_rate", "POST /programs terms.first_n",
        "POST /programs/{program_id}/orders limit_price", "GET /programs offset",
        "POST /peg/markets feed", "POST /peg/markets/{name}/sell-mms amount",
        "POST /repo/sessions volumes.1", "POST /repo/sessions/{name}/commitment commitment",
        "POST /deal/jobs seed", "POST /deal/jobs step",
    ):  # fmt: skip
        assert expected in found, expected
    spec = _spec()["components"]["schemas"]
    amount = spec["CashIn"]["properties"]["amount"]["anyOf"]
    assert {"type": "number", "exclusiveMinimum": 0.0, "maximum": 1e15} in amount
    assert {"type": "string", "pattern": DECIMAL_PATTERN, "maxLength": 40} in amount
    assert spec["JobIn"]["properties"]["seed"]["anyOf"][0]["maximum"] == 2**53 - 1


def test_every_route_with_number_fields_has_a_body_to_carry_them():
    missing = {(f.method, f.path) for f in FIELDS} - set(ROUTES)
    assert not missing, f"add a valid request for {sorted(missing)} to ROUTES"


def _put(body: Any, loc: tuple[Any, ...], value: Any) -> None:
    for step in loc[:-1]:
        body = body[step]
    body[loc[-1]] = value


def _names(detail: list[dict[str, Any]], want: tuple[Any, ...]) -> bool:
    return any(tuple(d["loc"][: len(want)]) == want for d in detail)


_KEYS = itertools.count()


def _send(w: Any, field: Field, value: str | Raw) -> Any:
    who, base = ROUTES[(field.method, field.path)]
    path = field.path.format(program_id=w.program, name=COMMITTING if "/repo/" in field.path
                             else "usd")  # fmt: skip
    # a fresh key for each send: a key reused for another request is refused for that alone
    key = f"hostile-{next(_KEYS)}"
    headers = {**w.auth[who], "Idempotency-Key": key, "Content-Type": "application/json"}
    if field.where == "query":
        text = value.json if isinstance(value, Raw) else value
        return w.client.request(field.method, path, headers=headers, params={field.loc[0]: text})
    body = json.loads(json.dumps(base).replace("{market_id}", w.market))
    _put(body, field.loc, "<hostile>")
    raw = {"<hostile>": value.json if isinstance(value, Raw) else json.dumps(value)}
    return w.client.request(field.method, path, headers=headers, content=body_json(body, raw))


def _refused_naming(response: Any, field: Field, value: Any) -> None:
    sent = repr(value)[:60]
    assert 400 <= response.status_code < 500, (sent, response.status_code, response.text[:300])
    reply = response.json()
    if response.status_code == 422:
        assert _names(reply["errors"], (field.where, *field.loc)), (sent, reply)
    else:
        name = str(field.loc[-1]).replace("_", " ")
        assert name in reply["detail"].replace("_", " "), (sent, reply)


@pytest.mark.parametrize("field", FIELDS, ids=str)
def test_every_listed_hostile_number_is_refused_naming_its_field(world, field):  # noqa: F811
    before = world.snapshot()
    for value in KNOWN[field.kind]:
        _refused_naming(_send(world, field, value), field, value)
    assert world.snapshot() == before


@pytest.mark.parametrize("field", FIELDS, ids=str)
@settings(
    max_examples=10, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(data=st.data())
def test_a_hostile_number_is_refused_naming_its_field_and_nothing_changes(world, field, data):  # noqa: F811
    before = world.snapshot()
    value = data.draw(HOSTILE[field.kind](), label="value")
    _refused_naming(_send(world, field, value), field, value)
    assert world.snapshot() == before


@pytest.mark.parametrize(
    "deadline",
    ["2026-06-20T12:00:00", "2026-06-20 12:00", "2026-06-20", "²", "9" * 5000,
     Raw("NaN"), Raw("Infinity"), Raw("1e400"), Raw("1" + "0" * 26)],
    ids=repr,
)  # fmt: skip
def test_a_deadline_without_a_time_zone_or_not_a_time_is_refused(world, deadline):  # noqa: F811
    before = world.snapshot()
    field = Field("post", "/repo/sessions", "body", ("deadline",), "time")
    _refused_naming(_send(world, field, deadline), field, deadline)
    assert world.snapshot() == before


# -- sealed openings: their numbers are JSON numbers, finite, never text --------------------------
def _opening_value(name: str) -> st.SearchStrategy[Any]:
    words = st.from_regex(r"[0-9]{1,4}", fullmatch=True)  # text where a number belongs
    return {
        "volumes": st.one_of(hostile_integer(), words),
        "rates": st.one_of(hostile_decimal(), words),
        "hurdle": st.one_of(hostile_decimal(), words),
        "salt": hostile_digits(),
    }[name]


@settings(
    max_examples=60, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(data=st.data())
def test_a_sealed_opening_with_a_hostile_number_is_refused_and_not_stored(world, data):  # noqa: F811
    plain = world.mm_opening.to_plain()
    name = data.draw(st.sampled_from(["volumes", "rates", "hurdle", "salt"]), label="field")
    loc = (name, data.draw(st.integers(0, len(plain[name]) - 1))) if name in ("volumes", "rates") \
        else (name,)  # fmt: skip
    value = data.draw(_opening_value(name), label="value")
    _put(plain, loc, "<hostile>")
    text = body_json(
        plain, {"<hostile>": value.json if isinstance(value, Raw) else json.dumps(value)}
    )
    box = SealedBox(PublicKey(world.contract_key)).encrypt(text.encode())
    before = world.snapshot()
    r = world.client.post(f"/repo/sessions/{OPENING}/opening", headers=world.auth["mia"],
                          json={"sealed": base64.b64encode(box).decode()})  # fmt: skip
    assert r.status_code == 400, r.text
    # refused as unreadable (naming the sealed opening), not as a readable one that mismatches
    assert r.json() == problem(
        400, "bad_opening", "the sealed opening does not decrypt to a valid report for this side"
    )
    assert world.snapshot() == before


def test_the_real_opening_is_accepted(world):  # noqa: F811
    """The hostile openings above differ from this one only in the hostile value."""
    text = json.dumps(world.mm_opening.to_plain())
    box = SealedBox(PublicKey(world.contract_key)).encrypt(text.encode())
    r = world.client.post(f"/repo/sessions/{OPENING}/opening", headers=world.auth["mia"],
                          json={"sealed": base64.b64encode(box).decode()})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["submitted"] == ["mm"]


# -- what the bounds are for: the largest amounts work end to end ---------------------------------
def test_the_largest_deposit_is_stored_and_every_view_of_it_answers(world):  # noqa: F811
    """10^15 is accepted and shown (balance, orders, page); one cent more is refused. Before the
    bound, 10^26 was stored and every later read of the balance was a 500."""
    path = f"/programs/{world.program}"
    scout = world.auth["scout"]
    too_much = world.client.post(
        f"{path}/deposits", headers=scout, json={"amount": "1000000000000000.01"}
    )
    assert too_much.status_code == 422 and _names(too_much.json()["errors"], ("body", "amount"))
    r = world.client.post(f"{path}/deposits", headers=scout, json={"amount": "1000000000000000"})
    assert r.status_code == 200, r.text
    assert world.client.get(f"{path}/balance", headers=scout).status_code == 200
    order = {"market_id": world.market, "side": "buy", "max_spend": "1000000000000000"}
    r = world.client.post(f"{path}/orders", headers={**scout, "Idempotency-Key": "max"}, json=order)
    assert r.status_code in (201, 400), r.text  # placed, or refused by a rule: never a 500
    assert world.client.get(f"{path}/orders", headers=scout).status_code == 200


def test_a_json_number_keeps_every_digit(world):  # noqa: F811
    """Python's json reads 999999999999999.99 as the float 1e15: a deposit one cent larger than
    the scout sent. Read exactly, it is what was sent."""
    path = f"/programs/{world.program}"
    scout = {**world.auth["scout"], "Content-Type": "application/json"}
    before = Decimal(world.client.get(f"{path}/balance", headers=scout).json()["available"])
    r = world.client.post(
        f"{path}/deposits", headers=scout, content='{"amount": 999999999999999.99}'
    )
    assert r.status_code == 200, r.text
    assert Decimal(r.json()["available"]) - before == Decimal("999999999999999.99")


def test_amounts_stored_before_the_bounds_still_read(world):  # noqa: F811
    """A program opened (through the engine) with terms and a deposit beyond today's bounds, as
    the API accepted before them: every view of it answers, in the API and on the pages. Before,
    a 10^26 deposit made the scout's balance, orders and page answer 500 (they quantised in
    Python's 28-digit default context)."""
    big, fine = Decimal(10) ** 26, Decimal("0.0100000000000000000001")
    now, programs = world.clock.now(), world.client.app.state.programs
    terms = ProgramTerms(market_budget=big, pa=fine, fee_rate=fine)
    programs.handle(
        "p-before", OpenProgram("p-before", "Before", big, terms), Context("sponsor", now)
    )
    programs.handle("p-before", DepositCash(big), Context("scout", now))
    get = world.client.get
    views = [("sponsor", ""), ("sponsor", "/p-before"), ("sponsor", "/p-before/dashboard"),
             ("scout", "/p-before/balance"), ("scout", "/p-before/orders")]  # fmt: skip
    for who, path in views:
        r = get(f"/programs{path}", headers=world.auth[who])
        assert r.status_code == 200, (path, r.text[:200])
    assert get("/programs/p-before", headers=world.auth["sponsor"]).json()["terms"]["pa"] == str(
        fine
    )
    for who, page in (("scout", "/ui/scout/programs/p-before"),
                      ("sponsor", "/ui/sponsor/programs/p-before")):  # fmt: skip
        browser = type(world.client)(world.client.app)
        sign_in(browser, world.auth[who]["Authorization"].split()[-1])
        shown = browser.get(page)
        assert shown.status_code == 200 and "100000000000000000000000000" in shown.text, page
