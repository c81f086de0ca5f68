"""Keeping aggregates current. Every write that changes a requester's data calls
`server.stats.settle.requester_changed` in the same transaction, which runs `refresh_requester` at once
for a small requester and leaves a big one to the settler; `rebuild_all` recomputes everything the same
way (the two must always agree).

Both read rows with Core selects (not ORM objects) and hand them to the one pure function, `aggregate`:
`refresh_requester` one requester at a time, `rebuild_all` requesters in chunks of bounded size, written
back with bulk inserts.
"""
from __future__ import annotations

import asyncio
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import msgspec
from sqlalchemy import Text, delete, func, insert, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from server.domain import pay
from server.db.models import (DirtyRequester, PlatformStats, Requester, RequesterStats, Review, TaskType, TaskTypeStats,
                              Timing, Tombstone, Worker, utcnow)
from server.db.upsert import upsert
from server.domain.moderation import review_weight, weighted_rating
from server.domain.vocab import RATING_DIMENSIONS
from server.tasks.cache import note_changed_requester

RECENT = timedelta(days=90)
CHUNK_ROWS = 100_000  # reviews + timings read at once by rebuild_all (more only for one big requester)
WRITE_BATCH = 2_000  # rows per bulk insert
UPSERT_BATCH = 500  # rows per INSERT … ON CONFLICT statement (bound parameters stay under the drivers' limits)
# A measured timing says only how the work ended for the worker at the time; a later review knows more.
PROVISIONAL_OUTCOMES = {"submitted", "pending", None}
T = TypeVar("T")


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


# What aggregation reads of a review, with what its author's weight depends on. `flags` comes as the stored
# JSON text (decoded only when not empty: most reviews name no flag).
REVIEW_COLUMNS = (Review.id, Review.worker_id, Review.requester_id, Review.task_type_id, Review.rating_pay,
                  Review.rating_fairness, Review.rating_speed, Review.rating_communication, Review.worked_seconds,
                  Review.outcome, Review.approval_seconds, Review.bonus_cents, Review.updated_at, Review.status,
                  type_coerce(Review.flags, Text).label("flags_json"),
                  Worker.created_at.label("author_created_at"), Worker.role.label("author_role"))


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
    return [ReviewRow(id, worker_id, requester_id, task_type_id, pay_, fairness, speed, communication, worked,
                      outcome, approval, bonus, updated_at,
                      _decode_flags(flags_json), author_created_at, author_role)
            for (id, worker_id, requester_id, task_type_id, pay_, fairness, speed, communication, worked, outcome,
                 approval, bonus, updated_at, status, flags_json, author_created_at, author_role) in rows
            if status == "visible"]


NO_FLAGS: list[str] = []  # shared by every review without flags (never changed)


def _decode_flags(stored: Any) -> list[str]:
    if isinstance(stored, list):  # a driver that decodes JSON itself
        return stored
    if not stored or stored == "[]":
        return NO_FLAGS
    flags = msgspec.json.decode(stored)
    return flags if isinstance(flags, list) else []


def _reviews() -> Any:
    return select(*REVIEW_COLUMNS).join(Worker, Worker.id == Review.worker_id)


def _timings() -> Any:
    """(requester, task type, worker, seconds, outcome) of timings; order by ORDER_TIMINGS."""
    return (select(TaskType.requester_id, Timing.task_type_id, Timing.worker_id, Timing.seconds, Timing.outcome)
            .join(TaskType, TaskType.id == Timing.task_type_id))


# One shared string per outcome rather than one per timing row: the biggest requester has 250,000 timings.
OUTCOMES = {outcome: outcome for outcome in ("submitted", "returned", "approved", "pending", "rejected", "blocked")}
# Oldest first within a report; this order also lets SQLite walk its indexes without sorting.
ORDER_TIMINGS = (TaskType.requester_id, TaskType.id, Timing.id)
ORDER_REVIEWS = (Review.requester_id, Review.id)


def requester_aggregates(rewards: Mapping[int, int], reviews: Sequence[ReviewRow],
                         timings: Iterable[tuple[int, int, float, str]], now: datetime) -> Aggregates:
    """Pure: one requester's aggregates from its visible reviews (oldest first),
    its timings ((task type, worker, seconds, outcome), oldest first) and its task types' rewards."""
    reports: dict[int, dict[Hashable, _Report]] = defaultdict(dict)  # task type → worker → report
    for type_id, worker_id, seconds, outcome in timings:
        by_worker = reports[type_id]
        report = by_worker.get(worker_id)
        if report is None:
            report = by_worker[worker_id] = _Report()
        report.timings.append((seconds, outcome))
    for review in reviews:
        if review.task_type_id is not None:
            by_worker = reports[review.task_type_id]
            report = by_worker.get(review.worker_id)
            if report is None:
                report = by_worker[review.worker_id] = _Report()
            report.review = review  # type: ignore[assignment]
    weights = [review_weight(r.author_created_at, now, r.author_role) for r in reviews]
    return aggregate(reports, rewards, reviews, now, weights)


