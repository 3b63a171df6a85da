"""A repo session names its proof setup by id only: never a path or a pattern on the server."""

import pytest

from marketcraft.roles import Role
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, bearer

SESSION = {
    "name": "s1", "volumes": [0, 1, 2, 3], "deadline": "2030-01-01T00:00:00Z",
    "mm_dealer": "user-dealer", "rm_dealer": "user-dealer",
}  # fmt: skip


@pytest.mark.parametrize("setup", ["/etc/passwd", "**", "../../../**/zz", "*", "ABCDEF12", "a" * 7])
def test_a_setup_that_is_not_an_id_is_refused_naming_it(client, tokens, setup):
    r = client.post(
        "/repo/sessions", headers=bearer(tokens[Role.ADMIN]), json={**SESSION, "setup": setup}
    )
    assert r.status_code == 422, r.text
    assert [d["loc"] for d in r.json()["errors"]] == [["body", "setup"]]


def test_an_unknown_setup_id_is_a_clear_400(client, tokens, database, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    issue_token(database.principals, "user-dealer-2", Role.DEALER, NOW)
    body = {**SESSION, "rm_dealer": "user-dealer-2", "setup": "ab" * 8}
    r = client.post("/repo/sessions", headers=bearer(tokens[Role.ADMIN]), json=body)
    assert r.status_code == 400 and r.json()["code"] == "no_setup", r.text


@pytest.mark.parametrize("who", ["nobody", "user-scout", "user-admin", "gone"])
def test_a_session_names_two_active_dealers(client, tokens, database, who):
    issue_token(database.principals, "gone", Role.DEALER, NOW)
    database.principals.revoke("gone")
    r = client.post(
        "/repo/sessions", headers=bearer(tokens[Role.ADMIN]), json={**SESSION, "rm_dealer": who}
    )
    assert r.status_code == 400, r.text
    assert "rm_dealer" in r.text and "not an active dealer" in r.text
