"""scrapers/fairfinder_dump.py: reading a peer's open ratings dump, and refusing every broken or hostile one."""
from __future__ import annotations

import gzip
import io
import json
import tracemalloc
import zlib
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import pytest
from litestar.testing import TestClient

from scrapers.fairfinder_dump import read_dump
from scrapers.ratings import DeletedRecord, ImportError_, RequesterRecord, ReviewRecord, TaskTypeRecord
from tests.conftest import register

EXPORT = "/api/v1/export/ratings"
TASK = {"title": "Transcribe audio", "reward_cents": 50, "currency": "USD"}


def meta(**changes: Any) -> dict[str, Any]:
    return {"type": "meta", "schema": "fairfinder.ratings", "schema_version": 1, "licence": "ODbL-1.0",
            "licence_url": "https://opendatacommons.org/licenses/odbl/1-0/", "community": "Peer Town",
            "generated_at": "2026-11-24T10:00:00Z", "full": True, "since": None,
            "next_since": "2026-11-24T09:55:00.000000Z", **changes}


def requester(requester_id: str = "A1", **changes: Any) -> dict[str, Any]:
    return {"type": "requester", "platform": "mturk", "requester_id": requester_id, "name": "Lab", "reviews": 2,
            "ratings": {"pay": [2, 7.0]}, "rejections": 0, "blocks": 0, "approval_seconds": None,
            "median_hourly_cents": 900.0, "recent": {"reviews": 1}, "flag_counts": {}, "summary": {"n": 2},
            "updated_at": "2026-11-24T09:12:00Z", **changes}


def task_type(requester_id: str = "A1", **changes: Any) -> dict[str, Any]:
    return {"type": "task_type", "platform": "mturk", "requester_id": requester_id, "requester_name": "Lab",
            "task": dict(TASK), "hit_set_id": None, "stated_seconds": None, "samples": 2, "reviews": 1, "summary": {},
            "flag_counts": {}, "updated_at": "2026-11-24T09:12:00Z", **changes}


def review(review_id: str = "1", **changes: Any) -> dict[str, Any]:
    return {"type": "review", "id": review_id, "platform": "mturk", "requester_id": "A1", "requester_name": "Lab",
            "task": dict(TASK), "ratings": {"pay": 4, "fairness": 5, "speed": None, "communication": None},
            "worked_seconds": 240, "outcome": "approved", "approval_seconds": 86400, "bonus_cents": None,
            "flags": ["needs_hearing"], "comment": "Clear audio.", "created_at": "2026-11-20T09:00:00Z",
            "updated_at": "2026-11-20T09:00:00Z", **changes}


def encode(lines: Iterable[dict[str, Any] | bytes]) -> bytes:
    return b"".join(line if isinstance(line, bytes) else json.dumps(line).encode() + b"\n" for line in lines)


def dump(records: list[dict[str, Any] | bytes], *, head: dict[str, Any] | None = None, end: int | None | str = "auto",
         tail: bytes = b"") -> bytes:
    lines: list[dict[str, Any] | bytes] = [head or meta(), *records]
    if end == "auto":
        lines.append({"type": "end", "records": len(records)})
    elif end is not None:
        lines.append({"type": "end", "records": end})
    return gzip.compress(encode(lines) + tail)


def read_all(data: bytes, **limits: int) -> tuple[Any, list[Any]]:
    info, records = read_dump(io.BytesIO(data), **limits)
    return info, list(records)


def refused(data: bytes, **limits: int) -> ImportError_:
    with pytest.raises(ImportError_) as caught:
        read_all(data, **limits)
    return caught.value


# --- what a good dump gives ---------------------------------------------------------------------------


