"""Timing writes: checking a measured task, recording it (idempotent per assignment id; a re-send can only raise
its bonus) and deleting one.
Each moves its requester's aggregates in the same transaction; new timings are written in groups (server/stats/queue.py)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers.model import Task
from server.db.engine import write_transaction
from server.db.models import TaskType, Timing, Worker
from server.domain.paging import is_row_id
from server.errors import ApiError, not_found
from server.stats.queue import write
from server.stats.settle import requester_changed
from server.domain.names import clean_name
from server.requesters.checks import check_task_ids
from server.tasks.records import Sighting, Source, record_tasks, vote_names
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


@dataclass
class NewTiming:
    """A timing to record, as the write queue carries it (server/stats/queue.py)."""

    worker_id: int
    task: Task
    data: TimingIn
    accepted: datetime
    ended: datetime
    seconds: float


async def record_timing(session: AsyncSession, worker: Worker, data: TimingIn) -> tuple[Timing, bool]:
    """The stored timing and whether it is new: a repeat of an assignment id gives back the first one. Written in
    a group with the reviews and timings that arrive with it, and answered once that group is committed."""
    accepted, ended, seconds = check_timing(data)
    check_task_ids(data.platform, data.requester_id, data.hit_set_id)
    task = Task(platform=data.platform, requester_id=data.requester_id, requester_name=data.requester_name,
                title=data.title, reward_cents=data.reward_cents, currency=data.currency, hit_set_id=data.hit_set_id)
    return await write(session, record_timings, NewTiming(worker.id, task, data, accepted, ended, seconds))


async def record_timings(session: AsyncSession, items: Sequence[NewTiming]) -> list[tuple[Timing, bool] | Exception]:
    """Write timings in the session's write transaction (a batch writer of the write queue): repeats of an
    assignment id (stored, or earlier in the batch) give back the first; the others' tasks are recorded and the
    timings inserted together, and their requesters noted for the group's recompute."""
    results: list[tuple[Timing, bool] | Exception | None] = [None] * len(items)
    keys = {(item.worker_id, item.data.assignment_id) for item in items if item.data.assignment_id is not None}
    stored: dict[tuple[int, str | None], Timing] = {}
    if keys:
        stored = {(t.worker_id, t.assignment_id): t for t in await session.scalars(select(Timing).where(
            Timing.worker_id.in_({w for w, _ in keys}), Timing.assignment_id.in_({a for _, a in keys})))}
    fresh: dict[int, Timing] = {}
    grown: set[int] = set()  # task types of stored timings whose bonus a re-send raised
    first: dict[tuple[int, str | None], int] = {}
    for index, item in enumerate(items):
        key = (item.worker_id, item.data.assignment_id)
        if key in stored:
            results[index] = (stored[key], False)
            if _bonus_grows(stored[key], item.data.bonus_cents):
                grown.add(stored[key].task_type_id)
        elif item.data.assignment_id is not None and key in first:
            continue  # the same assignment twice in one batch: the second gets the first back, below
        else:
            first.setdefault(key, index)
            fresh[index] = Timing(worker_id=item.worker_id, assignment_id=item.data.assignment_id,
                                  accepted_at=item.accepted, ended_at=item.ended, seconds=item.seconds,
                                  outcome=item.data.outcome, bonus_cents=item.data.bonus_cents)
    recorded = await record_tasks(session, [items[index].task for index in fresh], in_transaction=True)
    for timing, task_type in zip(fresh.values(), recorded.task_types):
        timing.task_type_id = task_type.id
    # The name each worker's page gave the requester is their vote (server/domain/names.py).
    await vote_names(session, [Sighting(requester.id, name, Source(items[index].worker_id))
                               for index, requester in zip(fresh, recorded.requesters)
                               if (name := clean_name(items[index].task.requester_name))])
    session.add_all(fresh.values())
    await session.flush()
    for (index, timing), requester in zip(fresh.items(), recorded.requesters):
        await requester_changed(session, requester.id)
        results[index] = (timing, True)
    if grown:
        for requester_id in sorted(set(await session.scalars(
                select(TaskType.requester_id).where(TaskType.id.in_(grown))))):
            await requester_changed(session, requester_id)
    for index, item in enumerate(items):
        if results[index] is None:
            results[index] = (fresh[first[(item.worker_id, item.data.assignment_id)]], False)
    return [result if result is not None else RuntimeError("unanswered") for result in results]


def _bonus_grows(timing: Timing, bonus_cents: int | None) -> bool:
    """A re-send of a stored timing may bring the bonus its page showed later (bonuses are paid after the work):
    the stored bonus only grows, like a history item's, so an acknowledged bonus is never lost and an older page
    never erases one. Everything else of a re-send is ignored (the first record stands)."""
    if bonus_cents is None or (timing.bonus_cents is not None and bonus_cents <= timing.bonus_cents):
        return False
    timing.bonus_cents = bonus_cents
    return True


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
