"""Row ids and the opaque cursors of newest-first lists (server/paging.py pages the queries with them)."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta, timezone

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


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _micros(at: datetime) -> int:
    """Whole microseconds since 1970 UTC (a naive time is taken as UTC, as the database columns keep it)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return (at - _EPOCH) // timedelta(microseconds=1)


def encode_time_cursor(at: datetime, last_id: int) -> str:
    """The cursor after a row of a list ordered by (time, id) descending: both, so that rows of the same time
    (and rows whose time is older than their id suggests, e.g. imported ones) are neither skipped nor repeated."""
    return base64.urlsafe_b64encode(f"t{_micros(at)}.{last_id}".encode()).decode().rstrip("=")


def cursor_time_and_id(cursor: str) -> tuple[datetime, int] | None:
    """The (time, row id) a cursor of `encode_time_cursor` names; None for anything the server did not give out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        micros, _, digits = raw[1:].partition(".")
        if (raw.startswith("t") and micros.isascii() and micros.isdigit() and len(micros) <= 17
                and digits.isascii() and digits.isdigit() and len(digits) <= 19 and is_row_id(int(digits))):
            return _EPOCH + timedelta(microseconds=int(micros)), int(digits)
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        pass
    return None
