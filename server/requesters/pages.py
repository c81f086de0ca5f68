"""GET /r/{platform}/{requester_id}: one requester as a plain, server-rendered HTML page for people.

No JavaScript, nothing external. The figures come from the stored aggregates (requester_stats,
task_type_stats, platform_stats, source_requester_stats) through the same functions as the API
(server/domain/summary.py, server/domain/pay.py); only the newest reviews and the monthly chart read the
requester's reviews (visible ones only, as the aggregates count them) and timings of the last 24 months,
and only the columns they need. Comments are user text: Jinja escapes them.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar import Controller, MediaType, Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import HTTPException
from litestar.response.redirect import Redirect
from litestar.static_files import create_static_files_router
from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from accessibility.speech import say_approval, say_count, say_duration
from scrapers.mturk import MTURK_BASE_URL
from server.domain import pay
from server.db.models import (
    ImportedReview,
    Requester,
    RequesterStats,
    Review,
    Source,
    SourceRequesterStats,
    TaskType,
    TaskTypeStats,
    Timing,
    Worker,
)
from server.listen.routes import BAND_WORDS, PAGE_HEADERS, PLATFORMS, flag_words
from server.domain.money import format_cents, format_hourly
from server.requesters import history
from server.domain.summary import RequesterSummary, sample_summary, summary_of
from server.requesters.queries import load_platforms
from server.domain.vocab import FORMER_MEMBER, RATING_DIMENSIONS, active_flags, should_avoid
from server.web.static import versioned_url
from server.domain.aggregate import Report, report_samples

log = logging.getLogger("fairfinder.requesters.page")

HERE = Path(__file__).resolve().parent
REQUESTER_TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_PATH = "/r/static"
# The stylesheet's URL names its content, so browsers may keep it for a year and still see every change.
CSS_URL = versioned_url(STATIC_PATH, STATIC_DIR, "requester.css")
STATIC_MAX_AGE = 365 * 24 * 3600

MAX_ID_CHARS = 128  # as stored (requesters.external_id)
MAX_TASK_TYPES = 50
MAX_REVIEWS = 20
MAX_SOURCES = 20
TARGET = pay.DEFAULT_TARGET_CENTS_PER_HOUR
PLATFORM_CURRENCY = {"prolific": "GBP"}
REQUESTER_URLS = {"mturk": MTURK_BASE_URL + "/requesters/{id}/projects"}  # Prolific shows no researcher pages

DIMENSION_NAMES = {"pay": "Pay", "fairness": "Fairness", "speed": "Speed", "communication": "Communication"}
OUTCOME_WORDS = {
    "approved": "Approved",
    "rejected": "Rejected",
    "pending": "Still pending",
    "returned": "Returned unfinished",
    "blocked": "Rejected, and the worker was blocked",
}
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


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def number(value: float) -> str:
    return f"{value:.1f}"


def summary_sentence(summary: RequesterSummary, timed_types: int, currency: str) -> str:
    """"Pays about $8.40 an hour across 6 task types; approves in about a day; 1 rejection reported in 42 reviews."."""
    parts = []
    if summary.median_hourly_cents is not None:
        parts.append(f"Pays about {history.hourly_words(summary.median_hourly_cents, currency)} across "
                     f"{say_count(timed_types, 'timed task type')}")
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


def ratings_words(values: dict[str, int | None]) -> str:
    """"Pay 4 of 5, fairness 5 of 5, speed 3 of 5; communication not rated"."""
    rated = [f"{DIMENSION_NAMES[d].lower()} {values[d]} of 5" for d in RATING_DIMENSIONS if values.get(d) is not None]
    unrated = [DIMENSION_NAMES[d].lower() for d in RATING_DIMENSIONS if values.get(d) is None]
    if not rated:
        return "No ratings given"
    text = ", ".join(rated)
    if unrated:
        listed = f"{', '.join(unrated[:-1])} and {unrated[-1]}" if len(unrated) > 1 else unrated[0]
        text += f"; {listed} not rated"
    return sentence_case(text)


def outcome_words(outcome: str | None, approval_seconds: int | None) -> str:
    words = OUTCOME_WORDS.get(outcome or "", outcome or "Not reported")
    approval = say_approval(approval_seconds) if outcome == "approved" else ""
    return f"{words} {approval.removeprefix('approves ')}" if approval else words


def flags_words(flags: list[str]) -> str:
    return "; ".join(flag_words(flag) for flag in flags) or "none"


def basis_words(hourly: pay.Hourly) -> str:
    if hourly.basis == "task":
        return f"{say_count(hourly.n, 'timing')} of this task"
    if hourly.basis == "requester":
        return f"{say_count(hourly.n, 'timing')} of this requester's other tasks"
    return BASIS_WORDS.get(hourly.basis, hourly.basis)


def requester_url(platform: str, external_id: str) -> str | None:
    pattern = REQUESTER_URLS.get(platform)
    return pattern.format(id=quote(external_id, safe="")) if pattern else None


def page_path(platform: str, external_id: str) -> str:
    return f"/r/{quote(platform, safe='')}/{quote(external_id, safe='')}"


# ------------------------------------------------------------------------------------------------
# Loading


async def load_task_rows(session: AsyncSession, requester_pk: int, summary: RequesterSummary,
                         requester_prior: pay.Prior | None, platform_prior: pay.Prior) -> tuple[list[TaskRow], list[str]]:
    """The task types with the most evidence (timings, then reviews), at most MAX_TASK_TYPES; and their currencies."""
    samples = func.coalesce(TaskTypeStats.samples, 0)
    reviews = func.coalesce(TaskTypeStats.reviews, 0)
    rows = (await session.execute(
        select(TaskType.title, TaskType.reward_cents, TaskType.currency, TaskType.stated_seconds,
               samples, reviews, TaskTypeStats.summary, TaskTypeStats.flag_counts)
        .outerjoin(TaskTypeStats, TaskTypeStats.task_type_id == TaskType.id)
        .where(TaskType.requester_id == requester_pk)
        .order_by(samples.desc(), reviews.desc(), TaskType.title, TaskType.id)
        .limit(MAX_TASK_TYPES))).all()
    out = []
    for title, reward, currency, stated, n_samples, n_reviews, stats_summary, flag_counts in rows:
        hourly = pay.effective_hourly(sample_summary(stats_summary), reward, requester_prior, platform_prior,
                                      stated_seconds=stated)
        avoid = should_avoid(active_flags(flag_counts or {}, n_reviews), summary.blocks)
        band = pay.band(hourly.cents_per_hour, TARGET, avoid=avoid)
        out.append(TaskRow(
            title=title, reward=format_cents(reward, currency),
            hourly=format_hourly(hourly.cents_per_hour, currency) if hourly.cents_per_hour is not None else "not known yet",
            basis=basis_words(hourly), band=BAND_WORDS.get(band, band), reviews=int(n_reviews), samples=int(n_samples)))
    return out, [row[2] for row in rows]


async def count_task_types(session: AsyncSession, requester_pk: int) -> tuple[int, int]:
    """(task types, task types with timings)."""
    row = (await session.execute(
        select(func.count(TaskType.id), func.count(case((TaskTypeStats.samples > 0, 1))))
        .outerjoin(TaskTypeStats, TaskTypeStats.task_type_id == TaskType.id)
        .where(TaskType.requester_id == requester_pk))).one()
    return int(row[0]), int(row[1])


def _mean_words(pair: Any) -> tuple[int, float | None]:
    try:
        n, total = int(pair[0]), float(pair[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return 0, None
    return n, (total / n if n > 0 else None)


async def load_sources(session: AsyncSession, requester_pk: int, currency: str) -> list[SourceView]:
    """Per other community: how many of its reviews are stored here, and its own summary of the requester."""
    counts = dict((await session.execute(
        select(ImportedReview.source_id, func.count()).where(ImportedReview.requester_id == requester_pk)
        .group_by(ImportedReview.source_id).limit(MAX_SOURCES))).all())
    stats = {s.source_id: s for s in await session.scalars(
        select(SourceRequesterStats).where(SourceRequesterStats.requester_id == requester_pk).limit(MAX_SOURCES))}
    ids = set(counts) | set(stats)
    if not ids:
        return []
    names = dict((await session.execute(select(Source.id, Source.name).where(Source.id.in_(ids)))).all())
    views = []
    for source_id in ids:
        row = stats.get(source_id)
        ratings = []
        if row is not None:
            for dimension in RATING_DIMENSIONS:
                n, mean = _mean_words((row.ratings or {}).get(dimension))
                if mean is not None:
                    ratings.append((DIMENSION_NAMES[dimension], f"{number(mean)} of 5, from {say_count(n, 'rating')}"))
        views.append(SourceView(
            name=names.get(source_id, "another community"), imported=int(counts.get(source_id, 0)),
            reviews=row.reviews if row is not None else None, ratings=ratings,
            rejections=row.rejections if row is not None else None, blocks=row.blocks if row is not None else None,
            approval=sentence_case((say_approval(row.approval_seconds) if row is not None else "") or "not reported"),
            hourly=history.hourly_words(row.median_hourly_cents, currency)
            if row is not None and row.median_hourly_cents is not None else None))
    views.sort(key=lambda v: (-(v.reviews or 0), -v.imported, v.name.casefold()))
    return views


def author_words(handle: str | None, deleted_at: datetime | None) -> str:
    """The byline of a local review: its author's handle, or "a former member" once they left."""
    if deleted_at is not None:
        return f"a {FORMER_MEMBER}"
    return handle or "a Fairfinder worker"


