"""Keyset pagination shared by the list endpoints (newest first, opaque cursors of server/domain/paging.py)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.paging import cursor_row_id, cursor_time_and_id, encode_cursor, encode_time_cursor
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


async def newest_first_by_time(session: AsyncSession, query: Select[Any], time_column: Any, id_column: Any,
                               cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """One page of `query`'s rows by descending (time, id), and the cursor of the next page (None at the end).

    For lists whose rows may be dated earlier than their id suggests (demo and imported rows, a row written
    late): the id alone would not be newest first. The cursor carries both keys, so paging stays exact."""
    if cursor:
        keys = cursor_time_and_id(cursor)
        if keys is None:
            raise ApiError(400, "invalid_cursor", "This cursor is not one the server gave out.", "cursor")
        at, row_id = keys
        query = query.where(or_(time_column < at, and_(time_column == at, id_column < row_id)))
    rows = list(await session.scalars(query.order_by(time_column.desc(), id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if not more or not rows:
        return rows, None
    last = rows[-1]
    return rows, encode_time_cursor(getattr(last, time_column.key), getattr(last, id_column.key))
