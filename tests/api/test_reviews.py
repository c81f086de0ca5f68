"""Reviews: create, read, edit with history, delete, list with cursor pagination."""
from __future__ import annotations

import base64

import pytest

from tests.helpers import group_id
from tests.api.conftest import BAD_AUTH, a_review, assert_error, sign_up


def post_review(client, headers, **changes):
    response = client.post("/api/v1/reviews", headers=headers, json=a_review(**changes))
    assert response.status_code == 201, response.text
    return response.json()


# ------------------------------------------------------------------------------------------------
# Create and read


def test_create_review_of_a_task_type(client, alice, db):
    review = post_review(client, alice, task={"title": "Survey about shopping", "reward_cents": 100,
                                              "hit_set_id": group_id("3HITSET")}, flags=["underpaid", "underpaid", "broken"])
    assert review["platform"] == "mturk"
    assert review["requester_id"] == "AREQ1"
    assert review["requester_name"] == "Shop Lab"
    assert review["task"] == {"title": "Survey about shopping", "reward_cents": 100, "currency": "USD",
                              "hit_set_id": group_id("3HITSET")}
    assert review["ratings"] == {"pay": 4, "fairness": 5, "speed": 3, "communication": None}
    assert review["worked_seconds"] == 600
    assert review["outcome"] == "approved"
    assert review["flags"] == ["broken", "underpaid"]  # de-duplicated
    assert review["author"] == "alice"
    assert review["edits"] == 0
    # public read, no token needed
    read = client.get(f"/api/v1/reviews/{review['id']}")
    assert read.status_code == 200
    assert read.json() == review
    assert db.count("reviews") == 1
    assert db.rows("SELECT title, reward_cents, latest_hit_set_id FROM task_types") == [
        ("Survey about shopping", 100, group_id("3HITSET"))]


def test_create_review_of_a_requester_as_a_whole(client, alice, db):
    review = post_review(client, alice, task=None, worked_seconds=None)
    assert review["task"] is None
    assert db.rows("SELECT task_type_id FROM reviews") == [(None,)]
    assert db.count("task_types") == 0
    # a task review of the same requester is another review
    task_review = post_review(client, alice)
    assert task_review["id"] != review["id"]
    assert db.count("reviews") == 2


def test_minutes_worked_is_converted_to_seconds(client, alice):
    review = post_review(client, alice, worked_seconds=None, minutes_worked=2.5)
    assert review["worked_seconds"] == 150


def test_duplicate_review_is_refused(client, alice, bob, db):
    first = post_review(client, alice)
    before = db.dump()
    error = assert_error(client.post("/api/v1/reviews", headers=alice, json=a_review(comment="again")),
                         409, "review_exists")
    assert str(first["id"]) in error["message"]
    # the same task type written with other spacing is the same task type
    spaced = a_review(task={"title": "  Survey   about shopping ", "reward_cents": 100})
    assert_error(client.post("/api/v1/reviews", headers=alice, json=spaced), 409, "review_exists")
    assert db.dump() == before
    # another worker may review it, and the same worker may review another reward level
    assert client.post("/api/v1/reviews", headers=bob, json=a_review()).status_code == 201
    other = a_review(task={"title": "Survey about shopping", "reward_cents": 150})
    assert client.post("/api/v1/reviews", headers=alice, json=other).status_code == 201


def test_duplicate_requester_review_is_refused(client, alice, db):
    post_review(client, alice, task=None)
    before = db.dump()
    assert_error(client.post("/api/v1/reviews", headers=alice, json=a_review(task=None)), 409, "review_exists")
    assert db.dump() == before


def test_comment_is_stored_and_returned_verbatim(client, alice, db):
    comment = '<script>alert("x")</script> & <b>bold</b> \'quoted\' \u00e9\u0301 \U0001f600\nline two'
    review = post_review(client, alice, comment=comment)
    assert review["comment"] == comment
    assert client.get(f"/api/v1/reviews/{review['id']}").json()["comment"] == comment
    listed = client.get("/api/v1/reviews", params={"platform": "mturk", "requester": "AREQ1"}).json()
    assert listed["items"][0]["comment"] == comment
    assert db.value("SELECT comment FROM reviews") == comment
    assert "&lt;script" not in client.get(f"/api/v1/reviews/{review['id']}").text


def test_minutes_and_seconds_together_are_refused(client, alice, db):
    before = db.dump()
    response = client.post("/api/v1/reviews", headers=alice, json=a_review(worked_seconds=600, minutes_worked=10))
    assert_error(response, 422, "invalid_field", "minutes_worked")
    assert db.dump() == before


