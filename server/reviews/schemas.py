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


def _described(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)  # shown in the OpenAPI document


# Shared by the request and the answer forms of a review; each form says what null means.
_WORKED = "Time spent working on the task, in whole seconds (1 to 604800)"
_MINUTES = ("Or the time worked in minutes, fractions allowed (more than 0, at most 10080); stored as whole seconds "
            "(at least 1). Give this or `worked_seconds`, not both")
_OUTCOME = "How the work ended: approved, rejected, pending, returned or blocked"
_APPROVAL = "Time from submitting the work until it was approved, in whole seconds (0 to one year)"
_BONUS = "The bonus paid for the work, in whole cents of the task's currency (0 to 1000000)"
_FLAGS = ("Problems the reviewer reports about the task (screen_reader_ok is a good sign), from the fixed vocabulary "
          "(docs/api.md); a repeated one counts once")
_COMMENT = "The reviewer's comment, plain text up to 4000 characters, returned verbatim (escape it where you render it)"
_NOT_GIVEN = "; null when not given."
_PATCHED = "; null clears it, left out: unchanged."


_RATINGS_WORDS = "Ratings from 1 (worst) to 5 (best) by dimension; null (or, when sent, left out): n/a."


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
    title: Annotated[Title, _described("The task's title as the platform shows it (1 to 500 characters, not blank).")]
    reward_cents: Annotated[Cents, _described("Pay for one task, in whole cents of `currency` (0 to 1000000).")]
    currency: Annotated[Currency, _described("ISO 4217 code of the task's money, three capital letters.")] = "USD"
    hit_set_id: Annotated[HitSetId, _described(
        "The platform's task group id (MTurk HIT group, Prolific study), up to 128 characters; null when not known.")
    ] | None = None


class ReviewIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    platform: Platform
    requester_id: RequesterId
    requester_name: Annotated[RequesterName, _described(
        "The requester's name as the platform shows it, up to 200 characters: a vote for the name shown "
        "(docs/figures.md).")] = ""
    task: Annotated[TaskRef | None, _described(
        "The task reviewed; leave it out to review the requester as a whole.")] = None
    # the same words as ReviewOut's: Litestar copies them onto the Ratings component (test_openapi.py)
    ratings: Annotated[Ratings, _described(_RATINGS_WORDS)] = msgspec.field(default_factory=Ratings)
    worked_seconds: Annotated[Seconds, _described(_WORKED + _NOT_GIVEN)] | None = None
    minutes_worked: Annotated[Minutes, _described(_MINUTES + _NOT_GIVEN)] | None = None
    outcome: Annotated[Outcome | None, _described(_OUTCOME + _NOT_GIVEN)] = None
    approval_seconds: Annotated[ApprovalSeconds, _described(_APPROVAL + _NOT_GIVEN)] | None = None
    bonus_cents: Annotated[Cents, _described(_BONUS + _NOT_GIVEN)] | None = None
    flags: Annotated[list[Flag], msgspec.Meta(max_length=len(get_args(Flag)), description=_FLAGS + ".")] = []
    comment: Annotated[Comment, _described(_COMMENT + ".")] = ""


class ReviewPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields to change; the task and requester a review is about cannot change."""

    ratings: Annotated[RatingsPatch, _described(
        "Ratings to change: dimensions left out keep their value; null sets one to n/a.")] | msgspec.UnsetType = (
        msgspec.UNSET)
    worked_seconds: Annotated[Seconds, _described(_WORKED + _PATCHED)] | None | msgspec.UnsetType = msgspec.UNSET
    minutes_worked: Annotated[Minutes, _described(_MINUTES + _PATCHED)] | None | msgspec.UnsetType = msgspec.UNSET
    outcome: Annotated[Outcome | None | msgspec.UnsetType, _described(_OUTCOME + _PATCHED)] = msgspec.UNSET
    approval_seconds: Annotated[ApprovalSeconds, _described(_APPROVAL + _PATCHED)] | None | msgspec.UnsetType = (
        msgspec.UNSET)
    bonus_cents: Annotated[Cents, _described(_BONUS + _PATCHED)] | None | msgspec.UnsetType = msgspec.UNSET
    flags: Annotated[list[Flag], msgspec.Meta(max_length=len(get_args(Flag)), description=(
        _FLAGS + "; replaces the whole list, left out: unchanged."))] | msgspec.UnsetType = msgspec.UNSET
    comment: Annotated[Comment, _described(_COMMENT + "; left out: unchanged.")] | msgspec.UnsetType = msgspec.UNSET


class TaskOut(msgspec.Struct, kw_only=True):
    title: Annotated[str, _described("The task type's title.")]
    reward_cents: Annotated[int, _described("Pay for one task, in whole cents of `currency`.")]
    currency: Annotated[str, _described("ISO 4217 code of the task's money, e.g. USD.")]
    hit_set_id: Annotated[str | None, _described(
        "The latest platform task group id seen for this task type (MTurk HIT group, Prolific study); null when "
        "none is known.")]


class ReviewOut(msgspec.Struct, kw_only=True):
    id: Annotated[int, _described("The review's id on this server.")]
    platform: Annotated[str, _described("The platform (mturk or prolific).")]
    requester_id: Annotated[str, _described("The requester's id on the platform.")]
    requester_name: Annotated[str, _described("The requester's name as shown everywhere (docs/figures.md).")]
    task: Annotated[TaskOut | None, _described("The task type reviewed; null for a review of the requester as a whole.")]
    ratings: Annotated[Ratings, _described(_RATINGS_WORDS)]
    worked_seconds: Annotated[int | None, _described(
        "Time spent working on the task, in whole seconds; null when not given.")]
    outcome: Annotated[str | None, _described(_OUTCOME + _NOT_GIVEN)]
    approval_seconds: Annotated[int | None, _described(
        "Time from submitting the work until it was approved, in whole seconds; null when not given.")]
    bonus_cents: Annotated[int | None, _described(
        "The bonus paid for the work, in whole cents of the task's currency; null when not given.")]
    flags: Annotated[list[str], _described("The problems (or screen_reader_ok) the reviewer reported, sorted.")]
    comment: Annotated[str, _described(  # plain text as written; escape it wherever you render it
        "The reviewer's comment, plain text as written: escape it wherever you render it.")]
    author: Annotated[str, _described(  # the handle, or FORMER_MEMBER once its account was deleted
        "The author's handle, or \"former member\" once their account was deleted.")]
    created_at: Annotated[datetime, _described("When the review was written (UTC, ISO 8601).")]
    updated_at: Annotated[datetime, _described("When the review was last changed (UTC, ISO 8601).")]
    edits: Annotated[int, _described(
        "How many times its author edited it (earlier versions: GET /api/v1/reviews/{id}/history).")] = 0
    # visible | held (part of a burst, waits for a moderator) | hidden (by moderation). Only its author
    # and moderators ever see a review that is not visible (docs/moderation.md).
    status: Annotated[Literal["visible", "held", "hidden"], _described(
        "visible, held (part of a burst, waiting for a moderator) or hidden (by moderation); only its author and "
        "moderators see a review that is not visible.")] = "visible"


class ReviewPage(msgspec.Struct, kw_only=True):
    items: Annotated[list[ReviewOut], _described("Reviews, newest first (by created_at, then id).")]
    next_cursor: Annotated[str | None, _described(
        "Opaque: pass it as `cursor` to get the next page; null on the last page.")]


class RevisionOut(msgspec.Struct, kw_only=True):
    revised_at: Annotated[datetime, _described("When the edit that replaced this version was made (UTC).")]
    before: Annotated[dict, _described(
        "The review as it was before that edit: worked_seconds, outcome, approval_seconds, bonus_cents, flags, "
        "comment, ratings and updated_at.")]
