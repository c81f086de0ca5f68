"""Held and hidden reviews stay out of every public reader: the open dump (full and `since=`), the
Turkopticon-compatible API, the requester page (its newest reviews and its monthly chart). A restored review
comes back, also in an incremental dump."""
from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from typing import Any

import pytest
from litestar.testing import TestClient

from server.requesters.queries import history_samples
from server.settings import Settings
from tests.accounts.conftest import a_review, post
from tests.accounts.helpers import refresh, register_worker, run_in_app, sql, value
from tests.compat.conftest import sql_time
from tests.database import as_utc

DUMP = "/api/v1/export/ratings"
OLD = "2020-01-01 00:00:00.000000"
HIDDEN_AT = "2021-01-01 00:00:00.000000"
RESTORED_AT = "2022-01-01 00:00:00.000000"


def dump(client: TestClient, since: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    response = client.get(DUMP, params={"since": since} if since else {})
    assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in gzip.decompress(response.content).decode().splitlines()]
    return lines[1:-1], response.headers.get("etag")


def review_ids(records: list[dict[str, Any]]) -> list[int]:
    return [int(r["id"]) for r in records if r["type"] == "review"]


def deleted_review_ids(records: list[dict[str, Any]]) -> list[int]:
    return [int(r["id"]) for r in records if r["type"] == "deleted" and r["kind"] == "review"]


def to1(client: TestClient, ids: str) -> dict[str, Any]:
    response = client.get("/api/multi-attrs.php", params={"ids": ids})
    assert response.status_code == 200
    return json.loads(response.text)


def to2(client: TestClient, rid: str) -> Any:
    return client.get(f"/requesters/{rid}", headers={"Accept": "application/vnd.api+json"})


def chart_samples(client: TestClient, requester_pk: int) -> int:
    async def work(session: Any) -> int:
        return len(await history_samples(session, requester_pk, datetime(2000, 1, 1, tzinfo=timezone.utc)))

    return run_in_app(client, work)


def set_status(client: TestClient, settings: Settings, review_id: int, status: str, at: str) -> None:
    """What the moderation code does (status semantics of server/moderation): status, time, tombstone when it
    leaves "visible", and the requester's aggregates recomputed."""
    sql(settings, "UPDATE reviews SET status = ?, status_changed_at = ? WHERE id = ?", status, at, review_id)
    if status != "visible":
        sql(settings, "INSERT INTO tombstones (kind, ref_id, deleted_at) VALUES ('review', ?, ?)", review_id, at)
    refresh(client, [value(settings, "SELECT requester_id FROM reviews WHERE id = ?", review_id)])


@pytest.fixture
def reviews(client: TestClient, settings: Settings) -> dict[str, int]:
    """AREQ1: a good review and a bad one (the one that gets hidden); AREQ2: only a review that gets hidden."""
    kind, _, _ = register_worker(client, "kindworker")
    harsh, _, _ = register_worker(client, "harshworker")
    good = post(client, "/api/v1/reviews", kind, a_review("AREQ1", ratings={"pay": 5, "fairness": 5},
                                                         comment="GOODCOMMENT", worked_seconds=600))["id"]
    bad = post(client, "/api/v1/reviews", harsh, a_review("AREQ1", ratings={"pay": 1, "fairness": 1},
                                                         comment="HIDDENCOMMENT", worked_seconds=1200,
                                                         outcome="rejected", flags=["broken"]))["id"]
    lonely = post(client, "/api/v1/reviews", harsh, a_review("AREQ2", None, comment="LONELYHIDDEN",
                                                            ratings={"pay": 1}))["id"]
    # Everything so far looks old, so that `since` cursors after OLD see only what changes next.
    for table in ("reviews", "requester_stats", "task_type_stats"):
        sql(settings, f"UPDATE {table} SET updated_at = ?", OLD)  # noqa: S608 - our names
    return {"good": good, "bad": bad, "lonely": lonely, "AREQ1": value(
        settings, "SELECT id FROM requesters WHERE external_id = 'AREQ1'")}


