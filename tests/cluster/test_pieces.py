"""The cluster parts one by one, in this process: the election, the shared counters, the change notices."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from server.cluster import changes, leader, ratelimit
from server.cluster.leader import FileLeadership, Holder, PostgresLeadership, job_key
from server.cluster.pg import connect
from server.app import PATH_POLICY
from server.cluster.ratelimit import SharedLimits, applicable, decide
from server.db.engine import CHANGED_REQUESTERS, create_engine, session_factory, write_transaction
from server.db.migrate import upgrade
from server.jobs import first_run
from server.security import Decision
from server.settings import Settings, SettingsError, load_settings
from server.tasks.cache import AnnotateCache

# --- pure pieces ---------------------------------------------------------------------------------


def test_change_notices_stay_under_the_size_limit_and_read_back() -> None:
    ids = set(range(1, 5000))
    notices = list(changes.payloads("abc", ids))
    assert len(notices) > 1 and all(len(n.encode()) < 8000 for n in notices)
    read = [changes.parse(n) for n in notices]
    assert {origin for origin, _ in read} == {"abc"}
    assert set().union(*(found for _, found in read)) == ids
    assert changes.parse("x:1,oops,,3") == ("x", {1, 3})
    assert list(changes.payloads("abc", [])) == []


def test_the_leader_label_fits_application_name_and_reads_back() -> None:
    holder = Holder(4242, "web-1.example.org", datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    assert Holder.parse(holder.label()) == holder
    long = Holder(4242, "h" * 200, holder.since)
    assert len(long.label()) <= 63 and Holder.parse(long.label()).pid == 4242  # type: ignore[union-attr]
    assert Holder.parse("") is None and Holder.parse("psql") is None and Holder.parse("fairfinder-scheduler x y z") is None


def test_job_keys_are_int4() -> None:
    keys = {job_key(name) for name in ("refresh-recent", "purge-timings", "backup", *(f"import:s{i}" for i in range(500)))}
    assert len(keys) == 503 and all(-2**31 <= key < 2**31 for key in keys)


def test_a_jobs_first_run_waits_one_interval_after_its_last_start() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
    assert first_run(now, None, 3600) == now  # never ran: as soon as the server is up
    assert first_run(now, now - timedelta(minutes=10), 3600) == now + timedelta(minutes=50)
    assert first_run(now, now - timedelta(days=2), 3600) == now  # overdue: at once


def test_the_shared_limits_count_what_the_memory_ones_count() -> None:
    token_write = applicable("PUT", "/api/v1/me/filters", "10.0.0.1", "ff_x", PATH_POLICY)
    assert [name for name, _ in token_write] == ["ip", "writes"]
    assert "ff_x" not in token_write[1][1]  # only a digest of the token
    assert [name for name, _ in applicable("POST", "/api/v1/workers", "10.0.0.1", None, PATH_POLICY)] == ["ip", "register"]
    assert [name for name, _ in applicable("POST", "/api/v1/annotate", "10.0.0.1", "ff_x", PATH_POLICY)] == ["ip"]  # a read
    ok, tight, refused = Decision(True, 10, 9, 5, 60), Decision(True, 4, 1, 5, 60), Decision(False, 4, 0, 5, 60)
    assert decide([("ip", ok), ("writes", tight)]) == ("writes", tight)
    assert decide([("ip", ok), ("writes", refused)]) == ("writes", refused)


def test_the_store_setting(tmp_path: Path) -> None:
    env = {"FAIRFINDER_DATA_DIR": str(tmp_path), "FAIRFINDER_SECRET": "x"}
    assert load_settings(env).rate_limit_store == "memory"
    postgres = {**env, "DATABASE_URL": "postgresql+asyncpg://u@db/fairfinder"}
    assert load_settings(postgres).rate_limit_store == "database"
    assert load_settings({**postgres, "FAIRFINDER_RATE_LIMIT_STORE": "memory"}).rate_limit_store == "memory"
    with pytest.raises(SettingsError, match="needs PostgreSQL"):
        load_settings({**env, "FAIRFINDER_RATE_LIMIT_STORE": "database"})
    with pytest.raises(SettingsError, match="FAIRFINDER_RATE_LIMIT_STORE"):
        load_settings({**postgres, "FAIRFINDER_RATE_LIMIT_STORE": "redis"})
    assert load_settings({**env, "FAIRFINDER_SCHEDULER_RETRY": "0.5"}).scheduler_retry_seconds == 0.5
    for bad in ("0", "-1", "soon", "nan"):
        with pytest.raises(SettingsError, match="FAIRFINDER_SCHEDULER_RETRY"):
            load_settings({**env, "FAIRFINDER_SCHEDULER_RETRY": bad})


# --- the election ---------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.calls: list[bool] = []

    async def __call__(self, leading: bool) -> None:
        self.calls.append(leading)


def test_the_file_lock_elects_one_and_passes_on(tmp_path: Path) -> None:
    async def scenario() -> None:
        path = tmp_path / "fairfinder.db.scheduler.lock"
        first, second = Recorder(), Recorder()
        one, two = FileLeadership(path, 60, first), FileLeadership(path, 60, second)
        await one.step()
        await two.step()
        assert (one.leading, two.leading) == (True, False) and (first.calls, second.calls) == ([True], [])
        assert await two.holder() == one.me  # read from the lock file
        await one.stop()
        assert first.calls == [True, False] and await two.holder() is None
        await two.step()
        assert two.leading and second.calls == [True]
        await two.stop()

    asyncio.run(scenario())


def test_a_scheduler_that_cannot_start_gives_the_lock_back(tmp_path: Path) -> None:
    async def scenario() -> None:
        path = tmp_path / "lock"

        async def broken(leading: bool) -> None:
            if leading:
                raise RuntimeError("no database")

        one, two = FileLeadership(path, 60, broken), FileLeadership(path, 60, Recorder())
        await one.step()
        assert not one.leading
        await two.step()
        assert two.leading
        await two.stop()

    asyncio.run(scenario())


# --- PostgreSQL -----------------------------------------------------------------------------------


@pytest.fixture
def migrated_postgres(postgres_url: str) -> str:
    upgrade(postgres_url)
    return postgres_url


@pytest.mark.database
def test_the_advisory_lock_elects_one_and_passes_on(postgres_url: str) -> None:
    async def scenario() -> None:
        first, second = Recorder(), Recorder()
        one, two = PostgresLeadership(postgres_url, 60, first), PostgresLeadership(postgres_url, 60, second)
        await one.step()
        await two.step()
        assert (one.leading, two.leading) == (True, False)
        assert await two.holder() == one.me  # from pg_locks and the holder's application_name
        async with one.job_lock("refresh-recent") as mine, two.job_lock("refresh-recent") as theirs, \
                two.job_lock("purge-timings") as other:
            assert (mine, theirs, other) == (True, False, True)
        async with two.job_lock("refresh-recent") as again:
            assert again  # released with its connection
        assert one._connection is not None
        one._connection.terminate()  # the connection dies under the leader
        await one.step()
        assert not one.leading and first.calls == [True, False]
        for _ in range(100):  # the server frees the lock once it has noticed the connection is gone
            await two.step()
            if two.leading:
                break
            await asyncio.sleep(0.05)
        assert two.leading and second.calls == [True]
        await one.step()
        assert not one.leading
        await one.stop()
        await two.stop()

    asyncio.run(scenario())


def limits_settings(url: str, writes: tuple[int, float] = (50, 86400.0)) -> Settings:
    return Settings(database_url=url, data_dir=Path("/nonexistent"), rate_limits_enabled=True,
                    rate_limit_writes=writes, rate_limit_ip=(100_000, 86400.0))


@pytest.mark.database
def test_shared_counters_admit_exactly_the_limit_across_processes(migrated_postgres: str) -> None:
    async def scenario() -> list[tuple[str, Decision]]:
        processes = [SharedLimits(limits_settings(migrated_postgres), PATH_POLICY) for _ in range(2)]
        for limits in processes:
            await limits.start()
        try:
            calls = [limits.check("POST", "/api/v1/reviews", "10.0.0.1", "ff_token") for limits in processes
                     for _ in range(40)]
            return await asyncio.gather(*calls)
        finally:
            for limits in processes:
                await limits.close()

    answers = asyncio.run(scenario())
    allowed = [decision for _, decision in answers if decision.allowed]
    assert len(allowed) == 50
    assert sorted(d.remaining for d in allowed) == list(range(50))
    assert {name for name, decision in answers if not decision.allowed} == {"writes"}


@pytest.mark.database
def test_windows_roll_over_and_old_ones_are_swept(migrated_postgres: str) -> None:
    async def scenario() -> None:
        limits = SharedLimits(limits_settings(migrated_postgres, writes=(2, 60.0)), PATH_POLICY)
        await limits.start()
        connection = await connect(migrated_postgres, "test")
        try:
            hit = lambda: limits.check("DELETE", "/api/v1/reviews/1", "10.0.0.2", "ff_other")  # noqa: E731
            assert [(await hit())[1].allowed for _ in range(3)] == [True, True, False]
            assert not (await hit())[1].allowed  # remembered: the database is not asked again
            assert await connection.fetchval("SELECT hits FROM rate_limit_windows WHERE bucket LIKE 'writes:%'") == 3
            # The window ends (moved into the past here rather than waited for).
            await connection.execute("UPDATE rate_limit_windows SET window_start = window_start - 120000, "
                                     "expires_at = expires_at - 120000")
            limits._refused.clear()
            _, decision = await hit()
            assert decision.allowed and decision.remaining == 1 and 1 <= decision.reset <= 60
            await connection.execute("UPDATE rate_limit_windows SET expires_at = 0 WHERE bucket LIKE 'ip:%'")
            assert await limits.sweep() == 1
            assert await connection.fetchval("SELECT count(*) FROM rate_limit_windows") == 1
            assert await connection.fetchval("SELECT relpersistence::text FROM pg_class WHERE relname = "
                                             "'rate_limit_windows'") == "u"  # UNLOGGED
        finally:
            await connection.close()
            await limits.close()

    asyncio.run(scenario())


def test_limits_fail_open_without_their_database() -> None:
    limits = SharedLimits(limits_settings("postgresql+asyncpg://nobody@127.0.0.1:1/none"), PATH_POLICY)
    name, decision = asyncio.run(limits.check("GET", "/", "10.0.0.3", None))
    assert decision.allowed and name == "ip"


@pytest.mark.database
def test_a_commit_notifies_the_other_processes_and_a_rollback_does_not(migrated_postgres: str) -> None:
    async def scenario() -> None:
        cache = AnnotateCache()
        listener = changes.ChangeListener(migrated_postgres, cache, retry=0.2)
        await listener.start()
        heard: list[str] = []
        spy = await connect(migrated_postgres, "spy")
        await spy.add_listener(changes.CHANNEL, lambda *args: heard.append(args[3]))
        engine = create_engine(migrated_postgres)
        sessionmaker = session_factory(engine)
        changes.publish_changes(sessionmaker)
        try:
            async with sessionmaker() as session:
                async with write_transaction(session):
                    session.info[CHANGED_REQUESTERS] = {7, 8}
                    await session.execute(text("SELECT 1"))
                with pytest.raises(RuntimeError):
                    async with write_transaction(session):
                        session.info[CHANGED_REQUESTERS] = {9}
                        raise RuntimeError("rolled back")
            await _until(lambda: heard)
            assert heard == [f"{changes.ORIGIN}:7,8"]
            assert cache.version(7) == 0  # our own notice: this process already knows
            await spy.execute("SELECT pg_notify($1, $2)", changes.CHANNEL, "elsewhere:7,8")
            await _until(lambda: cache.version(7))
            assert (cache.version(7), cache.version(8), cache.version(9)) == (1, 1, 0)
        finally:
            await listener.stop()
            await spy.close()
            await engine.dispose()

    asyncio.run(scenario())


async def _until(check: Any, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def test_module_constants_fit_postgres() -> None:
    assert all(-2**31 <= key < 2**31 for key in (leader.LEADER_SPACE, leader.JOB_SPACE))
    assert ratelimit.window_ms(0.0001) == 1 and ratelimit.window_ms(60) == 60_000
