"""Effective hourly pay, pay bands and rating scores (DESIGN §3 "Domain").

Pure functions: no I/O, no database, standard library and msgspec only, so the
annotate path, aggregate refresh jobs and tests can all share one definition.

Money is integer cents (the platform's minor unit); rates are float cents per
hour. Every function tolerates junk input (zero, negative, NaN, huge values)
and returns finite numbers, because a crash or a NaN here would blank a
worker's whole task list.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from typing import TypeGuard

import msgspec

__all__ = [
    "DECIDED",
    "DEFAULT_APPROVAL",
    "DEFAULT_PLATFORM_SECONDS",
    "DEFAULT_TARGET_CENTS_PER_HOUR",
    "GOOD_FACTOR",
    "K_APPROVAL",
    "K_DURATION",
    "PAID_OUTCOMES",
    "RATING_PRIOR_WEIGHT",
    "RATING_SD",
    "RATING_Z",
    "RETURNED",
    "UNPAID_OUTCOMES",
    "Hourly",
    "Prior",
    "MIN_ACCOUNTS",
    "RANGE_COVERAGE",
    "Sample",
    "SampleSummary",
    "band",
    "band_for",
    "combine_summaries",
    "effective_hourly",
    "median",
    "platform_prior",
    "rating_score",
    "requester_prior",
    "summarize",
]

DEFAULT_TARGET_CENTS_PER_HOUR = 725  # US federal minimum
GOOD_FACTOR = 1.4
K_DURATION = 3.0  # pseudo-samples pulling a task's log-duration toward its prior
K_APPROVAL = 4.0  # pseudo-decisions pulling approval probability toward its prior
DEFAULT_PLATFORM_SECONDS = 600.0  # prior duration when a platform has no data at all
DEFAULT_APPROVAL = 0.9  # prior approval when a platform has no data
RATING_PRIOR_WEIGHT = 5.0
RATING_Z = 1.0
RATING_SD = 1.0
# A figure is "good" only when it rests on at least this many accounts' worth of evidence (weights add up, see
# server/domain/weights.py; each account counts at most once per task type) and its range clears the target
# with room to spare: one worker, or a few fresh accounts, never make "good" (docs/evidence.md).
MIN_ACCOUNTS = 2.0
GOOD_Z = 1.645  # "good" needs the one-sided 95 % lower bound of the hourly at or above the target
RANGE_COVERAGE = 0.8  # low–high: the shown hourly's 80 % range
_RANGE_Z = 1.2816  # two-sided 80 %
# Spread of log-durations, for the range: one task's timings by different workers (before the task's own
# timings say), and tasks of one requester around its typical length (before its task types say).
SPREAD_WITHIN = 0.5
SPREAD_BETWEEN = 0.9
SPREAD_PLATFORM = 1.2  # tasks of a platform around its typical length
PAID_OUTCOMES = frozenset({"approved", "pending", "submitted"})  # and None (unknown outcome) counts as paid
UNPAID_OUTCOMES = frozenset({"rejected", "blocked"})  # completed but not paid
RETURNED = "returned"  # worked, then given back: time with zero pay
DECIDED = frozenset({"approved", "rejected", "blocked"})


# A sub-second timing is a clock glitch, not real work; flooring it keeps
# rates finite instead of astronomically large.
_MIN_SECONDS = 1.0
# Nobody works one microtask for a year; capping keeps log/exp and sums finite
# when a timer was left running or a value is corrupt.
_MAX_SECONDS = 365.0 * 24 * 3600
# Far above any real reward, far below float overflow (also guards huge ints).
_MAX_CENTS = 10**12


class Sample(msgspec.Struct, frozen=True):
    """One timing of one worker on one task."""

    seconds: float  # worked seconds, > 0 (callers drop non-positive)
    reward_cents: int  # reward of the task at the time
    outcome: str | None = None  # any string not listed above counts as unknown, like None
    bonus_cents: float = 0  # the account's bonus as it counts (server/domain/bonus.py), a mean: not always whole
    # How much it counts: its account's weight shared among that account's samples (server/domain/aggregate.py),
    # so one account counts at most once whatever it sends. 0: kept, not counted (a new account).
    weight: float = 1.0


class SampleSummary(msgspec.Struct):
    """Sufficient statistics, stored per task type and per requester."""

    n: int = 0  # all samples incl. returned
    n_completed: int = 0  # not returned
    n_returned: int = 0
    median_log_seconds: float | None = None  # median of log(seconds) over completed samples
    sum_log_seconds: float = 0.0  # over completed samples (feeds requester/platform priors)
    returned_median_seconds: float | None = None
    approved: int = 0
    decided: int = 0
    mean_bonus_cents: float = 0.0  # over completed samples
    rate_p25: float | None = None  # quartiles of per-sample rates (cents/h), returned count as rate 0
    rate_p50: float | None = None
    rate_p75: float | None = None
    pooled_pay_cents: float = 0.0  # Σ pay over all samples
    pooled_seconds: float = 0.0  # Σ seconds over all samples (returned included)
    # Σ seconds of returned samples. Added beyond the agreed interface (default
    # keeps old rows decodable): effective_hourly charges returned work by its
    # total time, so one more return can never make a task look better, which
    # the median alone cannot promise (see effective_hourly).
    sum_returned_seconds: float = 0.0
    # Weighted evidence (issue 18; None in summaries written before it, or imported from a source that does not
    # weigh: effective_hourly then uses the counts above). The counts above stay counts of the samples that
    # count (weight > 0); medians, quartiles, mean bonus and pooled sums above are weighted.
    weight: float | None = None  # Σ weights: how many accounts' worth of evidence
    accounts: int | None = None  # distinct accounts behind the samples (set by server/domain/aggregate.py)
    w_completed: float | None = None
    w_returned: float | None = None
    w_approved: float | None = None
    w_decided: float | None = None
    w_sum_log_seconds: float | None = None
    w_sum_returned_seconds: float | None = None
    log_spread: float | None = None  # spread of log(seconds) of completed samples (weighted IQR / 1.349)
    # A requester's only: its task types' typical lengths (medians of log seconds): their mean, how they
    # spread around it (log sd), over how many task types. The mean is the requester's typical task's length
    # (what a new task of it is expected to take), robust to a tab left open.
    type_mean_log: float | None = None
    type_spread: float | None = None
    types_measured: int | None = None
    # What reviews add (server/domain/aggregate.py `ReviewEvidence`): None before issue 18.
    reviews: ReviewEvidence | None = None


class ReviewEvidence(msgspec.Struct):
    """Reviews behind a task type or requester, weighted by who wrote them (each account at most once):
    the weight of accounts that reviewed, reported each flag, a rejection or a block, and rated each
    dimension. Counts stay in the stored aggregates' own columns (flag_counts, rejections, blocks)."""

    accounts: int = 0
    weight: float = 0.0
    flags: dict[str, float] = msgspec.field(default_factory=dict)
    rejections: float = 0.0
    blocks: float = 0.0
    ratings: dict[str, float] = msgspec.field(default_factory=dict)


