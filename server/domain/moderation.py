"""The trust rules as plain functions (no I/O): who may hide what, who is new, what a burst of mass
evidence looks like. Routes, aggregates and jobs import these; docs/moderation.md and docs/evidence.md
explain them. How much an account's evidence weighs is server/domain/weights.py's.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from server.domain.vocab import RATING_DIMENSIONS
from server.domain.weights import NEW_ACCOUNT_AGE

ROLES = ("worker", "moderator", "admin")
MODERATOR_ROLES = frozenset({"moderator", "admin"})

# Why a worker flags a review. "other" needs a note.
FLAG_REASONS = ("spam", "abusive", "personal_data", "fake", "off_topic", "other")

# A flagged review is hidden once this many distinct workers flagged it, one of them a moderator
# (or at once by an admin): one worker alone, or many workers without a moderator, cannot hide a review.
FLAGGERS_TO_HIDE = 2

# Accounts younger than NEW_ACCOUNT_AGE (server/domain/weights.py) are "new": their evidence is kept and
# counts from their eighth day (weight 0 until then).

# A burst: mass evidence about one requester within BURST_WINDOW. Reviews in a burst are held for a
# moderator instead of moving any figure; timings in a burst wait until their accounts weigh
# BURST_RELEASE_WEIGHT (server/domain/aggregate.py). Bursts are
# * at least BURST_SIZE reviews (or timings) from distinct new accounts, whatever they say (low or high
#   ratings, outcomes, flags, times: all of them move some figure), or
# * at least ACCOUNT_BURST_SIZE reviews from one account, new or not (one account under many titles).
BURST_WINDOW = timedelta(hours=24)
BURST_SIZE = 3
ACCOUNT_BURST_SIZE = 10
BURST_RELEASE_WEIGHT = 0.5
LOW_RATING = 2  # a rating at or below this is low


def is_moderator(role: str | None) -> bool:
    return role in MODERATOR_ROLES


def should_hide(flagger_roles: Iterable[str]) -> bool:
    """Whether a review's open flags hide it. One entry per distinct flagger (their role)."""
    roles = list(flagger_roles)
    if "admin" in roles:
        return True
    return len(roles) >= FLAGGERS_TO_HIDE and any(role in MODERATOR_ROLES for role in roles)


def is_new_account(created_at: datetime, now: datetime, role: str = "worker") -> bool:
    """New accounts weigh less; moderators and admins are vouched for by whoever gave them the role."""
    return role not in MODERATOR_ROLES and now - created_at < NEW_ACCOUNT_AGE


def matured_between(since: datetime, now: datetime) -> tuple[datetime, datetime]:
    """Accounts created in [start, end) stopped being new between `since` and `now`."""
    return since - NEW_ACCOUNT_AGE, now - NEW_ACCOUNT_AGE


def is_low(ratings: Iterable[int | None], outcome: str | None) -> bool:
    """A review that would pull a requester down: a low rating, or a rejection or block."""
    return outcome in ("rejected", "blocked") or any(r is not None and r <= LOW_RATING for r in ratings)


def carries_evidence(ratings: Iterable[int | None], outcome: str | None, flags: Iterable[str] = (),
                     worked_seconds: int | None = None) -> bool:
    """A review that moves some figure: any rating, an outcome, a flag or a worked time (a comment alone
    moves none)."""
    return (outcome is not None or worked_seconds is not None or any(True for _ in flags)
            or any(r is not None for r in ratings))


@dataclass(frozen=True)
class BurstCandidate:
    """A review of one requester, as burst detection sees it."""

    review_id: int
    created_at: datetime
    new_account: bool
    evidence: bool  # carries_evidence
    status: str = "visible"
    worker_id: int | None = None


def _in_window(c: BurstCandidate, now: datetime) -> bool:
    return c.evidence and c.status != "hidden" and timedelta(0) <= now - c.created_at <= BURST_WINDOW


