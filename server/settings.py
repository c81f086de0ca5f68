"""Settings from environment variables, with safe defaults for a single-machine install."""
from __future__ import annotations

import logging
import os
import re
import secrets
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import msgspec

log = logging.getLogger(__name__)

SECRET_FILE_NAME = "secret"


SOURCES_FILE_NAME = "sources.toml"


class SourceConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A community rating source the scheduler imports from (docs/community.md)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")]
    kind: Literal["fairfinder", "turkopticon1", "turkopticon2", "csv"]
    url: Annotated[str, msgspec.Meta(pattern=r"^https?://")]
    interval_minutes: Annotated[float, msgspec.Meta(gt=0)] | None = None  # default: import_interval_seconds
    enabled: bool = True


class _SourcesFile(msgspec.Struct, forbid_unknown_fields=True):
    sources: list[SourceConfig] = []


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str
    secret: str = msgspec.field(default="")
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    max_body_bytes: int = 1024 * 1024
    enable_bench_routes: bool = False
    # How long annotate may reuse cached aggregates written by *other* processes (this process's own
    # writes are seen at once). Bounds staleness with several server processes or a CLI rebuild.
    cache_ttl_seconds: float = 30.0
    # How long a write waits for another process's SQLite write lock before answering 503.
    sqlite_busy_timeout_ms: int = 10_000
    # normal: survives a killed process; full: also an OS crash or power loss, at an fsync per commit (docs/backups.md)
    sqlite_synchronous: str = "normal"
    # The open ratings dump (docs/ratings-dump.md): its licence and the name it gives this community.
    dump_licence: str = "ODbL-1.0"
    community_name: str = "Fairfinder"
    # The scheduler (server/jobs.py): imports from other communities, aggregate refresh, timing retention.
    scheduler_enabled: bool = False  # load_settings turns it on unless FAIRFINDER_SCHEDULER=off
    sources: tuple[SourceConfig, ...] = ()
    import_interval_seconds: float = 3600.0
    full_import_interval_seconds: float = 7 * 24 * 3600.0  # a peer is re-read whole weekly (catches anything missed)
    refresh_interval_seconds: float = 6 * 3600.0  # ages the "last 90 days" figures
    timings_retention_days: int = 365  # raw timings older than this are deleted; 0 keeps them forever
    fetch_min_interval_seconds: float = 1.0  # politeness: at least this long between requests to one host
    fetch_attempts: int = 4
    fetch_backoff_seconds: float = 1.0
    # Web security and observability (docs/security.md, docs/monitoring.md). Rate limits are (requests, seconds);
    # in-process Settings() leave them off, load_settings turns them on unless FAIRFINDER_RATE_LIMITS=off.
    rate_limits_enabled: bool = False
    rate_limit_ip: tuple[int, float] = (300, 60.0)  # every request, per client address (not /health /ready /metrics)
    rate_limit_writes: tuple[int, float] = (60, 60.0)  # POST/PUT/PATCH/DELETE per token (annotate is a read)
    rate_limit_register: tuple[int, float] = (20, 3600.0)  # new accounts per client address
    cors_origins: tuple[str, ...] = ()  # web origins allowed to read the API besides the extension's
    extension_ids: tuple[str, ...] = ()  # empty: any chrome-extension:// or moz-extension:// origin
    forwarded_allow_ips: str = ""  # proxies whose X-Forwarded-For uvicorn trusts; empty: none
    max_url_bytes: int = 16 * 1024  # path and query string (a batch of 100 long requester ids fits)
    max_header_bytes: int = 16 * 1024  # all request headers together
    log_format: Literal["json", "text"] = "json"
    metrics_token: str = ""  # when set, GET /metrics needs `Authorization: Bearer <it>`
    # Scheduled backups of a SQLite database (server/db/backup.py, docs/backups.md): the scheduler's `backup` job.
    backup_interval_hours: float = 24.0  # 0 turns them off
    backup_dir: Path | None = None  # None: <data_dir>/backups
    backup_keep: int = 7  # the newest scheduled backups kept; the job deletes only older ones it made itself
    # Several server processes as one service (server/cluster, docs/deploying.md). Rate-limit counters live in
    # this process's memory, or in the database where every process sees them (PostgreSQL only).
    rate_limit_store: Literal["memory", "database"] = "memory"
    # How often a process that does not run the scheduler tries to take over, and the one that does checks its lock.
    scheduler_retry_seconds: float = 5.0
    # Aggregates of big requesters (server/stats/settle.py): a write to a requester with at least this many reviews
    # + samples only marks it, and the scheduler's settle job recomputes it every settle_seconds. 0: every write
    # recomputes at once (in-process Settings(); load_settings: 1,000 while the scheduler runs).
    sync_refresh_rows: int = 0
    settle_seconds: float = 10.0
    # The address people reach this server at (FAIRFINDER_PUBLIC_URL, e.g. https://fair.example.org): the issuer
    # of work certificates and the base of the links they carry (docs/certificate.md). Empty: http://<host>:<port>.
    public_url: str = ""
    # --- Load (issue 16: engineer P's block; docs/deploying.md "Pools and load") -------------------------------
    # Database connections per process: the pool's steady size, how many more it may open at a peak, and how
    # long a request waits for one before failing. A request holds at most one connection at a time.
    db_pool_size: int = 8
    db_pool_overflow: int = 8
    db_pool_timeout_seconds: float = 10.0
    # Requests in progress per process (probes excepted) past which new ones are answered 503 with
    # Retry-After at once instead of queueing; 0 turns shedding off.
    max_requests_in_progress: int = 64
    shed_retry_after_seconds: int = 2
    # Never-seen tasks waiting to be recorded in the background (server/tasks/recorder.py); past it /ready
    # says not ready and new ones wait for their next view.
    record_queue_tasks: int = 20_000
    # How long /ready waits for the database before it says not ready.
    ready_timeout_seconds: float = 0.8

    @property
    def base_url(self) -> str:
        """FAIRFINDER_PUBLIC_URL, else the address this process listens on; never from a request's Host header."""
        return self.public_url or f"http://{self.host}:{self.port}"

    def __repr__(self) -> str:  # never print the secret, even by accident in a traceback
        return f"Settings(database_url={_redact_url(self.database_url)!r}, data_dir={str(self.data_dir)!r}, host={self.host!r}, port={self.port})"

    __str__ = __repr__

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

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


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment; create the data folder and the secret when missing."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("FAIRFINDER_DATA_DIR", "var")).resolve()
    database_url = env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'fairfinder.db'}"
    settings = Settings(
        database_url=database_url,
        data_dir=data_dir,
        host=env.get("FAIRFINDER_HOST", "127.0.0.1"),
        port=int(env.get("FAIRFINDER_PORT", "8000")),
        log_level=env.get("FAIRFINDER_LOG_LEVEL", "INFO").upper(),
        enable_bench_routes=_truthy(env.get("FAIRFINDER_BENCH_ROUTES")),
        cache_ttl_seconds=float(env.get("FAIRFINDER_CACHE_TTL", "30")),
        sqlite_busy_timeout_ms=int(env.get("FAIRFINDER_SQLITE_BUSY_TIMEOUT_MS", "10000")),
        sqlite_synchronous=_synchronous(env.get("FAIRFINDER_SQLITE_SYNCHRONOUS")),
        dump_licence=env.get("FAIRFINDER_DUMP_LICENCE", "").strip() or "ODbL-1.0",
        community_name=env.get("FAIRFINDER_COMMUNITY_NAME", "").strip() or "Fairfinder",
    )
    settings = msgspec.structs.replace(
        settings,
        scheduler_enabled=not (env.get("FAIRFINDER_SCHEDULER", "on").strip().lower() in {"0", "false", "no", "off"}),
        sources=load_sources(Path(env["FAIRFINDER_SOURCES_FILE"]) if env.get("FAIRFINDER_SOURCES_FILE")
                             else data_dir / SOURCES_FILE_NAME, required=bool(env.get("FAIRFINDER_SOURCES_FILE"))),
        import_interval_seconds=float(env.get("FAIRFINDER_IMPORT_INTERVAL", "3600")),
        full_import_interval_seconds=float(env.get("FAIRFINDER_FULL_IMPORT_INTERVAL", str(7 * 24 * 3600))),
        refresh_interval_seconds=float(env.get("FAIRFINDER_REFRESH_INTERVAL", str(6 * 3600))),
        timings_retention_days=int(env.get("FAIRFINDER_TIMINGS_RETENTION_DAYS", "365")),
        fetch_min_interval_seconds=float(env.get("FAIRFINDER_FETCH_INTERVAL", "1.0")),
        fetch_attempts=int(env.get("FAIRFINDER_FETCH_ATTEMPTS", "4")),
        fetch_backoff_seconds=float(env.get("FAIRFINDER_FETCH_BACKOFF", "1.0")),
    )
    settings = msgspec.structs.replace(settings, **_web_settings(env))
    settings = msgspec.structs.replace(settings, **_backup_settings(env))
    settings = msgspec.structs.replace(settings, **_cluster_settings(env, settings.is_sqlite))
    settings = msgspec.structs.replace(settings, **_settle_settings(env, settings.scheduler_enabled))
    settings = msgspec.structs.replace(settings, public_url=_public_url(env.get("FAIRFINDER_PUBLIC_URL")))
    settings = msgspec.structs.replace(settings, **_load_settings(env))
    secret = env.get("FAIRFINDER_SECRET") or _stored_secret(settings)
    return msgspec.structs.replace(settings, secret=secret)


