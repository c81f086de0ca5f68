"""The moderation API: roles, the queue, decisions, mutes and the log."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.api.conftest import assert_error
from tests.moderation.conftest import account, decide, flag, log, queue, review, sql, stars
from tests.database import as_utc

ROUTES = [
    ("GET", "/api/v1/moderation/queue", None),
    ("GET", "/api/v1/moderation/log", None),
    ("POST", "/api/v1/moderation/reviews/1/decision", {"action": "hide"}),
    ("POST", "/api/v1/moderation/workers/someone/mute", {"days": 1}),
    ("DELETE", "/api/v1/moderation/workers/someone/mute", None),
]


@pytest.mark.parametrize("method, path, body", ROUTES)
def test_workers_and_anonymous_callers_are_refused(client, settings, method, path, body):
    review(client, account(client, "someone"))
    worker = account(client, "plainworker")
    before = sql(settings, "SELECT * FROM reviews"), sql(settings, "SELECT * FROM workers")
    assert_error(client.request(method, path, headers=worker, json=body), 403, "forbidden")
    assert_error(client.request(method, path, json=body), 401, "unauthorized")
    assert (sql(settings, "SELECT * FROM reviews"), sql(settings, "SELECT * FROM workers")) == before
    assert sql(settings, "SELECT count(*) FROM moderation_actions") == [(0,)]


def test_flagged_queue_lists_open_flags_newest_flag_first_with_pages(client, settings):
    moderator = account(client, "mod", "moderator")
    authors = [account(client, f"author{i}", new=(i == 0)) for i in range(3)]
    made = [review(client, headers, **stars(2 + i)) for i, headers in enumerate(authors)]
    flaggers = [account(client, f"flagger{i}") for i in range(2)]
    flag(client, flaggers[0], made[0]["id"], "spam", "selling something")
    flag(client, flaggers[0], made[1]["id"], "fake")
    flag(client, flaggers[0], made[2]["id"], "off_topic")
    flag(client, flaggers[1], made[0]["id"], "abusive")  # review 0 now has the newest flag
    client.patch(f"/api/v1/reviews/{made[0]['id']}", headers=authors[0], json={"comment": "edited"})

    page = queue(client, moderator, limit=2)
    assert [item["review"]["id"] for item in page["items"]] == [made[0]["id"], made[2]["id"]]
    top = page["items"][0]
    assert [(f["reason"], f["flagger"], f["flagger_role"], f["resolved_at"]) for f in top["flags"]] == [
        ("abusive", "flagger1", "worker", None), ("spam", "flagger0", "worker", None)]
    assert top["flags"][1]["note"] == "selling something" and top["open_flags"] == 2
    assert top["author"]["handle"] == "author0" and top["author"]["new_account"] is True
    assert top["author"]["muted_until"] is None and top["author"]["created_at"]
    assert top["edits"] == 1 and top["review"]["edits"] == 1 and top["review"]["comment"] == "edited"
    assert top["review"]["status"] == "visible" and top["last_action"] is None
    assert page["items"][1]["author"]["new_account"] is False
    rest = queue(client, moderator, cursor=page["next_cursor"], limit=2)
    assert [item["review"]["id"] for item in rest["items"]] == [made[1]["id"]] and rest["next_cursor"] is None

    # a decision takes a review out of the flagged queue
    decide(client, moderator, made[2]["id"], "dismiss", "on topic enough")
    assert [item["review"]["id"] for item in queue(client, moderator)["items"]] == [made[0]["id"], made[1]["id"]]


@pytest.mark.parametrize("params, field", [
    ({"kind": "everything"}, "kind"), ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"cursor": "bogus"}, "cursor"),
])
def test_queue_bad_parameters(client, params, field):
    assert_error(client.get("/api/v1/moderation/queue", headers=account(client, "mod", "moderator"), params=params),
                 400, field=field)


def test_hide_restore_dismiss(client, settings):
    moderator = account(client, "mod", "moderator")
    made = review(client, account(client, "author"), **stars(1))
    flag(client, account(client, "flagger"), made["id"], "abusive")

    hidden = decide(client, moderator, made["id"], "hide", "slurs")
    assert hidden["status"] == "hidden" and hidden["resolved_flags"] == 1 and hidden["action"] == "hide"
    assert sql(settings, "SELECT resolved_at IS NOT NULL FROM review_flags") == [(1,)]
    hidden_queue = queue(client, moderator, "hidden")["items"]
    assert [item["review"]["id"] for item in hidden_queue] == [made["id"]]
    assert hidden_queue[0]["open_flags"] == 0 and hidden_queue[0]["flags"][0]["resolved_at"] is not None
    assert hidden_queue[0]["last_action"]["note"] == "slurs" and hidden_queue[0]["last_action"]["moderator"] == "mod"
    assert queue(client, moderator)["items"] == []

    restored = decide(client, moderator, made["id"], "restore")
    assert restored["status"] == "visible" and restored["resolved_flags"] == 0
    assert queue(client, moderator, "hidden")["items"] == []

    admin = account(client, "boss", "admin")
    flag(client, admin, made["id"])  # an admin's flag hides at once
    dismissed = decide(client, moderator, made["id"], "dismiss")
    assert dismissed["status"] == "visible" and dismissed["resolved_flags"] == 1  # dismiss brings it back too
    assert [e["action"] for e in log(client, moderator)] == ["dismiss", "hide", "restore", "hide"]
    # status changes left one tombstone per time the review left "visible"
    assert sql(settings, "SELECT count(*) FROM tombstones WHERE kind = 'review'") == [(2,)]


def test_decision_errors(client, settings):
    moderator = account(client, "mod", "moderator")
    own = review(client, moderator)
    assert_error(client.post(f"/api/v1/moderation/reviews/{own['id']}/decision", headers=moderator,
                             json={"action": "hide"}), 403, "own_review")
    assert_error(client.post("/api/v1/moderation/reviews/999999/decision", headers=moderator,
                             json={"action": "hide"}), 404, "not_found")
    assert_error(client.post(f"/api/v1/moderation/reviews/{own['id']}/decision", headers=moderator,
                             json={"action": "delete"}), 422, "invalid_field", "action")
    assert_error(client.post(f"/api/v1/moderation/reviews/{own['id']}/decision", headers=moderator,
                             json={"action": "hide", "note": "x" * 501}), 422, "invalid_field", "note")
    assert sql(settings, "SELECT status FROM reviews") == [("visible",)]
    assert sql(settings, "SELECT count(*) FROM moderation_actions") == [(0,)]


@pytest.mark.parametrize("actor, target, allowed", [
    ("moderator", "worker", True), ("admin", "worker", True), ("admin", "moderator", True),
    ("moderator", "moderator", False), ("moderator", "admin", False), ("admin", "admin", False),
])
def test_who_may_mute_whom(client, settings, actor, target, allowed):
    headers = account(client, "actor", actor)
    account(client, "target", target)
    response = client.post("/api/v1/moderation/workers/target/mute", headers=headers, json={"hours": 3, "reason": "spam"})
    if allowed:
        assert response.status_code == 200, response.text
        assert response.json()["handle"] == "target" and response.json()["role"] == target
        assert sql(settings, "SELECT muted_until IS NOT NULL, mute_reason FROM workers WHERE handle = 'target'") == [(1, "spam")]
    else:
        assert_error(response, 403, "forbidden")
        assert sql(settings, "SELECT muted_until FROM workers WHERE handle = 'target'") == [(None,)]
        assert_error(client.delete("/api/v1/moderation/workers/target/mute", headers=headers), 403, "forbidden")


def test_nobody_mutes_themselves(client):
    headers = account(client, "boss", "admin")
    assert_error(client.post("/api/v1/moderation/workers/boss/mute", headers=headers, json={"days": 1}), 403)


@pytest.mark.parametrize("body, field", [
    ({}, "days"), ({"days": 1, "hours": 2}, "days"), ({"days": 0}, "days"), ({"days": 366}, "days"),
    ({"hours": 0}, "hours"), ({"days": 1, "reason": "x" * 501}, "reason"),
])
def test_bad_mutes_are_refused(client, settings, body, field):
    account(client, "target")
    assert_error(client.post("/api/v1/moderation/workers/target/mute", headers=account(client, "mod", "moderator"),
                             json=body), 422, field=field)
    assert sql(settings, "SELECT muted_until FROM workers WHERE handle = 'target'") == [(None,)]


def test_mute_length_unknown_worker_and_unmute(client, settings):
    moderator = account(client, "mod", "moderator")
    account(client, "target")
    asked = datetime.now(timezone.utc)
    muted = client.post("/api/v1/moderation/workers/target/mute", headers=moderator, json={"days": 365}).json()
    until = datetime.fromisoformat(muted["muted_until"])
    assert timedelta(0) <= until - (asked + timedelta(days=365)) < timedelta(minutes=1)
    stored = as_utc(sql(settings, "SELECT muted_until FROM workers WHERE handle = 'target'")[0][0])
    assert timedelta(days=364.99) < stored - datetime.now(timezone.utc) <= timedelta(days=365)
    assert_error(client.post("/api/v1/moderation/workers/nobody/mute", headers=moderator, json={"days": 1}), 404)
    assert client.delete("/api/v1/moderation/workers/target/mute", headers=moderator).status_code == 200
    assert_error(client.delete("/api/v1/moderation/workers/target/mute", headers=moderator), 409, "not_muted")
    entries = log(client, moderator)
    assert [(e["action"], e["worker"], e["moderator"], e["review_id"]) for e in entries] == [
        ("unmute", "target", "mod", None), ("mute", "target", "mod", None)]
    assert entries[1]["note"].startswith("until ")


def test_log_pages_newest_first(client):
    moderator = account(client, "mod", "moderator")
    made = [review(client, account(client, f"author{i}"), **stars(3)) for i in range(5)]
    for item in made:
        decide(client, moderator, item["id"], "hide")
    first = client.get("/api/v1/moderation/log", headers=moderator, params={"limit": 3}).json()
    second = client.get("/api/v1/moderation/log", headers=moderator,
                        params={"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [e["review_id"] for e in first["items"] + second["items"]] == [r["id"] for r in reversed(made)]
    assert second["next_cursor"] is None
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)


def test_muted_moderator_cannot_moderate(client, settings):
    moderator = account(client, "mod", "moderator")
    made = review(client, account(client, "author"))
    client.post("/api/v1/moderation/workers/mod/mute", headers=account(client, "boss", "admin"), json={"days": 1})
    assert_error(client.post(f"/api/v1/moderation/reviews/{made['id']}/decision", headers=moderator,
                             json={"action": "hide"}), 403, "muted")
    assert queue(client, moderator)["items"] == []  # reading the queue still works
