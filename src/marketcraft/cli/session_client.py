"""The repo commands' HTTP client for a session on a marketcraft service: a token's requests,
the service's refusals as :class:`ValidationError` with its own words, and a session URL
checked before anything is sent."""

from __future__ import annotations

import contextlib
import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from marketcraft.kernel.errors import ValidationError

__all__ = ["SessionClient"]

#: verifying an upload takes the service a while (minutes for a large grid)
_TIMEOUT = 1800.0


class SessionClient:
    """Requests to the session at ``url`` (``http(s)://HOST/repo/sessions/NAME``) with
    ``token`` (the user's bearer token)."""

    def __init__(self, url: str, token: str) -> None:
        parts = urllib.parse.urlsplit(url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or "/repo/sessions/" not in parts.path
        ):
            raise ValidationError("bad_option", "--session: http(s)://HOST/repo/sessions/NAME")
        if not token:
            raise ValidationError("no_token", "set MARKETCRAFT_TOKEN to your token")
        self.session = url.rstrip("/")
        self.root = f"{parts.scheme}://{parts.netloc}"
        self._token = token

    def request(self, path: str, data: bytes | None = None, *, root: bool = False) -> bytes:
        """The body of a GET (or, with ``data``, a POST of that body) to ``path`` under the
        session's URL (``root``: under the service's)."""
        url = f"{self.root if root else self.session}{path}"
        headers = {"Authorization": f"Bearer {self._token}"}
        if data is not None:  # the same upload sent twice is one
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

    def json(self, path: str = "", *, root: bool = False) -> Any:
        return json.loads(self.request(path, root=root))

    def download(self, path: str, to: Path) -> Path:
        to.write_bytes(self.request(path))
        return to