def burst_members(candidates: Iterable[BurstCandidate], now: datetime) -> list[BurstCandidate]:
    """The reviews in the window that make a burst: those of new accounts when there are BURST_SIZE of them
    from distinct accounts, and those of any one account with ACCOUNT_BURST_SIZE of them (hidden ones do not
    count). Empty when there is no burst."""
    window = [c for c in candidates if _in_window(c, now)]
    fresh = [c for c in window if c.new_account]
    members: dict[int, BurstCandidate] = {}
    if len({c.worker_id if c.worker_id is not None else -c.review_id for c in fresh}) >= BURST_SIZE:
        members.update((c.review_id, c) for c in fresh)
    per_account = Counter(c.worker_id for c in window if c.worker_id is not None)
    for c in window:
        if c.worker_id is not None and per_account[c.worker_id] >= ACCOUNT_BURST_SIZE:
            members[c.review_id] = c
    return list(members.values())


def burst_to_hold(candidates: Iterable[BurstCandidate], now: datetime) -> set[int]:
    """The reviews to hold: the members of a burst (burst_members). Reviews a moderator already decided on
    (hidden) are not counted again; only visible ones are held (a status such as "restored" counts toward
    the burst but stays as it is)."""
    return {c.review_id for c in burst_members(candidates, now) if c.status == "visible"}


class TimingEvidence(NamedTuple):
    """A timing as burst detection sees it."""

    worker_id: int
    task_type_id: int
    created_at: datetime
    new_account: bool  # its account was new when it was given


def timing_burst(timings: Iterable[TimingEvidence]) -> set[tuple[int, int]]:
    """(worker, task type) of the timings that new accounts gave in a burst: BURST_SIZE distinct new accounts
    timing one requester's tasks within BURST_WINDOW. Pure and order-free, so a recompute finds the same."""
    fresh = sorted((t for t in timings if t.new_account), key=lambda t: (t.created_at, t.worker_id, t.task_type_id))
    out: set[tuple[int, int]] = set()
    end = 0
    inside: Counter[int] = Counter()
    for start, first in enumerate(fresh):
        while end < len(fresh) and fresh[end].created_at - first.created_at <= BURST_WINDOW:
            inside[fresh[end].worker_id] += 1
            end += 1
        if len(inside) >= BURST_SIZE:
            out.update((t.worker_id, t.task_type_id) for t in fresh[start:end])
        inside[first.worker_id] -= 1
        if not inside[first.worker_id]:
            del inside[first.worker_id]
    return out


def is_muted(muted_until: datetime | None, now: datetime) -> bool:
    return muted_until is not None and muted_until > now


def may_mute(actor_role: str, target_role: str) -> bool:
    """Moderators mute workers; admins also mute moderators. Nobody mutes an admin (demote first)."""
    if target_role == "worker":
        return actor_role in MODERATOR_ROLES
    if target_role == "moderator":
        return actor_role == "admin"
    return False


class SeenReview(Protocol):
    status: str
    worker_id: int


class Viewer(Protocol):
    id: int
    role: str


def can_see(review: SeenReview, viewer: Viewer | None) -> bool:
    """Visible reviews are public; held and hidden ones only to their author and to moderators."""
    if review.status == "visible":
        return True
    return viewer is not None and (viewer.id == review.worker_id or is_moderator(viewer.role))


class RatedReview(Protocol):
    rating_pay: int | None
    rating_fairness: int | None
    rating_speed: int | None
    rating_communication: int | None
    outcome: str | None


def review_is_low(review: RatedReview) -> bool:
    return is_low([getattr(review, f"rating_{d}") for d in RATING_DIMENSIONS], review.outcome)


class EvidenceReview(RatedReview, Protocol):
    flags: list[str]
    worked_seconds: int | None


def review_carries_evidence(review: EvidenceReview) -> bool:
    return carries_evidence([getattr(review, f"rating_{d}") for d in RATING_DIMENSIONS], review.outcome,
                            review.flags or (), review.worked_seconds)
