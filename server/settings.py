"""Settings from environment variables, with safe defaults for a single-machine install."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import msgspec

log = logging.getLogger(__name__)

SECRET_FILE_NAME = "secret"


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
    )
    secret = env.get("FAIRFINDER_SECRET") or _stored_secret(settings)
    return msgspec.structs.replace(settings, secret=secret)


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