def test_a_written_dump_reads_back(client: TestClient) -> None:
    alice = register(client, "alice")
    body = {"platform": "mturk", "requester_id": "AREQ1", "requester_name": "Shop Lab",
            "task": {"title": "Survey  about shopping", "reward_cents": 100}, "ratings": {"pay": 2, "speed": 5},
            "worked_seconds": 300, "outcome": "rejected", "flags": ["captcha"], "comment": "Rejected with no reason."}
    created = client.post("/api/v1/reviews", headers=alice, json=body)
    assert created.status_code == 201
    whole = client.post("/api/v1/reviews", headers=alice, json={"platform": "mturk", "requester_id": "AREQ2",
                                                                 "ratings": {"communication": 1}})
    assert whole.status_code == 201
    data = client.get(EXPORT).content

    stream = io.BytesIO(data)
    info, records = read_dump(stream)
    assert (info.kind, info.full, info.source_name, info.licence) == ("fairfinder", True, "Fairfinder", "ODbL-1.0")
    assert info.cursor and info.cursor.endswith("Z")
    records = list(records)
    assert [type(r) for r in records] == [RequesterRecord, RequesterRecord, TaskTypeRecord, ReviewRecord, ReviewRecord]
    first = records[3]
    assert first.id == str(created.json()["id"]) and first.outcome == "rejected" and first.flags == ["captcha"]
    assert first.ratings == {"pay": 2, "fairness": None, "speed": 5, "communication": None}
    assert first.task is not None and (first.task.title, first.task.reward_cents) == ("Survey  about shopping", 100)
    assert records[4].task is None and records[4].requester_id == "AREQ2"
    assert records[0].ratings["pay"] == [1, 2.0] and records[0].rejections == 1
    assert isinstance(records[0].updated_at, datetime) and records[0].updated_at.tzinfo is not None
    # Validate, then read again to apply: the same stream, from the start.
    again_info, again = read_dump(stream)
    assert again_info == info and list(again) == records

    # An incremental dump with deletions reads back too.
    assert client.delete(f"/api/v1/reviews/{whole.json()['id']}", headers=alice).status_code == 204
    info, records = read_all(client.get(EXPORT, params={"since": "2024-01-01T00:00:00Z"}).content)
    assert info.full is False
    deleted = [r for r in records if isinstance(r, DeletedRecord)]
    assert [(d.kind, d.id, d.requester_id) for d in deleted] == [
        ("review", str(whole.json()["id"]), None), ("requester", None, "AREQ2")]


def test_every_doc_example_line_reads() -> None:
    deleted = [
        {"type": "deleted", "kind": "review", "id": "1042"},
        {"type": "deleted", "kind": "requester", "platform": "mturk", "requester_id": "A1EXAMPLE00001"},
        {"type": "deleted", "kind": "task_type", "platform": "mturk", "requester_id": "A1EXAMPLE00001", "task": TASK},
    ]
    info, records = read_all(dump([*deleted, requester(), task_type(), review()], head=meta(full=False)))
    assert info.cursor == "2026-11-24T09:55:00.000000Z" and info.source_name == "Peer Town"
    assert [type(r).__name__ for r in records] == ["DeletedRecord"] * 3 + ["RequesterRecord", "TaskTypeRecord",
                                                                          "ReviewRecord"]
    assert records[5].created_at == datetime(2026, 11, 20, 9, tzinfo=timezone.utc)


def test_unknown_fields_flags_and_outcomes_are_kept_for_the_importer() -> None:
    _, records = read_all(dump([review(flags=["needs_hearing", "brand_new_flag"], outcome="ghosted", shiny=True)]))
    assert records[0].flags == ["needs_hearing", "brand_new_flag"] and records[0].outcome == "ghosted"


def test_several_gzip_members_are_one_file() -> None:
    data = dump([requester()], end=None)
    data += gzip.compress(encode([{"type": "end", "records": 1}]))
    assert len(read_all(data)[1]) == 1


def test_the_last_line_may_lack_its_newline() -> None:
    raw = encode([meta(), requester()]) + b'{"type": "end", "records": 1}'
    assert len(read_all(gzip.compress(raw))[1]) == 1


