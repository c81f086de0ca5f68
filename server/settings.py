"""Settings from environment variables, with safe defaults for a single-machine install.

Each setting is declared once, as a field of `Settings`: its type, its default (the default of an in-process
`Settings(...)`), and in `env(...)` the variable that sets it, its help text and what it allows. `load_settings`
reads every declared variable from the environment with those declarations; a value that cannot be used raises
`SettingsError` naming the variable, the value given and what is allowed. `fairfinder settings` lists them all
(docs/settings.md is generated from the same list).
"""
from __future__ import annotations

import functools
import logging
import math
import os
import re
import secrets
import sys
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import msgspec

from server.domain.errors import FairfinderError

log = logging.getLogger(__name__)

SECRET_FILE_NAME = "secret"
SOURCES_FILE_NAME = "sources.toml"


class SettingsError(FairfinderError, ValueError):
    """A setting that cannot be used; the message says which, what was given and what is allowed."""


# ------------------------------------------------------------------------------------------------
# How a setting is declared


Values = Mapping[str, Any]  # the settings read so far, by field name (for defaults that depend on others)


@dataclass(frozen=True)
class Env:
    """How one environment variable sets one field of `Settings`."""

    name: str  # FAIRFINDER_PORT
    help: str
    # When the variable is unset (or empty): this text is parsed instead, or `derive` computes the value from the
    # settings read before; without either, the field's own default applies.
    default: str | None = None
    derive: Callable[[Values], Any] | None = None
    default_words: str | None = None  # how `fairfinder settings` shows a derived default
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None  # exclusive lower bound
    # The value from the text (after the type's own reading) for what plain types cannot say: raise ValueError
    # with the words of what is allowed.
    convert: Callable[[str], Any] | None = None
    allowed: str | None = None  # what is allowed, in words, when the type and bounds do not say it


def env(name: str, text: str, **how: Any) -> msgspec.Meta:
    """The declaration of a field's variable: `port: Annotated[int, env("FAIRFINDER_PORT", "…")] = 8000`."""
    return msgspec.Meta(description=text, extra={"env": Env(name, text, **how)})


class SourceConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A community rating source the scheduler imports from (docs/community.md)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")]
    kind: Literal["fairfinder", "turkopticon1", "turkopticon2", "csv"]
    url: Annotated[str, msgspec.Meta(pattern=r"^https?://")]
    interval_minutes: Annotated[float, msgspec.Meta(gt=0)] | None = None  # default: import_interval_seconds
    enabled: bool = True


class _SourcesFile(msgspec.Struct, forbid_unknown_fields=True):
    sources: list[SourceConfig] = []


_PERIODS = {"s": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0,
            "d": 86400.0, "day": 86400.0}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*\.?\d*)\s*([a-z]+?)s?\s*$")
RATE_WORDS = "a rate like 300/minute, 20/hour or 5/10s"


def parse_rate(name: str, value: str) -> tuple[int, float]:
    """"300/minute", "20/hour", "5/10s" -> (requests, seconds)."""
    match = _RATE.match(value.lower())
    if not match or match.group(3) not in _PERIODS or int(match.group(1)) < 1:
        raise SettingsError(f"{name}: {value!r} is not {RATE_WORDS}")
    seconds = float(match.group(2) or 1) * _PERIODS[match.group(3)]
    if seconds <= 0:
        raise SettingsError(f"{name}: {value!r} has an empty period")
    return int(match.group(1)), seconds


def _rate(text: str) -> tuple[int, float]:
    try:
        return parse_rate("", text)
    except SettingsError:
        raise ValueError(RATE_WORDS) from None


def _origins(text: str) -> tuple[str, ...]:
    origins = tuple(origin.rstrip("/").lower() for origin in _listed(text))
    for origin in origins:
        if origin == "*" or not re.match(r"^https?://[^/?#*]+$", origin):
            raise ValueError(f"a comma-separated list of origins like https://example.org ({origin!r} is not one)")
    return origins


def _extension_ids(text: str) -> tuple[str, ...]:
    return tuple(extension_id.lower() for extension_id in _listed(text))


def _public_url(text: str) -> str:
    """An http(s) URL without query or fragment, kept without its trailing slash."""
    url = text.strip().rstrip("/")
    if url and not re.match(r"^https?://[^/?#\s]+(/[^?#\s]*)?$", url):
        raise ValueError("an address like https://fair.example.org")
    return url


