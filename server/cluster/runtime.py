"""Starts and stops the cluster parts with the app (server/app.py lifespan)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from server.cluster.changes import ChangeListener
from server.cluster.leader import FileLeadership, Holder, Leadership, PostgresLeadership
from server.cluster.pg import is_postgresql
from server.cluster.ratelimit import SharedLimits
from server.settings import Settings
from server.tasks.cache import AnnotateCache

log = logging.getLogger("fairfinder.cluster")

SWEEP_SECONDS = 60.0


def lock_file(settings: Settings) -> Path | None:
    """The scheduler's lock file beside a SQLite database file: every process using that file shares it.
    None for an in-memory database, which no other process can share."""
    database = settings.sqlite_path()
    return database.with_name(database.name + ".scheduler.lock") if database is not None else None


class ClusterRuntime:
    """The scheduler election, the cache listener and the shared rate-limit counters of one process."""

    def __init__(self, settings: Settings, cache: AnnotateCache, limits: SharedLimits | None = None) -> None:
        self.settings, self.cache, self.limits = settings, cache, limits
        self.postgresql = is_postgresql(settings.database_url)
        self.leadership: Leadership | None = None
        self.listener: ChangeListener | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self, scheduler: Any | None) -> None:
        """`scheduler` (server/jobs.py Scheduler) runs only while this process leads."""
        settings = self.settings
        if self.limits is not None:
            try:
                await self.limits.start()
            except Exception as error:  # noqa: BLE001 - the limits fail open until the database answers
                log.warning("rate limits: cannot reach the shared counters yet (%s)", type(error).__name__)
            self._sweeper = asyncio.create_task(self._sweep(), name="fairfinder-ratelimit-sweep")
        if self.postgresql:
            self.listener = ChangeListener(settings.database_url, self.cache, settings.scheduler_retry_seconds)
            await self.listener.start()
        if scheduler is None:
            return

        async def on_change(leading: bool) -> None:
            await (scheduler.start() if leading else scheduler.stop())

        if self.postgresql:
            self.leadership = PostgresLeadership(settings.database_url, settings.scheduler_retry_seconds, on_change)
        else:
            path = lock_file(settings)
            self.leadership = (FileLeadership(path, settings.scheduler_retry_seconds, on_change) if path is not None
                               else _Alone(settings.scheduler_retry_seconds, on_change))
        scheduler.job_lock = self.leadership.job_lock
        await self.leadership.start()

    async def leader(self) -> Holder | None:
        return await self.leadership.holder() if self.leadership is not None else None

    async def _sweep(self) -> None:
        assert self.limits is not None
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                if self.limits.pool is None:
                    await self.limits.start()
                await self.limits.sweep()
            except Exception as error:  # noqa: BLE001 - next minute, then
                log.warning("rate limits: sweeping old windows failed (%s)", type(error).__name__)

    async def stop(self) -> None:
        if self.leadership is not None:
            await self.leadership.stop()
        if self.listener is not None:
            await self.listener.stop()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self.limits is not None:
            await self.limits.close()


class _Alone(Leadership):
    """An in-memory SQLite database belongs to one process: it always leads."""

    async def _acquire(self, holder: Holder) -> bool:
        return True

    async def _held(self) -> bool:
        return True

    async def _release(self) -> None:
        pass

    async def _read_holder(self) -> Holder | None:
        return None