class Prior(msgspec.Struct, frozen=True):
    """What we expect of a task before (or beyond) its own samples."""

    log_seconds: float  # typical log duration
    approval: float  # 0..1
    return_rate: float = 0.0
    n: float = 0  # samples behind it (0 = pure default); fractional when weighted (combine_summaries)
    spread: float = SPREAD_BETWEEN  # log sd of task types' typical lengths around log_seconds (for ranges)
    types: float = 0.0  # task types log_seconds was measured on (0: not from task types: the platform's)
    accounts: int = 0  # distinct accounts behind it (a requester's; 0: unknown)
    weight: float = 1.0  # how many accounts' worth of evidence it rests on (a requester's: 0 means none)
    decided: float = 0.0  # decisions behind `approval` (for ranges)
    log_spread: float | None = None  # log sd of single timings of a task (for ranges)


class Hourly(msgspec.Struct):
    """An effective hourly pay figure with the evidence behind it."""

    cents_per_hour: float | None  # None when basis is "unknown"
    basis: str  # "task" | "requester" | "stated" | "unknown"
    n: int  # samples behind the figure (task n, requester n, 0 for stated/unknown)
    low: float | None = None  # the figure's 80 % range (RANGE_COVERAGE), basis task or requester
    high: float | None = None
    duration_seconds: float | None = None
    p_approved: float | None = None
    median_rate: float | None = None  # rate_p50 (basis task)
    pooled_rate: float | None = None  # pooled_pay*3600/pooled_seconds (basis task)
    accounts: int = 0  # distinct accounts behind the samples (0: unknown, or none)
    weight: float = 0.0  # how many accounts' worth they are (weights add up)
    floor: float | None = None  # one-sided 95 % lower bound: what "good" must clear (band_for)
    # Bonuses (basis task, only when timed work was paid bonuses): cents_per_hour counts the typical bonus (the mean
    # bonus of completed timed work) in each task's pay; without_bonus is the same figure with no bonus at all.
    typical_bonus_cents: float | None = None
    without_bonus: float | None = None


