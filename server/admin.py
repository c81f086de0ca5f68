"""Routes for the people who run a community server (an admin token: `fairfinder set-role HANDLE admin`)."""
from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy import desc, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import provide_worker
from server.db.models import JobRun, Source, Worker
from server.errors import ApiError, error_responses
from server.feature import Feature


async def provide_admin(worker: Worker) -> Worker:
    if worker.role != "admin":
        raise ApiError(403, "forbidden", "This needs an admin token.")
    return worker


def _described(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)  # shown in the OpenAPI document


class PlannedJob(msgspec.Struct, kw_only=True):
    name: Annotated[str, _described("The job's name, e.g. refresh-recent, purge-timings or import:<source>.")]
    next_run_at: Annotated[datetime | None, _described("When it runs next (UTC); null when paused.")]
    interval_seconds: Annotated[float, _described("How often it runs, in seconds.")]


class JobRunOut(msgspec.Struct, kw_only=True):
    id: Annotated[int, _described("The run's id.")]
    job: Annotated[str, _described("The job run: refresh-recent, purge-timings, import:<source>…")]
    started_at: Annotated[datetime, _described("When the run started (UTC).")]
    finished_at: Annotated[datetime | None, _described("When it ended (UTC); null while running.")]
    status: Annotated[str, _described(  # running | ok | not_modified | failed
        "running, ok, not_modified (an import found nothing new) or failed.")]
    attempts: Annotated[int, _described("How many times it tried to fetch (retries included); 1 without retries.")]
    message: Annotated[str, _described("What happened, in words (why it failed); may be empty.")]
    counts: Annotated[dict[str, Any], _described("What it did, by the job's own counters (e.g. rows imported).")]
    runner: Annotated[str | None, _described(  # "host:pid" of the process that ran it
        "host:pid of the process that ran it; null when not recorded.")] = None


class ProcessOut(msgspec.Struct, kw_only=True):
    pid: Annotated[int, _described("The process id.")]
    host: Annotated[str, _described("The host name of its machine.")]
    since: Annotated[datetime | None, _described(  # when it took over the scheduler
        "When it took over the scheduler (UTC); null for the process that answered.")] = None


class SourceOut(msgspec.Struct, kw_only=True):
    name: Annotated[str, _described("The source's name, shown to workers as where a rating comes from.")]
    kind: Annotated[str, _described("fairfinder, turkopticon1, turkopticon2 or csv.")]
    url: Annotated[str | None, _described("Where it is fetched from; null when none was given (a file imported from the command line).")]
    last_import_at: Annotated[datetime | None, _described("When it was last imported (UTC); null when never.")]
    last_full_import_at: Annotated[datetime | None, _described(
        "When it was last imported whole, not only its changes (UTC); null when never.")]
    has_cursor: Annotated[bool, _described("Whether the next import asks only for what changed since the last one.")]


class JobsOut(msgspec.Struct, kw_only=True):
    scheduler_running: Annotated[bool, _described(  # in the process that answered (`process`)
        "Whether the scheduler runs in the process that answered (`process`).")]
    leader: Annotated[ProcessOut | None, _described(  # the process that runs the scheduler (one per database; docs/deploying.md)
        "The process that runs the scheduler (one per database; docs/deploying.md); null when none is known.")] = None
    process: Annotated[ProcessOut | None, _described("The process that answered.")] = None  # the process that answered
    planned: Annotated[list[PlannedJob], _described("The scheduled jobs; empty when the scheduler does not run here.")]
    sources: Annotated[list[SourceOut], _described("Every imported source, by name.")]
    runs: Annotated[list[JobRunOut], _described("Recent job runs, newest first.")]  # newest first


class AdminController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]
    dependencies = {"worker": Provide(provide_worker), "admin": Provide(provide_admin)}

    @get("/jobs", responses=error_responses(401, 403), summary="Scheduled jobs, imported sources and recent job runs")
    async def jobs(
        self, admin: Worker, db_session: AsyncSession, state: State,
        job: Annotated[str | None, Parameter(max_length=100, description="only runs of this job")] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> JobsOut:
        query = select(JobRun).order_by(desc(JobRun.id)).limit(limit)
        if job:
            query = query.where(JobRun.job == job)
        runs = list(await db_session.scalars(query))
        sources = list(await db_session.scalars(select(Source).order_by(Source.name)))
        scheduler = getattr(state, "scheduler", None)
        cluster = getattr(state, "cluster", None)
        leader = await cluster.leader() if cluster is not None else None
        return JobsOut(
            scheduler_running=scheduler is not None and scheduler.scheduler.running,
            leader=ProcessOut(pid=leader.pid, host=leader.host, since=leader.since) if leader is not None else None,
            process=ProcessOut(pid=os.getpid(), host=socket.gethostname()),
            planned=[PlannedJob(**p) for p in scheduler.planned()] if scheduler is not None else [],
            sources=[SourceOut(name=s.name, kind=s.kind, url=s.url, last_import_at=s.last_import_at,
                               last_full_import_at=s.last_full_import_at, has_cursor=s.cursor is not None) for s in sources],
            runs=[JobRunOut(id=r.id, job=r.job, started_at=r.started_at, finished_at=r.finished_at, status=r.status,
                            attempts=r.attempts, message=r.message, counts=r.counts or {}, runner=r.runner) for r in runs],
        )


FEATURE = Feature("admin", [AdminController])
