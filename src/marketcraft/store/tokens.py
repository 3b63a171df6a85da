"""API tokens of principals: 256-bit random strings (``mc_...``) shown once, when the principal
is created; the store keeps only their SHA-256."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from marketcraft.kernel.errors import ValidationError
from marketcraft.roles import Role
from marketcraft.store.principals import Principal, PrincipalStore

__all__ = ["TOKEN_PREFIX", "USER_NAME", "hash_token", "issue_token", "new_token"]

#: user names: ASCII only, so no two look alike and every one is a path segment as it is
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
TOKEN_PREFIX = "mc_"  # noqa: S105 - a public prefix, not a secret


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    principals: PrincipalStore, name: str, role: Role | str, created_at: datetime
) -> tuple[Principal, str]:
    """Create principal ``name`` with ``role``; return it and its token.

    The token is shown once and never stored; only its SHA-256 is kept."""
    name = name.strip()
    if USER_NAME.fullmatch(name) is None:
        raise ValidationError(
            "bad_name",
            "a user name is 1..100 ASCII letters, digits and . _ @ + -, starting with a letter "
            "or digit",
        )
    try:
        role = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationError("bad_role", f"role must be one of: {allowed}") from None
    token = new_token()
    return principals.create(name, role.value, hash_token(token), created_at), token
