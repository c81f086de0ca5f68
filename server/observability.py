"""Structured logs, the access log, request ids, Prometheus metrics and the readiness probe (docs/monitoring.md).

Privacy: nothing here logs or labels a token, a worker id or handle, a query string or a body. Requests are
named by their route template (`/api/v1/reviews/{review_id}`), never by the raw path.
"""
from __future__ import annotations

import asyncio
import contextvars
import hmac
import itertools
import logging
import re
import os
import time
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec
from litestar.utils.path import normalize_path
from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, Info,
                               gc_collector, generate_latest, multiprocess, platform_collector, process_collector)
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from server import __version__
from server.errors import ApiError, ErrorBody
from server.loadshed import DISCONNECTED

access_log = logging.getLogger("fairfinder.access")

# --- logs ----------------------------------------------------------------------------------------

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("fairfinder_request_id", default=None)
# An id from the proxy in front (nginx's $request_id is 32 hex digits) is kept so both logs line up; anything
# else is replaced, so a client cannot write free text into our logs.
_INCOMING_ID = re.compile(r"^[A-Za-z0-9-]{16,64}$")
# LogRecord's own attributes: everything else on a record came through `extra=` and is logged as a field.
# (uvicorn adds color_message, the message with terminal colour codes.)
_RECORD_FIELDS = (frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)
                  | {"message", "asctime", "taskName", "color_message"})


def _install_record_factory() -> None:
    """Stamp each record with the request it was logged in, in the logging thread (a queue handler formats later)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "fairfinder", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        request_id = REQUEST_ID.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return record

    factory.fairfinder = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_install_record_factory()


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in record.__dict__.items() if key not in _RECORD_FIELDS and not key.startswith("_")}


_second: tuple[int, str] = (-1, "")  # replaced whole, so threads that log at once never see half an update


def _timestamp(created: float) -> str:
    """ISO 8601 UTC with milliseconds; the part up to the second is formatted once per second."""
    global _second  # noqa: PLW0603 - a one-entry cache
    second = int(created)
    cached = _second
    if cached[0] != second:
        cached = _second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{cached[1]}.{int((created - second) * 1000):03d}Z"


_JSON = msgspec.json.Encoder(enc_hook=str)  # ten times json.dumps; anything unusual in `extra` is written as str()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, then the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _extras(record).items():
            data.setdefault(key, value)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exception"] = record.exc_text
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return _JSON.encode(data).decode()


class TextFormatter(logging.Formatter):
    """For a person at a terminal: the usual line, then the extra fields as key=value."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s - %(asctime)s - %(name)s - %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = _extras(record)
        if extras:
            line += " " + " ".join(f"{key}={value}" for key, value in extras.items())
        return line


def formatter_config(log_format: str) -> dict[str, Any]:
    """A logging.config formatter entry for FAIRFINDER_LOG_FORMAT (json or text)."""
    return {"()": JsonFormatter if log_format == "json" else TextFormatter}


def uvicorn_log_config(log_format: str, level: str) -> dict[str, Any]:
    """uvicorn's own lines (start, stop, protocol errors) in the same format; its access log stays off
    because it writes raw paths with their query strings (ours is `fairfinder.access`)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter_config(log_format)},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }


# --- metrics -------------------------------------------------------------------------------------

# Our own registry (not prometheus_client's global one): only what this module defines, plus the process figures.
# Several processes (`serve --workers N` sets PROMETHEUS_MULTIPROC_DIR before they start): each writes its values
# to files in that folder, and a scrape, whichever process answers it, adds them all up (prometheus_client's
# multiprocess mode). The process_* and python_gc_* figures describe one process, so they are left out then.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
REGISTRY = CollectorRegistry()
if not MULTIPROCESS:
    process_collector.ProcessCollector(registry=REGISTRY)
    gc_collector.GCCollector(registry=REGISTRY)
PLATFORM = platform_collector.PlatformCollector(registry=REGISTRY)

HTTP_REQUESTS = Counter("fairfinder_http_requests", "HTTP requests answered, by method, route template and status.",
                        ["method", "route", "status"], registry=REGISTRY)
HTTP_DURATION = Histogram("fairfinder_http_request_duration_seconds",
                          "Time from the request's arrival to the end of its answer.", ["method", "route", "status"],
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0), registry=REGISTRY)
HTTP_IN_PROGRESS = Gauge("fairfinder_http_requests_in_progress", "Requests being answered now.", registry=REGISTRY,
                         multiprocess_mode="livesum")
RATE_LIMITED = Counter("fairfinder_rate_limited", "Requests refused with 429, by the limit that refused them.",
                       ["limit"], registry=REGISTRY)
LOAD_SHED = Counter("fairfinder_load_shed", "Requests answered 503 overloaded at once (server/loadshed.py).",
                    registry=REGISTRY)
RECORD_QUEUE = Gauge("fairfinder_record_queue_tasks", "Never-seen tasks waiting to be recorded, at the last /ready.",
                     registry=REGISTRY, multiprocess_mode="livesum")
JOB_RUNS = Counter("fairfinder_job_runs", "Scheduler job runs, by job and outcome (ok, partial, failed).",
                   ["job", "status"], registry=REGISTRY)
JOB_DURATION = Histogram("fairfinder_job_duration_seconds", "How long scheduler job runs took.", ["job"],
                         buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0), registry=REGISTRY)
JOB_LAST_FINISHED = Gauge("fairfinder_job_last_finished_timestamp_seconds",
                          "When a job last finished with this outcome (Unix time).", ["job", "status"],
                          registry=REGISTRY, multiprocess_mode="max")
DATABASE_UP = Gauge("fairfinder_database_up", "1 when the database answered the last check, else 0.",
                    registry=REGISTRY, multiprocess_mode="mostrecent")
MIGRATIONS_CURRENT = Gauge("fairfinder_database_migrations_current",
                           "1 when the database is at the migration this code needs, else 0.", registry=REGISTRY,
                           multiprocess_mode="mostrecent")
BUILD = Info("fairfinder_build", "The running version.", registry=REGISTRY)
BUILD.info({"version": __version__})
_scraped: list[CollectorRegistry] = []


def scrape_registry() -> CollectorRegistry:
    """What /metrics reports: this process's registry, or every process's values in multiprocess mode."""
    if not MULTIPROCESS:
        return REGISTRY
    if not _scraped:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(PLATFORM)
        registry.register(BUILD)  # Info has no multiprocess form; the version is the same in every process
        _scraped.append(registry)
    return _scraped[0]


def process_exited() -> None:
    """Called when the app stops: in multiprocess mode this process's live gauges leave the sums."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())

