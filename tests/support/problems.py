"""The API's refusals as tests expect them: RFC 9457 problem details."""

from __future__ import annotations

import http
from typing import Any

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def problem(status: int, code: str, detail: str) -> dict[str, Any]:
    """The problem document the API answers with for ``status``, ``code`` and ``detail``."""
    return {
        "type": "about:blank", "title": http.HTTPStatus(status).phrase, "status": status,
        "detail": detail, "code": code,
    }  # fmt: skip


NOT_AUTHENTICATED = problem(401, "not_authenticated", "not authenticated")
FORBIDDEN = problem(403, "forbidden", "forbidden")
