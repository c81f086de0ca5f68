"""How much annotate may record for a caller: recording never-seen tasks (and the names pages give requesters) is
writing, so it is counted like writes, in rows.

Without this, a page of a hundred made-up tasks costs an anonymous client one request and the service up to two
hundred new rows; 24 anonymous clients created 7,250 requesters in 15 seconds (issue 18). So each caller has a
budget of new rows per period: an anonymous client per address (FAIRFINDER_RECORD_ANONYMOUS), all anonymous
clients together (FAIRFINDER_RECORD_ANONYMOUS_TOTAL) and each signed-in account (FAIRFINDER_RECORD_ACCOUNT).
Tasks past the budget are still annotated, from what is known; they are recorded at a later view that has budget
left (the recorder's own rule for anything not queued, server/tasks/recorder.py). Nothing is refused: a read stays
a read.

Counters live in this process's memory in fixed windows (like server/security.py's RateLimiter); with several
processes each counts for itself, so the bounds are per process (docs/security.md).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable

from server.settings import Settings

__all__ = ["RecordingBudget", "Window"]


class Window:
    """`limit` units per key per `seconds`, in fixed windows; `take` grants what is left."""

    MAX_KEYS = 100_000  # past this, expired windows are swept; a flood of fresh keys starts the table again

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self._used: dict[str, tuple[float, int]] = {}

    def left(self, key: str) -> int:
        now = self.clock()
        start, used = self._used.get(key, (now, 0))
        return self.limit if now - start >= self.seconds else max(0, self.limit - used)

    def spend(self, key: str, amount: int) -> None:
        if amount <= 0:
            return
        now = self.clock()
        start, used = self._used.get(key, (now, 0))
        if now - start >= self.seconds:
            start, used = now, 0
        if len(self._used) >= self.MAX_KEYS and key not in self._used:
            self._used = {k: v for k, v in self._used.items() if now - v[0] < self.seconds}
            if len(self._used) >= self.MAX_KEYS:
                self._used.clear()
        self._used[key] = (start, used + amount)

    def reset_in(self, key: str) -> int:
        now = self.clock()
        start, _ = self._used.get(key, (now, 0))
        return max(0, math.ceil(start + self.seconds - now))


class RecordingBudget:
    def __init__(self, per_address: tuple[int, float], anonymous_total: tuple[int, float],
                 per_account: tuple[int, float], clock: Callable[[], float] = time.monotonic) -> None:
        self.per_address = Window(*per_address, clock=clock)
        self.anonymous_total = Window(*anonymous_total, clock=clock)
        self.per_account = Window(*per_account, clock=clock)
        self.refused = 0  # rows not granted (metrics and tests)

    @classmethod
    def of(cls, settings: Settings) -> RecordingBudget | None:
        """The budget the settings ask for; None (no bound) when rate limits are off, as for the other limits."""
        if not settings.rate_limits_enabled:
            return None
        return cls(settings.record_anonymous_rows, settings.record_anonymous_total, settings.record_account_rows)

    def left(self, address: str, worker_id: int | None) -> int:
        if worker_id is not None:
            return self.per_account.left(f"account:{worker_id}")
        return min(self.per_address.left(f"address:{address}"), self.anonymous_total.left("anonymous"))

    def spend(self, address: str, worker_id: int | None, rows: int, wanted: int) -> None:
        """`rows` were granted of `wanted`."""
        self.refused += max(0, wanted - rows)
        if worker_id is not None:
            self.per_account.spend(f"account:{worker_id}", rows)
        else:
            self.per_address.spend(f"address:{address}", rows)
            self.anonymous_total.spend("anonymous", rows)
