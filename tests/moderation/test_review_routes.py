"""The review routes under moderation: status, who sees what, mutes, deleted authors, others' reviews."""
from __future__ import annotations

import pytest
from datetime import datetime, timezone

from tests.api.conftest import a_review, assert_error
from tests.helpers import stamp
from tests.moderation.conftest import account, decide, flag, review, sql, stars

MUTE = {"days": 2, "reason": "insults in comments"}


@pytest.fixture
def hidden(client):
    """A review hidden by an admin's flag: (review, author's header)."""
    author = account(client, "author")
    made = review(client, author, **stars(2))
    review(client, account(client, "other"), **stars(5))  # the list is not empty without it
    assert flag(client, account(client, "boss", "admin"), made["id"])["review_status"] == "hidden"
    return made, author


def test_reviews_carry_their_status(client):
    made = review(client, account(client, "author"))
    assert made["status"] == "visible"
    assert client.get(f"/api/v1/reviews/{made['id']}").json()["status"] == "visible"


def test_hidden_review_is_a_404_to_anonymous_callers_and_other_workers(client, hidden):
    made, _ = hidden
    assert_error(client.get(f"/api/v1/reviews/{made['id']}"), 404, "not_found")
    assert_error(client.get(f"/api/v1/reviews/{made['id']}", headers=account(client, "nosy")), 404, "not_found")
    assert_error(client.get(f"/api/v1/reviews/{made['id']}/history"), 404, "not_found")
    assert_error(client.get(f"/api/v1/reviews/{made['id']}/history", headers=account(client, "nosy2")), 404)


def test_hidden_review_is_shown_to_its_author_and_to_moderators(client, hidden):
    made, author = hidden
    edited = client.patch(f"/api/v1/reviews/{made['id']}", headers=author, json={"comment": "calmer now"})
    assert edited.status_code == 200 and edited.json()["status"] == "hidden"  # an edit does not bring it back
    moderator = account(client, "mod", "moderator")
    for headers in (author, moderator):
        seen = client.get(f"/api/v1/reviews/{made['id']}", headers=headers)
        assert seen.status_code == 200 and seen.json()["status"] == "hidden" and seen.json()["comment"] == "calmer now"
        history = client.get(f"/api/v1/reviews/{made['id']}/history", headers=headers)
        assert history.status_code == 200 and history.json()[0]["before"]["comment"] == "Fine."


def test_lists_show_visible_reviews_only(client, hidden):
    made, author = hidden
    for headers in ({}, author, account(client, "mod", "moderator")):
        items = client.get("/api/v1/reviews", params={"platform": "mturk", "requester": "AREQ1"}, headers=headers).json()["items"]
        assert [r["status"] for r in items] == ["visible"] and made["id"] not in [r["id"] for r in items]


def test_an_invalid_token_on_a_public_read_is_refused(client, hidden):
    made, _ = hidden
    assert_error(client.get(f"/api/v1/reviews/{made['id']}", headers={"Authorization": "Bearer ff_nope"}),
                 401, "invalid_token")


def test_duplicate_review_is_409(client, settings):
    headers = account(client, "author")
    first = review(client, headers)
    body = assert_error(client.post("/api/v1/reviews", headers=headers, json=a_review(comment="again")), 409, "review_exists")
    assert str(first["id"]) in body["message"]
    assert sql(settings, "SELECT count(*) FROM reviews") == [(1,)]


def test_another_worker_cannot_edit_or_delete_my_review(client, settings):
    mine = review(client, account(client, "author"))
    intruder = account(client, "intruder")
    before = sql(settings, "SELECT * FROM reviews")
    assert_error(client.patch(f"/api/v1/reviews/{mine['id']}", headers=intruder, json={"comment": "mine now"}),
                 403, "not_your_review")
    assert_error(client.delete(f"/api/v1/reviews/{mine['id']}", headers=intruder), 403, "not_your_review")
    # a moderator is no author either: moderation goes through decisions, not edits
    assert_error(client.patch(f"/api/v1/reviews/{mine['id']}", headers=account(client, "mod", "moderator"),
                              json={"comment": "edited by a moderator"}), 403, "not_your_review")
    assert sql(settings, "SELECT * FROM reviews") == before


