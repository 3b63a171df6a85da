"""HTTP service: FastAPI app, auth and roles, one router per mechanism, server-rendered pages.

The app is imported on first use: a deal job's own process imports only the service's job
module."""

from typing import TYPE_CHECKING

from marketcraft.exports import lazy_exports

if TYPE_CHECKING:
    from marketcraft.service.app import app_from_env, create_app

__all__ = [
    "app_from_env",
    "create_app",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "app_from_env": ".app",
        "create_app": ".app",
    },
)