async def refresh_requester(session: AsyncSession, requester_id: int) -> None:
    """Recompute one requester's aggregates and those of all its task types, and move the platform sums."""
    computed = await compute_requester(session, requester_id)
    if computed is not None:
        await store_requester(session, computed)


@dataclass
class Computed:
    """One requester's aggregates as computed from what a session read (see store_requester)."""

    requester_id: int
    platform: str
    is_demo: bool
    result: Aggregates


STREAM_ROWS = 5_000  # rows per partition when reading in the background (the event loop runs between them)


async def compute_requester(session: AsyncSession, requester_id: int, *, background: bool = False) -> Computed | None:
    """Read one requester's reviews and timings and compute its aggregates; None when it does not exist.

    `background` (the settler): read in partitions and compute in a thread, so that a big requester
    (seconds of work) does not stop the event loop from answering requests meanwhile.
    """
    requester = (await session.execute(select(Requester.platform, Requester.is_demo)
                                       .where(Requester.id == requester_id))).first()
    if requester is None:
        return None
    platform, is_demo = requester
    await session.flush()  # the caller's pending changes are what we read
    rewards = dict((await session.execute(
        select(TaskType.id, TaskType.reward_cents).where(TaskType.requester_id == requester_id))).all())
    connection = await session.connection()
    reviews_query = _reviews().where(Review.requester_id == requester_id).order_by(*ORDER_REVIEWS)
    timings_query = _timings().where(TaskType.requester_id == requester_id).order_by(*ORDER_TIMINGS)
    if not background:
        reviews = visible_reviews(await connection.execute(reviews_query))
        timings = await connection.execute(timings_query)
        result = requester_aggregates(rewards, reviews, (row[1:] for row in timings), utcnow())
        return Computed(requester_id, platform, is_demo, result)
    review_rows: list[ReviewRow] = []
    async for part in (await connection.stream(reviews_query)).partitions(STREAM_ROWS):
        review_rows += visible_reviews(part)  # now, so that only the compact rows are held
    timing_rows: list[tuple[int, int, float, str]] = []
    async for part in (await connection.stream(timings_query)).partitions(STREAM_ROWS):
        timing_rows += [(type_id, worker_id, seconds, OUTCOMES.get(outcome, outcome))
                        for _, type_id, worker_id, seconds, outcome in part]
    result = await asyncio.to_thread(requester_aggregates, rewards, review_rows, timing_rows, utcnow())
    return Computed(requester_id, platform, is_demo, result)


async def store_requester(session: AsyncSession, computed: Computed) -> None:
    """Write computed aggregates over the stored ones (tombstones for task types that lost all data) and
    move the platform sums by the difference."""
    requester_id, platform, is_demo, result = (computed.requester_id, computed.platform, computed.is_demo,
                                               computed.result)
    note_changed_requester(session, requester_id)
    had_types = set(await session.scalars(select(TaskTypeStats.task_type_id).join(
        TaskType, TaskType.id == TaskTypeStats.task_type_id).where(TaskType.requester_id == requester_id)))
    gone_types = sorted(had_types - result.task_types.keys())
    if gone_types:
        await session.execute(delete(TaskTypeStats).where(TaskTypeStats.task_type_id.in_(gone_types))
                              .execution_options(synchronize_session=False))
        if not is_demo:  # the open dump never published it
            session.add_all([Tombstone(kind="task_type", ref_id=type_id) for type_id in gone_types])
    type_rows = [{"task_type_id": type_id, **values} for type_id, values in result.task_types.items()]
    for start in range(0, len(type_rows), UPSERT_BATCH):
        await upsert(session, TaskTypeStats, type_rows[start:start + UPSERT_BATCH], ["task_type_id"])
    _forget(session, TaskTypeStats, had_types | result.task_types.keys())

    old = (await session.execute(select(RequesterStats.summary, RequesterStats.ratings)
                                 .where(RequesterStats.requester_id == requester_id))).first()
    old_summary = pay.SampleSummary(**old.summary) if old is not None else pay.SampleSummary()
    old_ratings = old.ratings if old is not None else {}
    if result.requester is None:
        if old is not None:
            await session.execute(delete(RequesterStats).where(RequesterStats.requester_id == requester_id)
                                  .execution_options(synchronize_session=False))
            if not is_demo:
                session.add(Tombstone(kind="requester", ref_id=requester_id))
    else:
        await upsert(session, RequesterStats, [{"requester_id": requester_id, **result.requester}], ["requester_id"])
    _forget(session, RequesterStats, [requester_id])
    await _move_platform_sums(session, platform, old_summary, old_ratings, result.summary, result.ratings)
    await session.flush()


