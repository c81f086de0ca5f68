"""The write queue (server/stats/queue.py): writes that arrive together share one transaction, each caller is
answered only after the commit that holds its write, and one bad write fails alone.

"Answered after the commit" is checked from outside: the moment a caller gets its answer, another connection
(the test's own engine, as a second process would) must already see the row. An answer given before the commit
would find it missing. A kill between the answer and the commit is tested with a real server in
tests/durability/test_crash.py."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import create_engine, session_factory
from server.db.models import Requester
from server.stats.queue import WriteQueue, configure_queue, write
from tests.database import Sql

PLATFORM = "mturk"


async def add_requesters(session: AsyncSession, items: Sequence[str]) -> list[int | Exception]:
    """A batch writer: one requester per item, inserted together (a repeated external id fails the batch)."""
    rows = [Requester(platform=PLATFORM, external_id=item, name=item) for item in items]
    session.add_all(rows)
    await session.flush()
    return [row.id for row in rows]


def _stored(url: str) -> set[str]:
    return {external_id for (external_id,) in Sql(url).rows("SELECT external_id FROM requesters")}


def test_writes_that_arrive_together_share_a_group_and_are_answered_after_its_commit(database_url: str) -> None:
    seen_at_answer: dict[str, bool] = {}

    async def run() -> WriteQueue:
        engine = create_engine(database_url)
        try:
            queue = WriteQueue(session_factory(engine))

            async def one(name: str) -> None:
                await queue.write(add_requesters, name)
                seen_at_answer[name] = name in _stored(database_url)  # another connection, at the answer

            await asyncio.gather(*(one(f"A{i}") for i in range(40)))
            return queue
        finally:
            await engine.dispose()

    queue = asyncio.run(run())
    assert seen_at_answer == {f"A{i}": True for i in range(40)}
    assert queue.writes == 40
    assert queue.groups < 40  # grouped: fewer transactions than writes


def test_a_bad_write_fails_alone_and_the_others_of_its_group_are_written(database_url: str) -> None:
    async def run() -> list[int | BaseException]:
        engine = create_engine(database_url)
        try:
            queue = WriteQueue(session_factory(engine))
            return await asyncio.gather(*(queue.write(add_requesters, name) for name in ["B1", "B2", "B1", "B3"]),
                                        return_exceptions=True)
        finally:
            await engine.dispose()

    results = asyncio.run(run())
    failed = [i for i, result in enumerate(results) if isinstance(result, BaseException)]
    assert failed == [2] and isinstance(results[2], IntegrityError)  # the second B1, and only it
    assert _stored(database_url) == {"B1", "B2", "B3"}


def test_a_session_of_a_queued_sessionmaker_writes_through_the_queue_and_one_without_writes_alone(
        database_url: str) -> None:
    async def run() -> tuple[int, int, list[str]]:
        engine = create_engine(database_url)
        try:
            queued = session_factory(engine)
            queue = WriteQueue(queued)
            configure_queue(queued, queue)
            async with queued() as session:
                await session.execute(select(Requester.id))  # a read transaction open: ended before the wait
                first = await write(session, add_requesters, "C1")
                names = list(await session.scalars(select(Requester.external_id)))  # sees the group's write
            async with session_factory(engine)() as alone:
                second = await write(alone, add_requesters, "C2")
            assert queue.writes == 1  # C2 did not go through it
            return first, second, names
        finally:
            await engine.dispose()

    first, second, names = asyncio.run(run())
    assert first != second and names == ["C1"]
    assert _stored(database_url) == {"C1", "C2"}


@pytest.mark.parametrize("size", [1, 3])
def test_max_group_bounds_a_transaction(database_url: str, size: int) -> None:
    async def run() -> WriteQueue:
        engine = create_engine(database_url)
        try:
            queue = WriteQueue(session_factory(engine), max_group=size)
            await asyncio.gather(*(queue.write(add_requesters, f"D{i}") for i in range(7)))
            return queue
        finally:
            await engine.dispose()

    queue = asyncio.run(run())
    assert queue.writes == 7 and queue.groups >= -(-7 // size)
