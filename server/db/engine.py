"""Engine and sessions. SQLite gets WAL, foreign keys and write transactions that take the lock up front."""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
import asyncio
import json
import weakref
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# WAL lets readers run beside the single writer. synchronous=NORMAL in WAL mode keeps every committed
# transaction across a crash of the process (kill -9); only an OS crash or power loss can drop the last
# few commits (FULL would keep those too, at an fsync per commit). busy_timeout makes a second writer
# wait instead of failing. What survives what, and backups: docs/backups.md (tests/durability).
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
)
SYNCHRONOUS_MODES = ("normal", "full")  # FAIRFINDER_SQLITE_SYNCHRONOUS
DEFAULT_BUSY_TIMEOUT_MS = 10_000

WRITE_OPTION = "fairfinder_write"
# session.info keys: a callable run with session.info after every commit of a write transaction (the
# app installs its cache invalidation there), and the requester ids the transaction changed, which the
# hook reads; a rollback forgets them.
ON_COMMIT = "fairfinder_on_commit"
CHANGED_REQUESTERS = "fairfinder_changed_requesters"


# Pool defaults (FAIRFINDER_DB_POOL_SIZE, _OVERFLOW, _TIMEOUT; docs/deploying.md "Pools and load"). No request
# holds more than one pooled connection at a time (annotate's unseen tasks are written by the background
# recorder on a connection of its own, never awaited by a request), so a full pool makes requests wait
# their turn, never wait on each other in a circle; the load-shedding layer (server/loadshed.py) keeps the
# number waiting bounded.
DEFAULT_POOL_SIZE = 8
DEFAULT_POOL_OVERFLOW = 8
DEFAULT_POOL_TIMEOUT_SECONDS = 10.0


def create_engine(database_url: str, *, echo: bool = False, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
                  synchronous: str = "normal", pool_size: int = DEFAULT_POOL_SIZE,
                  max_overflow: int = DEFAULT_POOL_OVERFLOW,
                  pool_timeout: float = DEFAULT_POOL_TIMEOUT_SECONDS) -> AsyncEngine:
    # hide_parameters: database errors end up in logs, and their parameters can hold worker data.
    pool = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
    if database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, echo=echo, hide_parameters=True, json_deserializer=read_json, **pool)
        _configure_sqlite(engine, busy_timeout_ms, synchronous)
        return engine
    return create_async_engine(database_url, echo=echo, pool_pre_ping=True, hide_parameters=True,
                               json_deserializer=read_json, **pool)


_read_json = msgspec.json.Decoder()


def read_json(text: str | bytes) -> Any:
    """JSON columns (stored aggregates) read back: msgspec, several times json.loads' speed, which was a large part
    of loading a page's facts on PostgreSQL (docs/benchmarks.md, issue 16). json.dumps, which writes them, also
    writes NaN and Infinity, which msgspec refuses: such a value is read by json.loads as before."""
    try:
        return _read_json.decode(text)
    except msgspec.DecodeError:
        return json.loads(text)


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int, synchronous: str = "normal") -> None:
    if synchronous not in SYNCHRONOUS_MODES:
        raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}, not {synchronous!r}")
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Take over transaction control from the driver so that we can say BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        # A write transaction takes the write lock at BEGIN: a deferred one that upgrades later can
        # fail at once with "database is locked" when another writer got there first.
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def session_factory(engine: AsyncEngine, on_commit: Callable[[dict[str, Any]], None] | None = None
                    ) -> async_sessionmaker[AsyncSession]:
    info = {ON_COMMIT: on_commit} if on_commit else {}
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False, info=info)


@asynccontextmanager
async def write_transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Run the block as one write transaction, committed before the caller acknowledges anything.

    A read transaction already open is ended first (committed: nothing was written, and unlike a
    rollback a commit leaves loaded objects usable because the session does not expire on commit).
    """
    if session.in_transaction():
        await session.commit()
    async with _writer_turn(session):
        connection = await session.connection(execution_options={WRITE_OPTION: True})
        try:
            if connection.dialect.name == "postgresql":
                await connection.execute(_TAKE_WRITE_LOCK)
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            session.info.pop(CHANGED_REQUESTERS, None)
            raise
    on_commit = session.info.get(ON_COMMIT)
    if on_commit is not None:
        on_commit(session.info)


# PostgreSQL lets writers run side by side, but every write refreshes aggregates it read a moment before (a
# requester's figures, the platform sums every write moves): two at once would each miss the other's rows, or
# deadlock on the sums. So writers take turns there too, cluster-wide, with a transaction-scoped advisory lock
# (released at commit or rollback, also when the process dies); readers never wait for it.
WRITE_LOCK_KEY = 0x46616972  # "Fair": any constant no other application on the database uses
_TAKE_WRITE_LOCK = text(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


# One writer at a time (SQLite's rule, and ours on PostgreSQL). Writers of this process queue here, in order,
# instead of polling SQLite's file lock from their threads (which under load starves the writer that holds it)
# or each holding a pooled PostgreSQL connection while they wait for the advisory lock. Writers in other
# processes still meet the busy timeout (SQLite) or the advisory lock. One lock per engine and event loop.
_writer_locks: weakref.WeakKeyDictionary[Any, dict[int, asyncio.Lock]] = weakref.WeakKeyDictionary()


def _writer_turn(session: AsyncSession) -> asyncio.Lock:
    engine = session.get_bind()
    per_loop = _writer_locks.setdefault(engine, {})
    return per_loop.setdefault(id(asyncio.get_running_loop()), asyncio.Lock())
