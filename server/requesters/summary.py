"""Requester summaries built from stored aggregates: lookups and a little arithmetic, no scans."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import pay
from server.db.models import PlatformStats, Requester, RequesterStats
from server.reviews.vocab import RATING_DIMENSIONS, active_flags

DEFAULT_RATING_MEAN = 3.0  # the middle of the scale, until a platform has ratings of its own


class Score(msgspec.Struct, kw_only=True):
    score: float | None  # shrunk lower bound: what to sort by
    mean: float | None  # plain average of the ratings
    n: int


class Recent(msgspec.Struct, kw_only=True):
    reviews: int = 0
    rejections: int = 0
    blocks: int = 0


class RequesterSummary(msgspec.Struct, kw_only=True):
    platform: str
    id: str
    name: str
    reviews: int
    scores: dict[str, Score]
    rejections: int
    blocks: int
    approval_seconds: float | None  # median time from submission to approval
    median_hourly_cents: float | None  # median over its task types' median rates
    recent: Recent  # last 90 days
    flags: list[str]


class Platform(msgspec.Struct, kw_only=True):
    """A platform's prior: what small samples are pulled toward."""

    prior: pay.Prior
    rating_means: dict[str, float]


def platform_from_row(platform: str, row: PlatformStats | None) -> Platform:
    if row is None:
        return Platform(prior=pay.platform_prior(0, 0.0, 0, 0),
                        rating_means={d: DEFAULT_RATING_MEAN for d in RATING_DIMENSIONS})
    means = {}
    for dimension in RATING_DIMENSIONS:
        n, total = (row.ratings or {}).get(dimension, [0, 0.0])
        means[dimension] = total / n if n > 0 else DEFAULT_RATING_MEAN
    return Platform(prior=pay.platform_prior(row.n_completed, row.sum_log_seconds, row.approved, row.decided),
                    rating_means=means)


async def load_platforms(session: AsyncSession, platforms: Iterable[str]) -> dict[str, Platform]:
    wanted = set(platforms)
    rows = {r.platform: r for r in await session.scalars(select(PlatformStats).where(PlatformStats.platform.in_(wanted)))}
    return {p: platform_from_row(p, rows.get(p)) for p in wanted}


def summary_of(requester: Requester, stats: RequesterStats | None, platform: Platform) -> RequesterSummary:
    if stats is None:
        return RequesterSummary(
            platform=requester.platform, id=requester.external_id, name=requester.name, reviews=0,
            scores={d: Score(score=None, mean=None, n=0) for d in RATING_DIMENSIONS},
            rejections=0, blocks=0, approval_seconds=None, median_hourly_cents=None, recent=Recent(), flags=[])
    scores = {}
    for dimension in RATING_DIMENSIONS:
        n, total = (stats.ratings or {}).get(dimension, [0, 0.0])
        mean = total / n if n else None
        score = pay.rating_score(int(n), mean, platform.rating_means[dimension])
        scores[dimension] = Score(score=round(score, 3) if score is not None else None,
                                  mean=round(mean, 3) if mean is not None else None, n=int(n))
    return RequesterSummary(
        platform=requester.platform, id=requester.external_id, name=requester.name, reviews=stats.reviews,
        scores=scores, rejections=stats.rejections, blocks=stats.blocks, approval_seconds=stats.approval_seconds,
        median_hourly_cents=round(stats.median_hourly_cents, 1) if stats.median_hourly_cents is not None else None,
        recent=msgspec.convert(stats.recent or {}, Recent),
        flags=active_flags(stats.flag_counts or {}, stats.reviews))


def sample_summary(data: dict[str, Any] | None) -> pay.SampleSummary | None:
    return msgspec.convert(data, pay.SampleSummary) if data else None