# --- input hygiene ----------------------------------------------------------


def _finite(x: object) -> float | None:
    """x as a finite float, or None (NaN, inf, non-numbers, bools)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    try:
        f = float(x)
    except OverflowError:  # ints beyond float range
        return None
    return f if math.isfinite(f) else None


def _is_number(x: object) -> TypeGuard[int | float]:
    """A real int or float other than NaN (ints of any size; no float() overflow)."""
    if isinstance(x, bool):
        return False
    if isinstance(x, int):
        return True
    return isinstance(x, float) and not math.isnan(x)


def _seconds(x: object) -> float:
    """Worked seconds clamped to [_MIN_SECONDS, _MAX_SECONDS]; NaN/junk → floor."""
    if _is_number(x):
        if x >= _MAX_SECONDS:  # also +inf and huge ints, before float() can overflow
            return _MAX_SECONDS
        return max(_MIN_SECONDS, float(x))
    return _MIN_SECONDS


def _cents(x: object) -> float:
    """Money clamped to [0, _MAX_CENTS]; negative/NaN/junk → 0. Monotone in x."""
    if _is_number(x):
        if x >= _MAX_CENTS:
            return float(_MAX_CENTS)
        return max(0.0, float(x))
    return 0.0


def _count(x: object) -> int:
    """A non-negative count; junk → 0."""
    if isinstance(x, bool) or not isinstance(x, int):
        f = _finite(x)
        return max(0, int(f)) if f is not None else 0
    return max(0, x)


def _amount(x: object) -> float:
    """A non-negative amount of evidence: a count, or a weighted count when other communities' samples
    count less than this one's (see combine_summaries); junk → 0."""
    f = _finite(x)
    return max(0.0, f) if f is not None else 0.0


def _prob(x: object, default: float) -> float:
    f = _finite(x)
    return default if f is None else min(1.0, max(0.0, f))


def _log_seconds(x: object, default: float) -> float:
    f = _finite(x)
    if f is None:
        return default
    return min(math.log(_MAX_SECONDS), max(math.log(_MIN_SECONDS), f))


def _opt(x: object) -> float | None:
    """Pass through a stored optional statistic only if it is finite."""
    return _finite(x) if x is not None else None


_DEFAULT_LOG_SECONDS = math.log(DEFAULT_PLATFORM_SECONDS)


# --- statistics helpers -----------------------------------------------------


def median(values: Iterable[float]) -> float | None:
    """Median, or None for no values (callers show "no data" rather than 0)."""
    data = list(values)
    return statistics.median(data) if data else None


def _quantile(sorted_data: list[float], p: float) -> float:
    """Linear interpolation between order statistics.

    Same as statistics.quantiles(method="inclusive"), but defined for a single
    value too (Python 3.11 raises there).
    """
    pos = (len(sorted_data) - 1) * p
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_data) - 1)
    frac = pos - lo
    return sorted_data[lo] + (sorted_data[hi] - sorted_data[lo]) * frac


def _weighted_quantile(pairs: list[tuple[float, float]], p: float) -> float:
    """The p-quantile of (value, weight) pairs sorted by value, interpolating linearly between the points'
    weight midpoints: with equal weights exactly _quantile (the inclusive method), so unweighted evidence
    keeps its figures. Weights must be positive."""
    if len(pairs) == 1:
        return pairs[0][0]
    if all(w == pairs[0][1] for _, w in pairs):
        return _quantile([v for v, _ in pairs], p)
    first, last = pairs[0][1] / 2, pairs[-1][1] / 2
    total = math.fsum(w for _, w in pairs) - first - last
    target = p * total
    cumulative = -first
    position = []
    for _, w in pairs:
        cumulative += w
        position.append(cumulative - w / 2)
    for i in range(len(pairs) - 1):
        if position[i + 1] >= target:
            span = position[i + 1] - position[i]
            frac = (target - position[i]) / span if span > 0 else 0.0
            return pairs[i][0] + (pairs[i + 1][0] - pairs[i][0]) * min(1.0, max(0.0, frac))
    return pairs[-1][0]


def _weighted_median(pairs: list[tuple[float, float]]) -> float | None:
    """The weighted median of (value, weight) pairs (any order); with equal weights statistics.median."""
    if not pairs:
        return None
    if all(w == pairs[0][1] for _, w in pairs):
        return statistics.median(v for v, _ in pairs)
    return _weighted_quantile(sorted(pairs), 0.5)


def _is_paid(outcome: str | None) -> bool:
    # Unknown outcomes (None or an unrecognised string) count as paid: most
    # work is approved, and a missing label should not erase a worker's pay.
    return outcome not in UNPAID_OUTCOMES and outcome != RETURNED