def _review_view(key: str, row: Any, author: str, source: str | None, title: str | None, currency: str) -> ReviewView:
    ratings = {d: getattr(row, f"rating_{d}") for d in RATING_DIMENSIONS}
    return ReviewView(
        key=key, created_at=row.created_at, date=history.day_name(row.created_at),
        iso_date=row.created_at.astimezone(timezone.utc).date().isoformat(), author=author, source=source,
        task=title or "The requester as a whole", ratings=ratings_words(ratings),
        outcome=outcome_words(row.outcome, row.approval_seconds),
        worked=say_duration(row.worked_seconds) if row.worked_seconds else None,
        bonus=format_cents(row.bonus_cents, currency) if row.bonus_cents else None,
        flags=sentence_case(flags_words(list(row.flags or []))), comment=row.comment or "")


async def load_reviews(session: AsyncSession, requester_pk: int, currency: str) -> list[ReviewView]:
    """The newest MAX_REVIEWS of local and imported reviews together, newest first."""
    local = (await session.execute(
        select(Review, Worker.handle, Worker.deleted_at, TaskType.title, TaskType.currency)
        .outerjoin(Worker, Worker.id == Review.worker_id).outerjoin(TaskType, TaskType.id == Review.task_type_id)
        .where(Review.requester_id == requester_pk, Review.status == "visible")
        .order_by(Review.created_at.desc(), Review.id.desc()).limit(MAX_REVIEWS))).all()
    imported = (await session.execute(
        select(ImportedReview, Source.name, TaskType.title, TaskType.currency)
        .join(Source, Source.id == ImportedReview.source_id)
        .outerjoin(TaskType, TaskType.id == ImportedReview.task_type_id)
        .where(ImportedReview.requester_id == requester_pk)
        .order_by(ImportedReview.created_at.desc(), ImportedReview.id.desc()).limit(MAX_REVIEWS))).all()
    views = [_review_view(f"review-{r.id}", r, author_words(handle, deleted_at), None, title, paid_in or currency)
             for r, handle, deleted_at, title, paid_in in local]
    views += [_review_view(f"imported-{r.id}", r, f"a reviewer at {name}", name, title, paid_in or currency)
              for r, name, title, paid_in in imported]
    views.sort(key=lambda v: v.created_at, reverse=True)
    return views[:MAX_REVIEWS]


