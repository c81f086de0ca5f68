"""Timings from the extension: POST /api/v1/timings, GET/DELETE /api/v1/me/timings."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import group_id
from tests.api.conftest import BAD_AUTH, a_timing, assert_error


def post_timing(client, headers, expected=201, **changes):
    response = client.post("/api/v1/timings", headers=headers, json=a_timing(**changes))
    assert response.status_code == expected, response.text
    return response.json()


def test_create_timing(client, alice, db):
    timing = post_timing(client, alice, accepted_at="2026-01-10T12:00:00+02:00", ended_at="2026-01-10T10:10:30Z",
                         hit_set_id=group_id("3HIT"), requester_name="Shop Lab")
    assert timing["platform"] == "mturk"
    assert timing["requester_id"] == "AREQ1"
    assert timing["title"] == "Survey about shopping"
    assert timing["reward_cents"] == 100 and timing["currency"] == "USD"
    assert timing["assignment_id"] == "ASSIGN1"
    assert timing["accepted_at"] == "2026-01-10T10:00:00Z"  # given with an offset, returned in UTC
    assert timing["ended_at"] == "2026-01-10T10:10:30Z"
    assert timing["seconds"] == 630
    assert timing["outcome"] == "submitted"
    assert db.rows("SELECT seconds, outcome, assignment_id FROM timings") == [(630.0, "submitted", "ASSIGN1")]
    # the task it was measured on is recorded
    assert db.rows("SELECT title, latest_hit_set_id FROM task_types") == [("Survey about shopping", group_id("3HIT"))]
    assert client.get("/api/v1/requesters/mturk/AREQ1").json()["name"] == "Shop Lab"


def test_idempotent_by_assignment_id(client, alice, bob, db):
    first = post_timing(client, alice)
    before = db.dump()
    again = post_timing(client, alice, expected=200)
    assert again == first
    # even a changed re-send returns the first record unchanged
    changed = post_timing(client, alice, expected=200, ended_at="2026-01-10T10:20:00Z", outcome="returned")
    assert changed == first
    assert db.count("timings") == 1
    assert db.dump() == before
    # assignment ids are per worker
    assert post_timing(client, bob)["id"] != first["id"]
    assert db.count("timings") == 2


def test_without_assignment_id_every_post_is_a_timing(client, alice, db):
    body = a_timing()
    del body["assignment_id"]
    ids = {client.post("/api/v1/timings", headers=alice, json=body).json()["id"] for _ in range(2)}
    assert len(ids) == 2
    assert db.count("timings") == 2


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


NOW = datetime.now(timezone.utc)

BAD_TIMINGS = [
    (a_timing(ended_at="2026-01-10T09:59:59Z"), "ended_at"),  # ended before accepted
    (a_timing(ended_at="2026-01-10T10:00:00Z"), "ended_at"),  # zero length
    (a_timing(ended_at="2026-01-11T10:00:01Z"), "ended_at"),  # longer than 24 h
    (a_timing(accepted_at="2026-01-10T10:00:00"), "accepted_at"),  # naive
    (a_timing(ended_at="2026-01-10T10:10:00"), "ended_at"),  # naive
    (a_timing(accepted_at=_iso(NOW + timedelta(hours=1)), ended_at=_iso(NOW + timedelta(hours=2))), "ended_at"),
    (a_timing(accepted_at="0001-01-01T00:00:00+14:00", ended_at="0001-01-01T00:10:00+14:00"), "accepted_at"),
    (a_timing(accepted_at="9999-12-31T23:00:00-14:00", ended_at="9999-12-31T23:10:00-14:00"), "accepted_at"),
    (a_timing(accepted_at="yesterday"), "accepted_at"),
    (a_timing(accepted_at="2026-13-01T00:00:00Z"), "accepted_at"),
    (a_timing(outcome="done"), "outcome"),
    (a_timing(outcome=None), "outcome"),
    (a_timing(reward_cents=-5), "reward_cents"),
    (a_timing(reward_cents="a dollar"), "reward_cents"),
    (a_timing(reward_cents=1.5), "reward_cents"),
    (a_timing(currency="dollars"), "currency"),
    (a_timing(title=""), "title"),
    (a_timing(title="t" * 501), "title"),
    (a_timing(platform="Mechanical Turk"), "platform"),
    (a_timing(requester_id=""), "requester_id"),
    (a_timing(requester_id="  "), "requester_id"),
    (a_timing(title="\n"), "title"),
    (a_timing(assignment_id=""), "assignment_id"),
    (a_timing(assignment_id="a" * 129), "assignment_id"),
    (a_timing(hit_set_id={"id": 1}), "hit_set_id"),
    (a_timing(bonus_cents=-1), "bonus_cents"),
    (a_timing(bonus_cents=100_001), "bonus_cents"),  # above $1,000: no microtask bonus, a typo or junk
    (a_timing(bonus_cents=0.5), "bonus_cents"),  # whole cents only
    (a_timing(seconds=600), None),  # unknown field: seconds are computed, not sent
    ({k: v for k, v in a_timing().items() if k != "title"}, None),  # missing required field
    ([a_timing()], None),
]


@pytest.mark.parametrize(("body", "field"), BAD_TIMINGS)
def test_create_timing_bad_input(client, alice, db, body, field):
    post_timing(client, alice, assignment_id="EXISTING")
    before = db.dump()
    error = assert_error(client.post("/api/v1/timings", headers=alice, json=body), 422, "invalid_field", field)
    if isinstance(body, dict) and "seconds" in body:
        assert "seconds" in error["message"]
    if isinstance(body, dict) and "title" not in body:
        assert "title" in error["message"]
    if field == "bonus_cents":  # says what is allowed, in words
        assert error["message"].startswith("bonus_cents: must be "), error
        assert "100,000" in error["message"] or "whole number" in error["message"], error
    assert db.dump() == before


def test_a_timing_carries_the_bonus_its_page_showed(client, alice, db):
    timing = post_timing(client, alice, bonus_cents=25, outcome="approved")
    assert timing["bonus_cents"] == 25
    assert db.rows("SELECT bonus_cents FROM timings") == [(25,)]
    # no bonus known: stored as unknown (NULL), not as "no bonus"
    unknown = post_timing(client, alice, assignment_id="ASSIGN2")
    assert unknown["bonus_cents"] is None
    none = post_timing(client, alice, assignment_id="ASSIGN3", bonus_cents=0)
    assert none["bonus_cents"] == 0
    assert sorted(db.rows("SELECT assignment_id, bonus_cents FROM timings"), key=str) == [
        ("ASSIGN1", 25), ("ASSIGN2", None), ("ASSIGN3", 0)]
    listed = client.get("/api/v1/me/timings", headers=alice).json()["items"]
    assert {t["assignment_id"]: t["bonus_cents"] for t in listed} == {"ASSIGN1": 25, "ASSIGN2": None, "ASSIGN3": 0}


def test_a_resent_timing_can_only_raise_its_bonus(client, alice, db):
    first = post_timing(client, alice)
    assert first["bonus_cents"] is None
    # the bonus was paid later: re-sending the timing with it keeps the first record and adds the bonus
    again = post_timing(client, alice, expected=200, bonus_cents=40, ended_at="2026-01-10T10:20:00Z")
    assert again == {**first, "bonus_cents": 40}
    assert db.rows("SELECT seconds, bonus_cents FROM timings") == [(600.0, 40)]
    # an older page (no bonus, or a smaller one) never takes it away
    post_timing(client, alice, expected=200)
    post_timing(client, alice, expected=200, bonus_cents=10)
    assert db.rows("SELECT seconds, bonus_cents FROM timings") == [(600.0, 40)]


def test_create_timing_invalid_json(client, alice, db):
    before = db.dump()
    response = client.post("/api/v1/timings", headers={**alice, "content-type": "application/json"}, content=b"[1,2")
    assert response.status_code == 400
    assert db.dump() == before


def test_list_own_timings_newest_first(client, alice, bob):
    ids = [post_timing(client, alice, assignment_id=f"A{i}")["id"] for i in range(5)]
    post_timing(client, bob, assignment_id="BOB1")
    listed = client.get("/api/v1/me/timings", headers=alice)
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()["items"]] == ids[::-1]
    assert listed.json()["next_cursor"] is None

    seen, cursor = [], None
    for _ in range(3):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/me/timings", headers=alice, params=params).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
    assert cursor is None
    assert seen == ids[::-1]


def test_timings_are_private(client, alice, bob, db):
    timing = post_timing(client, alice)
    assert client.get("/api/v1/me/timings", headers=bob).json() == {"items": [], "next_cursor": None}
    before = db.dump()
    assert_error(client.delete(f"/api/v1/me/timings/{timing['id']}", headers=bob), 404, "not_found")
    assert db.dump() == before
    assert [t["id"] for t in client.get("/api/v1/me/timings", headers=alice).json()["items"]] == [timing["id"]]
    # nothing about a single timing is public
    requester = client.get("/api/v1/requesters/mturk/AREQ1").text
    assert "ASSIGN1" not in requester


def test_delete_own_timing(client, alice, db):
    timing = post_timing(client, alice)
    response = client.delete(f"/api/v1/me/timings/{timing['id']}", headers=alice)
    assert response.status_code == 204
    assert db.count("timings") == 0
    assert client.get("/api/v1/me/timings", headers=alice).json()["items"] == []
    assert_error(client.delete(f"/api/v1/me/timings/{timing['id']}", headers=alice), 404, "not_found")
    # the assignment can be sent again once its timing is gone
    post_timing(client, alice)
    assert db.count("timings") == 1


@pytest.mark.parametrize("timing_id", ["4242", "0", "-1", "99999999999999999999999"])
def test_delete_unknown_timing(client, alice, db, timing_id):
    post_timing(client, alice)
    before = db.dump()
    assert_error(client.delete(f"/api/v1/me/timings/{timing_id}", headers=alice), 404, "not_found")
    assert db.dump() == before


@pytest.mark.parametrize(("params", "code", "field"), [
    ({"cursor": "###"}, "invalid_cursor", "cursor"),
    ({"cursor": base64.urlsafe_b64encode(b"r" + b"9" * 30).decode()}, "invalid_cursor", "cursor"),
    ({"limit": 0}, "invalid_parameter", "limit"),
    ({"limit": 201}, "invalid_parameter", "limit"),
    ({"limit": "all"}, "invalid_parameter", "limit"),
])
def test_list_timings_bad_parameters(client, alice, params, code, field):
    post_timing(client, alice)
    assert_error(client.get("/api/v1/me/timings", headers=alice, params=params), 400, code, field)


@pytest.mark.parametrize("auth", [*BAD_AUTH, "revoked"])
def test_timings_need_a_valid_token(client, alice, db, revoked, auth):
    headers, code = (revoked, "invalid_token") if auth == "revoked" else BAD_AUTH[auth]
    timing = post_timing(client, alice)
    before = db.dump()
    assert_error(client.post("/api/v1/timings", headers=headers, json=a_timing(assignment_id="NEW")), 401, code)
    assert_error(client.get("/api/v1/me/timings", headers=headers), 401, code)
    assert_error(client.delete(f"/api/v1/me/timings/{timing['id']}", headers=headers), 401, code)
    assert db.dump() == before
