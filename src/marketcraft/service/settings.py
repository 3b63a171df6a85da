"""Service settings, read from the environment (prefix ``MARKETCRAFT_``) or a ``.env`` file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MARKETCRAFT_", env_file=".env", extra="ignore")

    #: memory://, sqlite:///FILE (default, embedded) or postgresql://USER@HOST:PORT/DB
    database_url: str = "sqlite:///./var/marketcraft.db"
    #: where the service keeps its files (keys, demo tokens, reports)
    data_dir: Path = Path("./var")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    #: how long a token lookup is remembered; a revocation by another process (the CLI, a
    #: second server) takes effect within this time, one through this server's API at once
    token_cache_seconds: float = Field(default=2.0, ge=0, le=60)
    #: how often ``marketcraft serve`` ticks every peg market (feed, band, correction, mode);
    #: 0 leaves ticking to the operator's POST /peg/markets/{name}/tick
    peg_tick_seconds: float = Field(default=60.0, ge=0, le=86_400)
    #: where the repo contract's circuits and proof setups are cached (default: the user cache,
    #: ``$XDG_CACHE_HOME/marketcraft`` or ``~/.cache/marketcraft``)
    repo_cache: Path | None = None
    #: log level for the server (critical, error, warning, info, debug)
    log_level: str = "info"
    #: how long a sign-in to the pages lasts, in seconds, however busy the session is
    session_seconds: int = Field(default=8 * 3600, ge=60, le=30 * 86400)
    #: mark the pages' cookies Secure: unset, when the request came over https (behind a TLS
    #: proxy, uvicorn's --proxy-headers reads it from X-Forwarded-Proto); true or false, always
    #: or never
    secure_cookies: bool | None = None
    #: the secret signing the pages' session and CSRF cookies (at least 32 characters); unset,
    #: a random one kept in DATA_DIR/keys/session.key. Servers sharing users must share it.
    session_secret: SecretStr | None = Field(default=None, min_length=32)
