"""The trust rules as plain functions (no I/O): who may hide what, how much a review weighs, what a
review-bombing burst looks like. Routes, aggregates and jobs import these; docs/moderation.md explains them.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from server.domain.vocab import RATING_DIMENSIONS

ROLES = ("worker", "moderator", "admin")
MODERATOR_ROLES = frozenset({"moderator", "admin"})

# Why a worker flags a review. "other" needs a note.
FLAG_REASONS = ("spam", "abusive", "personal_data", "fake", "off_topic", "other")

# A flagged review is hidden once this many distinct workers flagged it, one of them a moderator
# (or at once by an admin): one worker alone, or many workers without a moderator, cannot hide a review.
FLAGGERS_TO_HIDE = 2

# Accounts younger than this are "new": their ratings pull a mean NEW_ACCOUNT_WEIGHT as far as a full one.
NEW_ACCOUNT_AGE = timedelta(days=7)
NEW_ACCOUNT_WEIGHT = 0.25

# A burst: at least BURST_SIZE low reviews of one requester from new accounts within BURST_WINDOW.
# They are held for a moderator instead of moving the requester's score.
BURST_WINDOW = timedelta(hours=24)
BURST_SIZE = 3
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


def review_weight(author_created_at: datetime | None, now: datetime, author_role: str = "worker") -> float:
    """How much one review's ratings count: 1, or less while its author's account is new."""
    if author_created_at is None:
        return 1.0
    return NEW_ACCOUNT_WEIGHT if is_new_account(author_created_at, now, author_role) else 1.0


NEUTRAL_RATING = 3.0  # the middle of the 1-5 scale


def weighted_rating(value: float, weight: float) -> float:
    """A rating as it enters a mean: a rating that weighs less moves the mean less far from the middle.
    Counts stay honest (every rating is one rating); only its pull shrinks."""
    return NEUTRAL_RATING + (value - NEUTRAL_RATING) * weight


def matured_between(since: datetime, now: datetime) -> tuple[datetime, datetime]:
    """Accounts created in [start, end) stopped being new between `since` and `now`."""
    return since - NEW_ACCOUNT_AGE, now - NEW_ACCOUNT_AGE


def is_low(ratings: Iterable[int | None], outcome: str | None) -> bool:
    """A review that would pull a requester down: a low rating, or a rejection or block."""
    return outcome in ("rejected", "blocked") or any(r is not None and r <= LOW_RATING for r in ratings)


@dataclass(frozen=True)
class BurstCandidate:
    """A review of one requester, as burst detection sees it."""

    review_id: int
    created_at: datetime
    new_account: bool
    low: bool
    status: str = "visible"


def burst_members(candidates: Iterable[BurstCandidate], now: datetime) -> list[BurstCandidate]:
    """The low reviews from new accounts in the window that count toward a burst (hidden ones do not)."""
    return [c for c in candidates
            if c.new_account and c.low and c.status != "hidden" and now - c.created_at <= BURST_WINDOW]


def burst_to_hold(candidates: Iterable[BurstCandidate], now: datetime) -> set[int]:
    """The reviews to hold: the low reviews from new accounts in the window, when there are enough of
    them to be a burst. Reviews a moderator already decided on (hidden) are not counted again; only
    visible ones are held (a status such as "restored" counts toward the burst but stays as it is)."""
    members = burst_members(candidates, now)
    if len(members) < BURST_SIZE:
        return set()
    return {c.review_id for c in members if c.status == "visible"}


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