def _weight(x: object) -> float:
    f = _finite(x)
    return min(1.0e6, f) if f is not None and f > 0 else 0.0


def summarize(samples: Iterable[Sample]) -> SampleSummary:
    """Reduce timings to the sufficient statistics effective_hourly needs.

    Each sample counts with its weight; a sample of weight 0 is left out (its account's evidence does not
    count yet). Counts (n, approved, …) count the samples that count; medians, quartiles, the mean bonus
    and the pooled sums are weighted, and the w_* fields carry the weighted counts."""
    n = n_returned = approved = decided = 0
    w_all = w_returned = w_approved = w_decided = 0.0
    logs: list[tuple[float, float]] = []
    returned: list[tuple[float, float]] = []
    rates: list[tuple[float, float]] = []
    bonus_sum = 0.0
    pooled_pay = 0.0
    pooled_seconds = 0.0

    for s in samples:
        w = _weight(s.weight)
        if w <= 0:
            continue
        secs = _seconds(s.seconds)
        n += 1
        w_all += w
        pooled_seconds += w * secs
        if s.outcome == RETURNED:
            n_returned += 1
            w_returned += w
            returned.append((secs, w))
            rates.append((0.0, w))  # time spent, nothing earned
            continue
        logs.append((math.log(secs), w))
        bonus = _cents(s.bonus_cents)
        bonus_sum += w * bonus
        pay = _cents(s.reward_cents) + bonus if _is_paid(s.outcome) else 0.0
        pooled_pay += w * pay
        rates.append((pay * 3600.0 / secs, w))
        if s.outcome in DECIDED:
            decided += 1
            w_decided += w
            if s.outcome == "approved":
                approved += 1
                w_approved += w

    if n == 0:
        return SampleSummary()
    n_completed = len(logs)
    w_completed = math.fsum(w for _, w in logs)
    w_sum_log = math.fsum(v * w for v, w in logs)
    spread = None
    if n_completed >= 2 and w_completed > 0:
        # Robust (interquartile range / 1.349, the standard deviation for normal data): a tab left open
        # makes a timing many times too long, which a plain standard deviation would take for a spread.
        ordered = sorted(logs)
        spread = (_weighted_quantile(ordered, 0.75) - _weighted_quantile(ordered, 0.25)) / 1.349
    rates.sort()
    return SampleSummary(
        n=n,
        n_completed=n_completed,
        n_returned=n_returned,
        median_log_seconds=_weighted_median(logs),
        sum_log_seconds=math.fsum(v for v, _ in logs),
        returned_median_seconds=_weighted_median(returned),
        approved=approved,
        decided=decided,
        mean_bonus_cents=bonus_sum / w_completed if w_completed > 0 else 0.0,
        rate_p25=_weighted_quantile(rates, 0.25),
        rate_p50=_weighted_quantile(rates, 0.5),
        rate_p75=_weighted_quantile(rates, 0.75),
        pooled_pay_cents=pooled_pay,
        pooled_seconds=pooled_seconds,
        sum_returned_seconds=math.fsum(v for v, _ in returned),
        weight=w_all,
        w_completed=w_completed,
        w_returned=w_returned,
        w_approved=w_approved,
        w_decided=w_decided,
        w_sum_log_seconds=w_sum_log,
        w_sum_returned_seconds=math.fsum(v * w for v, w in returned),
        log_spread=spread,
    )


def _evidence(n: object) -> int:
    """A weighted sample count as the whole number shown to workers: some evidence is never shown as 0."""
    amount = _amount(n)
    return max(1, round(amount)) if amount > 0 else 0


class Mass(msgspec.Struct, frozen=True):
    """How much evidence a summary holds, weighted when it was weighed (else its counts): what shrinkage,
    approval and returns use."""

    n: float
    completed: float
    returned: float
    approved: float
    decided: float
    sum_log_seconds: float
    sum_returned_seconds: float


def mass(summary: SampleSummary) -> Mass:
    def pick(weighted: object, count: object) -> float:
        value = _finite(weighted) if weighted is not None else None
        return max(0.0, value) if value is not None else _amount(count)

    log_sum = _finite(summary.w_sum_log_seconds) if summary.w_sum_log_seconds is not None else None
    returned_sum = (_finite(summary.w_sum_returned_seconds) if summary.w_sum_returned_seconds is not None else None)
    return Mass(
        n=pick(summary.weight, summary.n),
        completed=pick(summary.w_completed, summary.n_completed),
        returned=pick(summary.w_returned, summary.n_returned),
        approved=pick(summary.w_approved, summary.approved),
        decided=pick(summary.w_decided, summary.decided),
        sum_log_seconds=log_sum if log_sum is not None else (_finite(summary.sum_log_seconds) or 0.0),
        sum_returned_seconds=max(0.0, returned_sum if returned_sum is not None
                                 else (_finite(summary.sum_returned_seconds) or 0.0)),
    )