class SettingsError(ValueError):
    """A setting that cannot be used; the message says which and why."""


_PERIODS = {"s": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0,
            "d": 86400.0, "day": 86400.0}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*\.?\d*)\s*([a-z]+?)s?\s*$")


def parse_rate(name: str, value: str) -> tuple[int, float]:
    """"300/minute", "20/hour", "5/10s" -> (requests, seconds)."""
    match = _RATE.match(value.lower())
    if not match or match.group(3) not in _PERIODS or int(match.group(1)) < 1:
        raise SettingsError(f"{name}: {value!r} is not a rate like 300/minute, 20/hour or 5/10s")
    seconds = float(match.group(2) or 1) * _PERIODS[match.group(3)]
    if seconds <= 0:
        raise SettingsError(f"{name}: {value!r} has an empty period")
    return int(match.group(1)), seconds


def _synchronous(value: str | None) -> str:
    mode = (value or "normal").strip().lower()
    if mode not in ("normal", "full"):
        raise SettingsError(f"FAIRFINDER_SQLITE_SYNCHRONOUS: {mode!r} is neither normal nor full")
    return mode


def _listed(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _web_settings(env: dict[str, str]) -> dict[str, object]:
    """The security and observability settings (docs/security.md, docs/monitoring.md)."""
    log_format = (env.get("FAIRFINDER_LOG_FORMAT") or ("text" if sys.stderr.isatty() else "json")).strip().lower()
    if log_format not in ("json", "text"):
        raise SettingsError(f"FAIRFINDER_LOG_FORMAT: {log_format!r} is neither json nor text")
    origins = tuple(origin.rstrip("/").lower() for origin in _listed(env.get("FAIRFINDER_CORS_ORIGINS")))
    for origin in origins:
        if origin == "*" or not re.match(r"^https?://[^/?#*]+$", origin):
            raise SettingsError(f"FAIRFINDER_CORS_ORIGINS: {origin!r} is not an origin like https://example.org")
    return {
        "rate_limits_enabled": (env.get("FAIRFINDER_RATE_LIMITS", "on").strip().lower()
                                not in {"0", "false", "no", "off"}),
        "rate_limit_ip": parse_rate("FAIRFINDER_RATE_LIMIT_IP", env.get("FAIRFINDER_RATE_LIMIT_IP", "300/minute")),
        "rate_limit_writes": parse_rate("FAIRFINDER_RATE_LIMIT_WRITES",
                                        env.get("FAIRFINDER_RATE_LIMIT_WRITES", "60/minute")),
        "rate_limit_register": parse_rate("FAIRFINDER_RATE_LIMIT_REGISTER",
                                          env.get("FAIRFINDER_RATE_LIMIT_REGISTER", "20/hour")),
        "cors_origins": origins,
        "extension_ids": tuple(extension_id.lower() for extension_id in _listed(env.get("FAIRFINDER_EXTENSION_IDS"))),
        "forwarded_allow_ips": (env.get("FAIRFINDER_FORWARDED_ALLOW_IPS") or "").strip(),
        "max_url_bytes": int(env.get("FAIRFINDER_MAX_URL_BYTES", str(16 * 1024))),
        "max_header_bytes": int(env.get("FAIRFINDER_MAX_HEADER_BYTES", str(16 * 1024))),
        "log_format": log_format,
        "metrics_token": (env.get("FAIRFINDER_METRICS_TOKEN") or "").strip(),
    }


def _backup_settings(env: dict[str, str]) -> dict[str, object]:
    """FAIRFINDER_BACKUP_INTERVAL (hours, 0 = off), FAIRFINDER_BACKUP_DIR, FAIRFINDER_BACKUP_KEEP (docs/backups.md)."""
    try:
        interval = float(env.get("FAIRFINDER_BACKUP_INTERVAL", "24"))
        keep = int(env.get("FAIRFINDER_BACKUP_KEEP", "7"))
    except ValueError as error:
        raise SettingsError(f"FAIRFINDER_BACKUP_INTERVAL / FAIRFINDER_BACKUP_KEEP: {error}") from None
    if not interval >= 0 or interval == float("inf"):
        raise SettingsError(f"FAIRFINDER_BACKUP_INTERVAL: {interval} is not a number of hours (0 turns backups off)")
    if keep < 1:
        raise SettingsError(f"FAIRFINDER_BACKUP_KEEP: {keep}: keep at least one backup")
    folder = (env.get("FAIRFINDER_BACKUP_DIR") or "").strip()
    return {"backup_interval_hours": interval, "backup_dir": Path(folder).resolve() if folder else None,
            "backup_keep": keep}


def _cluster_settings(env: dict[str, str], is_sqlite: bool) -> dict[str, object]:
    """FAIRFINDER_RATE_LIMIT_STORE (memory | database; default database on PostgreSQL) and
    FAIRFINDER_SCHEDULER_RETRY (seconds) — docs/deploying.md."""
    store = (env.get("FAIRFINDER_RATE_LIMIT_STORE") or ("memory" if is_sqlite else "database")).strip().lower()
    if store not in ("memory", "database"):
        raise SettingsError(f"FAIRFINDER_RATE_LIMIT_STORE: {store!r} is neither memory nor database")
    if store == "database" and is_sqlite:
        # Every request would take SQLite's single write lock; with SQLite the limits are per process.
        raise SettingsError("FAIRFINDER_RATE_LIMIT_STORE=database needs PostgreSQL (DATABASE_URL=postgresql+asyncpg://…)")
    try:
        retry = float(env.get("FAIRFINDER_SCHEDULER_RETRY", "5"))
    except ValueError:
        retry = -1.0
    if not 0 < retry <= 3600:
        raise SettingsError(f"FAIRFINDER_SCHEDULER_RETRY: {env.get('FAIRFINDER_SCHEDULER_RETRY')!r} is not a number of "
                            "seconds between 0 and 3600")
    return {"rate_limit_store": store, "scheduler_retry_seconds": retry}


def _settle_settings(env: dict[str, str], scheduler_enabled: bool) -> dict[str, object]:
    """FAIRFINDER_SYNC_REFRESH_ROWS (default 1000; 0: every write recomputes at once) and FAIRFINDER_SETTLE_SECONDS
    (default 10). Marked requesters are settled by the scheduler: without it every write recomputes at once."""
    try:
        rows = int(env.get("FAIRFINDER_SYNC_REFRESH_ROWS") or ("1000" if scheduler_enabled else "0"))
    except ValueError:
        rows = -1
    if rows < 0:
        raise SettingsError(f"FAIRFINDER_SYNC_REFRESH_ROWS: {env.get('FAIRFINDER_SYNC_REFRESH_ROWS')!r} is not a "
                            "number of rows (0: every write recomputes its requester at once)")
    if rows and not scheduler_enabled:
        raise SettingsError("FAIRFINDER_SYNC_REFRESH_ROWS needs the scheduler, which settles big requesters: "
                            "set FAIRFINDER_SCHEDULER=on, or FAIRFINDER_SYNC_REFRESH_ROWS=0")
    try:
        seconds = float(env.get("FAIRFINDER_SETTLE_SECONDS", "10"))
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 3600:
        raise SettingsError(f"FAIRFINDER_SETTLE_SECONDS: {env.get('FAIRFINDER_SETTLE_SECONDS')!r} is not a number of "
                            "seconds between 0 and 3600")
    return {"sync_refresh_rows": rows, "settle_seconds": seconds}


def _public_url(value: str | None) -> str:
    """FAIRFINDER_PUBLIC_URL: an http(s) URL without query or fragment, kept without its trailing slash."""
    url = (value or "").strip().rstrip("/")
    if url and not re.match(r"^https?://[^/?#\s]+(/[^?#\s]*)?$", url):
        raise SettingsError(f"FAIRFINDER_PUBLIC_URL: {url!r} is not an address like https://fair.example.org")
    return url


def _load_settings(env: dict[str, str]) -> dict[str, object]:
    """Pools, shedding, the record queue and /ready (engineer P's block, issue 16; docs/deploying.md)."""
    def number(name: str, default: str, kind: type, low: float, high: float, what: str) -> object:
        raw = env.get(name, default).strip() or default
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise SettingsError(f"{name}: {raw!r} is not {what} between {low:g} and {high:g}")
        return value

    return {
        "db_pool_size": number("FAIRFINDER_DB_POOL_SIZE", "8", int, 1, 1000, "a number of connections"),
        "db_pool_overflow": number("FAIRFINDER_DB_POOL_OVERFLOW", "8", int, 0, 1000, "a number of connections"),
        "db_pool_timeout_seconds": number("FAIRFINDER_DB_POOL_TIMEOUT", "10", float, 0.1, 300, "a number of seconds"),
        "max_requests_in_progress": number("FAIRFINDER_MAX_REQUESTS", "64", int, 0, 100_000,
                                           "a number of requests (0: no shedding)"),
        "shed_retry_after_seconds": number("FAIRFINDER_SHED_RETRY_AFTER", "2", int, 1, 3600, "a number of seconds"),
        "record_queue_tasks": number("FAIRFINDER_RECORD_QUEUE", "20000", int, 1, 10_000_000, "a number of tasks"),
        "ready_timeout_seconds": number("FAIRFINDER_READY_TIMEOUT", "0.8", float, 0.05, 30, "a number of seconds"),
    }


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


def _stored_secret(settings: Settings) -> str:
    """The secret kept beside the database, generated once (readable by the owner only)."""
    db_path = settings.sqlite_path()
    folder = db_path.parent if db_path else settings.data_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SECRET_FILE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    log.info("generated a new server secret in %s", path)
    return path.read_text().strip()
