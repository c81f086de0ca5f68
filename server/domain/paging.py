"""Row ids and the opaque cursors of newest-first lists (server/paging.py pages the queries with them)."""
from __future__ import annotations

import base64
import binascii

MAX_ROW_ID = 2**63 - 1  # a larger id names no row (and the databases refuse to bind it)


def is_row_id(value: int) -> bool:
    return 0 < value <= MAX_ROW_ID


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"r{last_id}".encode()).decode().rstrip("=")


def cursor_row_id(cursor: str) -> int | None:
    """The row id a cursor of `encode_cursor` names; None for anything the server did not give out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        digits = raw[1:]
        if raw.startswith("r") and digits.isascii() and digits.isdigit() and len(digits) <= 19 and is_row_id(int(digits)):
            return int(digits)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    return None
