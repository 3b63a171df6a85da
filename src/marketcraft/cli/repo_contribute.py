"""`marketcraft repo contribute --session URL`: a dealer's contribution to a session's setup,
made on the dealer's own machine. Downloads the session's current circuit key, adds one
phase-2 contribution named as the dealer's user (fresh randomness, handed to snarkjs on its
standard input and forgotten), uploads the result, and checks that the service's ceremony now
lists that contribution's hash under the dealer's name."""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.zk.ceremony import contribute_zkey

__all__ = ["contribute_to_session"]

#: verifying an upload takes the service a while (minutes for a large grid)
_TIMEOUT = 1800.0


def _request(url: str, token: str, data: bytes | None = None) -> bytes:
    headers = {"Authorization": f"Bearer {token}"}
    if data is not None:  # the same upload sent twice is one contribution
        key = hashlib.sha256(data).hexdigest()[:32]
        headers |= {"Content-Type": "application/octet-stream", "Idempotency-Key": key}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (checked)
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        with contextlib.suppress(ValueError, AttributeError):
            detail = json.loads(detail).get("detail", detail)
        raise ValidationError("refused", f"{url}: {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ValidationError("unreachable", f"{url}: {exc}") from None


def _json(url: str, token: str) -> Any:
    return json.loads(_request(url, token))


def contribute_to_session(session_url: str, token: str) -> str:
    """Contribute to the session at ``session_url`` as the user ``token`` belongs to; the
    contribution's hash (hex), once the service has verified and listed it."""
    parts = urllib.parse.urlsplit(session_url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or "/repo/sessions/" not in parts.path
    ):
        raise ValidationError("bad_option", "--session: http(s)://HOST/repo/sessions/NAME")
    if not token:
        raise ValidationError("no_token", "set MARKETCRAFT_TOKEN to your dealer token")
    base = session_url.rstrip("/")
    root = f"{parts.scheme}://{parts.netloc}"
    me = _json(f"{root}/me", token)["name"]
    state = _json(f"{base}/ceremony", token)
    mine = _json(base, token).get("side")
    if state["awaiting"] != mine:
        waiting = state["awaiting"]
        raise ValidationError(
            "not_your_turn",
            "the session awaits no contribution" if waiting is None
            else f"the session awaits the {waiting.upper()} dealer's contribution first",
        )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="marketcraft-contribute-") as tmp:
        current, mine_key = Path(tmp) / "current.zkey", Path(tmp) / "mine.zkey"
        current.write_bytes(_request(f"{base}/ceremony/zkey", token))
        made = contribute_zkey(current, mine_key, me)
        after = json.loads(_request(f"{base}/ceremony/contributions", token, mine_key.read_bytes()))
    listed = [c for c in after["contributions"] if c["phase"] == 2 and c["hash"] == made]
    if not listed or listed[0]["name"] != me:
        raise ValidationError(
            "not_listed", f"the service's ceremony does not list contribution {made} by {me}"
        )
    return made
