"""Requesters known from other communities' published aggregates (an imported Turkopticon 1 or 2 file, a peer's
dump) are answered on the Turkopticon 2 routes with the counts those aggregates carry, and no other (issue 18
item 5): imported through the real import path, read through the real routes, on both database backends."""
from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import msgspec
from litestar.testing import TestClient

from scrapers.turkopticon import parse_to2_requesters
from server.community.runner import import_file
from server.compat import mapping
from server.compat.mapping import ReviewFacts
from server.db.engine import create_engine, session_factory
from server.settings import Settings
from tests.compat.conftest import FIXTURES, Sql, fixture, post_review, recompute

TO2_ACCEPT = {"Accept": "application/vnd.api+json"}


def run_import(settings: Settings, tmp_path: Path, fixture_name: str, kind: str, name: str) -> None:
    path = tmp_path / fixture_name
    shutil.copy(FIXTURES / fixture_name, path)

    async def go() -> None:
        engine = create_engine(settings.database_url)
        try:
            await import_file(session_factory(engine), name, kind, path)
        finally:
            await engine.dispose()

    asyncio.run(go())


def to2_index(client: TestClient, rids: str) -> dict[str, Any]:
    response = client.get("/requesters", params={"rids": rids}, headers=TO2_ACCEPT)
    assert response.status_code == 200, response.text
    msgspec.json.decode(response.content, type=mapping.To2Index)  # the documented shape, strictly
    return {datum["id"]: datum["attributes"] for datum in response.json()["data"]}


def to2_show(client: TestClient, rid: str) -> tuple[int, dict[str, Any]]:
    response = client.get(f"/requesters/{rid}", headers=TO2_ACCEPT)
    if response.status_code == 200:
        msgspec.json.decode(response.content, type=mapping.To2Show)
    else:
        msgspec.json.decode(response.content, type=mapping.To2Errors)
    return response.status_code, response.json()


def shown_reviews(client: TestClient, rid: str) -> int:
    return client.get(f"/api/v1/requesters/mturk/{rid}").json()["reviews"]


def add_source_figures(client: TestClient, rid: str, source: str, kind: str, **columns: Any) -> None:
    """Another community's aggregates of a requester, as an import of aggregates stores them (no review rows)."""
    from sqlalchemy import select  # noqa: PLC0415

    from server.db.engine import write_transaction  # noqa: PLC0415
    from server.db.models import Requester, Source, SourceRequesterStats  # noqa: PLC0415

    async def write() -> None:
        async with client.app.state.sessionmaker() as session, write_transaction(session):
            found = (await session.scalars(select(Source).where(Source.name == source))).one_or_none()
            if found is None:
                found = Source(name=source, kind=kind)
                session.add(found)
            requester = (await session.scalars(select(Requester).where(
                Requester.platform == "mturk", Requester.external_id == rid))).one_or_none()
            if requester is None:
                requester = Requester(platform="mturk", external_id=rid, name="Peer-only Lab")
                session.add(requester)
            await session.flush()
            session.add(SourceRequesterStats(source_id=found.id, requester_id=requester.id, **columns))

    with client.portal() as portal:
        portal.call(write)


