"""marketcraft: run, simulate and audit market mechanisms for sponsors and market makers."""

from marketcraft.__about__ import __version__

__all__ = ["__version__"]
