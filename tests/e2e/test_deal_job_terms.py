"""Terms an analyst sends the service are only terms: they cannot make the server open a file
or tell whether one exists, nest deep enough to exhaust the parser, or hold numbers longer than
Python reads; each is a 400 naming what is wrong, never a server path, and leaves nothing on
disk. Through the API and through the page's upload alike."""

import pytest

from tests.e2e.test_deal_quotas import desk, submit  # noqa: F401
from tests.e2e.test_deal_service import short_terms
from tests.support.pages import flash_after, sign_in


def with_market(extra: str) -> str:
    return short_terms().replace("[market]", "[market]\n" + extra, 1)


def hostile_terms(tmp_path) -> dict[str, str]:
    secret = tmp_path / "secret.csv"
    secret.write_text("price\n1\n2\n")
    return {
        "an absolute csv that exists": with_market(f'model = "bootstrap"\ncsv = "{secret}"'),
        "an absolute csv that does not": with_market('model = "bootstrap"\ncsv = "/no/such.csv"'),
        "a relative csv": with_market('model = "bootstrap"\ncsv = "../../secret.csv"'),
        "a funding csv": short_terms() + '\n[funding]\nmodel = "csv"\ncsv = "/etc/hostname"\n',
        "inline tables 2,000 deep": "x = " + "{a = " * 2000 + "1" + "}" * 2000,
        "arrays 3,000 deep": "x = " + "[" * 3000 + "]" * 3000,
        "an integer of 5,000 digits": "[loan]\ntokens = " + "9" * 5000 + "\n",
        "not UTF-8 once uploaded": short_terms() + "\n# \udcff\n",
    }


def test_hostile_terms_are_refused_through_the_api(desk, tmp_path):  # noqa: F811
    client, people, root = desk
    answers = {}
    for kind, terms in hostile_terms(tmp_path).items():
        if "UTF-8" in kind:
            continue  # JSON carries text: only an upload can be bytes that are not UTF-8
        r = submit(client, people["ana"], terms=terms)
        assert r.status_code == 400, (kind, r.status_code, r.text)
        assert r.json()["code"] == "bad_terms", kind
        assert str(tmp_path) not in r.text and "/no/such" not in r.text, (kind, r.text)
        answers[kind] = r.json()
    assert answers["an absolute csv that exists"] == answers["an absolute csv that does not"]
    assert "market.csv" in answers["a relative csv"]["detail"]
    assert "funding.csv" in answers["a funding csv"]["detail"]
    assert not root.exists() or not any(root.iterdir())  # no job folder left behind


@pytest.mark.parametrize("kind", ["inline tables 2,000 deep", "not UTF-8 once uploaded",
                                  "an absolute csv that exists"])  # fmt: skip
def test_hostile_terms_are_refused_through_the_page(desk, tmp_path, database, kind):  # noqa: F811
    client, people, root = desk
    sign_in(client, people["ana"]["Authorization"].removeprefix("Bearer "))
    content = hostile_terms(tmp_path)[kind].encode("utf-8", "surrogateescape")
    r = client.post(
        "/ui/analyst/jobs",
        data={"paths": "10", "step": ""},
        files={"terms": ("deal.toml", content, "text/plain")},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/ui/analyst", (kind, r.text)
    message = flash_after(client, r)
    assert "terms" in message and str(tmp_path) not in message, (kind, message)
    assert not root.exists() or not any(root.iterdir())