def _folder(text: str) -> Path:
    return Path(text).resolve()


def _listed(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


# ------------------------------------------------------------------------------------------------
# The settings: each declared once


def _database_default(values: Values) -> str:
    return f"sqlite+aiosqlite:///{values['data_dir'] / 'fairfinder.db'}"


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# Named functions, not lambdas: the annotations that name them are evaluated with the class as globals.
def _default_sources(values: Values) -> tuple[SourceConfig, ...]:
    return load_sources(values["data_dir"] / SOURCES_FILE_NAME)


def _sources_file(text: str) -> tuple[SourceConfig, ...]:
    return load_sources(Path(text), required=True)


def _log_format_default(_values: Values) -> str:
    return "text" if sys.stderr.isatty() else "json"


def _store_default(values: Values) -> str:
    return "memory" if _is_sqlite(values["database_url"]) else "database"


def _sync_rows_default(values: Values) -> int:
    return 1000 if values["scheduler_enabled"] else 0


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """What the server runs with. `Settings(...)` in a process (tests, benchmarks) starts from the field defaults;
    `load_settings()` reads the declared variables, whose defaults suit a real install (scheduler and rate limits
    on). Fields are read in this order, so a derived default may use the fields above it."""

    data_dir: Annotated[Path, env("FAIRFINDER_DATA_DIR", "Folder of the SQLite database, the secret, sources.toml "
                                  "and backups.", default="var", convert=_folder)]
    database_url: Annotated[str, env("DATABASE_URL", "SQLAlchemy URL of the database: sqlite+aiosqlite:///… or "
                                     "postgresql+asyncpg://… (docs/deploying.md).", derive=_database_default,
                                     default_words="SQLite in <data dir>/fairfinder.db",
                                     allowed="a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")]
    secret: Annotated[str, env("FAIRFINDER_SECRET", "Key of the server's HMACs (sign-in CSRF, platform ids); "
                               "generated once and kept beside the database when unset.",
                               default_words="<data dir>/secret, made once")] = msgspec.field(default="")
    host: Annotated[str, env("FAIRFINDER_HOST", "Address to listen on.")] = "127.0.0.1"
    port: Annotated[int, env("FAIRFINDER_PORT", "TCP port to listen on.", minimum=1, maximum=65535)] = 8000
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
                         env("FAIRFINDER_LOG_LEVEL", "Lowest level of log lines written.")] = "INFO"
    max_body_bytes: int = 1024 * 1024
    enable_bench_routes: Annotated[bool, env("FAIRFINDER_BENCH_ROUTES", "Serve the benchmark-only routes "
                                             "(bench/annotate.py; never in production).")] = False
    # How long annotate may reuse cached aggregates written by *other* processes (this process's own
    # writes are seen at once). Bounds staleness with several server processes or a CLI rebuild.
    cache_ttl_seconds: Annotated[float, env("FAIRFINDER_CACHE_TTL", "Seconds annotate may reuse aggregates another "
                                            "process wrote.", minimum=0)] = 30.0
    # What annotate keeps in memory per process (server/tasks/cache.py), bounded by entry counts. A cached task
    # type costs ~3 KB with its share of its requester and its computed figures (docs/benchmarks.md, issue 16);
    # the bound should hold the task types of the pages workers are viewing, or every page reloads them.
    cache_task_types: Annotated[int, env("FAIRFINDER_CACHE_TASK_TYPES", "Task types whose facts and figures "
                                         "annotate keeps in memory, per process.", minimum=100,
                                         maximum=10_000_000)] = 30_000
    cache_requesters: Annotated[int, env("FAIRFINDER_CACHE_REQUESTERS", "Requesters whose facts annotate keeps in "
                                         "memory, per process.", minimum=100, maximum=10_000_000)] = 12_000
    cache_tasks: Annotated[int, env("FAIRFINDER_CACHE_TASKS", "Tasks whose identity (row ids, batch id) annotate "
                                    "keeps in memory, per process.", minimum=100, maximum=10_000_000)] = 60_000
    # How long a write waits for another process's SQLite write lock before answering 503.
    sqlite_busy_timeout_ms: Annotated[int, env("FAIRFINDER_SQLITE_BUSY_TIMEOUT_MS", "Milliseconds a write waits "
                                               "for SQLite's write lock before answering 503.", minimum=0)] = 10_000
    # normal: survives a killed process; full: also an OS crash or power loss, at an fsync per commit (docs/backups.md)
    sqlite_synchronous: Annotated[Literal["normal", "full"], env(
        "FAIRFINDER_SQLITE_SYNCHRONOUS", "SQLite durability: normal survives a killed process, full also a power "
        "loss (docs/backups.md).")] = "normal"
    # The open ratings dump (docs/ratings-dump.md): its licence and the name it gives this community.
    dump_licence: Annotated[str, env("FAIRFINDER_DUMP_LICENCE", "Licence of the open ratings dump "
                                     "(docs/ratings-dump.md).")] = "ODbL-1.0"
    community_name: Annotated[str, env("FAIRFINDER_COMMUNITY_NAME", "The name the ratings dump gives this "
                                       "community.")] = "Fairfinder"
    # The scheduler (server/jobs.py): imports from other communities, aggregate refresh, timing retention.
    scheduler_enabled: Annotated[bool, env("FAIRFINDER_SCHEDULER", "Run the scheduler: imports, refresh, "
                                           "retention, backups (docs/community.md).", default="on")] = False
    sources: Annotated[tuple[SourceConfig, ...], env(
        "FAIRFINDER_SOURCES_FILE", "TOML file of the rating sources the scheduler imports from (docs/community.md).",
        derive=_default_sources, convert=_sources_file,
        default_words="<data dir>/sources.toml when it exists", allowed="the path of a TOML file")] = ()
    import_interval_seconds: Annotated[float, env("FAIRFINDER_IMPORT_INTERVAL", "Seconds between imports of a "
                                                  "source.", above=0)] = 3600.0
    # A peer is re-read whole weekly (catches anything missed).
    full_import_interval_seconds: Annotated[float, env("FAIRFINDER_FULL_IMPORT_INTERVAL", "Seconds between full "
                                                       "re-reads of a peer.", above=0)] = 7 * 24 * 3600.0
    refresh_interval_seconds: Annotated[float, env("FAIRFINDER_REFRESH_INTERVAL", "Seconds between refreshes of "
                                                   "the \"last 90 days\" figures.", above=0)] = 6 * 3600.0
    timings_retention_days: Annotated[int, env("FAIRFINDER_TIMINGS_RETENTION_DAYS", "Days raw timings are kept; "
                                               "0 keeps them forever.", minimum=0)] = 365
    # Anonymous page-shape reports (server/page_reports) only say which page shapes the extension could not read.
    page_reports_retention_days: Annotated[int, env("FAIRFINDER_PAGE_REPORTS_RETENTION_DAYS", "Days page-shape "
                                                    "reports are kept (docs/page-reports.md).", minimum=1,
                                                    maximum=3650)] = 90
    fetch_min_interval_seconds: Annotated[float, env("FAIRFINDER_FETCH_INTERVAL", "Politeness: at least this many "
                                                     "seconds between requests to one host.", minimum=0)] = 1.0
    fetch_attempts: Annotated[int, env("FAIRFINDER_FETCH_ATTEMPTS", "Tries of one request before giving up.",
                                       minimum=1)] = 4
    fetch_backoff_seconds: Annotated[float, env("FAIRFINDER_FETCH_BACKOFF", "First wait before a retry "
                                                "(doubles each time).", minimum=0)] = 1.0
    # Web security and observability (docs/security.md, docs/monitoring.md). Rate limits are (requests, seconds);
    # in-process Settings() leave them off, load_settings turns them on unless FAIRFINDER_RATE_LIMITS=off.
    rate_limits_enabled: Annotated[bool, env("FAIRFINDER_RATE_LIMITS", "Apply the rate limits (docs/security.md).",
                                             default="on")] = False
    # Every request, per client address (not /health /ready /metrics).
    rate_limit_ip: Annotated[tuple[int, float], env("FAIRFINDER_RATE_LIMIT_IP", "Requests per client address.",
                                                    convert=_rate, default="300/minute", allowed=RATE_WORDS)] = (300, 60.0)
    # POST/PUT/PATCH/DELETE per token (annotate is a read).
    rate_limit_writes: Annotated[tuple[int, float], env("FAIRFINDER_RATE_LIMIT_WRITES", "Writes per token.",
                                                        convert=_rate, default="60/minute", allowed=RATE_WORDS)] = (60, 60.0)
    rate_limit_register: Annotated[tuple[int, float], env("FAIRFINDER_RATE_LIMIT_REGISTER", "New accounts per "
                                                          "client address.", convert=_rate, default="20/hour",
                                                          allowed=RATE_WORDS)
                                   ] = (20, 3600.0)
    # POST /api/v1/page-reports, anonymous: per client address, and per token when one is sent.
    rate_limit_reports: Annotated[tuple[int, float], env("FAIRFINDER_RATE_LIMIT_REPORTS", "Page-shape reports per "
                                                         "client address and per token.", convert=_rate,
                                                         default="10/hour", allowed=RATE_WORDS)] = (10, 3600.0)
    cors_origins: Annotated[tuple[str, ...], env("FAIRFINDER_CORS_ORIGINS", "Web origins allowed to read the API "
                                                 "besides the extension's.", convert=_origins,
                                                 allowed="comma-separated origins like https://example.org")] = ()
    extension_ids: Annotated[tuple[str, ...], env("FAIRFINDER_EXTENSION_IDS", "Browser extension ids allowed as "
                                                  "origins; empty: any.", convert=_extension_ids,
                                                  allowed="comma-separated extension ids")] = ()
    forwarded_allow_ips: Annotated[str, env("FAIRFINDER_FORWARDED_ALLOW_IPS", "Proxies whose X-Forwarded-For is "
                                            "trusted; empty: none.", allowed="comma-separated IP addresses, or *")] = ""
    # Path and query string (a batch of 100 long requester ids fits).
    max_url_bytes: Annotated[int, env("FAIRFINDER_MAX_URL_BYTES", "Longest path and query accepted.",
                                      minimum=1)] = 16 * 1024
    max_header_bytes: Annotated[int, env("FAIRFINDER_MAX_HEADER_BYTES", "Most bytes of request headers accepted.",
                                         minimum=1)] = 16 * 1024
    log_format: Annotated[Literal["json", "text"], env(
        "FAIRFINDER_LOG_FORMAT", "Log lines as JSON or as text (docs/monitoring.md).",
        derive=_log_format_default,
        default_words="text on a terminal, else json")] = "json"
    # When set, GET /metrics needs `Authorization: Bearer <it>`.
    metrics_token: Annotated[str, env("FAIRFINDER_METRICS_TOKEN", "Bearer token GET /metrics requires; empty: "
                                      "none.")] = ""
    # Scheduled backups of a SQLite database (server/db/backup.py, docs/backups.md): the scheduler's `backup` job.
    backup_interval_hours: Annotated[float, env("FAIRFINDER_BACKUP_INTERVAL", "Hours between scheduled backups; "
                                                "0 turns them off.", minimum=0)] = 24.0
    backup_dir: Annotated[Path | None, env("FAIRFINDER_BACKUP_DIR", "Folder of backups.", convert=_folder,
                                           default_words="<data dir>/backups")] = None
    # The newest scheduled backups kept; the job deletes only older ones it made itself.
    backup_keep: Annotated[int, env("FAIRFINDER_BACKUP_KEEP", "Newest scheduled backups kept.", minimum=1)] = 7
    # Several server processes as one service (server/cluster, docs/deploying.md). Rate-limit counters live in
    # this process's memory, or in the database where every process sees them (PostgreSQL only).
    rate_limit_store: Annotated[Literal["memory", "database"], env(
        "FAIRFINDER_RATE_LIMIT_STORE", "Where rate-limit counters live; database needs PostgreSQL "
        "(docs/deploying.md).", derive=_store_default,
        default_words="memory on SQLite, database on PostgreSQL")] = "memory"
    # How often a process that does not run the scheduler tries to take over, and the one that does checks its lock.
    scheduler_retry_seconds: Annotated[float, env("FAIRFINDER_SCHEDULER_RETRY", "Seconds between a process's tries "
                                                  "to take over the scheduler.", above=0, maximum=3600)] = 5.0
    # Aggregates of big requesters (server/stats/settle.py): a write to a requester with at least this many reviews
    # + samples only marks it, and the scheduler's settle job recomputes it every settle_seconds. 0: every write
    # recomputes at once (in-process Settings(); load_settings: 1,000 while the scheduler runs).
    sync_refresh_rows: Annotated[int, env(
        "FAIRFINDER_SYNC_REFRESH_ROWS", "Reviews + samples from which a write only marks its requester for the "
        "settle job; 0: every write recomputes at once.", minimum=0,
        derive=_sync_rows_default,
        default_words="1000 with the scheduler, else 0")] = 0
    settle_seconds: Annotated[float, env("FAIRFINDER_SETTLE_SECONDS", "Seconds between settle jobs.", above=0,
                                         maximum=3600)] = 10.0
    # The address people reach this server at (e.g. https://fair.example.org): the issuer of work certificates and
    # the base of the links they carry (docs/certificate.md). Empty: http://<host>:<port>.
    public_url: Annotated[str, env("FAIRFINDER_PUBLIC_URL", "The address people reach this server at; issuer of "
                                   "work certificates (docs/certificate.md).", convert=_public_url,
                                   default_words="http://<host>:<port>",
                                   allowed="an address like https://fair.example.org")] = ""
    # Load (docs/deploying.md "Pools and load"). Database connections per process: the pool's steady size, how many
    # more it may open at a peak, and how long a request waits for one before it is answered 503. A request holds at
    # most one connection at a time, so no pool size can deadlock.
    db_pool_size: Annotated[int, env("FAIRFINDER_DB_POOL_SIZE", "Database connections each process keeps open.",
                                     minimum=1, maximum=1000)] = 8
    db_pool_overflow: Annotated[int, env("FAIRFINDER_DB_POOL_OVERFLOW", "Connections a process may open beyond the "
                                         "pool at a peak.", minimum=0, maximum=1000)] = 8
    db_pool_timeout_seconds: Annotated[float, env("FAIRFINDER_DB_POOL_TIMEOUT", "Seconds a request waits for a "
                                                  "database connection before it is answered 503.", minimum=0.1,
                                                  maximum=300)] = 10.0
    # Past this many requests in progress in one process (probes excepted), new ones are answered 503 with
    # Retry-After at once instead of queueing (server/loadshed.py).
    max_requests_in_progress: Annotated[int, env("FAIRFINDER_MAX_REQUESTS", "Requests in progress per process past "
                                                 "which new ones are answered 503 at once; 0: never.", minimum=0,
                                                 maximum=100_000)] = 64
    shed_retry_after_seconds: Annotated[int, env("FAIRFINDER_SHED_RETRY_AFTER", "The Retry-After seconds of a 503 "
                                                 "from a busy server.", minimum=1, maximum=3600)] = 2
    # Never-seen tasks waiting to be recorded in the background (server/tasks/recorder.py); past it /ready says not
    # ready and new ones wait for their next view.
    record_queue_tasks: Annotated[int, env("FAIRFINDER_RECORD_QUEUE", "Never-seen tasks that may wait to be recorded; "
                                           "past it /ready says not ready.", minimum=1, maximum=10_000_000)] = 20_000
    # Recording is writing (server/tasks/budget.py): new requesters, task types and name votes annotate may record
    # per period, for an anonymous client address, all anonymous clients together, and a signed-in account. Past
    # them tasks are still annotated and are recorded at a later view. Only while the rate limits apply.
    record_anonymous_rows: Annotated[tuple[int, float], env(
        "FAIRFINDER_RECORD_ANONYMOUS", "New rows annotate may record for one anonymous client address.",
        convert=_rate, default="60/minute", allowed=RATE_WORDS)] = (60, 60.0)
    record_anonymous_total: Annotated[tuple[int, float], env(
        "FAIRFINDER_RECORD_ANONYMOUS_TOTAL", "New rows annotate may record for all anonymous clients together.",
        convert=_rate, default="600/minute", allowed=RATE_WORDS)] = (600, 60.0)
    record_account_rows: Annotated[tuple[int, float], env(
        "FAIRFINDER_RECORD_ACCOUNT", "New rows annotate may record for one signed-in account.",
        convert=_rate, default="600/minute", allowed=RATE_WORDS)] = (600, 60.0)
    ready_timeout_seconds: Annotated[float, env("FAIRFINDER_READY_TIMEOUT", "Seconds /ready waits for the database "
                                                "before it says not ready.", minimum=0.05, maximum=30)] = 0.8

    @property
    def base_url(self) -> str:
        """FAIRFINDER_PUBLIC_URL, else the address this process listens on; never from a request's Host header."""
        return self.public_url or f"http://{self.host}:{self.port}"

    def __repr__(self) -> str:  # never print the secret, even by accident in a traceback
        return f"Settings(database_url={_redact_url(self.database_url)!r}, data_dir={str(self.data_dir)!r}, host={self.host!r}, port={self.port})"

    __str__ = __repr__

    @property
    def is_sqlite(self) -> bool:
        return _is_sqlite(self.database_url)

    def sqlite_path(self) -> Path | None:
        """The database file for sqlite URLs (None for in-memory or other databases)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split("///", 1)[1] if "///" in self.database_url else ""
        path = path.split("?", 1)[0]
        if not path or path == ":memory:":
            return None
        return Path(path)

    @property
    def backups_path(self) -> Path:
        """Where backups go unless told otherwise (`fairfinder backup`, the scheduled job, safety copies)."""
        return self.backup_dir or self.data_dir / "backups"


def _redact_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


# ------------------------------------------------------------------------------------------------
# Reading the declarations


@dataclass(frozen=True)
class Declared:
    """One setting as `fairfinder settings` lists it."""

    field: str
    env: Env
    kind: Any  # the field's type without its Annotated metadata
    default: Any  # the field's in-process default (msgspec.NODEFAULT when required)

    @property
    def allowed(self) -> str:
        return self.env.allowed or _allowed_words(self.kind, self.env)

    @property
    def default_words(self) -> str:
        if self.env.default_words:
            return self.env.default_words
        if self.env.default is not None:
            return self.env.default
        return _shown(self.default)


_ON = frozenset({"1", "true", "yes", "on"})
_OFF = frozenset({"0", "false", "no", "off"})
_BOOL_WORDS = "on or off (also 1/0, true/false, yes/no)"


def _choices(kind: Any) -> tuple[str, ...] | None:
    return tuple(typing.get_args(kind)) if typing.get_origin(kind) is Literal else None


def _optional(kind: Any) -> Any:
    """X for `X | None`."""
    if typing.get_origin(kind) in (Union, types.UnionType):
        inner = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        if len(inner) == 1:
            return inner[0]
    return kind


def _bounds_words(how: Env) -> str:
    if how.minimum is not None and how.maximum is not None:
        return f"from {how.minimum:g} to {how.maximum:g}"
    parts = []
    if how.above is not None:
        parts.append(f"above {how.above:g}")
    if how.minimum is not None:
        parts.append(f"at least {how.minimum:g}")
    if how.maximum is not None:
        parts.append(f"at most {how.maximum:g}")
    return " and ".join(parts)


def _allowed_words(kind: Any, how: Env) -> str:
    kind = _optional(kind)
    choices = _choices(kind)
    if choices:
        return " or ".join(choices)
    if kind is bool:
        return _BOOL_WORDS
    bounds = _bounds_words(how)
    noun = {int: "a whole number", float: "a number", Path: "a folder"}.get(kind, "text")
    return f"{noun} {bounds}".strip()


def _shown(value: Any) -> str:
    if value is msgspec.NODEFAULT or value is msgspec.UNSET:
        return "(none)"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if value != "" else "(empty)"


@functools.cache
def declared() -> tuple[Declared, ...]:
    """Every setting read from the environment, in the order load_settings reads them."""
    hints = typing.get_type_hints(Settings, include_extras=True)
    defaults = {field.name: field.default for field in msgspec.structs.fields(Settings)}
    out = []
    for name, hint in hints.items():
        if typing.get_origin(hint) is not Annotated:
            continue
        kind, *metadata = typing.get_args(hint)
        for meta in metadata:
            how = (meta.extra or {}).get("env") if isinstance(meta, msgspec.Meta) else None
            if isinstance(how, Env):
                out.append(Declared(name, how, kind, defaults.get(name, msgspec.NODEFAULT)))
    return tuple(out)


def _parse(item: Declared, text: str) -> Any:
    """The value of one variable's text, or ValueError with the words of what is allowed."""
    kind, how = _optional(item.kind), item.env
    if how.convert is not None:
        return how.convert(text)
    choices = _choices(kind)
    if choices:
        # Names are matched without regard to case (FULL, Info); the value kept is the declared spelling.
        wanted = {str(choice).lower(): choice for choice in choices}
        if text.strip().lower() not in wanted:
            raise ValueError(item.allowed)
        return wanted[text.strip().lower()]
    if kind is bool:
        word = text.strip().lower()
        if word not in _ON | _OFF:
            raise ValueError(item.allowed)
        return word in _ON
    if kind in (int, float):
        try:
            value = int(text.strip()) if kind is int else float(text.strip())
        except ValueError:
            raise ValueError(item.allowed) from None
        if (not math.isfinite(value) or (how.minimum is not None and value < how.minimum)
                or (how.maximum is not None and value > how.maximum) or (how.above is not None and value <= how.above)):
            raise ValueError(item.allowed)
        return value
    return text.strip()


