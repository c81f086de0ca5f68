"""Annotate's one code path from tasks to annotations (the API route and the voice view use it): the page's facts
looked up (server/tasks/lookup.py), never-seen tasks handed to the background recorder (server/tasks/recorder.py),
then the pure computation (server/tasks/compute.py)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scrapers.model import Task
from server.domain.filters import Filters
from server.domain.identity import task_key
from server.domain.summary import Platform
from server.db.models import utcnow
from server.domain.names import clean_name
from server.tasks.budget import RecordingBudget
from server.tasks.cache import AnnotateCache, TaskRef, TypeFacts, clock
from server.tasks.compute import page_annotations
from server.tasks.lookup import needs_recording, page_facts, platform_facts, remember, resolve
from server.tasks.recorder import TaskRecorder
from server.tasks.records import Sighting, Source, record_tasks
from server.tasks.schemas import Annotation


@dataclass(frozen=True)
class Caller:
    """Who asks annotate: their address, their account (None: anonymous) and the budget of rows that recording
    for them may add (server/tasks/budget.py; None: no bound)."""

    address: str
    worker_id: int | None
    budget: RecordingBudget | None = None

    @property
    def source(self) -> Source:
        return Source(self.worker_id)


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
                  recorder: TaskRecorder | None, caller: Caller | None = None) -> tuple[Platform, list[TypeFacts]]:
    """The platform's facts and each task's (lookup.py), handing what is unseen to the recorder, and the names the
    page gives known requesters as the caller's votes, within the caller's budget."""
    refs = await resolve(session, tasks, cache)
    todo = needs_recording(tasks, refs)
    if caller is not None and caller.worker_id is None:
        todo = [i for i in todo if refs[i] is None]  # anonymous pages never move a known task's batch id
    if todo:
        if recorder is not None:
            todo = _within_budget(todo, tasks, refs, cache, caller)
            recorder.submit([tasks[i] for i in todo], caller.source if caller is not None else None)
        else:
            rows = await record_tasks(session, [tasks[i] for i in todo])
            for i, requester, task_type in zip(todo, rows.requesters, rows.task_types):
                refs[i] = ref = TaskRef(requester.id, task_type.id, task_type.latest_hit_set_id, task_type.stated_seconds)
                remember(cache, tasks[i], task_key(tasks[i]), ref)
    moment = clock()
    platform_info = await platform_facts(session, platform, cache, moment)
    facts = await page_facts(session, tasks, refs, cache, moment)
    if recorder is not None and caller is not None:
        _sight_names(tasks, refs, recorder, caller)
    return platform_info, facts


def _within_budget(todo: list[int], tasks: Sequence[Task], refs: Sequence[TaskRef | None], cache: AnnotateCache,
                   caller: Caller | None) -> list[int]:
    """The tasks of `todo` (page order) whose new rows fit the caller's budget: one for the task type (or its moved
    batch id), one more for a requester not stored yet (counted once per page)."""
    if caller is None or caller.budget is None:
        return todo
    left = caller.budget.left(caller.address, caller.worker_id)
    new_requesters: set[tuple[str, str]] = set()
    taken, spent, wanted = [], 0, 0
    for i in todo:
        key = (tasks[i].platform, tasks[i].requester_id.strip())
        cost = 1 if refs[i] is not None or cache.requester_pks.get(key) is not None or key in new_requesters else 2
        wanted += cost
        if spent + cost <= left:
            taken.append(i)
            spent += cost
            if refs[i] is None:
                new_requesters.add(key)
    caller.budget.spend(caller.address, caller.worker_id, spent, wanted)
    return taken


def _sight_names(tasks: Sequence[Task], refs: Sequence[TaskRef | None], recorder: TaskRecorder, caller: Caller) -> None:
    """The names this page gives stored requesters, as the caller's votes (server/domain/names.py): the recorder
    writes those it has not written before, within the caller's budget."""
    sightings = [Sighting(ref.requester_pk, name, caller.source) for task, ref in zip(tasks, refs)
                 if ref is not None and (name := clean_name(task.requester_name))]
    if not sightings:
        return
    today = utcnow().date()
    fresh = recorder.new_sightings(sightings, today)
    if caller.budget is not None and fresh:
        left = caller.budget.left(caller.address, caller.worker_id)
        caller.budget.spend(caller.address, caller.worker_id, min(left, len(fresh)), len(fresh))
        fresh = fresh[:left]
    recorder.sight(fresh, today)


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