def _forget(session: AsyncSession, model: Any, keys: Iterable[int]) -> None:
    """Stats rows were written with Core: objects of them the session loaded earlier are stale."""
    for key in keys:
        stale = session.identity_map.get(identity_key(model, key))
        if stale is not None:
            session.expunge(stale)


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

    Set-based: requesters are read in chunks of consecutive ids holding about CHUNK_ROWS reviews and
    timings (a bigger requester is a chunk of its own), with three Core selects per chunk, and the results
    are written with bulk inserts. Memory is bounded by the chunk (or the biggest requester), not the database.
    """
    await session.flush()
    before_types = set(await session.scalars(select(TaskTypeStats.task_type_id)))
    before_requesters = set(await session.scalars(select(RequesterStats.requester_id)))
    # Markers of requesters waiting for the settler go too: everything is recomputed here.
    for model in (TaskTypeStats, RequesterStats, PlatformStats, DirtyRequester):
        await session.execute(delete(model).execution_options(synchronize_session=False))
    session.expunge_all()  # stats objects loaded before are gone from the database: never flush them
    requesters = (await session.execute(select(Requester.id, Requester.platform).order_by(Requester.id))).all()
    sizes: Counter[int] = Counter(dict((await session.execute(
        select(Review.requester_id, func.count()).group_by(Review.requester_id))).all()))
    sizes.update(dict((await session.execute(
        select(TaskType.requester_id, func.count()).join(Timing, Timing.task_type_id == TaskType.id)
        .group_by(TaskType.requester_id))).all()))

    now = utcnow()
    platforms = {platform: _PlatformSums() for _, platform in requesters}
    done = 0
    for chunk in chunk_by_size([(row, sizes[row[0]]) for row in requesters], CHUNK_ROWS):
        first, last = chunk[0][0], chunk[-1][0]
        connection = await session.connection()
        rewards: dict[int, dict[int, int]] = defaultdict(dict)
        for type_id, requester_id, reward in await connection.execute(
                select(TaskType.id, TaskType.requester_id, TaskType.reward_cents)
                .where(TaskType.requester_id.between(first, last))):
            rewards[requester_id][type_id] = reward
        reviews: dict[int, list[ReviewRow]] = defaultdict(list)
        for review in visible_reviews(await connection.execute(
                _reviews().where(Review.requester_id.between(first, last)).order_by(*ORDER_REVIEWS))):
            reviews[review.requester_id].append(review)
        timings: dict[int, list[tuple[int, int, float, str]]] = defaultdict(list)
        for requester_id, type_id, worker_id, seconds, outcome in await connection.execute(
                _timings().where(TaskType.requester_id.between(first, last)).order_by(*ORDER_TIMINGS)):
            timings[requester_id].append((type_id, worker_id, seconds, OUTCOMES.get(outcome, outcome)))

        type_rows: list[dict[str, Any]] = []
        requester_rows: list[dict[str, Any]] = []
        for requester_id, platform in chunk:
            note_changed_requester(session, requester_id)
            result = requester_aggregates(rewards.pop(requester_id, {}), reviews.pop(requester_id, []),
                                          timings.pop(requester_id, []), now)
            type_rows += [{"task_type_id": type_id, **values} for type_id, values in result.task_types.items()]
            if result.requester is not None:
                requester_rows.append({"requester_id": requester_id, **result.requester})
            platforms[platform].add(result.summary, result.ratings)
        await _insert_all(session, TaskTypeStats, type_rows)
        await _insert_all(session, RequesterStats, requester_rows)
        done += len(chunk)
        if progress:
            progress(done, len(requesters))
    await _insert_all(session, PlatformStats, [sums.row(platform, now) for platform, sums in platforms.items()])
    await _tombstone_vanished(session, before_types, before_requesters)
    return len(requesters)


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
class _PlatformSums:
    """A platform's row as the sum over its requesters (what _move_platform_sums keeps by differences)."""

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


async def _insert_all(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), WRITE_BATCH):
        await session.execute(insert(model.__table__), rows[start:start + WRITE_BATCH])


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
