"""GET /api/v1/me/export: everything stored about the worker, and nothing about anyone else."""
from __future__ import annotations

from datetime import datetime, timezone

from litestar.testing import TestClient

from server.settings import Settings
from tests.accounts.conftest import LEAVER, LEAVER_PLATFORM_ID, STAYER, STAYER_PLATFORM_ID, Community
from tests.accounts.helpers import sql, value

EXPORT = "/api/v1/me/export"


def test_export_holds_exactly_the_workers_data(client: TestClient, settings: Settings, community: Community) -> None:
    c = community
    sql(settings, "UPDATE reviews SET status = 'held', status_changed_at = '2026-01-02 03:04:05.000000' WHERE id = ?",
        c.leaver_reviews[1])

    response = client.get(EXPORT, headers=c.leaver)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    today = datetime.now(timezone.utc).strftime("%Y%m%d")
    assert response.headers["content-disposition"] == f'attachment; filename="fairfinder-{LEAVER}-{today}.json"'
    assert response.headers["cache-control"] == "no-store"
    document = response.json()
    text = response.text

    assert document["format"] == "fairfinder.worker-export" and document["format_version"] == 1
    assert set(document) == {"format", "format_version", "generated_at", "notes", "account", "platforms", "tokens",
                             "reviews", "timings", "history", "saved_filters", "flags", "moderation"}
    account = document["account"]
    assert account["id"] == c.leaver_id and account["handle"] == LEAVER and account["role"] == "worker"
    assert account["created_at"].startswith("2020-01-01")  # the test set-up backdated it
    assert account["muted_until"] is not None and account["mute_reason"] == "LEAVERMUTEREASON"

    # Platforms by name only; the document says why the IDs themselves are not in it.
    assert document["platforms"] == ["mturk"]
    assert any("keyed hash" in note for note in document["notes"])
    hmac = value(settings, "SELECT id_hmac FROM worker_platform_ids WHERE worker_id = ?", c.leaver_id)
    for secret in (LEAVER_PLATFORM_ID, hmac):
        assert secret not in text

    # Tokens: metadata of all three (one revoked), never their values or hashes.
    tokens = document["tokens"]
    assert [t["label"] for t in tokens] == ["first token", "phone", "old laptop"]
    assert [t["revoked_at"] is not None for t in tokens] == [False, False, True]
    assert set(tokens[0]) == {"id", "label", "created_at", "last_used_at", "revoked_at"}
    for token in c.leaver_tokens:
        assert token not in text
    for (token_hash,) in sql(settings, "SELECT token_hash FROM tokens"):
        assert token_hash not in text

    # Reviews with their status and edit history.
    reviews = {r["id"]: r for r in document["reviews"]}
    assert sorted(reviews) == c.leaver_reviews
    first, whole = reviews[c.leaver_reviews[0]], reviews[c.leaver_reviews[1]]
    assert first["comment"] == "LEAVERCOMMENT edited" and first["ratings"]["pay"] == 5 and first["status"] == "visible"
    assert first["task"] == {"title": "Survey about shopping", "reward_cents": 100, "currency": "USD", "hit_set_id": None}
    assert len(first["revisions"]) == 1
    before = first["revisions"][0]["before"]
    assert before["comment"] == "LEAVERCOMMENT one" and before["ratings"]["pay"] == 4
    assert whole["task"] is None and whole["requester_id"] == "AREQ2" and whole["revisions"] == []
    assert whole["status"] == "held" and whole["status_changed_at"].startswith("2026-01-02T03:04:05")

    # Timings, with their assignment ids (the worker's own).
    timings = {t["id"]: t for t in document["timings"]}
    assert sorted(timings) == c.leaver_timings
    assert {t["assignment_id"] for t in timings.values()} == {"LEAVERASSIGN1", "LEAVERASSIGN2"}
    assert timings[c.leaver_timings[0]]["task"]["title"] == "Tag photos"
    assert timings[c.leaver_timings[0]]["seconds"] == 480.0

    assert document["saved_filters"]["filters"]["keywords_exclude"] == ["LEAVERFILTERWORD"]

    # The flag they made, not the one made about their review.
    assert [(f["id"], f["reason"], f["note"]) for f in document["flags"]] == [(c.leaver_flag, "spam", "LEAVERFLAGNOTE")]

    # Moderation about them or their reviews, without the moderator; not what they did as a moderator.
    moderation = [(m["action"], m["by"], m["review_id"], m["note"]) for m in document["moderation"]]
    assert moderation == [
        ("mute", "moderator", None, "mute of the leaver"),
        ("hold", "automatic", c.leaver_reviews[1], "automatic hold of the leaver's review"),
        ("restore", "moderator", c.leaver_reviews[1], "restore of the leaver's review"),
    ]
    assert all(set(m) == {"action", "by", "review_id", "note", "created_at"} for m in document["moderation"])

    # Nothing of the other worker.
    for theirs in (STAYER, STAYER_PLATFORM_ID, "STAYERCOMMENT", "STAYERASSIGN", "STAYERFLAGNOTE",
                   "the leaver acting as a moderator", "the leaver muting the stayer"):
        assert theirs not in text, theirs


def test_export_of_a_new_worker_is_nearly_empty(client: TestClient) -> None:
    created = client.post("/api/v1/workers", json={"handle": "freshone"})
    headers = {"Authorization": f"Bearer {created.json()['token']}"}
    document = client.get(EXPORT, headers=headers).json()
    assert document["account"]["handle"] == "freshone" and document["account"]["muted_until"] is None
    assert document["platforms"] == [] and len(document["tokens"]) == 1
    for key in ("reviews", "timings", "flags", "moderation"):
        assert document[key] == [], key
    assert document["saved_filters"] is None


def test_export_needs_a_valid_token(client: TestClient, community: Community) -> None:
    for headers, code in (({}, "unauthorized"), ({"Authorization": "Bearer ff_unknown"}, "invalid_token"),
                          ({"Authorization": f"Bearer {community.leaver_tokens[2]}"}, "invalid_token")):  # revoked
        response = client.get(EXPORT, headers=headers)
        assert response.status_code == 401 and response.json()["code"] == code


def test_export_is_documented_in_openapi(client: TestClient) -> None:
    document = client.get("/schema/openapi.json").json()
    operation = document["paths"]["/api/v1/me/export"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/WorkerExport")
    export = document["components"]["schemas"]["WorkerExport"]
    assert {"account", "platforms", "tokens", "reviews", "timings", "saved_filters", "flags",
            "moderation"} <= set(export["properties"])
    assert "Content-Disposition" in operation["responses"]["200"].get("headers", {})
    remove = document["paths"]["/api/v1/me"]["delete"]
    parameter = next(p for p in remove["parameters"] if p["name"] == "reviews")
    assert parameter["required"] is True and parameter["in"] == "query"
    assert set(parameter["schema"]["enum"]) == {"keep", "delete"}
