"""Reads of a worker's imported history: filtered lists, newest first, with cursors of (day, id)."""
from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import WorkHistoryItem
from server.domain.paging import is_row_id
from server.errors import ApiError


def encode_cursor(row: WorkHistoryItem) -> str:
    raw = f"h{row.work_date.toordinal()}.{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        day, _, row_id = raw[1:].partition(".")
        if (raw.startswith("h") and day.isascii() and day.isdigit() and row_id.isascii() and row_id.isdigit()
                and len(day) <= 7 and len(row_id) <= 19 and is_row_id(int(row_id))):
            return date.fromordinal(int(day)), int(row_id)
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        pass
    raise ApiError(400, "invalid_cursor", "This cursor is not one the server gave out.", "cursor")


def filtered(worker_id: int, *, start: date | None = None, end: date | None = None, platform: str | None = None,
             state: str | None = None) -> Select[Any]:
    query = select(WorkHistoryItem).where(WorkHistoryItem.worker_id == worker_id)
    if start is not None:
        query = query.where(WorkHistoryItem.work_date >= start)
    if end is not None:
        query = query.where(WorkHistoryItem.work_date <= end)
    if platform is not None:
        query = query.where(WorkHistoryItem.platform == platform)
    if state is not None:
        query = query.where(WorkHistoryItem.state == state)
    return query


async def newest_first(session: AsyncSession, query: Select[Any], cursor: str | None, limit: int
                       ) -> tuple[list[WorkHistoryItem], str | None]:
    """One page by descending (work_date, id), and the cursor of the next page (None at the end)."""
    if cursor:
        day, row_id = decode_cursor(cursor)
        query = query.where(or_(WorkHistoryItem.work_date < day,
                                and_(WorkHistoryItem.work_date == day, WorkHistoryItem.id < row_id)))
    rows = list(await session.scalars(
        query.order_by(WorkHistoryItem.work_date.desc(), WorkHistoryItem.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1]) if more and rows else None)


# --- deleting ----------------------------------------------------------------------------------------------
