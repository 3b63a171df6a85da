"""Deal analyses over HTTP and in the browser, for analysts: upload a deal's terms, follow the
analysis as it runs, read the report and download the results. An analyst sees only their
own jobs; another's job answers exactly as one that does not exist (404)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from marketcraft.deal.time_grid import STEP_PATTERN, parse_step
from marketcraft.kernel.errors import MarketcraftError, ValidationError
from marketcraft.kernel.limits import MAX_DEAL_PATHS, MAX_SEED
from marketcraft.number_types import first_error
from marketcraft.roles import Role
from marketcraft.service.access import deal_file, deal_job
from marketcraft.service.auth import RoleGuard
from marketcraft.service.deal_jobs import FILES, MAX_TERMS, DealJobs, Job
from marketcraft.service.exact_json import ExactNumbersRoute
from marketcraft.service.idempotency import IdempotencyKey
from marketcraft.service.kept_forms import keep_form
from marketcraft.service.opportunity_models import Limit, Offset, Page, page_of
from marketcraft.service.page_security import multipart_token
from marketcraft.service.routers.pages import NumberField, render
from marketcraft.service.sessions import PageGuard, flash
from marketcraft.store.principals import Principal

router = APIRouter(tags=["deal desk"], route_class=ExactNumbersRoute)
pages = APIRouter(include_in_schema=False)

Analyst = Annotated[Principal, Depends(RoleGuard(Role.ANALYST))]
AnalystPage = Annotated[Principal, Depends(PageGuard(Role.ANALYST))]


class JobIn(BaseModel):
    """A deal to analyse: its terms file, and optionally how many paths, the time step and the
    seed (the terms' own otherwise)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"terms": "[loan]\ntokens = 1000\n", "paths": 100, "step": "1h",
                          "seed": 7}]
        }
    )  # fmt: skip

    terms: str = Field(max_length=MAX_TERMS, description="The deal's terms file (TOML text).")
    paths: int | None = Field(
        None, ge=1, le=MAX_DEAL_PATHS,
        description="Default: the terms'. At most the server's deal_max_paths.",
    )  # fmt: skip
    step: str | None = Field(
        None, pattern=STEP_PATTERN, max_length=20, examples=["1h", "30m"],
        description="Default: the terms'.",
    )  # fmt: skip
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="Default: the terms'.")


class JobOut(BaseModel):
    """An analysis: its state and progress; once done, its headline numbers and its report."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{
                "id": "0123456789abcdef", "name": "loan", "status": "done", "progress": 1.0,
                "paths": 100, "step_hours": 1.0, "seed": 7, "error": "",
                "summary": {"pnl_mean": 1250.5, "var_5%": -310.2},
                "report": "/deal/jobs/0123456789abcdef/files/report.html",
                "created_at": "2026-12-03T08:00:00Z", "started_at": "2026-12-03T08:00:01Z",
                "finished_at": "2026-12-03T08:00:31Z", "queue_position": None,
            }]
        }
    )  # fmt: skip

    id: str
    name: str
    status: str = Field(description="queued, running, done, failed or cancelled")
    progress: float = Field(description="Share of the simulation done, 0..1.")
    paths: int
    step_hours: float
    seed: int
    error: str = ""
    summary: dict[str, float] | None = Field(None, description="When done: the headlines.")
    report: str | None = Field(None, description="When done: the HTML report's address.")
    created_at: datetime | None = Field(None, description="When it was submitted (UTC).")
    started_at: datetime | None = Field(None, description="When it started running.")
    finished_at: datetime | None = Field(None, description="When it finished, failed or stopped.")
    queue_position: int | None = Field(
        None, description="While queued: 1 when it runs next (jobs running or waiting ahead + 1)."
    )


def _jobs(request: Request) -> DealJobs:
    jobs: DealJobs = request.app.state.deal_jobs
    return jobs


def _out(job: Job) -> JobOut:
    done = job.status == "done"
    return JobOut(
        id=job.id, name=job.name, status=job.status,
        progress=1.0 if done else (job.done / job.total if job.total else 0.0),
        paths=job.paths, step_hours=job.step_hours, seed=job.seed, error=job.error,
        summary=job.summary, report=f"/deal/jobs/{job.id}/files/report.html" if done else None,
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        queue_position=None if job.ahead is None else job.ahead + 1,
    )  # fmt: skip


@router.post(
    "/deal/jobs", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED,
    summary="Queue the analysis of a deal",
)  # fmt: skip
def submit_deal_job(
    body: JobIn, request: Request, analyst: Analyst, _key: IdempotencyKey
) -> JobOut:
    """Queue a deal's analysis; it runs in the background (follow it with `get_deal_job`).
    Each analyst has a quota of jobs queued or running at once (429 past it). Analysts
    only."""
    hours = parse_step(body.step) if body.step else None
    return _out(_jobs(request).submit(analyst.name, body.terms, body.paths, hours, body.seed))


@router.get("/deal/jobs", response_model=Page[JobOut], summary="Your analyses, newest first")
def list_deal_jobs(
    request: Request, analyst: Analyst, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    """Your analyses, newest first, a page at a time. Analysts only (each sees their own)."""
    jobs = [_out(job) for job in _jobs(request).list(analyst.name)]
    return page_of(jobs, offset, limit)


@router.get("/deal/jobs/{job_id}", response_model=JobOut, summary="One analysis and its progress")
def get_deal_job(job_id: str, request: Request, analyst: Analyst) -> JobOut:
    """One of your analyses and its progress. Another analyst's job answers 404."""
    return _out(deal_job(request, analyst, job_id))


