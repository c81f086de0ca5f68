"""Wire format of reviews."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

import msgspec

from server.domain.text import COPIED, COPIED_NOT_BLANK, WRITTEN
from server.workers.schemas import Platform

Rating = Annotated[int, msgspec.Meta(ge=1, le=5, description="1 (worst) to 5 (best); null for n/a")]
Outcome = Literal["approved", "rejected", "pending", "returned", "blocked"]
Flag = Literal[
    "underpaid", "broken", "unpaid_screener", "attention_checks", "personal_data", "download_or_install",
    "webcam_or_phone", "writing_required", "timer_too_short", "adult_content",
    "screen_reader_ok", "needs_sight", "needs_hearing", "unextendable_time_limit", "captcha",
]
# Both are stripped when stored (they are part of a task's identity), so blank ones are refused. Text copied
# from a platform refuses NUL; what a person writes refuses other control characters too (server/domain/text.py).
RequesterId = Annotated[str, msgspec.Meta(min_length=1, max_length=128, description="the platform's requester id; not blank"),
                        COPIED_NOT_BLANK]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=500, description="not blank"), COPIED_NOT_BLANK]
RequesterName = Annotated[str, msgspec.Meta(max_length=200), COPIED]
HitSetId = Annotated[str, msgspec.Meta(max_length=128), COPIED]
# Litestar 2 leaves a bound of 0 out of the document when the value may be null (it tests the bound for
# truthiness); it copies extra_json_schema's "extra" into the schema as is, so these state the bound there too.
_MINIMUM_0 = {"extra": {"minimum": 0}}
_EXCLUSIVE_MINIMUM_0 = {"extra": {"exclusiveMinimum": 0}}
Cents = Annotated[int, msgspec.Meta(ge=0, le=1_000_000, extra_json_schema=_MINIMUM_0)]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
Seconds = Annotated[int, msgspec.Meta(ge=1, le=7 * 24 * 3600)]
ApprovalSeconds = Annotated[int, msgspec.Meta(ge=0, le=365 * 24 * 3600, extra_json_schema=_MINIMUM_0)]
MAX_COMMENT = 4000
Comment = Annotated[str, msgspec.Meta(max_length=MAX_COMMENT), WRITTEN]
Minutes = Annotated[float, msgspec.Meta(gt=0, le=7 * 24 * 60, extra_json_schema=_EXCLUSIVE_MINIMUM_0)]  # fractional, not 0


class Ratings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pay: Rating | None = None
    fairness: Rating | None = None
    speed: Rating | None = None
    communication: Rating | None = None


class RatingsPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Ratings to change in an edit: dimensions left out keep their value; null sets n/a."""

    pay: Rating | None | msgspec.UnsetType = msgspec.UNSET
    fairness: Rating | None | msgspec.UnsetType = msgspec.UNSET
    speed: Rating | None | msgspec.UnsetType = msgspec.UNSET
    communication: Rating | None | msgspec.UnsetType = msgspec.UNSET


class TaskRef(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    reward_cents: Cents
    currency: Currency = "USD"
    hit_set_id: HitSetId | None = None


class ReviewIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    platform: Platform
    requester_id: RequesterId
    requester_name: RequesterName = ""
    task: TaskRef | None = None  # leave out to review the requester as a whole
    ratings: Ratings = msgspec.field(default_factory=Ratings)
    worked_seconds: Seconds | None = None
    minutes_worked: Minutes | None = None  # or seconds, not both
    outcome: Outcome | None = None
    approval_seconds: ApprovalSeconds | None = None
    bonus_cents: Cents | None = None
    flags: Annotated[list[Flag], msgspec.Meta(max_length=len(get_args(Flag)))] = []
    comment: Comment = ""


class ReviewPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields to change; the task and requester a review is about cannot change."""

    ratings: RatingsPatch | msgspec.UnsetType = msgspec.UNSET
    worked_seconds: Seconds | None | msgspec.UnsetType = msgspec.UNSET
    minutes_worked: Minutes | None | msgspec.UnsetType = msgspec.UNSET
    outcome: Outcome | None | msgspec.UnsetType = msgspec.UNSET
    approval_seconds: ApprovalSeconds | None | msgspec.UnsetType = msgspec.UNSET
    bonus_cents: Cents | None | msgspec.UnsetType = msgspec.UNSET
    flags: Annotated[list[Flag], msgspec.Meta(max_length=len(get_args(Flag)))] | msgspec.UnsetType = msgspec.UNSET
    comment: Comment | msgspec.UnsetType = msgspec.UNSET


class TaskOut(msgspec.Struct, kw_only=True):
    title: str
    reward_cents: int
    currency: str
    hit_set_id: str | None


class ReviewOut(msgspec.Struct, kw_only=True):
    id: int
    platform: str
    requester_id: str
    requester_name: str
    task: TaskOut | None
    ratings: Ratings
    worked_seconds: int | None
    outcome: str | None
    approval_seconds: int | None
    bonus_cents: int | None
    flags: list[str]
    comment: str  # plain text as written; escape it wherever you render it
    author: str  # the handle, or FORMER_MEMBER once its account was deleted
    created_at: datetime
    updated_at: datetime
    edits: int = 0
    # visible | held (part of a burst, waits for a moderator) | hidden (by moderation). Only its author
    # and moderators ever see a review that is not visible (docs/moderation.md).
    status: Literal["visible", "held", "hidden"] = "visible"


class ReviewPage(msgspec.Struct, kw_only=True):
    items: list[ReviewOut]
    next_cursor: str | None


class RevisionOut(msgspec.Struct, kw_only=True):
    revised_at: datetime
    before: dict
