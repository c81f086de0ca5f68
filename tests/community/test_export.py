"""GET /api/v1/export/ratings: the open ratings dump of docs/ratings-dump.md, and the tombstones it needs."""
from __future__ import annotations

import asyncio
import gzip
import json
import re
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.community.export import export_ratings
from server.db.engine import create_engine, session_factory, write_transaction
from server.demo import seed_demo
from server.settings import Settings, load_settings
from server.stats.refresh import rebuild_all
from tests.conftest import register
from tests.database import Sql

EXPORT = "/api/v1/export/ratings"
HANDLE = "quietotter"
ISO_MICRO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
# Every key a record may have, per docs/ratings-dump.md.
KEYS = {
    "meta": {"type", "schema", "schema_version", "licence", "licence_url", "community", "generated_at", "full", "since",
             "next_since"},
    "requester": {"type", "platform", "requester_id", "name", "reviews", "ratings", "rejections", "blocks",
                  "approval_seconds", "median_hourly_cents", "recent", "flag_counts", "summary", "updated_at"},
    "task_type": {"type", "platform", "requester_id", "requester_name", "task", "hit_set_id", "stated_seconds", "samples",
                  "reviews", "summary", "flag_counts", "updated_at"},
    "review": {"type", "id", "platform", "requester_id", "requester_name", "task", "ratings", "worked_seconds", "outcome",
               "approval_seconds", "bonus_cents", "flags", "comment", "created_at", "updated_at"},
    "end": {"type", "records"},
}
KIND_ORDER = ["deleted", "requester", "task_type", "review"]


# --- helpers ------------------------------------------------------------------------------------------


def a_review(requester_id: str = "AREQ1", title: str | None = "Survey about shopping", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "platform": "mturk", "requester_id": requester_id, "requester_name": f"Lab {requester_id}",
        "ratings": {"pay": 4, "fairness": 5, "speed": 3, "communication": None},
        "worked_seconds": 600, "outcome": "approved", "flags": ["attention_checks"], "comment": "Fine work.",
    }
    if title is not None:
        body["task"] = {"title": title, "reward_cents": 100}
    return {**body, **changes}


def a_timing(requester_id: str = "AREQ1", title: str = "Survey about shopping", **changes: Any) -> dict[str, Any]:
    ended = datetime.now(timezone.utc) - timedelta(minutes=30)
    return {"platform": "mturk", "requester_id": requester_id, "title": title, "reward_cents": 100,
            "assignment_id": "ASSIGNMENTSECRET77", "accepted_at": (ended - timedelta(minutes=8)).isoformat(),
            "ended_at": ended.isoformat(), "outcome": "submitted", **changes}


def post_review(client: TestClient, headers: dict[str, str], **body: Any) -> int:
    response = client.post("/api/v1/reviews", headers=headers, json=a_review(**body))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def read(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/gzip"
    data = gzip.decompress(response.content)
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.decode().split("\n")[:-1]]


