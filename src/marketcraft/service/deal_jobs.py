"""Deal analyses as background jobs: an analyst uploads terms, the service runs the analysis in
its own process (one job at a time, in submission order) and keeps everything on disk.

Each job is a folder under ``root``: ``terms.toml``, ``job.json`` (who, what, status),
``progress.json`` (written by the running analysis) and, when done, ``results/`` with the
Parquet files, ``summary.json`` and ``report.html``. Jobs survive a restart: a job that was
queued or running when the service stopped is queued again. A job is claimed (``claim``, with
the claiming process's id) before it runs, so server processes sharing the folder never run
one twice. An analyst sees only their own jobs; anyone else's answer exactly as a job that does
not exist.

Quotas: an analyst may have ``max_active`` jobs queued or running at once (QuotaExceeded
beyond, until one finishes), and a job may run at most ``max_paths`` paths (ValidationError
naming ``paths``), whether the request or the terms ask for them.

Who may see a job is :mod:`marketcraft.service.access`'s rule (its analyst only)."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketcraft.config import DEFAULT_MAX_ACTIVE, DEFAULT_MAX_PATHS
from marketcraft.deal.terms import load_terms
from marketcraft.kernel.errors import MarketcraftError, NotFound, QuotaExceeded, ValidationError
from marketcraft.tables import parse_toml

__all__ = ["ACTIVE", "FILES", "FINISHED", "DealJobs", "Job"]

#: the statuses that count against an analyst's quota
ACTIVE = ("queued", "running")
#: a job's last statuses: nothing changes it after one of these
FINISHED = ("done", "failed", "cancelled")
#: how often the worker looks for a request to cancel the job it runs (seconds)
CANCEL_POLL = 0.5
MAX_TERMS = 100_000  # characters
#: the result files a job's owner may download
FILES = ("paths.parquet", "daily.parquet", "options.parquet", "summary.json", "report.html")


@dataclass(frozen=True)
class Job:
    id: str
    owner: str
    name: str
    paths: int
    step_hours: float
    seed: int
    status: str  # queued, running, done, failed, cancelled
    done: int
    total: int
    error: str
    summary: dict[str, float] | None
    created_at: datetime | None = None  # None: a job written before jobs kept their times
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: while queued: how many jobs (anyone's) run or wait ahead of it
    ahead: int | None = None


def _write_json(path: Path, data: Any) -> None:
    """Replace ``path`` whole (a reader never sees half a file)."""
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(data, allow_nan=False))
    os.replace(partial, path)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


#: terms keys naming a file to read (relative to the terms file, or absolute)
FILE_KEYS = (("market", "csv"), ("funding", "csv"))


def _no_server_files(terms_text: str) -> None:
    """Refuse terms that name a file: a job's terms come from an analyst, and the server must
    never open a path (or tell whether one exists) on a caller's word. ValidationError naming
    the key; also for terms that are not TOML."""
    raw = parse_toml(terms_text, "terms", "bad_terms")
    for table, key in FILE_KEYS:
        section = raw.get(table)
        if isinstance(section, dict) and section.get(key):
            raise ValidationError(
                "bad_terms",
                f"{table}.{key}: the service reads no files named in terms; run a deal with "
                "data files with `marketcraft deal analyze` on your own machine",
            )


def _remove(home: Path) -> None:
    """Remove a job folder that was never queued (it holds only its terms)."""
    for item in home.iterdir():
        item.unlink()
    home.rmdir()


def _claimed_by_live_process(home: Path) -> bool:
    try:
        pid = int((home / "claim").read_text())
        os.kill(pid, 0)
    except PermissionError:  # it exists, under another user
        return True
    except (OSError, ValueError):
        return False
    return pid != os.getpid()


def run_job(folder: str, workers: int) -> None:
    """The analysis of one job, in its own process: results, report and final status."""
    # in the job's own process only: the server never loads scipy and pyarrow
    from marketcraft.deal.results import write_results  # noqa: PLC0415 (slow start)
    from marketcraft.reports.deal_report import write_report  # noqa: PLC0415 (slow start)
    from marketcraft.sim.deal import analyze  # noqa: PLC0415 (slow start)

    home = Path(folder)
    meta = _read_json(home / "job.json")
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 0.5 or done == total:
            last[0] = now
            _write_json(home / "progress.json", {"done": done, "total": total})

    try:
        terms = load_terms(home / "terms.toml", "terms")
        found = analyze(
            terms, paths=meta["paths"], step_hours=meta["step_hours"], seed=meta["seed"],
            workers=workers, progress=progress, base=home,
        )  # fmt: skip
        write_results(found, home / "results")
        write_report(found, home / "results" / "report.html")
        summary = {k: v for k, v in found.summary.items() if math.isfinite(v)}
        meta.update(status="done", summary=summary)
    except MarketcraftError as exc:
        meta.update(status="failed", error=exc.reason)
    except Exception as exc:
        meta.update(status="failed", error=f"the analysis stopped: {type(exc).__name__}")
    _write_json(home / "job.json", meta)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _when(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


class DealJobs:
    def __init__(
        self, root: Path, workers: int | None = None, *,
        max_active: int = DEFAULT_MAX_ACTIVE, max_paths: int = DEFAULT_MAX_PATHS,
        now: Callable[[], datetime] | None = None,
    ) -> None:  # fmt: skip
        """``now``: the clock jobs' times are read from (the service's)."""
        self.root = root
        self.now = now or (lambda: datetime.now(UTC))
        self.workers = workers or os.cpu_count() or 1
        self.max_active, self.max_paths = max_active, max_paths
        self.waiting: queue.Queue[str] = queue.Queue()
        self.lock = threading.Lock()
        # counting an analyst's jobs and adding one is one step (this process; processes
        # sharing the folder may each let one more through)
        self._submitting = threading.Lock()
        self.thread: threading.Thread | None = None
        pending = []
        for meta_path in root.glob("*/job.json"):
            meta = _read_json(meta_path)
            if meta and meta.get("status") in ("queued", "running"):
                if _claimed_by_live_process(meta_path.parent):
                    continue  # another server process is running it
                (meta_path.parent / "claim").unlink(missing_ok=True)
                pending.append((meta.get("created", 0), meta["id"]))
                meta["status"] = "queued"
                _write_json(meta_path, meta)
        for _, job_id in sorted(pending):
            self.waiting.put(job_id)
        if pending:
            self._start()

    def submit(
        self, owner: str, terms_text: str, paths: int | None, step_hours: float | None,
        seed: int | None,
    ) -> Job:  # fmt: skip
        """Check the terms and queue the analysis. ValidationError if they are not valid or ask
        for more than ``max_paths`` paths; QuotaExceeded if ``owner`` has ``max_active`` jobs
        queued or running."""
        if len(terms_text) > MAX_TERMS:
            raise ValidationError("bad_terms", f"terms files are limited to {MAX_TERMS} characters")
        if paths is not None and not 1 <= paths <= self.max_paths:
            raise ValidationError("bad_paths", f"paths must be 1..{self.max_paths}")
        with self._submitting:
            active = sum(1 for job in self.list(owner) if job.status in ACTIVE)
            if active >= self.max_active:
                raise QuotaExceeded(
                    "too_many_jobs",
                    f"you have {active} analyses queued or running (at most {self.max_active}); "
                    "submit more once one finishes",
                )
            return self._queue(owner, terms_text, paths, step_hours, seed)

    def _queue(
        self, owner: str, terms_text: str, paths: int | None, step_hours: float | None,
        seed: int | None,
    ) -> Job:  # fmt: skip
        _no_server_files(terms_text)
        job_id = secrets.token_hex(8)
        home = self.root / job_id
        home.mkdir(parents=True)
        (home / "terms.toml").write_text(terms_text)
        try:
            terms = load_terms(home / "terms.toml", "terms")
        except ValidationError:
            _remove(home)
            raise
        if paths is None and terms.simulation.paths > self.max_paths:
            _remove(home)
            raise ValidationError(
                "bad_paths",
                f"paths: the terms ask for {terms.simulation.paths}, more than this server runs "
                f"({self.max_paths}); pass paths",
            )
        paths = paths or terms.simulation.paths
        with self.lock:
            created = len(list(self.root.iterdir()))
        meta = {
            "id": job_id, "owner": owner, "name": terms.name, "paths": paths,
            "step_hours": step_hours or terms.simulation.step_hours,
            "seed": terms.simulation.seed if seed is None else seed, "status": "queued",
            "error": "", "summary": None, "created": created,
            "created_at": _stamp(self.now()),
        }  # fmt: skip
        _write_json(home / "job.json", meta)
        self.waiting.put(job_id)
        self._start()
        job = self.find(job_id)
        assert job is not None
        return job

    def _start(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._work, name="deal-jobs", daemon=True)
                self.thread.start()

    def _work(self) -> None:
        context = multiprocessing.get_context("spawn")
        while True:
            job_id = self.waiting.get()
            home = self.root / job_id
            try:
                claim = os.open(home / "claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                continue  # another server process has it
            with os.fdopen(claim, "w") as f:
                f.write(str(os.getpid()))
            meta = _read_json(home / "job.json")
            if meta.get("status") != "queued":  # cancelled while it waited
                continue
            meta.update(status="running", started_at=_stamp(self.now()))
            _write_json(home / "job.json", meta)
            process = context.Process(target=run_job, args=(str(home), self.workers))
            process.start()
            while process.is_alive():
                process.join(CANCEL_POLL)
                if (home / "cancel").exists() and process.is_alive():
                    process.terminate()  # asked to stop: its partial results are dropped
                    process.join()
            meta = _read_json(home / "job.json")
            if (home / "cancel").exists() and meta.get("status") not in ("done", "failed"):
                meta.update(status="cancelled", error="cancelled by its analyst")
            elif meta.get("status") == "running":  # the process died without a word
                meta.update(status="failed", error="the analysis stopped unexpectedly")
            meta["finished_at"] = _stamp(self.now())
            _write_json(home / "job.json", meta)

    def cancel(self, job: Job) -> Job:
        """Stop a queued or running job (a running one within ``CANCEL_POLL`` seconds, by the
        server process running it). ValidationError if it has already finished."""
        if job.status in FINISHED:
            raise ValidationError("job_finished", f"the analysis is already {job.status}")
        home = self.root / job.id
        (home / "cancel").touch()
        with self.lock:
            meta = _read_json(home / "job.json")
            if meta and meta.get("status") == "queued":  # never started: cancelled now
                meta.update(status="cancelled", error="cancelled by its analyst",
                            finished_at=_stamp(self.now()))  # fmt: skip
                _write_json(home / "job.json", meta)
        found = self.find(job.id)
        assert found is not None
        return found

    def _load(self, job_id: str) -> dict[str, Any] | None:
        if not (len(job_id) == 16 and all(c in "0123456789abcdef" for c in job_id)):
            return None
        meta: dict[str, Any] | None = _read_json(self.root / job_id / "job.json")
        return meta

    def find(self, job_id: str) -> Job | None:
        """The job, whoever owns it (who may see it is :func:`marketcraft.service.access.deal_job`'s
        rule); None if there is none."""
        meta = self._load(job_id)
        if meta is None:
            return None
        progress = _read_json(self.root / job_id / "progress.json") or {}
        total = int(progress.get("total", 0))
        done = total if meta["status"] == "done" else int(progress.get("done", 0))
        fields = {k: meta[k] for k in ("id", "owner", "name", "paths", "step_hours", "seed")}
        return Job(
            **fields, status=meta["status"], done=done, total=total, error=meta["error"],
            summary=meta["summary"], created_at=_when(meta.get("created_at")),
            started_at=_when(meta.get("started_at")), finished_at=_when(meta.get("finished_at")),
            ahead=self._ahead(meta) if meta["status"] == "queued" else None,
        )  # fmt: skip

    def _ahead(self, meta: dict[str, Any]) -> int:
        """How many jobs run or wait ahead of a queued one (queued ones submitted before it)."""
        ahead = 0
        for other_path in self.root.glob("*/job.json"):
            other = _read_json(other_path)
            if not other or other.get("id") == meta["id"]:
                continue
            if other.get("status") == "running" or (
                other.get("status") == "queued" and other.get("created", 0) < meta["created"]
            ):
                ahead += 1
        return ahead

    def list(self, owner: str) -> list[Job]:
        found = []
        for meta_path in self.root.glob("*/job.json"):
            meta = _read_json(meta_path)
            if meta and meta["owner"] == owner:
                job = self.find(meta["id"])
                if job is not None:
                    found.append((meta["created"], job))
        return [job for _, job in sorted(found, key=lambda pair: pair[0], reverse=True)]

    def file(self, job: Job, name: str) -> Path:
        """A finished job's result file; NotFound otherwise."""
        if job.status != "done" or name not in FILES:
            raise NotFound("no_file", "no such file")
        return self.root / job.id / "results" / name
