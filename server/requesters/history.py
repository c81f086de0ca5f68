"""A requester's effective hourly pay over time: month buckets, the words for them and the chart's geometry.

Pure: no I/O. server/requesters/page.py turns reviews and timings into dated pay.Sample values (through
server/stats/refresh.py, as the aggregates do) and draws what `chart` returns as an inline SVG.

A month's rate is the pooled one, Σpay·3600 / Σseconds over that month's samples, from pay.summarize so the
math is the shared one: returned work counts its time with no pay, rejected work its time with no pay.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone

from server.domain import pay
from server.domain.money import format_cents

MAX_MONTHS = 24  # the history shown: this month and the 23 before it
TARGET_CENTS_PER_HOUR = pay.DEFAULT_TARGET_CENTS_PER_HOUR
MAX_POINT_LABELS = 12  # more labels than this would overlap; the table lists every month
MAX_X_TICKS = 6
SAME_WITHIN = 0.05  # a change of less than 5 % is "about the same"

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")


# --- months -------------------------------------------------------------------------------------------------


def month_of(moment: datetime) -> date:
    """The first day of moment's month, in UTC (naive datetimes are taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return date(moment.year, moment.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + (month.month - 1) + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + (last.month - first.month)


def history_start(now: datetime, months: int = MAX_MONTHS) -> datetime:
    """The first instant (UTC) of the oldest month shown: what the page's queries select from."""
    first = add_months(month_of(now), -(max(1, months) - 1))
    return datetime(first.year, first.month, 1, tzinfo=timezone.utc)


def month_name(month: date) -> str:
    """"March 2026"."""
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


def short_month(month: date) -> str:
    """"Mar 2026", for the chart's axis."""
    return f"{MONTH_NAMES[month.month - 1][:3]} {month.year}"


def day_name(moment: datetime) -> str:
    """"3 March 2026" (UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return f"{moment.day} {MONTH_NAMES[moment.month - 1]} {moment.year}"


# --- month buckets --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPoint:
    month: date  # first day of the month
    cents_per_hour: float  # pooled: pay_cents * 3600 / seconds
    samples: int
    pay_cents: float  # Σ pay of the month's samples
    seconds: float  # Σ seconds of the month's samples (returned work included)


def monthly_points(dated: Iterable[tuple[datetime, pay.Sample]], now: datetime,
                   months: int = MAX_MONTHS) -> list[MonthPoint]:
    """One point per month that has samples, oldest first, within the last `months` months up to now's month."""
    first, last = month_of(history_start(now, months)), month_of(now)
    buckets: dict[date, list[pay.Sample]] = defaultdict(list)
    for moment, sample in dated:
        month = month_of(moment)
        if first <= month <= last:
            buckets[month].append(sample)
    points = []
    for month in sorted(buckets):
        summary = pay.summarize(buckets[month])
        if summary.n == 0 or summary.pooled_seconds <= 0:
            continue
        rate = summary.pooled_pay_cents * 3600.0 / summary.pooled_seconds
        points.append(MonthPoint(month=month, cents_per_hour=rate, samples=summary.n,
                                 pay_cents=summary.pooled_pay_cents, seconds=summary.pooled_seconds))
    return points


# --- words ----------------------------------------------------------------------------------------------------


def hourly_words(cents_per_hour: float, currency: str = "USD") -> str:
    """"$8.40 an hour"."""
    return f"{format_cents(cents_per_hour, currency)} an hour"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def trend_sentence(points: list[MonthPoint], currency: str = "USD", target: float = TARGET_CENTS_PER_HOUR,
                   months: int = MAX_MONTHS) -> str:
    """The chart in words: where the rate went, its lowest and highest month, and how often it was below target."""
    if not points:
        return f"No timed work in the last {months} months, so there is nothing to chart yet."
    samples = sum(p.samples for p in points)
    if len(points) == 1:
        only = points[0]
        return (f"Only {month_name(only.month)} has timed work: {hourly_words(only.cents_per_hour, currency)}, "
                f"from {_count(only.samples, 'sample')}.")
    first, last = points[0], points[-1]
    if abs(last.cents_per_hour - first.cents_per_hour) <= SAME_WITHIN * max(first.cents_per_hour, 1.0):
        change = (f"stayed about the same, {hourly_words(first.cents_per_hour, currency)} then and "
                  f"{hourly_words(last.cents_per_hour, currency)} now")
    else:
        direction = "rose" if last.cents_per_hour > first.cents_per_hour else "fell"
        change = (f"{direction} from {hourly_words(first.cents_per_hour, currency)} to "
                  f"{hourly_words(last.cents_per_hour, currency)}")
    low = min(points, key=lambda p: (p.cents_per_hour, p.month))
    high = max(points, key=lambda p: (p.cents_per_hour, p.month))
    below = sum(1 for p in points if p.cents_per_hour < target)
    sentence = (f"From {month_name(first.month)} to {month_name(last.month)}, effective hourly pay {change} "
                f"({_count(len(points), 'month')} with timed work, {_count(samples, 'sample')}). "
                f"Lowest {hourly_words(low.cents_per_hour, currency)} in {month_name(low.month)}; "
                f"highest {hourly_words(high.cents_per_hour, currency)} in {month_name(high.month)}. ")
    if below == 0:
        return sentence + f"Every month was at or above the {hourly_words(target, currency)} target."
    if below == len(points):
        return sentence + f"Every month was below the {hourly_words(target, currency)} target."
    return sentence + f"{below} of {_count(len(points), 'month')} were below the {hourly_words(target, currency)} target."


