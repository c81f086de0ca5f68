"""Aggregates kept current on every write must equal a full rebuild, after any sequence of writes.

On both backends; the rebuild reads requesters in chunks of a handful of rows, so that chunk boundaries
fall between and inside the few requesters here as they do on a large database."""
from __future__ import annotations

import asyncio
import copy
import itertools
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from litestar.testing import TestClient

from server.app import create_app
from server.db.engine import create_engine, session_factory, write_transaction
from server.domain.vocab import review_says_something
from server.settings import Settings
from server.stats import refresh
from server.stats.refresh import rebuild_all
from tests.conftest import TEST_SECRET, register
from tests.aggregates import close as _close
from tests.aggregates import read_aggregates
from tests.database import Backend
from tests.history.conftest import prolific_page

REQUESTERS = ["A1", "A2"]
TITLES = [("Survey about food", 50), ("Tag images", 10), ("Survey about food", 75)]
WORKERS = 3
RESEARCHER = "60a1b2c3d4e5f60718293a4b"  # of the recorded Prolific page (tests/fixtures/history)
RECORDED = prolific_page(1)["results"][0]
SUBMISSIONS = itertools.count(0x48BA2D64D76ED2B86AEC7926)
NOW = datetime.now(timezone.utc)


async def _snapshot(database_url: str) -> dict[str, Any]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return await read_aggregates(session)
    finally:
        await engine.dispose()