def test_an_imported_turkopticon_2_file_is_served_back_as_it_came(client, settings, tmp_path):
    """Everything Turkopticon 2 published and the import kept comes back in its own counts; its recent period
    keeps only its number of reviews (the import stores no more of it), so nothing else is said of it."""
    run_import(settings, tmp_path, "to2_requesters_index.reconstructed.json", "turkopticon2", "turkopticon-2")
    published = fixture("to2_requesters_index.reconstructed.json")["data"][0]["attributes"]
    served = to2_index(client, "A1EXAMPLE00001,A3EXAMPLE00003")
    assert list(served) == ["A1EXAMPLE00001"]  # the unknown one is left out, as before
    attributes = served["A1EXAMPLE00001"]
    assert attributes["name"] == "Example Research Lab" and attributes["rid"] == "A1EXAMPLE00001"
    assert attributes["aggregates"]["all"] == published["aggregates"]["all"]
    assert attributes["aggregates"]["recent"] == {
        "reward": [0, 0, 0], "pending": 0.0, "comm": [0, 0, 7], "recommend": [0, 0, 7], "rejected": [0, 0, 7],
        "tos": [0, 0], "broken": [0, 0]}
    # N is the requester's reviews as /api/v1/requesters counts them: one number.
    assert attributes["aggregates"]["all"]["comm"][2] == shown_reviews(client, "A1EXAMPLE00001") == 52
    recent = client.get("/api/v1/requesters/mturk/A1EXAMPLE00001").json()["recent"]
    assert attributes["aggregates"]["recent"]["comm"][2] == recent["reviews"] == 7

    status, shown = to2_show(client, "A1EXAMPLE00001")
    assert status == 200 and shown["data"]["attributes"]["aggregates"] == attributes["aggregates"]
    # What we serve reads back, through the importer's own parser, as the same record Turkopticon's gave.
    ours = parse_to2_requesters(client.get("/requesters", params={"rids": "A1EXAMPLE00001"}).content)
    theirs = parse_to2_requesters((FIXTURES / "to2_requesters_index.reconstructed.json").read_bytes())
    assert [(r.reviews, r.summary, r.rejections, r.approval_seconds, r.flag_counts, r.ratings) for r in ours] == \
        [(r.reviews, r.summary, r.rejections, r.approval_seconds, r.flag_counts, r.ratings) for r in theirs]
    assert ours[0].extra["recommend"] == theirs[0].extra["recommend"] and ours[0].extra["tos"] == theirs[0].extra["tos"]


def test_an_imported_turkopticon_1_file_gives_its_reviews_and_tos_flags_and_invents_no_counts(client, settings, tmp_path):
    """TO1 published means, not counts: the triples count its reviews in N only (no one "answered" as far as we
    can tell), `tos` is its tos_flags over its reviews, `broken` says nothing of them."""
    run_import(settings, tmp_path, "to1_multi_attrs.reconstructed.json", "turkopticon1", "turkopticon-1")
    served = to2_index(client, "A3EXAMPLE00003,A2EXAMPLE00002,A1EXAMPLE00001")
    assert list(served) == ["A2EXAMPLE00002", "A1EXAMPLE00001"]  # in the order asked; A3 was "" in the file
    nothing = {"reward": [0, 0, 0], "pending": 0.0, "comm": [0, 0, 0], "recommend": [0, 0, 0],
               "rejected": [0, 0, 0], "tos": [0, 0], "broken": [0, 0]}
    assert served["A1EXAMPLE00001"]["aggregates"] == {"all": {
        "reward": [0, 0, 0], "pending": 0.0, "comm": [0, 0, 57], "recommend": [0, 0, 57], "rejected": [0, 0, 57],
        "tos": [0, 57], "broken": [0, 0]}, "recent": nothing}
    assert served["A2EXAMPLE00002"]["aggregates"]["all"]["tos"] == [1, 2]
    assert served["A2EXAMPLE00002"]["aggregates"]["all"]["comm"] == [0, 0, 2]
    for rid in ("A1EXAMPLE00001", "A2EXAMPLE00002"):
        assert served[rid]["aggregates"]["all"]["recommend"][2] == shown_reviews(client, rid)
    assert to2_show(client, "A2EXAMPLE00002")[0] == 200
    status, error = to2_show(client, "A3EXAMPLE00003")
    assert status == 404 and error["errors"][0]["detail"] == mapping.unknown_requester("A3EXAMPLE00003")


def test_an_imported_turkopticon_1_file_is_served_back_as_it_came_on_the_turkopticon_1_route(client, settings, tmp_path):
    """Its means are the requester's means everywhere (rounded once, the same digits), and its counts (reviews,
    tos_flags, pay_buckets: TO1's own) come back too, not zeros."""
    run_import(settings, tmp_path, "to1_multi_attrs.reconstructed.json", "turkopticon1", "turkopticon-1")
    asked = "A1EXAMPLE00001,A2EXAMPLE00002,A3EXAMPLE00003"
    assert json.loads(client.get("/api/multi-attrs.php", params={"ids": asked}).text) == \
        fixture("to1_multi_attrs.reconstructed.json")


