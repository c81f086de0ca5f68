"""Aggregation, the pure half of keeping aggregates current: what one requester's reviews and timings add up
to (`aggregate`, `requester_aggregates`), and the pieces the set-based rebuild uses. No I/O: the rows come from
server/stats/refresh.py, which reads them with Core selects and writes the results back.
"""
from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import msgspec

from server.domain import pay
from server.domain.bonus import account_bonus, typical_bonus
from server.domain.moderation import BURST_RELEASE_WEIGHT, TimingEvidence, timing_burst
from server.domain.vocab import RATING_DIMENSIONS
from server.domain.weights import NEW_ACCOUNT_AGE, Standing, account_weight

RECENT = timedelta(days=90)
# A measured timing says only how the work ended for the worker at the time; a later review knows more.
PROVISIONAL_OUTCOMES = {"submitted", "pending", None}
T = TypeVar("T")


@dataclass
class Report:
    """What one worker reported about one task type: their timings and/or their review."""

    timings: list[tuple[float, str]] = field(default_factory=list)
    review: ReviewLike | None = None
    # Bonuses it knows besides its review's (server/domain/bonus.py): its timings' and its captured history's.
    bonuses: list[float] = field(default_factory=list)

    def known_bonuses(self) -> list[float]:
        review_bonus = self.review.bonus_cents if self.review is not None else None
        return self.bonuses if review_bonus is None else [*self.bonuses, review_bonus]

    def completed(self) -> bool:
        """Whether it completed the work (a timing not returned, or a review with the time worked)."""
        return (any(outcome != "returned" for _, outcome in self.timings)
                or (not self.timings and self.review is not None and bool(self.review.worked_seconds)
                    and self.review.outcome != "returned"))