def _read(item: Declared, environ: Mapping[str, str], values: Values) -> Any:
    text = (environ.get(item.env.name) or "").strip()
    if not text and item.env.default is not None:
        text = item.env.default
    if not text:
        if item.env.derive is not None:
            return item.env.derive(values)
        if item.default is msgspec.NODEFAULT:
            raise SettingsError(f"{item.env.name} must be set: {item.env.help}")
        return item.default
    try:
        return _parse(item, text)
    except SettingsError:
        raise
    except ValueError as error:
        raise SettingsError(f"{item.env.name}: {text[:200]!r} is not allowed; expected {error}.") from None


def load_settings(env: Mapping[str, str] | None = None, *, make_secret: bool = True) -> Settings:
    """Read every declared setting from the environment; create the data folder and the secret when missing
    (`make_secret` False: create nothing, and leave the secret empty when there is none yet: the CLI asks first).
    A value that cannot be used raises SettingsError naming the variable, the value given and what is allowed."""
    environ = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    for item in declared():
        if item.field != "secret":  # read last: making one writes a file, and only settings that work get one
            values[item.field] = _read(item, environ, values)
    _check_together(values)
    settings = Settings(**values)
    secret = (environ.get("FAIRFINDER_SECRET") or "").strip()
    if not secret:
        stored = secret_file(settings)
        secret = _stored_secret(settings) if make_secret else (stored.read_text().strip() if stored.is_file() else "")
    return msgspec.structs.replace(settings, secret=secret)