BAD_REVIEWS = [
    (a_review(platform="MTurk"), "platform"),
    (a_review(platform="m"), "platform"),
    (a_review(platform=7), "platform"),
    (a_review(requester_id=""), "requester_id"),
    (a_review(requester_id="x" * 129), "requester_id"),
    (a_review(requester_id=["AREQ1"]), "requester_id"),
    (a_review(requester_id="   "), "requester_id"),  # stored stripped: would name no requester
    (a_review(task={"title": " \t ", "reward_cents": 100}), "task.title"),
    (a_review(requester_name="n" * 201), "requester_name"),
    (a_review(ratings={"pay": 6}), "ratings.pay"),
    (a_review(ratings={"pay": 0}), "ratings.pay"),
    (a_review(ratings={"pay": 4.5}), "ratings.pay"),
    (a_review(ratings={"fairness": "good"}), "ratings.fairness"),
    (a_review(ratings={"overall": 5}), "ratings.overall"),
    (a_review(ratings=[5, 5, 5, 5]), "ratings"),
    (a_review(task={"title": "", "reward_cents": 100}), "task.title"),
    (a_review(task={"title": "T", "reward_cents": -1}), "task.reward_cents"),
    (a_review(task={"title": "T", "reward_cents": 1_000_001}), "task.reward_cents"),
    (a_review(task={"title": "T", "reward_cents": 100, "currency": "usd"}), "task.currency"),
    (a_review(task={"title": "T", "reward_cents": 100, "hit_set_id": "h" * 129}), "task.hit_set_id"),
    (a_review(task={"title": "T"}), "task.reward_cents"),
    (a_review(task={"title": "T", "reward_cents": 1, "requester": "x"}), "task.requester"),
    (a_review(task="Survey"), "task"),
    (a_review(worked_seconds=0), "worked_seconds"),
    (a_review(worked_seconds=7 * 24 * 3600 + 1), "worked_seconds"),
    (a_review(worked_seconds="ten minutes"), "worked_seconds"),
    (a_review(worked_seconds=None, minutes_worked=0), "minutes_worked"),
    (a_review(worked_seconds=None, minutes_worked=-5), "minutes_worked"),
    (a_review(outcome="great"), "outcome"),
    (a_review(approval_seconds=-1), "approval_seconds"),
    (a_review(bonus_cents=-1), "bonus_cents"),
    (a_review(flags=["not_a_flag"]), "flags[0]"),
    (a_review(flags="underpaid"), "flags"),
    (a_review(comment="c" * 4001), "comment"),
    (a_review(comment=None), "comment"),
    (a_review(stars=5), "stars"),  # unknown field
    ({"platform": "mturk"}, "requester_id"),  # missing required field
    ([a_review()], None),
]


@pytest.mark.parametrize(("body", "field"), BAD_REVIEWS)
def test_create_review_bad_input(client, alice, db, body, field):
    before = db.dump()
    error = assert_error(client.post("/api/v1/reviews", headers=alice, json=body), 422, "invalid_field", field)
    if isinstance(body, dict) and "stars" in body:
        assert "stars" in error["message"]
    if body == {"platform": "mturk"}:
        assert "requester_id" in error["message"]
    assert db.dump() == before


def test_create_review_without_body(client, alice, db):
    before = db.dump()
    assert_error(client.post("/api/v1/reviews", headers=alice, json=None), 400, "missing_body")
    assert db.dump() == before


def test_create_review_invalid_json(client, alice, db):
    before = db.dump()
    response = client.post("/api/v1/reviews", headers={**alice, "content-type": "application/json"},
                           content=b'{"platform": "mturk", "requester_id": }')
    assert_error(response, 400, "invalid_json")
    assert db.dump() == before


@pytest.mark.parametrize("auth", [*BAD_AUTH, "revoked"])
def test_writes_need_a_valid_token(client, alice, db, revoked, auth):
    headers, code = (revoked, "invalid_token") if auth == "revoked" else BAD_AUTH[auth]
    review = post_review(client, alice)
    before = db.dump()
    assert_error(client.post("/api/v1/reviews", headers=headers, json=a_review(requester_id="AOTHER")), 401, code)
    assert_error(client.patch(f"/api/v1/reviews/{review['id']}", headers=headers, json={"comment": "x"}), 401, code)
    assert_error(client.delete(f"/api/v1/reviews/{review['id']}", headers=headers), 401, code)
    assert db.dump() == before


