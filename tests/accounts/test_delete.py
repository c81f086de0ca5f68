"""DELETE /api/v1/me?reviews=keep|delete: one transaction, nothing of the worker left behind (beyond the
anonymized reviews they chose to keep), aggregates as a full rebuild computes them."""
from __future__ import annotations

import asyncio

import pytest
from litestar.testing import TestClient
from sqlalchemy import inspect, text

from server.db.engine import create_engine
from server.settings import Settings
from tests.accounts.conftest import LEAVER, Community, build_community
from tests.accounts.helpers import (aggregates, everything, rebuilt_aggregates, same_aggregates, scan, sql,
                                    tables, value)

ME = "/api/v1/me"


def assert_gone(client: TestClient, community: Community) -> None:
    """Every token of the deleted account is refused everywhere, export included."""
    for token in community.leaver_tokens:
        headers = {"Authorization": f"Bearer {token}"}
        for path in (ME, f"{ME}/export"):
            response = client.get(path, headers=headers)
            assert response.status_code == 401 and response.json()["code"] == "invalid_token", path
        again = client.delete(ME, params={"reviews": "delete"}, headers=headers)
        assert again.status_code == 401


def assert_handle_free(client: TestClient) -> None:
    response = client.post("/api/v1/workers", json={"handle": LEAVER})
    assert response.status_code == 201, response.text
    assert client.get(f"{ME}/export", headers={"Authorization": f"Bearer {response.json()['token']}"}).json()[
        "reviews"] == []  # a new person with the old name inherits nothing


