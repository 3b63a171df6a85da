"""Who may call the service: named principals with a role and the SHA-256 of their token.

Tokens themselves are never stored; a lost token is replaced, not recovered.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from marketcraft.kernel.errors import NotFound, ValidationError
from marketcraft.store.schema import principals

__all__ = ["InMemoryPrincipalStore", "Principal", "PrincipalStore", "SqlPrincipalStore"]


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    role: str
    created_at: datetime
    active: bool = True


class PrincipalStore(Protocol):
    def create(self, name: str, role: str, token_hash: str, created_at: datetime) -> Principal:
        """Raise ValidationError if the name (or token hash) is taken."""
        ...

    def by_token_hash(self, token_hash: str) -> Principal | None:
        """The active principal holding this token, or None."""
        ...

    def get(self, name: str) -> Principal | None: ...

    def list(self) -> list[Principal]: ...

    def revoke(self, name: str) -> None:
        """Deactivate a principal; NotFound if there is none by that name."""
        ...


class InMemoryPrincipalStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_name: dict[str, tuple[Principal, str]] = {}

    def create(self, name: str, role: str, token_hash: str, created_at: datetime) -> Principal:
        with self._lock:
            if name in self._by_name or any(h == token_hash for _, h in self._by_name.values()):
                raise ValidationError("name_taken", f"a user named {name!r} exists")
            principal = Principal(name, role, created_at)
            self._by_name[name] = (principal, token_hash)
            return principal

    def by_token_hash(self, token_hash: str) -> Principal | None:
        with self._lock:
            for principal, h in self._by_name.values():
                if h == token_hash and principal.active:
                    return principal
        return None

    def get(self, name: str) -> Principal | None:
        with self._lock:
            found = self._by_name.get(name)
            return found[0] if found else None

    def list(self) -> list[Principal]:
        with self._lock:
            return sorted((p for p, _ in self._by_name.values()), key=lambda p: p.name)

    def revoke(self, name: str) -> None:
        with self._lock:
            if name not in self._by_name:
                raise NotFound("not_found", f"no user named {name!r}")
            principal, h = self._by_name[name]
            self._by_name[name] = (
                Principal(principal.name, principal.role, principal.created_at, False),
                h,
            )


class SqlPrincipalStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.table = principals

    def create(self, name: str, role: str, token_hash: str, created_at: datetime) -> Principal:
        try:
            with self.engine.connect().execution_options(write=True) as conn, conn.begin():
                conn.execute(
                    insert(self.table).values(
                        name=name,
                        role=role,
                        token_hash=token_hash,
                        created_at=created_at,
                        active=True,
                    )
                )
        except IntegrityError:
            raise ValidationError("name_taken", f"a user named {name!r} exists") from None
        return Principal(name, role, created_at)

    def _one(self, where: object) -> Principal | None:
        t = self.table
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.c.name, t.c.role, t.c.created_at, t.c.active).where(where)  # type: ignore[arg-type]
            ).first()
        return None if row is None else _principal(row)

    def by_token_hash(self, token_hash: str) -> Principal | None:
        t = self.table
        return self._one((t.c.token_hash == token_hash) & t.c.active.is_(True))

    def get(self, name: str) -> Principal | None:
        return self._one(self.table.c.name == name)

    def list(self) -> list[Principal]:
        t = self.table
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.name, t.c.role, t.c.created_at, t.c.active).order_by(t.c.name)
            ).all()
        return [_principal(r) for r in rows]

    def revoke(self, name: str) -> None:
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            result = conn.execute(
                update(self.table).where(self.table.c.name == name).values(active=False)
            )
            if result.rowcount == 0:
                raise NotFound("not_found", f"no user named {name!r}")


def _principal(row: object) -> Principal:
    r = row._mapping  # type: ignore[attr-defined]
    created = r["created_at"]
    # SQLite keeps no zone: every time the service writes is UTC, so read it back as UTC.
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return Principal(r["name"], r["role"], created, bool(r["active"]))
