"""The wire format of GET /api/v1/me/earnings (docs/earnings.md, "The JSON").

Money is integer minor units of `currency`; rates are minor units per hour (floats, two decimals), null when
there is no measured time to divide by; durations are seconds. Each currency is its own block.
"""
from __future__ import annotations

from datetime import date, datetime

import msgspec


class PeriodOut(msgspec.Struct, kw_only=True):
    from_: date = msgspec.field(name="from")
    to: date
    time_zone: str
    gap_minutes: int


class TotalsOut(msgspec.Struct, kw_only=True):
    tasks: dict[str, int]  # by state: approved, pending, rejected, returned, screened_out
    cents: dict[str, int]  # reward + bonus by state; rejected and returned: what the work would have paid
    earned_cents: int  # approved + what screen-outs paid
    approval_rate: float | None  # approved / (approved + rejected); null before any decision


class HourlyOut(msgspec.Struct, kw_only=True):
    without_unpaid: float | None  # pay / paid work time
    with_unpaid: float | None  # pay / (all work time + searching gaps)
    paid_seconds: float
    work_seconds: float
    search_seconds: float
    unpaid_seconds: float
    timed_tasks: int
    tasks: int


class DayOut(msgspec.Struct, kw_only=True):
    day: date
    tasks: int
    earned_cents: int
    pending_cents: int
    rejected_cents: int
    hourly_without_unpaid: float | None
    hourly_with_unpaid: float | None
    work_seconds: float


class WeekOut(msgspec.Struct, kw_only=True):
    week_start: date  # the Monday; only the period's days of the week count
    tasks: int
    earned_cents: int
    pending_cents: int
    rejected_cents: int
    hourly_without_unpaid: float | None
    hourly_with_unpaid: float | None
    work_seconds: float


class RequesterOut(msgspec.Struct, kw_only=True):
    platform: str
    requester_id: str
    requester_name: str
    tasks: int
    approved: int
    rejected: int
    earned_cents: int
    pending_cents: int
    approval_rate: float | None
    hourly_without_unpaid: float | None
    hourly_with_unpaid: float | None


class TaskTypeOut(msgspec.Struct, kw_only=True):
    platform: str
    requester_id: str
    requester_name: str
    title: str
    reward_cents: int
    tasks: int
    approved: int
    rejected: int
    earned_cents: int
    pending_cents: int
    approval_rate: float | None
    hourly_without_unpaid: float | None
    hourly_with_unpaid: float | None


class MoreOut(msgspec.Struct, kw_only=True):
    """How many rows the lists left out (they hold at most 100 each, the best earning first)."""

    by_requester: int
    by_task_type: int


class CurrencyOut(msgspec.Struct, kw_only=True):
    currency: str
    totals: TotalsOut
    hourly: HourlyOut
    by_day: list[DayOut]  # every day of the period, days without work included
    by_week: list[WeekOut]  # every week the period touches
    by_requester: list[RequesterOut]
    by_task_type: list[TaskTypeOut]
    more: MoreOut


class PlatformHistoryOut(msgspec.Struct, kw_only=True):
    items: int
    last_imported_at: datetime | None


class HistoryOut(msgspec.Struct, kw_only=True):
    """What the worker's imported history holds, all time (not only the period)."""

    platforms: dict[str, PlatformHistoryOut]


class EarningsOut(msgspec.Struct, kw_only=True):
    period: PeriodOut
    currencies: list[CurrencyOut]
    history: HistoryOut