def report_samples(reward_cents: int, report: Report, bonus_cents: float | None = None) -> list[pay.Sample]:
    """The samples of one worker's report; each completed one paid `bonus_cents` (the account's bonus as it
    counts, server/domain/bonus.py), or without it the review's bonus."""
    review = report.review
    bonus: float = bonus_cents if bonus_cents is not None else ((review.bonus_cents or 0) if review else 0)
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
              reviews: Sequence[ReviewLike], now: datetime, weights: Mapping[Hashable, float] | None = None,
              authors: Sequence[Hashable] | None = None, families: Mapping[int, Hashable] | None = None,
              held: Collection[tuple[Hashable, int]] = ()) -> Aggregates:
    """Pure: what one requester's reports (per task type, per reporter) and reviews add up to.

    Evidence is weighted by who gives it (docs/evidence.md): `weights` gives each reporter's account weight
    (server/domain/weights.py; default 1), and one account counts at most once — its samples share its
    weight within a task type (and within the requester), its ratings are averaged before they are weighed,
    its flags, rejections and blocks count once. `authors` names each review's reporter (default: each
    review its own). Task types in one `family` (the same title at other rewards) share their evidence about
    the work. `held`: (reporter, task type) pairs whose timings wait (a burst, server/domain/moderation.py).
    Counts (reviews, ratings, samples) count what counts (weight > 0); the weighted masses are in the
    summaries (pay.SampleSummary weight and w_* fields, `reviews`: pay.ReviewEvidence).
    """
    authors = list(authors) if authors is not None else list(range(-1, -len(reviews) - 1, -1))
    weight_of = _weigher(weights or {})
    family_of: dict[int, Hashable] = {type_id: (families or {}).get(type_id, ("type", type_id)) for type_id in reports}
    members: dict[Hashable, list[int]] = defaultdict(list)
    for type_id in sorted(reports):
        members[family_of[type_id]].append(type_id)

    def samples_of(type_id: int, reporter: Hashable, report: Report, bonus: float) -> list[pay.Sample]:
        if (reporter, type_id) in held:
            return []  # timed in a burst: waits (its review's own evidence is the review write's to hold)
        return report_samples(rewards[type_id], report, bonus)

    task_types: dict[int, dict[str, Any]] = {}
    per_account: dict[Hashable, list[pay.Sample]] = defaultdict(list)  # all of a reporter's samples
    type_medians: list[float] = []
    family_logs: list[tuple[float, dict[Hashable, float]]] = []  # median log seconds, and who measured it
    for type_ids in members.values():
        by_reporter: dict[Hashable, list[pay.Sample]] = defaultdict(list)
        family_reviews: list[tuple[Hashable, ReviewLike]] = []
        family_outcomes: list[tuple[Hashable, str | None]] = []
        typical, bonus_of = _family_bonus(type_ids, reports, weight_of, held)
        for type_id in type_ids:
            for reporter, report in reports[type_id].items():
                if weight_of(reporter) <= 0:
                    continue  # kept, not counted (a new account)
                found = samples_of(type_id, reporter, report, bonus_of.get(reporter, 0.0))
                by_reporter[reporter] += found
                per_account[reporter] += found
                family_outcomes.append((reporter, final_outcome(report)))
                if report.review is not None:
                    family_reviews.append((reporter, report.review))
        if not any(by_reporter.values()) and not family_reviews:
            continue
        summary = pay.summarize(_shared(by_reporter, weight_of))
        summary.accounts = sum(1 for found in by_reporter.values() if found)
        summary.reviews = review_evidence(family_reviews, weight_of, family_outcomes)
        if summary.n_completed:
            summary.mean_bonus_cents = typical  # every account that knows a bonus, not only the timed ones
        if summary.rate_p50 is not None:
            type_medians.append(summary.rate_p50)
        if summary.median_log_seconds is not None:
            family_logs.append((summary.median_log_seconds, {reporter: weight_of(reporter)
                                                             for reporter, found in by_reporter.items() if found}))
        row = {
            "samples": summary.n,
            "reviews": len(family_reviews),
            "summary": msgspec.to_builtins(summary),
            "flag_counts": flag_counts([review for _, review in family_reviews]),
            "updated_at": now,
        }
        for type_id in type_ids:
            task_types[type_id] = row

    counted = [(author, review) for review, author in zip(reviews, authors) if weight_of(author) > 0]
    outcomes = [(reporter, final_outcome(report)) for by_worker in reports.values()
                for reporter, report in by_worker.items() if weight_of(reporter) > 0]
    # Reviews of the requester as a whole (no task named) still report an outcome.
    outcomes += [(author, r.outcome) for author, r in counted if r.task_type_id is None]
    recent_since = now - RECENT
    recent_reviews = [r for _, r in counted if r.updated_at >= recent_since]
    summary = pay.summarize(_shared(per_account, weight_of))
    if summary.n:
        summary.accounts = sum(1 for found in per_account.values() if found)
        _type_lengths(summary, family_logs)
    evidence = review_evidence(counted, weight_of, outcomes)
    if counted or summary.n:
        summary.reviews = evidence
    ratings = rating_sums(counted, weight_of)
    requester = None if not reviews and not summary.n else {
        "reviews": len(reviews),
        "summary": msgspec.to_builtins(summary),
        "ratings": ratings,
        "rejections": sum(1 for _, o in outcomes if o == "rejected"),
        "blocks": sum(1 for _, o in outcomes if o == "blocked"),
        "approval_seconds": pay.median([float(r.approval_seconds) for _, r in counted if r.approval_seconds is not None]),
        "median_hourly_cents": pay.median(type_medians),
        "recent": {
            "reviews": len([r for r in reviews if r.updated_at >= recent_since]),
            "rejections": sum(1 for r in recent_reviews if r.outcome == "rejected"),
            "blocks": sum(1 for r in recent_reviews if r.outcome == "blocked"),
        },
        "flag_counts": flag_counts([r for _, r in counted]),
        "updated_at": now,
    }
    return Aggregates(task_types=task_types, requester=requester, summary=summary, ratings=ratings)


def _family_bonus(type_ids: Sequence[int], reports: Mapping[int, Mapping[Hashable, Report]],
                  weight_of: Callable[[Hashable], float],
                  held: Collection[tuple[Hashable, int]]) -> tuple[float, dict[Hashable, float]]:
    """The typical bonus of a family of task types and each account's bonus as it counts (server/domain/bonus.py):
    an account's evidence is all its reports of the family; timings held in a burst say nothing yet."""
    known: dict[Hashable, list[float]] = defaultdict(list)
    completed: dict[Hashable, bool] = defaultdict(bool)
    for type_id in type_ids:
        for reporter, report in reports[type_id].items():
            if (reporter, type_id) in held:
                continue
            known[reporter] += report.known_bonuses()
            completed[reporter] = completed[reporter] or report.completed()
    accounts = {reporter: (found, weight_of(reporter)) for reporter in known
                if (found := account_bonus(known[reporter], completed[reporter])) is not None}
    return typical_bonus(accounts)


