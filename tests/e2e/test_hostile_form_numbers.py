"""Hostile numbers typed into every number field of every page form: refused (the page comes
back with a message naming the field, or a 422 naming it for text longer than any number),
nothing stored. The pages read a form's number through the API's own types, so they refuse
exactly what the API refuses (see test_hostile_numbers.py).

The fields are found on the page routes themselves (every form field marked ``x-number``), so
a new one is covered once its form has a valid value for it here (FORMS)."""

from __future__ import annotations

import time
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketcraft.service.app import create_app
from marketcraft.service.routers.pages import NUMBER_MARK
from marketcraft.store import Database
from tests.support.hostile_numbers import hostile_text, known_text
from tests.support.hostile_service import world  # noqa: F401
from tests.support.pages import flash_after, sign_in

#: a deal short enough that its analysis (run once, by the valid form) takes seconds
TERMS = (
    (Path(__file__).parents[2] / "examples" / "deals" / "article.toml")
    .read_text()
    .replace("tenor_days = 365", "tenor_days = 2")
)
#: a valid submission of each form with number fields: (who, fields)
FORMS: dict[str, tuple[str, dict[str, str]]] = {
    "/ui/scout/programs/{program_id}/deposit": ("scout", {"amount": "10"}),
    "/ui/scout/programs/{program_id}/withdraw": ("scout", {"amount": "1"}),
    "/ui/sponsor/programs/{program_id}/collateral/withdraw": ("sponsor", {"amount": "1"}),
    "/ui/scout/programs/{program_id}/orders": ("scout", {
        "market_id": "{market_id}", "max_spend": "10", "key": "hostile", "side": "buy",
        "outcome": "yes", "limit_price": "0.2",
    }),
    "/ui/scout/programs/{program_id}/close-orders": ("scout", {
        "market_id": "{market_id}", "trigger_price": "0.2", "max_shares": "1", "outcome": "yes",
    }),
    "/ui/sponsor/programs": ("sponsor", {
        "title": "T", "deposit": "1000", "budget": "100", "window": "14", "window_unit": "days",
        "pa": "0.01", "pb": "0.3", "fee_rate": "0.01", "reveal_threshold": "0", "first_n": "0",
        "creation_bond": "0", "late_reveal_days": "30",
    }),
    "/ui/analyst/jobs": ("ana", {"paths": "10", "step": "1h"}),
    "/ui/trade/{name}": ("tia", {
        "verb": "buy-peg", "amount": "1", "min_return": "0", "max_cost": "1",
    }),
    "/ui/admin/peg/{name}/credits": ("ops", {"user": "tia", "amount": "1"}),
}  # fmt: skip
#: fields read as whole numbers (no negative zero) or as text that is a number (a time step);
#: every other number field is a decimal
KINDS = {"first_n": "integer", "paths": "integer", "step": "digits"}
#: what a page says when a form went through
SUCCESS = ("done", "program opened", "order accepted", "withdrawn", "collateral withdrawn",
           "Buy PEG with COL in usd: received", "credited 1 COL")  # fmt: skip


def _succeeded(r: Any, message: str) -> bool:
    return r.headers["location"].startswith("/ui/analyst/jobs/") or message.startswith(SUCCESS)


def _marked(route: APIRoute) -> list[str]:
    return [
        p.name for p in route.dependant.body_params
        if (p.field_info.json_schema_extra or {}) == NUMBER_MARK
    ]  # fmt: skip


def _form_fields() -> list[tuple[str, str]]:
    app = create_app(database=Database.open("memory://"))
    return [
        (route.path, name)
        for route in app.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
        for name in _marked(route)
    ]


FIELDS = _form_fields()


def test_every_number_form_field_is_found_and_has_a_valid_form_to_carry_it():
    found = {f"{path} {name}" for path, name in FIELDS}
    assert {"/ui/scout/programs/{program_id}/deposit amount", "/ui/sponsor/programs budget",
            "/ui/sponsor/programs first_n", "/ui/analyst/jobs step"} <= found  # fmt: skip
    missing = [f"{p} {n}" for p, n in FIELDS if p not in FORMS or n not in FORMS[p][1]]
    assert not missing, f"give these a valid value in FORMS: {missing}"


@pytest.fixture(scope="module")
def browsers(world):  # noqa: F811
    """A signed-in browser per person."""
    made = {}
    for who in ("scout", "sponsor", "ana", "tia", "ops"):
        browser = TestClient(world.client.app)
        token = world.auth[who]["Authorization"].removeprefix("Bearer ")
        assert sign_in(browser, token).is_redirect
        made[who] = browser
    return made


def _submit(world: Any, browser: TestClient, path: str, form: dict[str, str]) -> Any:  # noqa: F811
    url = path.format(program_id=world.program, name="usd")
    data = {k: v.replace("{market_id}", world.market) for k, v in form.items()}
    if path == "/ui/analyst/jobs":
        files = {"terms": ("deal.toml", TERMS.encode(), "text/plain")}
        return browser.post(url, data=data, files=files, follow_redirects=False)
    return browser.post(url, data=data, follow_redirects=False)


@pytest.mark.parametrize(("path", "name"), FIELDS, ids=lambda x: x)
@settings(
    max_examples=10, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(data=st.data())
def test_a_hostile_number_in_a_form_is_refused_naming_its_field(world, browsers, path, name, data):  # noqa: F811
    who, form = FORMS[path]
    value = data.draw(hostile_text(KINDS.get(name, "decimal")), label="value")
    before = world.snapshot()
    browser = browsers[who]
    _refused_naming(browser, _submit(world, browser, path, {**form, name: value}), name, value)
    assert world.snapshot() == before


def _refused_naming(browser: TestClient, r: Any, name: str, value: str) -> None:
    sent = repr(value)[:60]
    if r.status_code == 422:  # longer than any number: the framework's refusal (a page), naming it
        assert r.headers["content-type"].startswith("text/html"), (sent, r.text[:300])
        assert f"body.{name}:" in unescape(r.text), (sent, r.text[:300])
        return
    assert r.status_code == 303, (sent, r.status_code, r.text[:300])
    message = unescape(flash_after(browser, r))
    assert name.replace("_", " ") in message, (sent, message)
    assert not _succeeded(r, message), (sent, r.headers["location"], message)


@pytest.mark.parametrize(("path", "name"), FIELDS, ids=lambda x: x)
def test_every_listed_hostile_number_in_a_form_is_refused(world, browsers, path, name):  # noqa: F811
    who, form = FORMS[path]
    before = world.snapshot()
    browser = browsers[who]
    for value in known_text(KINDS.get(name, "decimal")):
        _refused_naming(browser, _submit(world, browser, path, {**form, name: value}), name, value)
    assert world.snapshot() == before


def test_the_valid_forms_are_accepted(world, browsers):  # noqa: F811
    """The hostile submissions above differ from these only in the hostile value."""
    for path, (who, form) in FORMS.items():
        r = _submit(world, browsers[who], path, form)
        assert r.status_code == 303, r.text
        assert _succeeded(r, flash_after(browsers[who], r)), (path, r.headers)
    job = r.headers["location"].rsplit("/", 1)[-1]  # the analysis: let it finish, then leave
    deadline = time.monotonic() + 120
    while world.client.get(f"/deal/jobs/{job}", headers=world.auth["ana"]).json()["status"] in (
        "queued", "running",
    ):  # fmt: skip
        assert time.monotonic() < deadline, "the analysis did not finish"
        time.sleep(0.3)
