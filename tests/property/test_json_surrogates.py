"""The lone-surrogate check agrees with Python's own encoder on every JSON text: it flags exactly
the bodies whose strings no UTF-8 encoder can carry, whatever escapes surround them."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from marketcraft.service.request_limits import json_escapes_lone_surrogate

#: characters that make the check's work hard: both halves of surrogate pairs, whole pairs,
#: backslashes (escaped in JSON), and text that looks like an escape ("\\ud800" as six letters)
PIECES = st.sampled_from(
    ["\ud800", "\udbff", "\udc00", "\udfff", "\U0001f600", "\\", "\\ud800", "u", "d8", "a", '"']
)
strings = st.lists(PIECES, max_size=8).map("".join)


def encodable(value: object) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@settings(max_examples=500, derandomize=True)
@given(st.lists(strings, max_size=4), st.booleans())
def test_agrees_with_the_encoder(values, as_keys):
    doc = {v: 1 for v in values} if as_keys else values
    body = json.dumps(doc).encode()  # ensure_ascii: every non-ASCII character is escaped
    # what a parser makes of it (a high and a low half side by side become one character)
    assert json_escapes_lone_surrogate(body) is (not encodable(json.loads(body)))


def test_upper_case_escapes_and_raw_pairs():
    assert json_escapes_lone_surrogate(b'["\\uD800"]')
    assert not json_escapes_lone_surrogate(b'["\\uD83D\\uDE00"]')
    assert not json_escapes_lone_surrogate('["\U0001f600"]'.encode())
