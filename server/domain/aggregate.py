"""Aggregation, the pure half of keeping aggregates current: what one requester's reviews and timings add up
to (`aggregate`, `requester_aggregates`), and the pieces the set-based rebuild uses. No I/O: the rows come from
server/stats/refresh.py, which reads them with Core selects and writes the results back.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import msgspec

from server.domain import pay
from server.domain.moderation import review_weight, weighted_rating
from server.domain.vocab import RATING_DIMENSIONS

RECENT = timedelta(days=90)
# A measured timing says only how the work ended for the worker at the time; a later review knows more.
PROVISIONAL_OUTCOMES = {"submitted", "pending", None}
T = TypeVar("T")


@dataclass
class Report:
    """What one worker reported about one task type: their timings and/or their review."""

    timings: list[tuple[float, str]] = field(default_factory=list)
    review: ReviewLike | None = None


def report_samples(reward_cents: int, report: Report) -> list[pay.Sample]:
    review = report.review
    bonus = (review.bonus_cents or 0) if review else 0
    final = review.outcome if review else None
    if report.timings:
        # Measured time beats a remembered one; the review's outcome replaces a provisional one.
        return [
            pay.Sample(seconds=seconds, reward_cents=reward_cents, bonus_cents=bonus,
                       outcome=final if (outcome in PROVISIONAL_OUTCOMES and final and outcome != "returned") else outcome)
            for seconds, outcome in report.timings
        ]
    if review and review.worked_seconds and review.worked_seconds > 0:
        return [pay.Sample(seconds=float(review.worked_seconds), reward_cents=reward_cents, outcome=review.outcome,
                           bonus_cents=bonus)]
    return []


def final_outcome(report: Report) -> str | None:
    if report.review and report.review.outcome:
        return report.review.outcome
    outcomes = [outcome for _, outcome in report.timings]
    return outcomes[-1] if outcomes else None


@dataclass
class Aggregates:
    """A requester's aggregates as stored: values of its task_type_stats rows and of its requester_stats row."""

    task_types: dict[int, dict[str, Any]]  # task type id → column values (types without data left out)
    requester: dict[str, Any] | None  # None: no reviews and no samples, so no row
    summary: pay.SampleSummary  # over all its samples
    ratings: dict[str, list[float]]


class ReviewLike(Protocol):
    """What aggregation reads of a review: this community's (Review) or an imported one (ImportedReview)."""

    task_type_id: int | None
    rating_pay: int | None
    rating_fairness: int | None
    rating_speed: int | None
    rating_communication: int | None
    worked_seconds: int | None
    outcome: str | None
    approval_seconds: int | None
    bonus_cents: int | None
    flags: list[str]
    updated_at: datetime


def aggregate(reports: Mapping[int, Mapping[Hashable, Report]], rewards: Mapping[int, int],
              reviews: Sequence[ReviewLike], now: datetime, weights: Sequence[float] | None = None) -> Aggregates:
    """Pure: what one requester's reports (per task type, per reporter) and reviews add up to.

    `weights` (one per review, default 1) scale each review's ratings: new accounts' ratings count less
    (server/domain/moderation.py). Counts of reviews, ratings, rejections and blocks stay whole.
    """
    task_types: dict[int, dict[str, Any]] = {}
    all_samples: list[pay.Sample] = []
    type_medians: list[float] = []
    for type_id, by_worker in reports.items():
        samples = [s for report in by_worker.values() for s in report_samples(rewards[type_id], report)]
        type_reviews = [r.review for r in by_worker.values() if r.review is not None]
        if not samples and not type_reviews:
            continue
        summary = pay.summarize(samples)
        all_samples.extend(samples)
        if summary.rate_p50 is not None:
            type_medians.append(summary.rate_p50)
        task_types[type_id] = {
            "samples": summary.n,
            "reviews": len(type_reviews),
            "summary": msgspec.to_builtins(summary),
            "flag_counts": flag_counts(type_reviews),
            "updated_at": now,
        }

    outcomes = [final_outcome(report) for by_worker in reports.values() for report in by_worker.values()]
    # Reviews of the requester as a whole (no task named) still report an outcome.
    outcomes += [r.outcome for r in reviews if r.task_type_id is None]
    recent_since = now - RECENT
    recent_reviews = [r for r in reviews if r.updated_at >= recent_since]
    summary = pay.summarize(all_samples)
    ratings = rating_sums(reviews, weights)
    requester = None if not reviews and not all_samples else {
        "reviews": len(reviews),
        "summary": msgspec.to_builtins(summary),
        "ratings": ratings,
        "rejections": outcomes.count("rejected"),
        "blocks": outcomes.count("blocked"),
        "approval_seconds": pay.median([float(r.approval_seconds) for r in reviews if r.approval_seconds is not None]),
        "median_hourly_cents": pay.median(type_medians),
        "recent": {
            "reviews": len(recent_reviews),
            "rejections": sum(1 for r in recent_reviews if r.outcome == "rejected"),
            "blocks": sum(1 for r in recent_reviews if r.outcome == "blocked"),
        },
        "flag_counts": flag_counts(reviews),
        "updated_at": now,
    }
    return Aggregates(task_types=task_types, requester=requester, summary=summary, ratings=ratings)


def aggregate_reviews(reviews: Sequence[ReviewLike], rewards: Mapping[int, int], now: datetime) -> Aggregates:
    """Aggregates of reviews alone, each its own reporter (imported reviews carry no author)."""
    reports: dict[int, dict[Hashable, Report]] = defaultdict(dict)
    for index, review in enumerate(reviews):
        if review.task_type_id is not None:
            reports[review.task_type_id][index] = Report(review=review)
    return aggregate(reports, rewards, reviews, now)


