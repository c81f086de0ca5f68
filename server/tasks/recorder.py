"""Group commit for annotate's unseen tasks.

Pages often arrive together (a worker's tabs, many workers after a batch is posted) and each may hold a
few tasks nobody has shown us yet. Recording them one page per write transaction makes every page queue
for SQLite's single writer. The recorder instead gathers the unseen tasks of all annotate calls that are
waiting and records them in one transaction; each call gets its own rows back once that transaction has
committed, so nothing is answered before it is on disk.
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapers.model import Task
from server.tasks.cache import TaskRef
from server.tasks.records import record_tasks

MAX_BATCH_TASKS = 2_000  # keeps the IN lists of one transaction well inside SQLite's limits


class TaskRecorder:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.waiting: list[tuple[Sequence[Task], asyncio.Future[list[TaskRef]]]] = []
        self.draining: asyncio.Task[None] | None = None

    async def record(self, tasks: Sequence[Task]) -> list[TaskRef]:
        """Find or create the rows of `tasks`; returns one TaskRef per task, in order."""
        future: asyncio.Future[list[TaskRef]] = asyncio.get_running_loop().create_future()
        self.waiting.append((tasks, future))
        if self.draining is None or self.draining.done():
            self.draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self.waiting:
            batch, size = [], 0
            while self.waiting and (not batch or size + len(self.waiting[0][0]) <= MAX_BATCH_TASKS):
                tasks, future = self.waiting.pop(0)
                batch.append((tasks, future))
                size += len(tasks)
            try:
                refs = await self._record([task for tasks, _ in batch for task in tasks])
            except Exception as error:  # every waiting call gets the error, not a hang
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            start = 0
            for tasks, future in batch:
                if not future.done():
                    future.set_result(refs[start:start + len(tasks)])
                start += len(tasks)

    async def _record(self, tasks: list[Task]) -> list[TaskRef]:
        async with self.sessionmaker() as session:
            recorded = await record_tasks(session, tasks)
        return [
            TaskRef(requester.id, task_type.id, task_type.latest_hit_set_id, task_type.stated_seconds)
            for requester, task_type in zip(recorded.requesters, recorded.task_types)
        ]
