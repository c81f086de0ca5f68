"""GET and DELETE /api/v1/me/history: newest day first with cursor paging and filters; deleting all, one
platform's or one task; and a worker never sees, changes or deletes another's history."""
from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.conftest import assert_error
from tests.history.conftest import DAY1, DAY2, mturk_page, prolific_page

URL = "/api/v1/me/history"


def load_everything(client: TestClient, headers: dict[str, str]) -> None:
    """25 MTurk tasks on 27 Oct, 8 on 28 Oct, 7 Prolific submissions on 27-29 Oct: 40 rows."""
    bodies: list[dict[str, Any]] = [
        {"platform": "mturk", "source": "status_details", "date": DAY1, "payload": mturk_page(DAY1, "page1")},
        {"platform": "mturk", "source": "status_details", "date": DAY1, "payload": mturk_page(DAY1, "page2")},
        {"platform": "mturk", "source": "status_details", "date": DAY2, "payload": mturk_page(DAY2, "final")},
        {"platform": "prolific", "source": "submissions", "payload": prolific_page(1)},
        {"platform": "prolific", "source": "submissions", "payload": prolific_page(2)},
    ]
    for body in bodies:
        assert client.post(URL, headers=headers, json=body).status_code == 200


def walk(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        response = client.get(URL, headers=headers, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        page = response.json()
        assert len(page["items"]) <= params.get("limit", 50)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ended")


def test_the_list_pages_through_everything_newest_day_first(client, alice):
    load_everything(client, alice)
    items = walk(client, alice, limit=7)
    assert len(items) == 40 and len({i["id"] for i in items}) == 40
    order = [(i["work_date"], i["id"]) for i in items]
    assert order == sorted(order, reverse=True)
    assert items[0]["work_date"] == "2026-10-29" and items[-1]["work_date"] == DAY1
    assert set(items[0]) == {"id", "platform", "assignment_id", "task_id", "requester_id", "requester_name", "title",
                             "reward_cents", "bonus_cents", "currency", "state", "work_date", "started_at",
                             "ended_at", "requester_feedback", "imported_at", "updated_at"}
    assert walk(client, alice) == items  # one page of 50 holds the same


@pytest.mark.parametrize(("params", "expected"), [
    ({"platform": "mturk"}, 33),
    ({"platform": "prolific"}, 7),
    ({"platform": "toloka"}, 0),
    ({"state": "rejected"}, 3),  # one each day on MTurk, one on Prolific
    ({"state": "screened_out"}, 1),
    ({"from": DAY2}, 8 + 4),
    ({"to": DAY1}, 25 + 3),
    ({"from": DAY2, "to": DAY2}, 8 + 2),
    ({"from": DAY2, "to": DAY2, "platform": "mturk", "state": "approved"}, 6),  # Paid counts as approved
])
def test_filters(client, alice, params, expected):
    load_everything(client, alice)
    items = walk(client, alice, limit=4, **params)
    assert len(items) == expected
    for item in items:
        assert item["platform"] == params.get("platform", item["platform"])
        assert item["state"] == params.get("state", item["state"])
        assert params.get("from", "0") <= item["work_date"] <= params.get("to", "9")


@pytest.mark.parametrize(("params", "field"), [
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": "cjEy"}, "cursor"),  # a cursor of another list ("r12")
    ({"limit": 0}, "limit"),
    ({"limit": 201}, "limit"),
    ({"state": "paid"}, "state"),
    ({"from": "yesterday"}, "from"),
    ({"from": "2026-10-270000"}, "from"),
    ({"to": "2026-02-30"}, "to"),
    ({"state": "x" * 40}, "state"),
    ({"platform": "Bad Platform"}, "platform"),
    ({"from": DAY2, "to": DAY1}, "to"),
])
def test_bad_list_parameters_are_400s(client, alice, params, field):
    assert_error(client.get(URL, headers=alice, params=params), 400, field=field)


def test_deleting_one_task_one_platform_or_everything(client, alice, bob, db):
    load_everything(client, alice)
    load_everything(client, bob)
    assert db.count("work_history") == 80
    first = walk(client, alice)[0]
    assert client.delete(f"{URL}/{first['id']}", headers=alice).status_code == 204
    assert first["id"] not in {i["id"] for i in walk(client, alice)}
    assert_error(client.delete(f"{URL}/{first['id']}", headers=alice), 404, "not_found")
    assert_error(client.delete(f"{URL}/999999999", headers=alice), 404, "not_found")
    assert_error(client.delete(f"{URL}/{2**63}", headers=alice), 404, "not_found")
    assert client.delete(URL, headers=alice, params={"platform": "prolific"}).status_code == 204
    assert {i["platform"] for i in walk(client, alice)} == {"mturk"} and len(walk(client, alice)) == 33
    assert client.delete(URL, headers=alice).status_code == 204
    assert walk(client, alice) == []
    assert client.delete(URL, headers=alice).status_code == 204  # nothing left: still fine
    assert len(walk(client, bob)) == 40 and db.count("work_history") == 40


def test_one_worker_never_reads_changes_or_deletes_anothers_history(client, alice, bob, db):
    load_everything(client, alice)
    alices = walk(client, alice)
    assert walk(client, bob) == []
    before = db.dump()
    for item in alices[:5]:
        assert_error(client.delete(f"{URL}/{item['id']}", headers=bob), 404, "not_found")
    assert client.delete(URL, headers=bob).status_code == 204
    assert db.dump() == before
    # Bob importing the very same pages gets rows of his own; Alice's stay exactly as they were.
    last = max(i["id"] for i in alices)
    alice_rows = db.rows("SELECT * FROM work_history WHERE id <= ? ORDER BY id", last)
    assert len(alice_rows) == 40
    page = mturk_page(DAY2, "partial")
    response = client.post(URL, headers=bob, json={"platform": "mturk", "date": DAY2, "payload": page})
    assert response.json()["added"] == 8
    assert db.rows("SELECT * FROM work_history WHERE id <= ? ORDER BY id", last) == alice_rows
    bobs = walk(client, bob)
    assert len(bobs) == 8 and {i["state"] for i in bobs} >= {"pending"}
    assert not {i["id"] for i in bobs} & {i["id"] for i in alices}
    assert all(i["work_date"] == DAY2 for i in bobs)
    # Alice's decided states for the same assignments were not touched by Bob's pending page.
    alice_day2 = [i for i in walk(client, alice, platform="mturk", **{"from": DAY2}) if i["work_date"] == DAY2]
    assert "pending" not in {i["state"] for i in alice_day2}
