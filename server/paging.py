"""Row ids and keyset pagination shared by the list endpoints (newest first, opaque cursors)."""
from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError

T = TypeVar("T")
MAX_ROW_ID = 2**63 - 1  # a larger id names no row (and the databases refuse to bind it)


def is_row_id(value: int) -> bool:
    return 0 < value <= MAX_ROW_ID


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"r{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        digits = raw[1:]
        if raw.startswith("r") and digits.isascii() and digits.isdigit() and len(digits) <= 19 and is_row_id(int(digits)):
            return int(digits)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ApiError(400, "invalid_cursor", "This cursor is not one the server gave out.", "cursor")


async def newest_first(session: AsyncSession, query: Select[Any], id_column: Any, cursor: str | None,
                       limit: int) -> tuple[list[Any], str | None]:
    """One page of `query`'s rows by descending id, and the cursor of the next page (None at the end)."""
    if cursor:
        query = query.where(id_column < decode_cursor(cursor))
    rows = list(await session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].id) if more and rows else None)
