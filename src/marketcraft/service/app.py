"""The FastAPI application: ``create_app`` for tests and embedding, ``app_from_env`` for uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from marketcraft.__about__ import __version__
from marketcraft.app.group_commit import Committer
from marketcraft.app.peg_markets import PegMarkets, tick_forever
from marketcraft.app.programs import (
    ProgramRepository,
    checkpoint_due,
    checkpoint_forever,
    snapshot_due,
    snapshot_forever,
)
from marketcraft.app.repo_sessions import RepoSessions
from marketcraft.config import Settings
from marketcraft.kernel.clock import Clock, SystemClock
from marketcraft.kernel.signing import Signer
from marketcraft.service.auth import PrincipalCache
from marketcraft.service.deal_jobs import DealJobs
from marketcraft.service.errors import ERROR_RESPONSES, install_error_handlers
from marketcraft.service.formats import FILTERS
from marketcraft.service.idempotency import REPLAYED_HEADER
from marketcraft.service.logs import REQUEST_ID_HEADER, configure_logging, install_request_ids
from marketcraft.service.metrics import install_metrics
from marketcraft.service.openapi import docs_router, install_openapi
from marketcraft.service.page_security import PageSecurity, csrf_field
from marketcraft.service.rate_limits import install_rate_limits
from marketcraft.service.request_limits import RequestLimits
from marketcraft.service.routers import (
    admin,
    deal,
    operations,
    opportunity,
    pages,
    peg,
    repo,
    role_pages,
    sponsor_pages,
    system,
    transparency,
)
from marketcraft.service.sessions import LoginRequired, home_of, take_flash
from marketcraft.store.database import Database
from marketcraft.store.keys import load_or_create_signer

__all__ = ["API_ROUTERS", "PUBLIC_PATHS", "app_from_env", "create_app"]

#: the only routes callable without a token; a test checks every other route enforces a role
PUBLIC_PATHS = frozenset(
    {
        "/",
        "/health",
        "/ready",
        # open unless MARKETCRAFT_METRICS_TOKEN is set (then that token only; no role)
        "/metrics",
        "/docs",
        "/docs/oauth2-redirect",
        "/docs/assets/{name}",
        "/openapi.json",
        "/redoc",
        "/login",
        "/logout",
        # a peg market is public: anyone may read it and its dashboard
        "/peg/markets",
        "/peg/markets/{name}",
        "/peg/markets/{name}/history",
        "/ui/peg",
        "/ui/peg/{name}",
        "/ui/peg/{name}/live",
        # a program's log is a transparency log: anyone may monitor its checkpoints
        "/programs/{program_id}/log",
        "/programs/{program_id}/checkpoint",
        "/programs/{program_id}/checkpoints",
        "/programs/{program_id}/checkpoints/consistency",
    }
)

#: every router the app serves; the role-matrix test walks these
API_ROUTERS = (
    opportunity.router, transparency.router, system.router, operations.router, admin.router,
    peg.router, repo.router, deal.router,
)  # fmt: skip

API_DESCRIPTION = """\
Every request but the public reads carries a bearer token (`Authorization: Bearer mc_...`, from
`marketcraft users create`); each route says which roles may call it.

* **Errors** are RFC 9457 problem details (`application/problem+json`): `type`, `title`,
  `status`, `detail`, and `code`, a stable machine-readable code; a request that fails
  validation (422) lists each refused field in `errors`. A refusal never says more about a
  resource than the caller may see: one it may not see is answered as one that does not exist.
* **Retries**: every route that moves money or starts work takes an `Idempotency-Key` header
  (orders require one): the same key with the same request gets the first answer again.
* **Lists** are pages: `?offset=0&limit=50` gives `{"items": [...], "next_offset": 50}`
  (`next_offset` is null on the last page).