def _check_together(values: Values) -> None:
    """Settings that each read well but do not work together."""
    if values["rate_limit_store"] == "database" and _is_sqlite(values["database_url"]):
        # Every request would take SQLite's single write lock; with SQLite the limits are per process.
        raise SettingsError("FAIRFINDER_RATE_LIMIT_STORE=database needs PostgreSQL (DATABASE_URL=postgresql+asyncpg://…)")
    if values["sync_refresh_rows"] and not values["scheduler_enabled"]:
        raise SettingsError("FAIRFINDER_SYNC_REFRESH_ROWS needs the scheduler, which settles big requesters: "
                            "set FAIRFINDER_SCHEDULER=on, or FAIRFINDER_SYNC_REFRESH_ROWS=0")


def load_sources(path: Path, *, required: bool = False) -> tuple[SourceConfig, ...]:
    """The scheduled rating sources from a TOML file ([[sources]] tables); none when the file is absent."""
    if not path.exists():
        if required:
            raise SettingsError(f"FAIRFINDER_SOURCES_FILE: {path} does not exist")
        return ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        sources = msgspec.convert(data, _SourcesFile).sources
    except (tomllib.TOMLDecodeError, msgspec.ValidationError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: {error}") from None
    names = [source.name for source in sources]
    if len(set(names)) != len(names):
        raise SettingsError(f"{path}: two sources have the same name")
    return tuple(sources)


def secret_file(settings: Settings) -> Path:
    """Where the secret is kept when FAIRFINDER_SECRET is unset: beside the SQLite database, else in the data folder."""
    db_path = settings.sqlite_path()
    return (db_path.parent if db_path else settings.data_dir) / SECRET_FILE_NAME


def _stored_secret(settings: Settings) -> str:
    """The secret kept beside the database, generated once (readable by the owner only)."""
    path = secret_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    log.info("generated a new server secret in %s", path)
    return path.read_text().strip()


def settings_table(markdown: bool = False) -> str:
    """Every setting, its default and what it allows: `fairfinder settings` and docs/settings.md."""
    rows = [(f"`{d.env.name}`" if markdown else d.env.name, d.env.help, d.default_words, d.allowed)
            for d in declared()]
    if markdown:
        lines = ["| Variable | What it sets | Default | Allowed |", "| --- | --- | --- | --- |"]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    return "\n".join(f"{name}\n    {help_}\n    default: {default}; allowed: {allowed}"
                     for name, help_, default, allowed in rows) + "\n"
