"""Moderation end to end on a real `fairfinder serve` process on loopback: roles granted with the CLI, a
review bombing held and partly restored, an admin's flag, a mute."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer, backdate_account
from tests.moderation.conftest import stars

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "var", env={"FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_SCHEDULER": "off"})
    live.data_dir.mkdir()
    assert live.cli("migrate").returncode == 0
    live.start()
    yield live
    live.stop()


def signup(http: httpx.Client, server: LiveServer, handle: str, *, established: bool) -> dict[str, str]:
    response = http.post("/api/v1/workers", json={"handle": handle})
    assert response.status_code == 201, response.text
    if established:
        backdate_account(server.database_url, response.json()["worker"]["id"])
    return {"Authorization": f"Bearer {response.json()['token']}"}


def post(http: httpx.Client, headers: dict[str, str], value: int) -> dict:
    body = {"platform": "mturk", "requester_name": "Shop Lab", "comment": "", **stars(value)}
    response = http.post("/api/v1/reviews", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_moderation_on_a_live_server(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        mod = signup(http, server, "mod", established=True)
        boss = signup(http, server, "boss", established=True)
        assert server.cli("set-role", "mod", "moderator").returncode == 0
        assert server.cli("set-role", "boss", "admin").returncode == 0
        regulars = [signup(http, server, f"regular{i}", established=True) for i in range(4)]
        kept = [post(http, headers, value) for headers, value in zip(regulars, (5, 4, 5, 4), strict=True)]

        def figures() -> dict:
            return http.get("/api/v1/requesters/mturk/AREQ1").json()

        baseline = figures()
        assert baseline["scores"]["pay"]["mean"] == 4.5 and baseline["reviews"] == 4

        fresh = [signup(http, server, f"fresh{i}", established=False) for i in range(3)]
        bombs = [post(http, headers, 1) for headers in fresh]
        assert [b["status"] for b in bombs] == ["visible", "visible", "held"]
        assert figures() == baseline
        held = http.get("/api/v1/moderation/queue", headers=mod, params={"kind": "held"}).json()["items"]
        assert {item["review"]["id"] for item in held} == {b["id"] for b in bombs}
        assert http.get("/api/v1/moderation/queue", headers=fresh[0]).status_code == 403

        restored = http.post(f"/api/v1/moderation/reviews/{bombs[0]['id']}/decision", headers=mod,
                             json={"action": "restore", "note": "checked: a real rejection"})
        assert restored.status_code == 200 and restored.json()["status"] == "visible"
        # shown again, but a new account's rating counts only from its eighth day (server/domain/weights.py)
        assert figures()["scores"]["pay"]["mean"] == 4.5 and figures()["reviews"] == 5

        hidden = http.post(f"/api/v1/reviews/{kept[0]['id']}/flags", headers=boss, json={"reason": "fake"})
        assert hidden.status_code == 201 and hidden.json()["review_status"] == "hidden"
        assert http.get(f"/api/v1/reviews/{kept[0]['id']}").status_code == 404
        assert http.get(f"/api/v1/reviews/{kept[0]['id']}", headers=regulars[0]).json()["status"] == "hidden"
        assert figures()["scores"]["pay"]["mean"] == 4.33  # 13 / 3, shown with two decimals

        muted = http.post("/api/v1/moderation/workers/fresh1/mute", headers=mod, json={"days": 3, "reason": "bombing"})
        assert muted.status_code == 200
        refused = http.patch(f"/api/v1/reviews/{bombs[1]['id']}", headers=fresh[1], json={"comment": "x"})
        assert refused.status_code == 403 and refused.json()["code"] == "muted"

        log = http.get("/api/v1/moderation/log", headers=mod).json()["items"]
        assert [(e["action"], e["moderator"]) for e in log] == [
            ("mute", "mod"), ("hide", "boss"), ("restore", "mod"), ("hold", "automatic"), ("hold", "automatic"),
            ("hold", "automatic")]
