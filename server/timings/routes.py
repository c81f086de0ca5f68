"""Timings from the extension: accepted → submitted or returned. Only their worker ever sees them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers.model import Task
from server.auth import provide_worker
from server.db.engine import write_transaction
from server.db.models import Requester, TaskType, Timing, Worker
from server.errors import ApiError, error_responses, not_found
from server.domain.paging import is_row_id
from server.paging import newest_first
from server.reviews.schemas import Cents, Currency, RequesterId, Title
from server.stats.settle import requester_changed
from server.tasks.records import record_tasks
from server.workers.schemas import Platform

MAX_TIMING = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=5)
# No platform existed before this (MTurk opened in November 2005): an earlier time is a broken clock.
EARLIEST = datetime(2005, 1, 1, tzinfo=timezone.utc)


class TimingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    platform: Platform
    requester_id: RequesterId
    requester_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    title: Title
    reward_cents: Cents
    currency: Currency = "USD"
    hit_set_id: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    assignment_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128,
                                               description="makes re-sending the same timing harmless")] | None = None
    accepted_at: datetime
    ended_at: datetime
    outcome: Literal["submitted", "returned", "approved", "rejected", "pending", "blocked"]


class TimingOut(msgspec.Struct, kw_only=True):
    id: int
    platform: str
    requester_id: str
    title: str
    reward_cents: int
    currency: str
    assignment_id: str | None
    accepted_at: datetime
    ended_at: datetime
    seconds: float
    outcome: str


class TimingPage(msgspec.Struct, kw_only=True):
    items: list[TimingOut]
    next_cursor: str | None


def _aware(moment: datetime, field: str) -> datetime:
    if moment.utcoffset() is None:
        raise ApiError(422, "invalid_field", f"{field}: give a time zone (e.g. '2026-01-31T10:00:00Z').", field)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 lies before year 1 in UTC
        raise ApiError(422, "invalid_field", f"{field}: out of range.", field) from None


def _check(data: TimingIn) -> tuple[datetime, datetime, float]:
    accepted = _aware(data.accepted_at, "accepted_at")
    ended = _aware(data.ended_at, "ended_at")
    seconds = (ended - accepted).total_seconds()
    if seconds <= 0:
        raise ApiError(422, "invalid_field", "ended_at: must be after accepted_at.", "ended_at")
    if ended - accepted > MAX_TIMING:
        raise ApiError(422, "invalid_field", "ended_at: a timing can last 24 hours at most.", "ended_at")
    if ended > datetime.now(timezone.utc) + CLOCK_SKEW:
        raise ApiError(422, "invalid_field", "ended_at: lies in the future; check the device clock.", "ended_at")
    if accepted < EARLIEST:
        raise ApiError(422, "invalid_field", "accepted_at: lies before 2005; check the device clock.", "accepted_at")
    return accepted, ended, seconds


async def _timing_out(session: AsyncSession, timings: list[Timing]) -> list[TimingOut]:
    if not timings:
        return []
    rows = (await session.execute(
        select(TaskType).where(TaskType.id.in_({t.task_type_id for t in timings})))).scalars()
    task_types = {t.id: t for t in rows}
    requesters = {r.id: r for r in await session.scalars(
        select(Requester).where(Requester.id.in_({t.requester_id for t in task_types.values()})))}
    out = []
    for timing in timings:
        task_type = task_types[timing.task_type_id]
        requester = requesters[task_type.requester_id]
        out.append(TimingOut(
            id=timing.id, platform=requester.platform, requester_id=requester.external_id, title=task_type.title,
            reward_cents=task_type.reward_cents, currency=task_type.currency, assignment_id=timing.assignment_id,
            accepted_at=timing.accepted_at, ended_at=timing.ended_at, seconds=timing.seconds, outcome=timing.outcome))
    return out


class TimingController(Controller):
    path = "/api/v1"
    tags = ["timings"]
    dependencies = {"worker": Provide(provide_worker)}

    @post("/timings", status_code=201, responses=error_responses(400, 401, 413, 422),
          summary="Record a measured task (idempotent per assignment_id: a repeat returns the first with 200)")
    async def create(self, data: TimingIn, worker: Worker, db_session: AsyncSession) -> Response[TimingOut]:
        accepted, ended, seconds = _check(data)
        task = Task(platform=data.platform, requester_id=data.requester_id, requester_name=data.requester_name,
                    title=data.title, reward_cents=data.reward_cents, currency=data.currency, hit_set_id=data.hit_set_id)
        async with write_transaction(db_session):
            if data.assignment_id is not None:
                existing = await db_session.scalar(select(Timing).where(
                    Timing.worker_id == worker.id, Timing.assignment_id == data.assignment_id))
                if existing is not None:
                    return Response((await _timing_out(db_session, [existing]))[0], status_code=200)
            recorded = await record_tasks(db_session, [task], in_transaction=True)
            timing = Timing(worker_id=worker.id, task_type_id=recorded.task_types[0].id, assignment_id=data.assignment_id,
                            accepted_at=accepted, ended_at=ended, seconds=seconds, outcome=data.outcome)
            db_session.add(timing)
            await db_session.flush()
            await requester_changed(db_session, recorded.requesters[0].id)
        return Response((await _timing_out(db_session, [timing]))[0], status_code=201)

    @get("/me/timings", responses=error_responses(400, 401), summary="Your own timings, newest first")
    async def list_own(
        self, worker: Worker, db_session: AsyncSession,
        cursor: Annotated[str | None, Parameter(max_length=64)] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> TimingPage:
        rows, next_cursor = await newest_first(
            db_session, select(Timing).where(Timing.worker_id == worker.id), Timing.id, cursor, limit)
        return TimingPage(items=await _timing_out(db_session, rows), next_cursor=next_cursor)

    @delete("/me/timings/{timing_id:int}", status_code=204, responses=error_responses(401, 404), summary="Delete one of your timings")
    async def remove(self, timing_id: int, worker: Worker, db_session: AsyncSession) -> None:
        async with write_transaction(db_session):
            timing = await db_session.get(Timing, timing_id) if is_row_id(timing_id) else None
            if timing is None or timing.worker_id != worker.id:
                raise not_found("A timing of yours with this id")
            task_type = await db_session.get(TaskType, timing.task_type_id)
            await db_session.delete(timing)
            await db_session.flush()
            assert task_type is not None
            await requester_changed(db_session, task_type.requester_id)
