"""Importing other communities' ratings: a peer's dump (full, incremental, idempotent), a CSV, a Turkopticon
response; hostile inputs change nothing; and each worker decides how much imported ratings count."""
from __future__ import annotations

import asyncio
import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from scrapers.ratings import ImportError_
from server.app import create_app
from server.community.runner import import_file
from server.db.engine import create_engine, session_factory
from server.settings import Settings
from tests.api.conftest import a_review, a_timing
from tests.conftest import TEST_SECRET, register
from tests import database
from tests.database import Sql

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "turkopticon"  # copied from ../shared/fixtures
SAMPLE_CSV = Path(__file__).resolve().parents[1] / "fixtures" / "community" / "sample.csv"
IMPORTED_TABLES = ("sources", "imported_reviews", "source_requester_stats", "source_task_type_stats",
                   "requesters", "task_types")


@pytest.fixture
def peer(tmp_path: Path, database_backend: database.Backend) -> Iterator[TestClient]:
    """Community A: another server with its own database."""
    url = database_backend.new_database(tmp_path / "peer")
    settings = Settings(database_url=url, secret=TEST_SECRET, data_dir=tmp_path / "peer")
    with TestClient(app=create_app(settings), raise_server_exceptions=False) as client:
        yield client
    database_backend.drop(url)


def run_import(settings: Settings, path: Path, kind: str, name: str = "community-a"):
    async def go():
        engine = create_engine(settings.database_url)
        try:
            return await import_file(session_factory(engine), name, kind, path)
        finally:
            await engine.dispose()
    return asyncio.run(go())


def rows(settings: Settings, sql: str) -> list[tuple]:
    return Sql(settings.database_url).rows(sql)


def snapshot(settings: Settings) -> dict[str, list[tuple]]:
    return {table: rows(settings, f"SELECT * FROM {table} ORDER BY 1") for table in IMPORTED_TABLES}  # noqa: S608


def dump_of(peer: TestClient, tmp_path: Path, since: str | None = None, name: str = "dump.jsonl.gz") -> Path:
    response = peer.get("/api/v1/export/ratings", params={"since": since} if since else None)
    assert response.status_code == 200, response.text
    path = tmp_path / name
    path.write_bytes(response.content)
    return path


def next_since(path: Path) -> str:
    import json  # noqa: PLC0415

    with gzip.open(path, "rt") as handle:
        return json.loads(handle.readline())["next_since"]


def seed_peer(peer: TestClient) -> list[dict]:
    """Three workers at A review the same task; two also time it."""
    workers = [register(peer) for _ in range(3)]
    reviews = []
    for i, headers in enumerate(workers):
        body = a_review(requester_id="APEER1", requester_name="Peer Lab", worked_seconds=300 + 60 * i,
                        ratings={"pay": 2 + i, "fairness": 4, "speed": None, "communication": None},
                        flags=["attention_checks"])
        response = peer.post("/api/v1/reviews", headers=headers, json=body)
        assert response.status_code == 201, response.text
        reviews.append({"headers": headers, **response.json()})
    for i, headers in enumerate(workers[:2]):
        timing = a_timing(requester_id="APEER1", assignment_id=f"AS{i}",
                          accepted_at="2026-11-01T10:00:00Z", ended_at=f"2026-11-01T10:0{5 + i}:00Z")
        assert peer.post("/api/v1/timings", headers=headers, json=timing).status_code == 201
    return reviews


def annotate(client: TestClient, weight: float | None = None) -> dict:
    body: dict = {"platform": "mturk", "tasks": [{"platform": "mturk", "requester_id": "APEER1",
                                                  "title": "Survey about shopping", "reward_cents": 100}]}
    if weight is not None:
        body["filters"] = {"other_communities_weight": weight}
    response = client.post("/api/v1/annotate", json=body)
    assert response.status_code == 200, response.text
    return response.json()["tasks"][0]


