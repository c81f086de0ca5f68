"""POST /api/v1/annotate: a page of tasks in, one annotation per task out, in page order.

The expensive part happened at write time (server/stats). An annotate call is four steps, one module each:
parsing (server/tasks/parsing.py: the body straight into AnnotateIn, then the page's tasks), lookup
(server/tasks/lookup.py: the in-process cache, indexed reads for what it lacks; server/tasks/service.py hands
never-seen tasks to the recorder), pure computation (server/tasks/compute.py: a few multiplications per task,
memoized per task type) and this route.
Never-seen tasks are answered from what is known (no timings yet; their requester's figures and the
stated duration) and recorded in the background (server/tasks/recorder.py): a request never waits for
a write.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import cast

from litestar import MediaType, Request, Response, post
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import authenticate, bearer_token, hash_token
from server.errors import ApiError, error_responses
from server.domain.filters import FilterError, Filters, validate_filters
from server.tasks.cache import AnnotateCache, clock
from server.tasks.compute import encoded_page
from server.tasks.parsing import decode_annotate, document_body, parse_tasks
from server.tasks.schemas import AnnotateOut
from server.workers.queries import load_filters
from server.security import client_address
from server.tasks.service import Caller, LazySession, look_up


async def provide_saved_filters(request: Request, state: State) -> tuple[int, Filters] | None:
    """The signed-in caller's account id and saved filters; None when anonymous. 401 for a bad token, as everywhere
    (server/auth.py).

    A signed-in extension annotates every page it shows, so the token and its filters are kept in the annotate
    cache, by the token's hash, for at most a few seconds (cache.VIEWER_TTL): any write this process commits
    drops them all (a revoked token or new saved filters count at once here); other processes' within the ttl.
    """
    cache: AnnotateCache = state.annotate_cache
    token = bearer_token(request)
    key, moment, writes = (hash_token(token), clock(), cache.writes) if token is not None else ("", 0.0, 0)
    if token is not None and (found := cache.viewer(key, moment)) is not None:
        return cast(tuple[int, Filters], found)
    async with state.sessionmaker() as session:  # closed before the route's own lookups: one connection at a time
        worker = await authenticate(request, session, required=False)
        if worker is None:
            return None
        viewer = (worker.id, await load_filters(session, worker))
    cache.put_viewer(key, writes, moment, viewer)
    return viewer


@post("/api/v1/annotate", status_code=200, responses=error_responses(400, 401, 413, 422), tags=["tasks"],
      # `annotate_body` is never requested: it documents the body this route decodes itself (tasks/parsing.py).
      dependencies={"saved": Provide(provide_saved_filters), "annotate_body": Provide(document_body, sync_to_thread=False)},
      summary="Annotate a page of tasks: effective hourly, requester summary, flags and filter verdict, in page order")
async def annotate(request: Request, saved: tuple[int, Filters] | None, state: State) -> AnnotateOut:
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
        filters, source = saved[1], "saved"
    else:
        filters, source = Filters(), "default"
    if tasks:
        session = LazySession(state.sessionmaker)
        try:
            caller = Caller(client_address(request.scope), saved[0] if saved is not None else None,  # type: ignore[arg-type]
                            state.recording_budget)
            platform_info, facts = await look_up(cast(AsyncSession, session), data.platform, tasks, state.annotate_cache,
                                                 state.task_recorder, caller)
        finally:
            await session.aclose()
    else:
        platform_info, facts = None, []
    # The answer is encoded here from JSON memoized with the figures (compute.encoded_page): the same bytes
    # as AnnotateOut, which the route's return type documents.
    return Response(encoded_page(data.platform, tasks, facts, platform_info, filters, source,  # type: ignore[return-value]
                                 datetime.now(timezone.utc)), media_type=MediaType.JSON)
