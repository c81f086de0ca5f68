"""The earnings summary of a period, shaped for the JSON and the page (pure: no I/O).

Every figure comes from server/domain/earnings.py. One thing is added for the breakdowns (by day, week, requester,
task type): where a searching gap belongs. `earnings.hourly` of a group only sees the gaps between the
group's own tasks, so a requester's tasks done between another requester's would count that other work as
searching, and a gap across midnight would belong to no day. Here each gap of the whole timeline (the same
gaps `earnings.search_gaps` finds) is given to the task that ends it: the search found that task. The
breakdowns' searching seconds then add up to the total's.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar

from server.domain.identity import identity_title
from server.domain.earnings import Hourly, WorkItem, by_currency, group, hourly, money, week_start
from server.domain.period import Period
from server.me.schemas import CurrencyOut, DayOut, HourlyOut, MoreOut, RequesterOut, TaskTypeOut, TotalsOut, WeekOut

MAX_ROWS = 100  # of by_requester and by_task_type

Row = TypeVar("Row", DayOut, WeekOut)


def attributed_search(items: Sequence[WorkItem], gap_limit: timedelta) -> list[float]:
    """For each item (same order), the searching seconds before it: the gap between the end of all earlier work
    and its start, when it is the task that ends the gap and the gap is no break (0 < gap <= gap_limit).
    Adds up to `search_gaps(merge_intervals(<every timed interval>), gap_limit)`."""
    searched = [0.0] * len(items)
    timed = sorted((n for n, item in enumerate(items) if item.timed),
                   key=lambda n: (items[n].started_at, items[n].ended_at))
    reach = None  # the end of all work so far
    limit = gap_limit.total_seconds()
    for n in timed:
        started, ended = items[n].started_at, items[n].ended_at
        assert started is not None and ended is not None
        if reach is not None and started > reach:
            gap = (started - reach).total_seconds()
            if gap <= limit:
                searched[n] = gap
        reach = ended if reach is None or ended > reach else reach
    return searched


def group_hourly(items: Sequence[WorkItem], searched: Sequence[float], gap_limit: timedelta) -> Hourly:
    """`earnings.hourly` of a group, with the searching attributed to the group's tasks."""
    return dataclasses.replace(hourly(items, gap_limit), search_seconds=sum(searched))


def rate(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def hourly_out(result: Hourly) -> HourlyOut:
    return HourlyOut(without_unpaid=rate(result.without_unpaid), with_unpaid=rate(result.with_unpaid),
                     paid_seconds=result.paid_seconds, work_seconds=result.work_seconds,
                     search_seconds=result.search_seconds, unpaid_seconds=result.unpaid_seconds,
                     timed_tasks=result.timed_tasks, tasks=result.tasks)


def _split(indexed: Sequence[tuple[WorkItem, float]]) -> tuple[list[WorkItem], list[float]]:
    return [item for item, _ in indexed], [seconds for _, seconds in indexed]


def _period_row(indexed: Sequence[tuple[WorkItem, float]], gap_limit: timedelta) -> dict[str, Any]:
    items, searched = _split(indexed)
    totals, result = money(items), group_hourly(items, searched, gap_limit)
    return {"tasks": totals.total_tasks, "earned_cents": totals.earned_cents, "pending_cents": totals.cents["pending"],
            "rejected_cents": totals.cents["rejected"], "hourly_without_unpaid": rate(result.without_unpaid),
            "hourly_with_unpaid": rate(result.with_unpaid), "work_seconds": result.work_seconds}


def _source_row(indexed: Sequence[tuple[WorkItem, float]], gap_limit: timedelta) -> dict[str, Any]:
    items, searched = _split(indexed)
    totals, result = money(items), group_hourly(items, searched, gap_limit)
    name = next((item.requester_name for item in reversed(items) if item.requester_name), "")
    return {"platform": items[0].platform, "requester_id": items[0].requester_id, "requester_name": name,
            "tasks": totals.total_tasks, "approved": totals.tasks["approved"], "rejected": totals.tasks["rejected"],
            "earned_cents": totals.earned_cents, "pending_cents": totals.cents["pending"],
            "approval_rate": totals.approval_rate, "hourly_without_unpaid": rate(result.without_unpaid),
            "hourly_with_unpaid": rate(result.with_unpaid)}


def _best_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: (-int(row["earned_cents"]), -int(row["tasks"])))


def currency_summary(currency: str, items: Sequence[WorkItem], period: Period) -> CurrencyOut:
    """The figures of one currency's items over `period`."""
    gap_limit = period.gap_limit
    indexed = list(zip(items, attributed_search(items, gap_limit)))
    totals = money(items)
    days = group(indexed, lambda pair: pair[0].day)
    weeks = group(indexed, lambda pair: week_start(pair[0].day))
    week_starts = sorted({week_start(day) for day in period.days})
    requesters = group(indexed, lambda pair: (pair[0].platform, pair[0].requester_id))
    task_types = group(indexed, lambda pair: (pair[0].platform, pair[0].requester_id, identity_title(pair[0].title),
                                              pair[0].reward_cents))
    requester_rows = _best_first([_source_row(rows, gap_limit) for rows in requesters.values()])
    task_rows = _best_first([{**_source_row(rows, gap_limit), "title": rows[-1][0].title,
                              "reward_cents": rows[0][0].reward_cents} for rows in task_types.values()])
    return CurrencyOut(
        currency=currency,
        totals=TotalsOut(tasks=dict(totals.tasks), cents=dict(totals.cents), earned_cents=totals.earned_cents,
                         approval_rate=totals.approval_rate),
        hourly=hourly_out(hourly(items, gap_limit)),
        by_day=[DayOut(day=day, **_period_row(days.get(day, []), gap_limit)) for day in period.days],
        by_week=[WeekOut(week_start=start, **_period_row(weeks.get(start, []), gap_limit))
                 for start in week_starts],
        by_requester=[RequesterOut(**row) for row in requester_rows[:MAX_ROWS]],
        by_task_type=[TaskTypeOut(**row) for row in task_rows[:MAX_ROWS]],
        more=MoreOut(by_requester=max(0, len(requester_rows) - MAX_ROWS),
                     by_task_type=max(0, len(task_rows) - MAX_ROWS)))


def summarize(items: Sequence[WorkItem], period: Period) -> list[CurrencyOut]:
    """One block per currency, in currency order; none without items."""
    return [currency_summary(currency, group_items, period) for currency, group_items in by_currency(items).items()]


def days_with_work(rows: Sequence[DayOut]) -> list[DayOut]:
    return [row for row in rows if row.tasks]


def highest(rows: Sequence[Row]) -> Row | None:
    """The row with the most earned money (the first of equals); None when nothing was earned."""
    best = max(rows, key=lambda row: row.earned_cents, default=None)
    return best if best is not None and best.earned_cents > 0 else None