@pytest.mark.parametrize("review_id", ["12345", "0", "-3", "99999999999999999999999"])
def test_unknown_review(client, alice, db, review_id):
    before = db.dump()
    assert_error(client.get(f"/api/v1/reviews/{review_id}"), 404, "not_found")
    assert_error(client.get(f"/api/v1/reviews/{review_id}/history"), 404, "not_found")
    assert_error(client.patch(f"/api/v1/reviews/{review_id}", headers=alice, json={"comment": "x"}), 404, "not_found")
    assert_error(client.delete(f"/api/v1/reviews/{review_id}", headers=alice), 404, "not_found")
    assert db.dump() == before


def test_review_id_not_a_number(client):
    assert_error(client.get("/api/v1/reviews/abc"), 404, "not_found")


# ------------------------------------------------------------------------------------------------
# Edit and history


def test_edit_keeps_a_revision(client, alice, db):
    review = post_review(client, alice)
    edited = client.patch(f"/api/v1/reviews/{review['id']}", headers=alice,
                          json={"comment": "Changed my mind.", "ratings": {"pay": 1}, "outcome": "rejected"})
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["comment"] == "Changed my mind."
    assert body["outcome"] == "rejected"
    # ratings not named in the edit keep their value
    assert body["ratings"] == {"pay": 1, "fairness": 5, "speed": 3, "communication": None}
    assert body["edits"] == 1
    assert body["created_at"] == review["created_at"]
    assert body["updated_at"] >= review["updated_at"]

    second = client.patch(f"/api/v1/reviews/{review['id']}", headers=alice,
                          json={"minutes_worked": 20, "ratings": {"fairness": None}, "flags": ["timer_too_short"]})
    assert second.status_code == 200, second.text
    assert second.json()["worked_seconds"] == 1200
    assert second.json()["ratings"]["fairness"] is None
    assert second.json()["ratings"]["pay"] == 1
    assert second.json()["edits"] == 2

    history = client.get(f"/api/v1/reviews/{review['id']}/history")
    assert history.status_code == 200
    revisions = history.json()
    assert len(revisions) == 2
    newest, oldest = revisions[0]["before"], revisions[1]["before"]
    assert oldest["comment"] == "Fine."
    assert oldest["outcome"] == "approved"
    assert oldest["ratings"] == {"pay": 4, "fairness": 5, "speed": 3, "communication": None}
    assert oldest["worked_seconds"] == 600
    assert newest["comment"] == "Changed my mind."
    assert newest["ratings"]["pay"] == 1
    assert newest["flags"] == []
    assert db.count("review_revisions") == 2
    assert client.get(f"/api/v1/reviews/{review['id']}").json()["edits"] == 2


def test_history_of_unedited_review_is_empty(client, alice):
    review = post_review(client, alice)
    assert client.get(f"/api/v1/reviews/{review['id']}/history").json() == []


BAD_EDITS = [
    ({}, None, "nothing_to_change"),
    ({"ratings": {}}, None, "nothing_to_change"),
    ({"ratings": {"pay": 9}}, "ratings.pay", "invalid_field"),
    ({"ratings": {"overall": 3}}, "ratings.overall", "invalid_field"),
    ({"worked_seconds": 60, "minutes_worked": 1}, "minutes_worked", "invalid_field"),
    ({"worked_seconds": -60}, "worked_seconds", "invalid_field"),
    ({"outcome": "fine"}, "outcome", "invalid_field"),
    ({"flags": ["nope"]}, "flags[0]", "invalid_field"),
    ({"comment": "c" * 4001}, "comment", "invalid_field"),
    ({"comment": None}, "comment", "invalid_field"),
    ({"requester_id": "AOTHER"}, None, "invalid_field"),  # what a review is about cannot change
    ({"task": {"title": "Other", "reward_cents": 1}}, None, "invalid_field"),
    ([], None, "invalid_field"),
]


@pytest.mark.parametrize(("body", "field", "code"), BAD_EDITS)
def test_edit_bad_input(client, alice, db, body, field, code):
    review = post_review(client, alice)
    before = db.dump()
    assert_error(client.patch(f"/api/v1/reviews/{review['id']}", headers=alice, json=body), 422, code, field)
    assert db.dump() == before
    assert client.get(f"/api/v1/reviews/{review['id']}/history").json() == []