async def history_samples(session: AsyncSession, requester_pk: int, since: datetime) -> list[tuple[datetime, pay.Sample, str]]:
    """(when, sample, currency) for the requester's work since `since`: the samples refresh.py derives, dated by
    the timing's end, or by the review's creation for a review without timings."""
    timings = (await session.execute(
        select(Timing.task_type_id, Timing.worker_id, Timing.seconds, Timing.outcome, Timing.ended_at,
               TaskType.reward_cents, TaskType.currency)
        .join(TaskType, TaskType.id == Timing.task_type_id)
        .where(TaskType.requester_id == requester_pk, Timing.ended_at >= since)
        .order_by(Timing.id))).all()

    def timed(after: datetime | None) -> Any:
        query = select(Timing.id).where(Timing.worker_id == Review.worker_id, Timing.task_type_id == Review.task_type_id)
        return (query.where(Timing.ended_at >= after) if after is not None else query).exists()

    reviews = (await session.execute(
        select(Review.task_type_id, Review.worker_id, Review.worked_seconds, Review.outcome, Review.bonus_cents,
               Review.created_at, TaskType.reward_cents, TaskType.currency, timed(None).label("timed"))
        .join(TaskType, TaskType.id == Review.task_type_id)
        .where(Review.requester_id == requester_pk, Review.status == "visible",
               or_(Review.created_at >= since, timed(since))))).all()

    reports: dict[tuple[int, int], tuple[Report, list[datetime], int, str]] = {}
    for type_id, worker_id, seconds, outcome, ended_at, reward, currency in timings:
        entry = reports.setdefault((type_id, worker_id), (Report(), [], reward, currency))
        entry[0].timings.append((seconds, outcome))
        entry[1].append(ended_at)
    for type_id, worker_id, worked, outcome, bonus, created_at, reward, currency, has_timings in reviews:
        key = (type_id, worker_id)
        if has_timings and key not in reports:
            continue  # its timings ended before `since`: they, not the remembered time, are its samples
        entry = reports.setdefault(key, (Report(), [], reward, currency))
        # A transient row, never added to the session: report_samples reads these three fields.
        entry[0].review = Review(worked_seconds=worked, outcome=outcome, bonus_cents=bonus)
        if not entry[0].timings:
            entry[1].append(created_at)
    dated = []
    for report, moments, reward, currency in reports.values():
        samples = report_samples(reward, report)
        dated += [(moment, sample, currency) for moment, sample in zip(moments, samples)]
    return dated


