"""Money and shown durations are whole numbers in the API (issue 19 item 4): annotate's and /api/v1/requesters'
amounts are whole cents and whole seconds, JSON integers, rounded once (server/domain/figures.py), and the label
is made from that same number."""
from __future__ import annotations

import re

from litestar.testing import TestClient

from server.db.engine import write_transaction
from server.demo import read_seed_tasks, seed_demo
from server.domain.money import format_hourly

MONEY = ("cents_per_hour", "low", "high", "median_rate", "pooled_rate", "typical_bonus_cents",
         "without_bonus_cents_per_hour")


def seed(client: TestClient) -> None:
    async def run() -> None:
        async with client.app.state.sessionmaker() as session, write_transaction(session):
            await seed_demo(session)

    client.blocking_portal.call(run)


def whole_or_none(value: object) -> bool:
    return value is None or type(value) is int


def test_annotate_and_requesters_carry_whole_cents_and_seconds(client: TestClient) -> None:
    seed(client)
    tasks = [{"platform": t.platform, "requester_id": t.requester_id, "requester_name": t.requester_name,
              "title": t.title, "reward_cents": t.reward_cents} for t in read_seed_tasks()]
    response = client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": tasks})
    assert response.status_code == 200, response.text
    # In the JSON text itself: no amount with a fraction, not even ".0".
    for name in (*MONEY, "duration_seconds", "approval_seconds", "median_hourly_cents"):
        assert not re.search(rf'"{name}":-?\d+\.\d', response.text), name
    answer = response.json()["tasks"]
    measured = [task for task in answer if task["hourly"]["cents_per_hour"] is not None]
    assert len(measured) == len(answer) == 27
    approvals = 0
    for task in answer:
        hourly, requester = task["hourly"], task["requester"]
        for name in MONEY:
            assert whole_or_none(hourly[name]), (name, hourly[name])
        assert type(hourly["duration_seconds"]) is int and hourly["duration_seconds"] > 0
        assert hourly["label"] == format_hourly(hourly["cents_per_hour"]) or hourly["label"] == (
            "claims " + format_hourly(hourly["cents_per_hour"]))
        assert whole_or_none(requester["approval_seconds"]) and whole_or_none(requester["median_hourly_cents"])
        approvals += requester["approval_seconds"] is not None
        # the same summary from /api/v1/requesters
        one = client.get(f"/api/v1/requesters/mturk/{task['requester_id']}")
        assert one.status_code == 200 and one.json() == requester
    assert approvals > 0  # the demo's approved reviews give approval times: the check above saw some
