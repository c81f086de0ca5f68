"""Review lists said "newest first" and were in id order: a review dated earlier than its id suggests (demo or
imported data, a late write) came out of place. Both lists order by (created_at, id) descending, and their cursor
carries both, so paging neither skips nor repeats, ties included (issue 19)."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import a_review
from tests.helpers import sign_up, stamp

# A fixed base, not the clock: the order depends only on the times the test writes.
BASE = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
COUNT = 9


def post_review(client, headers, **changes) -> int:
    response = client.post("/api/v1/reviews", headers=headers, json=a_review(**changes))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def set_times(db, ids: list[int], minutes: list[int]) -> dict[int, datetime]:
    times = {}
    for review_id, minute in zip(ids, minutes, strict=True):
        times[review_id] = BASE + timedelta(minutes=minute)
        assert db.run("UPDATE reviews SET created_at = ? WHERE id = ?", stamp(times[review_id]), review_id) == 1
    return times


def expected(times: dict[int, datetime]) -> list[int]:
    return sorted(times, key=lambda i: (times[i], i), reverse=True)


def walk(client, path: str, params: dict, limit: int, headers: dict | None = None) -> list[dict]:
    seen, cursor = [], None
    for _ in range(COUNT + 2):
        response = client.get(path, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})},
                              headers=headers or {})
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        assert len(page["items"]) == limit  # a page with a next cursor is full
    raise AssertionError("the cursor never ended")


def requester_reviews(client) -> list[int]:
    return [post_review(client, sign_up(client, f"worker{i}")) for i in range(COUNT)]


def test_reviews_written_out_of_time_order_come_back_newest_first(client, db):
    ids = requester_reviews(client)
    # the newest id is the oldest review (imported, say), and the first id the newest
    times = set_times(db, ids, [30, 10, 20, 10, 50, 0, 40, 10, -500])
    items = client.get("/api/v1/reviews", params={"platform": "mturk", "requester": "AREQ1"}).json()["items"]
    assert [r["id"] for r in items] == expected(times)
    assert items[0]["id"] == ids[4] and items[-1]["id"] == ids[8]
    assert [datetime.fromisoformat(r["created_at"]) for r in items] == sorted(times.values(), reverse=True)
    assert [r["id"] for r in walk(client, "/api/v1/reviews", {"platform": "mturk", "requester": "AREQ1"}, 2)] \
        == expected(times)


def test_paging_neither_skips_nor_repeats_whatever_the_times(client, db):
    ids = requester_reviews(client)

    # Few distinct minutes, so ties (same time, order by id) are common.
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(minutes=st.lists(st.integers(-3, 3), min_size=COUNT, max_size=COUNT), limit=st.integers(1, COUNT + 1))
    def check(minutes: list[int], limit: int) -> None:
        times = set_times(db, ids, minutes)
        seen = [r["id"] for r in walk(client, "/api/v1/reviews", {"platform": "mturk", "requester": "AREQ1"}, limit)]
        assert seen == expected(times)

    check()


def test_own_reviews_newest_first_across_pages(client, db):
    alice = sign_up(client, "alice")
    ids = [post_review(client, alice, task={"title": f"Survey {i}", "reward_cents": 100}) for i in range(COUNT - 1)]
    ids.append(post_review(client, alice, requester_id="AREQ2", task=None, worked_seconds=None))
    times = set_times(db, ids, [5, 5, -60, 7, 5, 100, 0, 5, -1])
    assert [r["id"] for r in walk(client, "/api/v1/me/reviews", {}, 2, alice)] == expected(times)
    assert [r["id"] for r in walk(client, "/api/v1/me/reviews", {}, 4, alice)] == expected(times)
    narrowed = [r["id"] for r in walk(client, "/api/v1/me/reviews", {"platform": "mturk", "requester": "AREQ1"}, 3,
                                      alice)]
    assert narrowed == [i for i in expected(times) if i != ids[-1]]


def test_an_id_only_cursor_of_before_is_refused_in_words(client, db):
    ids = requester_reviews(client)[:1]
    old = base64.urlsafe_b64encode(f"r{ids[0] + 1}".encode()).decode().rstrip("=")
    response = client.get("/api/v1/reviews", params={"platform": "mturk", "requester": "AREQ1", "cursor": old})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_cursor"
