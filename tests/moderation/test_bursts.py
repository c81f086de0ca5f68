"""Review bombing and new accounts: bursts are held; new accounts' evidence is kept and counts from their eighth
day, then by their standing (server/domain/weights.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.domain.figures import two_decimals
from server.jobs import refresh_recent
from server.domain.moderation import BURST_SIZE, NEW_ACCOUNT_AGE
from tests.api.conftest import assert_error
from tests.moderation.conftest import (account, age_account, decide, log, means, queue, review, run_job, sql, stars,
                                       summary)


@pytest.fixture
def history(client):
    """AREQ1 with an established 4-5 star history: 4 reviews, pay 5, 4, 5, 4 (mean 4.5)."""
    for i, value in enumerate((5, 4, 5, 4)):
        review(client, account(client, f"regular{i}"), **stars(value))
    figures = summary(client)
    assert figures["reviews"] == 4 and figures["scores"]["pay"]["mean"] == 4.5
    return figures


def bomb(client, i, requester_id="AREQ1", value=1):
    return review(client, account(client, f"fresh{i}", new=True), **stars(value, requester_id=requester_id))


def test_review_bombing_is_held_and_the_score_does_not_move(client, settings, history):
    moderator = account(client, "mod", "moderator")
    first = bomb(client, 0)
    assert first["status"] == "visible"
    # one or two fresh accounts are not a burst, and their ratings do not count yet: the mean does not move
    assert means(client)["pay"] == 4.5
    second = bomb(client, 1)
    assert second["status"] == "visible"

    third = bomb(client, 2)
    assert third["status"] == "held"  # still 201: the review is stored, shown to its author as held
    assert summary(client) == history  # the whole burst is held: as if none of it was written
    later = [bomb(client, i) for i in (3, 4)]
    assert [r["status"] for r in later] == ["held", "held"]
    assert summary(client) == history

    held = queue(client, moderator, "held")
    assert [item["review"]["id"] for item in held["items"]] == [r["id"] for r in reversed([first, second, third, *later])]
    assert all(item["author"]["new_account"] and item["review"]["status"] == "held" for item in held["items"])
    assert held["items"][-1]["last_action"]["action"] == "hold"
    assert held["items"][-1]["last_action"]["moderator"] == "automatic"
    assert held["items"][-1]["last_action"]["note"] == f"burst: {BURST_SIZE} reviews from new accounts in 24 h"
    assert held["items"][0]["last_action"]["note"] == "burst: 5 reviews from new accounts in 24 h"
    # held reviews stay out of the public list; their authors still see them
    listed = client.get("/api/v1/reviews", params={"platform": "mturk", "requester": "AREQ1"}).json()["items"]
    assert len(listed) == 4
    assert_error(client.get(f"/api/v1/reviews/{third['id']}"), 404)
    holds = [e for e in log(client, moderator) if e["action"] == "hold"]
    assert sorted(e["review_id"] for e in holds) == sorted(item["review"]["id"] for item in held["items"])
    # a review written before the burst and published is tombstoned; one held as it was written never was
    assert {r[0] for r in sql(settings, "SELECT ref_id FROM tombstones WHERE kind = 'review'")} == {first["id"], second["id"]}


def test_a_moderator_restore_moves_the_score_and_sticks(client, settings, history):
    moderator = account(client, "mod", "moderator")
    reviews = [bomb(client, i) for i in range(3)]
    decided = decide(client, moderator, reviews[0]["id"], "restore", "a real rejection")
    assert decided["status"] == "visible"
    # restored and shown, but a new account's rating counts only from its eighth day: the mean stays
    assert means(client)["pay"] == 4.5
    assert summary(client)["reviews"] == 5
    # the next fresh 1-star joins the burst and is held; the restored review is not held again
    assert bomb(client, 3)["status"] == "held"
    assert sql(settings, "SELECT status FROM reviews WHERE id = ?", reviews[0]["id"]) == [("visible",)]
    assert means(client)["pay"] == 4.5


def test_other_requesters_and_established_accounts_are_not_part_of_a_burst_but_high_ratings_are(client, history):
    bomb(client, 0)
    bomb(client, 1, requester_id="AREQ2")  # another requester
    assert review(client, account(client, "veteran"), **stars(1))["status"] == "visible"  # not a new account
    assert bomb(client, 2)["status"] == "visible"  # only 2 reviews from new accounts on AREQ1
    # a 5-star burst moves figures as surely as a 1-star one: it is held too
    assert bomb(client, 3, value=5)["status"] == "held"


def test_old_low_reviews_do_not_make_a_burst(client, settings, history):
    bomb(client, 0)
    bomb(client, 1)
    yesterday = (datetime.now(timezone.utc) - timedelta(hours=25)).strftime("%Y-%m-%d %H:%M:%S.%f")
    sql(settings, "UPDATE reviews SET updated_at = ?, created_at = ? WHERE status = 'visible' AND worker_id IN "
                  "(SELECT id FROM workers WHERE handle LIKE 'fresh%')", yesterday, yesterday)
    assert bomb(client, 2)["status"] == "visible"


def test_an_edit_that_gives_a_review_evidence_can_complete_a_burst(client, settings, history):
    bomb(client, 0)
    bomb(client, 1)
    sneaky_headers = account(client, "sneaky", new=True)
    # a comment alone moves no figure: not part of a burst
    sneaky = review(client, sneaky_headers, **stars(5, ratings={}, outcome=None, comment="Nice requester."))
    assert sneaky["status"] == "visible"
    edited = client.patch(f"/api/v1/reviews/{sneaky['id']}", headers=sneaky_headers, json={"ratings": {"pay": 1}})
    assert edited.status_code == 200 and edited.json()["status"] == "held"
    assert summary(client) == history


def test_a_rejection_is_low(client, history):
    for i in range(3):
        made = review(client, account(client, f"fresh{i}", new=True),
                      **stars(5, outcome="rejected"))
    assert made["status"] == "held"
    assert summary(client) == history


def test_new_account_counts_from_its_eighth_day_by_its_standing(client, settings):
    # two requesters alike: two established 5-star reviews each
    for rid in ("AREQ1", "AREQ2"):
        for i in range(2):
            review(client, account(client, f"fan{rid}{i}"), **stars(5, requester_id=rid))
    review(client, account(client, "newbie", new=True), **stars(1, requester_id="AREQ1"))
    review(client, account(client, "veteran"), **stars(1, requester_id="AREQ2"))
    new_mean, full_mean = means(client, "AREQ1")["pay"], means(client, "AREQ2")["pay"]
    assert new_mean == 5  # kept, not counted: a new account's 1 star does not move the mean at all
    assert full_mean == 3.67  # 11 / 3, shown with two decimals
    assert summary(client, "AREQ1")["reviews"] == 3  # the review is there and shown
    assert summary(client, "AREQ1")["scores"]["pay"]["n"] == 2  # its rating does not count yet

    # a run while the newbie is still new: its standing is stored, its weight is still 0
    early = run_job(settings, lambda sm: refresh_recent(sm, datetime.now(timezone.utc) - timedelta(minutes=1)))
    assert early.counts == {"requesters": 0}
    # a day after the newbie stopped being new
    age_account(settings, "newbie", NEW_ACCOUNT_AGE + timedelta(days=1))
    assert means(client, "AREQ1")["pay"] == new_mean  # nothing recomputed it yet: this is what the job does
    outcome = run_job(settings, lambda sm: refresh_recent(sm, datetime.now(timezone.utc) - timedelta(days=2)))
    assert outcome.counts == {"requesters": 1}  # AREQ1 only: AREQ2's reviewers' weights did not change
    # 8 days old with evidence about one requester: 0.25 + 0.05 = 0.3 of a full account (weights.py)
    assert means(client, "AREQ1")["pay"] == two_decimals((2 * 5 + 0.3 * 1) / 2.3)  # shown with two decimals
    assert full_mean < means(client, "AREQ1")["pay"] < new_mean


def test_moderators_are_never_new_accounts(client):
    for i in range(2):
        review(client, account(client, f"fan{i}"), **stars(5))
    review(client, account(client, "newmod", "moderator", new=True), **stars(1))
    assert means(client)["pay"] == 3.67  # 11 / 3, shown with two decimals