def test_a_peer_dump_counts_here_with_its_source(client, settings, peer, tmp_path):
    seed_peer(peer)
    report = run_import(settings, dump_of(peer, tmp_path), "fairfinder")
    assert (report.requesters, report.task_types, report.reviews) == (1, 1, 3)

    summary = client.get("/api/v1/requesters/mturk/APEER1").json()
    assert summary["name"] == "Peer Lab"
    assert summary["reviews"] == 3 and summary["imported"] == {"community-a": 3}
    assert summary["scores"]["pay"]["n"] == 3 and summary["scores"]["pay"]["mean"] == 3.0
    at_peer = peer.get("/api/v1/requesters/mturk/APEER1").json()
    # Nothing of ours yet: A's means and counts. (The scores' shrinkage uses this community's own
    # platform-wide means, so those differ.)
    assert {d: (s["mean"], s["n"]) for d, s in summary["scores"].items()} == \
        {d: (s["mean"], s["n"]) for d, s in at_peer["scores"].items()}

    counted = annotate(client)
    assert counted["hourly"]["basis"] == "task" and counted["hourly"]["n"] == 3
    # A's aggregates, A's timings included. The priors are this community's own (docs/community.md: a
    # requester's approval is shrunk toward this platform's), so the shrunk figure and its range differ a little.
    here, there = counted["hourly"], annotate(peer)["hourly"]
    for key in ("n", "accounts", "duration_seconds", "median_rate", "pooled_rate"):
        assert here[key] == there[key], key
    for key in ("cents_per_hour", "low", "high"):
        assert here[key] == pytest.approx(there[key], rel=0.05), key
    assert here["low"] <= here["cents_per_hour"] <= here["high"]
    ignored = annotate(client, weight=0)
    assert ignored["hourly"]["basis"] == "unknown" and ignored["requester"]["reviews"] == 0
    assert ignored["requester"]["imported"] == {}
    half = annotate(client, weight=0.5)
    assert half["hourly"]["basis"] == "task" and half["hourly"]["n"] == 2  # 3 samples weighted ½, shown rounded
    # Fewer (weighted) samples pull the figure toward the prior, so it moves, but stays on A's evidence.
    assert half["hourly"]["cents_per_hour"] != counted["hourly"]["cents_per_hour"]


def test_our_own_reviews_and_imported_ones_add_up(client, settings, peer, tmp_path):
    seed_peer(peer)
    run_import(settings, dump_of(peer, tmp_path), "fairfinder")
    ours = client.post("/api/v1/reviews", headers=register(client), json=a_review(
        requester_id="APEER1", ratings={"pay": 5, "fairness": None, "speed": None, "communication": None}))
    assert ours.status_code == 201
    summary = client.get("/api/v1/requesters/mturk/APEER1").json()
    assert summary["reviews"] == 4 and summary["imported"] == {"community-a": 3}
    assert summary["scores"]["pay"]["n"] == 4 and summary["scores"]["pay"]["mean"] == pytest.approx((2 + 3 + 4 + 5) / 4)
    only_ours = annotate(client, weight=0)["requester"]
    assert only_ours["reviews"] == 1 and only_ours["scores"]["pay"]["mean"] == 5.0


def test_reimporting_the_same_dump_changes_nothing(client, settings, peer, tmp_path):
    seed_peer(peer)
    path = dump_of(peer, tmp_path)
    run_import(settings, path, "fairfinder")
    before = snapshot(settings)
    run_import(settings, path, "fairfinder")
    after = snapshot(settings)
    assert after["imported_reviews"] and len(after["imported_reviews"]) == 3
    for table in IMPORTED_TABLES:  # ids and values alike; only the import times move
        strip = (lambda r: r[:-1]) if table == "imported_reviews" else (lambda r: r)
        if table != "sources":
            assert [strip(r) for r in after[table]] == [strip(r) for r in before[table]], table


def test_incremental_import_applies_edits_and_deletions(client, settings, peer, tmp_path):
    reviews = seed_peer(peer)
    full = dump_of(peer, tmp_path, name="full.jsonl.gz")
    run_import(settings, full, "fairfinder")
    first, second = reviews[0], reviews[1]
    assert peer.patch(f"/api/v1/reviews/{first['id']}", headers=first["headers"], json={"comment": "Changed my mind."}).status_code == 200
    assert peer.delete(f"/api/v1/reviews/{second['id']}", headers=second["headers"]).status_code == 204
    increment = dump_of(peer, tmp_path, since=next_since(full), name="since.jsonl.gz")
    report = run_import(settings, increment, "fairfinder")
    assert not report.full and report.deleted >= 1
    comments = dict(rows(settings, "SELECT external_id, comment FROM imported_reviews"))
    assert comments[str(first["id"])] == "Changed my mind."
    assert str(second["id"]) not in comments and len(comments) == 2
    assert client.get("/api/v1/requesters/mturk/APEER1").json()["reviews"] == 2
    cursor = rows(settings, "SELECT cursor FROM sources WHERE name = 'community-a'")[0][0]
    assert cursor == next_since(increment)