def test_our_reviews_and_an_imported_file_add_up_to_the_reviews_the_api_shows(client, settings, tmp_path):
    """A requester with reviews here and in an imported Turkopticon 1 file: N counts both (as /api/v1/requesters
    does); x and n only ours, the only reviews that say them."""
    run_import(settings, tmp_path, "to1_multi_attrs.reconstructed.json", "turkopticon1", "turkopticon-1")
    post_review(client, "A2EXAMPLE00002", name="Another Requester", ratings={"pay": 5, "communication": 5},
                worked_seconds=600, outcome="rejected", approval_seconds=3600, flags=["broken"])
    post_review(client, "A2EXAMPLE00002", name="Another Requester", ratings={"pay": 2, "communication": 2},
                worked_seconds=1200, outcome="approved", approval_seconds=7200)
    recompute(client)
    everything = to2_index(client, "A2EXAMPLE00002")["A2EXAMPLE00002"]["aggregates"]["all"]
    assert everything == {
        "reward": [3.0, 1800, 2],  # two reviews of a $1.50 task: 600 s and 1200 s
        "pending": 5400.0,
        "comm": [1, 2, 4], "recommend": [1, 2, 4], "rejected": [1, 2, 4],
        "tos": [1, 4],  # the file's tos_flags over its 2 reviews, and ours (none) over our 2
        "broken": [1, 2],  # only ours say whether the task was broken
    }
    assert shown_reviews(client, "A2EXAMPLE00002") == 4
    recent = to2_index(client, "A2EXAMPLE00002")["A2EXAMPLE00002"]["aggregates"]["recent"]
    assert recent["comm"][2] == client.get("/api/v1/requesters/mturk/A2EXAMPLE00002").json()["recent"]["reviews"] == 2
    to1 = json.loads(client.get("/api/multi-attrs.php", params={"ids": "A2EXAMPLE00002"}).text)["A2EXAMPLE00002"]
    assert (to1["reviews"], to1["tos_flags"]) == (4, 1)  # the same counts as the Turkopticon 2 route's
    # $9/h and $4.50/h ours; the file had no pay buckets (null): it adds none
    assert to1["pay_buckets"] == [["$0-$4", 0], ["$4-$7", 1], ["$7-$10", 1], ["$10-$15", 0], ["$15+", 0]]


def test_a_source_whose_reviews_we_hold_counts_by_them_once(client, sql: Sql):
    """A community whose reviews were imported one by one also has aggregates of them (computed from them, as a
    CSV's are): the reviews count, its aggregates are not added again."""
    post_review(client, "AHELD1", ratings={"pay": 4}, worked_seconds=600)
    sql.imported_review("AHELD1", ReviewFacts(communication=5, reward_cents=100, worked_seconds=300, flags=("broken",)))
    sql.imported_review("AHELD1", ReviewFacts(pay=2, outcome="approved"))
    recompute(client)
    assert sql.value("SELECT count(*) FROM source_requester_stats") == 1  # the peer's aggregates exist
    everything = to2_index(client, "AHELD1")["AHELD1"]["aggregates"]["all"]
    assert everything["comm"] == [1, 1, 3] and everything["broken"] == [1, 3]
    assert everything["reward"] == [2.5, 900, 2]
    assert shown_reviews(client, "AHELD1") == 3


def test_a_peers_aggregates_give_only_what_they_count_as_turkopticon_does(client):
    """A Fairfinder peer's aggregates without its reviews: its reviews, and `broken`/`tos` from its flag counts;
    its rejections (accounts' outcomes without a base), weighted ratings, weighted pay and median approval time
    are not Turkopticon 2 counts and are not given."""
    add_source_figures(
        client, "APEERONLY1", "peer-a", "fairfinder", reviews=6, rejections=2, blocks=1, approval_seconds=7200.0,
        median_hourly_cents=900.0, ratings={"communication": [5, 21.0], "pay": [6, 18.0]},
        summary={"n": 4, "n_completed": 4, "pooled_pay_cents": 400.0, "pooled_seconds": 1600.0},
        flag_counts={"broken": 2, "personal_data": 1}, recent={"reviews": 3, "rejections": 1, "blocks": 0})
    add_source_figures(client, "APEERTWO1", "peer-a", "fairfinder", reviews=5,
                       flag_counts={"personal_data": 1, "download_or_install": 2})
    served = to2_index(client, "APEERONLY1,APEERTWO1")
    assert served["APEERONLY1"]["aggregates"] == {
        "all": {"reward": [0, 0, 0], "pending": 0.0, "comm": [0, 0, 6], "recommend": [0, 0, 6],
                "rejected": [0, 0, 6], "tos": [1, 6], "broken": [2, 6]},
        "recent": {"reward": [0, 0, 0], "pending": 0.0, "comm": [0, 0, 3], "recommend": [0, 0, 3],
                   "rejected": [0, 0, 3], "tos": [0, 0], "broken": [0, 0]}}
    # Two TOS flags: a review may carry both, so how many reviews flagged either is not known.
    assert served["APEERTWO1"]["aggregates"]["all"]["tos"] == [0, 0]
    assert served["APEERTWO1"]["aggregates"]["all"]["broken"] == [0, 5]
    assert shown_reviews(client, "APEERONLY1") == 6


