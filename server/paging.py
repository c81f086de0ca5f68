"""Keyset pagination shared by the list endpoints (newest first, opaque cursors of server/domain/paging.py)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.paging import cursor_row_id, encode_cursor
from server.errors import ApiError


def decode_cursor(cursor: str) -> int:
    """The row id of a cursor, or a 400 invalid_cursor for one the server did not give out."""
    row_id = cursor_row_id(cursor)
    if row_id is None:
        raise ApiError(400, "invalid_cursor", "This cursor is not one the server gave out.", "cursor")
    return row_id


async def newest_first(session: AsyncSession, query: Select[Any], id_column: Any, cursor: str | None,
                       limit: int) -> tuple[list[Any], str | None]:
    """One page of `query`'s rows by descending id, and the cursor of the next page (None at the end)."""
    if cursor:
        query = query.where(id_column < decode_cursor(cursor))
    rows = list(await session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].id) if more and rows else None)