def _type_lengths(summary: pay.SampleSummary, family_logs: list[tuple[float, dict[Hashable, float]]]) -> None:
    """The requester's typical task type's length, how its task types spread around it, and how many task
    types that rests on: task types count by who measured them, each account's weight shared among the task
    types it measured (30 made-up task types of one account count as one account's say)."""
    families_of: Counter[Hashable] = Counter(reporter for _, who in family_logs for reporter in who)
    pairs = [(log, math.fsum(w / families_of[reporter] for reporter, w in who.items())) for log, who in family_logs]
    pairs = [(log, m) for log, m in pairs if m > 0]
    mass = math.fsum(m for _, m in pairs)
    if mass <= 0:
        return
    mean = math.fsum(log * m for log, m in pairs) / mass
    summary.type_mean_log = mean
    effective = mass**2 / math.fsum(m * m for _, m in pairs)  # Kish's effective number of task types
    summary.types_measured = len(pairs)
    summary.type_spread = None
    if effective > 1.5:
        variance = math.fsum(m * (log - mean) ** 2 for log, m in pairs) / mass
        summary.type_spread = math.sqrt(variance * effective / (effective - 1))
    summary.types_measured = max(1, round(effective))


def _weigher(weights: Mapping[Hashable, float]) -> Callable[[Hashable], float]:
    def weight_of(reporter: Hashable) -> float:
        value = weights.get(reporter, 1.0)
        return value if value > 0 else 0.0
    return weight_of


def _shared(by_reporter: Mapping[Hashable, list[pay.Sample]], weight_of: Callable[[Hashable], float]) -> list[pay.Sample]:
    """Each reporter's samples sharing its weight: one account counts at most once, however much it sends."""
    out = []
    for reporter, samples in by_reporter.items():
        if samples:
            share = weight_of(reporter) / len(samples)
            out += [msgspec.structs.replace(sample, weight=share) for sample in samples]
    return out


def review_evidence(reviews: Sequence[tuple[Hashable, ReviewLike]], weight_of: Callable[[Hashable], float],
                    outcomes: Sequence[tuple[Hashable, str | None]]) -> pay.ReviewEvidence:
    """What reviews add, each account once at its weight: who reviewed, who reported each flag, who reported
    a rejection or a block (`outcomes`: reporter and final outcome), who rated each dimension."""
    authors = {author: weight_of(author) for author, _ in reviews}
    flags: dict[str, set[Hashable]] = defaultdict(set)
    rated: dict[str, set[Hashable]] = defaultdict(set)
    for author, review in reviews:
        for flag in review.flags or ():
            flags[flag].add(author)
        for dimension in RATING_DIMENSIONS:
            if getattr(review, f"rating_{dimension}") is not None:
                rated[dimension].add(author)
    rejected = {reporter for reporter, outcome in outcomes if outcome == "rejected"}
    blocked = {reporter for reporter, outcome in outcomes if outcome == "blocked"}

    def total(who: Iterable[Hashable]) -> float:
        return math.fsum(weight_of(a) for a in who)

    return pay.ReviewEvidence(accounts=len(authors), weight=math.fsum(authors.values()),
                              flags={flag: total(who) for flag, who in sorted(flags.items())},
                              rejections=total(rejected), blocks=total(blocked),
                              ratings={d: total(who) for d, who in rated.items()})


def aggregate_reviews(reviews: Sequence[ReviewLike], rewards: Mapping[int, int], now: datetime) -> Aggregates:
    """Aggregates of reviews alone, each its own reporter (imported reviews carry no author)."""
    reports: dict[int, dict[Hashable, Report]] = defaultdict(dict)
    for index, review in enumerate(reviews):
        if review.task_type_id is not None:
            reports[review.task_type_id][index] = Report(review=review)
    return aggregate(reports, rewards, reviews, now, authors=list(range(len(reviews))))


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


# task type, worker, seconds, outcome[, created[, bonus_cents (None: not known)]]
Timing = (tuple[int, int, float, str] | tuple[int, int, float, str, datetime | None]
          | tuple[int, int, float, str, datetime | None, int | None])
# A captured history item's bonus (server/domain/bonus.py history_bonus_counts): its task's family (title key,
# currency: the `families` values), its worker, its bonus in cents.
HistoryBonus = tuple[Hashable, int, int]


