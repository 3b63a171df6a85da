"""Service settings, read from the environment (prefix ``MARKETCRAFT_``) or a ``.env`` file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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
    #: the largest request body, in bytes, on any route (413 above it, before it is parsed)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=1 << 30)
    #: how deeply arrays and objects may nest in a JSON body (400 deeper, before it is parsed)
    max_json_depth: int = Field(default=32, ge=2, le=256)
    #: log level for the server (critical, error, warning, info, debug)
    log_level: str = "info"
