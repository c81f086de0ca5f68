"""Export and deletion against a real `fairfinder serve` process on loopback."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL

PLATFORM_ID = "A3LIVEWORKERID"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "var", env={"FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_SCHEDULER": "off"})
    live.data_dir.mkdir()
    migrated = live.cli("migrate")
    assert migrated.returncode == 0, migrated.stderr
    live.start()
    yield live
    live.stop()


def register(url: str, handle: str) -> dict[str, str]:
    response = httpx.post(f"{url}/api/v1/workers", json={
        "handle": handle, "platform_ids": [{"platform": "mturk", "worker_id": PLATFORM_ID}]})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.mark.parametrize("mode", ["keep", "delete"])
def test_a_worker_exports_then_deletes_their_account(server: LiveServer, mode: str) -> None:
    url = server.url
    me = register(url, "livehandle")
    review = httpx.post(f"{url}/api/v1/reviews", headers=me, json={
        "platform": "mturk", "requester_id": "ALIVE1", "task": {"title": "Live survey", "reward_cents": 50},
        "ratings": {"pay": 4}, "worked_seconds": 300, "outcome": "approved", "comment": "LIVECOMMENT"})
    assert review.status_code == 201, review.text

    exported = httpx.get(f"{url}/api/v1/me/export", headers=me)
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].startswith('attachment; filename="fairfinder-livehandle-')
    assert [r["comment"] for r in exported.json()["reviews"]] == ["LIVECOMMENT"]
    assert PLATFORM_ID not in exported.text

    assert httpx.delete(f"{url}/api/v1/me", headers=me).status_code == 400  # no reviews=: nothing happens
    assert httpx.get(f"{url}/api/v1/me", headers=me).status_code == 200
    assert httpx.delete(f"{url}/api/v1/me", params={"reviews": mode}, headers=me).status_code == 204

    assert httpx.get(f"{url}/api/v1/me/export", headers=me).status_code == 401
    # The handle and the platform ID are free again: someone else (or the same person) may take them.
    again = register(url, "livehandle")
    assert httpx.get(f"{url}/api/v1/me/export", headers=again).json()["reviews"] == []

    db = server.sql()
    comments = [c for (c,) in db.rows("SELECT comment FROM reviews")]
    authors = [h for (h,) in db.rows("SELECT w.handle FROM reviews r JOIN workers w ON w.id = r.worker_id")]
    requester_reviews = db.rows("SELECT s.reviews FROM requester_stats s JOIN requesters q ON q.id = s.requester_id "
                                "WHERE q.external_id = 'ALIVE1'")
    if mode == "keep":
        assert comments == ["LIVECOMMENT"] and authors[0].startswith("deleted-")
        assert requester_reviews == [(1,)]
    else:
        assert comments == [] and requester_reviews == []
