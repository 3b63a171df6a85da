"""Settings of the service and the command line, read from the environment (prefix
``MARKETCRAFT_``) or a ``.env`` file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from marketcraft.kernel.limits import MAX_DEAL_PATHS

__all__ = ["DEFAULT_MAX_ACTIVE", "DEFAULT_MAX_PATHS", "Settings"]

#: the deal-job quotas' defaults: analyses one analyst may have queued or running at once, and
#: the most paths one analysis may run
DEFAULT_MAX_ACTIVE, DEFAULT_MAX_PATHS = 3, 20_000


#: an origin as a browser sends it: scheme, host and an optional port, nothing after
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)


def split_origins(value: str) -> list[str]:
    """The origins in a comma-separated setting, blanks dropped."""
    return [origin.strip() for origin in value.split(",") if origin.strip()]


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
    #: 0 leaves ticking to the operator's POST /peg/markets/{name}/tick. The default is the
    #: longest interval with which a +30% gap is back in the band within the default
    #: correction time (1 h) at the default fee, one fee's worth a tick at most
    #: (``marketcraft peg restoration``; ``sim.peg.restoration.tick_for``); at 60 s it took 1.4 h
    peg_tick_seconds: float = Field(default=30.0, ge=0, le=86_400)
    #: a program gets a signed snapshot of its state (what a restart loads, folding only the
    #: records after it) once it has this many records after its last one and has been quiet
    #: for ``snapshot_idle_seconds``; every program with new records gets one at shutdown.
    #: 0 writes none (a load still starts from a snapshot another process wrote)
    snapshot_every: int = Field(default=10_000, ge=0)
    snapshot_idle_seconds: float = Field(default=2.0, ge=0, le=3_600)
    #: a live page's event stream (the sponsor's dashboard, a peg market's page) sends what
    #: changed every ``live_interval_seconds`` and ends after ``live_stream_seconds`` (the
    #: browser reconnects at once), so no connection is held forever; 0 sends the page's
    #: figures once and ends
    live_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    live_stream_seconds: float = Field(default=300.0, ge=0, le=3_600)
    #: the first part of each program log's origin, ``<log_origin>/opportunity/<program id>``:
    #: the name its checkpoints and signing key go by (a host name the operator controls)
    log_origin: str = Field(default="marketcraft.localhost", pattern=r"^[A-Za-z0-9._~/:-]+$")
    #: the unit the pages print after opportunity programs' cash amounts (a label only: the
    #: engine keeps amounts, not currencies)
    currency: str = Field(default="USD", pattern=r"^[A-Za-z$€£¥]{1,8}$")
    #: a program's log gets a signed checkpoint once this many commands are not covered by
    #: one, or ``checkpoint_seconds`` after the last, whichever comes first (0: neither; an
    #: auditor publishes by hand). Every receipt promises its entry a checkpoint within
    #: ``max_merge_delay_seconds``, so that must exceed ``checkpoint_seconds``
    checkpoint_every: int = Field(default=10_000, ge=0)
    checkpoint_seconds: float = Field(default=60.0, gt=0, le=86_400)
    max_merge_delay_seconds: float = Field(default=300.0, gt=0, le=7 * 86_400)
    #: where the repo contract's circuits and proof setups are cached (default: the user cache,
    #: ``$XDG_CACHE_HOME/marketcraft`` or ``~/.cache/marketcraft``)
    repo_cache: Path | None = None
    #: the demo is running (`make run`): the demo's repo setup, whose randomness one party
    #: made, may be used; refused otherwise
    demo: bool = False
    #: the largest circuit key a dealer may upload as its contribution to a repo session's
    #: setup (its route's own body limit; every other route keeps ``max_body_bytes``). The
    #: body is read before the caller's token is checked, as every body is: raise it only as
    #: far as the grids in use need (a key is 3.5 MB at K = 4, tens of MB at K = 64)
    max_zkey_bytes: int = Field(default=64 << 20, ge=1 << 20, le=4 << 30)
    #: the largest request body, in bytes, on any route (413 above it, before it is parsed)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=1 << 30)
    #: how deeply arrays and objects may nest in a JSON body (400 deeper, before it is parsed)
    max_json_depth: int = Field(default=32, ge=2, le=256)
    #: the addresses of a TLS proxy in front (comma-separated, or "*"), whose X-Forwarded-For
    #: and X-Forwarded-Proto `marketcraft serve` believes; empty: none, so no caller can pose as
    #: another address (rate limits count by address) or as https
    forwarded_allow_ips: str = Field(default="", max_length=1000)
    #: log level for the server (critical, error, warning, info, debug)
    log_level: str = "info"
    #: how `marketcraft serve` writes its log lines (the app's and uvicorn's, access lines
    #: included): "text", one readable line each, or "json", one JSON object each; either way
    #: every line written during a request carries its request id
    log_format: Literal["text", "json"] = "text"
    #: serve Prometheus metrics at GET /metrics
    metrics_enabled: bool = True
    #: unset, /metrics is open to anyone who reaches it (scrape it on an internal network, and
    #: keep it off a public proxy); set, it answers only ``Authorization: Bearer <this token>``
    metrics_token: SecretStr | None = Field(default=None, min_length=16)
    #: the origins (``scheme://host[:port]``, comma-separated, or "*") whose browser scripts may
    #: call the API across origins; empty: none, and no response carries a CORS header
    cors_allow_origins: str = Field(default="", max_length=4000)
    #: how long a sign-in to the pages lasts, in seconds, however busy the session is
    session_seconds: int = Field(default=8 * 3600, ge=60, le=30 * 86400)
    #: mark the pages' cookies Secure: unset, when the request came over https (behind a TLS
    #: proxy, uvicorn's --proxy-headers reads it from X-Forwarded-Proto); true or false, always
    #: or never
    secure_cookies: bool | None = None
    #: the secret signing the pages' session and CSRF cookies (at least 32 characters); unset,
    #: a random one kept in DATA_DIR/keys/session.key. Servers sharing users must share it.
    session_secret: SecretStr | None = Field(default=None, min_length=32)

    # -- quotas and rate limits (README: "Quotas, rate limits and quarantine") -------------------
    #: deal analyses one analyst may have queued or running at once; one more is refused (429)
    deal_jobs_per_analyst: int = Field(default=DEFAULT_MAX_ACTIVE, ge=1, le=1_000)
    #: the most Monte Carlo paths one deal analysis may run; more is refused (400, ``paths``)
    deal_max_paths: int = Field(default=DEFAULT_MAX_PATHS, ge=1, le=MAX_DEAL_PATHS)
    #: request rate limits (429 with Retry-After); off, no limit is counted at all
    rate_limit_enabled: bool = True
    #: per principal (a valid bearer token or session), over every route; limits are written
    #: "N/second|minute|hour|day", several separated by ";"
    rate_limit_default: str = "1200/minute"
    #: per client address, for requests without a valid token
    rate_limit_anonymous: str = "120/minute"
    #: per client address, for POST /login (instead of the anonymous limit)
    rate_limit_login: str = "10/minute"
    #: where the counts live: memory:// (per process: N server workers allow N times the limit)
    #: or a shared store the `limits` library supports, its client installed (redis://HOST:PORT)
    rate_limit_storage: str = "memory://"

    @field_validator("rate_limit_default", "rate_limit_anonymous", "rate_limit_login")
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        from limits import parse_many  # noqa: PLC0415 (slow start: the CLI starts without it)

        parse_many(value)  # ValueError names what is wrong
        return value

    @field_validator("cors_allow_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in split_origins(value):
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port], no path)")
        return value

    @property
    def cors_origins(self) -> list[str]:
        return split_origins(self.cors_allow_origins)

    @model_validator(mode="after")
    def _merge_after_cadence(self) -> Settings:
        if self.checkpoint_every and self.max_merge_delay_seconds <= self.checkpoint_seconds:
            raise ValueError("max_merge_delay_seconds must exceed checkpoint_seconds")
        return self
