"""Deal analyses over HTTP and in the browser, for analysts: upload a deal's terms, follow the
analysis as it runs, read the report and download the results. An analyst sees only their
own jobs; another's job answers exactly as one that does not exist (404)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from marketcraft.deal.cli import parse_step
from marketcraft.kernel.errors import MarketcraftError
from marketcraft.service.auth import RoleGuard
from marketcraft.service.deal_jobs import FILES, MAX_PATHS, MAX_TERMS, DealJobs, Job
from marketcraft.service.roles import Role
from marketcraft.service.sessions import PageGuard
from marketcraft.store.principals import Principal

router = APIRouter(tags=["deal desk"])
pages = APIRouter(include_in_schema=False)

Analyst = Annotated[Principal, Depends(RoleGuard(Role.ANALYST))]
AnalystPage = Annotated[Principal, Depends(PageGuard(Role.ANALYST))]


class JobIn(BaseModel):
    terms: str = Field(max_length=MAX_TERMS, description="The deal's terms file (TOML text).")
    paths: int | None = Field(None, ge=1, le=MAX_PATHS, description="Default: the terms'.")
    step: str | None = Field(None, examples=["1h", "30m"], description="Default: the terms'.")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Default: the terms'.")


class JobOut(BaseModel):
    id: str
    name: str
    status: str = Field(description="queued, running, done or failed")
    progress: float = Field(description="Share of the simulation done, 0..1.")
    paths: int
    step_hours: float
    seed: int
    error: str = ""
    summary: dict[str, float] | None = Field(None, description="When done: the headlines.")
    report: str | None = Field(None, description="When done: the HTML report's address.")


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
    )  # fmt: skip


@router.post(
    "/deal/jobs", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED,
    summary="Queue the analysis of a deal",
)  # fmt: skip
def submit(body: JobIn, request: Request, analyst: Analyst) -> JobOut:
    hours = parse_step(body.step) if body.step else None
    return _out(_jobs(request).submit(analyst.name, body.terms, body.paths, hours, body.seed))


@router.get("/deal/jobs", response_model=list[JobOut], summary="Your analyses, newest first")
def list_jobs(request: Request, analyst: Analyst) -> list[JobOut]:
    return [_out(job) for job in _jobs(request).list(analyst.name)]


@router.get("/deal/jobs/{job_id}", response_model=JobOut, summary="One analysis and its progress")
def get_job(job_id: str, request: Request, analyst: Analyst) -> JobOut:
    return _out(_jobs(request).get(analyst.name, job_id))


@router.get(
    "/deal/jobs/{job_id}/files/{name}", response_class=FileResponse,
    summary=f"A finished analysis's file: one of {', '.join(FILES)}",
)  # fmt: skip
def get_file(job_id: str, name: str, request: Request, analyst: Analyst) -> FileResponse:
    path = _jobs(request).file(analyst.name, job_id, name)
    return FileResponse(path, filename=None if name == "report.html" else name)


# -- pages ----------------------------------------------------------------------------------
def _page(request: Request, template: str, **context: object) -> HTMLResponse:
    page: HTMLResponse = request.app.state.templates.TemplateResponse(request, template, context)
    return page


@pages.get("/ui/analyst", response_class=HTMLResponse)
def analyst_home(request: Request, analyst: AnalystPage, msg: str = "") -> HTMLResponse:
    jobs = [_out(job) for job in _jobs(request).list(analyst.name)]
    busy = any(job.status in ("queued", "running") for job in jobs)
    return _page(request, "analyst_home.html", jobs=jobs, busy=busy, msg=msg, who=analyst)


@pages.post("/ui/analyst/jobs", response_model=None)
async def analyst_submit(
    request: Request,
    analyst: AnalystPage,
    terms: Annotated[UploadFile, File()],
    paths: Annotated[str, Form(max_length=10)] = "",
    step: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    text = (await terms.read(MAX_TERMS + 1)).decode("utf-8", errors="replace")
    if paths.strip() and not paths.strip().isdigit():
        return _home_saying("paths must be a whole number")
    try:
        count = int(paths) if paths.strip() else None
        hours = parse_step(step) if step.strip() else None
        job = _jobs(request).submit(analyst.name, text, count, hours, None)
    except MarketcraftError as exc:
        return _home_saying(exc.reason)
    return RedirectResponse(f"/ui/analyst/jobs/{job.id}", status_code=303)


def _home_saying(message: str) -> RedirectResponse:
    return RedirectResponse(f"/ui/analyst?msg={quote(message)}", status_code=303)


@pages.get("/ui/analyst/jobs/{job_id}", response_class=HTMLResponse)
def analyst_job(job_id: str, request: Request, analyst: AnalystPage) -> HTMLResponse:
    job = _out(_jobs(request).get(analyst.name, job_id))
    return _page(request, "analyst_job.html", job=job, files=FILES[:-1], who=analyst)


@pages.get("/ui/analyst/jobs/{job_id}/report", response_class=FileResponse)
def analyst_report(job_id: str, request: Request, analyst: AnalystPage) -> FileResponse:
    return FileResponse(_jobs(request).file(analyst.name, job_id, "report.html"))


@pages.get("/ui/analyst/jobs/{job_id}/files/{name}", response_class=FileResponse)
def analyst_file(job_id: str, name: str, request: Request, analyst: AnalystPage) -> FileResponse:
    return FileResponse(_jobs(request).file(analyst.name, job_id, name), filename=name)
