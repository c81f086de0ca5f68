"""Many writers at once against a real server process: SQLite queues them, none fails, none is lost."""
from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta, timezone

import httpx

from tests.conftest import LiveServer

WORKERS = 12
TIMINGS_EACH = 5


async def _worker_load(client: httpx.AsyncClient, n: int) -> list[int]:
    registered = await client.post("/api/v1/workers", json={"handle": f"load-{n}"})
    assert registered.status_code == 201, registered.text
    headers = {"Authorization": f"Bearer {registered.json()['token']}"}
    statuses = []
    review = await client.post("/api/v1/reviews", headers=headers, json={
        "platform": "mturk", "requester_id": "ALOAD", "task": {"title": "Shared task", "reward_cents": 40},
        # 3-5 stars: low ratings from this many fresh accounts would be a burst, held for moderation
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
    async def run() -> list[int]:
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
            results = await asyncio.gather(*[_worker_load(client, n) for n in range(WORKERS)])
        return [status for statuses in results for status in statuses]

    statuses = asyncio.run(run())
    assert statuses.count(201) == WORKERS * (1 + TIMINGS_EACH)
    assert set(statuses) == {200, 201}

    live_server.stop()  # everything acknowledged must be in the file, whatever the server does next
    db = sqlite3.connect(live_server.data_dir / "fairfinder.db")
    assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == WORKERS
    assert db.execute("SELECT count(*) FROM timings").fetchone()[0] == WORKERS * TIMINGS_EACH
    reviews, = db.execute("SELECT reviews FROM requester_stats").fetchone()
    assert reviews == WORKERS
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
