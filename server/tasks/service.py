"""Annotate's one code path from tasks to annotations (the API route and the voice view use it): the page's facts
looked up (server/tasks/lookup.py), never-seen tasks handed to the background recorder (server/tasks/recorder.py),
then the pure computation (server/tasks/compute.py)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scrapers.model import Task
from server.domain.filters import Filters
from server.domain.identity import task_key
from server.domain.summary import Platform
from server.tasks.cache import AnnotateCache, TaskRef, TypeFacts, clock
from server.tasks.compute import page_annotations
from server.tasks.lookup import needs_recording, page_facts, platform_facts, remember, resolve
from server.tasks.recorder import TaskRecorder
from server.tasks.records import record_tasks
from server.tasks.schemas import Annotation


async def annotate_tasks(session: AsyncSession, platform: str, tasks: list[Task], filters: Filters, now: datetime,
                         cache: AnnotateCache | None = None, recorder: TaskRecorder | None = None) -> list[Annotation]:
    """The one code path from tasks to annotations (the API and the voice view use it).

    Without a cache (one-off callers) everything is read from the database. With a recorder, unseen tasks
    are handed to it and answered at once; without one they are recorded in the caller's session first.
    """
    cache = cache if cache is not None else AnnotateCache(ttl=0.0)
    platform_info, facts = await look_up(session, platform, tasks, cache, recorder)
    return page_annotations(tasks, facts, platform_info, filters, now)


async def look_up(session: AsyncSession, platform: str, tasks: list[Task], cache: AnnotateCache,
                  recorder: TaskRecorder | None) -> tuple[Platform, list[TypeFacts]]:
    """The platform's facts and each task's (lookup.py), handing what is unseen to the recorder."""
    refs = await resolve(session, tasks, cache)
    todo = needs_recording(tasks, refs)
    if todo:
        if recorder is not None:
            recorder.submit([tasks[i] for i in todo])
        else:
            rows = await record_tasks(session, [tasks[i] for i in todo])
            for i, requester, task_type in zip(todo, rows.requesters, rows.task_types):
                refs[i] = ref = TaskRef(requester.id, task_type.id, task_type.latest_hit_set_id, task_type.stated_seconds)
                remember(cache, tasks[i], task_key(tasks[i]), ref)
    moment = clock()
    platform_info = await platform_facts(session, platform, cache, moment)
    return platform_info, await page_facts(session, tasks, refs, cache, moment)


def recorded_into(cache: AnnotateCache) -> Callable[[Sequence[Task], Sequence[TaskRef]], None]:
    """The recorder's callback: newly recorded rows go into the cache, so the next view carries their ids."""
    def on_recorded(tasks: Sequence[Task], refs: Sequence[TaskRef]) -> None:
        for task, ref in zip(tasks, refs):
            remember(cache, task, task_key(task), ref)
        cache.answers.clear()  # the /listen lists show recently seen tasks
    return on_recorded


class LazySession:
    """The request's database session, opened on first use: a page answered from the cache opens none."""

    def __init__(self, sessionmaker: Callable[[], AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._session: AsyncSession | None = None

    def __getattr__(self, name: str) -> Any:
        if self._session is None:
            self._session = self._sessionmaker()
        return getattr(self._session, name)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