def test_foreign_keys_are_enforced_on_the_apps_connections(settings: Settings) -> None:
    """moderation_actions' worker references are SET NULL by the schema; that needs foreign keys on, which the
    engine the app uses turns on for every connection on SQLite (the deletion also clears them explicitly)."""
    async def check() -> tuple[int, list[tuple]]:
        engine = create_engine(settings.database_url)
        try:
            async with engine.connect() as connection:
                sqlite = connection.dialect.name == "sqlite"
                enforced = (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one() if sqlite else 1
                keys = await connection.run_sync(lambda sync: inspect(sync).get_foreign_keys("moderation_actions"))
                return enforced, [(key["referred_table"], column, key["options"].get("ondelete"))
                                  for key in keys for column in key["constrained_columns"]]
        finally:
            await engine.dispose()

    enforced, rules = asyncio.run(check())
    assert enforced == 1
    assert ("workers", "worker_id", "SET NULL") in rules and ("workers", "moderator_id", "SET NULL") in rules


def test_delete_removes_the_worker_and_everything_of_theirs(client: TestClient, settings: Settings,
                                                           community: Community) -> None:
    c = community
    needles = [*c.needles(settings), "LEAVERCOMMENT"]
    assert scan(settings, c.leaver_id, needles)  # the scan finds them before
    moderation_rows = value(settings, "SELECT count(*) FROM moderation_actions")
    stayer_rows_before = {
        "reviews": sql(settings, "SELECT * FROM reviews WHERE worker_id = ?", c.stayer_id),
        "timings": sql(settings, "SELECT * FROM timings WHERE worker_id = ?", c.stayer_id),
        "tokens": sql(settings, "SELECT id, token_hash FROM tokens WHERE worker_id = ?", c.stayer_id),
    }
    before = aggregates(client)

    response = client.delete(ME, params={"reviews": "delete"}, headers=c.leaver)
    assert response.status_code == 204, response.text

    # Nothing in any table refers to the worker or holds their handle, tokens, hashes or texts.
    assert scan(settings, c.leaver_id, needles) == set()
    assert value(settings, "SELECT count(*) FROM workers WHERE id = ?", c.leaver_id) == 0
    for table in ("reviews", "timings", "tokens", "worker_platform_ids", "saved_filters", "review_flags"):
        assert value(settings, f"SELECT count(*) FROM {table} WHERE worker_id = ?", c.leaver_id) == 0, table  # noqa: S608
    assert value(settings, "SELECT count(*) FROM review_revisions") == 0  # only the leaver's review had an edit
    # Flags about the deleted reviews went with them; the moderation log stays, without the worker.
    assert value(settings, "SELECT count(*) FROM review_flags WHERE id = ?", c.stayer_flag) == 0
    assert value(settings, "SELECT count(*) FROM moderation_actions") == moderation_rows
    assert sql(settings, "SELECT action, moderator_id, review_id, worker_id FROM moderation_actions ORDER BY id") == [
        ("mute", c.stayer_id, None, None), ("hold", None, None, None), ("restore", c.stayer_id, None, None),
        ("hide", None, c.stayer_reviews[0], None), ("mute", None, None, c.stayer_id)]

    # Tombstones, so that incremental dumps delete the reviews elsewhere too.
    assert sorted(ref for (ref,) in sql(settings, "SELECT ref_id FROM tombstones WHERE kind = 'review'")) == c.leaver_reviews
    # The other worker is untouched.
    assert stayer_rows_before == {
        "reviews": sql(settings, "SELECT * FROM reviews WHERE worker_id = ?", c.stayer_id),
        "timings": sql(settings, "SELECT * FROM timings WHERE worker_id = ?", c.stayer_id),
        "tokens": sql(settings, "SELECT id, token_hash FROM tokens WHERE worker_id = ?", c.stayer_id),
    }
    assert client.get(ME, headers=c.stayer).json()["handle"] == "stayerhandle3"

    # Aggregates moved (AREQ2 had only the leaver's review) and equal a full rebuild.
    after = aggregates(client)
    assert not same_aggregates(before, after)
    assert c.requesters["AREQ2"] not in after["requesters"]
    assert after["requesters"][c.requesters["AREQ1"]]["reviews"] == 1
    assert after["requesters"][c.requesters["AREQ3"]]["summary"]["n"] == 1  # the stayer's timing only
    assert same_aggregates(after, rebuilt_aggregates(settings))

    assert_gone(client, c)
    assert_handle_free(client)


def test_keep_leaves_anonymized_reviews_and_deletes_the_rest(client: TestClient, settings: Settings) -> None:
    # A new account with the moderator role: its ratings count fully only while it is a moderator, so
    # the aggregates must move when the account becomes a plain (new) worker's shell.
    c = build_community(client, settings, leaver_new=True, leaver_role="moderator")
    needles = c.needles(settings)
    reviews_before = sql(settings, "SELECT id, requester_id, task_type_id, rating_pay, comment, status FROM reviews "
                                   "WHERE worker_id = ? ORDER BY id", c.leaver_id)
    before = aggregates(client)
    page_before = client.get("/r/mturk/AREQ2").text
    assert f"By {LEAVER}" in page_before

    response = client.delete(ME, params={"reviews": "keep"}, headers=c.leaver)
    assert response.status_code == 204, response.text

    handle, deleted_at, role, muted_until, mute_reason = sql(
        settings, "SELECT handle, deleted_at, role, muted_until, mute_reason FROM workers WHERE id = ?", c.leaver_id)[0]
    assert handle.startswith("deleted-") and len(handle) == len("deleted-") + 16
    assert deleted_at is not None and role == "worker" and muted_until is None and mute_reason == ""
    # The reviews stay as they were, owned by the anonymous row.
    assert sql(settings, "SELECT id, requester_id, task_type_id, rating_pay, comment, status FROM reviews "
                         "WHERE worker_id = ? ORDER BY id", c.leaver_id) == reviews_before
    assert value(settings, "SELECT count(*) FROM review_revisions") == 1  # their edit history stays with them
    assert value(settings, "SELECT count(*) FROM tombstones WHERE kind = 'review'") == 0
    # Only the kept reviews (and the moderation log's entries) still point at the anonymous row; no table
    # holds the handle, a token, a hash, the mute reason, the filters, the timings or the flags' notes.
    assert scan(settings, c.leaver_id, needles) == {
        "workers.id", "reviews.worker_id", "moderation_actions.worker_id", "moderation_actions.moderator_id"}
    for table in ("timings", "tokens", "worker_platform_ids", "saved_filters", "review_flags"):
        assert value(settings, f"SELECT count(*) FROM {table} WHERE worker_id = ?", c.leaver_id) == 0, table  # noqa: S608
    assert value(settings, "SELECT count(*) FROM review_flags WHERE id = ?", c.stayer_flag) == 1  # about a kept review

    # The requester page credits a former member.
    page = client.get("/r/mturk/AREQ2").text
    assert "By a former member" in page and LEAVER not in page and handle not in page

    # Aggregates: the leaver's timings are gone and their ratings now weigh as a new worker's.
    after = aggregates(client)
    assert after["requesters"][c.requesters["AREQ2"]]["reviews"] == 1
    assert after["requesters"][c.requesters["AREQ2"]]["ratings"]["pay"] != before["requesters"][c.requesters["AREQ2"]]["ratings"]["pay"]
    assert after["requesters"][c.requesters["AREQ3"]]["summary"]["n"] == 1
    assert same_aggregates(after, rebuilt_aggregates(settings))

    assert_gone(client, c)
    assert_handle_free(client)


@pytest.mark.parametrize("params", [{}, {"reviews": ""}, {"reviews": "maybe"}, {"reviews": "KEEP"}, {"review": "delete"}])
def test_without_a_valid_reviews_parameter_nothing_is_deleted(client: TestClient, settings: Settings,
                                                               community: Community, params: dict[str, str]) -> None:
    before = everything(settings)
    response = client.delete(ME, params=params, headers=community.leaver)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalid_parameter" and body["field"] == "reviews"
    assert everything(settings) == before
    assert client.get(ME, headers=community.leaver).status_code == 200


def test_a_revoked_or_missing_token_cannot_delete(client: TestClient, settings: Settings, community: Community) -> None:
    before = everything(settings)
    revoked = {"Authorization": f"Bearer {community.leaver_tokens[2]}"}
    for headers in (revoked, {}, {"Authorization": "Bearer ff_unknown"}):
        for mode in ("delete", "keep"):
            response = client.delete(ME, params={"reviews": mode}, headers=headers)
            assert response.status_code == 401, response.text
    assert everything(settings) == before
    assert "workers" in tables(settings) and value(settings, "SELECT count(*) FROM workers") == 2


def test_the_deleted_prefix_is_reserved_for_former_members(client: TestClient, settings: Settings) -> None:
    response = client.post("/api/v1/workers", json={"handle": "Deleted-0123456789abcdef"})
    assert response.status_code == 422
    assert response.json()["code"] == "handle_reserved" and response.json()["field"] == "handle"
    assert value(settings, "SELECT count(*) FROM workers") == 0