@pytest.mark.parametrize("status", ["hidden", "held"])
def test_a_review_out_of_view_is_in_no_public_reader(client: TestClient, settings: Settings, reviews: dict[str, int],
                                                     status: str) -> None:
    good, bad, lonely = reviews["good"], reviews["bad"], reviews["lonely"]
    # Before: everything is public.
    full, _ = dump(client)
    assert review_ids(full) == [good, bad, lonely]
    assert to1(client, "AREQ1,AREQ2")["AREQ1"]["reviews"] == 2
    assert to2(client, "AREQ1").json()["data"]["attributes"]["aggregates"]["all"]["broken"] == [1, 2]
    assert "HIDDENCOMMENT" in client.get("/r/mturk/AREQ1").text
    assert chart_samples(client, reviews["AREQ1"]) == 2

    set_status(client, settings, bad, status, HIDDEN_AT)
    set_status(client, settings, lonely, status, HIDDEN_AT)

    full, _ = dump(client)
    text = json.dumps(full)
    assert review_ids(full) == [good]
    assert "HIDDENCOMMENT" not in text and "LONELYHIDDEN" not in text
    incremental, _ = dump(client, "2020-06-01T00:00:00Z")
    assert review_ids(incremental) == [] and deleted_review_ids(incremental) == [bad, lonely]

    # Turkopticon 1 and 2 count only the visible review; a requester with no visible review is unknown.
    attrs = to1(client, "AREQ1,AREQ2")
    assert attrs["AREQ1"]["reviews"] == 1 and attrs["AREQ1"]["attrs"]["pay"] == "5.00"
    assert attrs["AREQ2"] == ""
    aggregates = to2(client, "AREQ1").json()["data"]["attributes"]["aggregates"]["all"]
    assert aggregates["broken"] == [0, 1] and aggregates["rejected"][0] == 0
    assert to2(client, "AREQ2").status_code == 404

    # The requester page: not among the newest reviews, not in the monthly chart's samples.
    page = client.get("/r/mturk/AREQ1").text
    assert "HIDDENCOMMENT" not in page and f'id="review-{bad}"' not in page and "GOODCOMMENT" in page
    assert "LONELYHIDDEN" not in client.get("/r/mturk/AREQ2").text
    assert chart_samples(client, reviews["AREQ1"]) == 1


def test_a_restored_review_comes_back_in_an_incremental_dump(client: TestClient, settings: Settings,
                                                              reviews: dict[str, int]) -> None:
    bad = reviews["bad"]
    set_status(client, settings, bad, "hidden", HIDDEN_AT)
    _, etag_hidden = dump(client)

    set_status(client, settings, bad, "visible", RESTORED_AT)
    assert as_utc(value(settings, "SELECT updated_at FROM reviews WHERE id = ?", bad)) == as_utc(OLD)  # its text did not change

    # A reader that synced while it was hidden gets it back; one that synced after the restore does not.
    between, _ = dump(client, "2021-06-01T00:00:00Z")
    assert review_ids(between) == [bad]
    later, _ = dump(client, "2022-06-01T00:00:00Z")
    assert review_ids(later) == [] and deleted_review_ids(later) == []
    # A reader from before the hiding sees both, the deletion first: applying them in order leaves the review.
    early, _ = dump(client, "2020-06-01T00:00:00Z")
    kinds = [(r["type"], int(r["id"])) for r in early if r["type"] in ("deleted", "review")]
    assert kinds == [("deleted", bad), ("review", bad)]

    full, etag_restored = dump(client)
    assert bad in review_ids(full)
    assert etag_restored != etag_hidden  # a full reader's If-None-Match must not answer 304 now
    assert to1(client, "AREQ1")["AREQ1"]["reviews"] == 2
    assert "HIDDENCOMMENT" in client.get("/r/mturk/AREQ1").text


def test_the_etag_moves_when_a_review_is_restored_without_any_other_write(client: TestClient, settings: Settings,
                                                                         reviews: dict[str, int]) -> None:
    set_status(client, settings, reviews["bad"], "hidden", HIDDEN_AT)
    _, hidden = dump(client)
    assert client.get(DUMP, headers={"If-None-Match": hidden}).status_code == 304
    # Restored by SQL only (no aggregate refresh, no tombstone): the review row is all that changed.
    sql(settings, "UPDATE reviews SET status = 'visible', status_changed_at = ? WHERE id = ?",
        sql_time(datetime.now(timezone.utc)), reviews["bad"])
    assert client.get(DUMP, headers={"If-None-Match": hidden}).status_code == 200