def test_cannot_edit_or_delete_someone_elses_review(client, alice, bob, db):
    review = post_review(client, alice)
    before = db.dump()
    assert_error(client.patch(f"/api/v1/reviews/{review['id']}", headers=bob, json={"comment": "defaced"}),
                 403, "not_your_review")
    assert_error(client.delete(f"/api/v1/reviews/{review['id']}", headers=bob), 403, "not_your_review")
    assert db.dump() == before
    assert client.get(f"/api/v1/reviews/{review['id']}").json()["comment"] == "Fine."


# ------------------------------------------------------------------------------------------------
# Delete


def test_delete_removes_review_and_history(client, alice, db):
    review = post_review(client, alice)
    client.patch(f"/api/v1/reviews/{review['id']}", headers=alice, json={"comment": "edited"})
    assert db.count("review_revisions") == 1
    response = client.delete(f"/api/v1/reviews/{review['id']}", headers=alice)
    assert response.status_code == 204
    assert response.content == b""
    assert_error(client.get(f"/api/v1/reviews/{review['id']}"), 404, "not_found")
    assert_error(client.get(f"/api/v1/reviews/{review['id']}/history"), 404, "not_found")
    assert_error(client.delete(f"/api/v1/reviews/{review['id']}", headers=alice), 404, "not_found")
    assert db.count("reviews") == 0
    assert db.count("review_revisions") == 0
    listed = client.get("/api/v1/reviews", params={"platform": "mturk", "requester": "AREQ1"})
    assert listed.json() == {"items": [], "next_cursor": None}
    # and it can be written again
    post_review(client, alice)


# ------------------------------------------------------------------------------------------------
# List


@pytest.mark.parametrize("total", [5, 6])
def test_list_paginates_newest_first_every_review_once(client, total):
    ids = []
    for i in range(total):
        headers = sign_up(client, f"worker{i}")
        ids.append(post_review(client, headers)["id"])
    # a review of another requester never shows up
    post_review(client, sign_up(client, "other"), requester_id="AOTHER")

    seen, pages, cursor = [], 0, None
    while True:
        params = {"platform": "mturk", "requester": "AREQ1", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = client.get("/api/v1/reviews", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        assert 1 <= len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert pages == 3
    assert seen == sorted(ids, reverse=True)
    assert len(set(seen)) == total


def test_list_defaults(client, alice):
    post_review(client, alice)
    page = client.get("/api/v1/reviews", params={"platform": "mturk", "requester": "AREQ1"}).json()
    assert len(page["items"]) == 1
    assert page["next_cursor"] is None
    assert page["items"][0]["author"] == "alice"


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", ["!!!", "abc", "not a cursor", _cursor("x12"), _cursor("r-1"), _cursor("r"),
                                    _cursor("r0"), _cursor("r" + "9" * 40), _cursor("r\u0661"),
                                    base64.urlsafe_b64encode(b"\xff\xfe").decode()])
def test_list_bad_cursor(client, alice, cursor):
    post_review(client, alice)
    response = client.get("/api/v1/reviews", params={"platform": "mturk", "requester": "AREQ1", "cursor": cursor})
    assert_error(response, 400, "invalid_cursor", "cursor")


@pytest.mark.parametrize(("params", "field"), [
    ({"platform": "mturk", "requester": "AREQ1", "limit": 0}, "limit"),
    ({"platform": "mturk", "requester": "AREQ1", "limit": 101}, "limit"),
    ({"platform": "mturk", "requester": "AREQ1", "limit": "two"}, "limit"),
    ({"platform": "mturk", "requester": "AREQ1", "cursor": "c" * 65}, "cursor"),
    ({"platform": "m", "requester": "AREQ1"}, "platform"),
    ({"platform": "mturk", "requester": ""}, "requester"),
    ({"platform": "mturk"}, None),
    ({"requester": "AREQ1"}, None),
])
def test_list_bad_parameters(client, alice, params, field):
    post_review(client, alice)
    body = assert_error(client.get("/api/v1/reviews", params=params), 400, None, field)
    assert body["code"] in {"invalid_parameter", "bad_request"}


def test_requester_id_is_stripped_on_write_and_read(client, alice):
    post_review(client, alice, requester_id=" AREQ1 ")
    for requester in ("AREQ1", " AREQ1 "):
        page = client.get("/api/v1/reviews", params={"platform": "mturk", "requester": requester}).json()
        assert [item["requester_id"] for item in page["items"]] == ["AREQ1"]
    assert client.get("/api/v1/requesters/mturk/%20AREQ1%20").json()["id"] == "AREQ1"


def test_list_unknown_requester(client):
    assert_error(client.get("/api/v1/reviews", params={"platform": "mturk", "requester": "ANOBODY"}), 404, "not_found")
