"""The nesting check agrees with a parser's own count on every JSON document, whatever strings,
escapes and brackets-in-strings it holds; and it bounds bodies that are not JSON at all."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from marketcraft.service.request_limits import json_nesting_exceeds

TRICKY = st.text(alphabet=st.sampled_from('[]{}"\\/ab\u00e9\n\t'), max_size=12)
scalars = st.none() | st.booleans() | st.integers() | TRICKY
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4),
    max_leaves=40,
)


def depth(value: object) -> int:
    """How many arrays and objects are open at the deepest point (0 for a scalar)."""
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=400, derandomize=True)
@given(documents, st.integers(0, 12), st.booleans())
def test_agrees_with_the_parsed_document(doc, limit, ascii_only):
    body = json.dumps(doc, ensure_ascii=ascii_only).encode()
    assert json.loads(body) == doc
    assert json_nesting_exceeds(body, limit) is (depth(doc) > limit)


@settings(max_examples=200, derandomize=True)
@given(st.integers(1, 300), st.integers(1, 64), st.sampled_from(["[]", "{}"]))
def test_counts_unclosed_and_unbalanced_bodies(n, limit, pair):
    opener = pair[0].encode()
    assert json_nesting_exceeds(opener * n, limit) is (n > limit)
    assert json_nesting_exceeds(b'"' + opener * n + b'"', limit) is False


def test_a_hundred_thousand_brackets():
    assert json_nesting_exceeds(b"[" * 100_000 + b"]" * 100_000, 32)
    assert not json_nesting_exceeds(b"[]" * 100_000, 32)
