"""Reads of timings: their wire form, with the task type and requester they measured."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Requester, TaskType, Timing
from server.timings.schemas import TimingOut


async def timing_outs(session: AsyncSession, timings: list[Timing]) -> list[TimingOut]:
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
            accepted_at=timing.accepted_at, ended_at=timing.ended_at, seconds=timing.seconds, outcome=timing.outcome,
            bonus_cents=timing.bonus_cents))
    return out
