"""Many writers at once against a real server process: SQLite queues them, none fails, none is lost."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import httpx

from tests.conftest import LiveServer, backdate_account

WORKERS = 12
TIMINGS_EACH = 5


def _register_established(server: LiveServer, n: int) -> dict[str, str]:
    """An account created long ago: reviews from this many new accounts in a day would be a burst, every one of
    them held for a moderator (server/domain/moderation.py), and no figure would move."""
    registered = httpx.post(f"{server.url}/api/v1/workers", json={"handle": f"load-{n}"}, timeout=30)
    assert registered.status_code == 201, registered.text
    backdate_account(server.database_url, registered.json()["worker"]["id"])
    return {"Authorization": f"Bearer {registered.json()['token']}"}


async def _worker_load(client: httpx.AsyncClient, n: int, headers: dict[str, str]) -> list[int]:
    statuses = []
    review = await client.post("/api/v1/reviews", headers=headers, json={
        "platform": "mturk", "requester_id": "ALOAD", "task": {"title": "Shared task", "reward_cents": 40},
        "ratings": {"pay": 3 + n % 3}, "worked_seconds": 100 + n, "outcome": "approved"})
    statuses.append(review.status_code)
    ended = datetime.now(timezone.utc) - timedelta(minutes=1)
    for i in range(TIMINGS_EACH):
        timing = await client.post("/api/v1/timings", headers=headers, json={
            "platform": "mturk", "requester_id": "ALOAD", "title": f"Task {i}", "reward_cents": 10 + i,
            "assignment_id": f"asg-{n}-{i}", "accepted_at": (ended - timedelta(seconds=60 + i)).isoformat(),
            "ended_at": ended.isoformat(), "outcome": "submitted"})
        statuses.append(timing.status_code)
        page = await client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": [
            {"platform": "mturk", "requester_id": "ALOAD", "title": f"Task {j}", "reward_cents": 10 + j} for j in range(5)]})
        statuses.append(page.status_code)
    return statuses


def test_concurrent_writers_all_succeed_and_persist(live_server: LiveServer) -> None:
    accounts = [_register_established(live_server, n) for n in range(WORKERS)]

    async def run() -> list[int]:
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
            results = await asyncio.gather(*[_worker_load(client, n, accounts[n]) for n in range(WORKERS)])
        return [status for statuses in results for status in statuses]

    statuses = asyncio.run(run())
    assert statuses.count(201) == WORKERS * (1 + TIMINGS_EACH)
    assert set(statuses) == {200, 201}

    live_server.stop()  # everything acknowledged must be stored, whatever the server does next
    db = live_server.sql()
    assert db.value("SELECT count(*) FROM reviews") == WORKERS
    assert db.value("SELECT count(*) FROM reviews WHERE status = 'visible'") == WORKERS  # established: no burst
    assert db.value("SELECT count(*) FROM timings") == WORKERS * TIMINGS_EACH
    assert db.value("SELECT reviews FROM requester_stats") == WORKERS
    if db.dialect == "sqlite":
        assert db.value("PRAGMA integrity_check") == "ok"
        assert db.value("PRAGMA journal_mode") == "wal"