def truncated(path: Path) -> Path:
    data = path.read_bytes()
    cut = path.with_name("cut.jsonl.gz")
    cut.write_bytes(data[: len(data) * 2 // 3])
    return cut


def bad_schema(path: Path) -> Path:
    lines = gzip.decompress(path.read_bytes()).split(b"\n")
    lines[0] = lines[0].replace(b'"schema_version":1', b'"schema_version":99')
    out = path.with_name("v99.jsonl.gz")
    out.write_bytes(gzip.compress(b"\n".join(lines)))
    return out


def bad_outcome(path: Path) -> Path:
    lines = gzip.decompress(path.read_bytes()).split(b"\n")
    lines = [line.replace(b'"outcome":"approved"', b'"outcome":"paid"', 1) if b'"type":"review"' in line else line
             for line in lines]
    out = path.with_name("outcome.jsonl.gz")
    out.write_bytes(gzip.compress(b"\n".join(lines)))
    return out


def nul_comment(path: Path) -> Path:
    lines = gzip.decompress(path.read_bytes()).split(b"\n")
    lines = [line.replace(b'"comment":"', b'"comment":"\\u0000', 1) if b'"type":"review"' in line else line
             for line in lines]
    out = path.with_name("nul.jsonl.gz")
    out.write_bytes(gzip.compress(b"\n".join(lines)))
    return out


@pytest.mark.parametrize("spoil, message", [(truncated, "truncated"), (bad_schema, "upgrade"), (bad_outcome, "paid"),
                                            (nul_comment, "NUL")])
def test_a_bad_dump_changes_nothing(client, settings, peer, tmp_path, spoil, message):
    seed_peer(peer)
    good = dump_of(peer, tmp_path)
    run_import(settings, good, "fairfinder")
    peer.post("/api/v1/reviews", headers=register(peer), json=a_review(requester_id="APEER2"))
    before = snapshot(settings)
    with pytest.raises(ImportError_, match=message):
        run_import(settings, spoil(dump_of(peer, tmp_path, name="newer.jsonl.gz")), "fairfinder")
    assert snapshot(settings) == before  # not even the new requester of the good part


def test_a_community_csv_gets_aggregates_like_ours(client, settings):
    report = run_import(settings, SAMPLE_CSV, "csv", name="forum-sheet")
    assert report.full and report.reviews >= 2
    stats = rows(settings, "SELECT r.external_id, s.reviews, s.ratings FROM source_requester_stats s "
                           "JOIN requesters r ON r.id = s.requester_id")
    per_requester = {external_id: n for external_id, n, _ in stats}
    assert sum(per_requester.values()) == report.reviews
    again = run_import(settings, SAMPLE_CSV, "csv", name="forum-sheet")
    assert again.reviews == report.reviews
    assert rows(settings, "SELECT count(*) FROM imported_reviews")[0][0] == report.reviews  # idempotent


def test_a_turkopticon_response_imports_its_ratings(client, settings, tmp_path):
    path = tmp_path / "to1.json"
    shutil.copy(FIXTURES / "to1_multi_attrs.reconstructed.json", path)
    report = run_import(settings, path, "turkopticon1", name="turkopticon")
    assert report.requesters == 2  # the unknown id ("") is no requester
    summary = client.get("/api/v1/requesters/mturk/A1EXAMPLE00001").json()
    assert summary["name"] == "Example Research Lab" and summary["imported"] == {"turkopticon": 57}
    assert summary["scores"]["communication"]["mean"] == pytest.approx(4.2)
    assert summary["scores"]["speed"]["mean"] == pytest.approx(4.8)
