"""server/requesters/history.py: month buckets, the words for the chart and its geometry (pure)."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from server.domain import pay
from server.requesters import history
from server.requesters.history import MonthPoint

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=timezone.utc)


def at(year: int, month: int, day: int = 10) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=timezone.utc)


def test_months() -> None:
    assert history.month_of(at(2026, 3, 31)) == date(2026, 3, 1)
    assert history.add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert history.add_months(date(2025, 12, 1), 14) == date(2027, 2, 1)
    assert history.months_between(date(2024, 11, 1), date(2026, 3, 1)) == 16
    assert history.history_start(NOW) == datetime(2024, 4, 1, tzinfo=timezone.utc)  # 24 months: Apr 2024 – Mar 2026
    assert history.history_start(NOW, 1) == datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert history.month_name(date(2026, 3, 1)) == "March 2026"
    assert history.short_month(date(2026, 3, 1)) == "Mar 2026"
    assert history.day_name(at(2026, 3, 5)) == "5 March 2026"


def test_monthly_points_pool_pay_over_time_with_the_shared_math() -> None:
    samples = [
        # January: $1.00 for 10 minutes, and 20 minutes returned (time, no pay) -> 100 * 3600 / 1800 = $2.00/h
        (at(2026, 1), pay.Sample(seconds=600, reward_cents=100, outcome="approved")),
        (at(2026, 1, 31), pay.Sample(seconds=1200, reward_cents=100, outcome="returned")),
        # February: $3.00 + $0.60 bonus for 15 minutes -> $14.40/h; a rejection: 15 minutes unpaid -> pooled $7.20/h
        (at(2026, 2, 1), pay.Sample(seconds=900, reward_cents=300, outcome="approved", bonus_cents=60)),
        (at(2026, 2, 28), pay.Sample(seconds=900, reward_cents=300, outcome="rejected")),
        # too old (25 months back) and in a future month: left out
        (at(2024, 3), pay.Sample(seconds=60, reward_cents=1000)),
        (at(2026, 4), pay.Sample(seconds=60, reward_cents=1000)),
    ]
    points = history.monthly_points(samples, NOW)
    assert [(p.month, round(p.cents_per_hour, 6), p.samples) for p in points] == [
        (date(2026, 1, 1), 200.0, 2),
        (date(2026, 2, 1), 720.0, 2),
    ]
    assert points[1].pay_cents == 360 and points[1].seconds == 1800
    # the same as pay.summarize's pooled figures
    summary = pay.summarize([s for _, s in samples[:2]])
    assert points[0].cents_per_hour == summary.pooled_pay_cents * 3600 / summary.pooled_seconds


def test_monthly_points_empty_and_oldest_month_kept() -> None:
    assert history.monthly_points([], NOW) == []
    points = history.monthly_points([(at(2024, 4, 1), pay.Sample(seconds=3600, reward_cents=725))], NOW)
    assert [(p.month, p.cents_per_hour) for p in points] == [(date(2024, 4, 1), 725.0)]


def point(year: int, month: int, cents: float, samples: int = 3) -> MonthPoint:
    return MonthPoint(month=date(year, month, 1), cents_per_hour=cents, samples=samples, pay_cents=cents, seconds=3600)


def test_trend_sentences() -> None:
    assert "nothing to chart" in history.trend_sentence([])
    assert history.trend_sentence([point(2026, 2, 840, 5)]) == "Only February 2026 has timed work: $8.40 an hour, from 5 samples."
    rising = history.trend_sentence([point(2025, 12, 600), point(2026, 1, 500), point(2026, 3, 900)])
    assert rising.startswith("From December 2025 to March 2026, effective hourly pay rose from $6.00 an hour to $9.00 an hour")
    assert "(3 months with timed work, 9 samples)" in rising
    assert "Lowest $5.00 an hour in January 2026; highest $9.00 an hour in March 2026." in rising
    assert rising.endswith("2 of 3 months were below the $7.25 an hour target.")
    falling = history.trend_sentence([point(2026, 1, 1000), point(2026, 2, 800)])
    assert "fell from $10.00 an hour to $8.00 an hour" in falling and falling.endswith("at or above the $7.25 an hour target.")
    same = history.trend_sentence([point(2026, 1, 500), point(2026, 2, 510)], currency="GBP")
    assert "stayed about the same, £5.00 an hour then and £5.10 an hour now" in same
    assert same.endswith("Every month was below the £7.25 an hour target.")


def test_nice_steps_and_tick_labels() -> None:
    assert history.nice_step(1000) == 200
    assert history.nice_step(1100) == 250
    assert history.nice_step(3) == 1
    assert history.nice_step(0) == 1.0
    assert history.nice_step(float("nan")) == 1.0
    assert history.money_tick(500) == "$5"
    assert history.money_tick(250) == "$2.50"
    assert history.money_tick(1000, "GBP") == "£10"


def test_chart_geometry() -> None:
    points = [point(2026, 1, 200), point(2026, 2, 1440), point(2026, 3, 600)]
    chart = history.chart(points)
    assert chart is not None
    assert (chart.left, chart.right, chart.top, chart.bottom) == (64, 616, 24, 272)
    # the y scale reaches past the highest point (and the target) to a round number
    assert chart.y_max >= 1440 * 1.1 and chart.y_max % history.nice_step(1440 * 1.1) == 0
    assert [t.label for t in chart.y_ticks][0] == "$0" and chart.y_ticks[0].position == chart.bottom
    assert chart.y_ticks[-1].position == chart.top
    # months spread evenly across the width; values scale linearly from the zero line
    assert [p.x for p in chart.points] == [64, 340, 616]
    for plot, source in zip(chart.points, points):
        assert plot.y == pytest.approx(chart.bottom - (chart.bottom - chart.top) * source.cents_per_hour / chart.y_max, abs=0.05)
    assert chart.path == f"M64 {chart.points[0].y:g} L340 {chart.points[1].y:g} L616 {chart.points[2].y:g}"
    assert [p.label for p in chart.points] == ["$2", "$14.40", "$6"]
    assert all(p.labelled for p in chart.points)
    assert [p.month for p in chart.points] == ["January 2026", "February 2026", "March 2026"]
    assert [t.label for t in chart.x_ticks] == ["Jan 2026", "Feb 2026", "Mar 2026"]
    assert chart.target_label == "Target $7.25 an hour"
    assert chart.target_y == pytest.approx(chart.bottom - (chart.bottom - chart.top) * 725 / chart.y_max, abs=0.05)


def test_chart_edges() -> None:
    assert history.chart([]) is None
    single = history.chart([point(2026, 2, 300)])
    assert single is not None and single.points[0].x == (single.left + single.right) / 2
    assert single.path.startswith("M") and "L" not in single.path
    assert single.y_max >= 725  # the target line always fits
    # a gap month breaks the line
    gap = history.chart([point(2026, 1, 300), point(2026, 2, 300), point(2026, 5, 300)])
    assert gap is not None and re.fullmatch(r"M\S+ \S+ L\S+ \S+ M\S+ \S+", gap.path)
    # the highest point's label still fits inside the plot, above the point
    top = history.chart([point(2026, 1, 100), point(2026, 2, 100_000)])
    assert top is not None and top.top + 12 <= top.points[1].label_y < top.points[1].y


def test_many_months_thin_out_labels_but_keep_the_last() -> None:
    points = [point(2024 + (3 + i) // 12, (3 + i) % 12 + 1, 500 + 10 * i) for i in range(24)]
    chart = history.chart(points)
    assert chart is not None
    labelled = [p for p in chart.points if p.labelled]
    assert len(labelled) <= history.MAX_POINT_LABELS + 1 and chart.points[-1].labelled and chart.points[0].labelled
    assert len(chart.x_ticks) <= history.MAX_X_TICKS + 1
    assert chart.x_ticks[-1].label == history.short_month(points[-1].month)
    positions = [t.position for t in chart.x_ticks]
    assert positions == sorted(positions) and min(b - a for a, b in zip(positions, positions[1:])) >= 60