async def _rebuild(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, write_transaction(session):
            await rebuild_all(session)
    finally:
        await engine.dispose()


rating = st.one_of(st.none(), st.integers(1, 5))
operation = st.one_of(
    st.tuples(st.just("review"), st.integers(0, WORKERS - 1), st.sampled_from(REQUESTERS),
              st.one_of(st.none(), st.sampled_from(TITLES)),
              st.fixed_dictionaries({"pay": rating, "fairness": rating}),
              st.one_of(st.none(), st.integers(30, 3600)),
              st.one_of(st.none(), st.sampled_from(["approved", "rejected", "pending", "returned", "blocked"])),
              st.lists(st.sampled_from(["broken", "needs_sight", "underpaid"]), max_size=2)),
    st.tuples(st.just("edit"), st.integers(0, 50), st.integers(1, 5), st.one_of(st.none(), st.integers(30, 3600)),
              st.sampled_from(["approved", "rejected", "returned"])),
    st.tuples(st.just("delete_review"), st.integers(0, 50)),
    st.tuples(st.just("timing"), st.integers(0, WORKERS - 1), st.sampled_from(REQUESTERS), st.sampled_from(TITLES),
              st.integers(5, 5000), st.sampled_from(["submitted", "returned", "approved", "rejected"]),
              st.one_of(st.none(), st.integers(0, 300))),
    # Prolific: timings, and bonuses of history captured from its pages (they count toward the typical bonus)
    st.tuples(st.just("prolific_timing"), st.integers(0, WORKERS - 1), st.sampled_from(TITLES),
              st.integers(5, 5000), st.one_of(st.none(), st.integers(0, 300))),
    st.tuples(st.just("prolific_history"), st.integers(0, WORKERS - 1), st.sampled_from(TITLES),
              st.integers(0, 300), st.sampled_from(["APPROVED", "AWAITING REVIEW"]), st.booleans()),
    st.tuples(st.just("delete_timing"), st.integers(0, WORKERS - 1), st.integers(0, 50)),
)


def _apply(client: TestClient, workers: list[dict[str, str]], op: tuple, made: list[tuple[int, int]]) -> None:
    kind = op[0]
    if kind == "review":
        _, w, requester, task, ratings, seconds, outcome, flags = op
        body: dict[str, Any] = {"platform": "mturk", "requester_id": requester, "ratings": ratings, "flags": flags,
                                "worked_seconds": seconds, "outcome": outcome}
        if task:
            body["task"] = {"title": task[0], "reward_cents": task[1]}
        response = client.post("/api/v1/reviews", json=body, headers=workers[w])
        says_nothing = not review_says_something(ratings, outcome, seconds, None, None, flags, "")
        if says_nothing:  # refused, and changes nothing (issue 18 item 6)
            assert response.status_code == 422 and response.json()["code"] == "empty_review", response.text
            return
        assert response.status_code in (201, 409), response.text
        if response.status_code == 201:
            made.append((w, response.json()["id"]))
    elif kind == "edit" and made:
        _, pick, pay_rating, seconds, outcome = op
        w, review_id = made[pick % len(made)]
        response = client.patch(f"/api/v1/reviews/{review_id}", headers=workers[w],
                                json={"ratings": {"pay": pay_rating}, "worked_seconds": seconds, "outcome": outcome})
        assert response.status_code == 200, response.text
    elif kind == "delete_review" and made:
        w, review_id = made.pop(op[1] % len(made))
        assert client.delete(f"/api/v1/reviews/{review_id}", headers=workers[w]).status_code == 204
    elif kind in ("timing", "prolific_timing"):
        if kind == "timing":
            _, w, requester, task, seconds, outcome, bonus = op
            platform, currency = "mturk", "USD"
        else:
            _, w, task, seconds, bonus = op
            platform, requester, outcome, currency = "prolific", RESEARCHER, "approved", "GBP"
        ended = NOW - timedelta(minutes=5)
        response = client.post("/api/v1/timings", headers=workers[w], json={
            "platform": platform, "requester_id": requester, "title": task[0], "reward_cents": task[1],
            "currency": currency, "accepted_at": (ended - timedelta(seconds=seconds)).isoformat(),
            "ended_at": ended.isoformat(), "outcome": outcome, **({} if bonus is None else {"bonus_cents": bonus})})
        assert response.status_code == 201, response.text
    elif kind == "prolific_history":
        _, w, task, bonus, status, delete_after = op
        submission = {**copy.deepcopy(RECORDED), "id": f"{next(SUBMISSIONS):024x}", "status": status,
                      "reward": task[1], "bonus_payments": [bonus]}
        submission["study"] = {**submission["study"], "name": task[0],
                               "researcher": {"id": RESEARCHER, "name": "Lab"}, "reward": {"amount": task[1],
                                                                                           "currency": "GBP"}}
        response = client.post("/api/v1/me/history", headers=workers[w], json={
            "platform": "prolific", "source": "submissions", "payload": {"results": [submission], "meta": {"count": 1}}})
        assert response.status_code == 200, response.text
        if delete_after:
            items = client.get("/api/v1/me/history", headers=workers[w]).json()["items"]
            if items:
                assert client.delete(f"/api/v1/me/history/{items[0]['id']}", headers=workers[w]).status_code == 204
    elif kind == "delete_timing":
        _, w, pick = op
        items = client.get("/api/v1/me/timings", headers=workers[w]).json()["items"]
        if items:
            timing_id = items[pick % len(items)]["id"]
            assert client.delete(f"/api/v1/me/timings/{timing_id}", headers=workers[w]).status_code == 204


@pytest.mark.database
def test_aggregates_equal_full_rebuild_after_any_writes(tmp_path: Path, database_backend: Backend,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    counter = iter(range(10**6))
    monkeypatch.setattr(refresh, "CHUNK_ROWS", 3)

    @hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(operation, min_size=1, max_size=14))
    def run(operations: list[tuple]) -> None:
        url = database_backend.new_database(tmp_path / f"example{next(counter)}")
        try:
            with TestClient(app=create_app(Settings(database_url=url, secret=TEST_SECRET, data_dir=tmp_path)),
                            raise_server_exceptions=True) as client:
                workers = [register(client) for _ in range(WORKERS)]
                made: list[tuple[int, int]] = []
                for op in operations:
                    _apply(client, workers, op, made)
            kept_current = asyncio.run(_snapshot(url))
            asyncio.run(_rebuild(url))
            rebuilt = asyncio.run(_snapshot(url))
            assert _close(kept_current, rebuilt), (kept_current, rebuilt)
            asyncio.run(_rebuild(url))  # a rebuild of rebuilt aggregates changes nothing
            assert _close(rebuilt, asyncio.run(_snapshot(url)))
        finally:
            database_backend.drop(url)

    run()