class ReviewRow(msgspec.Struct):
    """A visible review as aggregation reads it (ReviewLike), with its author's account age and role."""

    id: int
    worker_id: int
    requester_id: int
    task_type_id: int | None
    rating_pay: int | None
    rating_fairness: int | None
    rating_speed: int | None
    rating_communication: int | None
    worked_seconds: int | None
    outcome: str | None
    approval_seconds: int | None
    bonus_cents: int | None
    updated_at: datetime
    flags: list[str]
    author_created_at: datetime | None
    author_role: str


def visible_reviews(rows: Iterable[Any]) -> list[ReviewRow]:
    """REVIEW_COLUMNS rows → the visible reviews among them. Held (a burst) and hidden (moderation) reviews
    wait outside the aggregates (server/moderation). Filtered here, not in SQL, so that the database reads
    reviews by requester, not by status."""
    return [ReviewRow(review_id, worker_id, requester_id, task_type_id, pay_, fairness, speed, communication, worked,
                      outcome, approval, bonus, updated_at,
                      decode_flags(flags_json), author_created_at, author_role)
            for (review_id, worker_id, requester_id, task_type_id, pay_, fairness, speed, communication, worked, outcome,
                 approval, bonus, updated_at, status, flags_json, author_created_at, author_role) in rows
            if status == "visible"]


NO_FLAGS: list[str] = []  # shared by every review without flags (never changed)


def decode_flags(stored: Any) -> list[str]:
    if isinstance(stored, list):  # a driver that decodes JSON itself
        return stored
    if not stored or stored == "[]":
        return NO_FLAGS
    flags = msgspec.json.decode(stored)
    return flags if isinstance(flags, list) else []


# One shared string per outcome rather than one per timing row: the biggest requester has 250,000 timings.
OUTCOMES = {outcome: outcome for outcome in ("submitted", "returned", "approved", "pending", "rejected", "blocked")}


def requester_aggregates(rewards: Mapping[int, int], reviews: Sequence[ReviewRow],
                         timings: Iterable[tuple[int, int, float, str]], now: datetime) -> Aggregates:
    """Pure: one requester's aggregates from its visible reviews (oldest first),
    its timings ((task type, worker, seconds, outcome), oldest first) and its task types' rewards."""
    reports: dict[int, dict[Hashable, Report]] = defaultdict(dict)  # task type → worker → report
    for type_id, worker_id, seconds, outcome in timings:
        by_worker = reports[type_id]
        report = by_worker.get(worker_id)
        if report is None:
            report = by_worker[worker_id] = Report()
        report.timings.append((seconds, outcome))
    for review in reviews:
        if review.task_type_id is not None:
            by_worker = reports[review.task_type_id]
            report = by_worker.get(review.worker_id)
            if report is None:
                report = by_worker[review.worker_id] = Report()
            report.review = review
    weights = [review_weight(r.author_created_at, now, r.author_role) for r in reviews]
    return aggregate(reports, rewards, reviews, now, weights)


def flag_counts(reviews: Iterable[ReviewLike]) -> dict[str, int]:
    return dict(Counter(flag for review in reviews for flag in (review.flags or [])))


def rating_sums(reviews: Sequence[ReviewLike], weights: Sequence[float] | None = None) -> dict[str, list[float]]:
    """{dimension: [n, sum]}: n counts every rating; a rating that weighs less adds less than its value's
    distance from the middle of the scale to the sum (weighted_rating)."""
    weights = weights if weights is not None else [1.0] * len(reviews)
    sums: dict[str, list[float]] = {}
    for dimension in RATING_DIMENSIONS:
        pairs = [(getattr(r, f"rating_{dimension}"), w) for r, w in zip(reviews, weights)]
        pairs = [(v, w) for v, w in pairs if v is not None]
        sums[dimension] = [len(pairs), math.fsum(weighted_rating(v, w) for v, w in pairs)]
    return sums


def chunk_by_size(items: Iterable[tuple[T, int]], budget: int) -> Iterator[list[T]]:
    """Consecutive items grouped so that each group's sizes add up to at most `budget`, except a
    group of one item that alone is bigger."""
    chunk: list[T] = []
    total = 0
    for item, size in items:
        if chunk and total + size > budget:
            yield chunk
            chunk, total = [], 0
        chunk.append(item)
        total += size
    if chunk:
        yield chunk


@dataclass
class PlatformSums:
    """A platform's row as the sum over its requesters (what server/stats/refresh.py keeps by differences)."""

    n_completed: int = 0
    log_seconds: list[float] = field(default_factory=list)
    approved: int = 0
    decided: int = 0
    ratings: dict[str, list[float]] = field(default_factory=lambda: {d: [0, 0.0] for d in RATING_DIMENSIONS})

    def add(self, summary: pay.SampleSummary, ratings: Mapping[str, list[float]]) -> None:
        self.n_completed += summary.n_completed
        self.log_seconds.append(summary.sum_log_seconds)
        self.approved += summary.approved
        self.decided += summary.decided
        for dimension, (n, total) in ratings.items():
            self.ratings[dimension][0] += n
            self.ratings[dimension][1] += total

    def row(self, platform: str, now: datetime) -> dict[str, Any]:
        return {"platform": platform, "n_completed": self.n_completed, "sum_log_seconds": math.fsum(self.log_seconds),
                "approved": self.approved, "decided": self.decided, "ratings": self.ratings, "updated_at": now}
