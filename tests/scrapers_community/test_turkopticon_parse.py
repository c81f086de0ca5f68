"""scrapers.turkopticon: every reconstructed Turkopticon response shape, field by field, and the odd cases."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrapers.ratings import ImportError_, RequesterRecord
from scrapers.turkopticon import (
    MAX_IDS_PER_CALL,
    TO1_BASE_URL,
    TO2_BASE_URL,
    batches,
    parse_to1_multi_attrs,
    parse_to2_requesters,
    to1_url,
    to2_url,
)
from server.domain.pay import SampleSummary

ROOT = Path(__file__).resolve().parents[2]
# Copies of ../shared/fixtures/turkopticon (its README.txt: reconstructed from Turkopticon's code), kept in
# the repository so a fresh clone tests them; never skipped.
FIXTURES = ROOT / "tests" / "fixtures" / "turkopticon"

ID1, ID2, ID3 = "A1EXAMPLE00001", "A2EXAMPLE00002", "A3EXAMPLE00003"


def fixture_bytes(name: str) -> bytes:
    assert FIXTURES is not None
    return (FIXTURES / name).read_bytes()


def errors_of(call, body: Any) -> ImportError_:
    with pytest.raises(ImportError_) as info:
        call(body)
    return info.value


def to1(entries: dict[str, Any]) -> bytes:
    return json.dumps(entries).encode()


def entry(**overrides: Any) -> dict[str, Any]:
    base = {"name": "R", "attrs": {"comm": "4.00", "pay": "3.00", "fair": "2.00", "fast": "1.00"}, "reviews": 10,
            "tos_flags": 0}
    base.update(overrides)
    return base


def to2(*resources: dict[str, Any]) -> bytes:
    return json.dumps({"data": list(resources), "status": 200}).encode()


def resource(rid: str = ID1, **aggregates: Any) -> dict[str, Any]:
    return {"type": "requesters", "id": rid, "attributes": {"rid": rid, "aggregates": aggregates}}


# ---------------------------------------------------------------------------------------------
# Every fixture file
# ---------------------------------------------------------------------------------------------


def test_every_fixture_file_has_an_expectation() -> None:
    assert FIXTURES is not None
    names = {p.name for p in FIXTURES.glob("*.json")}
    assert names <= {
        "to1_multi_attrs.reconstructed.json",
        "to1_multi_attrs_2014.reconstructed.json",
        "to1_reviews_php.reconstructed.json",
        "to2_errors.reconstructed.json",
        "to2_requesters_index.reconstructed.json",
        "to2_requesters_show.reconstructed.json",
        "to2_root.reconstructed.json",
    }, "a new fixture file: add expectations for it here"


def test_to1_multi_attrs_2020_21() -> None:
    first, second = parse_to1_multi_attrs(fixture_bytes("to1_multi_attrs.reconstructed.json"))
    # A3EXAMPLE00003 is "" (unknown to Turkopticon): no record.
    assert first.platform == "mturk" and first.requester_id == ID1
    assert first.name == "Example Research Lab"
    assert first.reviews == 57
    # n = reviews for every attribute with data (TO1 has no per-attribute counts), sum = mean * n
    assert first.ratings == {
        "pay": [57.0, 176.7],
        "fairness": [57.0, 265.05],
        "speed": [57.0, 273.6],
        "communication": [57.0, 239.4],
    }
    assert first.extra == {
        "tos_flags": 0,
        "pay_buckets": [["$0-$4", 1], ["$4-$7", 3], ["$7-$10", 6], ["$10-$15", 2], ["$15+", 1]],
    }
    assert (first.rejections, first.blocks, first.approval_seconds, first.median_hourly_cents) == (0, 0, None, None)
    assert first.summary == {} and first.flag_counts == {} and first.recent == {} and first.updated_at is None

    assert second.requester_id == ID2 and second.name == "Another Requester" and second.reviews == 2
    # "0.00" = no data: comm and pay are left out
    assert second.ratings == {"fairness": [2.0, 4.0], "speed": [2.0, 7.0]}
    assert second.extra == {"tos_flags": 1, "pay_buckets": None}


def test_to1_multi_attrs_2014() -> None:
    [only] = parse_to1_multi_attrs(fixture_bytes("to1_multi_attrs_2014.reconstructed.json"))
    assert only.requester_id == ID1 and only.reviews == 57
    assert only.ratings["communication"] == [57.0, 239.4]
    assert only.extra == {"tos_flags": 0}  # no pay_buckets key in the 2014 shape


def test_to1_reviews_php_is_not_a_multi_attrs_body() -> None:
    error = errors_of(parse_to1_multi_attrs, fixture_bytes("to1_reviews_php.reconstructed.json"))
    assert error.where == ID1 and "attrs" in error.message


def test_to2_index() -> None:
    [record] = parse_to2_requesters(fixture_bytes("to2_requesters_index.reconstructed.json"))
    assert record.platform == "mturk" and record.requester_id == ID1
    assert record.name == "Example Research Lab"
    assert record.reviews == 52  # all.N
    assert record.rejections == 3
    assert record.approval_seconds == 259200.0
    assert record.ratings == {"communication": [8.0, 5 * 5 + 1 * 3]}  # yes read as 5, no as 1
    assert record.flag_counts == {"broken": 2}
    assert record.recent == {"reviews": 7, "rejections": 0, "blocks": 0}
    assert record.extra == {"aliases": ["Example Lab (old name)"], "tos": [1, 52], "recommend": [20, 30, 52]}
    rate = 123.45 * 100 * 3600 / 98765
    mean_log = math.log(98765 / 40)
    assert record.median_hourly_cents == pytest.approx(rate)
    assert record.summary == {
        "n": 40,
        "n_completed": 40,
        "n_returned": 0,
        "median_log_seconds": pytest.approx(mean_log),
        "sum_log_seconds": pytest.approx(40 * mean_log),
        "returned_median_seconds": None,
        "approved": 42,
        "decided": 45,
        "mean_bonus_cents": 0.0,
        "rate_p25": pytest.approx(rate),
        "rate_p50": pytest.approx(rate),
        "rate_p75": pytest.approx(rate),
        "pooled_pay_cents": 12345.0,
        "pooled_seconds": 98765.0,
        "sum_returned_seconds": 0.0,
    }
    # The summary is a SampleSummary as builtins: it converts with nothing left over or lost. The weighed
    # fields (weight, accounts, w_*, spreads, reviews) stay unset: TO2 names no accounts (docstring of
    # scrapers/turkopticon.py), so the counts above are what effective_hourly uses.
    summary = msgspec.convert(record.summary, SampleSummary)
    fields = msgspec.structs.asdict(summary)
    assert record.summary.keys() <= fields.keys()
    assert {key: fields[key] for key in record.summary} == record.summary
    assert all(fields[key] is None for key in fields.keys() - record.summary.keys())
    assert summary.pooled_pay_cents / summary.pooled_seconds * 3600 == pytest.approx(rate)


def test_to2_show_has_no_name_and_an_empty_recent() -> None:
    [record] = parse_to2_requesters(fixture_bytes("to2_requesters_show.reconstructed.json"))
    assert record.requester_id == ID1 and record.name == ""
    assert record.reviews == 52 and record.rejections == 3
    assert record.recent == {"reviews": 0, "rejections": 0, "blocks": 0}
    assert record.summary["decided"] == 45 and record.summary["approved"] == 42
    assert "aliases" not in record.extra


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("missing_rids_400", "400 Bad Request: Bad Request -- Missing required parameter: rids."),
        ("bad_fields_400", "400 Bad Request: Specified field type(s) unavailable."),
        ("unknown_requester_404", "404 Not Found: RequesterId 'A1EXAMPLE00009' does not exist in the database"),
        ("legacy_account_sync_bad_key_403", "403 Forbidden"),
        ("legacy_account_sync_conflict_409", "409 Conflict"),
        ("unknown_path_or_version_404", "404 Not Found"),
        ("non_json_accept_on_known_path_415", "415 Unsupported Media Type: Specified path '/requesters' does not exist."),
    ],
)
def test_to2_errors_bodies(key: str, expected: str) -> None:
    bodies = json.loads(fixture_bytes("to2_errors.reconstructed.json"))
    assert key in bodies
    error = errors_of(parse_to2_requesters, json.dumps(bodies[key]))
    assert error.where == "errors"
    assert error.message == f"Turkopticon said: {expected}"


def test_to2_errors_fixture_is_fully_covered() -> None:
    bodies = json.loads(fixture_bytes("to2_errors.reconstructed.json"))
    assert len(bodies) == 7


def test_to2_root_is_not_a_requesters_body() -> None:
    error = errors_of(parse_to2_requesters, fixture_bytes("to2_root.reconstructed.json"))
    assert error.where == "data" and "required" in error.message


# ---------------------------------------------------------------------------------------------
# TO1 odd cases
# ---------------------------------------------------------------------------------------------


def test_to1_unknown_ids_only_give_nothing() -> None:
    assert parse_to1_multi_attrs(to1({ID1: "", ID2: ""})) == []
    assert parse_to1_multi_attrs(b"[]") == []  # PHP's json_encode of an empty array
    assert parse_to1_multi_attrs(b"{}") == []


def test_to1_all_zero_attrs_give_no_ratings() -> None:
    attrs = {"comm": "0.00", "pay": "0.00", "fair": "0.00", "fast": "0.00"}
    [record] = parse_to1_multi_attrs(to1({ID1: entry(attrs=attrs, reviews=3)}))
    assert record.ratings == {} and record.reviews == 3


def test_to1_zero_reviews_give_no_ratings() -> None:
    [record] = parse_to1_multi_attrs(to1({ID1: entry(reviews=0)}))
    assert record.ratings == {} and record.reviews == 0


def test_to1_numbers_null_and_missing_attrs_are_read() -> None:
    [record] = parse_to1_multi_attrs(to1({ID1: entry(attrs={"pay": 3.5, "fair": None, "fast": 5}, reviews="4")}))
    assert record.ratings == {"pay": [4.0, 14.0], "speed": [4.0, 20.0]}
    assert record.reviews == 4  # a numeric string (PHP without mysqlnd)


def test_to1_name_is_cleaned_and_missing_name_is_empty() -> None:
    [a, b] = parse_to1_multi_attrs(to1({ID1: entry(name="  Lab\x00  of\nThings "), ID2: entry(name=None)}))
    assert a.name == "Lab of Things" and b.name == ""


def test_to1_html_typed_body_with_bom_and_php_notice() -> None:
    body = to1({ID1: entry()})
    [record] = parse_to1_multi_attrs(b"\xef\xbb\xbf\n  " + body + b"\n")
    assert record.requester_id == ID1
    notice = b"<br />\n<b>Notice</b>:  Undefined index: x in <b>/var/www/multi-attrs.php</b> on line <b>12</b><br />\n"
    [record] = parse_to1_multi_attrs(notice + body)
    assert record.reviews == 10
    [record] = parse_to1_multi_attrs(body.decode())  # str works too
    assert record.reviews == 10


@pytest.mark.parametrize(
    ("body", "where", "fragment"),
    [
        (b"", "payload", "empty"),
        (b"Usage: multi-attrs.php?ids=A1...,A2...", "payload", "not JSON: starts with 'Usage"),
        (b"<html><body>502 Bad Gateway</body></html>", "payload", "not JSON"),
        (b"{\"A1EXAMPLE00001\": ", "payload", "not valid JSON"),
        (b"\xff\xfe{}", "payload", "not UTF-8"),
        (b"[1, 2]", "payload", "non-empty list"),
        (b"42", "payload", "not JSON"),
        (b"[[[[[[[[[[", "payload", "not valid JSON"),
    ],
)
def test_to1_junk(body: bytes, where: str, fragment: str) -> None:
    error = errors_of(parse_to1_multi_attrs, body)
    assert error.where == where and fragment in error.message


@pytest.mark.parametrize(
    ("entries", "where", "fragment"),
    [
        ({ID1: entry(attrs={"pay": "5.50"})}, f"{ID1}.attrs.pay", "between 1 and 5"),
        ({ID1: entry(attrs={"fair": "0.50"})}, f"{ID1}.attrs.fair", "between 1 and 5"),
        ({ID1: entry(attrs={"pay": "abc"})}, f"{ID1}.attrs.pay", "must be a number"),
        ({ID1: entry(attrs={"pay": "NaN"})}, f"{ID1}.attrs.pay", "finite"),
        ({ID1: entry(attrs={"pay": [3]})}, f"{ID1}.attrs.pay", "Expected"),
        ({ID1: entry(attrs=None)}, f"{ID1}.attrs", "Expected"),
        ({ID1: {"name": "x", "reviews": 3}}, ID1, "attrs"),
        ({ID1: entry(reviews=-1)}, f"{ID1}.reviews", ">= 0"),
        ({ID1: entry(reviews="many")}, f"{ID1}.reviews", "whole number"),
        ({ID1: entry(reviews=2.5)}, f"{ID1}.reviews", "Expected"),
        ({ID1: entry(name=7)}, f"{ID1}.name", "Expected"),
        ({ID1: "unknown"}, ID1, "not the string"),
        ({ID1: None}, ID1, "Expected"),
        ({ID1: [1, 2]}, ID1, "Expected"),
        ({"not an id": ""}, "'not an id'", "does not look like an MTurk requester id"),
        ({"a1example00001": ""}, "'a1example00001'", "does not look like"),
        ({"A": ""}, "'A'", "does not look like"),
    ],
)
def test_to1_wrong_shapes(entries: dict[str, Any], where: str, fragment: str) -> None:
    error = errors_of(parse_to1_multi_attrs, to1(entries))
    assert error.where == where, error
    assert fragment in error.message, error
    assert str(error) == f"{where}: {error.message}"


def test_to1_unknown_fields_are_ignored() -> None:
    [record] = parse_to1_multi_attrs(to1({ID1: entry(surprise={"x": 1}, attrs={"pay": "2.00", "new": "3.00"})}))
    assert record.ratings == {"pay": [10.0, 20.0]}
    assert "surprise" not in record.extra


# ---------------------------------------------------------------------------------------------
# TO2 odd cases
# ---------------------------------------------------------------------------------------------


def test_to2_no_timings_leaves_summary_empty_and_keeps_approval_counts_in_extra() -> None:
    for reward in ([0, 0, 0], [1.5, 0, 3], [0.0, 600, 0]):
        [record] = parse_to2_requesters(to2(resource(all={"reward": reward, "rejected": [1, 4, 9], "pending": 0.0})))
        assert record.summary == {} and record.median_hourly_cents is None
        assert record.rejections == 1
        assert record.extra == {"decided": 4, "approved": 3}
        assert record.approval_seconds is None  # pending 0.0 = none
        assert record.reviews == 9


def test_to2_zero_counts_map_to_nothing() -> None:
    agg = {"reward": [2.0, 3600, 2], "comm": [0, 0, 5], "broken": [0, 5], "tos": [0, 5], "recommend": [0, 0, 5]}
    [record] = parse_to2_requesters(to2(resource(all=agg)))
    assert record.ratings == {} and record.flag_counts == {} and record.rejections == 0
    assert record.summary["n"] == 2 and record.summary["decided"] == 0 and record.summary["approved"] == 0
    assert record.summary["rate_p50"] == pytest.approx(200.0)  # $2 per hour
    assert record.summary["median_log_seconds"] == pytest.approx(math.log(1800))
    assert record.recent == {}  # no recent block at all
    assert record.extra == {"tos": [0, 5], "recommend": [0, 0, 5]}


def test_to2_comm_all_no_reads_as_ones() -> None:
    [record] = parse_to2_requesters(to2(resource(all={"comm": [0, 4, 6]})))
    assert record.ratings == {"communication": [4.0, 4.0]}
    assert record.reviews == 6


def test_to2_pooled_cents_round_half_up() -> None:
    [record] = parse_to2_requesters(to2(resource(all={"reward": [0.125, 100, 1]})))
    assert record.summary["pooled_pay_cents"] == 13.0  # 12.5 cents -> 13, not banker's 12


def test_to2_without_attributes_or_aggregates() -> None:
    body = json.dumps({"data": [{"type": "requesters", "id": ID1}, {"type": "requesters", "id": ID2, "attributes": {}}]})
    a, b = parse_to2_requesters(body)
    assert a == RequesterRecord(platform="mturk", requester_id=ID1)
    assert b == RequesterRecord(platform="mturk", requester_id=ID2)


def test_to2_empty_index_and_show_objects() -> None:
    assert parse_to2_requesters(b'{"data": [], "status": 200}') == []
    [record] = parse_to2_requesters(json.dumps({"data": resource(ID2, recent={"rejected": [2, 3, 4]})}))
    assert record.requester_id == ID2 and record.recent == {"reviews": 4, "rejections": 2, "blocks": 0}


def test_to2_name_is_cleaned() -> None:
    res = resource()
    res["attributes"]["name"] = "\tThe\x07 Lab "
    [record] = parse_to2_requesters(to2(res))
    assert record.name == "The Lab"


def test_to2_errors_win_over_data_and_empty_errors_still_error() -> None:
    body = {"data": [resource()], "errors": [{"status": 500, "title": "Oops"}]}
    assert errors_of(parse_to2_requesters, json.dumps(body)).message == "Turkopticon said: 500 Oops"
    assert "no detail" in errors_of(parse_to2_requesters, b'{"errors": []}').message


@pytest.mark.parametrize(
    ("body", "where", "fragment"),
    [
        ({"data": "A1EXAMPLE00001"}, "data", "Expected"),
        ({"data": [resource(), resource()]}, "data[1].id", "appears twice"),
        ({"data": [{"type": "requesters"}]}, "data[0]", "missing required field `id`"),
        ({"data": [{"type": "requesters", "id": "nope"}]}, "data[0].id", "does not look like"),
        ({"data": [{"type": "workers", "id": ID1}]}, "data[0].type", "must be \"requesters\""),
        ({"data": [{"type": "requesters", "id": ID1, "attributes": {"rid": ID2}}]}, "data[0].attributes.rid", "differs"),
        ({"data": [resource(all={"reward": [1, 2]})]}, "data[0].attributes.aggregates.all.reward", "length 3"),
        ({"data": [resource(all={"reward": [1, 2, 1.5]})]}, "data[0].attributes.aggregates.all.reward[2]", "`int`"),
        ({"data": [resource(all={"reward": [-1, 2, 1]})]}, "data[0].attributes.aggregates.all.reward[0]", ">= 0"),
        ({"data": [resource(all={"comm": [3, 2, 5]})]}, "data[0].attributes.aggregates.all.comm", "x <= n <= N"),
        ({"data": [resource(all={"rejected": [1, 6, 5]})]}, "data[0].attributes.aggregates.all.rejected", "x <= n <= N"),
        ({"data": [resource(recent={"broken": [3, 2]})]}, "data[0].attributes.aggregates.recent.broken", "x <= N"),
        ({"data": [resource(all={"pending": "soon"})]}, "data[0].attributes.aggregates.all.pending", "Expected"),
        ({"data": [resource(all={"tos": [1, 2, 3]})]}, "data[0].attributes.aggregates.all.tos", "length 2"),
        ({"data": [7]}, "data[0]", "resource object"),
        ({"errors": [{"status": []}]}, "errors[0].status", "Expected"),
        ({"status": 200}, "data", "required"),
    ],
)
def test_to2_wrong_shapes(body: dict[str, Any], where: str, fragment: str) -> None:
    error = errors_of(parse_to2_requesters, json.dumps(body))
    assert error.where == where, error
    assert fragment in error.message, error


@pytest.mark.parametrize("body", [b"", b"[]", b"null", b"<html>Service Unavailable</html>", b"\x00\x01"])
def test_to2_junk(body: bytes) -> None:
    assert errors_of(parse_to2_requesters, body).where == "payload"


# ---------------------------------------------------------------------------------------------
# Robustness: nothing but ImportError_ escapes, whatever the bytes
# ---------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=16), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_parsers_only_raise_import_error(body: bytes) -> None:
    for parse in (parse_to1_multi_attrs, parse_to2_requesters):
        try:
            records = parse(body)
        except ImportError_:
            continue
        assert all(isinstance(r, RequesterRecord) for r in records)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.from_regex(r"A[A-Z0-9]{9,13}", fullmatch=True),
                       st.one_of(st.just(""), st.builds(lambda n, p: entry(reviews=n, attrs={"pay": p}),
                                                        st.integers(0, 10**6),
                                                        st.decimals(1, 5, places=2).map(str))),
                       max_size=5))
def test_to1_round_trip(entries: dict[str, Any]) -> None:
    records = parse_to1_multi_attrs(to1(entries))
    assert [r.requester_id for r in records] == [k for k, v in entries.items() if v != ""]
    for record in records:
        source = entries[record.requester_id]
        if source["reviews"]:
            n, total = record.ratings["pay"]
            assert n == source["reviews"] and total / n == pytest.approx(float(source["attrs"]["pay"]))
        else:
            assert record.ratings == {}


# ---------------------------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------------------------


def test_urls() -> None:
    assert to1_url(TO1_BASE_URL, [ID1, ID2]) == f"https://turkopticon.net/api/multi-attrs.php?ids={ID1},{ID2}"
    assert to2_url(TO2_BASE_URL + "/", [ID1]) == f"https://api.turkopticon.info/requesters?rids={ID1}"
    assert to2_url("http://127.0.0.1:8000", (i for i in [ID3])) == f"http://127.0.0.1:8000/requesters?rids={ID3}"


@pytest.mark.parametrize("ids", [[], ["x,y"], [ID1, "a1example00001"], [f"A{i:013d}" for i in range(51)]])
def test_urls_refuse_bad_id_lists(ids: list[str]) -> None:
    with pytest.raises(ValueError):
        to1_url(TO1_BASE_URL, ids)
    with pytest.raises(ValueError):
        to2_url(TO2_BASE_URL, ids)


def test_batches() -> None:
    ids = [f"A{i:013d}" for i in range(120)]
    chunks = list(batches(ids + ids[:10]))
    assert [len(c) for c in chunks] == [50, 50, 20] and MAX_IDS_PER_CALL == 50
    assert [i for c in chunks for i in c] == ids  # order kept, duplicates dropped
    assert list(batches([ID1, ID2, ID1, ID3], size=2)) == [[ID1, ID2], [ID3]]
    assert list(batches([])) == []
    for chunk in chunks:
        to1_url(TO1_BASE_URL, chunk)  # every batch fits one call
    with pytest.raises(ValueError):
        list(batches(ids, size=0))
