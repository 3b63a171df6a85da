"""A refused form comes back filled in: what was typed is kept for the next page, with the
field that was refused marked, so nobody types an order twice.

The values travel in the signed session cookie (the browser's own input, back to the same
browser), are shown once, and never include the CSRF token or the form's idempotency key:
the page that shows them issues new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fastapi import Request
from markupsafe import Markup

__all__ = ["NOT_KEPT", "SESSION_KEY", "KeptForm", "keep_form", "refused_field", "take_kept"]

SESSION_KEY = "kept"
#: never carried back: a fresh one is issued with every page (the CSRF token's form field,
#: ``page_security.FORM_FIELD``, and a form's idempotency key)
NOT_KEPT = frozenset({"csrftoken", "key"})
_MAX_FIELDS, _MAX_LENGTH = 40, 200


@dataclass(frozen=True)
class KeptForm:
    """What a refused form held (empty when nothing was refused)."""

    values: Mapping[str, str] = field(default_factory=dict)
    field: str | None = None  # the field the refusal names, if it names one

    def _mine(self, form: str | None) -> bool:
        """Whether the refused form is ``form`` (a page with two forms sharing a field name
        tells them apart by a hidden ``form`` field); None: any form."""
        return form is None or self.values.get("form") == form

    def value(self, name: str, default: object = "", form: str | None = None) -> str:
        """What the field held when it was refused, else ``default``."""
        fallback = str(default) if default is not None else ""
        return self.values.get(name, fallback) if self._mine(form) else fallback

    def invalid(self, name: str, form: str | None = None) -> Markup:
        """``aria-invalid`` on the refused field (screen readers and the page's style mark it)."""
        if name == self.field and self._mine(form):
            return Markup(' aria-invalid="true" aria-describedby="flash" autofocus')
        return Markup("")


def refused_field(reason: str, values: Mapping[str, str]) -> str | None:
    """The form field a refusal's reason names: ``"max spend: ..."`` names ``max_spend``."""
    head, colon, _ = reason.partition(":")
    name = head.strip().removeprefix("check the ").replace(" ", "_")
    return name if colon and name in values else None


def keep_form(request: Request, values: Mapping[str, object], named: str = "") -> None:
    """Keep ``values`` (a submitted form) for the next page this browser opens; ``named`` is
    the refused field's name, or the refusal's reason when that names one."""
    kept = {
        name: value[:_MAX_LENGTH]
        for name, value in list(values.items())[:_MAX_FIELDS]
        if isinstance(value, str) and name not in NOT_KEPT
    }
    field = named if named in kept else refused_field(named, kept)
    request.session[SESSION_KEY] = {"values": kept, "field": field}


def take_kept(request: Request) -> KeptForm:
    """The form kept for this page, removed so it shows once."""
    if "session" not in request.scope:
        return KeptForm()
    kept = request.session.pop(SESSION_KEY, None)
    if not isinstance(kept, dict) or not isinstance(kept.get("values"), dict):
        return KeptForm()
    values = {k: v for k, v in kept["values"].items() if isinstance(k, str) and isinstance(v, str)}
    named = kept.get("field")
    return KeptForm(values, named if isinstance(named, str) else None)