def test_memory_stays_flat_on_a_large_dump() -> None:
    n = 20_000
    compressor = zlib.compressobj(wbits=31)
    parts = [compressor.compress(encode([meta()]))]
    for i in range(n):
        parts.append(compressor.compress(encode([review(str(i + 1), comment="x" * 200)])))
    parts.append(compressor.compress(encode([{"type": "end", "records": n}])) + compressor.flush())
    data = b"".join(parts)
    stream = io.BytesIO(data)
    tracemalloc.start()
    try:
        info, records = read_dump(stream)
        count = sum(1 for _ in records)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == n
    assert peak < 2_000_000, peak  # the decompressed dump is ~12 MB; a line and a chunk at a time


# --- refusals -----------------------------------------------------------------------------------------


def a_real_dump() -> bytes:
    return dump([requester(f"A{i:03d}") for i in range(300)] + [review(str(i + 1)) for i in range(300)])


@pytest.mark.parametrize("cut", [1, 2, 5, 10, 11, 100, "third", "half", -12, -8, -4, -1])
def test_a_truncated_gzip_is_refused(cut: int | str) -> None:
    data = a_real_dump()
    at = {"third": len(data) // 3, "half": len(data) // 2}.get(cut, cut)  # type: ignore[arg-type]
    error = refused(data[:at])
    assert error.message == "the file is truncated or corrupt", error
    assert error.where.startswith("line ")


def test_a_corrupt_gzip_is_refused() -> None:
    data = bytearray(a_real_dump())
    data[len(data) // 2] ^= 0xFF
    assert refused(bytes(data)).where.startswith("line ")
    checksum = bytearray(a_real_dump())
    checksum[-6] ^= 0x01  # the CRC-32 in the gzip trailer
    assert refused(bytes(checksum)).message == "the file is truncated or corrupt"


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty"),
    (encode([meta(), {"type": "end", "records": 0}]), "not gzip-compressed"),
    (b"<html>502 Bad Gateway</html>", "not gzip-compressed"),
    (gzip.compress(b"", mtime=0), "no meta line"),  # mtime=0: the same bytes in every process
])
def test_not_a_dump_at_all(data: bytes, message: str) -> None:
    assert message in str(refused(data))


@pytest.mark.parametrize(("head", "message", "where"), [
    (requester(), "the first line must be the meta object", "line 1"),
    (b"not json\n", "the first line must be the meta object", "line 1"),
    (b"[1, 2]\n", "the first line must be the meta object", "line 1"),
    (meta(schema="turkopticon.export"), "not a Fairfinder ratings dump", "line 1, field schema"),
    (meta(schema_version=2), "upgrade Fairfinder", "line 1, field schema_version"),
    (meta(schema_version=0), "not a Fairfinder ratings dump", "line 1, field schema_version"),
    (meta(schema_version="1"), "not a Fairfinder ratings dump", "line 1, field schema_version"),
    (meta(full="yes"), "Expected `bool`", "line 1, field full"),
    ({k: v for k, v in meta().items() if k != "full"}, "required", "line 1, field full"),
])
def test_a_wrong_meta_line(head: dict[str, Any] | bytes, message: str, where: str) -> None:
    data = gzip.compress(encode([head, {"type": "end", "records": 0}]))
    error = refused(data)
    assert message in error.message and error.where == where, error


def test_newer_versions_say_to_upgrade_before_any_record_is_read() -> None:
    with pytest.raises(ImportError_, match="upgrade Fairfinder"):
        read_dump(io.BytesIO(dump([b"this line is never read\n"], head=meta(schema_version=7))))


def test_a_line_longer_than_the_limit() -> None:
    error = refused(dump([requester(), review(comment="x" * 5000)]), max_line_bytes=4096)
    assert "longer than 4096 bytes" in error.message and error.where == "line 3"
    # No newline at all: refused once the limit is passed, never read whole.
    endless = gzip.compress(encode([meta()]) + b"a" * (3 << 20))
    error = refused(endless)
    assert "longer than" in error.message and error.where == "line 2"


