"""Aggregates in parts, so that a write recomputes only what it touched. Pure: no I/O.

A requester's aggregates (server/domain/aggregate.py `aggregate`) are a function of all its reviews and timings.
Recomputing them on every write read every row of the requester; at ingest rates that was most of the server's
work (docs/benchmarks.md, "Review ingest"). Here the same figures are built from *parts*: one per task type with
data, plus one for the requester's reviews that name no task type. A part holds

* what adds up over parts: counts of reviews, rejections, blocks and flags, the "last 90 days" counts, rating
  sums, and the sample counts and sums of pay.SampleSummary;
* what does not: the sorted values that medians and quartiles are taken over (log durations, returned
  durations, hourly rates, approval times).

A task type's part and its task_type_stats row depend only on that type's rows, so a write recomputes the parts
it touched from their rows and `combine` builds the requester's row from every part: sums add up, medians and
quartiles are taken over the merged sorted values, exactly as `aggregate` takes them over all samples.

`aggregate` stays the one definition: a part's counts and sums come from `aggregate` applied to the part's own
rows, and `combine(parts)` equals `aggregate(all rows)` (floats to rounding: sums are added in another order),
which tests/unit/test_parts.py checks on random data. A change to `aggregate` that makes a requester figure
something other than a sum, median or quartile over its task types (say, a cap on one account's share of a
requester's evidence) fails that test, and has to be expressed here too.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from itertools import chain
from typing import Any

import msgspec

from server.domain import pay
from server.domain.aggregate import Report, ReviewRow, aggregate, report_samples
from server.domain.moderation import review_weight
from server.domain.pay import _cents, _is_paid, _quantile, _seconds  # the same clamps and quantiles as summarize
from server.domain.vocab import RATING_DIMENSIONS

OWN = 0  # the key of a requester's own part: its reviews that name no task type (task type ids start at 1)


class Part(msgspec.Struct, array_like=True, omit_defaults=True):
    """One task type's (or the requester's own reviews') share of its requester's aggregates."""

    reviews: int = 0
    rejections: int = 0
    blocks: int = 0
    recent: tuple[int, int, int] = (0, 0, 0)  # reviews, rejections, blocks in the last 90 days
    flags: dict[str, int] = msgspec.field(default_factory=dict)
    ratings: dict[str, tuple[int, float]] = msgspec.field(default_factory=dict)  # dimension → (n, weighted sum)
    n: int = 0  # samples, returned ones included
    n_returned: int = 0
    approved: int = 0
    decided: int = 0
    bonus_cents: float = 0.0  # Σ bonus over completed samples
    pooled_pay_cents: float = 0.0
    pooled_seconds: float = 0.0
    logs: list[float] = msgspec.field(default_factory=list)  # log(seconds) of completed samples, sorted
    returned: list[float] = msgspec.field(default_factory=list)  # seconds of returned samples, sorted
    rates: list[float] = msgspec.field(default_factory=list)  # cents per hour of every sample, sorted
    approvals: list[float] = msgspec.field(default_factory=list)  # approval seconds of its reviews, sorted


_encode = msgspec.msgpack.Encoder()
_decode = msgspec.msgpack.Decoder(Part)


def encode_part(part: Part) -> bytes:
    return _encode.encode(part)


def decode_part(data: bytes) -> Part:
    return _decode.decode(data)


class Recomputed(msgspec.Struct):
    """A task type's recomputed aggregates: its task_type_stats values (None: no data left) and its part."""

    row: dict[str, Any] | None
    part: Part


def sample_values(samples: Iterable[pay.Sample]) -> Part:
    """The sample half of a part: pay.summarize's counts, sums and sorted values, before they are reduced."""
    n = n_returned = approved = decided = 0
    logs: list[float] = []
    returned: list[float] = []
    rates: list[float] = []
    bonus_sum = pooled_pay = pooled_seconds = 0.0
    for s in samples:
        secs = _seconds(s.seconds)
        n += 1
        pooled_seconds += secs
        if s.outcome == pay.RETURNED:
            n_returned += 1
            returned.append(secs)
            rates.append(0.0)
            continue
        logs.append(math.log(secs))
        bonus = _cents(s.bonus_cents)
        bonus_sum += bonus
        paid = _cents(s.reward_cents) + bonus if _is_paid(s.outcome) else 0.0
        pooled_pay += paid
        rates.append(paid * 3600.0 / secs)
        if s.outcome in pay.DECIDED:
            decided += 1
            if s.outcome == "approved":
                approved += 1
    logs.sort()
    returned.sort()
    rates.sort()
    return Part(n=n, n_returned=n_returned, approved=approved, decided=decided, bonus_cents=bonus_sum,
                pooled_pay_cents=pooled_pay, pooled_seconds=pooled_seconds, logs=logs, returned=returned, rates=rates)


def summary_of(parts: Sequence[Part]) -> pay.SampleSummary:
    """pay.summarize over the samples of all these parts, from their counts, sums and sorted values."""
    logs = _merged(p.logs for p in parts)
    returned = _merged(p.returned for p in parts)
    rates = _merged(p.rates for p in parts)
    n_completed = len(logs)
    return pay.SampleSummary(
        n=sum(p.n for p in parts),
        n_completed=n_completed,
        n_returned=sum(p.n_returned for p in parts),
        median_log_seconds=_median(logs),
        sum_log_seconds=math.fsum(logs),
        returned_median_seconds=_median(returned),
        approved=sum(p.approved for p in parts),
        decided=sum(p.decided for p in parts),
        mean_bonus_cents=math.fsum(p.bonus_cents for p in parts) / n_completed if n_completed else 0.0,
        rate_p25=_quantile(rates, 0.25) if rates else None,
        rate_p50=_quantile(rates, 0.5) if rates else None,
        rate_p75=_quantile(rates, 0.75) if rates else None,
        pooled_pay_cents=math.fsum(p.pooled_pay_cents for p in parts),
        pooled_seconds=math.fsum(p.pooled_seconds for p in parts),
        sum_returned_seconds=math.fsum(returned),
    )


