"""Aggregates in parts (server/domain/parts.py) equal aggregates of all rows (server/domain/aggregate.py).

Writes recompute only the task types they touch and combine the requester's figures from every part; this is
the property that makes that sound, on random requesters: every part recomputed, or any part recomputed after
a change while the others were kept from before, gives what `requester_aggregates` gives from all the rows.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
from hypothesis import given, settings, strategies as st

from server.domain import pay
from server.domain.aggregate import ReviewRow, requester_aggregates
from server.domain.parts import OWN, Part, combine, decode_part, encode_part, recompute_parts, sample_values, summary_of
from tests.aggregates import close

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
TYPES = [11, 12, 13, 14]
REWARDS = {11: 25, 12: 0, 13: 150, 14: 1}
OUTCOMES = ["submitted", "returned", "approved", "pending", "rejected", "blocked"]
FLAGS = ["broken", "underpaid", "needs_sight"]

rating = st.one_of(st.none(), st.integers(1, 5))
review = st.fixed_dictionaries({
    "worker_id": st.integers(1, 6),
    "task_type_id": st.one_of(st.none(), st.sampled_from(TYPES)),
    "ratings": st.tuples(rating, rating, rating, rating),
    "worked_seconds": st.one_of(st.none(), st.integers(0, 7200)),
    "outcome": st.one_of(st.none(), st.sampled_from(OUTCOMES)),
    "approval_seconds": st.one_of(st.none(), st.integers(0, 10**6)),
    "bonus_cents": st.one_of(st.none(), st.integers(0, 500)),
    "age_days": st.integers(0, 200),  # of the review: the last 90 days count apart
    "author_age_days": st.one_of(st.none(), st.integers(0, 30)),  # new accounts' ratings weigh less
    "role": st.sampled_from(["worker", "worker", "moderator"]),
    "flags": st.lists(st.sampled_from(FLAGS), max_size=2, unique=True),
})
timing = st.tuples(st.sampled_from(TYPES), st.integers(1, 6), st.floats(0.0, 90_000.0), st.sampled_from(OUTCOMES))


def _rows(drawn: list[dict[str, Any]]) -> list[ReviewRow]:
    """Visible reviews as aggregation reads them, one per worker and task type (or requester), oldest first."""
    seen: set[tuple[int, int | None]] = set()
    rows = []
    for index, r in enumerate(drawn):
        if (r["worker_id"], r["task_type_id"]) in seen:
            continue
        seen.add((r["worker_id"], r["task_type_id"]))
        author = None if r["author_age_days"] is None else NOW - timedelta(days=r["author_age_days"])
        rows.append(ReviewRow(index + 1, r["worker_id"], 1, r["task_type_id"], *r["ratings"], r["worked_seconds"],
                              r["outcome"], r["approval_seconds"], r["bonus_cents"], NOW - timedelta(days=r["age_days"]),
                              r["flags"], author, r["role"]))
    return rows


def _combined(parts: dict[int, Part], own: Part) -> Any:
    return combine(parts.values(), own, NOW)


def _assert_equal(reviews: list[ReviewRow], timings: list[tuple[int, int, float, str]],
                  parts: dict[int, Part], own: Part, type_rows: dict[int, dict[str, Any] | None]) -> None:
    whole = requester_aggregates(REWARDS, reviews, timings, NOW)
    combined = _combined(parts, own)
    assert close(combined.requester, whole.requester)
    assert close(msgspec.to_builtins(combined.summary), msgspec.to_builtins(whole.summary))
    assert close(combined.ratings, whole.ratings)
    assert {t: row for t, row in type_rows.items() if row is not None} == whole.task_types


@settings(max_examples=300, deadline=None)
@given(st.lists(review, max_size=30), st.lists(timing, max_size=40))
def test_parts_combine_to_the_aggregates_of_all_rows(drawn: list[dict[str, Any]], timings: list) -> None:
    reviews = _rows(drawn)
    recomputed, own = recompute_parts(REWARDS, reviews, timings, NOW)
    assert own is not None
    parts = {t: r.part for t, r in recomputed.items()}
    _assert_equal(reviews, timings, parts, own, {t: r.row for t, r in recomputed.items()})
    # what is stored is what comes back
    assert {t: decode_part(encode_part(p)) for t, p in parts.items()} == parts


@settings(max_examples=300, deadline=None)
@given(st.lists(review, max_size=30), st.lists(timing, max_size=40), st.lists(review, min_size=1, max_size=4),
       st.lists(timing, max_size=4))
def test_recomputing_only_the_touched_parts_equals_recomputing_all(drawn: list[dict[str, Any]], timings: list,
                                                                    added: list[dict[str, Any]], more: list) -> None:
    before = _rows(drawn)
    recomputed, own = recompute_parts(REWARDS, before, timings, NOW)
    assert own is not None
    parts = {t: r.part for t, r in recomputed.items()}
    rows = {t: r.row for t, r in recomputed.items()}
    # New reviews and timings arrive (and a review may be deleted): only their task types are recomputed.
    after = _rows(drawn + added)
    if after and len(after) > 1:
        after = after[1:]
    timings_after = timings + more
    touched = {r.task_type_id for r in after if r not in before} | {r.task_type_id for r in before if r not in after}
    touched |= {t for t, *_ in more}
    again, own_again = recompute_parts(REWARDS, after, timings_after, NOW, types={t for t in touched if t is not None},
                                       own=None in touched)
    for type_id, result in again.items():
        parts[type_id] = result.part
        rows[type_id] = result.row
    if own_again is not None:
        own = own_again
    parts = {t: p for t, p in parts.items() if rows.get(t) is not None}
    _assert_equal(after, timings_after, parts, own, rows)


def test_a_type_without_rows_has_no_row_and_an_empty_part() -> None:
    recomputed, own = recompute_parts(REWARDS, [], [], NOW, types={11}, own=False)
    assert own is None and recomputed[11].row is None and recomputed[11].part == Part()
    assert combine([], Part(), NOW).requester is None
    assert OWN == 0  # task type ids start at 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.floats(-10.0, 10**8), st.just(float("nan"))), st.integers(-5, 10**6),
                          st.one_of(st.none(), st.sampled_from([*OUTCOMES, "odd"])), st.integers(-5, 1000)), max_size=30),
       st.integers(1, 4))
def test_sample_values_summarize_as_pay_does_in_any_split(samples: list[tuple], pieces: int) -> None:
    made = [pay.Sample(seconds=s, reward_cents=r, outcome=o, bonus_cents=b) for s, r, o, b in samples]
    split = [sample_values(made[i::pieces]) for i in range(pieces)]
    assert close(msgspec.to_builtins(summary_of(split)), msgspec.to_builtins(pay.summarize(made)))
