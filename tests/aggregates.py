"""Comparing aggregates kept current with a full recompute: the one tolerance every such test uses."""
from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select

from server.db.models import PlatformStats, RequesterStats, TaskTypeStats


def close(a: Any, b: Any) -> bool:
    """Equal, with floats compared to a tolerance (sums built by additions in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b


async def read_aggregates(session: Any) -> dict[str, Any]:
    """Every stored aggregate row, by its key, without its updated_at: what `close` compares."""
    def rows(objects: Any, key: str, fields: list[str]) -> dict[Any, dict[str, Any]]:
        return {getattr(o, key): {f: getattr(o, f) for f in fields} for o in objects}

    return {
        "task_types": rows(await session.scalars(select(TaskTypeStats)), "task_type_id",
                           ["samples", "reviews", "summary", "flag_counts"]),
        "requesters": rows(await session.scalars(select(RequesterStats)), "requester_id",
                           ["reviews", "summary", "ratings", "rejections", "blocks", "approval_seconds",
                            "median_hourly_cents", "recent", "flag_counts"]),
        "platforms": rows(await session.scalars(select(PlatformStats)), "platform",
                          ["n_completed", "sum_log_seconds", "approved", "decided", "ratings"]),
    }