def combine_summaries(parts: Iterable[tuple[SampleSummary, float]]) -> SampleSummary | None:
    """One summary from several sources' summaries of the same task type or requester, each counted
    with a weight in [0, 1] (1: like this community's own samples; 0: not at all).

    Sums and counts add up exactly (weighted, so counts may be fractional). Medians and quartiles cannot
    be merged exactly from summaries; they become means weighted by the evidence behind them. A single
    part of weight 1 comes back unchanged. A part that was not weighed by who gave it (another community's)
    counts each of its samples as one account's.
    """
    kept = [(summary, float(weight)) for summary, weight in parts if summary is not None and _amount(weight) > 0]
    if not kept:
        return None
    if len(kept) == 1 and kept[0][1] == 1.0:
        return kept[0][0]
    masses = [(mass(s), w) for s, w in kept]

    def total(name: str) -> float:
        return math.fsum(_amount(getattr(s, name)) * w for s, w in kept)

    def weighted_total(name: str) -> float:
        return math.fsum(getattr(m, name) * w for m, w in masses)

    def weighted_mean(name: str, by: str) -> float | None:
        found = [(_finite(getattr(s, name)), getattr(m, by) * w) for (s, _), (m, w) in zip(kept, masses)]
        pairs = [(value, weight) for value, weight in found if value is not None and weight > 0]
        amount = math.fsum(weight for _, weight in pairs)
        return math.fsum(value * weight for value, weight in pairs) / amount if amount > 0 else None

    n_completed = total("n_completed")
    accounts = [s.accounts if s.accounts is not None else s.n for s, _ in kept]
    return SampleSummary(
        n=total("n"),  # type: ignore[arg-type]  # weighted counts are floats
        n_completed=n_completed,  # type: ignore[arg-type]  # as n
        n_returned=total("n_returned"),  # type: ignore[arg-type]  # as n
        median_log_seconds=weighted_mean("median_log_seconds", "completed"),
        sum_log_seconds=math.fsum(value * w for s, w in kept if (value := _finite(s.sum_log_seconds)) is not None),
        returned_median_seconds=weighted_mean("returned_median_seconds", "returned"),
        approved=total("approved"),  # type: ignore[arg-type]  # as n
        decided=total("decided"),  # type: ignore[arg-type]  # as n
        mean_bonus_cents=(weighted_mean("mean_bonus_cents", "completed") or 0.0) if n_completed > 0 else 0.0,
        rate_p25=weighted_mean("rate_p25", "n"),
        rate_p50=weighted_mean("rate_p50", "n"),
        rate_p75=weighted_mean("rate_p75", "n"),
        pooled_pay_cents=total("pooled_pay_cents"),
        pooled_seconds=total("pooled_seconds"),
        sum_returned_seconds=total("sum_returned_seconds"),
        weight=weighted_total("n"),
        accounts=sum(_count(a) for a in accounts),
        w_completed=weighted_total("completed"),
        w_returned=weighted_total("returned"),
        w_approved=weighted_total("approved"),
        w_decided=weighted_total("decided"),
        w_sum_log_seconds=weighted_total("sum_log_seconds"),
        w_sum_returned_seconds=weighted_total("sum_returned_seconds"),
        log_spread=weighted_mean("log_spread", "completed"),
        type_mean_log=weighted_mean("type_mean_log", "completed"),
        type_spread=weighted_mean("type_spread", "completed"),
        types_measured=sum(_count(s.types_measured) for s, _ in kept if s.types_measured is not None) or None,
        reviews=combine_review_evidence([(s.reviews, w) for s, w in kept]),
    )


