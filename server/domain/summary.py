"""Requester summaries from stored aggregates: a little arithmetic over rows read elsewhere
(server/requesters/queries.py reads them)."""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Protocol

import msgspec

from server.domain import pay
from server.domain.figures import shown_cents, two_decimals, whole_seconds
from server.domain.vocab import RATING_DIMENSIONS, active_flags
from server.domain.weights import DEFAULT_WEIGHTS, Weights

DEFAULT_RATING_MEAN = 3.0  # the middle of the scale, until a platform has ratings of its own


def _described(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)  # shown in the OpenAPI document


class Score(msgspec.Struct, kw_only=True):
    score: Annotated[float | None, _described(
        "Cautious score from 1 to 5 (the mean pulled toward the platform's usual rating while ratings are few), "
        "two decimals: what to sort by. Null without ratings.")]
    mean: Annotated[float | None, _described("Plain average of the ratings, 1 to 5, two decimals; null without ratings.")]
    n: Annotated[int, _described("How many ratings.")]


class Recent(msgspec.Struct, kw_only=True):
    reviews: Annotated[int, _described("Reviews in the last 90 days.")] = 0
    rejections: Annotated[int, _described("Rejections reported in the last 90 days.")] = 0
    blocks: Annotated[int, _described("Blocks reported in the last 90 days.")] = 0


class Evidence(msgspec.Struct, kw_only=True):
    """What a requester's figures rest on (docs/evidence.md): the accounts whose reviews count, how many
    accounts' worth they are (weights add up; another community's reviews count one each, times the worker's
    weight for that community), and the weight of the accounts that reported a block (2 or more: avoid)."""

    accounts: Annotated[int, _described("How many worker accounts' reviews count in the figures.")] = 0
    weight: Annotated[float, _described(
        "How many accounts' worth those reviews are (new or little-trusted accounts count less).")] = 0.0
    blocks: Annotated[float, _described(
        "Weight of the accounts that reported a block (2 or more: the requester is one to avoid).")] = 0.0


class RequesterSummary(msgspec.Struct, kw_only=True):
    platform: Annotated[str, _described("The platform (mturk or prolific).")]
    id: Annotated[str, _described("The requester's id on the platform.")]
    name: Annotated[str, _described("The requester's name as last seen on the platform.")]
    reviews: Annotated[int, _described("Reviews counted, other communities' included.")]
    scores: Annotated[dict[str, Score], _described("Ratings by dimension (pay, fairness, speed, communication).")]
    rejections: Annotated[int, _described("Reviews that report a rejection.")]
    blocks: Annotated[int, _described("Reviews that report a block.")]
    approval_seconds: Annotated[int | None, _described(
        "Median time from submission to approval, in whole seconds; null when none was reported.")]
    median_hourly_cents: Annotated[int | None, _described(
        "Median over its task types' median hourly pay, in whole cents per hour; null without timings.")]
    recent: Annotated[Recent, _described("Counts of the last 90 days.")]
    flags: Annotated[list[str], _described("Problems enough accounts reported about this requester.")]
    # Reviews from other communities counted in these figures, by source name (server/community);
    # `reviews` includes them. Empty when only this community's own reviews count.
    imported: Annotated[dict[str, int], _described(
        "Reviews from other communities counted in these figures, by source name; empty when only this "
        "community's own count.")] = {}
    evidence: Annotated[Evidence, _described("What the figures rest on: accounts and their weight.")] = msgspec.field(
        default_factory=Evidence)


class Platform(msgspec.Struct, kw_only=True):
    """A platform's prior: what small samples are pulled toward."""

    prior: pay.Prior
    rating_means: dict[str, float]


class PlatformRow(Protocol):
    """A platform's stored sums (server.db.models.PlatformStats)."""

    n_completed: int
    sum_log_seconds: float
    approved: int
    decided: int
    ratings: dict[str, Any]


class RequesterRow(Protocol):
    """What a summary shows of the requester itself (server.db.models.Requester)."""

    platform: str
    external_id: str
    name: str


def platform_from_row(_platform: str, row: PlatformRow | None) -> Platform:
    if row is None:
        return Platform(prior=pay.platform_prior(0, 0.0, 0, 0),
                        rating_means={d: DEFAULT_RATING_MEAN for d in RATING_DIMENSIONS})
    means = {}
    for dimension in RATING_DIMENSIONS:
        n, total = (row.ratings or {}).get(dimension, [0, 0.0])
        means[dimension] = total / n if n > 0 else DEFAULT_RATING_MEAN
    return Platform(prior=pay.platform_prior(row.n_completed, row.sum_log_seconds, row.approved, row.decided),
                    rating_means=means)


class StatsRow(Protocol):
    """A requester's stored aggregates: this community's (RequesterStats) or a source's (SourceRequesterStats)."""

    reviews: int
    summary: dict[str, Any]
    ratings: dict[str, Any]
    rejections: int
    blocks: int
    approval_seconds: float | None
    median_hourly_cents: float | None
    recent: dict[str, Any]
    flag_counts: dict[str, Any]


Imported = Sequence[tuple[str, StatsRow]]  # (source name, its aggregates of this requester)


