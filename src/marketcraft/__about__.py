"""Package version, read by the build backend and by ``marketcraft --version``."""

__version__ = "0.2.0"
