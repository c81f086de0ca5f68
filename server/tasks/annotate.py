"""POST /api/v1/annotate: a page of tasks in, one annotation per task out, in page order.

The expensive part happened at write time (server/stats). An annotate call is four steps, one module each:
parsing (server/tasks/parsing.py: the body straight into AnnotateIn, then the page's tasks), lookup
(server/tasks/lookup.py: the in-process cache, indexed reads for what it lacks), pure computation
(server/tasks/compute.py: a few multiplications per task, memoized per task type) and this route.
Never-seen tasks are answered from what is known (no timings yet; their requester's figures and the
stated duration) and recorded in the background (server/tasks/recorder.py): a request never waits for
a write.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, cast

from litestar import MediaType, Request, Response, post
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers.model import Task
from server.auth import authenticate, bearer_token, hash_token
from server.errors import ApiError, error_responses
from server.domain.filters import FilterError, Filters, validate_filters
from server.domain.summary import Platform
from server.tasks.cache import AnnotateCache, TaskRef, TypeFacts, clock
from server.tasks.compute import SHOWN, page_annotations, encoded_page, hourly_out
from server.domain.identity import task_key
from server.tasks.lookup import needs_recording, page_facts, platform_facts, remember, resolve
from server.tasks.parsing import decode_annotate, document_body, parse_tasks
from server.tasks.recorder import TaskRecorder
from server.tasks.records import record_tasks
from server.tasks.schemas import MAX_TASKS, AnnotateIn, AnnotateOut, Annotation, HourlyOut
from server.workers.queries import load_filters

__all__ = ["MAX_TASKS", "SHOWN", "AnnotateIn", "AnnotateOut", "Annotation", "HourlyOut", "annotate", "annotate_tasks",
           "hourly_out", "parse_tasks", "recorded_into"]


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


async def provide_saved_filters(request: Request, state: State) -> Filters | None:
    """The signed-in caller's saved filters; None when anonymous. 401 for a bad token, as everywhere (server/auth.py).

    A signed-in extension annotates every page it shows, so the token and its filters are kept in the annotate
    cache, by the token's hash, for at most a few seconds (cache.VIEWER_TTL): any write this process commits
    drops them all (a revoked token or new saved filters count at once here); other processes' within the ttl.
    """
    cache: AnnotateCache = state.annotate_cache
    token = bearer_token(request)
    key, moment, writes = (hash_token(token), clock(), cache.writes) if token is not None else ("", 0.0, 0)
    if token is not None and (found := cache.viewer(key, moment)) is not None:
        return found
    async with state.sessionmaker() as session:  # closed before the route's own lookups: one connection at a time
        worker = await authenticate(request, session, required=False)
        if worker is None:
            return None
        filters = await load_filters(session, worker)
    cache.put_viewer(key, writes, moment, filters)
    return filters


@post("/api/v1/annotate", status_code=200, responses=error_responses(400, 401, 413, 422), tags=["tasks"],
      # `annotate_body` is never requested: it documents the body this route decodes itself (tasks/parsing.py).
      dependencies={"saved": Provide(provide_saved_filters), "annotate_body": Provide(document_body, sync_to_thread=False)},
      summary="Annotate a page of tasks: effective hourly, requester summary, flags and filter verdict, in page order")
async def annotate(request: Request, saved: Filters | None, state: State) -> AnnotateOut:
    data = decode_annotate(await request.body(), request.method, request.url.path)
    tasks = parse_tasks(data)
    filters: Filters
    if data.filters is not None:
        try:
            validate_filters(data.filters)
        except FilterError as error:
            raise ApiError(422, "invalid_field", f"filters.{error.field}: {error.message}", f"filters.{error.field}") from None
        filters, source = data.filters, "request"
    elif saved is not None:
        filters, source = saved, "saved"
    else:
        filters, source = Filters(), "default"
    if tasks:
        session = LazySession(state.sessionmaker)
        try:
            platform_info, facts = await look_up(cast(AsyncSession, session), data.platform, tasks, state.annotate_cache,
                                                 state.task_recorder)
        finally:
            await session.aclose()
    else:
        platform_info, facts = None, []
    # The answer is encoded here from JSON memoized with the figures (compute.encoded_page): the same bytes
    # as AnnotateOut, which the route's return type documents.
    return Response(encoded_page(data.platform, tasks, facts, platform_info, filters, source,  # type: ignore[return-value]
                                 datetime.now(timezone.utc)), media_type=MediaType.JSON)