@router.post(
    "/deal/jobs/{job_id}/cancel", response_model=JobOut, summary="Stop one of your analyses"
)
def cancel_deal_job(job_id: str, request: Request, analyst: Analyst) -> JobOut:
    """Stop one of your analyses: a queued one never runs, a running one is stopped within
    a second (its partial results are dropped). 400 if it has already finished; another
    analyst's job answers 404. Analysts only."""
    return _out(_jobs(request).cancel(deal_job(request, analyst, job_id)))


@router.get(
    "/deal/jobs/{job_id}/files/{name}", response_class=FileResponse,
    summary=f"A finished analysis's file: one of {', '.join(FILES)}",
)  # fmt: skip
def get_deal_job_file(job_id: str, name: str, request: Request, analyst: Analyst) -> FileResponse:
    """A finished analysis's file: the report (HTML), the summary (JSON) or the results
    (Parquet)."""
    path = deal_file(request, analyst, job_id, name)
    return FileResponse(path, filename=None if name == "report.html" else name)


# -- pages ----------------------------------------------------------------------------------
def _page(request: Request, template: str, **context: Any) -> HTMLResponse:
    return render(request, template, **context)


@pages.get("/ui/analyst", response_class=HTMLResponse)
def analyst_home(request: Request, analyst: AnalystPage) -> HTMLResponse:
    jobs = [_out(job) for job in _jobs(request).list(analyst.name)]
    busy = any(job.status in ("queued", "running") for job in jobs)
    return _page(request, "analyst_home.html", jobs=jobs, busy=busy, who=analyst)


@pages.post("/ui/analyst/jobs", response_model=None)
async def analyst_submit(
    request: Request,
    analyst: AnalystPage,
    _csrf: Annotated[None, Depends(multipart_token)],
    terms: Annotated[UploadFile, File()],
    paths: NumberField = "",
    step: NumberField = "",
) -> RedirectResponse:
    try:
        text = (await terms.read(MAX_TERMS + 1)).decode("utf-8")
    except UnicodeDecodeError:
        return _home_saying(request, "terms: the file is not UTF-8 text")
    try:  # the form is read as the API's body, so both accept and refuse the same values
        body = JobIn.model_validate(
            {"terms": text, "paths": paths.strip() or None, "step": step.strip() or None}
        )
    except PydanticValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        keep_form(request, {"paths": paths, "step": step}, field)
        return _home_saying(request, f"{field}: {_plain_error(field, exc)}")
    try:
        hours = parse_step(body.step) if body.step else None
        job = _jobs(request).submit(analyst.name, body.terms, body.paths, hours, None)
    except MarketcraftError as exc:
        keep_form(request, {"paths": paths, "step": step}, exc.reason)
        return _home_saying(request, exc.reason)
    return RedirectResponse(f"/ui/analyst/jobs/{job.id}", status_code=303)


def _plain_error(field: str, exc: PydanticValidationError) -> str:
    """A refusal in words (a step's pattern is said as examples, not as a regex)."""
    if field == "step" and exc.errors()[0]["type"] == "string_pattern_mismatch":
        return "a step is a number of minutes or hours, such as 30m, 1h or 4h"
    return first_error(exc)


def _home_saying(request: Request, message: str) -> RedirectResponse:
    flash(request, message)
    return RedirectResponse("/ui/analyst", status_code=303)


@pages.post("/ui/analyst/jobs/{job_id}/cancel", response_model=None)
def analyst_cancel(job_id: str, request: Request, analyst: AnalystPage) -> RedirectResponse:
    try:
        _jobs(request).cancel(deal_job(request, analyst, job_id))
    except ValidationError as exc:
        flash(request, exc.reason)
    return RedirectResponse(f"/ui/analyst/jobs/{job_id}", status_code=303)


@pages.get("/ui/analyst/jobs/{job_id}", response_class=HTMLResponse)
def analyst_job(job_id: str, request: Request, analyst: AnalystPage) -> HTMLResponse:
    job = _out(deal_job(request, analyst, job_id))
    return _page(request, "analyst_job.html", job=job, files=FILES[:-1], who=analyst)


@pages.get("/ui/analyst/jobs/{job_id}/report", response_class=HTMLResponse)
def analyst_report(job_id: str, request: Request, analyst: AnalystPage) -> HTMLResponse:
    """The report as the analysis wrote it, with a way back to the analysis on top."""
    report = deal_file(request, analyst, job_id, "report.html").read_text()
    back = f'<p><a id="home" href="/ui/analyst/jobs/{job_id}">&larr; the analysis</a></p>'
    return HTMLResponse(report.replace("<body>", "<body>" + back, 1))


@pages.get("/ui/analyst/jobs/{job_id}/files/{name}", response_class=FileResponse)
def analyst_file(job_id: str, name: str, request: Request, analyst: AnalystPage) -> FileResponse:
    return FileResponse(deal_file(request, analyst, job_id, name), filename=name)
