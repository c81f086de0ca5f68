"""The application factory: settings in, a configured Litestar app out."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, get
from litestar.di import Provide
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.routes import HTTPRoute
from litestar.template.config import TemplateConfig
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from server import (
    __version__,
    admin,
    certificate,
    community,
    compat,
    front,
    history,
    listen,
    me,
    moderation,
    page_reports,
    requesters,
    reviews,
    tasks,
    timings,
    workers,
)
from server.apidocs import APIDOCS_STATIC, SwaggerPage
from server.web.static import WEB_STATIC
from server.cluster.changes import publish_changes
from server.cluster.pg import is_postgresql
from server.cluster.ratelimit import SharedLimits
from server.cluster.runtime import ClusterRuntime
from server.db.engine import create_engine, session_factory
from server.deps import provide_db_session, provide_settings
from server.errors import EXCEPTION_HANDLERS
from server.feature import Feature, paths_of
from server.jobs import Scheduler
from server.loadshed import LoadShedder, pool_exhausted
from server.observability import (OBSERVABILITY_ROUTES, RequestObserver, formatter_config, load_shed, prepare_readiness,
                                  process_exited, rate_limited)
from server.security import PathPolicy, SecurityLayer
from server.settings import Settings, load_settings
from server.stats.background import shutdown as stop_background_compute
from server.stats.queue import WriteQueue, configure_queue
from server.stats.settle import configure_settling, settle
from server.tasks.service import recorded_into
from server.tasks.cache import AnnotateCache
from server.tasks.budget import RecordingBudget
from server.tasks.recorder import TaskRecorder

log = logging.getLogger("fairfinder")


@get("/health", tags=["service"], summary="Liveness: the process answers", include_in_schema=True)
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


# The service's own routes: probes and scrapes are never rate limited (a load balancer must see a busy server as
# alive).
# (Registered last, as they always were: the order of registration is the order of the OpenAPI document.)
SERVICE = Feature("service", [health, APIDOCS_STATIC, WEB_STATIC], exempt_paths=paths_of(health))
PROBES = Feature("probes", OBSERVABILITY_ROUTES, exempt_paths=paths_of(*OBSERVABILITY_ROUTES))
FEATURES: tuple[Feature, ...] = (front.FEATURE, SERVICE, tasks.FEATURE, admin.FEATURE, workers.FEATURE, reviews.FEATURE,
                                 timings.FEATURE,
                                 moderation.FEATURE, requesters.FEATURE, listen.FEATURE, community.FEATURE,
                                 compat.FEATURE, history.FEATURE, me.FEATURE, certificate.FEATURE, page_reports.FEATURE,
                                 PROBES)
PATH_POLICY = PathPolicy.of(FEATURES)


def _fix_options_allow(app: Litestar) -> None:
    """Litestar 2 builds a path's automatic OPTIONS answer with the route as it stood when the path's first
    handler registered, so `Allow` misses the methods of handlers added later (litestar#4169, fixed in 3).
    Point each OPTIONS handler at the finished route."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            fn = getattr(handler.fn, "__wrapped__", handler.fn)
            if fn.__name__ == "options_handler" and fn.__closure__:
                for cell in fn.__closure__:
                    if isinstance(cell.cell_contents, HTTPRoute):
                        cell.cell_contents = route


async def _settle_at_start(sessionmaker: Any) -> None:
    """Settle the markers a former run left (with the scheduler on, its settle job does it). A database that is
    not migrated yet has no markers table: the server still starts, and /ready says what is wrong."""
    try:
        await settle(sessionmaker)
    except SQLAlchemyError as error:
        log.warning("could not settle big requesters at start (%s); /ready tells whether migrations are missing",
                    type(error).__name__)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                           synchronous=settings.sqlite_synchronous, pool_size=settings.db_pool_size,
                           max_overflow=settings.db_pool_overflow, pool_timeout=settings.db_pool_timeout_seconds)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with engine.connect() as connection:  # fail fast on a wrong DATABASE_URL
            await connection.execute(text("SELECT 1"))
        await prepare_readiness()  # /ready must answer within a second from the first probe on
        scheduler = None
        if settings.scheduler_enabled:
            scheduler = app.state.scheduler = Scheduler(settings, app.state.sessionmaker)
        else:
            await _settle_at_start(app.state.sessionmaker)
        # With several processes only the elected one runs the scheduler (server/cluster, docs/deploying.md).
        await app.state.cluster.start(scheduler)
        log.info("Fairfinder %s ready", __version__)
        try:
            yield
        finally:
            await app.state.task_recorder.close()  # a graceful stop records the unseen tasks it had taken
            await app.state.cluster.stop()
            if scheduler is not None:
                await scheduler.shutdown()
            await engine.dispose()
            stop_background_compute()  # the settler's worker process
            process_exited()

    route_handlers: list[Any] = [route for feature in FEATURES for route in feature.routes]  # /ready, /metrics last
    if settings.enable_bench_routes:
        from server.baseline import BENCH_ROUTES  # noqa: PLC0415 - only on benchmark servers

        route_handlers += BENCH_ROUTES

    app = Litestar(
        route_handlers=route_handlers,
        dependencies={"db_session": Provide(provide_db_session), "settings": Provide(provide_settings, sync_to_thread=False)},
        template_config=TemplateConfig(directory=[folder for feature in FEATURES for folder in feature.template_dirs],
                                       engine=JinjaTemplateEngine),
        # handlers typed by their exception, as Litestar calls them; a pool timeout is a 503 (server/loadshed.py)
        exception_handlers={**EXCEPTION_HANDLERS,  # type: ignore[dict-item]
                            PoolTimeout: pool_exhausted(settings.shed_retry_after_seconds)},
        lifespan=[lifespan],
        request_max_body_size=settings.max_body_bytes,  # CORS: server/security.py (not Litestar's, which is all-or-nothing)
        openapi_config=OpenAPIConfig(
            title="Fairfinder API", version=__version__, path="/schema",
            description="Crowd reviews and effective hourly pay for microtask workers.",
            render_plugins=[SwaggerPage(path=["/", "/swagger"])],  # served from this server (server/apidocs)
        ),
        logging_config=LoggingConfig(
            root={"level": settings.log_level, "handlers": ["queue_listener"]},
            formatters={"standard": formatter_config(settings.log_format)},  # JSON lines or text (docs/monitoring.md)
            # aiosqlite's DEBUG lines carry SQL parameters (worker data); alembic chatters when /ready reads the migrations
            # apscheduler: two INFO lines per run of every job (settle runs every few seconds); ours is one per job
            loggers={"aiosqlite": {"level": "WARNING"}, "alembic": {"level": "WARNING"}, "apscheduler": {"level": "WARNING"}},
            log_exceptions="never",  # server/errors.py logs unexpected errors once, without request data
        ),
        debug=False,
    )
    _fix_options_allow(app)
    # Outside Litestar's router, so that unrouted requests, preflights and errors are limited, headed and logged too.
    shared_limits = (SharedLimits(settings, PATH_POLICY)
                     if settings.rate_limits_enabled and settings.rate_limit_store == "database" else None)
    app.state.load_shedder = LoadShedder(app.asgi_handler,  # type: ignore[arg-type]  # plain ASGI, as below
                                         settings.max_requests_in_progress,  # server/loadshed.py
                                         settings.shed_retry_after_seconds, on_shed=load_shed)
    app.asgi_handler = RequestObserver(  # type: ignore[assignment]  # plain ASGI; Litestar types its own scope classes
        SecurityLayer(app.state.load_shedder, settings, PATH_POLICY, on_refusal=rate_limited, shared_limits=shared_limits))
    app.state.settings = settings
    app.state.engine = engine
    app.state.annotate_cache = cache = AnnotateCache(
        ttl=settings.cache_ttl_seconds, max_tasks=settings.cache_tasks, max_requesters=settings.cache_requesters,
        max_type_facts=settings.cache_task_types)
    app.state.sessionmaker = session_factory(engine, on_commit=cache.after_commit)
    configure_settling(app.state.sessionmaker, settings.sync_refresh_rows)  # big requesters: server/stats/settle.py
    app.state.write_queue = WriteQueue(app.state.sessionmaker)  # group commit of new reviews and timings
    configure_queue(app.state.sessionmaker, app.state.write_queue)
    if is_postgresql(settings.database_url):
        publish_changes(app.state.sessionmaker)  # other processes drop what these commits change from their caches
    app.state.cluster = ClusterRuntime(settings, cache, shared_limits)
    app.state.task_recorder = TaskRecorder(app.state.sessionmaker, settings.record_queue_tasks, recorded_into(cache))
    app.state.recording_budget = RecordingBudget.of(settings)  # annotate's recording counts as writing
    return app
