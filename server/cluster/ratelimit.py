"""Rate limits that hold across processes and hosts: the counters live in one PostgreSQL table.

The limits and their keys are those of server/security.py (docs/security.md); only where they are counted
differs. One statement counts every limit a request falls under: INSERT … ON CONFLICT DO UPDATE … RETURNING,
on an UNLOGGED table (no WAL, no fsync; a crash empties it). Windows are fixed and aligned on the database's
clock (window_start = now - now mod width), so every process and host agrees on them whatever its own clock says.

Requests that arrive while this process's statement is on its way wait for the next one, which counts all of
them at once (each bucket by the number of its hits) and hands each request its own place in the count: the
same answers as one statement per request, exact, with one round trip per batch instead of per request.
A request waits at most for the statement in flight and its own (2 × QUERY_TIMEOUT).

A bucket the database has said is over its limit is refused by this process until its window ends,
without asking again: a flood costs the database one statement per process and window, not one per request.
If the database does not answer within QUERY_TIMEOUT the request is let through (the limits are a brake
on abuse, not a lock); a warning says so, at most once a minute.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from server.cluster.pg import KEEPALIVE, asyncpg_dsn
from server.security import Decision, PathPolicy, token_key
from server.settings import Settings

log = logging.getLogger("fairfinder.cluster")

QUERY_TIMEOUT = 1.0
POOL_SIZE = 2  # one statement in flight at a time (see above), and a spare while a broken connection is replaced
WARN_EVERY = 60.0
MAX_REFUSED = 100_000  # remembered refusals; past this, expired ones are dropped (and then all of them)

HIT = """
WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms)
INSERT INTO rate_limit_windows AS w (bucket, window_start, hits, expires_at)
SELECT b.bucket, now.ms - now.ms % b.width, b.n, now.ms - now.ms % b.width + b.width
FROM unnest($1::text[], $2::bigint[], $3::int[]) AS b(bucket, width, n), now
ON CONFLICT (bucket) DO UPDATE SET
    hits = CASE WHEN excluded.window_start > w.window_start THEN excluded.hits ELSE w.hits + excluded.hits END,
    window_start = GREATEST(w.window_start, excluded.window_start),
    expires_at = GREATEST(w.expires_at, excluded.expires_at)
