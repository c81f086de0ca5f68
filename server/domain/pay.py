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
    "Sample",
    "SampleSummary",
    "band",
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
    bonus_cents: int = 0


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


class Prior(msgspec.Struct, frozen=True):
    """What we expect of a task before (or beyond) its own samples."""

    log_seconds: float  # typical log duration
    approval: float  # 0..1
    return_rate: float = 0.0
    n: float = 0  # samples behind it (0 = pure default); fractional when weighted (combine_summaries)


class Hourly(msgspec.Struct):
    """An effective hourly pay figure with the evidence behind it."""

    cents_per_hour: float | None  # None when basis is "unknown"
    basis: str  # "task" | "requester" | "stated" | "unknown"
    n: int  # samples behind the figure (task n, requester n, 0 for stated/unknown)
    low: float | None = None  # rate_p25 of the task's samples, only when basis == "task"
    high: float | None = None  # rate_p75, likewise
    duration_seconds: float | None = None
    p_approved: float | None = None
    median_rate: float | None = None  # rate_p50 (basis task)
    pooled_rate: float | None = None  # pooled_pay*3600/pooled_seconds (basis task)
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


def _is_paid(outcome: str | None) -> bool:
    # Unknown outcomes (None or an unrecognised string) count as paid: most
    # work is approved, and a missing label should not erase a worker's pay.
    return outcome not in UNPAID_OUTCOMES and outcome != RETURNED


def summarize(samples: Iterable[Sample]) -> SampleSummary:
    """Reduce timings to the sufficient statistics effective_hourly needs."""
    n = n_returned = approved = decided = 0
    logs: list[float] = []
    returned_secs: list[float] = []
    rates: list[float] = []
    bonus_sum = 0.0
    pooled_pay = 0.0
    pooled_seconds = 0.0

    for s in samples:
        secs = _seconds(s.seconds)
        n += 1
        pooled_seconds += secs
        if s.outcome == RETURNED:
            n_returned += 1
            returned_secs.append(secs)
            rates.append(0.0)  # time spent, nothing earned
            continue
        logs.append(math.log(secs))
        bonus = _cents(s.bonus_cents)
        bonus_sum += bonus
        pay = _cents(s.reward_cents) + bonus if _is_paid(s.outcome) else 0.0
        pooled_pay += pay
        rates.append(pay * 3600.0 / secs)
        if s.outcome in DECIDED:
            decided += 1
            if s.outcome == "approved":
                approved += 1

    n_completed = len(logs)
    rates.sort()
    return SampleSummary(
        n=n,
        n_completed=n_completed,
        n_returned=n_returned,
        median_log_seconds=median(logs),
        sum_log_seconds=math.fsum(logs),
        returned_median_seconds=median(returned_secs),
        approved=approved,
        decided=decided,
        mean_bonus_cents=bonus_sum / n_completed if n_completed else 0.0,
        rate_p25=_quantile(rates, 0.25) if rates else None,
        rate_p50=_quantile(rates, 0.5) if rates else None,
        rate_p75=_quantile(rates, 0.75) if rates else None,
        pooled_pay_cents=pooled_pay,
        pooled_seconds=pooled_seconds,
        sum_returned_seconds=math.fsum(returned_secs),
    )


def _evidence(n: object) -> int:
    """A weighted sample count as the whole number shown to workers: some evidence is never shown as 0."""
    amount = _amount(n)
    return max(1, round(amount)) if amount > 0 else 0


def combine_summaries(parts: Iterable[tuple[SampleSummary, float]]) -> SampleSummary | None:
    """One summary from several sources' summaries of the same task type or requester, each counted
    with a weight in [0, 1] (1: like this community's own samples; 0: not at all).

    Sums and counts add up exactly (weighted, so counts may be fractional). Medians and quartiles cannot
    be merged exactly from summaries; they become means weighted by the samples behind them. A single
    part of weight 1 comes back unchanged.
    """
    kept = [(summary, float(weight)) for summary, weight in parts if summary is not None and _amount(weight) > 0]
    if not kept:
        return None
    if len(kept) == 1 and kept[0][1] == 1.0:
        return kept[0][0]

    def total(name: str) -> float:
        return math.fsum(_amount(getattr(s, name)) * w for s, w in kept)

    def weighted_mean(name: str, by: str) -> float | None:
        found = [(_finite(getattr(s, name)), _amount(getattr(s, by)) * w) for s, w in kept]
        pairs = [(value, weight) for value, weight in found if value is not None and weight > 0]
        mass = math.fsum(weight for _, weight in pairs)
        return math.fsum(value * weight for value, weight in pairs) / mass if mass > 0 else None

    n_completed = total("n_completed")
    return SampleSummary(
        n=total("n"),  # type: ignore[arg-type]  # weighted counts are floats
        n_completed=n_completed,  # type: ignore[arg-type]  # as n
        n_returned=total("n_returned"),  # type: ignore[arg-type]  # as n
        median_log_seconds=weighted_mean("median_log_seconds", "n_completed"),
        sum_log_seconds=math.fsum(value * w for s, w in kept if (value := _finite(s.sum_log_seconds)) is not None),
        returned_median_seconds=weighted_mean("returned_median_seconds", "n_returned"),
        approved=total("approved"),  # type: ignore[arg-type]  # as n
        decided=total("decided"),  # type: ignore[arg-type]  # as n
        mean_bonus_cents=(weighted_mean("mean_bonus_cents", "n_completed") or 0.0) if n_completed > 0 else 0.0,
        rate_p25=weighted_mean("rate_p25", "n"),
        rate_p50=weighted_mean("rate_p50", "n"),
        rate_p75=weighted_mean("rate_p75", "n"),
        pooled_pay_cents=total("pooled_pay_cents"),
        pooled_seconds=total("pooled_seconds"),
        sum_returned_seconds=total("sum_returned_seconds"),
    )


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
    return Prior(log_seconds=log_seconds, approval=approval, return_rate=0.0, n=n_c)


