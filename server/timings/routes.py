"""Timings from the extension: accepted → submitted or returned. Only their worker ever sees them. Thin handlers
over service.py (writes) and queries.py (reads)."""
from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import provide_worker
from server.db.models import Timing, Worker
from server.errors import error_responses
from server.paging import newest_first
from server.timings.queries import timing_outs
from server.timings.schemas import TimingIn, TimingOut, TimingPage
from server.timings.service import delete_timing, record_timing


class TimingController(Controller):
    path = "/api/v1"
    tags = ["timings"]
    dependencies = {"worker": Provide(provide_worker)}

    @post("/timings", status_code=201, responses=error_responses(400, 401, 413, 422),
          summary="Record a measured task (idempotent per assignment_id: a repeat returns the first with 200)")
    async def create(self, data: TimingIn, worker: Worker, db_session: AsyncSession) -> Response[TimingOut]:
        timing, created = await record_timing(db_session, worker, data)
        return Response((await timing_outs(db_session, [timing]))[0], status_code=201 if created else 200)

    @get("/me/timings", responses=error_responses(400, 401), summary="Your own timings, newest first")
    async def list_own(
        self, worker: Worker, db_session: AsyncSession,
        cursor: Annotated[str | None, Parameter(max_length=64)] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> TimingPage:
        rows, next_cursor = await newest_first(
            db_session, select(Timing).where(Timing.worker_id == worker.id), Timing.id, cursor, limit)
        return TimingPage(items=await timing_outs(db_session, rows), next_cursor=next_cursor)

    @delete("/me/timings/{timing_id:int}", status_code=204, responses=error_responses(401, 404), summary="Delete one of your timings")
    async def remove(self, timing_id: int, worker: Worker, db_session: AsyncSession) -> None:
        await delete_timing(db_session, worker, timing_id)
