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


class TimingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    platform: Platform
    requester_id: RequesterId
    requester_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    title: Title
    reward_cents: Cents
    currency: Currency = "USD"
    hit_set_id: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    assignment_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128,
                                               description="makes re-sending the same timing harmless")] | None = None
    accepted_at: datetime
    ended_at: datetime
    outcome: Literal["submitted", "returned", "approved", "rejected", "pending", "blocked"]
    # The bonus this submission was paid, as the platform's page showed it (whole cents); leave it out when
    # not known: an unknown bonus is not "no bonus" (docs/figures.md "Bonuses").
    bonus_cents: BonusCents | None = None


class TimingOut(msgspec.Struct, kw_only=True):
    id: int
    platform: str
    requester_id: str
    title: str
    reward_cents: int
    currency: str
    assignment_id: str | None
    accepted_at: datetime
    ended_at: datetime
    seconds: float
    outcome: str
    bonus_cents: int | None


class TimingPage(msgspec.Struct, kw_only=True):
    items: list[TimingOut]
    next_cursor: str | None
