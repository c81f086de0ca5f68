"""Timing writes: checking a measured task, recording it (idempotent per assignment id) and deleting one.
Each moves its requester's aggregates in the same transaction."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers.model import Task
from server.db.engine import write_transaction
from server.db.models import TaskType, Timing, Worker
from server.domain.paging import is_row_id
from server.errors import ApiError, not_found
from server.stats.settle import requester_changed
from server.requesters.checks import check_task_ids
from server.tasks.records import Source, record_tasks
from server.timings.schemas import TimingIn

MAX_TIMING = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=5)
# No platform existed before this (MTurk opened in November 2005): an earlier time is a broken clock.
EARLIEST = datetime(2005, 1, 1, tzinfo=timezone.utc)


def _aware(moment: datetime, field: str) -> datetime:
    if moment.utcoffset() is None:
        raise ApiError(422, "invalid_field", f"{field}: give a time zone (e.g. '2026-01-31T10:00:00Z').", field)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 lies before year 1 in UTC
        raise ApiError(422, "invalid_field", f"{field}: out of range.", field) from None


def check_timing(data: TimingIn) -> tuple[datetime, datetime, float]:
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


async def record_timing(session: AsyncSession, worker: Worker, data: TimingIn) -> tuple[Timing, bool]:
    """The stored timing and whether it is new: a repeat of an assignment id gives back the first one."""
    accepted, ended, seconds = check_timing(data)
    check_task_ids(data.platform, data.requester_id, data.hit_set_id)
    task = Task(platform=data.platform, requester_id=data.requester_id, requester_name=data.requester_name,
                title=data.title, reward_cents=data.reward_cents, currency=data.currency, hit_set_id=data.hit_set_id)
    async with write_transaction(session):
        if data.assignment_id is not None:
            existing = await session.scalar(select(Timing).where(
                Timing.worker_id == worker.id, Timing.assignment_id == data.assignment_id))
            if existing is not None:
                return existing, False
        recorded = await record_tasks(session, [task], in_transaction=True, source=Source(worker.id))
        timing = Timing(worker_id=worker.id, task_type_id=recorded.task_types[0].id, assignment_id=data.assignment_id,
                        accepted_at=accepted, ended_at=ended, seconds=seconds, outcome=data.outcome)
        session.add(timing)
        await session.flush()
        await requester_changed(session, recorded.requesters[0].id)
    return timing, True


async def delete_timing(session: AsyncSession, worker: Worker, timing_id: int) -> None:
    """Delete one of the worker's timings (404 for anyone else's)."""
    async with write_transaction(session):
        timing = await session.get(Timing, timing_id) if is_row_id(timing_id) else None
        if timing is None or timing.worker_id != worker.id:
            raise not_found("A timing of yours with this id")
        task_type = await session.get(TaskType, timing.task_type_id)
        await session.delete(timing)
        await session.flush()
        assert task_type is not None
        await requester_changed(session, task_type.requester_id)
