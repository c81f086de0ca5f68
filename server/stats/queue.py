"""Group commit: the writes that arrive together share one write transaction, and each is answered after it.

Writers take turns (SQLite has one writer; PostgreSQL writers queue on an advisory lock, server/db/engine.py), so
a service that wrote one review per transaction was as fast as one transaction, with its BEGIN, its reads of
the requester's figures and its COMMIT, could be repeated. Here a write is handed to the queue with the batch
writer of its kind (server/reviews/service.py, server/timings/service.py) and awaited:

* while a group is being written, new writes wait; when it is committed, everything waiting forms the next group
  (up to MAX_GROUP): no timer, so a write that arrives alone is written at once;
* a group is one transaction: each batch writer writes its items together, and the aggregates of every requester
  the group touched are brought up to date once, for all its writes (server/stats/settle.py
  `requesters_changed`), before the commit;
* each caller is answered after the commit that holds its write: nothing acknowledged is lost (a crash before
  the commit loses only writes nobody was told about);
* a write that fails for its own reasons (a second review of the same task: 409) fails alone, the batch writer
  answers it with its error and writes the others. Should the group fail as a whole (an error no batch writer
  foresaw, a failed commit), it is rolled back and every write in it is tried again on its own, so that one bad
  write fails only its own request.

Sessions without a queue (the CLI, tests that call a service directly) write the same way in their own session,
as a group of one.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.engine import write_transaction
from server.stats.settle import DEFERRED_CHANGES, requesters_changed

log = logging.getLogger("fairfinder.writes")

I = TypeVar("I")  # noqa: E741 - an item to write
O = TypeVar("O")  # noqa: E741 - what its caller gets back

MAX_GROUP = 256  # writes per transaction: a group stays short, however many wait
# session.info key: the queue of a sessionmaker's sessions (server/app.py)
WRITE_QUEUE = "fairfinder_write_queue"

# A batch writer writes a list of items in the session's write transaction and gives back, in order, each item's
# result or the exception that item's caller gets. It raises only for a failure of the whole batch.
BatchWriter = Callable[[AsyncSession, Sequence[I]], Awaitable[list[O | Exception]]]


@dataclass
class _Write(Generic[I, O]):
    writer: BatchWriter[I, O]
    item: I
    future: asyncio.Future[O]


@dataclass
class WriteQueue:
    sessionmaker: async_sessionmaker[AsyncSession]
    max_group: int = MAX_GROUP
    pending: list[_Write[Any, Any]] = field(default_factory=list)
    draining: asyncio.Task[None] | None = None
    groups: int = 0  # committed groups, and the writes in them (observability, tests)
    writes: int = 0

    async def write(self, writer: BatchWriter[I, O], item: I) -> O:
        """Write `item` with `writer` in the next group; its result once that group is committed."""
        future: asyncio.Future[O] = asyncio.get_running_loop().create_future()
        self.pending.append(_Write(writer, item, future))
        if self.draining is None or self.draining.done():
            self.draining = asyncio.get_running_loop().create_task(self._drain())
        return await future

    @property
    def waiting(self) -> int:
        return len(self.pending)

    async def _drain(self) -> None:
        while self.pending:
            group, self.pending = self.pending[:self.max_group], self.pending[self.max_group:]
            await self._write_group(group)

    async def _write_group(self, group: list[_Write[Any, Any]]) -> None:
        try:
            async with self.sessionmaker() as session:
                results = await write_group(session, [(w.writer, w.item) for w in group])
        except Exception as error:  # noqa: BLE001 - answered below: alone, or each write on its own
            if len(group) == 1:
                _answer(group[0].future, error)
                return
            log.warning("a group of %d writes failed as a whole (%s); writing each on its own", len(group),
                        type(error).__name__)
            for write in group:
                await self._write_group([write])
            return
        self.groups += 1
        self.writes += len(group)
        for write, result in zip(group, results):
            _answer(write.future, result)

    async def flush(self) -> None:
        """Wait until everything queued so far is written (tests)."""
        while self.draining is not None and not self.draining.done():
            await asyncio.shield(self.draining)


def _answer(future: asyncio.Future[Any], result: Any) -> None:
    if future.done():  # its caller went away (a client that disconnected): the write stands, unanswered
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


async def write_group(session: AsyncSession, writes: Sequence[tuple[BatchWriter[Any, Any], Any]]) -> list[Any]:
    """Write a group in one write transaction of `session`: each batch writer's items together, in order of
    arrival, then the aggregates of every requester they touched; committed when this returns."""
    results: list[Any] = [None] * len(writes)
    async with write_transaction(session):
        deferred: dict[int, set[int] | None] = {}
        session.info[DEFERRED_CHANGES] = deferred
        try:
            by_writer: dict[Any, list[int]] = {}
            for index, (writer, _) in enumerate(writes):
                by_writer.setdefault(writer, []).append(index)
            for writer, indexes in by_writer.items():
                for index, result in zip(indexes, await writer(session, [writes[i][1] for i in indexes]), strict=True):
                    results[index] = result
        finally:
            session.info.pop(DEFERRED_CHANGES, None)
        if deferred:
            await requesters_changed(session, deferred)
    return results


def configure_queue(sessionmaker: async_sessionmaker[AsyncSession], queue: WriteQueue) -> None:
    """Services writing through sessions of this sessionmaker hand their writes to `queue`."""
    sessionmaker.configure(info={**sessionmaker.kw.get("info", {}), WRITE_QUEUE: queue})


async def write(session: AsyncSession, writer: BatchWriter[I, O], item: I) -> O:
    """Write one item: through the session's queue (a group with the writes that arrive together), or, for a
    session without one, in a write transaction of its own."""
    queue = session.info.get(WRITE_QUEUE)
    if isinstance(queue, WriteQueue):
        # End the caller's read transaction first (committed: it wrote nothing): its connection goes back to the
        # pool rather than wait beside the group's (a request never holds one connection while it waits for
        # another), and what it reads afterwards includes the group's write.
        if session.in_transaction():
            await session.commit()
        return await queue.write(writer, item)
    (result,) = await write_group(session, [(writer, item)])
    if isinstance(result, Exception):
        raise result
    return result