def summary_of(requester: RequesterRow, stats: StatsRow | None, platform: Platform, imported: Imported = (),
               weights: Weights = DEFAULT_WEIGHTS) -> RequesterSummary:
    """The requester as one worker sees it: this community's aggregates, plus other communities' as the
    worker weighs them (see server/domain/weights.py)."""
    parts = ([(stats, 1.0)] if stats is not None else []) + [
        (row, weights.of(name)) for name, row in imported if weights.of(name) > 0]
    if not parts:
        return RequesterSummary(
            platform=requester.platform, id=requester.external_id, name=requester.name, reviews=0,
            scores={d: Score(score=None, mean=None, n=0) for d in RATING_DIMENSIONS},
            rejections=0, blocks=0, approval_seconds=None, median_hourly_cents=None, recent=Recent(), flags=[])
    evidence = [(_review_evidence(row), w) for row, w in parts]
    scores = {}
    for dimension in RATING_DIMENSIONS:
        pairs = [((row.ratings or {}).get(dimension, [0, 0.0]), w) for row, w in parts]
        n_weighted = math.fsum(float(n) * w for (n, _), w in pairs)
        total = math.fsum(float(t) * w for (_, t), w in pairs)
        n_shown = int(sum(int(n) for (n, _), _w in pairs))
        mean = total / n_weighted if n_weighted > 0 else None
        # Shrinkage counts accounts' worth of ratings, not ratings (pay.ReviewEvidence), where it was weighed.
        amount = math.fsum((e.ratings.get(dimension, 0.0) if e is not None else float(n)) * w
                           for ((n, _), w), (e, _w) in zip(pairs, evidence))
        score = pay.rating_score(amount, mean, platform.rating_means[dimension])  # type: ignore[arg-type]  # a weighted (float) count
        scores[dimension] = Score(score=two_decimals(score), mean=two_decimals(mean), n=n_shown)
    reviews = sum(row.reviews for row, _ in parts)
    recent = Counter[str]()
    flag_weights: dict[str, float] = {}
    for (row, w), (e, _) in zip(parts, evidence):
        recent.update({k: int(v) for k, v in (row.recent or {}).items() if k in Recent.__struct_fields__})
        reported = e.flags if e is not None else {k: float(v) for k, v in (row.flag_counts or {}).items()}
        for flag, amount in reported.items():
            flag_weights[flag] = flag_weights.get(flag, 0.0) + float(amount) * w
    review_weight = math.fsum((e.weight if e is not None else float(row.reviews)) * w
                              for (row, w), (e, _) in zip(parts, evidence))
    median_hourly = _weighted_mean([(row.median_hourly_cents, w * max(1, row.reviews)) for row, w in parts])
    return RequesterSummary(
        platform=requester.platform, id=requester.external_id, name=requester.name, reviews=reviews,
        scores=scores, rejections=sum(row.rejections for row, _ in parts), blocks=sum(row.blocks for row, _ in parts),
        approval_seconds=whole_seconds(_weighted_mean([(row.approval_seconds, w * max(1, row.reviews)) for row, w in parts])),
        median_hourly_cents=shown_cents(median_hourly),
        recent=Recent(**recent),
        flags=active_flags(flag_weights, review_weight),
        imported={name: row.reviews for name, row in imported if weights.of(name) > 0 and row.reviews > 0},
        evidence=Evidence(
            accounts=sum((e.accounts if e is not None else int(row.reviews)) for (row, _), (e, _w) in zip(parts, evidence)),
            weight=round(review_weight, 3),
            blocks=round(math.fsum((e.blocks if e is not None else float(row.blocks)) * w
                                   for (row, w), (e, _) in zip(parts, evidence)), 3)))


def combined_sample_summary(stats: StatsRow | None, imported: Imported = (),
                            weights: Weights = DEFAULT_WEIGHTS) -> pay.SampleSummary | None:
    """The requester's work samples, ours and (weighted) other communities': the basis of its prior."""
    parts = [(sample_summary(stats.summary), 1.0)] if stats is not None else []
    parts += [(sample_summary(row.summary), weights.of(name)) for name, row in imported]
    return pay.combine_summaries((s, w) for s, w in parts if s is not None)


def _weighted_mean(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    kept = [(value, weight) for value, weight in pairs if value is not None and weight > 0]
    if len(kept) == 1:
        return kept[0][0]
    mass = math.fsum(weight for _, weight in kept)
    return math.fsum(value * weight for value, weight in kept) / mass if mass > 0 else None


def _review_evidence(row: StatsRow) -> pay.ReviewEvidence | None:
    """The weighted review evidence stored with a row's samples (None: counts only, e.g. another community's)."""
    summary = row.summary
    if isinstance(summary, pay.SampleSummary):
        return summary.reviews
    if isinstance(summary, dict) and summary.get("reviews"):
        return msgspec.convert(summary["reviews"], pay.ReviewEvidence)
    return None


def sample_summary(data: dict[str, Any] | None) -> pay.SampleSummary | None:
    return msgspec.convert(data, pay.SampleSummary) if data else None
