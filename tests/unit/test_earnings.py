"""server/domain/earnings.py: money by state and effective hourly with and without unpaid time (docs/earnings.md)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from server.domain.earnings import (WorkItem, by_day, by_task_type, by_week, hourly, merge_intervals, money,
                             search_gaps, week_start)

DAY = date(2026, 11, 20)


def at(hh: int, mm: int) -> datetime:
    return datetime(2026, 11, 20, hh, mm, tzinfo=timezone.utc)


def item(state: str, start: datetime | None, end: datetime | None, reward: int = 100, bonus: int = 0,
         title: str = "Survey", day: date = DAY) -> WorkItem:
    return WorkItem(platform="mturk", requester_id="AREQ", requester_name="Lab", title=title, currency="USD",
                    state=state, reward_cents=reward, bonus_cents=bonus, day=day, started_at=start, ended_at=end)


def worked_example() -> list[WorkItem]:
    """docs/earnings.md: four tasks in one morning."""
    return [
        item("approved", at(10, 0), at(10, 10), reward=80, bonus=20),  # 10 min, $1.00 with its bonus
        item("returned", at(10, 12), at(10, 17), reward=300),          # 2 min searching, 5 min returned
        item("pending", at(10, 20), at(10, 25), reward=50),            # 3 min searching, 5 min, $0.50 expected
        item("rejected", at(11, 25), at(11, 30), reward=40),           # an hour's break first, then rejected
    ]


def test_worked_example():
    result = hourly(worked_example())
    assert result.pay_cents == 150
    assert result.paid_seconds == 900  # the approved and the pending task
    assert result.work_seconds == 1500  # all four tasks
    assert result.search_seconds == 300  # 2 + 3 minutes; the hour's break is no search
    assert result.unpaid_seconds == 900  # returned 5 + rejected 5 + searching 5 minutes
    assert result.without_unpaid == 600  # $6.00/h
    assert result.with_unpaid == 300  # $3.00/h
    assert (result.timed_tasks, result.tasks) == (4, 4)


def test_gap_limit_decides_what_is_a_break():
    everything = hourly(worked_example(), gap_limit=timedelta(hours=2))
    assert everything.search_seconds == 300 + 3600
    nothing = hourly(worked_example(), gap_limit=timedelta(0))
    assert nothing.search_seconds == 0 and nothing.with_unpaid == 150 * 3600 / 1500


def test_parallel_work_counts_once():
    items = [item("approved", at(9, 0), at(9, 30), reward=300), item("approved", at(9, 10), at(9, 20), reward=100)]
    result = hourly(items)
    assert result.paid_seconds == 1800 and result.pay_cents == 400
    assert result.without_unpaid == 800


def test_untimed_tasks_count_for_money_not_hours():
    items = [*worked_example(), item("approved", None, None, reward=500)]
    assert hourly(items).pay_cents == 150 and hourly(items).tasks == 5
    totals = money(items)
    assert totals.cents == {"approved": 600, "pending": 50, "rejected": 40, "returned": 300, "screened_out": 0}
    assert totals.tasks["approved"] == 2 and totals.total_tasks == 5
    assert totals.earned_cents == 600
    assert totals.approval_rate == 2 / 3


def test_no_time_no_rate():
    result = hourly([item("approved", None, None)])
    assert result.without_unpaid is None and result.with_unpaid is None
    assert money([]).approval_rate is None


def test_grouping():
    monday, sunday = date(2026, 11, 16), date(2026, 11, 22)
    items = [item("approved", None, None, day=monday), item("approved", None, None, day=sunday),
             item("approved", None, None, day=date(2026, 11, 23), title="Survey  "),
             item("approved", None, None, day=date(2026, 11, 23), title="SURVEY."),
             item("approved", None, None, day=date(2026, 11, 23), title="Surv\u0435y"),  # a Cyrillic "е"
             item("approved", None, None, day=monday, title="Survey", reward=200)]
    assert week_start(sunday) == monday
    assert list(by_week(items)) == [monday, date(2026, 11, 23)]
    assert [len(v) for v in by_day(items).values()] == [2, 1, 3]
    # the title as it names a task type (server/domain/identity.py): spacing, case, punctuation and look-alike
    # letters do not split it, the reward does
    assert sorted(len(v) for v in by_task_type(items).values()) == [1, 5]


intervals = st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 3_000)), max_size=30).map(
    lambda pairs: [(at(0, 0) + timedelta(seconds=s), at(0, 0) + timedelta(seconds=s + d)) for s, d in pairs])


@given(intervals)
def test_merge_is_a_disjoint_cover(pieces):
    merged = merge_intervals(pieces)
    assert all(a_end < b_start for (_, a_end), (b_start, _) in zip(merged, merged[1:]))
    for start, end in pieces:
        assert any(m_start <= start and end <= m_end for m_start, m_end in merged)
    total = sum((end - start).total_seconds() for start, end in merged)
    assert total <= sum((end - start).total_seconds() for start, end in pieces)


@given(intervals, st.integers(0, 7200))
def test_unpaid_time_never_raises_the_rate(pieces, gap):
    items = [item("approved" if n % 3 else "returned", start, end) for n, (start, end) in enumerate(pieces)]
    result = hourly(items, timedelta(seconds=gap))
    if result.with_unpaid is not None and result.without_unpaid is not None:
        assert result.with_unpaid <= result.without_unpaid + 1e-9
    assert search_gaps(merge_intervals(pieces), timedelta(seconds=gap)) >= 0
