"""The review vocabulary (DESIGN §3): rating dimensions, outcomes and flags. Pure data and rules."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

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
# a single grudge should not brand a requester with many reviews. Reports count by their accounts' weight
# (server/domain/weights.py: each account once; a new account's not yet), so "two workers" is two accounts'
# worth, and the single report of the share rule must be one full account's.
MIN_FLAG_REPORTS = 2
MIN_FLAG_SHARE = 1 / 3
# Blocks hurt a worker's account for good; two accounts' worth of reports are enough to say "avoid".
AVOID_BLOCKS = 2
# "avoid" from flags needs the flag reported by two accounts' worth, never one account alone (share rule).
AVOID_REPORTS = 2
_EPS = 1e-9


def active_flags(counts: Mapping[str, float], reviews: float) -> list[str]:
    """The flags enough reviewers reported, in vocabulary order. `counts` and `reviews` are counts, or the
    weights of the accounts that reported each flag and that reviewed (pay.ReviewEvidence)."""
    active = []
    for flag in FLAGS:
        count = float(counts.get(flag, 0) or 0)
        if count >= MIN_FLAG_REPORTS - _EPS or (count >= 1 - _EPS and reviews > 0 and count / reviews >= MIN_FLAG_SHARE):
            active.append(flag)
    return active


def weighted_flags(parts: Iterable[tuple[Mapping[str, float], float, float]]) -> tuple[list[str], dict[str, float]]:
    """The flags shown and the weight of the reports behind each, from parts (reports per flag, reviews,
    weight of the part): this community's weighed reports (pay.ReviewEvidence flags and weight), or another
    community's counts with the worker's weight for it."""
    reports: dict[str, float] = {}
    reviews = 0.0
    for flags, part_reviews, weight in parts:
        if weight <= 0:
            continue
        reviews += float(part_reviews) * weight
        for flag, amount in flags.items():
            reports[flag] = reports.get(flag, 0.0) + float(amount or 0) * weight
    return active_flags(reports, reviews), reports


def should_avoid(flags: list[str], requester_blocks: float, flag_reports: Mapping[str, float] | None = None) -> bool:
    """Avoid: the requester's blocks reported by two accounts' worth, or a flag that says so (broken, personal
    data) among the shown `flags` reported by two accounts' worth (`flag_reports`; without it, counts)."""
    if requester_blocks >= AVOID_BLOCKS - _EPS:
        return True
    return any(flag in AVOID_FLAGS and (flag_reports is None or float(flag_reports.get(flag, 0)) >= AVOID_REPORTS - _EPS)
               for flag in flags)


# What a review must say at least one of: otherwise it is an empty row that counts as a review everywhere
# (the requester's review count, the open dump) while saying nothing (docs/api.md `empty_review`).
REVIEW_CONTENT = "a rating, an outcome, the time worked or until approval, a bonus, a flag or a comment"


def review_says_something(ratings: Mapping[str, int | None], outcome: str | None, worked_seconds: int | None,
                          approval_seconds: int | None, bonus_cents: int | None, flags: Sequence[str],
                          comment: str) -> bool:
    return (any(value is not None for value in ratings.values()) or outcome is not None
            or worked_seconds is not None or approval_seconds is not None or bonus_cents is not None
            or bool(flags) or bool(comment.strip()))