# Prometheus' classic text format (what generate_latest writes); Litestar adds the charset to text/ types.
METRICS_MEDIA_TYPE = "text/plain; version=0.0.4"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # no route: the raw path is not a label (it could hold anything, and is unbounded)
_TYPED_PARAMETER = re.compile(r"\{(\w+):[^}]+\}")


def job_finished(job: str, status: str, seconds: float) -> None:
    """Called by server/jobs.py record_run after every run."""
    JOB_RUNS.labels(job, status).inc()
    JOB_DURATION.labels(job).observe(seconds)
    JOB_LAST_FINISHED.labels(job, status).set(time.time())


def rate_limited(limit: str) -> None:
    RATE_LIMITED.labels(limit).inc()


def load_shed() -> None:
    LOAD_SHED.inc()


def route_template(scope: dict[str, Any]) -> str:
    """The route a request matched, as written in its handler without parameter types; UNMATCHED when none.

    Requests refused before routing (429, 414, preflights) are looked up in the router the same way."""
    template = scope.get("path_template") if scope.get("route_handler") is not None else None
    if template is None:
        app = scope.get("litestar_app")
        try:
            template = app.asgi_router.handle_routing(normalize_path(scope["path"]), scope["method"])[4] if app else None
        except Exception:  # noqa: BLE001 - no route (404/405) or anything else: only a label is at stake
            template = None
    if not template:
        return UNMATCHED
    label = _LABELS.get(template)
    if label is None:
        label = _LABELS[template] = _TYPED_PARAMETER.sub(r"{\1}", template)  # bounded: one per route
    return label


