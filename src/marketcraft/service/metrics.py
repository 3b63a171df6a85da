"""Prometheus metrics at ``GET /metrics``: request latency per route, and the service's own
(the group commit's batches, the deal job queue).

Requests are counted by :class:`RequestMetrics` with ``prometheus-client``, under the names and
labels of ``prometheus-fastapi-instrumentator`` (so its dashboards work): labelled by the route's
template (``/programs/{program_id}/orders``), never by the raw path, and by status class
(``2xx``): a path no route matches counts as ``none``, so no caller can add label values. The
template is the one the router matched (``scope["route"]``): that instrumentator matches every
request against every route a second time, which cost a third of the order throughput.

Each app has its own registry (tests build many apps in one process). With ``--workers N`` each
server process counts its own requests: a scrape sees the process that answered it.

The route is open unless ``metrics_token`` is set; then it answers only that bearer token
(``401`` otherwise, as a missing token is answered everywhere)."""

from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketcraft.config import Settings
from marketcraft.service.errors import problem_response

if TYPE_CHECKING:
    from marketcraft.app.programs import ProgramRepository
    from marketcraft.service.deal_jobs import DealJobs

__all__ = ["METRICS_PATH", "RequestMetrics", "ServiceMetrics", "install_metrics"]

METRICS_PATH = "/metrics"

#: seconds; the README tunes a p99 of tens of milliseconds, so the buckets are fine there
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: commands per group-commit batch
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class ServiceMetrics:
    """The service's own metrics, in ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.batch_size = Histogram(
            "marketcraft_commit_batch_size",
            "Opportunity commands per group-commit batch (one transaction per program each)",
            buckets=BATCH_BUCKETS, registry=registry,
        )  # fmt: skip
        self.batch_seconds = Histogram(
            "marketcraft_commit_batch_seconds",
            "Seconds to decide and durably store one group-commit batch (fsync included)",
            buckets=LATENCY_BUCKETS, registry=registry,
        )  # fmt: skip
        self.deal_jobs_queued = Gauge(
            "marketcraft_deal_jobs_queued",
            "Deal analyses waiting for this server process to run them (the running one not "
            "counted)",
            registry=registry,
        )
        self._deal_jobs: DealJobs | None = None
        self.deal_jobs_queued.set_function(self._queued)
        self.commit_conflicts = Gauge(
            "marketcraft_commit_conflicts",
            "Group-commit batches this process decided again because another process appended "
            "to the same program first (since it started)",
            registry=registry,
        )
        self._programs: ProgramRepository | None = None
        self.commit_conflicts.set_function(self._conflicts)

    def observe_batch(self, size: int, seconds: float) -> None:
        """The group commit's observer (:data:`marketcraft.app.group_commit.BatchObserver`)."""
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)

    def watch(self, deal_jobs: DealJobs) -> None:
        self._deal_jobs = deal_jobs

    def watch_programs(self, programs: ProgramRepository) -> None:
        self._programs = programs

    def _conflicts(self) -> float:
        return 0.0 if self._programs is None else float(self._programs.conflicts)

    def _queued(self) -> float:
        return 0.0 if self._deal_jobs is None else float(self._deal_jobs.waiting.qsize())


def install_metrics(app: FastAPI, settings: Settings) -> ServiceMetrics:
    """Count requests (when enabled) and serve them at :data:`METRICS_PATH`. The service's own
    metrics are returned either way, for the group commit and the deal jobs to report to."""
    registry = CollectorRegistry()
    found = ServiceMetrics(registry)
    if not settings.metrics_enabled:
        return found
    token = settings.metrics_token

    async def metrics(request: Request) -> Response:
        if token is not None and not _bearer_is(request, token.get_secret_value()):
            return problem_response(
                401, "not_authenticated", "not authenticated",
                headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_route(METRICS_PATH, metrics, methods=["GET"], include_in_schema=False)
    labels = ("handler", "method", "status")
    latency = Histogram(
        "http_request_duration_seconds", "Latency of HTTP requests, by route template",
        labels, buckets=LATENCY_BUCKETS, registry=registry,
    )  # fmt: skip
    answered = Counter(
        "http_requests_total", "HTTP requests answered, by route template", labels,
        registry=registry,
    )  # fmt: skip
    app.add_middleware(RequestMetrics, latency=latency, answered=answered, unseen=metrics)
    return found


class RequestMetrics:
    """Pure ASGI middleware: each HTTP request's latency (until its response is sent) and
    count, labelled by route template, method and status class."""

    def __init__(
        self, app: ASGIApp, *, latency: Histogram, answered: Counter, unseen: object
    ) -> None:
        self.app, self.latency, self.answered = app, latency, answered
        self.unseen = unseen  # the endpoint not counted (the metrics route itself)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]  # what an app that raises answers

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if scope.get("endpoint") is not self.unseen:
                values = (_template(scope), scope["method"], f"{status[0] // 100}xx")
                self.latency.labels(*values).observe(time.perf_counter() - started)
                self.answered.labels(*values).inc()


def _template(scope: Scope) -> str:
    """The path template of the route that served the request (the router puts the route in
    the scope); ``none`` if none did."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else "none"


def _bearer_is(request: Request, token: str) -> bool:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    given = credentials.strip().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given, token.encode())