def test_the_total_size_cap() -> None:
    error = refused(dump([review(str(i + 1)) for i in range(100)]), max_total_bytes=10_000)
    assert "larger than 10000 bytes" in error.message and error.where.startswith("line ")
    compressor = zlib.compressobj(wbits=31)
    lines = (encode([review(str(i + 1), comment="x" * 2000)]) for i in range(20_000))  # 45 MB in ~1 MB
    bomb = compressor.compress(encode([meta()])) + b"".join(compressor.compress(line) for line in lines) + compressor.flush()
    assert len(bomb) < 2_000_000
    error = refused(bomb, max_total_bytes=4 << 20)
    assert "larger than 4194304 bytes" in error.message and error.where.startswith("line ")


def test_a_gzip_bomb_without_newlines_stops_at_the_line_limit() -> None:
    bomb = gzip.compress(encode([meta()]) + bytes(64 << 20))  # 64 MB of zeros in ~64 KB
    assert len(bomb) < 200_000
    error = refused(bomb)
    assert "longer than 1048576 bytes" in error.message and error.where == "line 2"


@pytest.mark.parametrize(("records", "message", "where"), [
    ([requester("A1"), requester("A1")], "the same requester appears twice: lines 2 and 3", "line 3"),
    ([requester("A1"), requester("A2"), requester(" A1")], "lines 2 and 4", "line 4"),
    ([task_type(), task_type(task={**TASK, "title": "Transcribe  audio"})], "the same task type appears twice: lines 2 and 3",
     "line 3"),
    ([review("7"), review("7")], "review '7' appears twice: lines 2 and 3", "line 3"),
    ([{"type": "deleted", "kind": "review", "id": "5"}, {"type": "deleted", "kind": "review", "id": "5"}],
     "the same deleted record appears twice: lines 2 and 3", "line 3"),
])
def test_a_record_twice(records: list[dict[str, Any]], message: str, where: str) -> None:
    full = not any(r["type"] == "deleted" for r in records)
    error = refused(dump(records, head=meta(full=full)))
    assert message in error.message and error.where == where, error


def test_the_same_task_for_two_requesters_is_no_duplicate() -> None:
    assert len(read_all(dump([task_type("A1"), task_type("A2"), task_type("A1", task={**TASK, "reward_cents": 51})]))[1]) == 3


@pytest.mark.parametrize(("records", "message", "where"), [
    ([task_type(), requester()], "a requester record after task_type records (line 2)", "line 3"),
    ([review(), task_type()], "a task_type record after review records", "line 3"),
    ([requester(), {"type": "deleted", "kind": "review", "id": "1"}], "a deleted record after requester records",
     "line 3"),
    ([review("10"), review("9")], "review '9' comes after review '10' (line 2)", "line 3"),
])
def test_records_out_of_order(records: list[dict[str, Any]], message: str, where: str) -> None:
    error = refused(dump(records, head=meta(full=False)))
    assert message in error.message and error.where == where, error


def test_a_full_dump_carries_no_deletions() -> None:
    error = refused(dump([{"type": "deleted", "kind": "review", "id": "1"}]))
    assert "full dump" in error.message and error.where == "line 2"


@pytest.mark.parametrize(("data", "message", "where"), [
    (dump([requester()], end=None), "incomplete dump: it has no end line", "line 3"),
    (dump([], end=None), "incomplete dump", "line 2"),
    (dump([requester(), review()], end=3), "the end line counts 3 records, the dump holds 2", "line 4"),
    (dump([requester()], end=0), "incomplete dump", "line 3"),
    (dump([requester()], tail=encode([review()])), "data after the end line (line 3)", "line 4"),
    (dump([requester()], tail=b"\n"), "data after the end line", "line 4"),
    (dump([requester()]) + b"garbage after the gzip stream", "goes on after the end of its gzip stream", "line 4"),
    (dump([requester(), meta()]), "a second meta object", "line 3"),
])
def test_incomplete_or_trailing(data: bytes, message: str, where: str) -> None:
    error = refused(data)
    assert message in error.message and error.where == where, error


