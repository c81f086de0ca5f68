"""Comparing aggregates kept current with a full recompute: the one tolerance every such test uses."""
from __future__ import annotations

import math
from typing import Any


def close(a: Any, b: Any) -> bool:
    """Equal, with floats compared to a tolerance (sums built by additions in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b
