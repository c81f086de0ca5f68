"""The timings' wire structs."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from server.reviews.schemas import Cents, Currency, RequesterId, Title
from server.workers.schemas import Platform

MAX_BONUS_CENTS = 100_000  # $1,000 (or 1,000 of another currency): far above any bonus paid for a microtask
BonusCents = Annotated[int, msgspec.Meta(ge=0, le=MAX_BONUS_CENTS, description=(
    f"whole cents of the task's currency, 0 to {MAX_BONUS_CENTS}"))]


def _described(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)  # shown in the OpenAPI document


_OUTCOME = "How the task ended: submitted, returned, approved, rejected, pending or blocked."
_ACCEPTED = "When the worker accepted (started) the task: ISO 8601 with a time zone; answers give it in UTC."
_ENDED = "When the worker submitted or returned it: after `accepted_at`, at most 24 hours later."


class TimingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    platform: Platform
    requester_id: RequesterId
    requester_name: Annotated[str, msgspec.Meta(max_length=200, description=(
        "The requester's name as the platform shows it, up to 200 characters: a vote for the name shown."))] = ""
    title: Annotated[Title, _described("The task's title as the platform shows it (1 to 500 characters, not blank).")]
    reward_cents: Annotated[Cents, _described("Pay for one task, in whole cents of `currency` (0 to 1000000).")]
    currency: Annotated[Currency, _described("ISO 4217 code of the task's money, three capital letters.")] = "USD"
    hit_set_id: Annotated[str, msgspec.Meta(max_length=128, description=(
        "The platform's task group id (MTurk HIT group, Prolific study), up to 128 characters; null when not known."))
    ] | None = None
    assignment_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128,
                                               description="makes re-sending the same timing harmless")] | None = None
    accepted_at: Annotated[datetime, _described(_ACCEPTED)]
    ended_at: Annotated[datetime, _described(_ENDED + " Not in the future.")]
    outcome: Annotated[Literal["submitted", "returned", "approved", "rejected", "pending", "blocked"], _described(
        _OUTCOME)]
    # The bonus this submission was paid, as the platform's page showed it (whole cents); leave it out when
    # not known: an unknown bonus is not "no bonus" (docs/figures.md "Bonuses").
    bonus_cents: BonusCents | None = None


class TimingOut(msgspec.Struct, kw_only=True):
    id: Annotated[int, _described("The timing's id on this server.")]
    platform: Annotated[str, _described("The platform (mturk or prolific).")]
    requester_id: Annotated[str, _described("The requester's id on the platform.")]
    title: Annotated[str, _described("The task type's title.")]
    reward_cents: Annotated[int, _described("Pay for one task, in whole cents of `currency`.")]
    currency: Annotated[str, _described("ISO 4217 code of the task's money, e.g. USD.")]
    assignment_id: Annotated[str | None, _described(
        "The platform's assignment (submission) id as sent; null when none was sent.")]
    accepted_at: Annotated[datetime, _described("When the worker accepted the task (UTC).")]
    ended_at: Annotated[datetime, _described("When the worker submitted or returned it (UTC).")]
    seconds: Annotated[float, _described("The time measured: `ended_at` - `accepted_at`, in seconds.")]
    outcome: Annotated[str, _described(_OUTCOME)]
    bonus_cents: Annotated[int | None, _described(
        "The bonus this submission was paid, in whole cents of `currency`; null when not known.")]


class TimingPage(msgspec.Struct, kw_only=True):
    items: Annotated[list[TimingOut], _described("The worker's own timings, newest first.")]
    next_cursor: Annotated[str | None, _described(
        "Opaque: pass it as `cursor` to get the next page; null on the last page.")]
