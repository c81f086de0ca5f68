"""server/domain/period.py and server/me/summary.py: the period of a query and the shaping (pure)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from server.domain.earnings import WorkItem, merge_intervals, search_gaps
from server.domain.period import MAX_DAYS, parse_period
from server.me.summary import attributed_search, summarize

NOW = datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc)
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def item(requester: str, start: int | None, end: int | None, state: str = "approved", reward: int = 100,
         day: date = date(2026, 11, 20), currency: str = "USD") -> WorkItem:
    """Times in minutes after 09:00 UTC."""
    return WorkItem(platform="mturk", requester_id=requester, requester_name=requester.title(), title="Task",
                    currency=currency, state=state, reward_cents=reward, bonus_cents=0, day=day,
                    started_at=None if start is None else T0 + timedelta(minutes=start),
                    ended_at=None if end is None else T0 + timedelta(minutes=end))


def test_defaults_are_the_45_days_ending_today_in_the_zone() -> None:
    period, errors = parse_period(None, None, None, None, NOW)
    assert errors == [] and period is not None
    assert (period.start, period.end, period.zone_name, period.gap_minutes) == (date(2026, 10, 7), date(2026, 11, 20),
                                                                                "UTC", 10)
    assert len(period.days) == 45
    tokyo, _ = parse_period("", "", "Asia/Tokyo", "", NOW)  # 08:30 on the 21st there
    assert tokyo is not None and tokyo.end == date(2026, 11, 21)


def test_all_problems_are_reported_at_once() -> None:
    period, errors = parse_period("2026-13-01", "soon", "Nowhere/City", "121", NOW)
    assert period is None
    assert sorted(e.field for e in errors) == ["from", "gap_minutes", "to", "tz"]
    assert all(e.message.endswith(".") and e.message[0].isupper() for e in errors)


def test_three_years_at_most() -> None:
    start = date(2023, 1, 1)
    ok, _ = parse_period(start.isoformat(), (start + timedelta(days=MAX_DAYS - 1)).isoformat(), None, None, NOW)
    assert ok is not None and len(ok.days) == MAX_DAYS
    _, errors = parse_period(start.isoformat(), (start + timedelta(days=MAX_DAYS)).isoformat(), None, None, NOW)
    assert [e.field for e in errors] == ["from"]


def test_searching_belongs_to_the_task_that_ends_it() -> None:
    # a: 0-10, b: 12-20 (2 min search before it), a: 21-30 (1 min), b: 100-110 (a break: no search)
    items = [item("a", 0, 10), item("b", 12, 20), item("a", 21, 30), item("b", 100, 110), item("a", None, None)]
    assert attributed_search(items, timedelta(minutes=10)) == [0, 120, 60, 0, 0]
    period, _ = parse_period("2026-11-20", "2026-11-20", None, "10", NOW)
    assert period is not None
    [usd] = summarize(items, period)
    assert usd.hourly.search_seconds == 180
    rows = {row.requester_id: row for row in usd.by_requester}
    # a: $3.00 (one untimed) over 19 min of work; its own search is 1 min (b's work between is not searching)
    assert rows["a"].hourly_without_unpaid == round(200 * 3600 / (19 * 60), 2)
    assert rows["a"].hourly_with_unpaid == round(200 * 3600 / (20 * 60), 2)
    assert rows["a"].tasks == 3 and rows["a"].earned_cents == 300


def test_a_search_across_midnight_belongs_to_the_next_day() -> None:
    # 23:50-23:58 on the 19th, 00:03-00:13 on the 20th (minutes before 09:00 on the 20th): 5 minutes searching
    late = item("a", -550, -542, day=date(2026, 11, 19))
    early = item("a", -537, -527)
    assert late.ended_at is not None and late.ended_at.day == 19 and early.started_at.day == 20
    period, _ = parse_period("2026-11-19", "2026-11-20", None, None, NOW)
    assert period is not None
    [usd] = summarize([late, early], period)
    day19, day20 = usd.by_day
    assert day19.hourly_with_unpaid == day19.hourly_without_unpaid == 100 * 3600 / 480
    assert day20.hourly_with_unpaid == round(100 * 3600 / (600 + 300), 2)
    assert [w.week_start for w in usd.by_week] == [date(2026, 11, 16)]


minutes = st.lists(st.tuples(st.integers(0, 600), st.integers(1, 60), st.sampled_from(["approved", "returned"])),
                   max_size=25)


@given(minutes, st.integers(0, 120))
def test_attributed_search_adds_up_to_the_total(pieces: list, gap: int) -> None:
    items = [item("r" + str(n % 3), start, start + length, state) for n, (start, length, state) in enumerate(pieces)]
    limit = timedelta(minutes=gap)
    intervals = merge_intervals((i.started_at, i.ended_at) for i in items)  # type: ignore[misc]
    assert abs(sum(attributed_search(items, limit)) - search_gaps(intervals, limit)) < 1e-6
    period, _ = parse_period("2026-11-20", "2026-11-20", None, str(gap), NOW)
    assert period is not None
    for block in summarize(items, period):
        assert sum(row.tasks for row in block.by_requester) == len(items)