def requester_prior(summary: SampleSummary | None, platform: Prior) -> Prior:
    """A requester's prior: its own mean log duration, approval shrunk toward the platform."""
    plat_log = _log_seconds(platform.log_seconds, _DEFAULT_LOG_SECONDS)
    plat_approval = _prob(platform.approval, DEFAULT_APPROVAL)
    if summary is None:
        # n=0 tells effective_hourly not to claim a "requester" basis.
        return Prior(plat_log, plat_approval, _prob(platform.return_rate, 0.0), n=0)
    n = _amount(summary.n)
    n_c = _amount(summary.n_completed)
    s = _finite(summary.sum_log_seconds)
    log_seconds = _log_seconds(s / n_c, plat_log) if n_c > 0 and s is not None else plat_log
    d = _amount(summary.decided)
    a = min(_amount(summary.approved), d)
    approval = (a + K_APPROVAL * plat_approval) / (d + K_APPROVAL)
    # +1 keeps a single returned sample from claiming "everyone returns it".
    return_rate = min(_amount(summary.n_returned), n) / (n + 1)
    return Prior(log_seconds=log_seconds, approval=approval, return_rate=return_rate, n=n)


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
    else "unknown".
    """
    reward = _cents(reward_cents)
    stated = _stated(stated_seconds)
    has_requester = requester is not None and _amount(requester.n) > 0
    prior = requester if has_requester and requester is not None else platform
    prior_log = _log_seconds(prior.log_seconds, _DEFAULT_LOG_SECONDS)
    prior_approval = _prob(prior.approval, DEFAULT_APPROVAL)

    if task is not None and _amount(task.n) > 0:
        n = _amount(task.n)
        n_c = _amount(task.n_completed)
        n_r = min(_amount(task.n_returned), n)
        med_log = _opt(task.median_log_seconds)
        if n_c > 0 and med_log is not None:
            log_d = (n_c * _log_seconds(med_log, prior_log) + K_DURATION * prior_log) / (n_c + K_DURATION)
            d = _seconds(math.exp(log_d))
        else:
            # Everyone returned it: we never saw a completion time.
            d = stated if stated is not None else _seconds(math.exp(prior_log))
        decided = _amount(task.decided)
        approved = min(_amount(task.approved), decided)
        p = (approved + K_APPROVAL * prior_approval) / (decided + K_APPROVAL)
        q = n_r / (n + 1)
        # Time lost per returned attempt. We use the mean (Σ/n_returned), not
        # the median the interface first named: with the mean, q·d_r/(1-q)
        # equals Σreturned/(n_completed+1), which only grows as returns are
        # added, so returns can never raise the rate. Old summaries without
        # the sum fall back to the median.
        sum_r = _finite(task.sum_returned_seconds)
        if n_r > 0 and sum_r is not None and sum_r > 0:
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
        return Hourly(
            cents_per_hour=_rate(pay, p, q, d, d_r),
            basis="task",
            n=_evidence(n),
            low=_opt(task.rate_p25),
            high=_opt(task.rate_p75),
            duration_seconds=d,
            p_approved=p,
            median_rate=_opt(task.rate_p50),
            pooled_rate=pooled_rate,
            typical_bonus_cents=bonus if bonus > 0 else None,
            without_bonus=_rate(reward, p, q, d, d_r) if bonus > 0 else None,
        )

    if has_requester and requester is not None:
        d = _seconds(math.exp(prior_log))
        q = _prob(requester.return_rate, 0.0)  # q = 1 gives 0 (denominator stays d > 0)
        return Hourly(
            cents_per_hour=_rate(reward, prior_approval, q, d, d),
            basis="requester",
            n=_evidence(requester.n),
            duration_seconds=d,
            p_approved=prior_approval,
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