def test_another_workers_hidden_review_is_a_404_to_edit(client, hidden):
    made, _ = hidden
    assert_error(client.patch(f"/api/v1/reviews/{made['id']}", headers=account(client, "intruder"),
                              json={"comment": "x"}), 404, "not_found")


def test_muted_worker_cannot_post_edit_or_flag_until_unmuted(client, settings):
    moderator = account(client, "mod", "moderator")
    loud = account(client, "loud")
    mine = review(client, loud, **stars(3))
    other = review(client, account(client, "quiet"), **stars(4))
    muted = client.post("/api/v1/moderation/workers/loud/mute", headers=moderator, json=MUTE)
    assert muted.status_code == 200 and muted.json()["muted_until"] and muted.json()["mute_reason"] == MUTE["reason"]
    before = sql(settings, "SELECT * FROM reviews")

    body = assert_error(client.post("/api/v1/reviews", headers=loud, json=a_review(requester_id="AREQ2")), 403, "muted")
    assert MUTE["reason"] in body["message"]
    assert_error(client.patch(f"/api/v1/reviews/{mine['id']}", headers=loud, json={"comment": "x"}), 403, "muted")
    assert_error(client.post(f"/api/v1/reviews/{other['id']}/flags", headers=loud, json={"reason": "spam"}), 403, "muted")
    assert sql(settings, "SELECT * FROM reviews") == before
    assert sql(settings, "SELECT count(*) FROM review_flags") == [(0,)]
    assert client.get("/api/v1/me", headers=loud).status_code == 200  # reading still works

    assert client.delete("/api/v1/moderation/workers/loud/mute", headers=moderator).json()["muted_until"] is None
    review(client, loud, requester_id="AREQ2")
    assert client.patch(f"/api/v1/reviews/{mine['id']}", headers=loud, json={"comment": "x"}).status_code == 200
    flag(client, loud, other["id"])


def test_muted_worker_may_still_delete_their_review(client, settings):
    loud = account(client, "loud")
    mine = review(client, loud)
    client.post("/api/v1/moderation/workers/loud/mute", headers=account(client, "mod", "moderator"), json=MUTE)
    assert client.delete(f"/api/v1/reviews/{mine['id']}", headers=loud).status_code == 204
    assert sql(settings, "SELECT count(*) FROM reviews") == [(0,)]


def test_a_mute_that_ran_out_no_longer_applies(client, settings):
    loud = account(client, "loud")
    sql(settings, "UPDATE workers SET muted_until = '2020-01-01 00:00:00.000000' WHERE handle = 'loud'")
    review(client, loud)


def test_deleted_accounts_are_shown_as_former_member(client, settings):
    gone = account(client, "leaver")
    made = review(client, gone)
    sql(settings, "UPDATE workers SET deleted_at = ? WHERE handle = 'leaver'", stamp(datetime.now(timezone.utc)))
    assert client.get(f"/api/v1/reviews/{made['id']}").json()["author"] == "former member"
    items = client.get("/api/v1/reviews", params={"platform": "mturk", "requester": "AREQ1"}).json()["items"]
    assert [r["author"] for r in items] == ["former member"]
    assert "leaver" not in client.get(f"/api/v1/reviews/{made['id']}").text


def test_held_or_hidden_review_deleted_by_its_author_leaves_one_tombstone(client, settings, hidden):
    made, author = hidden
    assert client.delete(f"/api/v1/reviews/{made['id']}", headers=author).status_code == 204
    assert sql(settings, "SELECT count(*) FROM tombstones WHERE kind = 'review' AND ref_id = ?", made["id"]) == [(1,)]


def test_restore_of_a_visible_review_is_a_conflict(client):
    made = review(client, account(client, "author"))
    assert_error(client.post(f"/api/v1/moderation/reviews/{made['id']}/decision",
                             headers=account(client, "mod", "moderator"), json={"action": "restore"}),
                 409, "already_visible")
    decide(client, account(client, "mod2", "moderator"), made["id"], "dismiss")  # dismiss is always allowed
