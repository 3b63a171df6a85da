"""Duplicate detection for market titles: two titles are the same market if they normalise to
the same text (Unicode NFKC, case-folded, punctuation dropped, whitespace collapsed)."""

from __future__ import annotations

import unicodedata

__all__ = ["normalise_title"]


def normalise_title(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold()
    kept = [ch if ch.isalnum() else " " for ch in text]
    return " ".join("".join(kept).split())
