"""The requester page's words and views (pure): what one requester looks like to people, from the figures the
queries read (server/requesters/queries.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from accessibility.speech import say_approval, say_count, say_duration
from scrapers import ids
from server.domain import pay
from server.domain.evidence import rests_on
from server.domain.figures import rating_text
from server.domain.money import format_cents, format_hourly
from server.domain.summary import RequesterSummary
from server.domain.vocab import FORMER_MEMBER, RATING_DIMENSIONS
from server.requesters import history
from server.web.words import flags_words, outcome_words, ratings_words, sentence_case

MAX_ID_CHARS = 128  # as stored (requesters.external_id)
MAX_TASK_TYPES = 50
MAX_REVIEWS = 20
MAX_SOURCES = 20
TARGET = pay.DEFAULT_TARGET_CENTS_PER_HOUR
PLATFORM_CURRENCY = {"prolific": "GBP"}

BASIS_WORDS = {
    "task": "timings of this task",
    "requester": "this requester's other tasks",
    "stated": "the time the requester states",
    "unknown": "no timings yet",
}




# ------------------------------------------------------------------------------------------------
# What the page shows


@dataclass
class TaskRow:
    title: str
    reward: str
    hourly: str  # "$9.12/h" or "not known yet"
    basis: str  # "12 timings of this task"
    band: str  # words
    reviews: int
    samples: int


@dataclass
class SourceView:
    name: str
    imported: int  # its reviews of this requester stored here
    reviews: int | None  # what the source itself counts (None: it publishes no summary)
    ratings: list[tuple[str, str]]  # (dimension, "3.9 of 5 from 12 ratings")
    rejections: int | None
    blocks: int | None
    approval: str
    hourly: str | None


@dataclass
class ReviewView:
    key: str  # unique id for the anchor
    created_at: datetime
    date: str
    iso_date: str
    author: str  # handle, or "a reviewer at <source>"
    source: str | None  # the other community's name, for imported reviews
    task: str
    ratings: str
    outcome: str
    worked: str | None
    bonus: str | None
    flags: str
    comment: str


@dataclass
class HistoryView:
    points: list[history.MonthPoint]
    rows: list[tuple[str, str, int]]  # (month, hourly, samples), oldest first
    sentence: str
    chart: history.Chart | None
    currency: str
    left_out: int  # samples in another currency, not charted


@dataclass
class RequesterPage:
    platform: str
    platform_name: str
    external_id: str
    name: str
    platform_url: str | None
    sentence: str
    summary: RequesterSummary
    scores: list[tuple[str, str, int, str]]  # (dimension, mean, n, score)
    facts: list[tuple[str, str]]
    currency: str
    task_rows: list[TaskRow]
    task_types: int  # all of them, shown or not
    timed_types: int
    sources: list[SourceView]
    reviews: list[ReviewView]
    history: HistoryView
    target: str


# ------------------------------------------------------------------------------------------------
# Words


def number(value: float) -> str:
    """A rating as every surface shows it: two decimals, rounded once (server/domain/figures.py)."""
    return rating_text(value) or ""


def summary_sentence(summary: RequesterSummary, timed_types: int, currency: str) -> str:
    """"Pays about $8.40 an hour across 6 task types; approves in about a day; 1 rejection reported in 42 reviews."."""
    parts = []
    if summary.median_hourly_cents is not None:
        # The requester's one hourly figure (docs/figures.md): `median_hourly_cents` of /api/v1/requesters and of
        # annotate's requester summary, the same whole cents, with what it rests on.
        parts.append(f"Pays about {history.hourly_words(summary.median_hourly_cents, currency)} across "
                     f"{say_count(timed_types, 'timed task type')} (the median of their median rates)")
    else:
        parts.append("Hourly pay not known yet: no timings")
    approval = say_approval(summary.approval_seconds)
    if approval:
        parts.append(approval)
    if summary.reviews:
        reported = [say_count(n, noun) for n, noun in ((summary.rejections, "rejection"), (summary.blocks, "block")) if n]
        parts.append((" and ".join(reported) or "no rejections") + f" reported in {say_count(summary.reviews, 'review')}")
    else:
        parts.append("no reviews yet")
    return sentence_case("; ".join(parts)) + "."


def basis_words(hourly: pay.Hourly) -> str:
    """What the figure rests on, in the words annotate and /listen use (server/domain/evidence.py)."""
    if hourly.basis in ("task", "requester", "stated"):
        return rests_on(hourly)
    return BASIS_WORDS.get(hourly.basis, hourly.basis)


def requester_url(platform: str, external_id: str) -> str | None:
    """The requester's page on the platform, built only from an id that is the platform's (scrapers/ids.py)."""
    return ids.requester_url(platform, external_id)


def mean_words(pair: Any) -> tuple[int, float | None]:
    try:
        n, total = int(pair[0]), float(pair[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return 0, None
    return n, (total / n if n > 0 else None)


def author_words(handle: str | None, deleted_at: datetime | None) -> str:
    """The byline of a local review: its author's handle, or "a former member" once they left."""
    if deleted_at is not None:
        return f"a {FORMER_MEMBER}"
    return handle or "a Fairfinder worker"


def review_view(key: str, row: Any, author: str, source: str | None, title: str | None, currency: str) -> ReviewView:
    ratings = {d: getattr(row, f"rating_{d}") for d in RATING_DIMENSIONS}
    return ReviewView(
        key=key, created_at=row.created_at, date=history.day_name(row.created_at),
        iso_date=row.created_at.astimezone(timezone.utc).date().isoformat(), author=author, source=source,
        task=title or "The requester as a whole", ratings=ratings_words(ratings),
        outcome=outcome_words(row.outcome, row.approval_seconds),
        worked=say_duration(row.worked_seconds) if row.worked_seconds else None,
        bonus=format_cents(row.bonus_cents, currency) if row.bonus_cents else None,
        flags=sentence_case(flags_words(list(row.flags or []))), comment=row.comment or "")


def history_view(dated: list[tuple[datetime, pay.Sample, str]], currency: str, now: datetime) -> HistoryView:
    mine = [(moment, sample) for moment, sample, cur in dated if cur == currency]
    points = history.monthly_points(mine, now)
    left_out = sum(1 for moment, _, cur in dated if cur != currency and moment >= history.history_start(now))
    return HistoryView(
        points=points,
        rows=[(history.month_name(p.month), format_hourly(p.cents_per_hour, currency), p.samples) for p in points],
        sentence=history.trend_sentence(points, currency), chart=history.chart(points, currency),
        currency=currency, left_out=left_out)