_LABELS: dict[str, str] = {}
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The counter and histogram children of one label set (labels() takes a lock and builds a key each time)."""
    key = (method, route, status)
    children = _SERIES.get(key)
    if children is None:
        children = _SERIES[key] = (HTTP_REQUESTS.labels(method, route, str(status)),
                                   HTTP_DURATION.labels(method, route, str(status)))
    return children


_ID_PREFIX = os.urandom(8).hex()  # per process: ids stay unique across the processes of one server
_id_counter = itertools.count(1)


def _new_request_id() -> str:
    # Ids only need to be unique, not secret: a counter is far cheaper than 16 random bytes per request.
    return f"{_ID_PREFIX}{next(_id_counter):016x}"


class RequestObserver:
    """ASGI, outermost: gives each request an id (X-Request-ID), writes one access log line and counts it."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-request-id"), "")
        request_id = incoming if incoming and _INCOMING_ID.match(incoming) else _new_request_id()
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500  # when the app fails before it answers, the server sends a 500
        HTTP_IN_PROGRESS.inc()

        async def wrapped(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            HTTP_IN_PROGRESS.dec()
            if scope.get(DISCONNECTED):
                status = CLIENT_CLOSED  # the client left before an answer started; its work was stopped
            seconds = time.perf_counter() - started
            method = scope["method"] if scope["method"] in METHODS else "other"
            route = route_template(scope)
            counter, histogram = _series(method, route, status)
            counter.inc()
            histogram.observe(seconds)
            access_log.info("%s %s %s", method, route, status, extra={
                "method": method, "route": route, "status": status, "duration_ms": round(seconds * 1000, 2)})
            REQUEST_ID.reset(token)


# --- readiness -----------------------------------------------------------------------------------

READY_TIMEOUT_SECONDS = 0.8  # FAIRFINDER_READY_TIMEOUT: /ready answers within a second, whatever the database does
CLIENT_CLOSED = 499  # nginx's status for "the client closed the request", in the access log and metrics only
_known: list[tuple[str | None, frozenset[str]]] = []


def _read_migrations() -> tuple[str | None, frozenset[str]]:
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - alembic loads only when asked

    from server.db.migrate import alembic_config  # noqa: PLC0415

    scripts = ScriptDirectory.from_config(alembic_config(""))
    return scripts.get_current_head(), frozenset(script.revision for script in scripts.walk_revisions())


async def _migrations() -> tuple[str | None, frozenset[str]]:
    """The head revision and every revision this code knows (read once per process)."""
    if not _known:
        _known.append(await asyncio.to_thread(_read_migrations))
    return _known[0]


async def prepare_readiness() -> None:
    """Read the migrations this code knows before the first probe (alembic's import takes a while)."""
    await _migrations()


async def readiness(engine: AsyncEngine, timeout: float = READY_TIMEOUT_SECONDS,
                    recorder: Any = None) -> tuple[bool, dict[str, Any]]:
    """Whether the database answers in time and is at the head migration, and the background write queue
    (server/tasks/recorder.py) is within its bound; the report says what is wrong otherwise."""
    head, known = await _migrations()
    report: dict[str, Any] = {"status": "ready", "database": "ok", "migrations": "current", "revision": None}

    def revision_of(connection: Connection) -> str | None:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    async def current() -> str | None:
        async with engine.connect() as connection:
            return await connection.run_sync(revision_of)

    try:
        revision = await asyncio.wait_for(current(), timeout)
    except TimeoutError:
        report |= {"database": "timeout", "migrations": "unknown"}
    except Exception as error:  # noqa: BLE001 - any failure to reach the database means not ready
        logging.getLogger("fairfinder.ready").warning("readiness: database unreachable (%s)", type(error).__name__)
        report |= {"database": "unreachable", "migrations": "unknown"}
    else:
        report["revision"] = revision
        if revision != head:  # none yet, an older one, or one this code does not know (newer code ran migrate)
            report["migrations"] = "missing" if revision is None else "behind" if revision in known else "unknown"
    reasons = []
    if recorder is not None:
        report["record_queue"] = len(recorder.pending)
        RECORD_QUEUE.set(len(recorder.pending))
        if recorder.full:
            reasons.append(f"{len(recorder.pending)} unseen tasks wait to be recorded, the most this server queues "
                           "(FAIRFINDER_RECORD_QUEUE)")
    if report["database"] != "ok":
        reasons.append(f"the database did not answer ({report['database']})")
    elif report["migrations"] != "current":
        reasons.append(f"the database is at migration {report['revision'] or 'none'}, this code needs {head}: "
                       "run `fairfinder migrate`")
    ok = not reasons
    DATABASE_UP.set(1 if report["database"] == "ok" else 0)
    MIGRATIONS_CURRENT.set(1 if report["migrations"] == "current" else 0)
    if not ok:
        report |= {"status": "not_ready", "head": head, "reasons": reasons}
    return ok, report


@get("/ready", tags=["service"], summary="Readiness: the database answers and is fully migrated",
     responses={503: ResponseSpec(data_container=dict[str, Any], description="Not ready: `reasons` says why.")},
     description="200 `{status: ready, database: ok, migrations: current, revision, record_queue}`; 503 with `reasons` "
                 "when the database does not answer within FAIRFINDER_READY_TIMEOUT (0.8 s), is not at the migration "
                 "this code needs, or the queue of never-seen tasks waiting to be recorded is full. Answers within a "
                 "second; never rate limited or shed.")
async def ready(state: State) -> Response[dict[str, Any]]:
    ok, report = await readiness(state.engine, state.settings.ready_timeout_seconds,
                                 getattr(state, "task_recorder", None))
    return Response(report, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})


@get("/metrics", tags=["service"], media_type=METRICS_MEDIA_TYPE, summary="Prometheus metrics",
     responses={401: ResponseSpec(data_container=ErrorBody, description="FAIRFINDER_METRICS_TOKEN is set and not given.")},
     description="Request counts and latencies by route template, job outcomes, database state (docs/monitoring.md). "
                 "Needs `Authorization: Bearer <FAIRFINDER_METRICS_TOKEN>` when that setting is set.")
async def metrics(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    expected = state.settings.metrics_token
    given = request.headers.get("authorization") or ""
    if expected and not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        raise ApiError(401, "unauthorized", "This address needs the metrics token.")
    await readiness(state.engine, state.settings.ready_timeout_seconds,
                    getattr(state, "task_recorder", None))  # refreshes the database gauges
    return Response(generate_latest(scrape_registry()), media_type=METRICS_MEDIA_TYPE,
                    headers={"Cache-Control": "no-store"})


OBSERVABILITY_ROUTES = [ready, metrics]
