"""Cross-process cache invalidation on PostgreSQL: LISTEN/NOTIFY on one channel.

Publishing: a write transaction lists the requesters it changed in session.info (server/db/engine.py
CHANGED_REQUESTERS). Just before it commits, `pg_notify` runs inside it, so the notice goes out exactly when
the change does, in commit order, and never for a rollback. Only sessions whose sessionmaker was given
`publish_changes` do this (the server's; CLI commands rely on the TTL).

Listening: each process keeps one connection LISTENing and drops the named requesters from its annotate
cache (AnnotateCache.changed) as notices arrive, typically milliseconds after the commit. If that
connection drops, notices sent meanwhile are lost: the listener clears the whole cache when it reconnects,
and until then the cache's TTL (FAIRFINDER_CACHE_TTL) bounds how stale an answer can be.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from server.cluster.pg import connect
from server.db.engine import CHANGED_REQUESTERS
from server.tasks.cache import AnnotateCache

log = logging.getLogger("fairfinder.cluster")

CHANNEL = "fairfinder_changed"
PUBLISH = "fairfinder_publish_changes"  # session.info key: this process's origin tag when its commits notify
MAX_PAYLOAD = 7900  # PostgreSQL refuses notices of 8000 bytes or more
ORIGIN = os.urandom(6).hex()  # per process: its own notices need no second invalidation
PING_TIMEOUT = 5.0


def payloads(origin: str, ids: Iterable[int]) -> Iterator[str]:
    """'origin:1,2,3' notices, each under PostgreSQL's size limit."""
    prefix, part = f"{origin}:", list[str]()
    size = len(prefix)
    for pk in sorted(ids):
        text = str(pk)
        if part and size + len(text) + 1 > MAX_PAYLOAD:
            yield prefix + ",".join(part)
            part, size = [], len(prefix)
        part.append(text)
        size += len(text) + 1
    if part:
        yield prefix + ",".join(part)


def parse(payload: str) -> tuple[str, set[int]]:
    """(origin, requester ids) of a notice; ids that are not numbers are ignored."""
    origin, _, ids = payload.partition(":")
    return origin, {int(part) for part in ids.split(",") if part.isdigit()}


@event.listens_for(Session, "before_commit")
def _notify_before_commit(session: Session) -> None:
    origin = session.info.get(PUBLISH)
    changed = session.info.get(CHANGED_REQUESTERS) if origin else None
    if not origin or not changed:
        return
    for payload in payloads(origin, changed):  # runs inside the transaction: sent at its commit
        session.execute(select(func.pg_notify(CHANNEL, payload)))


def publish_changes(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Make the commits of this sessionmaker's sessions notify the other processes."""
    sessionmaker.configure(info={**(sessionmaker.kw.get("info") or {}), PUBLISH: ORIGIN})


class ChangeListener:
    """LISTENs for other processes' changes and applies them to this process's annotate cache."""

    def __init__(self, database_url: str, cache: AnnotateCache, retry: float) -> None:
        self.database_url, self.cache, self.retry = database_url, cache, retry
        self.connected = asyncio.Event()
        self.received = 0
        self._task: asyncio.Task[None] | None = None
        self._connection: Any = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="fairfinder-change-listener")
        with contextlib.suppress(asyncio.TimeoutError):  # a lone process starts without waiting long
            await asyncio.wait_for(self.connected.wait(), PING_TIMEOUT)

    def _on_notice(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        origin, ids = parse(payload)
        if origin != ORIGIN and ids:
            self.received += 1
            self.cache.changed(ids)

    async def _run(self) -> None:
        missed = False  # notices may have gone by unseen: the cache is cleared once listening again
        while True:
            try:
                self._connection = await connect(self.database_url, "fairfinder-listen")
                await self._connection.add_listener(CHANNEL, self._on_notice)
                if missed:
                    self.cache.clear()
                    log.info("cache invalidation: listening again")
                missed = False
                self.connected.set()
                while await self._connection.fetchval("SELECT 1", timeout=PING_TIMEOUT) == 1:
                    await asyncio.sleep(self.retry)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - keep trying; the TTL bounds staleness meanwhile
                if self.connected.is_set():
                    log.warning("cache invalidation: lost the listening connection (%s); entries expire after "
                                "the cache TTL until it is back", type(error).__name__)
                else:
                    log.warning("cache invalidation: cannot listen (%s)", type(error).__name__)
                self.connected.clear()
                missed = True
            finally:
                await self._close()
            await asyncio.sleep(self.retry)

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            try:
                await asyncio.wait_for(connection.close(), PING_TIMEOUT)
            except BaseException:  # noqa: BLE001 - cancelled or dead: just drop it
                connection.terminate()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
