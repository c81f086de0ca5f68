"""Accounts, tokens and saved filters: /api/v1/workers and /api/v1/me/…"""
from __future__ import annotations

import pytest

from server.auth import hash_token, platform_id_hmac
from tests.api.conftest import BAD_AUTH, assert_error, sign_up
from tests.conftest import TEST_SECRET, register

RAW_WORKER_ID = "A3RAWWORKERID7Q"


# ------------------------------------------------------------------------------------------------
# Registration


def test_register_returns_account_and_working_token(client, db):
    response = client.post("/api/v1/workers", json={"handle": "alice", "token_label": "laptop"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["worker"]["handle"] == "alice"
    assert body["worker"]["role"] == "worker"
    assert body["worker"]["platforms"] == []
    assert body["token"].startswith("ff_")
    assert body["token_info"]["label"] == "laptop"
    assert body["token_info"]["revoked_at"] is None

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == body["worker"]["id"]
    assert me.json()["handle"] == "alice"
    # only the hash of the token is stored
    assert db.rows("SELECT token_hash FROM tokens") == [(hash_token(body["token"]),)]
    assert body["token"].encode() not in db.file_bytes()


def test_register_without_handle_generates_one(client):
    response = client.post("/api/v1/workers", json={})
    assert response.status_code == 201
    assert response.json()["worker"]["handle"].startswith("worker-")


def test_register_handle_taken(client, db):
    register(client, "alice")
    before = db.dump()
    body = assert_error(client.post("/api/v1/workers", json={"handle": "alice"}), 409, "handle_taken", "handle")
    assert "alice" in body["message"]
    assert db.dump() == before


def test_platform_ids_are_stored_only_as_hmac(client, db):
    response = client.post("/api/v1/workers", json={
        "handle": "alice", "platform_ids": [{"platform": "mturk", "worker_id": RAW_WORKER_ID},
                                            {"platform": "prolific", "worker_id": "5f1e2d3c4b5a69788796a5b4"}]})
    assert response.status_code == 201, response.text
    assert response.json()["worker"]["platforms"] == ["mturk", "prolific"]
    assert RAW_WORKER_ID not in response.text

    rows = dict(db.rows("SELECT platform, id_hmac FROM worker_platform_ids"))
    assert rows["mturk"] == platform_id_hmac(TEST_SECRET, "mturk", RAW_WORKER_ID)
    assert rows["mturk"] != RAW_WORKER_ID and len(rows["mturk"]) == 64
    assert "5f1e2d3c4b5a69788796a5b4" not in rows["prolific"]

    stored = db.file_bytes()
    for raw in (RAW_WORKER_ID, RAW_WORKER_ID.lower(), "5f1e2d3c4b5a69788796a5b4"):
        assert raw.encode() not in stored
        assert raw.encode("utf-16-le") not in stored

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json()['token']}"})
    assert me.json()["platforms"] == ["mturk", "prolific"]
    assert RAW_WORKER_ID not in me.text


def test_platform_id_linked_twice_is_refused(client, db):
    first = client.post("/api/v1/workers", json={"handle": "alice",
                                                  "platform_ids": [{"platform": "mturk", "worker_id": RAW_WORKER_ID}]})
    assert first.status_code == 201
    before = db.dump()
    # worker ids are compared case-insensitively and without surrounding spaces
    again = client.post("/api/v1/workers", json={
        "handle": "mallory", "platform_ids": [{"platform": "mturk", "worker_id": f" {RAW_WORKER_ID.lower()} "}]})
    assert_error(again, 409, "platform_id_taken", "platform_ids")
    assert db.dump() == before
    # the same id on another platform is another identity
    other = client.post("/api/v1/workers", json={"handle": "carol",
                                                  "platform_ids": [{"platform": "prolific", "worker_id": RAW_WORKER_ID}]})
    assert other.status_code == 201


BAD_REGISTRATIONS = [
    ({"handle": "ab"}, "handle"),
    ({"handle": "x" * 41}, "handle"),
    ({"handle": "has space"}, "handle"),
    ({"handle": "<script>"}, "handle"),
    ({"handle": 12345}, "handle"),
    ({"token_label": "x" * 81}, "token_label"),
    ({"token_label": 5}, "token_label"),
    ({"platform_ids": "mturk:A1"}, "platform_ids"),
    ({"platform_ids": [{"platform": "mturk", "worker_id": f"A{i}"} for i in range(11)]}, "platform_ids"),
    ({"platform_ids": [{"platform": "MTurk", "worker_id": "A1"}]}, "platform_ids[0].platform"),
    ({"platform_ids": [{"platform": "mturk", "worker_id": ""}]}, "platform_ids[0].worker_id"),
    ({"platform_ids": [{"platform": "mturk", "worker_id": "x" * 129}]}, "platform_ids[0].worker_id"),
    ({"platform_ids": [{"platform": "mturk"}]}, None),  # missing required field (named in the message)
    ({"handle": "fine", "handel": "typo"}, None),  # unknown field
    ({"platform_ids": [{"platform": "mturk", "worker_id": "A1", "extra": 1}]}, None),
    ([], None),
    ("alice", None),
]


@pytest.mark.parametrize(("body", "field"), BAD_REGISTRATIONS)
def test_register_bad_input(client, db, body, field):
    register(client, "existing")
    before = db.dump()
    error = assert_error(client.post("/api/v1/workers", json=body), 422, "invalid_field", field)
    if isinstance(body, dict) and "handel" in body:
        assert "handel" in error["message"]
    if body == {"platform_ids": [{"platform": "mturk"}]}:
        assert "worker_id" in error["message"]
    assert db.dump() == before


def test_register_invalid_json(client, db):
    before = db.dump()
    response = client.post("/api/v1/workers", content=b'{"handle": alice}', headers={"content-type": "application/json"})
    assert_error(response, 400, "invalid_json")
    assert db.dump() == before


# ------------------------------------------------------------------------------------------------
# /me and tokens


def test_me(client, alice):
    response = client.get("/api/v1/me", headers=alice)
    assert response.status_code == 200
    assert response.json()["handle"] == "alice"


ME_ROUTES = [
    ("GET", "/api/v1/me", None),
    ("GET", "/api/v1/me/tokens", None),
    ("POST", "/api/v1/me/tokens", {"label": "x"}),
    ("DELETE", "/api/v1/me/tokens/1", None),
    ("GET", "/api/v1/me/filters", None),
    ("PUT", "/api/v1/me/filters", {"min_hourly_cents": 900}),
]


@pytest.mark.parametrize(("method", "path", "body"), ME_ROUTES)
@pytest.mark.parametrize("auth", [*BAD_AUTH, "revoked"])
def test_me_routes_need_a_valid_token(client, db, revoked, method, path, body, auth):
    headers, code = (revoked, "invalid_token") if auth == "revoked" else BAD_AUTH[auth]
    before = db.dump()
    response = client.request(method, path, headers=headers, json=body)
    assert_error(response, 401, code)
    assert db.dump() == before


def test_tokens_list_never_shows_values(client, db):
    first = client.post("/api/v1/workers", json={"handle": "alice"}).json()
    headers = {"Authorization": f"Bearer {first['token']}"}
    second = client.post("/api/v1/me/tokens", headers=headers, json={"label": "phone"})
    assert second.status_code == 201
    assert second.json()["token"].startswith("ff_")
    assert second.json()["token_info"]["label"] == "phone"

    listed = client.get("/api/v1/me/tokens", headers=headers)
    assert listed.status_code == 200
    tokens = listed.json()
    assert [t["label"] for t in tokens] == ["first token", "phone"]
    for token in tokens:
        assert set(token) == {"id", "label", "created_at", "last_used_at", "revoked_at"}
    for value in (first["token"], second.json()["token"]):
        assert value not in listed.text
        assert hash_token(value) not in listed.text
    assert tokens[0]["last_used_at"] is not None  # it was just used


def test_issue_token_without_body(client, alice):
    response = client.post("/api/v1/me/tokens", headers=alice)
    assert response.status_code == 201
    assert response.json()["token_info"]["label"] == ""


def test_revoked_token_gets_401(client, alice, db):
    issued = client.post("/api/v1/me/tokens", headers=alice, json={"label": "old"}).json()
    old = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get("/api/v1/me", headers=old).status_code == 200

    assert client.delete(f"/api/v1/me/tokens/{issued['token_info']['id']}", headers=alice).status_code == 204
    assert_error(client.get("/api/v1/me", headers=old), 401, "invalid_token")
    assert_error(client.post("/api/v1/reviews", headers=old, json={}), 401, "invalid_token")
    # the other token still works, and the list shows when the old one was revoked
    tokens = {t["id"]: t for t in client.get("/api/v1/me/tokens", headers=alice).json()}
    assert tokens[issued["token_info"]["id"]]["revoked_at"] is not None
    assert db.value("SELECT revoked_at IS NOT NULL FROM tokens WHERE id = ?", issued["token_info"]["id"]) == 1
    # revoking twice: there is no active token with that id any more
    assert_error(client.delete(f"/api/v1/me/tokens/{issued['token_info']['id']}", headers=alice), 404, "not_found")


def test_a_worker_can_revoke_its_current_token(client):
    headers = register(client, "alice")
    own_id = client.get("/api/v1/me/tokens", headers=headers).json()[0]["id"]
    assert client.delete(f"/api/v1/me/tokens/{own_id}", headers=headers).status_code == 204
    assert_error(client.get("/api/v1/me", headers=headers), 401, "invalid_token")


def test_cannot_revoke_someone_elses_token(client, alice, bob, db):
    bobs_token_id = client.get("/api/v1/me/tokens", headers=bob).json()[0]["id"]
    before = db.dump()
    assert_error(client.delete(f"/api/v1/me/tokens/{bobs_token_id}", headers=alice), 404, "not_found")
    assert db.dump() == before
    assert client.get("/api/v1/me", headers=bob).status_code == 200


@pytest.mark.parametrize("token_id", ["999", "0", "-1", "99999999999999999999999"])
def test_revoke_unknown_token(client, alice, db, token_id):
    before = db.dump()
    assert_error(client.delete(f"/api/v1/me/tokens/{token_id}", headers=alice), 404, "not_found")
    assert db.dump() == before


def test_revoke_token_id_not_a_number(client, alice):
    assert_error(client.delete("/api/v1/me/tokens/abc", headers=alice), 404, "not_found")


def test_at_most_20_active_tokens(client, alice, db):
    issued = [client.post("/api/v1/me/tokens", headers=alice, json={"label": f"t{i}"}) for i in range(19)]
    assert [r.status_code for r in issued] == [201] * 19
    assert db.count("tokens") == 20
    before = db.dump()
    assert_error(client.post("/api/v1/me/tokens", headers=alice, json={"label": "one too many"}), 409, "too_many_tokens")
    assert db.dump() == before
    # revoked tokens do not count
    assert client.delete(f"/api/v1/me/tokens/{issued[0].json()['token_info']['id']}", headers=alice).status_code == 204
    assert client.post("/api/v1/me/tokens", headers=alice, json={"label": "again"}).status_code == 201


@pytest.mark.parametrize(("body", "field"), [
    ({"label": "x" * 81}, "label"),
    ({"label": 7}, "label"),
    ({"label": None}, "label"),
    ({"label": "ok", "scope": "admin"}, None),
    ([], None),
])
def test_issue_token_bad_input(client, alice, db, body, field):
    before = db.dump()
    assert_error(client.post("/api/v1/me/tokens", headers=alice, json=body), 422, "invalid_field", field)
    assert db.dump() == before


# ------------------------------------------------------------------------------------------------
# Saved filters


def test_filters_default_then_saved(client, alice, bob, db):
    defaults = client.get("/api/v1/me/filters", headers=alice)
    assert defaults.status_code == 200
    assert defaults.json()["target_cents_per_hour"] == 725
    assert defaults.json()["block"] == []

    wanted = {"target_cents_per_hour": 1200, "min_reward_cents": 50, "max_minutes": 30,
              "block": [{"pattern": "ABAD*", "match": "wildcard", "expires_at": "2099-01-01T00:00:00Z", "note": "slow"}],
              "keywords_exclude": ["transcribe"], "hide_needs": ["needs_sight"]}
    saved = client.put("/api/v1/me/filters", headers=alice, json=wanted)
    assert saved.status_code == 200, saved.text
    read = client.get("/api/v1/me/filters", headers=alice).json()
    assert read == saved.json()
    for key, value in wanted.items():
        if key != "block":
            assert read[key] == value
    assert read["block"][0]["pattern"] == "ABAD*"
    assert read["block"][0]["note"] == "slow"
    assert db.count("saved_filters") == 1
    # replacing, not merging
    client.put("/api/v1/me/filters", headers=alice, json={"min_hourly_cents": 900})
    read = client.get("/api/v1/me/filters", headers=alice).json()
    assert read["min_hourly_cents"] == 900 and read["block"] == [] and read["target_cents_per_hour"] == 725
    assert db.count("saved_filters") == 1
    # another worker's filters are their own
    assert client.get("/api/v1/me/filters", headers=bob).json()["min_hourly_cents"] is None


BAD_FILTERS = [
    ({"target_cents_per_hour": 0}, "target_cents_per_hour"),
    ({"target_cents_per_hour": "seven"}, "target_cents_per_hour"),
    ({"target_cents_per_hour": [725]}, "target_cents_per_hour"),
    ({"target_cents_per_hour": 10**12}, "target_cents_per_hour"),
    ({"min_hourly_cents": -1}, "min_hourly_cents"),
    ({"max_minutes": 0}, "max_minutes"),
    ({"qualified_only": "yes"}, "qualified_only"),
    ({"block": [{"pattern": ""}]}, "block[0].pattern"),
    ({"block": [{"pattern": "   "}]}, "block[0].pattern"),
    ({"block": [{"pattern": "*", "match": "wildcard"}]}, "block[0].pattern"),
    ({"block": [{"pattern": "A1", "match": "regex"}]}, "block[0].match"),
    ({"block": [{"pattern": "A1", "expires_at": "2099-01-01T00:00:00"}]}, "block[0].expires_at"),
    ({"block": [{"pattern": "A1", "note": "n" * 501}]}, "block[0].note"),
    ({"include": [{"pattern": "x" * 201}]}, "include[0].pattern"),
    ({"keywords_include": [""]}, "keywords_include[0]"),
    ({"hide_needs": ["telepathy"]}, "hide_needs[0]"),
    ({"min_hourly": 900}, "min_hourly"),  # a typo must not silently save "no minimum"
    ({"block": [{"pattern": "A1", "mach": "substring"}]}, "block[0].mach"),
    ({"block": [{}]}, "block[0].pattern"),
    ([], None),
]


@pytest.mark.parametrize(("body", "field"), BAD_FILTERS)
def test_put_filters_bad_input(client, alice, db, body, field):
    client.put("/api/v1/me/filters", headers=alice, json={"min_reward_cents": 10})
    before = db.dump()
    error = assert_error(client.put("/api/v1/me/filters", headers=alice, json=body), 422, "invalid_field", field)
    if body == {"min_hourly": 900}:
        assert "min_hourly" in error["message"]
    assert db.dump() == before
    assert client.get("/api/v1/me/filters", headers=alice).json()["min_reward_cents"] == 10


def test_put_filters_invalid_json(client, alice, db):
    before = db.dump()
    response = client.put("/api/v1/me/filters", headers={**alice, "content-type": "application/json"}, content=b"{,}")
    assert_error(response, 400, "invalid_json")
    assert db.dump() == before


def test_sign_up_helper_sets_last_used(client, db):
    sign_up(client, "zed")
    assert db.value("SELECT last_used_at IS NOT NULL FROM tokens") == 1