def combine_review_evidence(parts: Iterable[tuple[ReviewEvidence | None, float]]) -> ReviewEvidence | None:
    """Review evidence of several sources, each scaled by its community weight (None parts add nothing)."""
    kept = [(e, w) for e, w in parts if e is not None and _amount(w) > 0]
    if not kept:
        return None

    def add(name: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for e, w in kept:
            for key, value in getattr(e, name).items():
                out[key] = out.get(key, 0.0) + _amount(value) * w
        return out

    return ReviewEvidence(accounts=sum(e.accounts for e, _ in kept), weight=math.fsum(e.weight * w for e, w in kept),
                          flags=add("flags"), rejections=math.fsum(e.rejections * w for e, w in kept),
                          blocks=math.fsum(e.blocks * w for e, w in kept), ratings=add("ratings"))


# --- priors -----------------------------------------------------------------


def platform_prior(n_completed: int, sum_log_seconds: float, approved: int, decided: int) -> Prior:
    """Platform-wide prior from summed sufficient statistics of all its tasks."""
    n_c = _count(n_completed)
    s = _finite(sum_log_seconds)
    if n_c > 0 and s is not None:
        log_seconds = _log_seconds(s / n_c, _DEFAULT_LOG_SECONDS)
    else:
        log_seconds, n_c = _DEFAULT_LOG_SECONDS, 0
    a, d = _count(approved), _count(decided)
    a = min(a, d)  # more approvals than decisions is corrupt data; don't exceed p = 1
    approval = (a + K_APPROVAL * DEFAULT_APPROVAL) / (d + K_APPROVAL)
    return Prior(log_seconds=log_seconds, approval=approval, return_rate=0.0, n=n_c, spread=SPREAD_PLATFORM,
                 types=float(n_c))


def requester_prior(summary: SampleSummary | None, platform: Prior) -> Prior:
    """A requester's prior: its own mean log duration, approval shrunk toward the platform (weighted by who
    gave the evidence, when it was weighed)."""
    plat_log = _log_seconds(platform.log_seconds, _DEFAULT_LOG_SECONDS)
    plat_approval = _prob(platform.approval, DEFAULT_APPROVAL)
    if summary is None:
        # n=0 tells effective_hourly not to claim a "requester" basis.
        return Prior(plat_log, plat_approval, _prob(platform.return_rate, 0.0), n=0, spread=_spread(platform.spread))
    m = mass(summary)
    log_seconds = _log_seconds(m.sum_log_seconds / m.completed, plat_log) if m.completed > 0 else plat_log
    type_mean = _opt(summary.type_mean_log) if summary.type_mean_log is not None else None
    if type_mean is not None and m.completed > 0:
        log_seconds = _log_seconds(type_mean, log_seconds)
    d = m.decided
    a = min(m.approved, d)
    approval = (a + K_APPROVAL * plat_approval) / (d + K_APPROVAL)
    # +1 keeps a single returned sample from claiming "everyone returns it".
    return_rate = min(m.returned, m.n) / (m.n + 1)
    # How this requester's task types spread around its typical length: what its types say, shrunk toward
    # the usual spread (three pseudo task types).
    measured = _amount(summary.types_measured)
    spread = _finite(summary.type_spread) if summary.type_spread is not None else None
    between = SPREAD_BETWEEN if spread is None or measured < 2 else math.sqrt(
        (measured * spread**2 + 3 * SPREAD_BETWEEN**2) / (measured + 3))
    return Prior(log_seconds=log_seconds, approval=approval, return_rate=return_rate, n=_amount(summary.n),
                 spread=between, weight=m.n, decided=d, log_spread=_opt(summary.log_spread), types=measured,
                 accounts=_count(summary.accounts) if summary.accounts is not None else _evidence(summary.n))


def _spread(x: object) -> float:
    f = _finite(x)
    return min(3.0, max(0.05, f)) if f is not None else SPREAD_BETWEEN


# --- effective hourly -------------------------------------------------------


def _rate(pay_cents: float, p: float, q: float, d: float, d_r: float) -> float:
    """Expected pay per hour of work when a fraction q of attempts are returned.

    Per attempt: expected pay (1-q)·p·pay, expected time (1-q)·d + q·d_r.
    Evaluated so that it is monotone in pay_cents even in floating point.
    """
    denom = (1.0 - q) * d + q * d_r
    if not (denom > 0.0) or not math.isfinite(denom):
        return 0.0
    value = pay_cents * p * 3600.0 * (1.0 - q) / denom
    return value if math.isfinite(value) else 0.0


def _stated(stated_seconds: float | None) -> float | None:
    f = _finite(stated_seconds) if stated_seconds is not None else None
    return _seconds(f) if f is not None and f > 0 else None


def _within(spread: object, amount: float) -> float:
    """The spread of one task's timings: what its own timings show, shrunk toward SPREAD_WITHIN."""
    f = _finite(spread) if spread is not None else None
    if f is None or amount <= 0:
        return SPREAD_WITHIN
    return math.sqrt((amount * f**2 + 2 * SPREAD_WITHIN**2) / (amount + 2))


def _approval_variance(p: float, decided: float) -> float:
    """Variance of log(p) after `decided` decisions and the K_APPROVAL pseudo-decisions of its prior."""
    p = min(1.0 - 1e-6, max(1e-6, p))
    return (1.0 - p) / (p * (decided + K_APPROVAL + 1.0))


def _range(value: float, variance: float) -> tuple[float, float, float]:
    """(low, high, floor): the 80 % range and the one-sided 95 % lower bound of a figure whose log has
    this variance."""
    sd = math.sqrt(max(0.0, variance))
    return value * math.exp(-_RANGE_Z * sd), value * math.exp(_RANGE_Z * sd), value * math.exp(-GOOD_Z * sd)


def effective_hourly(
    task: SampleSummary | None,
    reward_cents: int,
    requester: Prior | None,
    platform: Prior,
    stated_seconds: float | None = None,
) -> Hourly:
    """Effective hourly pay of a task type, from the best evidence available.

    Order of evidence: the task's own samples ("task"), its requester's
    typical task ("requester"), the duration the requester states ("stated"),
    else "unknown". Samples count by their weight (server/domain/weights.py), not their number.
    """
    reward = _cents(reward_cents)
    stated = _stated(stated_seconds)
    has_requester = requester is not None and _amount(requester.n) > 0 and _amount(requester.weight) > 0
    prior = requester if has_requester and requester is not None else platform
    prior_log = _log_seconds(prior.log_seconds, _DEFAULT_LOG_SECONDS)
    prior_approval = _prob(prior.approval, DEFAULT_APPROVAL)
    # How far a task type may be from the prior's typical length: task types spread so much, and the typical
    # length is itself the mean of a few task types (one more share of the spread per task type it rests on).
    prior_spread = _spread(prior.spread) * math.sqrt(1 + 1 / max(1.0, _amount(prior.types)))

    m = mass(task) if task is not None else None
    if task is not None and m is not None and m.n > 0 and _amount(task.n) > 0:
        n_c = m.completed
        n_r = min(m.returned, m.n)
        med_log = _opt(task.median_log_seconds)
        within = _within(task.log_spread, n_c)
        if n_c > 0 and med_log is not None:
            shrink = K_DURATION / (n_c + K_DURATION)
            log_d = (n_c * _log_seconds(med_log, prior_log) + K_DURATION * prior_log) / (n_c + K_DURATION)
            d = _seconds(math.exp(log_d))
            # The estimate's error: the prior's for this task (how task types differ) for the share the
            # prior holds, and the median's sampling error (π/2 · σ²/n) for the rest.
            var_d = shrink**2 * prior_spread**2 + (1 - shrink) ** 2 * (math.pi / 2) * within**2 / n_c
        else:
            # Everyone returned it: we never saw a completion time.
            d = stated if stated is not None else _seconds(math.exp(prior_log))
            var_d = prior_spread**2
        decided = m.decided
        approved = min(m.approved, decided)
        p = (approved + K_APPROVAL * prior_approval) / (decided + K_APPROVAL)
        q = n_r / (m.n + 1)
        # Time lost per returned attempt. We use the mean (Σ/n_returned), not
        # the median the interface first named: with the mean, q·d_r/(1-q)
        # equals Σreturned/(n_completed+1), which only grows as returns are
        # added, so returns can never raise the rate. Old summaries without
        # the sum fall back to the median.
        sum_r = m.sum_returned_seconds
        if n_r > 0 and sum_r > 0:
            d_r = min(_MAX_SECONDS, sum_r / n_r)
        else:
            d_r = min(_MAX_SECONDS, max(0.0, _opt(task.returned_median_seconds) or 0.0))
        bonus = _cents(_finite(task.mean_bonus_cents) or 0.0)
        pay = reward + bonus
        pooled_s = _finite(task.pooled_seconds)
        pooled_pay = _finite(task.pooled_pay_cents)
        pooled_rate = None
        if pooled_s is not None and pooled_s > 0 and pooled_pay is not None:
            pooled_rate = _finite(max(0.0, pooled_pay) * 3600.0 / max(_MIN_SECONDS, pooled_s))
        value = _rate(pay, p, q, d, d_r)
        low, high, floor = _range(value, var_d + _approval_variance(p, decided + _amount(prior.decided)))
        return Hourly(
            cents_per_hour=value,
            basis="task",
            n=_evidence(task.n),
            low=low,
            high=high,
            duration_seconds=d,
            p_approved=p,
            median_rate=_opt(task.rate_p50),
            pooled_rate=pooled_rate,
            accounts=_count(task.accounts) if task.accounts is not None else _evidence(task.n),
            weight=m.n,
            floor=floor,
            typical_bonus_cents=bonus if bonus > 0 else None,
            without_bonus=_rate(reward, p, q, d, d_r) if bonus > 0 else None,
        )

    if has_requester and requester is not None:
        d = _seconds(math.exp(prior_log))
        q = _prob(requester.return_rate, 0.0)  # q = 1 gives 0 (denominator stays d > 0)
        value = _rate(reward, prior_approval, q, d, d)
        weight = _amount(requester.weight)
        # This task is one of the requester's: it may be as far from the typical length as task types are,
        # and the typical length itself is known to σ²/n.
        var_d = prior_spread**2 + _within(requester.log_spread, weight) ** 2 / max(weight, 1e-6)
        low, high, floor = _range(value, var_d + _approval_variance(prior_approval, _amount(requester.decided)))
        return Hourly(
            cents_per_hour=value,
            basis="requester",
            n=_evidence(requester.n),
            low=low,
            high=high,
            duration_seconds=d,
            p_approved=prior_approval,
            accounts=_count(requester.accounts),
            weight=weight,
            floor=floor,
        )

    if stated is not None:
        return Hourly(
            cents_per_hour=_rate(reward, prior_approval, 0.0, stated, stated),
            basis="stated",
            n=0,
            duration_seconds=stated,
            p_approved=prior_approval,
        )

    return Hourly(cents_per_hour=None, basis="unknown", n=0)


# --- bands and ratings ------------------------------------------------------


def band(
    cents_per_hour: float | None,
    target_cents_per_hour: int = DEFAULT_TARGET_CENTS_PER_HOUR,
    avoid: bool = False,
) -> str:
    """The worker-facing band relative to the worker's own target wage."""
    if avoid:
        return "avoid"
    rate = _finite(cents_per_hour) if cents_per_hour is not None else None
    if rate is None:
        return "unknown"
    target = _finite(target_cents_per_hour)
    if target is None:
        target = float(DEFAULT_TARGET_CENTS_PER_HOUR)
    # 1.4 is not exact in binary; a tiny tolerance keeps "exactly 1.4×target"
    # in "good" whatever the rounding of the product.
    eps = 1e-9 * max(1.0, abs(target))
    if rate >= target * GOOD_FACTOR - eps:
        return "good"
    if rate >= target - eps:
        return "ok"
    return "low"


def band_for(hourly: Hourly, target_cents_per_hour: int = DEFAULT_TARGET_CENTS_PER_HOUR, avoid: bool = False) -> str:
    """The band a worker is shown for a figure, given what it rests on (docs/evidence.md "Bands"):

    * `avoid` as the caller decided it from weighted reports (server/domain/vocab.py should_avoid: never one
      account's word);
    * `good` only for a task's own measured figure resting on at least MIN_ACCOUNTS accounts' worth of
      evidence from two accounts or more, whose one-sided 95 % lower bound clears the target — never a
      requester's claim ("stated"), never the requester's other tasks, never one worker; such a figure is `ok`
      at best;
    * otherwise the plain band of the number (`ok`, `low`, `unknown`).
    """
    plain = band(hourly.cents_per_hour, target_cents_per_hour, avoid=avoid)
    if plain != "good":
        return plain
    target = _finite(target_cents_per_hour)
    target = float(DEFAULT_TARGET_CENTS_PER_HOUR) if target is None else target
    floor = _finite(hourly.floor) if hourly.floor is not None else None
    enough = (hourly.basis == "task" and _amount(hourly.weight) >= MIN_ACCOUNTS - 1e-9 and hourly.accounts >= 2
              and floor is not None and floor >= target * (1 - 1e-9))
    return "good" if enough else "ok"


def rating_score(n: int, mean: float | None, prior_mean: float) -> float | None:
    """Lower-confidence bound of a 1–5 rating, for ranking.

    Shrinks toward prior_mean and subtracts an uncertainty term, so one
    5-star review does not outrank 200 reviews averaging 4.6.
    """
    count = _amount(n)  # fractional when other communities' ratings count less (weighted)
    m = _finite(mean) if mean is not None else None
    if count == 0 or m is None:
        return None
    prior = _finite(prior_mean)
    if prior is None:
        prior = 3.0  # midpoint of the scale when the platform mean is unusable
    w = RATING_PRIOR_WEIGHT
    shrunk = (count * m + w * prior) / (count + w)
    lcb = shrunk - RATING_Z * RATING_SD / math.sqrt(count + w)
    return min(5.0, max(1.0, lcb))
