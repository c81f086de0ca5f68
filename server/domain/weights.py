"""Weights, pure (no I/O): how much each community's ratings count for one worker, and how much one
account's evidence counts for everyone (its standing).

This community's own reviews and timings always count fully. Ratings imported from another community
count with the worker's weight for it: `source_weights[name]` when set, else `other_communities_weight`
(both in the worker's filters, server/domain/filters.py). 0 leaves a source out altogether.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

import msgspec

from server.domain.filters import Filters


class Weights(msgspec.Struct, frozen=True):
    """Hashable, so computed figures can be memoized per set of weights (tasks/annotate.py)."""

    other: float = 1.0
    per_source: tuple[tuple[str, float], ...] = ()

    def of(self, source_name: str) -> float:
        for name, weight in self.per_source:
            if name == source_name:
                return weight
        return self.other


DEFAULT_WEIGHTS = Weights()


def weights_of(filters: Filters) -> Weights:
    if filters.other_communities_weight == 1.0 and not filters.source_weights:
        return DEFAULT_WEIGHTS
    return Weights(other=float(filters.other_communities_weight),
                   per_source=tuple(sorted((name, float(w)) for name, w in filters.source_weights.items())))


# --- account standing: how much one account's evidence counts ------------------------------------------
#
# Every piece of evidence (a timing, a review's ratings, outcome, flags and worked time) counts with its
# account's weight, 0 to 1 (docs/evidence.md "Who weighs how much"). What an account can do cheaply (register,
# write many reviews at once) earns nothing; what takes time or real work does:
#
# * age: nothing in the first week (NEW_ACCOUNT_AGE: its evidence is kept and counts from the eighth day),
#   then 0.1, 0.25 after 30 days, 0.5 after 90, 1 after a year;
# * activity lifts an account above its age's weight, up to a ceiling set by its age (0.5 in the first month,
#   0.75 to three months, then 1): evidence about many different requesters (0.05 each) and platform
#   history imported through the extension (0.025 per requester), on top of 0.25 (so a 7-day-old account
#   reaches 0.5 with 5 requesters, a 30-day-old one 0.75 with 10, a 90-day-old one 1 with 15);
# * agreement: once an account's timings can be compared with at least two other accounts' on 5 task types,
#   a share of agreement below 60 % scales its weight down (to 0.2 at worst): an account whose timings
#   others never confirm counts less.
#
# Moderators and admins count 1 (whoever gave them the role vouches for them). Activity and agreement are
# computed by the scheduler's standing job (server/stats/standing.py) and stored; aggregation reads them.

NEW_ACCOUNT_AGE = timedelta(days=7)
AGE_STEPS: tuple[tuple[timedelta, float, float], ...] = (
    # (age from, weight by age alone, what activity can lift it to)
    (timedelta(days=365), 1.0, 1.0),
    (timedelta(days=90), 0.5, 1.0),
    (timedelta(days=30), 0.25, 0.75),
    (NEW_ACCOUNT_AGE, 0.1, 0.5),
)
ACTIVITY_BASE = 0.25
PER_REQUESTER = 0.05  # per distinct requester the account's counted evidence is about
PER_HISTORY_REQUESTER = 0.025  # per distinct requester in history imported through the extension
AGREEMENT_MIN_COMPARED = 5  # task types compared before agreement counts
AGREEMENT_FULL = 0.6  # this share of agreement or more: full weight
AGREEMENT_FLOOR = 0.2
AGREE_FACTOR = 2.5  # an account's typical time on a task type agrees when within ×2.5 of the others'
STAFF_ROLES = frozenset({"moderator", "admin"})


class Standing(msgspec.Struct, frozen=True):
    """What one account's weight rests on. `created_at` None: an author we know nothing of (another
    community's review): it counts fully, and the worker's weight for that community applies instead."""

    created_at: datetime | None = None
    role: str = "worker"
    requesters: int = 0  # distinct requesters its evidence is about (reviews, timings)
    history_requesters: int = 0  # distinct requesters in the platform history it imported
    compared: int = 0  # task types where its timings met at least two other accounts'
    agreed: int = 0  # … where its typical time agreed with theirs


def agreement_factor(compared: int, agreed: int) -> float:
    if compared < AGREEMENT_MIN_COMPARED:
        return 1.0
    share = max(0, min(agreed, compared)) / compared
    return min(1.0, max(AGREEMENT_FLOOR, share / AGREEMENT_FULL))


def account_weight(standing: Standing, now: datetime) -> float:
    """How much this account's evidence counts now, 0 to 1 (see above)."""
    if standing.role in STAFF_ROLES or standing.created_at is None:
        return 1.0
    age = now - standing.created_at
    for since, by_age, ceiling in AGE_STEPS:
        if age >= since:
            spread = PER_REQUESTER * max(0, standing.requesters) + PER_HISTORY_REQUESTER * max(0, standing.history_requesters)
            activity = ACTIVITY_BASE + spread if spread > 0 else 0.0  # no activity found yet: its age alone
            weight = max(by_age, min(ceiling, activity))
            return round(weight * agreement_factor(standing.compared, standing.agreed), 6)
    return 0.0  # a new account: kept, counted from its eighth day


def is_new(standing: Standing, now: datetime) -> bool:
    """A new account: its evidence does not count yet, and a burst of it is held."""
    return standing.role not in STAFF_ROLES and standing.created_at is not None and \
        now - standing.created_at < NEW_ACCOUNT_AGE


def steps_crossed(since: datetime, now: datetime) -> list[tuple[datetime, datetime]]:
    """Accounts created in any of these [start, end) ranges moved to another age step between `since` and
    `now`: the requesters their evidence is about are recomputed (the scheduler's refresh-recent job)."""
    return [(since - step, now - step) for step, _, _ in AGE_STEPS]


def agrees(own_log_seconds: float, others_log_seconds: float) -> bool:
    return abs(own_log_seconds - others_log_seconds) <= math.log(AGREE_FACTOR)
