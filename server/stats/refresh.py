"""Keeping aggregates current. Every write that changes a requester's data calls `refresh_requester`
in the same transaction; `rebuild_all` recomputes everything the same way (the two must always agree).
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import pay
from server.db.models import (PlatformStats, Requester, RequesterStats, Review, TaskType, TaskTypeStats, Timing, Tombstone,
                              Worker, utcnow)
from server.moderation.rules import review_weight, weighted_rating
from server.reviews.vocab import RATING_DIMENSIONS
from server.tasks.cache import note_changed_requester

RECENT = timedelta(days=90)
# A measured timing says only how the work ended for the worker at the time; a later review knows more.
PROVISIONAL_OUTCOMES = {"submitted", "pending", None}


@dataclass
class _Report:
    """What one worker reported about one task type: their timings and/or their review."""

    timings: list[tuple[float, str]] = field(default_factory=list)
    review: Review | None = None


def _samples(reward_cents: int, report: _Report) -> list[pay.Sample]:
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


def _final_outcome(report: _Report) -> str | None:
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


def aggregate(reports: Mapping[int, Mapping[Hashable, _Report]], rewards: Mapping[int, int],
              reviews: Sequence[ReviewLike], now: datetime, weights: Sequence[float] | None = None) -> Aggregates:
    """Pure: what one requester's reports (per task type, per reporter) and reviews add up to.

    `weights` (one per review, default 1) scale each review's ratings: new accounts' ratings count less
    (server/moderation/rules.py). Counts of reviews, ratings, rejections and blocks stay whole.
    """
    task_types: dict[int, dict[str, Any]] = {}
    all_samples: list[pay.Sample] = []
    type_medians: list[float] = []
    for type_id, by_worker in reports.items():
        samples = [s for report in by_worker.values() for s in _samples(rewards[type_id], report)]
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
            "flag_counts": _flag_counts(type_reviews),
            "updated_at": now,
        }

    outcomes = [_final_outcome(report) for by_worker in reports.values() for report in by_worker.values()]
    # Reviews of the requester as a whole (no task named) still report an outcome.
    outcomes += [r.outcome for r in reviews if r.task_type_id is None]
    recent_since = now - RECENT
    recent_reviews = [r for r in reviews if r.updated_at >= recent_since]
    summary = pay.summarize(all_samples)
    ratings = _rating_sums(reviews, weights)
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
        "flag_counts": _flag_counts(reviews),
        "updated_at": now,
    }
    return Aggregates(task_types=task_types, requester=requester, summary=summary, ratings=ratings)


def aggregate_reviews(reviews: Sequence[ReviewLike], rewards: Mapping[int, int], now: datetime) -> Aggregates:
    """Aggregates of reviews alone, each its own reporter (imported reviews carry no author)."""
    reports: dict[int, dict[Hashable, _Report]] = defaultdict(dict)
    for index, review in enumerate(reviews):
        if review.task_type_id is not None:
            reports[review.task_type_id][index] = _Report(review=review)  # type: ignore[arg-type]
    return aggregate(reports, rewards, reviews, now)


async def refresh_requester(session: AsyncSession, requester_id: int) -> None:
    """Recompute one requester's aggregates and those of all its task types, and move the platform sums."""
    requester = await session.get(Requester, requester_id)
    if requester is None:
        return
    note_changed_requester(session, requester_id)
    task_types = {t.id: t for t in await session.scalars(select(TaskType).where(TaskType.requester_id == requester_id))}
    # Only visible reviews count: held (a burst) and hidden (moderation) ones wait outside (server/moderation).
    review_rows = (await session.execute(
        select(Review, Worker.created_at, Worker.role).join(Worker, Worker.id == Review.worker_id)
        .where(Review.requester_id == requester_id, Review.status == "visible").order_by(Review.id))).all()
    reviews = [row[0] for row in review_rows]
    timing_rows = (
        await session.execute(
            select(Timing.task_type_id, Timing.worker_id, Timing.seconds, Timing.outcome)
            .join(TaskType, TaskType.id == Timing.task_type_id)
            .where(TaskType.requester_id == requester_id)
            .order_by(Timing.id)
        )
    ).all()

    reports: dict[int, dict[int, _Report]] = defaultdict(dict)  # task type → worker → report
    for type_id, worker_id, seconds, outcome in timing_rows:
        reports[type_id].setdefault(worker_id, _Report()).timings.append((seconds, outcome))
    for review in reviews:
        if review.task_type_id is not None:
            reports[review.task_type_id].setdefault(review.worker_id, _Report()).review = review

    now = utcnow()
    weights = [review_weight(created_at, now, role) for _, created_at, role in review_rows]
    result = aggregate(reports, {t.id: t.reward_cents for t in task_types.values()}, reviews, now, weights)
    existing = {s.task_type_id: s for s in await session.scalars(
        select(TaskTypeStats).where(TaskTypeStats.task_type_id.in_(list(task_types))))} if task_types else {}
    for type_id in task_types:
        row = existing.get(type_id)
        values = result.task_types.get(type_id)
        if values is None:
            if row is not None:
                await session.delete(row)
                if not requester.is_demo:  # the open dump never published it
                    session.add(Tombstone(kind="task_type", ref_id=type_id))
        elif row is None:
            session.add(TaskTypeStats(task_type_id=type_id, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)

    summary, ratings, new_values = result.summary, result.ratings, result.requester
    stats = await session.get(RequesterStats, requester_id)
    old_summary = pay.SampleSummary(**stats.summary) if stats is not None else pay.SampleSummary()
    old_ratings = stats.ratings if stats is not None else {}
    if new_values is None:
        if stats is not None:
            await session.delete(stats)
            if not requester.is_demo:
                session.add(Tombstone(kind="requester", ref_id=requester_id))
    elif stats is None:
        session.add(RequesterStats(requester_id=requester_id, **new_values))
    else:
        for key, value in new_values.items():
            setattr(stats, key, value)
    await _move_platform_sums(session, requester.platform, old_summary, old_ratings, summary, ratings)
    await session.flush()


def _flag_counts(reviews: Iterable[Review]) -> dict[str, int]:
    return dict(Counter(flag for review in reviews for flag in (review.flags or [])))


def _rating_sums(reviews: Sequence[ReviewLike], weights: Sequence[float] | None = None) -> dict[str, list[float]]:
    """{dimension: [n, sum]}: n counts every rating; a rating that weighs less adds less than its value's
    distance from the middle of the scale to the sum (weighted_rating)."""
    weights = weights if weights is not None else [1.0] * len(reviews)
    sums: dict[str, list[float]] = {}
    for dimension in RATING_DIMENSIONS:
        pairs = [(getattr(r, f"rating_{dimension}"), w) for r, w in zip(reviews, weights)]
        pairs = [(v, w) for v, w in pairs if v is not None]
        sums[dimension] = [len(pairs), math.fsum(weighted_rating(v, w) for v, w in pairs)]
    return sums


async def _move_platform_sums(session: AsyncSession, platform: str, old: pay.SampleSummary, old_ratings: dict,
                              new: pay.SampleSummary, new_ratings: dict) -> None:
    """Platform sums = Σ over its requesters; apply this requester's change as a difference."""
    row = await session.get(PlatformStats, platform)
    if row is None:
        row = PlatformStats(platform=platform, n_completed=0, sum_log_seconds=0.0, approved=0, decided=0, ratings={})
        session.add(row)
    row.n_completed += new.n_completed - old.n_completed
    row.sum_log_seconds += new.sum_log_seconds - old.sum_log_seconds
    row.approved += new.approved - old.approved
    row.decided += new.decided - old.decided
    ratings = {k: list(v) for k, v in (row.ratings or {}).items()}
    for dimension in RATING_DIMENSIONS:
        n_old, s_old = old_ratings.get(dimension, [0, 0.0])
        n_new, s_new = new_ratings.get(dimension, [0, 0.0])
        n, s = ratings.get(dimension, [0, 0.0])
        ratings[dimension] = [n + n_new - n_old, s + s_new - s_old]
    row.ratings = ratings
    row.updated_at = utcnow()


async def rebuild_all(session: AsyncSession, progress: Callable[[int, int], None] | None = None) -> int:
    """Throw all aggregates away and recompute them from reviews and timings. Returns requesters done.

    The caller owns the transaction, so readers see the old aggregates until the new ones are complete.
    The bulk delete leaves no tombstones (nearly every row comes back); only aggregates that existed
    before and are not rebuilt get one, so incremental dumps still learn that they are gone.
    """
    before_types = set(await session.scalars(select(TaskTypeStats.task_type_id)))
    before_requesters = set(await session.scalars(select(RequesterStats.requester_id)))
    await session.execute(delete(TaskTypeStats))
    await session.execute(delete(RequesterStats))
    await session.execute(delete(PlatformStats))
    await session.flush()
    ids = list(await session.scalars(select(Requester.id).order_by(Requester.id)))
    for done, requester_id in enumerate(ids, start=1):
        await refresh_requester(session, requester_id)
        if done % 200 == 0:
            session.expunge_all()  # keep memory flat on large databases
        if progress:
            progress(done, len(ids))
    await session.flush()
    await _tombstone_vanished(session, before_types, before_requesters)
    return len(ids)


async def _tombstone_vanished(session: AsyncSession, before_types: set[int], before_requesters: set[int]) -> None:
    """Tombstones for the aggregates a rebuild did not recreate (of non-demo requesters)."""
    gone_types = before_types - set(await session.scalars(select(TaskTypeStats.task_type_id)))
    gone_requesters = before_requesters - set(await session.scalars(select(RequesterStats.requester_id)))
    if gone_types:
        gone_types = set(await session.scalars(
            select(TaskType.id).join(Requester, Requester.id == TaskType.requester_id)
            .where(TaskType.id.in_(gone_types), Requester.is_demo.is_(False))))
    if gone_requesters:
        gone_requesters = set(await session.scalars(
            select(Requester.id).where(Requester.id.in_(gone_requesters), Requester.is_demo.is_(False))))
    session.add_all([Tombstone(kind="task_type", ref_id=i) for i in sorted(gone_types)]
                    + [Tombstone(kind="requester", ref_id=i) for i in sorted(gone_requesters)])
    await session.flush()
