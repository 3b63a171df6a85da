"""Package version, read by the build backend and by ``marketcraft --version``."""

__version__ = "0.1.0"