def check_shape(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The invariants of every dump; returns the records."""
    assert lines[0]["type"] == "meta" and lines[-1]["type"] == "end"
    records = lines[1:-1]
    assert lines[-1] == {"type": "end", "records": len(records)}
    kinds = [r["type"] for r in records]
    assert kinds == sorted(kinds, key=KIND_ORDER.index), kinds
    for line in lines:
        if line["type"] != "deleted":
            assert set(line) == KEYS[line["type"]], line
    review_ids = [int(r["id"]) for r in records if r["type"] == "review"]
    assert review_ids == sorted(set(review_ids))
    return records


def sql(settings: Settings, statement: str, *params: Any) -> list[tuple]:
    return Sql(settings.database_url).execute(statement, *params)


def backdate(settings: Settings, moment: str = "2020-01-01 00:00:00.000000") -> None:
    """Make everything look old, so that `since` after it sees only what changes next."""
    with Sql(settings.database_url).begin() as connection:
        for table in ("reviews", "requester_stats", "task_type_stats"):
            connection.execute(f"UPDATE {table} SET updated_at = ?", (moment,))  # noqa: S608 - our names
        connection.execute("UPDATE tombstones SET deleted_at = ?", (moment,))


def seed(client: TestClient) -> None:
    async def run() -> None:
        async with client.app.state.sessionmaker() as session, write_transaction(session):
            await seed_demo(session)

    with client.portal() as portal:
        portal.call(run)


@pytest.fixture
def alice(client: TestClient) -> dict[str, str]:
    return register(client, HANDLE)


# --- the full dump ------------------------------------------------------------------------------------


def test_full_dump_lines_in_order_and_nothing_about_workers(client: TestClient, alice: dict[str, str]) -> None:
    token = alice["Authorization"].removeprefix("Bearer ")
    first = post_review(client, alice, requester_id="AREQ1")
    second = post_review(client, alice, requester_id="AREQ2", title=None, comment="As a whole.")
    assert client.post("/api/v1/timings", headers=alice, json=a_timing("AREQ3", "Tag photos")).status_code == 201

    response = client.get(EXPORT)
    lines = read(response)
    assert response.headers["cache-control"] == "no-cache"
    today = datetime.now(timezone.utc).strftime("%Y%m%d")
    assert response.headers["content-disposition"] == f'attachment; filename="fairfinder-ratings-{today}.jsonl.gz"'
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["etag"])  # strong: no W/

    meta = lines[0]
    assert meta["schema"] == "fairfinder.ratings" and meta["schema_version"] == 1
    assert meta["licence"] == "ODbL-1.0" and meta["licence_url"] == "https://opendatacommons.org/licenses/odbl/1-0/"
    assert meta["community"] == "Fairfinder" and meta["full"] is True and meta["since"] is None
    assert ISO_MICRO_Z.match(meta["next_since"]), meta
    generated = datetime.fromisoformat(meta["generated_at"])
    assert abs(generated - datetime.now(timezone.utc)) < timedelta(minutes=1)
    lag = generated - datetime.fromisoformat(meta["next_since"])
    assert timedelta(minutes=4, seconds=59) <= lag <= timedelta(minutes=5, seconds=1)

    records = check_shape(lines)
    assert [r["type"] for r in records] == ["requester"] * 3 + ["task_type"] * 2 + ["review"] * 2
    requesters = {r["requester_id"]: r for r in records if r["type"] == "requester"}
    assert set(requesters) == {"AREQ1", "AREQ2", "AREQ3"}  # AREQ3: timings only, as an aggregate
    assert requesters["AREQ1"]["ratings"]["pay"] == [1, 4.0] and requesters["AREQ1"]["reviews"] == 1
    assert requesters["AREQ3"]["reviews"] == 0 and requesters["AREQ3"]["summary"]["n"] == 1
    task_types = [r for r in records if r["type"] == "task_type"]
    assert {t["task"]["title"] for t in task_types} == {"Survey about shopping", "Tag photos"}
    assert task_types[0]["task"] == {"title": "Survey about shopping", "reward_cents": 100, "currency": "USD"}
    reviews = [r for r in records if r["type"] == "review"]
    assert [r["id"] for r in reviews] == [str(first), str(second)]
    assert reviews[0]["ratings"] == {"pay": 4, "fairness": 5, "speed": 3, "communication": None}
    assert reviews[0]["task"] == {"title": "Survey about shopping", "reward_cents": 100, "currency": "USD"}
    assert reviews[0]["flags"] == ["attention_checks"] and reviews[0]["comment"] == "Fine work."
    assert reviews[1]["task"] is None and reviews[1]["requester_name"] == "Lab AREQ2"

    text = gzip.decompress(response.content).decode()
    for secret in (HANDLE, token, "ASSIGNMENTSECRET77", "worker", "author", "accepted_at", "ended_at", "hmac"):
        assert secret not in text, secret


def test_demo_data_and_imported_reviews_are_never_exported(client: TestClient, alice: dict[str, str],
                                                            settings: Settings) -> None:
    seed(client)
    post_review(client, alice, requester_id="AREQ1")
    demo_requester = sql(settings, "SELECT id, external_id FROM requesters WHERE is_demo = TRUE LIMIT 1")[0]
    # A worker reviews a demo requester: the requester stays demo and out of the dump, and so does the review.
    post_review(client, alice, requester_id=demo_requester[1], title=None, comment="On a demo requester.")
    # A rating imported from another community stays out too (each community publishes its own).
    with Sql(settings.database_url).begin() as connection:
        source = connection.execute("INSERT INTO sources (name, kind, created_at) VALUES ('peer', 'fairfinder', "
                                    "'2026-01-01 00:00:00') RETURNING id").fetchone()[0]
        real = connection.execute("SELECT id FROM requesters WHERE external_id = 'AREQ1'").fetchone()[0]
        connection.execute(
            "INSERT INTO imported_reviews (source_id, external_id, requester_id, flags, comment, created_at, updated_at, "
            "imported_at) VALUES (?, 'x1', ?, '[]', 'IMPORTED-ELSEWHERE', '2026-01-01', '2026-01-01', '2026-01-01')",
            (source, real))

    response = client.get(EXPORT)
    records = check_shape(read(response))
    text = gzip.decompress(response.content).decode()
    for never in ("ADEMO", "demo-worker", "On a demo requester.", "IMPORTED-ELSEWHERE"):
        assert never not in text, never
    assert [r["type"] for r in records] == ["requester", "task_type", "review"]
    assert {r["requester_id"] for r in records} == {"AREQ1"}
    assert sql(settings, "SELECT count(*) FROM tombstones") == [(0,)]  # the seed's rebuild left none


# --- incremental dumps ---------------------------------------------------------------------------------


def test_since_sends_only_what_changed_and_the_deletions(client: TestClient, alice: dict[str, str],
                                                         settings: Settings) -> None:
    gone = post_review(client, alice, requester_id="AREQ1")
    kept = post_review(client, alice, requester_id="AREQ2")
    untouched = post_review(client, alice, requester_id="AREQ3")
    backdate(settings)
    cursor = "2024-06-01T00:00:00.000000Z"
    assert check_shape(read(client.get(EXPORT, params={"since": cursor}))) == []

    assert client.patch(f"/api/v1/reviews/{kept}", headers=alice, json={"comment": "Edited."}).status_code == 200
    assert client.delete(f"/api/v1/reviews/{gone}", headers=alice).status_code == 204
    response = client.get(EXPORT, params={"since": cursor})
    lines = read(response)
    assert "etag" not in response.headers
    assert response.headers["content-disposition"].endswith('-since-20240601T000000Z.jsonl.gz"')
    assert lines[0]["full"] is False and lines[0]["since"] == cursor
    records = check_shape(lines)
    assert records[:3] == [
        {"type": "deleted", "kind": "review", "id": str(gone)},
        {"type": "deleted", "kind": "task_type", "platform": "mturk", "requester_id": "AREQ1",
         "task": {"title": "Survey about shopping", "reward_cents": 100, "currency": "USD"}},
        {"type": "deleted", "kind": "requester", "platform": "mturk", "requester_id": "AREQ1"},
    ]
    assert [(r["type"], r.get("requester_id")) for r in records[3:]] == [
        ("requester", "AREQ2"), ("task_type", "AREQ2"), ("review", "AREQ2")]
    assert records[-1]["id"] == str(kept) and records[-1]["comment"] == "Edited."
    assert str(untouched) not in {r.get("id") for r in records}

    # The next_since of a dump is the cursor of the next one; nothing older comes back, deletions included.
    later = read(client.get(EXPORT, params={"since": lines[0]["next_since"]}))
    assert [r["type"] for r in check_shape(later)] == ["deleted"] * 3 + ["requester", "task_type", "review"]
    with Sql(settings.database_url).begin() as connection:
        connection.execute("UPDATE tombstones SET deleted_at = '2024-07-01 00:00:00.000000'")
    backdate_except_tombstones = "UPDATE {} SET updated_at = '2024-07-01 00:00:00.000000'"
    for table in ("reviews", "requester_stats", "task_type_stats"):
        sql(settings, backdate_except_tombstones.format(table))
    assert check_shape(read(client.get(EXPORT, params={"since": "2024-08-01T00:00:00Z"}))) == []

    # A full dump leaves deleted things out instead.
    full = check_shape(read(client.get(EXPORT)))
    assert {r["type"] for r in full} == {"requester", "task_type", "review"}
    assert {r["requester_id"] for r in full} == {"AREQ2", "AREQ3"}


def test_a_requester_deleted_twice_is_one_deleted_record_and_one_that_came_back_none(
        client: TestClient, alice: dict[str, str], settings: Settings) -> None:
    bob = register(client, "bob")
    cursor = "2024-06-01T00:00:00Z"
    for _ in range(2):  # review and delete twice: two tombstones each for the review's requester and task type
        review = post_review(client, alice, requester_id="AREQ9")
        assert client.delete(f"/api/v1/reviews/{review}", headers=alice).status_code == 204
    returning = post_review(client, bob, requester_id="AREQ8")
    assert client.delete(f"/api/v1/reviews/{returning}", headers=bob).status_code == 204
    post_review(client, bob, requester_id="AREQ8")  # AREQ8 has aggregates again
    records = check_shape(read(client.get(EXPORT, params={"since": cursor})))
    deleted = [r for r in records if r["type"] == "deleted"]
    assert sorted((d["kind"], d.get("requester_id", "")) for d in deleted) == [
        ("requester", "AREQ9"), ("review", ""), ("review", ""), ("review", ""), ("task_type", "AREQ9")]
    assert [r["requester_id"] for r in records if r["type"] == "requester"] == ["AREQ8"]


def test_etag_and_not_modified(client: TestClient, alice: dict[str, str]) -> None:
    post_review(client, alice)
    first = client.get(EXPORT)
    etag = first.headers["etag"]
    assert client.get(EXPORT).headers["etag"] == etag  # nothing changed: the same validator
    not_modified = client.get(EXPORT, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert client.get(EXPORT, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(EXPORT, headers={"If-None-Match": '"other"'}).status_code == 200

    post_review(client, alice, requester_id="AREQ2")
    changed = client.get(EXPORT, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert len(check_shape(read(changed))) == 6
    # An incremental dump has no ETag and ignores If-None-Match.
    incremental = client.get(EXPORT, params={"since": "2024-01-01T00:00:00Z"}, headers={"If-None-Match": etag})
    assert incremental.status_code == 200 and "etag" not in incremental.headers


def test_etag_changes_with_a_deletion_and_with_the_licence(client: TestClient, alice: dict[str, str],
                                                           settings: Settings) -> None:
    review = post_review(client, alice)
    before = client.get(EXPORT).headers["etag"]
    assert client.delete(f"/api/v1/reviews/{review}", headers=alice).status_code == 204
    assert client.get(EXPORT).headers["etag"] != before
    other = msgspec.structs.replace(settings, dump_licence="CC0-1.0", community_name="Riverside Turkers")
    with TestClient(app=create_app(other)) as second:
        response = second.get(EXPORT)
        meta = read(response)[0]
        assert response.headers["etag"] != client.get(EXPORT).headers["etag"]
    assert meta["licence"] == "CC0-1.0" and meta["community"] == "Riverside Turkers"
    assert meta["licence_url"] == "https://creativecommons.org/publicdomain/zero/1.0/"


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01T00:00:00Z", "1042", "2026-01-01T00:00:00Zjunk", ""])
def test_unreadable_since_is_a_400(client: TestClient, since: str) -> None:
    response = client.get(EXPORT, params={"since": since})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalid_parameter" and body["field"] == "since" and body["message"].startswith("since: ")


def test_since_in_the_future(client: TestClient) -> None:
    now = datetime.now(timezone.utc)
    future = client.get(EXPORT, params={"since": (now + timedelta(hours=1)).isoformat()})
    assert future.status_code == 400 and "future" in future.json()["message"]
    assert client.get(EXPORT, params={"since": (now + timedelta(seconds=20)).isoformat()}).status_code == 200  # clock skew
    naive = client.get(EXPORT, params={"since": "2026-01-01T00:00:00"})  # read as UTC
    assert naive.status_code == 200 and read(naive)[0]["since"] == "2026-01-01T00:00:00.000000Z"


def test_openapi_documents_the_dump(client: TestClient) -> None:
    operation = client.get("/schema/openapi.json").json()["paths"][EXPORT]["get"]
    assert "docs/ratings-dump.md" in operation["summary"] and "docs/ratings-dump.md" in operation["description"]
    assert "application/gzip" in operation["responses"]["200"]["content"]
    assert {"304", "400"} <= set(operation["responses"])
    assert operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


def test_settings_from_the_environment(tmp_path: Path) -> None:
    env = {"FAIRFINDER_DATA_DIR": str(tmp_path), "FAIRFINDER_SECRET": "s"}
    defaults = load_settings(env)
    assert (defaults.dump_licence, defaults.community_name) == ("ODbL-1.0", "Fairfinder")
    chosen = load_settings({**env, "FAIRFINDER_DUMP_LICENCE": "CC-BY-4.0", "FAIRFINDER_COMMUNITY_NAME": "Turkers NL"})
    assert (chosen.dump_licence, chosen.community_name) == ("CC-BY-4.0", "Turkers NL")


# --- many rows ----------------------------------------------------------------------------------------


def insert_reviews(settings: Settings, n: int) -> None:
    """n reviews by n workers of one task type, straight into the database (as a big install has them)."""
    now = "2026-01-01 00:00:00.000000"
    with Sql(settings.database_url).begin() as connection:
        requester = connection.execute("INSERT INTO requesters (platform, external_id, name, is_demo, first_seen_at) "
                                       "VALUES ('mturk', 'ABULK', 'Bulk Lab', FALSE, ?) RETURNING id", (now,)).fetchone()[0]
        task_type = connection.execute(
            "INSERT INTO task_types (requester_id, title, title_key, reward_cents, currency, is_demo, first_seen_at) "
            "VALUES (?, 'Label images', 'Label images', 25, 'USD', FALSE, ?) RETURNING id", (requester, now)).fetchone()[0]
        connection.executemany("INSERT INTO workers (handle, role, is_demo, created_at) VALUES (?, 'worker', FALSE, ?)",
                               [(f"bulkworker{i:05d}", now) for i in range(n)])
        workers = [row[0] for row in connection.execute("SELECT id FROM workers WHERE handle LIKE 'bulkworker%' ORDER BY id")]
        connection.executemany(
            "INSERT INTO reviews (worker_id, requester_id, task_type_id, rating_pay, worked_seconds, outcome, flags, comment, "
            "is_demo, created_at, updated_at) VALUES (?, ?, ?, ?, 120, 'approved', '[\"captcha\"]', ?, FALSE, ?, ?)",
            [(w, requester, task_type, 1 + i % 5, f"comment {i}", now, now) for i, w in enumerate(workers)])


def test_thousands_of_reviews_stream_in_pages(client: TestClient, settings: Settings) -> None:
    n = 5000
    insert_reviews(settings, n)
    response = client.get(EXPORT)
    records = check_shape(read(response))
    assert len(records) == n and all(r["type"] == "review" for r in records)
    assert records[-1]["comment"] == f"comment {n - 1}"
    assert b"bulkworker" not in gzip.decompress(response.content)

    async def export(page_size: int) -> tuple[list[bytes], list[int]]:
        engine = create_engine(settings.database_url)
        pages: list[int] = []
        try:
            async with session_factory(engine)() as session:
                chunks = [chunk async for chunk in export_ratings(session, page_size=page_size, progress=pages.append)]
                assert not session.in_transaction()  # the read transaction is over
        finally:
            await engine.dispose()
        return chunks, pages

    chunks, pages = asyncio.run(export(700))
    assert pages == [700] * 7 + [n - 7 * 700]  # keyset pages, one flushed gzip chunk each
    assert len(chunks) == len(pages) + 1  # + the end line
    decompressor = zlib.decompressobj(wbits=31)
    first = decompressor.decompress(chunks[0])  # each chunk ends on a flush: its lines are complete
    assert first.endswith(b"\n") and first.count(b"\n") == 1 + 700  # meta + the first page
    assert b"".join(decompressor.decompress(c) for c in chunks[1:]).endswith(b'{"type":"end","records":5000}\n')


# --- tombstones ---------------------------------------------------------------------------------------


def test_rebuild_leaves_tombstones_only_for_aggregates_that_are_gone(client: TestClient, alice: dict[str, str],
                                                                    settings: Settings) -> None:
    post_review(client, alice, requester_id="AREQ1")
    assert client.post("/api/v1/timings", headers=alice, json=a_timing("AREQ2", "Tag photos")).status_code == 201
    # Aggregates of a requester with nothing behind them (as after a crash between writes): a rebuild drops them.
    with Sql(settings.database_url).begin() as connection:
        connection.execute("INSERT INTO requesters (platform, external_id, name, is_demo, first_seen_at) "
                           "VALUES ('mturk', 'AORPHAN', '', FALSE, '2026-01-01')")
        orphan = connection.execute("SELECT id FROM requesters WHERE external_id = 'AORPHAN'").fetchone()[0]
        connection.execute("INSERT INTO requester_stats (requester_id, reviews, summary, ratings, rejections, blocks, "
                           "recent, flag_counts, updated_at) VALUES (?, 0, '{}', '{}', 0, 0, '{}', '{}', '2026-01-01')",
                           (orphan,))

    async def rebuild() -> None:
        async with client.app.state.sessionmaker() as session, write_transaction(session):
            await rebuild_all(session)

    with client.portal() as portal:
        portal.call(rebuild)
    assert sql(settings, "SELECT kind, ref_id FROM tombstones") == [("requester", orphan)]
    assert sql(settings, "SELECT count(*) FROM requester_stats") == [(2,)]


def test_timing_deletion_tombstones_the_aggregates(client: TestClient, alice: dict[str, str], settings: Settings) -> None:
    timing = client.post("/api/v1/timings", headers=alice, json=a_timing("AREQ5", "Tag photos"))
    assert timing.status_code == 201
    assert client.delete(f"/api/v1/me/timings/{timing.json()['id']}", headers=alice).status_code == 204
    assert sorted(sql(settings, "SELECT kind FROM tombstones")) == [("requester",), ("task_type",)]
    records = check_shape(read(client.get(EXPORT, params={"since": "2024-01-01T00:00:00Z"})))
    assert [(r["kind"], r["requester_id"]) for r in records] == [("task_type", "AREQ5"), ("requester", "AREQ5")]
