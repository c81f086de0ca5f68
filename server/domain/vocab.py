"""The review vocabulary (DESIGN §3): rating dimensions, outcomes and flags. Pure data and rules."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

RATING_DIMENSIONS = ("pay", "fairness", "speed", "communication")
# How a review's author is shown once they deleted their account and left their reviews.
FORMER_MEMBER = "former member"

OUTCOMES = ("approved", "rejected", "pending", "returned", "blocked")
TIMING_OUTCOMES = ("submitted", "returned", "approved", "rejected", "pending", "blocked")

WARNING_FLAGS = (
    "underpaid",
    "broken",
    "unpaid_screener",
    "attention_checks",
    "personal_data",
    "download_or_install",
    "webcam_or_phone",
    "writing_required",
    "timer_too_short",
    "adult_content",
)
ACCESSIBILITY_FLAGS = (
    "screen_reader_ok",
    "needs_sight",
    "needs_hearing",
    "unextendable_time_limit",
    "captcha",
)
FLAGS = WARNING_FLAGS + ACCESSIBILITY_FLAGS

# Flags that make a task one to avoid outright (DESIGN §3 bands: broken, personal data; blocks apart).
AVOID_FLAGS = frozenset({"broken", "personal_data"})
# A flag is shown once two workers report it, or one does when that is at least a third of the reviews:
# a single grudge should not brand a requester with many reviews.
MIN_FLAG_REPORTS = 2
MIN_FLAG_SHARE = 1 / 3
# Blocks hurt a worker's account for good; two reports are enough to say "avoid".
AVOID_BLOCKS = 2


def active_flags(counts: Mapping[str, int], reviews: int) -> list[str]:
    """The flags enough reviewers reported, in vocabulary order."""
    active = []
    for flag in FLAGS:
        count = int(counts.get(flag, 0))
        if count >= MIN_FLAG_REPORTS or (count >= 1 and reviews > 0 and count / reviews >= MIN_FLAG_SHARE):
            active.append(flag)
    return active


def should_avoid(flags: list[str], requester_blocks: int) -> bool:
    return requester_blocks >= AVOID_BLOCKS or any(flag in AVOID_FLAGS for flag in flags)


# What a review must say at least one of: otherwise it is an empty row that counts as a review everywhere
# (the requester's review count, the open dump) while saying nothing (docs/api.md `empty_review`).
REVIEW_CONTENT = "a rating, an outcome, the time worked or until approval, a bonus, a flag or a comment"


def review_says_something(ratings: Mapping[str, int | None], outcome: str | None, worked_seconds: int | None,
                          approval_seconds: int | None, bonus_cents: int | None, flags: Sequence[str],
                          comment: str) -> bool:
    return (any(value is not None for value in ratings.values()) or outcome is not None
            or worked_seconds is not None or approval_seconds is not None or bonus_cents is not None
            or bool(flags) or bool(comment.strip()))
