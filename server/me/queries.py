"""What the earnings JSON and the /me page read: only the signed-in worker's own rows."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import WorkHistoryItem
from server.domain.period import Period
from server.me.records import load_work_items
from server.me.schemas import EarningsOut, HistoryOut, PeriodOut, PlatformHistoryOut
from server.me.summary import summarize


async def history_counts(session: AsyncSession, worker_id: int) -> HistoryOut:
    """How many history items the worker has per platform, and when each platform was last imported."""
    rows = (await session.execute(
        select(WorkHistoryItem.platform, func.count(), func.max(WorkHistoryItem.imported_at))
        .where(WorkHistoryItem.worker_id == worker_id).group_by(WorkHistoryItem.platform)
        .order_by(WorkHistoryItem.platform))).all()
    return HistoryOut(platforms={platform: PlatformHistoryOut(items=count, last_imported_at=last)
                                 for platform, count, last in rows})


async def load_earnings(session: AsyncSession, worker_id: int, period: Period) -> EarningsOut:
    items = await load_work_items(session, worker_id, period.start, period.end, period.zone)
    return EarningsOut(
        period=PeriodOut(from_=period.start, to=period.end, time_zone=period.zone_name, gap_minutes=period.gap_minutes),
        currencies=summarize(items, period), history=await history_counts(session, worker_id))

