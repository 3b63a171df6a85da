"""``marketcraft opportunity monitor URL``: watch a program's signed checkpoints for forks.

The monitor keeps the last checkpoint it accepted (a signed note, in ``--state``). Each new
one must be signed by the pinned key, name the same log, not be older, and come with a
consistency proof from the last one (RFC 6962), fetched from the service; anything else is a
fork (or a rollback) and the monitor exits 1 saying so. A split view, where the platform shows
one monitor one history and another monitor another, shows up as soon as two monitors compare
the checkpoints they hold (the notes are small and signed: post them anywhere).
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Annotated

import typer

from marketcraft.cli.number_options import finite_float
from marketcraft.kernel.checkpoints import (
    Checkpoint,
    SignedCheckpoint,
    open_checkpoint,
    verify_checkpoints_consistent,
)
from marketcraft.kernel.errors import MarketcraftError, ValidationError
from marketcraft.kernel.signed_note import parse_verifier_key

__all__ = ["Fork", "Origin", "monitor_command", "next_checkpoint"]

_TIMEOUT = 30.0


class Fork(Exception):
    """The log showed a checkpoint that does not extend the last one accepted."""


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=_TIMEOUT) as response:  # noqa: S310 (http(s) only, checked)
        data: bytes = response.read(1 << 20)
        return data


def _pinned(text: str) -> tuple[bytes, str | None]:
    """A 64-hex-digit Ed25519 key, or a signed-note verifier key (whose name is then the
    only origin accepted)."""
    try:
        if len(text) == 64:
            return bytes.fromhex(text), None
        key = parse_verifier_key(text)
    except (ValueError, MarketcraftError) as exc:
        raise typer.BadParameter(f"not a key: {exc}", param_hint="--key") from None
    return key.public_key, key.name


def next_checkpoint(
    last: Checkpoint | None, note: str, key: bytes, proof_for: _ProofSource, origin: Origin
) -> SignedCheckpoint:
    """The checkpoint in ``note`` if it is of the log ``origin`` accepts and extends ``last``
    (fetching the consistency proof from ``proof_for(first, second)``); :class:`Fork` naming
    why if it does not, MarketcraftError if the note is not a checkpoint signed by ``key``."""
    signed = open_checkpoint(note, key)
    new = signed.checkpoint
    if not origin.accepts(new.origin):
        raise ValidationError("wrong_log", f"the checkpoint is of log {new.origin}, not {origin}")
    if last is None:
        return signed
    if new.origin != last.origin:
        raise Fork(f"the checkpoint is of log {new.origin}, not {last.origin}")
    if new.tree_size < last.tree_size:
        raise Fork(f"the log shrank from {last.tree_size} to {new.tree_size} entries")
    if new.timestamp < last.timestamp:
        raise Fork(f"the checkpoint's time went back from {last.timestamp} to {new.timestamp}")
    proof = [] if new.tree_size == last.tree_size else proof_for(last.tree_size, new.tree_size)
    if not verify_checkpoints_consistent(last, new, proof):
        raise Fork(
            f"the checkpoint of {new.tree_size} entries does not extend the one of "
            f"{last.tree_size} (root {base64.b64encode(last.root_hash).decode()})"
        )
    return signed


class Origin:
    """The log a monitor watches: exactly the verifier key's name if one was given, else any
    origin that ends in ``/opportunity/<program>``."""

    def __init__(self, program: str, name: str | None) -> None:
        self.suffix = f"/opportunity/{urllib.parse.quote(program, safe='-._~')}"
        self.name = name

    def accepts(self, origin: str) -> bool:
        return origin == self.name if self.name else origin.endswith(self.suffix)

    def __str__(self) -> str:
        return self.name or f"*{self.suffix}"


class _ProofSource:
    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(self, first: int, second: int) -> list[bytes]:
        query = urllib.parse.urlencode({"first": first, "second": second})
        plain = json.loads(_get(f"{self.base}/checkpoints/consistency?{query}"))
        return [base64.b64decode(h, validate=True) for h in plain["proof"]]


def _load(state: Path, key: bytes) -> Checkpoint | None:
    if not state.exists():
        return None
    return open_checkpoint(state.read_text(encoding="utf-8"), key).checkpoint


def _check_once(base: str, state: Path, key: bytes, origin: Origin) -> str:
    last = _load(state, key)
    note = _get(f"{base}/checkpoint").decode("utf-8")
    signed = next_checkpoint(last, note, key, _ProofSource(base), origin)
    cp = signed.checkpoint
    state.parent.mkdir(parents=True, exist_ok=True)
    partial = state.with_suffix(".partial")
    partial.write_text(signed.note, encoding="utf-8")
    partial.replace(state)  # the last accepted checkpoint survives a crash mid-write
    grown = "" if last is None else f" (+{cp.tree_size - last.tree_size})"
    root = base64.b64encode(cp.root_hash).decode()
    return f"ok {cp.origin} size {cp.tree_size}{grown} root {root} at {cp.timestamp}"


def monitor_command(
    url: Annotated[
        str, typer.Argument(help="The service's base URL, e.g. https://markets.example.")
    ],
    program: Annotated[str, typer.Option("--program", help="The program's id.")],
    key: Annotated[
        str,
        typer.Option("--key", help="The platform's public key (hex) or signed-note verifier key."),
    ],
    state: Annotated[
        Path | None,
        typer.Option(
            "--state",
            help="Where the last accepted checkpoint is kept.",
            show_default="./monitor/PROGRAM.checkpoint",
        ),
    ] = None,
    interval: Annotated[
        float,
        typer.Option(
            "--interval", parser=finite_float(1.0, 86_400.0), help="Seconds between checks."
        ),
    ] = 60.0,
    once: Annotated[bool, typer.Option("--once", help="Check once and exit.")] = False,
) -> None:
    """Fetch the program's latest signed checkpoint, check it extends the last one seen, keep
    it; exit 1 on a fork, loudly."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise typer.BadParameter("an http(s) URL", param_hint="URL")
    base = f"{url.rstrip('/')}/programs/{urllib.parse.quote(program, safe='')}"
    pinned, name = _pinned(key)
    origin = Origin(program, name)
    where = state or Path("monitor") / f"{program}.checkpoint"
    while True:
        try:
            typer.echo(_check_once(base, where, pinned, origin))
        except Fork as fork:
            typer.echo(f"FORK {program}: {fork}", err=True)
            raise typer.Exit(1) from None
        except MarketcraftError as exc:
            typer.echo(f"FAIL {program}: {exc.reason}", err=True)
            raise typer.Exit(1) from None
        except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
            typer.echo(f"unreachable {program}: {exc} (retrying)", err=True)
            if once:
                raise typer.Exit(2) from None
        if once:
            return
        time.sleep(interval)
