"""Signed snapshots of folded state: a cache that lets a load fold only the events after it.

A snapshot is pickled state, so it is read only if it carries the service's own Ed25519
signature over its stream, version and bytes, and was written by this version of marketcraft
(an upgrade may change the state's classes: the events are folded again instead), in this
snapshot format (:data:`FORMAT`, raised whenever the shape of what is pickled changes). Anything
else (unsigned, another key, another version or format, unreadable) is ignored, with a warning,
and the load folds every event: a snapshot can make a load faster, never different.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from marketcraft.__about__ import __version__
from marketcraft.kernel.signing import Signer, verify_signature
from marketcraft.store.snapshots import Snapshot

__all__ = ["FORMAT", "open_snapshot", "seal_snapshot"]

#: the shape of what a snapshot pickles: 2 since a program keeps one order escrow per market and
#: scout, and its orders' facts in the store (format 1 snapshots are ignored: events are folded)
FORMAT = 2

_DOMAIN = b"marketcraft/snapshot/v1\n"
_SIGNATURE = 64
_log = logging.getLogger(__name__)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic collector off while a snapshot is (un)pickled: it would walk the whole
    growing state at every threshold (unpickling a large program was over twice as slow)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _digest(stream_id: str, version: int, blob: bytes) -> bytes:
    head = f"{stream_id}\n{version}\n".encode()
    return _DOMAIN + hashlib.sha256(head + blob).digest()


def seal_snapshot(signer: Signer, stream_id: str, version: int, payload: Any) -> Snapshot:
    """``payload`` (the state at ``version`` of ``stream_id``) pickled and signed."""
    with _collector_paused():
        blob = pickle.dumps((FORMAT, __version__, stream_id, version, payload), protocol=5)
    signature = signer.sign(_digest(stream_id, version, blob))
    return Snapshot(stream_id, version, signature + blob)


def open_snapshot(public_key: bytes, snapshot: Snapshot) -> Any | None:
    """The payload of a snapshot this service sealed, or None (logged) for any other."""
    signature, blob = snapshot.data[:_SIGNATURE], snapshot.data[_SIGNATURE:]
    digest = _digest(snapshot.stream_id, snapshot.version, blob)
    if not verify_signature(public_key, digest, signature):
        _log.warning("snapshot of %s ignored: bad signature", snapshot.stream_id)
        return None
    try:
        with _collector_paused():
            opened = pickle.loads(blob)  # noqa: S301 (signed by us)
    except Exception as exc:  # signed by us but unreadable now: fold the events instead
        _log.warning("snapshot of %s ignored: %s", snapshot.stream_id, exc)
        return None
    if not (isinstance(opened, tuple) and len(opened) == 5 and opened[0] == FORMAT):
        _log.info("snapshot of %s ignored: an older snapshot format", snapshot.stream_id)
        return None
    _, written_by, stream_id, version, payload = opened
    if (written_by, stream_id, version) != (__version__, snapshot.stream_id, snapshot.version):
        _log.info("snapshot of %s ignored: written by marketcraft %s", stream_id, written_by)
        return None
    return payload
