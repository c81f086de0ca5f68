"""One number from the first answer on (issue 18 item 5): a page of never-seen tasks is answered at once from what
is known, and the same page answered after its tasks are recorded — and after the scheduler's first pass over
the accounts' standing — shows the same figures.

The cause of the old divergence ($2.74/h on the first answer, $2.77/h later): the demo (like any figures stored
before the accounts' standing was) computed its aggregates with no stored standing, and the scheduler's first
refresh-recent pass stored the standing and recomputed every requester, so every answer given before that pass
(the first views of a fresh server) moved by a few cents."""
from __future__ import annotations

import time

import httpx
import pytest

from server.db.engine import write_transaction
from server.demo import seed_demo
from server.jobs import refresh_recent
from tests.conftest import LiveServer
from tests.helpers import Db

FIGURES = ("cents_per_hour", "label", "band", "low", "high", "rests_on", "basis", "n", "accounts")
STATS = ("SELECT s.requester_id, s.reviews, s.summary, s.ratings, s.median_hourly_cents FROM requester_stats s "
         "ORDER BY s.requester_id")
TYPE_STATS = "SELECT task_type_id, samples, reviews, summary FROM task_type_stats ORDER BY task_type_id"


def test_the_first_refresh_after_the_demo_changes_no_figure(client, db: Db):
    """The lowest layer: what the demo stores is what the scheduler's refresh-recent pass (standing, then
    recompute) computes from the same rows."""
    async def seed() -> None:
        async with client.app.state.sessionmaker() as session, write_transaction(session):
            await seed_demo(session)

    with client.portal() as portal:
        portal.call(seed)
        seeded, seeded_types = db.rows(STATS), db.rows(TYPE_STATS)
        assert seeded and seeded_types
        assert db.value("SELECT COUNT(*) FROM account_standing") == db.value(
            "SELECT COUNT(*) FROM workers WHERE is_demo")
        outcome = portal.call(refresh_recent, client.app.state.sessionmaker, None)
    assert outcome.status == "ok" and outcome.counts["requesters"] > 0  # it did recompute them
    assert db.rows(STATS) == seeded
    assert db.rows(TYPE_STATS) == seeded_types


def _page(server: LiveServer) -> dict:
    """Never-seen tasks (new titles) of the demo's requesters: some with a stated duration, some without."""
    requesters = [rid for (rid,) in server.sql().rows(
        "SELECT external_id FROM requesters WHERE platform = 'mturk' ORDER BY id LIMIT 20")]
    assert len(requesters) >= 10
    return {"platform": "mturk", "tasks": [
        {"platform": "mturk", "requester_id": rid, "title": f"Rate these {i} product photos", "reward_cents": 40 + 9 * i,
         **({"stated_seconds": 240 + 60 * i} if i % 2 else {})} for i, rid in enumerate(requesters)]}


def _annotate(server: LiveServer, page: dict) -> list[dict]:
    response = httpx.post(f"{server.url}/api/v1/annotate", json=page, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["tasks"]


def _recorded(server: LiveServer, page: dict) -> list[dict]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = _annotate(server, page)
        if None not in {task["task_type_id"] for task in answer}:
            return answer
        time.sleep(0.1)
    raise AssertionError("the never-seen tasks were not recorded within 30 s")


def _refreshed(server: LiveServer) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.sql().value("SELECT COUNT(*) FROM job_runs WHERE job = 'refresh-recent' AND status = 'ok'"):
            return
        time.sleep(0.2)
    raise AssertionError("the scheduler's refresh-recent pass did not finish within 60 s")


@pytest.mark.database
def test_never_seen_tasks_keep_their_first_figures(tmp_path):
    """Through a real server: the first view (answered before anything was recorded or refreshed), the view after
    recording, and the view after the scheduler's first pass all show the same figures."""
    server = LiveServer(tmp_path / "var", env={"FAIRFINDER_SCHEDULER": "off"})
    server.data_dir.mkdir()
    try:
        assert server.cli("migrate").returncode == 0
        seeded = server.cli("demo")
        assert seeded.returncode == 0, seeded.stderr
        server.start()
        page = _page(server)
        first = _annotate(server, page)
        assert {task["task_type_id"] for task in first} == {None}  # never seen: answered from memory
        assert {task["hourly"]["basis"] for task in first} == {"requester"}  # on the demo requesters' timings
        recorded = _recorded(server, page)
        server.stop()
        server.env["FAIRFINDER_SCHEDULER"] = "on"  # now the scheduler's first pass runs at start
        server.start()
        _refreshed(server)
        later = _recorded(server, page)
    finally:
        server.stop()
        server.drop_database()
    for answers in (recorded, later):
        assert [{k: t["hourly"][k] for k in FIGURES} for t in answers] == [{k: t["hourly"][k] for k in FIGURES}
                                                                           for t in first]
        assert [t["requester"] for t in answers] == [t["requester"] for t in first]
