"""Pure math of a worker's own earnings: money by state, and effective hourly with and without unpaid time.

No I/O: server/me/records.py turns history rows and timings into `WorkItem`s, and everything here is plain
functions over them (docs/earnings.md has the worked example the tests check).

Hourly pay follows Hara et al. (CHI 2018), measured the interval way:
* paid work time is the union of the [start, end] intervals of paid tasks (approved or pending: pending pay
  is expected pay), so tasks worked side by side are not counted twice;
* unpaid time is work on tasks that never paid (returned, rejected) plus the gaps between one task's end
  and the next task's start while searching: a gap up to `gap_limit` counts, a longer one is a break;
* hourly without unpaid time = pay / paid work time; with unpaid time = the same pay / (all work time +
  searching gaps).
Only tasks with a measured interval enter the hourly figures; money figures use every task. Each currency is
computed on its own: sums of dollars and pounds mean nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from server.domain.identity import identity_title

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

PAID_STATES = frozenset({"approved", "pending", "screened_out"})  # screened out: Prolific may pay a little
UNPAID_STATES = frozenset({"rejected", "returned"})
STATES = ("approved", "pending", "rejected", "returned", "screened_out")
DEFAULT_GAP_LIMIT = timedelta(minutes=10)
MAX_GAP_LIMIT = timedelta(hours=2)


# Where a task's record comes from (docs/certificate.md): a raw page of the platform's own history, the
# extension's timing of the work, or items the worker (or any client) sent as they are.
PLATFORM_PAGE = "platform_page"
EXTENSION_TIMING = "extension_timing"
SELF_REPORTED = "self_reported"
SOURCES = (PLATFORM_PAGE, EXTENSION_TIMING, SELF_REPORTED)


@dataclass(frozen=True)
class WorkItem:
    """One task the worker did, as the earnings need it."""

    platform: str
    requester_id: str
    requester_name: str
    title: str
    currency: str
    state: str  # one of STATES
    reward_cents: int
    bonus_cents: int
    day: date  # the day it counts for (the platform's day for imported history)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    source: str = PLATFORM_PAGE  # one of SOURCES

    @property
    def pay_cents(self) -> int:
        """What the task pays, or is expected to pay (pending). Rejected and returned work pays nothing."""
        return self.reward_cents + self.bonus_cents if self.state in PAID_STATES else 0

    @property
    def timed(self) -> bool:
        return self.started_at is not None and self.ended_at is not None and self.ended_at > self.started_at


@dataclass
class Money:
    """Counts and money of tasks by state, in one currency. Rejected and returned money is what the tasks
    would have paid: the loss."""

    tasks: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    cents: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))

    def add(self, item: WorkItem) -> None:
        self.tasks[item.state] += 1
        self.cents[item.state] += item.reward_cents + item.bonus_cents

    @property
    def earned_cents(self) -> int:
        """Approved (paid or about to be) plus what screen-outs paid."""
        return self.cents["approved"] + self.cents["screened_out"]

    @property
    def total_tasks(self) -> int:
        return sum(self.tasks.values())

    @property
    def approval_rate(self) -> float | None:
        """Approved among decided tasks (approved + rejected); None before any decision."""
        decided = self.tasks["approved"] + self.tasks["rejected"]
        return self.tasks["approved"] / decided if decided else None


@dataclass(frozen=True)
class Hourly:
    """Effective hourly pay of some timed tasks in one currency. Rates are minor units per hour, None when
    there is no time to divide by."""

    pay_cents: int  # pay of the timed paid tasks
    paid_seconds: float  # union of the paid tasks' intervals
    work_seconds: float  # union of every timed task's interval, paid or not
    search_seconds: float  # gaps between tasks up to the gap limit
    timed_tasks: int
    tasks: int  # all tasks, timed or not: how much of the work the figures cover

    @property
    def unpaid_seconds(self) -> float:
        return self.work_seconds - self.paid_seconds + self.search_seconds

    @property
    def total_seconds(self) -> float:
        return self.work_seconds + self.search_seconds

    @property
    def without_unpaid(self) -> float | None:
        return self.pay_cents * 3600 / self.paid_seconds if self.paid_seconds > 0 else None

    @property
    def with_unpaid(self) -> float | None:
        return self.pay_cents * 3600 / self.total_seconds if self.total_seconds > 0 else None


def merge_intervals(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The union of intervals as sorted, disjoint intervals (touching ones are joined)."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _length(intervals: Sequence[tuple[datetime, datetime]]) -> float:
    return sum((end - start).total_seconds() for start, end in intervals)


def search_gaps(merged: Sequence[tuple[datetime, datetime]], gap_limit: timedelta) -> float:
    """Seconds between consecutive pieces of work that are short enough to be searching, not a break."""
    return sum(gap for (_, end), (start, _) in zip(merged, merged[1:])
               if 0 < (gap := (start - end).total_seconds()) <= gap_limit.total_seconds())


def hourly(items: Sequence[WorkItem], gap_limit: timedelta = DEFAULT_GAP_LIMIT) -> Hourly:
    """Effective hourly of `items` (one currency) with and without unpaid time (module docstring)."""
    timed = [item for item in items if item.timed]
    paid = [item for item in timed if item.state in PAID_STATES]
    all_work = merge_intervals((item.started_at, item.ended_at) for item in timed)  # type: ignore[misc]  # timed: both set
    paid_work = merge_intervals((item.started_at, item.ended_at) for item in paid)  # type: ignore[misc]  # as above
    return Hourly(pay_cents=sum(item.pay_cents for item in paid), paid_seconds=_length(paid_work),
                  work_seconds=_length(all_work), search_seconds=search_gaps(all_work, gap_limit),
                  timed_tasks=len(timed), tasks=len(items))


def by_currency(items: Iterable[WorkItem]) -> dict[str, list[WorkItem]]:
    groups: dict[str, list[WorkItem]] = {}
    for item in items:
        groups.setdefault(item.currency, []).append(item)
    return dict(sorted(groups.items()))


def money(items: Iterable[WorkItem]) -> Money:
    total = Money()
    for item in items:
        total.add(item)
    return total


def week_start(day: date) -> date:
    """The Monday of the ISO week `day` is in."""
    return day - timedelta(days=day.weekday())


def group(items: Iterable[T], key: Callable[[T], K]) -> dict[K, list[T]]:
    """Items grouped by `key`, keys in first-seen order."""
    groups: dict[K, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def by_day(items: Iterable[WorkItem]) -> dict[date, list[WorkItem]]:
    return dict(sorted(group(items, lambda item: item.day).items()))


def by_week(items: Iterable[WorkItem]) -> dict[date, list[WorkItem]]:
    return dict(sorted(group(items, lambda item: week_start(item.day)).items()))


def by_requester(items: Iterable[WorkItem]) -> dict[tuple[str, str], list[WorkItem]]:
    """Keyed by (platform, requester_id)."""
    return group(items, lambda item: (item.platform, item.requester_id))


def by_task_type(items: Iterable[WorkItem]) -> dict[tuple[str, str, str, int], list[WorkItem]]:
    """Keyed by the task identity of DESIGN §3: (platform, requester_id, title, reward), the title as it names a task
    type everywhere (identity_title: "Survey." and "survey" are one task type, as the server records them)."""
    return group(items, lambda item: (item.platform, item.requester_id, identity_title(item.title),
                                      item.reward_cents))
