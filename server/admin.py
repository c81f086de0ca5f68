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


class PlannedJob(msgspec.Struct, kw_only=True):
    name: str
    next_run_at: datetime | None
    interval_seconds: float


class JobRunOut(msgspec.Struct, kw_only=True):
    id: int
    job: str
    started_at: datetime
    finished_at: datetime | None
    status: str  # running | ok | not_modified | failed
    attempts: int
    message: str
    counts: dict[str, Any]
    runner: str | None = None  # "host:pid" of the process that ran it


class ProcessOut(msgspec.Struct, kw_only=True):
    pid: int
    host: str
    since: datetime | None = None  # when it took over the scheduler


class SourceOut(msgspec.Struct, kw_only=True):
    name: str
    kind: str
    url: str | None
    last_import_at: datetime | None
    last_full_import_at: datetime | None
    has_cursor: bool


class JobsOut(msgspec.Struct, kw_only=True):
    scheduler_running: bool  # in the process that answered (`process`)
    leader: ProcessOut | None = None  # the process that runs the scheduler (one per database; docs/deploying.md)
    process: ProcessOut | None = None  # the process that answered
    planned: list[PlannedJob]
    sources: list[SourceOut]
    runs: list[JobRunOut]  # newest first


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
