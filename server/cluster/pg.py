"""Direct asyncpg connections beside SQLAlchemy's pool, for what a pool cannot do: hold a session lock,
LISTEN, or count a request without the pool's checkout ping."""
from __future__ import annotations

import os
import socket
from typing import Any

from sqlalchemy.engine import make_url

# The server notices a vanished client (host down, cable cut) within about idle + interval x count seconds
# and then frees its locks; a killed process closes its sockets, which frees them at once.
KEEPALIVE = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}
CONNECT_TIMEOUT = 5.0


def asyncpg_dsn(database_url: str) -> str:
    """postgresql+asyncpg://… (SQLAlchemy) → postgresql://… (libpq form, which asyncpg takes)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def is_postgresql(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


def process_name() -> str:
    """host:pid — names this process in job_runs.runner, the admin answer and the logs."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}"


async def connect(database_url: str, application_name: str, **settings: str) -> Any:
    import asyncpg  # noqa: PLC0415 - only PostgreSQL installs need it loaded

    return await asyncpg.connect(asyncpg_dsn(database_url), timeout=CONNECT_TIMEOUT,
                                 server_settings={"application_name": application_name[:63], **KEEPALIVE, **settings})