RETURNING w.bucket, w.hits, w.expires_at - (extract(epoch FROM clock_timestamp()) * 1000)::bigint
"""
# A late request of the previous window (excluded.window_start < w.window_start) counts in the current one.
# Buckets go in sorted order: every statement locks rows in the same order, so two processes never deadlock.
SWEEP = "DELETE FROM rate_limit_windows WHERE expires_at < (extract(epoch FROM clock_timestamp()) * 1000)::bigint"


def window_ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def applicable(method: str, path: str, address: str, token: str | None, policy: PathPolicy) -> list[tuple[str, str]]:
    """(limit, bucket) for every limit this request counts against, in the order Limits.check applies them."""
    buckets = [("ip", f"ip:{address}")]
    if policy.is_registration(method, path):
        buckets.append(("register", f"register:{address}"))
    if policy.is_report(method, path):
        buckets.append(("reports", f"reports:{address}"))
        if token:
            buckets.append(("reports", f"reports-token:{token_key(token)}"))
    if token and policy.is_write(method, path):
        buckets.append(("writes", f"writes:{token_key(token)}"))
    return buckets


def decide(applied: list[tuple[str, Decision]]) -> tuple[str, Decision]:
    """The first limit refused, else the one closest to running out (as Limits.check)."""
    for item in applied:
        if not item[1].allowed:
            return item
    return min(applied, key=lambda item: (item[1].remaining / item[1].limit, item[1].remaining))


class SharedLimits:
    """Limits.check with the counters in the database (FAIRFINDER_RATE_LIMIT_STORE=database)."""

    def __init__(self, settings: Settings, policy: PathPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.database_url = settings.database_url
        self.policy = policy
        self.rates = {"ip": settings.rate_limit_ip, "register": settings.rate_limit_register,
                      "reports": settings.rate_limit_reports, "writes": settings.rate_limit_writes}
        self.clock = clock
        self.pool: Any = None
        self._refused: dict[str, float] = {}  # bucket → when (clock) its window ends
        self._warned = -WARN_EVERY
        self._waiting: list[tuple[list[tuple[str, int]], asyncio.Future[dict[str, tuple[int, int]] | None]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def start(self) -> None:
        import asyncpg  # noqa: PLC0415 - PostgreSQL installs only

        self.pool = await asyncpg.create_pool(
            asyncpg_dsn(self.database_url), min_size=1, max_size=POOL_SIZE, timeout=5.0,
            server_settings={"application_name": "fairfinder-ratelimit", "synchronous_commit": "off", **KEEPALIVE})

    async def close(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            await pool.close()

    async def check(self, method: str, path: str, address: str, token: str | None) -> tuple[str, Decision]:
        buckets = applicable(method, path, address, token, self.policy)
        now = self.clock()
        for name, bucket in buckets:
            until = self._refused.get(bucket)
            if until is not None and until > now:
                limit, window = self.rates[name]
                return name, Decision(False, limit, 0, max(1, math.ceil(until - now)), window)
        counts = await self._hit(buckets)
        if counts is None:  # fail open: the request goes through unlimited
            limit, window = self.rates["ip"]
            return "ip", Decision(True, limit, limit, math.ceil(window), window)
        applied = []
        for name, bucket in buckets:
            limit, window = self.rates[name]
            hits, left_ms = counts[bucket]
            reset = max(1, math.ceil(left_ms / 1000))
            allowed = hits <= limit
            if not allowed:
                self._remember(bucket, now + left_ms / 1000)
            applied.append((name, Decision(allowed, limit, max(0, limit - hits), reset, window)))
        return decide(applied)

    async def _hit(self, buckets: list[tuple[str, str]]) -> dict[str, tuple[int, int]] | None:
        """{bucket: (this request's count in its window, milliseconds left)}; None when the database failed."""
        if self.pool is None:
            self._warn("not connected yet")
            return None
        future: asyncio.Future[dict[str, tuple[int, int]] | None] = asyncio.get_running_loop().create_future()
        self._waiting.append(([(bucket, window_ms(self.rates[name][1])) for name, bucket in buckets], future))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_all())
        return await future

    async def _send_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            await self._send(batch)

    async def _send(self, batch: list[tuple[list[tuple[str, int]], asyncio.Future[Any]]]) -> None:
        totals: dict[str, list[int]] = {}  # bucket → [width, hits in this batch]
        places = []  # per request: (bucket, its 0-based place among the batch's hits of that bucket)
        for pairs, _ in batch:
            mine = []
            for bucket, width in pairs:
                entry = totals.setdefault(bucket, [width, 0])
                mine.append((bucket, entry[1]))
                entry[1] += 1
            places.append(mine)
        order = sorted(totals)
        try:
            # The bound covers taking a connection too (a new one, after a broken one, included).
            rows = await asyncio.wait_for(self.pool.fetch(HIT, order, [totals[b][0] for b in order],
                                                          [totals[b][1] for b in order]), QUERY_TIMEOUT)
            final = {row[0]: (row[1], row[2]) for row in rows}
        except Exception as error:  # noqa: BLE001 - a slow or absent database must not stop every request
            self._warn(type(error).__name__)
            final = None
        for (_, future), mine in zip(batch, places):
            if future.done():  # the client went away meanwhile
                continue
            if final is None:
                future.set_result(None)
                continue
            # The batch's hits of a bucket end at final[bucket]; this request's is `place` of them.
            future.set_result({bucket: (final[bucket][0] - (totals[bucket][1] - 1 - place), final[bucket][1])
                               for bucket, place in mine})

    def _remember(self, bucket: str, until: float) -> None:
        if len(self._refused) >= MAX_REFUSED:
            now = self.clock()
            self._refused = {key: end for key, end in self._refused.items() if end > now}
            if len(self._refused) >= MAX_REFUSED:
                self._refused.clear()  # the database still counts: only the shortcut is lost
        self._refused[bucket] = until

    def _warn(self, reason: str) -> None:
        now = self.clock()
        if now - self._warned >= WARN_EVERY:
            self._warned = now
            log.warning("rate limits not applied: the shared counters did not answer (%s)", reason)

    async def sweep(self) -> int:
        """Delete windows that have ended (any process may; the runtime does it every minute)."""
        now = self.clock()
        self._refused = {key: end for key, end in self._refused.items() if end > now}
        if self.pool is None:
            return 0
        status = await self.pool.execute(SWEEP, timeout=30.0)
        return int(status.rsplit(" ", 1)[-1]) if status.startswith("DELETE") else 0
