"""Flagging reviews: who can hide one, what a flag needs, and what a hidden review does to the figures."""
from __future__ import annotations

import pytest

from tests.api.conftest import assert_error
from tests.moderation.conftest import account, decide, flag, log, means, review, sql, stars, summary


@pytest.fixture
def target(client):
    """A visible review by an established worker, and its author's header."""
    author = account(client, "author")
    return review(client, author, **stars(1)), author


def status_of(settings, review_id):
    return sql(settings, "SELECT status FROM reviews WHERE id = ?", review_id)[0][0]


def test_one_worker_flag_does_not_hide(client, settings, target):
    made, _ = target
    out = flag(client, account(client, "wk1"), made["id"], "abusive", "rude words")
    assert out["review_id"] == made["id"] and out["reason"] == "abusive" and out["note"] == "rude words"
    assert out["review_status"] == "visible" and out["created_at"]
    assert status_of(settings, made["id"]) == "visible"
    assert client.get(f"/api/v1/reviews/{made['id']}").status_code == 200


def test_many_workers_without_a_moderator_do_not_hide(client, settings, target):
    made, _ = target
    for i in range(5):
        assert flag(client, account(client, f"wk{i}"), made["id"])["review_status"] == "visible"
    assert status_of(settings, made["id"]) == "visible"
    assert sql(settings, "SELECT count(*) FROM review_flags WHERE resolved_at IS NULL") == [(5,)]
    assert sql(settings, "SELECT count(*) FROM moderation_actions") == [(0,)]


@pytest.mark.parametrize("moderator_first", [True, False])
def test_a_worker_and_a_moderator_hide(client, settings, target, moderator_first):
    made, _ = target
    worker, moderator = account(client, "wk1"), account(client, "mod", "moderator")
    first, second = (moderator, worker) if moderator_first else (worker, moderator)
    assert flag(client, first, made["id"], "spam")["review_status"] == "visible"
    assert flag(client, second, made["id"], "fake")["review_status"] == "hidden"
    assert status_of(settings, made["id"]) == "hidden"
    # the moderator's flag decided it, whoever flagged last
    entry = log(client, moderator)[0]
    assert entry["action"] == "hide" and entry["moderator"] == "mod" and entry["review_id"] == made["id"]
    assert entry["note"] == "flags: spam, fake"  # the open flags' reasons, in the order given
    assert sql(settings, "SELECT kind, ref_id FROM tombstones WHERE kind = 'review'") == [("review", made["id"])]


def test_one_moderator_alone_does_not_hide(client, settings, target):
    made, _ = target
    assert flag(client, account(client, "mod", "moderator"), made["id"])["review_status"] == "visible"
    assert status_of(settings, made["id"]) == "visible"


def test_an_admin_alone_hides(client, settings, target):
    made, _ = target
    assert flag(client, account(client, "boss", "admin"), made["id"], "personal_data")["review_status"] == "hidden"
    assert status_of(settings, made["id"]) == "hidden"
    assert log(client, account(client, "mod", "moderator"))[0]["moderator"] == "boss"


def test_dismissed_flags_no_longer_count(client, settings, target):
    made, _ = target
    moderator = account(client, "mod", "moderator")
    flag(client, account(client, "wk1"), made["id"])
    assert decide(client, moderator, made["id"], "dismiss")["resolved_flags"] == 1
    # a moderator's flag alone now finds no open worker flag beside it
    assert flag(client, account(client, "mod2", "moderator"), made["id"])["review_status"] == "visible"
    assert flag(client, account(client, "wk2"), made["id"])["review_status"] == "hidden"


def test_flag_rules_for_the_flagger(client, settings, target):
    made, author = target
    worker = account(client, "wk1")
    assert_error(client.post(f"/api/v1/reviews/{made['id']}/flags", headers=author, json={"reason": "spam"}),
                 403, "own_review")
    flag(client, worker, made["id"])
    assert_error(client.post(f"/api/v1/reviews/{made['id']}/flags", headers=worker, json={"reason": "fake"}),
                 409, "already_flagged")
    assert_error(client.post("/api/v1/reviews/999999/flags", headers=worker, json={"reason": "spam"}), 404, "not_found")
    assert_error(client.post(f"/api/v1/reviews/{made['id']}/flags", json={"reason": "spam"}), 401)
    assert sql(client.app.state.settings, "SELECT count(*) FROM review_flags") == [(1,)]


@pytest.mark.parametrize("body, status, code, field", [
    ({"reason": "other"}, 422, "note_required", "note"),
    ({"reason": "other", "note": "   "}, 422, "note_required", "note"),
    ({"reason": "boring"}, 422, "invalid_field", "reason"),
    ({"reason": "spam", "note": "x" * 501}, 422, "invalid_field", "note"),
    ({"note": "no reason"}, 422, "invalid_field", "reason"),
    ({"reason": "spam", "extra": 1}, 422, "invalid_field", "extra"),
])
def test_bad_flags_are_refused(client, settings, target, body, status, code, field):
    made, _ = target
    assert_error(client.post(f"/api/v1/reviews/{made['id']}/flags", headers=account(client, "wk1"), json=body),
                 status, code, field)
    assert sql(settings, "SELECT count(*) FROM review_flags") == [(0,)]


def test_other_with_a_note_is_stored(client, settings, target):
    made, _ = target
    out = flag(client, account(client, "wk1"), made["id"], "other", "  copies another review  ")
    assert out["note"] == "copies another review"
    assert sql(settings, "SELECT reason, note FROM review_flags") == [("other", "copies another review")]


def test_hidden_review_is_a_404_to_flag_for_workers_but_not_for_moderators(client, target):
    made, _ = target
    admin = account(client, "boss", "admin")
    flag(client, admin, made["id"])
    assert_error(client.post(f"/api/v1/reviews/{made['id']}/flags", headers=account(client, "wk1"),
                             json={"reason": "spam"}), 404, "not_found")
    assert flag(client, account(client, "mod", "moderator"), made["id"])["review_status"] == "hidden"


def test_hidden_review_leaves_the_aggregates_and_restore_brings_it_back(client, settings):
    fans = [account(client, f"fan{i}") for i in range(3)]
    for headers, value in zip(fans, (5, 4, 5), strict=True):
        review(client, headers, **stars(value))
    before = summary(client)
    assert before["reviews"] == 3 and before["scores"]["pay"]["mean"] == 4.67  # 14 / 3, shown with two decimals
    platform_before = sql(settings, "SELECT ratings FROM platform_stats")

    hater = account(client, "hater")
    bad = review(client, hater, **stars(1, outcome="rejected"))
    with_bad = summary(client)
    assert with_bad["reviews"] == 4 and with_bad["rejections"] == 1
    assert with_bad["scores"]["pay"]["mean"] == 3.75  # (5 + 4 + 5 + 1) / 4

    flag(client, account(client, "boss", "admin"), bad["id"], "abusive")
    assert summary(client) == before  # counts, means, scores, rejections: as if it was never written
    assert sql(settings, "SELECT ratings FROM platform_stats") == platform_before
    listed = client.get("/api/v1/reviews", params={"platform": "mturk", "requester": "AREQ1"}).json()["items"]
    assert bad["id"] not in [r["id"] for r in listed] and len(listed) == 3

    restored = decide(client, account(client, "mod", "moderator"), bad["id"], "restore", "not abusive after all")
    assert restored["status"] == "visible" and restored["resolved_flags"] == 1
    assert summary(client) == with_bad
    assert means(client)["fairness"] == 3.75
