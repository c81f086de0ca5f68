"""GET /api/v1/me/reviews: the signed-in worker's own reviews, held ones included, narrowed to one requester."""
from __future__ import annotations

import pytest

from tests.api.conftest import BAD_AUTH, a_review, assert_error
from tests.database import Sql


def post_review(client, headers, **changes):
    response = client.post("/api/v1/reviews", headers=headers, json=a_review(**changes))
    assert response.status_code == 201, response.text
    return response.json()


def own(client, headers, **query):
    response = client.get("/api/v1/me/reviews", headers=headers, params=query)
    assert response.status_code == 200, response.text
    return response.json()


def test_lists_only_the_workers_own_reviews_newest_first(client, alice, bob):
    task = post_review(client, alice)
    whole = post_review(client, alice, task=None, worked_seconds=None)
    other = post_review(client, alice, requester_id="AREQ2", requester_name="Other Lab")
    post_review(client, bob)
    page = own(client, alice)
    assert [r["id"] for r in page["items"]] == [other["id"], whole["id"], task["id"]]
    assert {r["author"] for r in page["items"]} == {"alice"}
    assert page["next_cursor"] is None
    assert own(client, bob)["items"][0]["author"] == "bob"


def test_narrowed_to_one_requester_holds_its_task_and_whole_requester_reviews(client, alice):
    task = post_review(client, alice)
    whole = post_review(client, alice, task=None, worked_seconds=None)
    post_review(client, alice, requester_id="AREQ2")
    items = own(client, alice, platform="mturk", requester="AREQ1")["items"]
    assert [r["id"] for r in items] == [whole["id"], task["id"]]
    assert items[0]["task"] is None
    assert items[1]["task"]["title"] == "Survey about shopping"
    assert own(client, alice, platform="prolific", requester="AREQ1")["items"] == []
    assert own(client, alice, platform="mturk", requester="ANEVERSEEN")["items"] == []  # no 404: none of yours
    assert len(own(client, alice, platform="mturk")["items"]) == 3


def test_the_id_a_409_names_is_found_here(client, alice):
    first = post_review(client, alice)
    error = assert_error(client.post("/api/v1/reviews", headers=alice, json=a_review(comment="again")), 409, "review_exists")
    assert str(first["id"]) in error["message"]
    assert [r["id"] for r in own(client, alice, platform="mturk", requester="AREQ1")["items"]] == [first["id"]]


def test_held_reviews_are_listed_to_their_author(client, alice, settings):
    review = post_review(client, alice)
    Sql(settings.database_url).execute("UPDATE reviews SET status = 'held' WHERE id = ?", review["id"])
    assert client.get("/api/v1/reviews?platform=mturk&requester=AREQ1").json()["items"] == []
    items = own(client, alice)["items"]
    assert [(r["id"], r["status"]) for r in items] == [(review["id"], "held")]


def test_cursor_pagination(client, alice):
    ids = [post_review(client, alice, task={"title": f"Task {i}", "reward_cents": 100})["id"] for i in range(5)]
    first = own(client, alice, limit=2)
    second = own(client, alice, limit=2, cursor=first["next_cursor"])
    third = own(client, alice, limit=2, cursor=second["next_cursor"])
    assert [r["id"] for r in first["items"] + second["items"] + third["items"]] == ids[::-1]
    assert third["next_cursor"] is None


def test_requester_without_platform_is_a_clear_400(client, alice):
    error = assert_error(client.get("/api/v1/me/reviews?requester=AREQ1", headers=alice), 400, "invalid_parameter")
    assert "platform" in error["message"]
    assert_error(client.get("/api/v1/me/reviews?limit=0", headers=alice), 400, "invalid_parameter")
    assert_error(client.get("/api/v1/me/reviews?cursor=nonsense", headers=alice), 400, "invalid_cursor")


@pytest.mark.parametrize(("headers", "code"), list(BAD_AUTH.values()), ids=list(BAD_AUTH))
def test_needs_a_token(client, headers, code):
    assert_error(client.get("/api/v1/me/reviews", headers=headers), 401, code)
