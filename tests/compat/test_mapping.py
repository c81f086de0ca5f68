"""The pure mapping rules: rounding, pay buckets, per-review rules, request parsing, the Turkopticon shapes."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import msgspec
import pytest

from server.compat import mapping
from server.compat.mapping import ReviewFacts, Tally
from server.domain.aggregate import RECENT
from tests.compat.conftest import fixture, same_shape

# --- two decimals like MySQL's DECIMAL(3,2) --------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    (4.675, "4.68"),  # "%.2f" % 4.675 is "4.67" (the float is 4.67499…); MySQL's DECIMAL rounds the decimal half up
    (Fraction(187, 40), "4.68"),  # the exact mean 4.675
    (4.665, "4.67"),
    (Decimal("3.105"), "3.11"),
    (4.6749, "4.67"),
    (Fraction(14, 3), "4.67"),
    (Fraction(10, 3), "3.33"),
    (4.2, "4.20"),
    (5, "5.00"),
    (0, "0.00"),
    (Fraction(1, 200), "0.01"),  # 0.005 half up
    (Fraction(1, 201), "0.00"),
    (-1.005, "-1.01"),  # half away from zero, as MySQL
    (-0.001, "0.00"),
    (float("nan"), "0.00"),
])
def test_two_decimals_rounds_half_up_exactly(value, text):
    assert mapping.two_decimals(value) == text
    assert "%.2f" % 4.675 == "4.67"  # why floats are not used: the naive formatting rounds this one down


def test_mean_string_is_zero_without_ratings_and_two_decimals_otherwise():
    assert mapping.mean_string(0, 0) == "0.00"
    assert mapping.mean_string(7, 2) == "3.50"
    assert mapping.mean_string(187, 40) == "4.68"
    assert mapping.mean_string(21, 5) == "4.20"


# --- hourly rate and the five buckets --------------------------------------------------------------


def test_hourly_dollars_is_reward_plus_bonus_per_hour_exactly():
    assert mapping.hourly_dollars(100, None, 900) == 4  # $1 in 15 minutes
    assert mapping.hourly_dollars(100, 50, 900) == 6
    assert mapping.hourly_dollars(1, 0, 7) == Fraction(36, 7)
    assert mapping.hourly_dollars(None, 50, 900) is None  # no task, so no reward known
    assert mapping.hourly_dollars(100, None, None) is None
    assert mapping.hourly_dollars(100, None, 0) is None
    assert mapping.hourly_dollars(100, None, -5) is None
    assert mapping.hourly_dollars(0, None, 60) == 0


@pytest.mark.parametrize(("dollars_per_hour", "label"), [
    (0, "$0-$4"), (Fraction(399, 100), "$0-$4"), (Fraction(3999999, 1000000), "$0-$4"),
    (4, "$4-$7"), (Fraction(699, 100), "$4-$7"),
    (7, "$7-$10"), (Fraction(999, 100), "$7-$10"),
    (10, "$10-$15"), (Fraction(1499, 100), "$10-$15"),
    (15, "$15+"), (1000, "$15+"),
])
def test_buckets_include_their_lower_bound(dollars_per_hour, label):
    assert mapping.PAY_BUCKETS[mapping.bucket_of(dollars_per_hour)][0] == label


def test_bucket_edges_through_cents_and_seconds():
    # $7/h exactly: 700 cents in an hour; one second more and it is below $7.
    assert mapping.bucket_of(mapping.hourly_dollars(700, None, 3600)) == 2
    assert mapping.bucket_of(mapping.hourly_dollars(700, None, 3601)) == 1
    assert mapping.bucket_of(mapping.hourly_dollars(50, 25, 180)) == 4  # $15/h with the bonus
    assert mapping.bucket_of(mapping.hourly_dollars(50, None, 180)) == 3  # $10/h without it


def test_pay_buckets_are_null_without_rates_and_all_five_in_order_otherwise():
    assert mapping.pay_buckets(Tally()) is None
    assert mapping.pay_buckets(Tally(rate_n=1, buckets=(0, 0, 0, 0, 1))) == [
        ["$0-$4", 0], ["$4-$7", 0], ["$7-$10", 0], ["$10-$15", 0], ["$15+", 1]]
    assert [label for label, _ in mapping.pay_buckets(Tally(rate_n=1, buckets=(1, 0, 0, 0, 0)))] == [
        label for label, _ in fixture("to1_multi_attrs.reconstructed.json")["A1EXAMPLE00001"]["pay_buckets"]]


# --- per-review rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(("ratings", "verdict"), [
    ([4, None, None, None], True),
    ([5, 3, None, None], True),  # mean 4
    ([5, 2, None, None], False),  # mean 3.5
    ([5, 5, 5, 1], True),  # mean 4
    ([5, 5, 4, 1], False),  # mean 3.75
    ([None, None, None, None], None),  # no rating: not counted at all
    ([], None),
    ([0, 9, None, 4], True),  # out-of-range values are not ratings
])
def test_recommends_when_the_mean_of_given_ratings_is_at_least_four(ratings, verdict):
    assert mapping.recommends(ratings) is verdict


def test_tos_flags_are_the_mturk_policy_violations_of_our_vocabulary():
    from server.domain.vocab import FLAGS  # noqa: PLC0415

    assert set(mapping.TOS_FLAGS) <= set(FLAGS) and mapping.BROKEN_FLAG in FLAGS
    assert mapping.violates_tos(["personal_data"]) and mapping.violates_tos(["underpaid", "download_or_install"])
    assert not mapping.violates_tos(["broken", "underpaid", "webcam_or_phone"])


def test_reference_tally_counts_each_rule():
    reviews = [
        ReviewFacts(pay=5, fairness=5, speed=4, communication=5, worked_seconds=600, outcome="approved",
                    approval_seconds=86400, bonus_cents=50, reward_cents=150),
        ReviewFacts(pay=2, communication=3, worked_seconds=1200, outcome="rejected", flags=("broken",), reward_cents=150),
        ReviewFacts(worked_seconds=300, outcome="returned", flags=("personal_data",)),
        ReviewFacts(fairness=4, speed=4, worked_seconds=60, outcome="blocked", approval_seconds=3600,
                    flags=("download_or_install", "broken"), reward_cents=20),
    ]
    tally = mapping.tally_reviews(reviews)
    assert tally.reviews == 4
    assert (tally.n_comm, tally.sum_comm, tally.comm_yes) == (2, 8, 1)
    assert (tally.recommend_yes, tally.recommend_n) == (2, 3)
    assert (tally.rejected_yes, tally.rejected_n) == (2, 3)
    assert (tally.tos, tally.broken) == (2, 2)
    assert (tally.reward_cents, tally.reward_seconds, tally.reward_n) == (320, 1860, 3)  # no bonus in TO2's reward
    assert (tally.pending_sum, tally.pending_n) == (90000, 2)
    assert tally.buckets == (0, 1, 0, 2, 0) and tally.rate_n == 3  # $12, $4.50 and $12 an hour


def test_recent_is_ninety_days_like_our_own_aggregates():
    assert RECENT == timedelta(days=90)


# --- requests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "ids"), [
    ("A1B2C3", ["A1B2C3"]),
    ("A1,A2,A1", ["A1", "A2"]),  # duplicates once, first position
    ("A2,A1", ["A2", "A1"]),
    (" A1 , A2 ", ["A1", "A2"]),
    ("A1,,A2,", ["A1", "A2"]),
    ("a1b2", None),  # MTurk ids are upper case (scrapers/ids.py)
    (",".join(f"A{i}" for i in range(100)), [f"A{i}" for i in range(100)]),
    (",".join(["A1"] * 150), ["A1"]),  # a hundred distinct ids, not a hundred items
    (None, None),
    ("", None),
    (",,", None),
    ("A1,A-2", None),
    ("A1;A2", None),
    ("A1,<script>", None),
    ("AÄ1", None),
    ("A" * 65, None),
    (",".join(f"A{i}" for i in range(101)), None),
    ("A1," * 5000, None),  # too long to be valid: not even split
])
def test_parse_ids(raw, ids):
    assert mapping.parse_ids(raw) == ids


def test_usage_sentence_is_plain_text_that_starts_like_turkopticons():
    assert mapping.USAGE.startswith("To get data, call this URL with an 'ids' parameter.")
    assert "multi-attrs.php?ids=" in mapping.USAGE and "100" in mapping.USAGE
    with pytest.raises(json.JSONDecodeError):
        json.loads(mapping.USAGE)


@pytest.mark.parametrize(("raw", "rids"), [
    (None, None), ("", None), ("A1", ["A1"]), ("A1,A2,A1", ["A1", "A2"]), (",,", []), ("A-1, A2", ["A-1", "A2"]),
    ("x" * 129 + ",A1", ["A1"]),
])
def test_parse_rids(raw, rids):
    assert mapping.parse_rids(raw) == rids


@pytest.mark.parametrize(("accept", "problem"), [
    (None, None), ("", None), ("*/*", None), ("application/json", None), ("application/vnd.api+json", None),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None),
    ("application/vnd.turkopticon+json", None), ("application/vnd.turkopticon.v2+json", None),
    ("application/vnd.turkopticon.v2.0-alpha+json", None),
    ("application/vnd.turkopticon.v9+json", 404), ("application/vnd.turkopticon.v1+json, */*", 404),
    ("text/html", 415), ("text/plain", 415), ("application/xml", 415),
])
def test_accept_like_turkopticon2s_router(accept, problem):
    assert mapping.accept_problem(accept) == problem


@pytest.mark.parametrize(("query", "attributes"), [
    ([], ["name", "rid", "aggregates", "aliases"]),
    ([("rids", "A1")], ["name", "rid", "aggregates", "aliases"]),
    ([("fields[requesters]", "rid,name")], ["rid", "name"]),  # the order asked
    ([("fields[requesters]", "aggregates, rid,rid,bogus")], ["aggregates", "rid"]),
    ([("fields[requesters]", "")], []),
    ([("fields[requesters]", "rid"), ("fields[reviews]", "x")], ["rid"]),
    ([("fields[reviews]", "x")], None),
    ([("fields", "rid")], None),
])
def test_sparse_fieldsets(query, attributes):
    assert mapping.requested_attributes(query, mapping.TO2_INDEX_ATTRIBUTES) == attributes


# --- response documents ------------------------------------------------------------------------------


def test_to2_errors_are_exactly_turkopticons():
    errors = fixture("to2_errors.reconstructed.json")
    assert mapping.to2_error(400, mapping.MISSING_RIDS) == errors["missing_rids_400"]
    assert mapping.to2_error(400, mapping.BAD_FIELDS) == errors["bad_fields_400"]
    assert mapping.to2_error(404, mapping.unknown_requester("A1EXAMPLE00009")) == errors["unknown_requester_404"]
    assert mapping.to2_error(403) == errors["legacy_account_sync_bad_key_403"]
    assert mapping.to2_error(409) == errors["legacy_account_sync_conflict_409"]
    assert mapping.to2_error(404) == errors["unknown_path_or_version_404"]
    assert mapping.to2_error(415, "Specified path '/requesters' does not exist.") == errors["non_json_accept_on_known_path_415"]


def test_an_empty_period_encodes_exactly_like_turkopticon2s():
    empty = fixture("to2_requesters_show.reconstructed.json")["data"]["attributes"]["aggregates"]["recent"]
    assert msgspec.json.encode(mapping.to2_period(Tally())) == msgspec.json.encode(empty)  # 0 vs 0.0 included


def test_to2_datum_has_the_fixture_shapes():
    tally = Tally(reviews=3, reward_cents=1234, reward_seconds=600, reward_n=2, pending_sum=10, pending_n=4)
    index = fixture("to2_requesters_index.reconstructed.json")["data"][0]
    datum = mapping.to2_datum("A1EXAMPLE00001", "Example Research Lab", tally, Tally(), mapping.TO2_INDEX_ATTRIBUTES)
    same_shape(datum, index, skip=frozenset({"$.attributes.aggregates.recent", "$.attributes.aliases"}))
    assert datum["attributes"]["aliases"] == []
    assert datum["attributes"]["aggregates"]["all"]["reward"] == [12.34, 600, 2]
    assert datum["attributes"]["aggregates"]["all"]["pending"] == 2.5
    show = fixture("to2_requesters_show.reconstructed.json")["data"]
    same_shape(mapping.to2_datum("A1EXAMPLE00001", "x", tally, Tally(), mapping.TO2_SHOW_ATTRIBUTES), show)


def test_to1_body_keeps_order_and_escapes_markup_without_changing_values():
    entry = mapping.to1_entry('<img src=x onerror="alert(1)"> & Co', Tally(reviews=1, n_pay=1, sum_pay=3))
    body = mapping.to1_body(["B2", "A1", "C3"], {"A1": entry, "C3": entry})
    assert b"<" not in body and b">" not in body and b"&" not in body
    parsed = json.loads(body)
    assert list(parsed) == ["B2", "A1", "C3"]
    assert parsed["B2"] == ""
    assert parsed["A1"]["name"] == '<img src=x onerror="alert(1)"> & Co'
    assert parsed["A1"]["attrs"] == {"comm": "0.00", "pay": "3.00", "fair": "0.00", "fast": "0.00"}
    same_shape(parsed["A1"], fixture("to1_multi_attrs.reconstructed.json")["A2EXAMPLE00002"])


# --- other communities' aggregates as Turkopticon 2 counts --------------------------------------------


def figures(kind: str, **values) -> mapping.SourceFigures:
    base = {"reviews": 10, "summary": {}, "ratings": {}, "rejections": 0, "approval_seconds": None, "recent": {},
            "flag_counts": {}, "extra": {}}
    return mapping.SourceFigures(kind=kind, **(base | values))


def test_turkopticon2_counts_are_read_back_only_when_they_are_whole_and_consistent():
    everything, recent = mapping.imported_periods(figures(
        "turkopticon2", ratings={"communication": [8, 28.0]}, rejections=3, summary={"decided": 45, "n_completed": 0},
        extra={"recommend": [20, 30, 52], "tos": [1, 52]}, recent={"reviews": 7, "rejections": 2}))
    assert (everything.comm, everything.recommend, everything.rejected, everything.tos) == ((5, 8), (20, 30), (3, 45), (1, 52))
    assert everything.reward is None  # no completed reviews with a time
    assert recent == mapping.ImportedPeriod(reviews=7)  # recent rejections without their n: not given
    odd, _ = mapping.imported_periods(figures(
        "turkopticon2", ratings={"communication": [8, 27.5]}, rejections=9, summary={"decided": 4},
        extra={"recommend": ["x", 1, 2], "tos": [3]}))
    assert (odd.comm, odd.recommend, odd.rejected, odd.tos) == (None, None, None, None)  # not read: not said


def test_a_mean_from_another_community_is_weighed_by_its_reviews_and_n_counts_only_answers():
    ours = Tally(reviews=2, pending_sum=600, pending_n=2, n_comm=2, comm_yes=1)
    theirs = mapping.ImportedPeriod(reviews=6, pending=700.0, comm=None)
    period = mapping.to2_period(ours, [theirs])
    assert period["pending"] == pytest.approx((300 * 2 + 700 * 6) / 8)
    assert period["comm"] == [1, 2, 8] and period["tos"] == [0, 2] and period["broken"] == [0, 2]
    assert mapping.to2_period(Tally(), [theirs])["pending"] == 700.0


def test_turkopticon1_and_peer_aggregates_say_only_their_counts():
    to1, _ = mapping.imported_periods(figures("turkopticon1", extra={"tos_flags": 2, "pay_buckets": [["$0-$4", 3]]},
                                              ratings={"communication": [10, 42.0]}))
    assert to1 == mapping.ImportedPeriod(reviews=10, tos=(2, 10))
    assert mapping.imported_periods(figures("turkopticon1", extra={"tos_flags": "2"}))[0].tos is None
    peer, _ = mapping.imported_periods(figures("fairfinder", flag_counts={"download_or_install": 3, "broken": 1},
                                               rejections=4, approval_seconds=60.0,
                                               summary={"n_completed": 3, "pooled_pay_cents": 30.0, "pooled_seconds": 90.0}))
    assert peer == mapping.ImportedPeriod(reviews=10, tos=(3, 10), broken=(1, 10))