# --- the chart ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    position: float  # x for the month axis, y for the pay axis
    label: str


@dataclass(frozen=True)
class PlotPoint:
    x: float
    y: float
    label: str  # "$8.40"
    label_y: float  # baseline of the label: above the point, or below it near the top edge
    labelled: bool  # shown next to the point (all of them up to MAX_POINT_LABELS)
    month: str  # "March 2026"


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    left: float  # the plot area
    right: float
    top: float
    bottom: float  # y of the zero line
    y_max: float  # cents an hour at the top of the plot
    path: str  # SVG path data; a month without samples breaks the line
    points: list[PlotPoint]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    target_y: float
    target_label: str


def nice_step(top: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` intervals up to `top`."""
    if not math.isfinite(top) or top <= 0:
        return 1.0
    raw = top / max(1, ticks)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10.0 * magnitude


def money_tick(cents: float, currency: str = "USD") -> str:
    """"$5" for whole amounts, "$2.50" otherwise."""
    text = format_cents(cents, currency)
    return text.replace(".00", "") if round(cents) % 100 == 0 else text


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def chart(points: list[MonthPoint], currency: str = "USD", target: float = TARGET_CENTS_PER_HOUR,
          width: float = 640, height: float = 320) -> Chart | None:
    """Scales, the line, labelled points and axis ticks for `points` (oldest first); None without points."""
    if not points:
        return None
    left, right, top, bottom = 64.0, width - 24.0, 24.0, height - 48.0
    highest = max(max(p.cents_per_hour for p in points), float(target))
    step = nice_step(highest * 1.1)
    y_max = step * math.ceil(highest * 1.1 / step)

    def y_of(cents: float) -> float:
        return bottom - (bottom - top) * min(max(cents, 0.0), y_max) / y_max

    first = points[0].month
    span = months_between(first, points[-1].month)

    def x_of(month: date) -> float:
        if span == 0:
            return (left + right) / 2
        return left + (right - left) * months_between(first, month) / span

    stride = math.ceil(len(points) / MAX_POINT_LABELS)
    plotted = []
    for index, point in enumerate(points):
        x, y = x_of(point.month), y_of(point.cents_per_hour)
        label_y = y - 10 if y - 10 >= top + 12 else y + 22
        labelled = index % stride == 0 or index == len(points) - 1
        plotted.append(PlotPoint(x=round(x, 1), y=round(y, 1), label=money_tick(point.cents_per_hour, currency),
                                 label_y=round(label_y, 1), labelled=labelled, month=month_name(point.month)))

    segments = []
    previous: date | None = None
    for point, plot in zip(points, plotted):
        joined = previous is not None and months_between(previous, point.month) == 1
        segments.append(f"{'L' if joined else 'M'}{_f(plot.x)} {_f(plot.y)}")
        previous = point.month

    y_ticks = [Tick(position=round(y_of(value), 1), label=money_tick(value, currency))
               for value in (step * i for i in range(int(round(y_max / step)) + 1))]
    x_stride = math.ceil(len(points) / MAX_X_TICKS)
    x_ticks = [Tick(position=plot.x, label=short_month(point.month))
               for index, (point, plot) in enumerate(zip(points, plotted))
               if index % x_stride == 0 or index == len(points) - 1]
    if len(x_ticks) >= 2 and x_ticks[-1].position - x_ticks[-2].position < (right - left) / (MAX_X_TICKS + 1):
        del x_ticks[-2]  # the last month always shows; drop its neighbour when they would overlap
    return Chart(width=width, height=height, left=left, right=right, top=top, bottom=bottom, y_max=y_max,
                 path=" ".join(segments), points=plotted, y_ticks=y_ticks, x_ticks=x_ticks,
                 target_y=round(y_of(float(target)), 1), target_label=f"Target {money_tick(target, currency)} an hour")