def history_view(dated: list[tuple[datetime, pay.Sample, str]], currency: str, now: datetime) -> HistoryView:
    mine = [(moment, sample) for moment, sample, cur in dated if cur == currency]
    points = history.monthly_points(mine, now)
    left_out = sum(1 for moment, _, cur in dated if cur != currency and moment >= history.history_start(now))
    return HistoryView(
        points=points,
        rows=[(history.month_name(p.month), format_hourly(p.cents_per_hour, currency), p.samples) for p in points],
        sentence=history.trend_sentence(points, currency), chart=history.chart(points, currency),
        currency=currency, left_out=left_out)


async def load_page(session: AsyncSession, platform: str, external_id: str, now: datetime) -> RequesterPage | None:
    found = (await session.execute(
        select(Requester, RequesterStats).outerjoin(RequesterStats, RequesterStats.requester_id == Requester.id)
        .where(Requester.platform == platform, Requester.external_id == external_id))).first()
    if found is None:
        return None
    requester, stats = found
    platform_info = (await load_platforms(session, [platform]))[platform]
    summary = summary_of(requester, stats, platform_info)
    stats_summary = sample_summary(stats.summary) if stats is not None else None
    prior = pay.requester_prior(stats_summary, platform_info.prior) if stats_summary else None

    rows, currencies = await load_task_rows(session, requester.id, summary, prior, platform_info.prior)
    currency = Counter(currencies).most_common(1)[0][0] if currencies else PLATFORM_CURRENCY.get(platform, "USD")
    task_types, timed_types = await count_task_types(session, requester.id)
    sources = await load_sources(session, requester.id, currency)
    reviews = await load_reviews(session, requester.id, currency)
    dated = await history_samples(session, requester.id, history.history_start(now))

    scores = [(DIMENSION_NAMES[d], number(s.mean) if s.mean is not None else "not rated yet", s.n,
               number(s.score) if s.score is not None else "not rated yet")
              for d, s in summary.scores.items()]
    recent = summary.recent
    facts = [
        ("Rejections", sentence_case(f"{say_count(summary.rejections, 'rejection')} reported")),
        ("Blocks", sentence_case(f"{say_count(summary.blocks, 'block')} reported")),
        ("Approval time", sentence_case(say_approval(summary.approval_seconds) or "not reported yet")),
        ("Last 90 days", sentence_case(f"{say_count(recent.reviews, 'review')}, {say_count(recent.rejections, 'rejection')}, "
                                       f"{say_count(recent.blocks, 'block')}")),
        ("Flags reported by several reviewers", sentence_case(flags_words(summary.flags))),
    ]
    return RequesterPage(
        platform=platform, platform_name=PLATFORMS.get(platform, platform), external_id=requester.external_id,
        name=requester.name.strip() or f"Requester {requester.external_id}",
        platform_url=requester_url(platform, requester.external_id),
        sentence=summary_sentence(summary, timed_types, currency), summary=summary, scores=scores, facts=facts,
        currency=currency, task_rows=rows, task_types=task_types, timed_types=timed_types, sources=sources,
        reviews=reviews, history=history_view(dated, currency, now), target=history.hourly_words(TARGET, currency))


# ------------------------------------------------------------------------------------------------
# Rendering and errors