def requester_aggregates(rewards: Mapping[int, int], reviews: Sequence[ReviewRow], timings: Iterable[Timing],
                         now: datetime, standings: Mapping[int, Standing] | None = None,
                         families: Mapping[int, Hashable] | None = None, *,
                         history: Iterable[HistoryBonus] = ()) -> Aggregates:
    """Pure: one requester's aggregates from its visible reviews (oldest first), its timings ((task type, worker,
    seconds, outcome[, created_at]), oldest first) and its task types' rewards (and families: the same title at
    other rewards). Each worker's evidence counts with the weight of its `standings` (server/domain/weights.py;
    a worker missing there: its review's author fields, else a full weight). `history`: bonuses of history
    items captured from the platform's pages, which count toward the typical bonus (server/domain/bonus.py)."""
    known = standings or {}
    weights: dict[Hashable, float] = {}
    standing_of: dict[int, Standing] = {}

    def standing(worker_id: int, review: ReviewRow | None = None) -> Standing:
        found = standing_of.get(worker_id)
        if found is None:
            found = known.get(worker_id) or (Standing(created_at=review.author_created_at, role=review.author_role)
                                             if review is not None else Standing())
            standing_of[worker_id] = found
            weights[worker_id] = account_weight(found, now)
        return found

    for review in reviews:
        standing(review.worker_id, review)
    reports: dict[int, dict[Hashable, Report]] = defaultdict(dict)  # task type → worker → report
    given: list[TimingEvidence] = []
    for timing in timings:
        type_id, worker_id, seconds, outcome = timing[0], timing[1], timing[2], timing[3]
        by_worker = reports[type_id]
        report = by_worker.get(worker_id)
        if report is None:
            report = by_worker[worker_id] = Report()
        report.timings.append((seconds, outcome))
        if len(timing) > 5 and timing[5] is not None and outcome != "returned":
            report.bonuses.append(timing[5])
        created = timing[4] if len(timing) > 4 else None
        account = standing(worker_id)
        if created is not None and account.created_at is not None:
            given.append(TimingEvidence(worker_id, type_id, created, created - account.created_at < NEW_ACCOUNT_AGE))
    for review in reviews:
        if review.task_type_id is not None:
            by_worker = reports[review.task_type_id]
            report = by_worker.get(review.worker_id)
            if report is None:
                report = by_worker[review.worker_id] = Report()
            report.review = review
    # A history item's bonus joins its family's evidence (on its first task type with timings or reviews): a
    # family nobody timed or reviewed has no figure for a bonus to go in.
    family_types: dict[Hashable, int] = {}
    for type_id in sorted(reports):
        family_types.setdefault((families or {}).get(type_id, ("type", type_id)), type_id)
    for family, worker_id, bonus in history:
        found_type = family_types.get(family)
        if found_type is None:
            continue
        standing(worker_id)
        by_worker = reports[found_type]
        report = by_worker.get(worker_id)
        if report is None:
            report = by_worker[worker_id] = Report()
        report.bonuses.append(bonus)
    # Timings given in a burst by new accounts wait until their account has shown it is a real worker.
    held = {(worker_id, type_id) for worker_id, type_id in timing_burst(given)
            if weights.get(worker_id, 1.0) < BURST_RELEASE_WEIGHT}
    return aggregate(reports, rewards, reviews, now, weights, [r.worker_id for r in reviews], families, held)


def flag_counts(reviews: Iterable[ReviewLike]) -> dict[str, int]:
    return dict(Counter(flag for review in reviews for flag in (review.flags or [])))


def rating_sums(reviews: Sequence[tuple[Hashable, ReviewLike]],
                weight_of: Callable[[Hashable], float] | None = None) -> dict[str, list[float]]:
    """{dimension: [n, sum]} with sum / n the weighted mean: each account's ratings of the requester are
    averaged first, then accounts weigh by their weight — one account counts once, and a weight shrinks
    its say without pulling the mean toward any value. n counts the ratings that count."""
    weight_of = weight_of or (lambda _author: 1.0)
    sums: dict[str, list[float]] = {}
    for dimension in RATING_DIMENSIONS:
        by_author: dict[Hashable, list[int]] = defaultdict(list)
        for author, review in reviews:
            value = getattr(review, f"rating_{dimension}")
            if value is not None:
                by_author[author].append(value)
        n = sum(len(values) for values in by_author.values())
        pairs = [(statistics.fmean(values), weight_of(author)) for author, values in by_author.items()]
        mass = math.fsum(w for _, w in pairs)
        if n == 0 or mass <= 0:
            sums[dimension] = [0, 0.0]
            continue
        mean = math.fsum(v * w for v, w in pairs) / mass
        if all(len(values) == 1 for values in by_author.values()) and all(w == pairs[0][1] for _, w in pairs):
            sums[dimension] = [n, math.fsum(v for v, _ in pairs)]  # one rating each, equal weights: the plain sum
        else:
            sums[dimension] = [n, mean * n]
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