def test_a_requester_nobody_reviewed_anywhere_stays_unknown(client, sql: Sql):
    sql.requester("ASEENONLY1", "Seen Lab")  # seen on a task page, reviewed nowhere
    add_source_figures(client, "AZERO1", "turkopticon-1", "turkopticon1", reviews=0)
    assert to2_index(client, "ASEENONLY1,AZERO1") == {}
    assert to2_show(client, "ASEENONLY1")[0] == 404 and to2_show(client, "AZERO1")[0] == 404
    assert json.loads(client.get("/api/multi-attrs.php", params={"ids": "ASEENONLY1,AZERO1"}).text) == {
        "ASEENONLY1": "", "AZERO1": ""}


def test_the_requester_pages_task_rows_are_annotates_figures_with_other_communities_evidence(client, settings, tmp_path):
    """/r's "Effective hourly" and band of a task are annotate's (docs/figures.md), also when other communities'
    aggregates count in them: an imported Turkopticon 2 file's pay (the requester's prior) and a peer's timings
    of the task type. Before, /r left both out and showed another figure for the same task."""
    from server.domain import pay  # noqa: PLC0415
    from server.web.words import BAND_WORDS  # noqa: PLC0415
    from tests.requester_page.dom import parse, table_rows  # noqa: PLC0415

    run_import(settings, tmp_path, "to2_requesters_index.reconstructed.json", "turkopticon2", "turkopticon-2")
    post_review(client, "A1EXAMPLE00001", name="Example Research Lab", task=("Survey A", 150), ratings={"pay": 4},
                worked_seconds=600, outcome="approved")
    post_review(client, "A1EXAMPLE00001", name="Example Research Lab", task=("Quick poll", 40), ratings={"pay": 3},
                worked_seconds=300, outcome="approved")
    recompute(client)
    # A peer's aggregates of the second task type: 3 timings of 10 minutes, flagged broken by 3 reviews of 3.
    peer = pay.summarize([pay.Sample(seconds=600.0, reward_cents=40, outcome="approved")] * 3)
    from sqlalchemy import select  # noqa: PLC0415

    from server.db.engine import write_transaction  # noqa: PLC0415
    from server.db.models import Source, SourceTaskTypeStats, TaskType  # noqa: PLC0415

    async def write() -> None:
        async with client.app.state.sessionmaker() as session, write_transaction(session):
            source = Source(name="peer-b", kind="fairfinder")
            session.add(source)
            await session.flush()
            type_id = (await session.scalars(select(TaskType.id).where(TaskType.title == "Quick poll"))).one()
            session.add(SourceTaskTypeStats(source_id=source.id, task_type_id=type_id, samples=3, reviews=3,
                                            summary=msgspec.to_builtins(peer), flag_counts={"broken": 3}))

    with client.portal() as portal:
        portal.call(write)

    table = parse(client.get("/r/mturk/A1EXAMPLE00001").text).by_id("task-types").find("table")
    rows = {row[0]: row for row in table_rows(table)}  # task, reward, effective hourly, based on, band, reviews
    for title, reward in (("Survey A", 150), ("Quick poll", 40)):
        annotated = client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": [{
            "platform": "mturk", "requester_id": "A1EXAMPLE00001", "title": title, "reward_cents": reward}]})
        hourly = annotated.json()["tasks"][0]["hourly"]
        assert rows[title][2].partition(" ")[0] == hourly["label"], (title, rows[title], hourly)
        assert rows[title][4] == BAND_WORDS[hourly["band"]], (title, rows[title], hourly)
        assert rows[title][3] == hourly["rests_on"], (title, rows[title], hourly)
    # The peer's timings count in the second task's figure (4 timings, not 1), as on annotate.
    assert rows["Quick poll"][3].startswith("4 timings"), rows["Quick poll"]
