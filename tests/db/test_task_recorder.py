"""Group commit of unseen tasks: concurrent annotate calls share write transactions, each gets its own rows."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event, select

from scrapers.model import Task
from server.db.engine import create_engine, session_factory
from server.db.migrate import upgrade
from server.db.models import Requester, TaskType
from server.tasks.recorder import TaskRecorder


def page(n: int) -> list[Task]:
    return [Task(platform="mturk", requester_id=f"AREQ{n}", title=f"Task {n}.{i}", reward_cents=10 + i) for i in range(5)]


async def _run(tmp_path: Path, body) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        await body(engine, TaskRecorder(session_factory(engine)))
    finally:
        await engine.dispose()


def test_concurrent_calls_share_transactions_and_get_their_own_rows(tmp_path: Path) -> None:
    async def body(engine, recorder) -> None:  # type: ignore[no-untyped-def]
        begins: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute",
                     lambda _c, _cur, statement, *_: begins.append(statement) if statement == "BEGIN IMMEDIATE" else None)
        pages = [page(n) for n in range(12)]
        results = await asyncio.gather(*[recorder.record(p) for p in pages])
        assert len(begins) < len(pages)  # grouped, not one write transaction per page
        async with session_factory(engine)() as session:
            for tasks, refs in zip(pages, results, strict=True):
                assert len(refs) == len(tasks)
                for task, ref in zip(tasks, refs, strict=True):
                    task_type = await session.get(TaskType, ref.task_type_id)
                    requester = await session.get(Requester, ref.requester_pk)
                    assert (requester.external_id, task_type.title, task_type.reward_cents) == (
                        task.requester_id, task.title, task.reward_cents)
            assert len(list(await session.scalars(select(TaskType)))) == 60
        # Recording known tasks again finds the same rows and writes nothing.
        begins.clear()
        again = await recorder.record(pages[0])
        assert [r.task_type_id for r in again] == [r.task_type_id for r in results[0]] and begins == []

    asyncio.run(_run(tmp_path, body))


def test_a_failed_batch_fails_every_waiting_call_and_the_next_one_works(tmp_path: Path) -> None:
    async def body(engine, recorder) -> None:  # type: ignore[no-untyped-def]
        real = recorder._record
        calls = 0

        async def failing(tasks):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("disk full")
            return await real(tasks)

        recorder._record = failing
        outcomes = await asyncio.gather(*[recorder.record(page(n)) for n in range(3)], return_exceptions=True)
        assert any(isinstance(o, RuntimeError) for o in outcomes)  # the first batch failed for all of its calls
        assert all(isinstance(o, (RuntimeError, list)) for o in outcomes)
        assert len(await recorder.record(page(9))) == 5

    asyncio.run(_run(tmp_path, body))


@pytest.mark.parametrize("pages", [1, 3])
def test_no_call_is_left_waiting(tmp_path: Path, pages: int) -> None:
    async def body(engine, recorder) -> None:  # type: ignore[no-untyped-def]
        results = await asyncio.wait_for(asyncio.gather(*[recorder.record(page(n)) for n in range(pages)]), timeout=30)
        assert [len(r) for r in results] == [5] * pages
        assert not recorder.pending and not recorder.waiters

    asyncio.run(_run(tmp_path, body))


def test_a_batch_from_more_requesters_than_one_query_takes_finds_exactly_its_own_rows(tmp_path: Path) -> None:
    """Task types are looked up per requester and title in chunks (SQLite caps an OR chain's depth at 1,000);
    another reward of the same title is another task type."""
    async def body(engine, recorder) -> None:  # type: ignore[no-untyped-def]
        tasks = [Task(platform="mturk", requester_id=f"AREQ{n}", title="Same survey", reward_cents=10 + n % 3)
                 for n in range(1_100)]
        first = await recorder.record(tasks)
        other_rewards = [Task(platform="mturk", requester_id=t.requester_id, title=t.title, reward_cents=t.reward_cents + 5)
                         for t in tasks[:50]]
        await recorder.record(other_rewards)
        again = await recorder.record(tasks)  # all known now: read only
        assert [r.task_type_id for r in again] == [r.task_type_id for r in first]
        assert len({r.task_type_id for r in first}) == 1_100
        async with session_factory(engine)() as session:
            rows = {t.id: t for t in (await session.scalars(select(TaskType))).all()}
        assert len(rows) == 1_150
        for task, ref in zip(tasks, again, strict=True):
            assert rows[ref.task_type_id].reward_cents == task.reward_cents

    asyncio.run(_run(tmp_path, body))


def test_submit_never_waits_and_the_queue_is_bounded(tmp_path: Path) -> None:
    async def body(engine, _recorder) -> None:  # type: ignore[no-untyped-def]
        seen: list[int] = []
        recorder = TaskRecorder(session_factory(engine), max_pending=8,
                                on_recorded=lambda tasks, refs: seen.extend(r.task_type_id for r in refs))
        assert recorder.submit(page(1)) == 5  # returns at once: nothing is written before the caller goes on
        assert len(recorder.pending) == 5 and not recorder.full
        assert recorder.submit(page(1)) == 5 and len(recorder.pending) == 5  # queued once
        assert recorder.submit(page(2)) == 3 and recorder.full and recorder.dropped == 2  # the bound holds
        await recorder.flush()
        assert not recorder.pending and not recorder.full and len(seen) == 8
        async with session_factory(engine)() as session:
            assert len(list(await session.scalars(select(TaskType)))) == 8
        # The two that found the queue full are not lost: they are queued again at their next view.
        assert recorder.submit(page(2)) == 5
        await recorder.flush()
        async with session_factory(engine)() as session:
            assert len(list(await session.scalars(select(TaskType)))) == 10

    asyncio.run(_run(tmp_path, body))


def test_a_failed_batch_is_recorded_at_the_next_view(tmp_path: Path) -> None:
    async def body(engine, recorder) -> None:  # type: ignore[no-untyped-def]
        real = recorder._record
        calls = 0

        async def failing(tasks):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("database went away")
            return await real(tasks)

        recorder._record = failing
        recorder.submit(page(3))
        await recorder.flush()
        assert recorder.failed == 5 and not recorder.pending
        recorder.submit(page(3))  # seen again
        await recorder.flush()
        async with session_factory(engine)() as session:
            assert len(list(await session.scalars(select(TaskType)))) == 5

    asyncio.run(_run(tmp_path, body))


def test_a_graceful_stop_records_what_was_queued(tmp_path: Path) -> None:
    async def body(engine, recorder) -> None:  # type: ignore[no-untyped-def]
        for n in range(4):
            recorder.submit(page(n))
        await recorder.close()
        assert not recorder.pending and recorder.submit(page(9)) == 0  # closed: takes nothing more
        async with session_factory(engine)() as session:
            assert len(list(await session.scalars(select(TaskType)))) == 20

    asyncio.run(_run(tmp_path, body))