@pytest.mark.parametrize(("line", "message", "where"), [
    ({"type": "banana", "id": "1"}, "unknown record type 'banana'", "line 2, field type"),
    ({"id": "1"}, "this field is required", "line 2, field type"),
    (b"{not json}\n", "not valid JSON", "line 2"),
    (b"\n", "an empty line", "line 2"),
    (b"[]\n", "Expected `object`", "line 2"),
    (requester(reviews="twelve"), "Expected `int`, got `str`", "line 2, field reviews"),
    ({k: v for k, v in requester().items() if k != "platform"}, "this field is required", "line 2, field platform"),
    (task_type(task={"title": "T", "reward_cents": "50"}), "Expected `int`", "line 2, field task.reward_cents"),
    (task_type(task={"reward_cents": 50}), "this field is required", "line 2, field task.title"),
    (task_type(task={**TASK, "currency": "dollars"}), "three letters", "line 2, field task.currency"),
    (task_type(task={**TASK, "title": "  "}), "must not be blank", "line 2, field task.title"),
    (review(ratings={"pay": 6}), "1 to 5 or null", "line 2, field ratings.pay"),
    (review(ratings={"pay": "4"}), "Expected `int | null`", "line 2, field ratings"),
    (review(flags="captcha"), "Expected `array`", "line 2, field flags"),
    (review(flags=[1]), "Expected `str`", "line 2, field flags[0]"),
    (review(outcome="x" * 17), "longer than 16 characters", "line 2, field outcome"),
    (review(worked_seconds=-5), "must not be negative", "line 2, field worked_seconds"),
    (review(created_at="last tuesday"), "Invalid RFC3339", "line 2, field created_at"),
    (review(id=""), "needs an id", "line 2, field id"),
    (review(requester_id="A" * 129), "longer than 128", "line 2, field requester_id"),
    (requester(ratings={"pay": [1]}), "[n, sum]", "line 2, field ratings.pay"),
    (requester(platform=""), "must not be blank", "line 2, field platform"),
    ({"type": "deleted", "kind": "review"}, "required for a deleted review", "line 2, field id"),
    ({"type": "deleted", "kind": "requester", "platform": "mturk"}, "required", "line 2, field requester_id"),
    ({"type": "deleted", "kind": "task_type", "platform": "mturk", "requester_id": "A1"}, "required",
     "line 2, field task"),
    ({"type": "deleted", "kind": "everything"}, "Invalid enum value", "line 2, field kind"),
    ({"type": "end", "records": "all"}, "Expected `int`", "line 2, field records"),
])
def test_a_bad_record(line: dict[str, Any] | bytes, message: str, where: str) -> None:
    error = refused(dump([line], head=meta(full=False)))
    assert message in error.message and error.where == where, error


def test_records_before_a_bad_line_come_out_first() -> None:
    """The iterator raises where the problem is: the importer validates everything before applying."""
    info, records = read_dump(io.BytesIO(dump([requester("A1"), requester("A2", reviews=-1)])))
    assert next(records).requester_id == "A1"
    with pytest.raises(ImportError_) as caught:
        next(records)
    assert caught.value.where == "line 3, field reviews"


def test_a_dump_cut_where_the_writer_flushed_is_still_truncated() -> None:
    """The writer flushes after every page, so a cut there leaves only whole lines: still refused."""
    compressor = zlib.compressobj(wbits=31)
    cuts, data = [], b""
    for line in [meta(), requester(), review(), {"type": "end", "records": 2}]:
        data += compressor.compress(encode([line])) + compressor.flush(zlib.Z_SYNC_FLUSH)
        cuts.append(len(data))
    data += compressor.flush()
    assert len(read_all(data)[1]) == 2
    for cut in cuts:
        assert refused(data[:cut]).message == "the file is truncated or corrupt"
