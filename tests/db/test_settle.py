"""Big requesters' aggregates are settled after the write, not in it (server/stats/settle.py).

A tiny FAIRFINDER_SYNC_REFRESH_ROWS (3) makes every requester here "big" after a few writes. On both backends.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from litestar.testing import TestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.app import create_app
from server.db.engine import create_engine, session_factory
from server.jobs import SETTLE_JOB, Scheduler
from server.settings import Settings, SettingsError, load_settings
from server.stats import settle as settle_module
from server.stats.settle import SettleReport, configure_settling, settle, settles_later
from tests.aggregates import close
from tests.conftest import TEST_SECRET, register
from tests.database import Backend, Sql
from tests.db.test_aggregate_consistency import WORKERS, _apply, _rebuild, _snapshot, operation

TINY = 3  # reviews + samples from which a requester is settled later


def _settings(url: str, folder: Path, **changes: Any) -> Settings:
    return Settings(database_url=url, secret=TEST_SECRET, data_dir=folder, sync_refresh_rows=TINY, **changes)


@pytest.fixture
def big_client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    with TestClient(app=create_app(_settings(database_url, tmp_path)), raise_server_exceptions=True) as client:
        yield client


def _review(client: TestClient, worker: dict[str, str], requester: str, title: str = "Tag images",
            seconds: int | None = 300, pay: int = 4) -> int:
    response = client.post("/api/v1/reviews", headers=worker, json={
        "platform": "mturk", "requester_id": requester, "task": {"title": title, "reward_cents": 25},
        "ratings": {"pay": pay}, "worked_seconds": seconds, "outcome": "approved"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _stored_reviews(url: str, requester: str) -> int | None:
    return Sql(url).value("SELECT s.reviews FROM requester_stats s JOIN requesters r ON r.id = s.requester_id "
                          "WHERE r.external_id = ?", requester)


def _markers(url: str) -> dict[str, int]:
    return dict(Sql(url).rows("SELECT r.external_id, d.changes FROM dirty_requesters d "
                              "JOIN requesters r ON r.id = d.requester_id"))


def _with_sessions(url: str, body: Callable[[async_sessionmaker[AsyncSession]], Awaitable[Any]]) -> Any:
    """Run `body` with a sessionmaker of its own engine (as the settle job runs beside the server)."""
    async def run() -> Any:
        engine = create_engine(url)
        try:
            sessionmaker = session_factory(engine)
            configure_settling(sessionmaker, TINY)
            return await body(sessionmaker)
        finally:
            await engine.dispose()
    return asyncio.run(run())


def _settle(url: str) -> SettleReport:
    return _with_sessions(url, settle)


def _assert_equals_rebuild(url: str) -> None:
    settled = asyncio.run(_snapshot(url))
    asyncio.run(_rebuild(url))
    assert close(settled, asyncio.run(_snapshot(url)))


def test_settles_later_from_the_threshold_on() -> None:
    assert not settles_later(None, 5000)  # no stored figures yet: small
    assert not settles_later(4999, 5000)
    assert settles_later(5000, 5000)
    assert not settles_later(10**6, 0)  # 0: every write recomputes at once


@pytest.mark.database
def test_a_big_requester_gets_a_marker_and_a_small_one_a_refresh(big_client: TestClient, database_url: str) -> None:
    worker, other = register(big_client), register(big_client)
    _review(big_client, worker, "ABIG", "Tag images")  # 1 review + 1 sample: recomputed at once
    _review(big_client, worker, "ABIG", "Survey")  # 2 + 2 when it was written (stored: 1 + 1 before it)
    assert _stored_reviews(database_url, "ABIG") == 2 and _markers(database_url) == {}
    _review(big_client, other, "ABIG", "Tag images")  # stored 2 + 2 ≥ 3: marked, not recomputed
    _review(big_client, worker, "ASMALL")
    assert _stored_reviews(database_url, "ABIG") == 2
    assert _stored_reviews(database_url, "ASMALL") == 1
    assert _markers(database_url) == {"ABIG": 1}
    # Reads serve the last settled figures meanwhile.
    assert big_client.get("/api/v1/requesters/mturk/ABIG").json()["reviews"] == 2

    _review(big_client, other, "ABIG", "Survey")
    assert _markers(database_url) == {"ABIG": 2}  # one marker; every write counts
    report = _settle(database_url)
    assert (report.settled, report.still_dirty, report.skipped) == (1, 0, 0)
    assert _markers(database_url) == {} and _stored_reviews(database_url, "ABIG") == 4
    _assert_equals_rebuild(database_url)


@pytest.mark.database
def test_settled_aggregates_equal_a_full_rebuild_after_any_writes(tmp_path: Path, database_backend: Backend) -> None:
    counter = iter(range(10**6))

    @hypothesis_settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.one_of(operation, st.just(("settle",))), min_size=1, max_size=16))
    def run(operations: list[tuple]) -> None:
        url = database_backend.new_database(tmp_path / f"example{next(counter)}")
        try:
            with TestClient(app=create_app(_settings(url, tmp_path)), raise_server_exceptions=True) as client:
                workers = [register(client) for _ in range(WORKERS)]
                made: list[tuple[int, int]] = []
                for op in operations:
                    if op[0] == "settle":
                        _settle(url)
                    else:
                        _apply(client, workers, op, made)
            _settle(url)
            assert _markers(url) == {}
            _assert_equals_rebuild(url)
        finally:
            database_backend.drop(url)

    run()


@pytest.mark.database
def test_a_write_while_settling_leaves_the_requester_dirty(big_client: TestClient, database_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    worker, other = register(big_client), register(big_client)
    for title in ("A", "B", "C"):
        _review(big_client, worker, "ABIG", title)
    assert _markers(database_url) == {"ABIG": 1}
    compute = settle_module.compute_requester

    async def compute_then_write(session: AsyncSession, requester_id: int, **options: Any) -> Any:
        computed = await compute(session, requester_id, **options)
        await asyncio.to_thread(_review, big_client, other, "ABIG", "D")  # lands after the settler read
        return computed

    monkeypatch.setattr(settle_module, "compute_requester", compute_then_write)
    report = _settle(database_url)
    assert (report.settled, report.still_dirty) == (0, 1)
    assert _markers(database_url) == {"ABIG": 2}
    assert _stored_reviews(database_url, "ABIG") == 3  # what the settler read, not the review after it
    monkeypatch.setattr(settle_module, "compute_requester", compute)
    assert _settle(database_url).settled == 1
    assert _markers(database_url) == {} and _stored_reviews(database_url, "ABIG") == 4
    _assert_equals_rebuild(database_url)


@pytest.mark.database
def test_markers_survive_a_restart_and_are_settled_at_the_next_start(tmp_path: Path, database_url: str) -> None:
    with TestClient(app=create_app(_settings(database_url, tmp_path))) as client:
        worker = register(client)
        for title in ("A", "B", "C"):
            _review(client, worker, "ABIG", title)
    assert _markers(database_url) == {"ABIG": 1}  # stopping does not settle; the marker is in the database
    assert _stored_reviews(database_url, "ABIG") == 2
    with TestClient(app=create_app(_settings(database_url, tmp_path))):
        pass  # no scheduler here: the app settles what a former run left as it starts
    assert _markers(database_url) == {} and _stored_reviews(database_url, "ABIG") == 3
    _assert_equals_rebuild(database_url)


@pytest.mark.database
def test_a_rebuild_clears_the_markers_and_a_settler_pass_under_way_keeps_its_result(
        big_client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = register(big_client)
    for title in ("A", "B", "C", "D"):
        _review(big_client, worker, "ABIG", title)
    assert _markers(database_url) == {"ABIG": 2}
    asyncio.run(_rebuild(database_url))  # what `fairfinder recompute` runs
    assert _markers(database_url) == {} and _stored_reviews(database_url, "ABIG") == 4

    # A settler that read before a rebuild must not write its older figures after it.
    _review(big_client, worker, "ABIG", "E")
    compute = settle_module.compute_requester

    async def compute_then_rebuild(session: AsyncSession, requester_id: int, **options: Any) -> Any:
        computed = await compute(session, requester_id, **options)
        await asyncio.to_thread(_review, big_client, worker, "ABIG", "F")
        await asyncio.to_thread(lambda: asyncio.run(_rebuild(database_url)))
        return computed

    monkeypatch.setattr(settle_module, "compute_requester", compute_then_rebuild)
    assert _settle(database_url).skipped == 1
    assert _markers(database_url) == {} and _stored_reviews(database_url, "ABIG") == 6


@pytest.mark.database
def test_a_requester_that_shrank_is_recomputed_at_once_and_stays_marked_for_the_settler(
        big_client: TestClient, database_url: str) -> None:
    worker = register(big_client)
    ids = [_review(big_client, worker, "ABIG", title) for title in ("A", "B", "C")]
    _settle(database_url)
    for review_id in ids[:2]:  # stored 3 + 3: each delete only marks it
        assert big_client.delete(f"/api/v1/reviews/{review_id}", headers=worker).status_code == 204
    assert _stored_reviews(database_url, "ABIG") == 3
    _settle(database_url)  # now 1 + 1: small
    assert _stored_reviews(database_url, "ABIG") == 1 and _markers(database_url) == {}
    _review(big_client, worker, "ABIG", "D")
    assert _stored_reviews(database_url, "ABIG") == 2 and _markers(database_url) == {}


@pytest.mark.database
def test_the_settle_job_records_a_run_only_when_there_was_something_to_settle(
        big_client: TestClient, database_url: str, tmp_path: Path) -> None:
    worker = register(big_client)

    async def job(sessionmaker: async_sessionmaker[AsyncSession]) -> Any:
        scheduler = Scheduler(_settings(database_url, tmp_path), sessionmaker)
        return await scheduler._settle_job()

    assert _with_sessions(database_url, job) is None
    for title in ("A", "B", "C"):
        _review(big_client, worker, "ABIG", title)
    run = _with_sessions(database_url, job)
    assert run.job == SETTLE_JOB and run.status == "ok" and run.counts["settled"] == 1, run.message
    assert _markers(database_url) == {}


@pytest.mark.database
def test_the_scheduler_settles_and_reads_then_show_the_new_figures(tmp_path: Path, database_url: str) -> None:
    settings = _settings(database_url, tmp_path, scheduler_enabled=True, settle_seconds=0.2, backup_interval_hours=0)
    with TestClient(app=create_app(settings)) as client:
        worker = register(client)
        for title in ("A", "B", "C"):
            _review(client, worker, "ABIG", title)
        assert client.get("/api/v1/requesters/mturk/ABIG").json()["reviews"] in (2, 3)  # 3 once settled
        deadline = time.monotonic() + 60
        # (refresh-recent may mark it once more at its first run: the worker is an established account)
        while client.get("/api/v1/requesters/mturk/ABIG").json()["reviews"] != 3 or _markers(database_url):
            assert time.monotonic() < deadline, "the settle job never settled the requester"
            time.sleep(0.1)


def test_settings_settle_big_requesters_only_with_a_scheduler(tmp_path: Path) -> None:
    env = {"FAIRFINDER_DATA_DIR": str(tmp_path), "FAIRFINDER_SECRET": "x" * 40}
    on = load_settings(env)
    assert (on.sync_refresh_rows, on.settle_seconds) == (1000, 10.0)
    assert load_settings({**env, "FAIRFINDER_SCHEDULER": "off"}).sync_refresh_rows == 0
    tuned = load_settings({**env, "FAIRFINDER_SYNC_REFRESH_ROWS": "200", "FAIRFINDER_SETTLE_SECONDS": "2.5"})
    assert (tuned.sync_refresh_rows, tuned.settle_seconds) == (200, 2.5)
    assert load_settings({**env, "FAIRFINDER_SYNC_REFRESH_ROWS": "0"}).sync_refresh_rows == 0
    for bad in ({"FAIRFINDER_SYNC_REFRESH_ROWS": "many"}, {"FAIRFINDER_SYNC_REFRESH_ROWS": "-1"},
                {"FAIRFINDER_SETTLE_SECONDS": "0"}, {"FAIRFINDER_SETTLE_SECONDS": "soon"},
                {"FAIRFINDER_SYNC_REFRESH_ROWS": "100", "FAIRFINDER_SCHEDULER": "off"}):
        with pytest.raises(SettingsError):
            load_settings({**env, **bad})