def _merged(runs: Iterable[list[float]]) -> list[float]:
    # Sorted runs, concatenated and sorted again: Timsort merges the runs rather than sorting from scratch.
    values = list(chain.from_iterable(runs))
    values.sort()
    return values


def _median(sorted_values: list[float]) -> float | None:
    return pay.median(sorted_values)


def recompute_parts(rewards: Mapping[int, int], reviews: Sequence[ReviewRow],
                    timings: Iterable[tuple[int, int, float, str]], now: datetime,
                    types: Collection[int] | None = None, own: bool = True) -> tuple[dict[int, Recomputed], Part | None]:
    """Pure: the parts of the task types in `types` (all that have rows, when None) and, with `own`, the
    requester's own part, from their visible reviews (oldest first) and timings ((task type, worker, seconds,
    outcome), oldest first), as `requester_aggregates` takes them. A type in `types` without rows comes back
    with row None and an empty part."""
    reports: dict[int, dict[Hashable, Report]] = defaultdict(dict)  # task type → worker → report
    for type_id, worker_id, seconds, outcome in timings:
        by_worker = reports[type_id]
        report = by_worker.get(worker_id)
        if report is None:
            report = by_worker[worker_id] = Report()
        report.timings.append((seconds, outcome))
    by_type: dict[int | None, list[ReviewRow]] = defaultdict(list)
    for review in reviews:
        by_type[review.task_type_id].append(review)
        if review.task_type_id is not None:
            by_worker = reports[review.task_type_id]
            report = by_worker.get(review.worker_id)
            if report is None:
                report = by_worker[review.worker_id] = Report()
            report.review = review
    wanted = set(reports) | {t for t in by_type if t is not None} if types is None else types
    parts = {type_id: _type_part(type_id, rewards, reports.get(type_id, {}), by_type.get(type_id, []), now)
             for type_id in wanted}
    return parts, (_own_part(by_type.get(None, []), now) if own else None)


def _weights(reviews: Sequence[ReviewRow], now: datetime) -> list[float]:
    return [review_weight(r.author_created_at, now, r.author_role) for r in reviews]


def _type_part(type_id: int, rewards: Mapping[int, int], by_worker: Mapping[Hashable, Report],
               reviews: Sequence[ReviewRow], now: datetime) -> Recomputed:
    if not by_worker and not reviews:
        return Recomputed(None, Part())
    result = aggregate({type_id: by_worker}, rewards, reviews, now, _weights(reviews, now))
    samples = [s for report in by_worker.values() for s in report_samples(rewards[type_id], report)]
    return Recomputed(result.task_types.get(type_id), _with_counts(sample_values(samples), result.requester, reviews))


def _own_part(reviews: Sequence[ReviewRow], now: datetime) -> Part:
    if not reviews:
        return Part()
    result = aggregate({}, {}, reviews, now, _weights(reviews, now))
    return _with_counts(Part(), result.requester, reviews)


def _with_counts(part: Part, row: Mapping[str, Any] | None, reviews: Sequence[ReviewRow]) -> Part:
    """The counts and sums `aggregate` gave for the part's own rows, beside its sample values."""
    if row is None:
        return part
    recent = row["recent"]
    part.reviews, part.rejections, part.blocks = row["reviews"], row["rejections"], row["blocks"]
    part.recent = (recent["reviews"], recent["rejections"], recent["blocks"])
    part.flags = dict(row["flag_counts"])
    part.ratings = {d: (int(n), float(s)) for d, (n, s) in row["ratings"].items() if n}
    part.approvals = sorted(float(r.approval_seconds) for r in reviews if r.approval_seconds is not None)
    return part


class Combined(msgspec.Struct):
    """A requester's row (None: no reviews and no samples) and what the platform sums add up."""

    requester: dict[str, Any] | None
    summary: pay.SampleSummary
    ratings: dict[str, list[float]]


def combine(type_parts: Iterable[Part], own: Part, now: datetime) -> Combined:
    """Pure: a requester's requester_stats values from the parts of its task types and its own part, equal to
    what `aggregate` computes from all its rows."""
    types = list(type_parts)
    parts = [*types, own]
    summary = summary_of(types)
    ratings: dict[str, list[float]] = {}
    for dimension in RATING_DIMENSIONS:
        pairs = [p.ratings[dimension] for p in parts if dimension in p.ratings]
        ratings[dimension] = [sum(n for n, _ in pairs), math.fsum(s for _, s in pairs)]
    reviews = sum(p.reviews for p in parts)
    if not reviews and not summary.n:
        return Combined(None, summary, ratings)
    flags: Counter[str] = Counter()
    for p in parts:
        flags.update(p.flags)
    type_medians = [_quantile(p.rates, 0.5) for p in types if p.rates]
    requester = {
        "reviews": reviews,
        "summary": msgspec.to_builtins(summary),
        "ratings": ratings,
        "rejections": sum(p.rejections for p in parts),
        "blocks": sum(p.blocks for p in parts),
        "approval_seconds": _median(_merged(p.approvals for p in parts)),
        "median_hourly_cents": pay.median(type_medians),
        "recent": {"reviews": sum(p.recent[0] for p in parts), "rejections": sum(p.recent[1] for p in parts),
                   "blocks": sum(p.recent[2] for p in parts)},
        "flag_counts": {flag: count for flag, count in flags.items() if count},
        "updated_at": now,
    }
    return Combined(requester, summary, ratings)