* **Money** travels as decimal strings, never floats.
"""

#: seconds (see app_from_env)
SWITCH_INTERVAL = 0.0005

_TEMPLATES = Path(__file__).with_name("templates")


def _background_tasks(
    app: FastAPI, settings: Settings, *, tick_pegs: bool
) -> list[asyncio.Task[None]]:
    """The loops the app runs while it serves, as configured: peg ticks, program snapshots
    and checkpoints."""
    tasks = []
    if tick_pegs and settings.peg_tick_seconds > 0:
        tasks.append(asyncio.create_task(tick_forever(app, settings.peg_tick_seconds)))
    if settings.snapshot_every > 0:
        snapshots = snapshot_forever(
            app.state.programs, settings.snapshot_every, settings.snapshot_idle_seconds
        )
        tasks.append(asyncio.create_task(snapshots))
    if settings.checkpoint_every > 0:
        checkpoints = checkpoint_forever(
            app.state.programs, settings.checkpoint_every, settings.checkpoint_seconds,
            app.state.clock,
        )  # fmt: skip
        tasks.append(asyncio.create_task(checkpoints))
    return tasks


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
    signer: Signer | None = None,
    tick_pegs: bool = False,
) -> FastAPI:
    """Build the app.

    With ``tick_pegs`` the app ticks every peg market each ``settings.peg_tick_seconds``
    (``marketcraft serve`` does; tests tick by hand).

    With ``database`` given the caller owns it; otherwise the app opens the one in
    ``settings.database_url`` at startup (its schema must be current) and closes it at shutdown.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        if owned:
            _attach(app, Database.open(settings.database_url), signer, settings)
        tasks = _background_tasks(app, settings, tick_pegs=tick_pegs)
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False  # stopping: send traffic elsewhere
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if settings.checkpoint_every > 0:
                now = app.state.clock.now()
                await asyncio.to_thread(checkpoint_due, app.state.programs, 1, 0.0, now)
            if settings.snapshot_every > 0:
                await asyncio.to_thread(snapshot_due, app.state.programs, 1, 0.0)
            if owned:
                app.state.database.close()

    app = FastAPI(
        title="marketcraft",
        version=__version__,
        summary="Private opportunity markets, pegged-token market making, market-maker deals "
        "and sealed repo trades.",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        # served by docs_router, from files on this server (no CDN)
        docs_url=None,
        redoc_url=None,
        # operation ids are the handlers' names (place_order, get_program): short and unique
        generate_unique_id_function=lambda route: route.name,
    )
    install_openapi(app)
    app.state.settings = settings
    app.state.ready = False  # until the lifespan has started (GET /ready)
    app.state.clock = clock or SystemClock()
    app.state.templates = Jinja2Templates(directory=str(_TEMPLATES))
    app.state.templates.env.filters.update(FILTERS)
    app.state.templates.env.globals.update(currency=settings.currency)
    app.state.templates.env.globals.update(
        csrf_field=csrf_field, take_flash=take_flash, home_of=home_of
    )
    # Middleware runs outermost first: the request id, metrics, CORS, request limits, then
    # sessions, CSRF and origin checks (pages only), then rate limits (which read a page's
    # session to find its principal). Each is added inside-out, the innermost first.
    install_rate_limits(app, settings)
    app.add_middleware(PageSecurity, settings=settings)
    install_error_handlers(
        app, [r for router in API_ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    )
    for router in API_ROUTERS:
        app.include_router(router, responses=ERROR_RESPONSES)
    app.include_router(docs_router)
    app.include_router(pages.router)
    app.include_router(sponsor_pages.router)
    app.include_router(deal.pages)
    app.include_router(role_pages.router)

    # Added last, so it runs first: no body reaches a parser, a guard or a route unchecked.
    app.add_middleware(
        RequestLimits,
        max_body_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
        uploads={repo.CONTRIBUTION_PATH: settings.max_zkey_bytes},
    )
    # Outside the request limits, so their refusals are counted, readable across origins
    # and logged with the request's id.
    _install_cors(app, settings)
    app.state.metrics = install_metrics(app, settings)
    install_request_ids(app)
    if database is not None:
        _attach(app, database, signer, settings)

    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, _exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    return app


def _install_cors(app: FastAPI, settings: Settings) -> None:
    """Let the configured origins' scripts call the API; none configured, no CORS header at
    all. Bearer tokens only: no cookies cross origins (the pages keep their own origin check)."""
    if not settings.cors_origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", REQUEST_ID_HEADER],
        expose_headers=[REQUEST_ID_HEADER, "Retry-After", REPLAYED_HEADER],
        allow_credentials=False,
        max_age=600,
    )


def _attach(app: FastAPI, database: Database, signer: Signer | None, settings: Settings) -> None:
    """Put the database and what is built on it on the app's state."""
    app.state.database = database
    app.state.principal_cache = PrincipalCache(database.principals, settings.token_cache_seconds)
    app.state.programs = ProgramRepository(
        database.events,
        signer or load_or_create_signer(settings.data_dir),
        database.quarantine,
        database.snapshots,
        origin_prefix=settings.log_origin,
        merge_delay=timedelta(seconds=settings.max_merge_delay_seconds),
    )
    app.state.metrics.watch_programs(app.state.programs)
    app.state.committer = Committer(app.state.programs, app.state.metrics.observe_batch)
    app.state.peg_markets = PegMarkets(database.events, database.quarantine)
    app.state.repo_sessions = RepoSessions(
        database.events,
        settings.data_dir / "repo-contract.key",
        settings.repo_cache,
        demo=settings.demo,
    )
    app.state.deal_jobs = DealJobs(
        settings.data_dir / "deal-jobs", max_active=settings.deal_jobs_per_analyst,
        max_paths=settings.deal_max_paths, now=app.state.clock.now,
    )  # fmt: skip
    app.state.metrics.watch(app.state.deal_jobs)


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: settings from the environment."""
    # Synchronous routes run in worker threads that share the GIL with the event loop; a
    # waiting thread gets it after the switch interval, 5 ms by default, at every hand-over.
    sys.setswitchinterval(SWITCH_INTERVAL)
    settings = Settings()
    configure_logging(settings)
    app = create_app(settings, tick_pegs=True)
    # What exists now (modules, the app, its schemas: hundreds of thousands of objects) lives
    # as long as the process. Frozen, the cyclic garbage collector never walks it again, so
    # its full collections stop costing requests tens of milliseconds each.
    gc.freeze()
    return app
