"""The API's OpenAPI document follows the conventions clients rely on: every operation has a
summary, a description and an example; every schema a description and (objects) an example;
tags are described; operation ids are short and unique; schema names are unique; every refusal
is a problem (RFC 9457) and every list is a page. The docs pages load nothing from elsewhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketcraft.config import Settings
from marketcraft.service.app import create_app
from marketcraft.service.errors import PROBLEM_JSON
from marketcraft.store import Database

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    database = Database.open("memory://")
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("var")), database=database)
    with TestClient(app) as client:
        yield client
    database.close()


@pytest.fixture(scope="module")
def spec(client) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def has_example(spec: dict[str, Any], op: dict[str, Any]) -> bool:
    """An example anywhere a reader looks: a parameter, the request body, a success's body."""
    if any("example" in p or "examples" in p for p in op.get("parameters", [])):
        return True
    media = [*op.get("requestBody", {}).get("content", {}).values()]
    for status, response in op["responses"].items():
        if status.startswith("2"):
            media += response.get("content", {}).values()
    for m in media:
        if "example" in m or "examples" in m:
            return True
        schema = resolve(spec, m.get("schema", {}))
        if "examples" in schema or "examples" in resolve(spec, schema.get("items", {})):
            return True
    return False


def test_there_are_operations_to_check(spec):
    assert len(operations(spec)) >= 59


def test_every_operation_has_a_summary_a_description_an_example_and_a_short_id(spec):
    ids = []
    for method, path, op in operations(spec):
        where = (method, path)
        assert op.get("summary"), where
        assert len(op.get("description", "")) > 20, where
        assert has_example(spec, op), where
        assert re.fullmatch(r"[a-z][a-z0-9_]{2,30}", op["operationId"]), (where, op["operationId"])
        assert op.get("tags"), where
        ids.append(op["operationId"])
    assert len(ids) == len(set(ids))
    by_id = {op["operationId"]: (m, p) for m, p, op in operations(spec)}
    assert by_id["place_order"] == ("POST", "/programs/{program_id}/orders")
    assert by_id["get_program"] == ("GET", "/programs/{program_id}")


def test_tags_are_described_and_every_operation_uses_a_described_tag(spec):
    described = {t["name"]: t["description"] for t in spec["tags"]}
    assert all(len(d) > 10 for d in described.values())
    used = {tag for _, _, op in operations(spec) for tag in op["tags"]}
    assert used <= set(described), used - set(described)


def test_every_schema_has_a_description_and_every_object_an_example(spec):
    schemas = spec["components"]["schemas"]
    for name, schema in schemas.items():
        assert schema.get("description"), name
        if schema.get("type") == "object" or "properties" in schema:
            assert schema.get("examples"), name
    titles = [s.get("title", n) for n, s in schemas.items()]
    assert len(titles) == len(set(titles)), "two schemas share a title"
    assert not [n for n in schemas if "__" in n], "a schema named after its module"


def test_every_refusal_is_a_problem_and_401_403_only_behind_a_token(spec):
    for method, path, op in operations(spec):
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)
        if not op.get("security"):
            assert "401" not in op["responses"] and "403" not in op["responses"], (method, path)
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code", "errors"} <= set(problem["properties"])


def test_every_list_is_a_page_with_offset_and_limit(spec):
    lists = 0
    for method, path, op in operations(spec):
        schema = resolve(spec, op["responses"].get("200", {}).get("content", {})
                         .get("application/json", {}).get("schema", {}))  # fmt: skip
        assert schema.get("type") != "array", (method, path)  # a bare list cannot be paged
        if "next_offset" in schema.get("properties", {}):
            lists += 1
            params = {p["name"] for p in op.get("parameters", [])}
            assert {"offset", "limit"} <= params, (method, path)
    assert lists >= 10


def test_money_and_work_routes_take_an_idempotency_key(spec):
    for method, path in [
        ("post", "/programs"), ("post", "/programs/{program_id}/deposits"),
        ("post", "/programs/{program_id}/withdrawals"),
        ("post", "/programs/{program_id}/collateral/withdrawals"),
        ("post", "/programs/{program_id}/orders"), ("post", "/programs/{program_id}/close-orders"),
        ("post", "/programs/{program_id}/settle"), ("post", "/peg/markets"),
        ("post", "/peg/markets/{name}/credits"), ("post", "/peg/markets/{name}/buy-peg"),
        ("post", "/peg/markets/{name}/sell-peg"), ("post", "/peg/markets/{name}/buy-mms"),
        ("post", "/peg/markets/{name}/sell-mms"), ("post", "/deal/jobs"),
        ("post", "/repo/sessions/{name}/settle"),
    ]:  # fmt: skip
        params = {p["name"]: p for p in spec["paths"][path][method].get("parameters", [])}
        assert params.get("Idempotency-Key", {}).get("in") == "header", (method, path)
    order = spec["paths"]["/programs/{program_id}/orders"]["post"]["parameters"]
    assert [p["required"] for p in order if p["name"] == "Idempotency-Key"] == [True]


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def test_the_docs_load_only_from_this_server(client):
    fetched = 0
    for page in ("/docs", "/redoc"):
        r = client.get(page)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "//" not in re.sub(r"<!--.*?-->", "", r.text).replace("://", ""), page
        assert not re.search(r"https?:", r.text), page  # no CDN, no font service
        parser = _Assets()
        parser.feed(r.text)
        scripts = [u for u in parser.urls if u.endswith((".js", ".css", ".png"))]
        assert scripts, page
        for url in scripts:
            assert url.startswith("/docs/assets/"), url
            asset = client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 1000, url
            fetched += 1
        assert "/openapi.json" in r.text
    assert fetched >= 5
    assert client.get("/docs/assets/../../app.py").status_code == 404
    assert client.get("/docs/assets/nope.js").json()["code"] == "no_asset"
