"""The ``marketcraft`` command: the root typer app (:mod:`marketcraft.cli.main`) and one module of
sub-commands per mechanism. The console script runs :func:`main`."""

from marketcraft.cli.main import app, main

__all__ = ["app", "main"]
