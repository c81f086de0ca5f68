"""The wire format of GET /api/v1/me/earnings (docs/earnings.md, "The JSON").

Money is integer minor units of `currency`; rates are minor units per hour (floats, two decimals), null when
there is no measured time to divide by; durations are seconds. Each currency is its own block.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec


def _described(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)  # shown in the OpenAPI document


# Descriptions shared by the blocks that repeat the same figure for a day, a week, a requester or a task type.
_TASKS = "Tasks counted, in any state (history rows, and timings without a history row)."
_EARNED = ("Earned: approved pay plus what screen-outs paid (reward + bonus), in whole cents (minor units) of the "
           "block's currency.")
_PENDING = "What the tasks still waiting for a decision will pay if approved, in whole cents of the block's currency."
_REJECTED = "What the rejected tasks would have paid (the loss), in whole cents of the block's currency."
_WITHOUT_UNPAID = ("Hourly pay while working: pay of the timed paid tasks / paid work time, in cents of the block's "
                   "currency per hour (two decimals); null without timed paid work.")
_WITH_UNPAID = ("Hourly pay counting unpaid time: the same pay / (all work time + searching gaps), in cents per hour "
                "(two decimals); null without timed work.")
_WORK_SECONDS = "Work time in seconds: the union of every timed task's [start, end] interval, paid or not."
_PLATFORM = "The platform (mturk or prolific)."
_REQUESTER_ID = "The requester's id on the platform."
_REQUESTER_NAME = "The latest name seen for the requester; empty when none was seen."
_APPROVED = "Tasks approved."
_REJECTED_TASKS = "Tasks rejected."
_APPROVAL_RATE = "Approved / (approved + rejected), 0 to 1; null before any decision."


class PeriodOut(msgspec.Struct, kw_only=True):
    from_: Annotated[date, _described("The period's first day (YYYY-MM-DD) in `time_zone`.")] = msgspec.field(
        name="from")
    to: Annotated[date, _described("The period's last day (YYYY-MM-DD), included, in `time_zone`.")]
    time_zone: Annotated[str, _described("The IANA time zone the days are counted in, e.g. UTC or Europe/Berlin.")]
    gap_minutes: Annotated[int, _described(
        "The search-gap limit in whole minutes (0 to 120): a pause between tasks up to this long counts as "
        "searching (unpaid time), a longer one as a break.")]


class TotalsOut(msgspec.Struct, kw_only=True):
    tasks: Annotated[dict[str, int], _described(
        "Tasks by state: approved, pending, rejected, returned, screened_out.")]
    cents: Annotated[dict[str, int], _described(
        "Reward + bonus by state, in whole cents of the block's currency; for rejected and returned, what the "
        "work would have paid.")]
    earned_cents: Annotated[int, _described(_EARNED)]
    approval_rate: Annotated[float | None, _described(_APPROVAL_RATE)]


class HourlyOut(msgspec.Struct, kw_only=True):
    without_unpaid: Annotated[float | None, _described(_WITHOUT_UNPAID)]
    with_unpaid: Annotated[float | None, _described(_WITH_UNPAID)]
    paid_seconds: Annotated[float, _described(
        "Paid work time in seconds: the union of the intervals of timed approved, pending and screened-out tasks.")]
    work_seconds: Annotated[float, _described(_WORK_SECONDS)]
    search_seconds: Annotated[float, _described(
        "Searching time in seconds: the gaps between pieces of work no longer than the search-gap limit.")]
    unpaid_seconds: Annotated[float, _described(
        "Unpaid time in seconds: work on tasks that never paid (rejected, returned) plus searching.")]
    timed_tasks: Annotated[int, _described(
        "Tasks with a measured start and end: only these enter the hourly figures.")]
    tasks: Annotated[int, _described("All tasks, timed or not: how much of the work the figures cover.")]


class DayOut(msgspec.Struct, kw_only=True):
    day: Annotated[date, _described(
        "The day (YYYY-MM-DD) in the period's time zone; history rows count on the platform's own day.")]
    tasks: Annotated[int, _described(_TASKS)]
    earned_cents: Annotated[int, _described(_EARNED)]
    pending_cents: Annotated[int, _described(_PENDING)]
    rejected_cents: Annotated[int, _described(_REJECTED)]
    hourly_without_unpaid: Annotated[float | None, _described(_WITHOUT_UNPAID)]
    hourly_with_unpaid: Annotated[float | None, _described(_WITH_UNPAID)]
    work_seconds: Annotated[float, _described(_WORK_SECONDS)]


class WeekOut(msgspec.Struct, kw_only=True):
    week_start: Annotated[date, _described(
        "The Monday (YYYY-MM-DD) the week starts on; only the period's days of the week count.")]
    tasks: Annotated[int, _described(_TASKS)]
    earned_cents: Annotated[int, _described(_EARNED)]
    pending_cents: Annotated[int, _described(_PENDING)]
    rejected_cents: Annotated[int, _described(_REJECTED)]
    hourly_without_unpaid: Annotated[float | None, _described(_WITHOUT_UNPAID)]
    hourly_with_unpaid: Annotated[float | None, _described(_WITH_UNPAID)]
    work_seconds: Annotated[float, _described(_WORK_SECONDS)]


class RequesterOut(msgspec.Struct, kw_only=True):
    platform: Annotated[str, _described(_PLATFORM)]
    requester_id: Annotated[str, _described(_REQUESTER_ID)]
    requester_name: Annotated[str, _described(_REQUESTER_NAME)]
    tasks: Annotated[int, _described(_TASKS)]
    approved: Annotated[int, _described(_APPROVED)]
    rejected: Annotated[int, _described(_REJECTED_TASKS)]
    earned_cents: Annotated[int, _described(_EARNED)]
    pending_cents: Annotated[int, _described(_PENDING)]
    approval_rate: Annotated[float | None, _described(_APPROVAL_RATE)]
    hourly_without_unpaid: Annotated[float | None, _described(_WITHOUT_UNPAID)]
    hourly_with_unpaid: Annotated[float | None, _described(_WITH_UNPAID)]


class TaskTypeOut(msgspec.Struct, kw_only=True):
    platform: Annotated[str, _described(_PLATFORM)]
    requester_id: Annotated[str, _described(_REQUESTER_ID)]
    requester_name: Annotated[str, _described(_REQUESTER_NAME)]
    title: Annotated[str, _described(
        "The task type's title, in its latest spelling (titles are compared without case and spacing differences).")]
    reward_cents: Annotated[int, _described("Pay for one task, in whole cents of the block's currency.")]
    tasks: Annotated[int, _described(_TASKS)]
    approved: Annotated[int, _described(_APPROVED)]
    rejected: Annotated[int, _described(_REJECTED_TASKS)]
    earned_cents: Annotated[int, _described(_EARNED)]
    pending_cents: Annotated[int, _described(_PENDING)]
    approval_rate: Annotated[float | None, _described(_APPROVAL_RATE)]
    hourly_without_unpaid: Annotated[float | None, _described(_WITHOUT_UNPAID)]
    hourly_with_unpaid: Annotated[float | None, _described(_WITH_UNPAID)]


class MoreOut(msgspec.Struct, kw_only=True):
    """How many rows the lists left out (they hold at most 100 each, the best earning first)."""

    by_requester: Annotated[int, _described("Requesters left out of `by_requester` (past the first 100).")]
    by_task_type: Annotated[int, _described("Task types left out of `by_task_type` (past the first 100).")]


class CurrencyOut(msgspec.Struct, kw_only=True):
    currency: Annotated[str, _described("ISO 4217 code of every amount in this block, e.g. USD.")]
    totals: Annotated[TotalsOut, _described("Task counts and money of the whole period.")]
    hourly: Annotated[HourlyOut, _described("Effective hourly pay of the whole period, and the times it rests on.")]
    by_day: Annotated[list[DayOut], _described("Every day of the period, oldest first, days without work included.")]
    by_week: Annotated[list[WeekOut], _described("Every week (Monday first) the period touches, oldest first.")]
    by_requester: Annotated[list[RequesterOut], _described(
        "Per requester, the best earning first (then the most tasks); at most 100.")]
    by_task_type: Annotated[list[TaskTypeOut], _described(
        "Per task type (platform, requester, title, reward), the best earning first (then the most tasks); at "
        "most 100.")]
    more: Annotated[MoreOut, _described("How many rows `by_requester` and `by_task_type` left out.")]


class PlatformHistoryOut(msgspec.Struct, kw_only=True):
    items: Annotated[int, _described("Tasks of this platform in the worker's imported history, all time.")]
    last_imported_at: Annotated[datetime | None, _described(
        "When the newest of these tasks was imported (UTC).")]


class HistoryOut(msgspec.Struct, kw_only=True):
    """What the worker's imported history holds, all time (not only the period)."""

    platforms: Annotated[dict[str, PlatformHistoryOut], _described(
        "By platform (mturk, prolific): what its imported history holds; platforms never imported are left out.")]


class EarningsOut(msgspec.Struct, kw_only=True):
    period: Annotated[PeriodOut, _described("The period the figures cover, and how they were counted.")]
    currencies: Annotated[list[CurrencyOut], _described(
        "One block per currency, in currency-code order; empty when the period has no tasks.")]
    history: Annotated[HistoryOut, _described("What the imported history holds, all time.")]
