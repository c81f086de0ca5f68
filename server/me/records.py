"""The worker's work as `server.domain.earnings.WorkItem`s: their imported history, completed by their own timings.

A history row (server/history/) says what a task paid and how it ended; a timing (the extension's
measurement) says when it was worked. They meet on (platform, assignment_id). A timing without a history row
still counts, with the reward of its task type and its own outcome, so the dashboard works before the first
history sync. Only the worker's own rows are ever read.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Requester, TaskType, Timing, WorkHistoryItem
from server.domain.earnings import EXTENSION_TIMING, WorkItem

# A timing's outcome as a history state: submitted work waits for a decision; a block comes with a rejection.
TIMING_STATES = {"submitted": "pending", "pending": "pending", "approved": "approved", "rejected": "rejected",
                 "returned": "returned", "blocked": "rejected"}
# Timings are matched with history rows of nearby days: MTurk's day (Pacific time) and the worker's own differ.
MATCH_SLACK = timedelta(days=2)


def day_bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants from the start of `start` to the end of `end` (inclusive days) in `zone`."""
    return (datetime.combine(start, time.min, zone), datetime.combine(end + timedelta(days=1), time.min, zone))


async def load_work_items(session: AsyncSession, worker_id: int, start: date, end: date,
                          zone: ZoneInfo) -> list[WorkItem]:
    """Every task of `worker_id` that counts for the days `start`..`end` (inclusive), oldest first.

    History rows count on their platform day; timings without a history row on the day they ended in `zone`.
    """
    history = list(await session.scalars(
        select(WorkHistoryItem).where(WorkHistoryItem.worker_id == worker_id, WorkHistoryItem.work_date >= start,
                                      WorkHistoryItem.work_date <= end)
        .order_by(WorkHistoryItem.work_date, WorkHistoryItem.id)))
    low, high = day_bounds(start, end, zone)
    timings = (await session.execute(
        select(Timing.assignment_id, Timing.accepted_at, Timing.ended_at, Timing.outcome, Requester.platform,
               Requester.external_id, Requester.name, TaskType.title, TaskType.reward_cents, TaskType.currency)
        .join(TaskType, TaskType.id == Timing.task_type_id).join(Requester, Requester.id == TaskType.requester_id)
        .where(Timing.worker_id == worker_id, Timing.ended_at >= low - MATCH_SLACK, Timing.ended_at < high + MATCH_SLACK)
        .order_by(Timing.ended_at, Timing.id))).all()
    measured = {(t.platform, t.assignment_id): t for t in timings if t.assignment_id}
    # Timings whose task is in the history at all (also outside the period) never count twice.
    assignment_ids = sorted({t.assignment_id for t in timings if t.assignment_id})
    in_history: set[tuple[str, str]] = set()
    for chunk in range(0, len(assignment_ids), 500):
        in_history |= {(platform, assignment_id) for platform, assignment_id in await session.execute(
            select(WorkHistoryItem.platform, WorkHistoryItem.assignment_id)
            .where(WorkHistoryItem.worker_id == worker_id,
                   WorkHistoryItem.assignment_id.in_(assignment_ids[chunk:chunk + 500])))}

    items: list[WorkItem] = []
    for row in history:
        started, ended = row.started_at, row.ended_at
        timing = measured.get((row.platform, row.assignment_id))
        if (started is None or ended is None) and timing is not None:
            started, ended = timing.accepted_at, timing.ended_at
        items.append(WorkItem(platform=row.platform, requester_id=row.requester_id, requester_name=row.requester_name,
                              title=row.title, currency=row.currency, state=row.state, reward_cents=row.reward_cents,
                              bonus_cents=row.bonus_cents, day=row.work_date, started_at=started, ended_at=ended,
                              source=row.source))
    for t in timings:
        if t.assignment_id and (t.platform, t.assignment_id) in in_history:
            continue
        day = t.ended_at.astimezone(zone).date()
        if not start <= day <= end:
            continue
        items.append(WorkItem(platform=t.platform, requester_id=t.external_id, requester_name=t.name or "",
                              title=t.title, currency=t.currency, state=TIMING_STATES.get(t.outcome, "pending"),
                              reward_cents=t.reward_cents, bonus_cents=0, day=day, started_at=t.accepted_at,
                              ended_at=t.ended_at, source=EXTENSION_TIMING))
    items.sort(key=lambda item: (item.day, item.started_at or item.ended_at or low))
    return items