def render(request: Request, template: str, context: dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> Response[str]:
    engine = request.app.template_engine
    assert engine is not None, "TemplateConfig missing (server/app.py)"
    html = engine.get_template(template).render(css_url=CSS_URL, platforms=PLATFORMS, **context)
    return Response(html, status_code=status, media_type=MediaType.HTML, headers={**PAGE_HEADERS, **(headers or {})})


def error_page(request: Request, status: int, heading: str, message: str, *, platform: str = "mturk",
               requester_id: str = "", headers: dict[str, str] | None = None) -> Response[str]:
    context = {"status": status, "heading": heading, "message": message,
               "form_platform": platform if platform in PLATFORMS else "mturk", "form_id": requester_id}
    return render(request, "requester_error.html", context, status, headers)


def not_found_page(request: Request, platform: str, requester_id: str) -> Response[str]:
    if platform not in PLATFORMS:
        known = " and ".join(PLATFORMS.values())
        return error_page(request, 404, "Platform not known",
                          f"Fairfinder does not know a platform called “{platform[:40]}”. It knows {known}.",
                          requester_id=requester_id)
    shown = requester_id[:MAX_ID_CHARS] or "(none given)"
    return error_page(request, 404, "Requester not found",
                      f"Fairfinder knows no requester with the id “{shown}” on {PLATFORMS[platform]}. Requesters "
                      "appear here once a worker's Fairfinder extension has seen one of their tasks. Check the id, "
                      "or look up another requester.", platform=platform, requester_id=requester_id)


def handle_database(request: Request, exc: OperationalError) -> Response[str]:
    if "database is locked" in str(exc.orig) or "database is busy" in str(exc.orig):
        log.warning("database busy on %s %s", request.method, request.url.path)
        return error_page(request, 503, "This page is busy",
                          "Fairfinder's database is busy right now. Try again in a moment.", headers={"Retry-After": "1"})
    return handle_unexpected(request, exc)


def handle_http(request: Request, exc: HTTPException) -> Response[str]:
    if exc.status_code == 404:
        return error_page(request, 404, "Page not found", "There is no page at this address.")
    if exc.status_code < 500:
        return error_page(request, exc.status_code, "That did not work", "The address could not be read.")
    return handle_unexpected(request, exc)


def handle_unexpected(request: Request, exc: Exception) -> Response[str]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_page(request, 500, "Something went wrong",
                      "Something went wrong on our side and this page could not be shown. It has been logged. "
                      "Try again in a moment.")


# ------------------------------------------------------------------------------------------------
# Routes


class RequesterPageController(Controller):
    path = "/r"
    tags = ["requester pages"]
    include_in_schema = False
    exception_handlers = {OperationalError: handle_database, HTTPException: handle_http, Exception: handle_unexpected}

    @get("/", media_type=MediaType.HTML, summary="Look up a requester by platform and id")
    async def lookup(self, request: Request) -> Response[Any]:
        platform = (request.query_params.get("platform") or "").strip()
        requester_id = (request.query_params.get("id") or "").strip()
        if platform and requester_id:
            if "/" in requester_id:  # no platform's ids have one, and the router would not find the page
                return not_found_page(request, platform, requester_id)
            return Redirect(page_path(platform, requester_id[:MAX_ID_CHARS + 1]), status_code=303)
        error = "Enter the requester's id." if platform and not requester_id else None
        return render(request, "requester_lookup.html",
                      {"error": error, "form_platform": platform if platform in PLATFORMS else "mturk",
                       "form_id": requester_id}, 400 if error else 200)

    @get("/{platform:str}", media_type=MediaType.HTML, summary="No requester id given")
    async def platform_only(self, request: Request, platform: str) -> Response[str]:
        return not_found_page(request, platform.strip(), "")

    @get("/{platform:str}/{requester_id:str}", media_type=MediaType.HTML, summary="One requester as an HTML page")
    async def page(self, request: Request, platform: str, requester_id: str, db_session: AsyncSession) -> Response[str]:
        platform, requester_id = platform.strip(), requester_id.strip()  # ids are stored stripped
        if platform not in PLATFORMS or not requester_id or len(requester_id) > MAX_ID_CHARS:
            return not_found_page(request, platform, requester_id)
        found = await load_page(db_session, platform, requester_id, datetime.now(timezone.utc))
        if found is None:
            return not_found_page(request, platform, requester_id)
        return render(request, "requester.html", {"page": found, "max_task_types": MAX_TASK_TYPES,
                                                  "max_reviews": MAX_REVIEWS, "months": history.MAX_MONTHS})


requester_static = create_static_files_router(
    path=STATIC_PATH, directories=[STATIC_DIR], name="requester-static", include_in_schema=False,
    cache_control=CacheControlHeader(max_age=STATIC_MAX_AGE, public=True))

REQUESTER_PAGE_ROUTES = [RequesterPageController, requester_static]
