"""Reads of requesters' stored aggregates shared by annotate, the requester API and the requester page."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from accessibility.speech import say_approval, say_count
from server.db.models import (
    ImportedReview,
    PlatformStats,
    Requester,
    RequesterStats,
    Review,
    Source,
    SourceRequesterStats,
    SourceTaskTypeStats,
    TaskType,
    TaskTypeStats,
    Timing,
    Worker,
)
from server.domain import pay
from server.domain.aggregate import Report, report_samples
from server.domain.figures import bonus_words, shown_hourly
from server.domain.money import format_cents
from server.domain.summary import (
    Platform,
    RequesterSummary,
    combined_sample_summary,
    platform_from_row,
    sample_summary,
    summary_of,
)
from server.domain.evidence import hourly_label
from server.domain.vocab import RATING_DIMENSIONS, should_avoid, weighted_flags
from server.domain.weights import DEFAULT_WEIGHTS, Weights
from server.requesters import history
from server.requesters.views import (
    MAX_REVIEWS,
    MAX_SOURCES,
    MAX_TASK_TYPES,
    PLATFORM_CURRENCY,
    TARGET,
    RequesterPage,
    ReviewView,
    SourceView,
    TaskRow,
    author_words,
    basis_words,
    history_view,
    mean_words,
    number,
    requester_url,
    review_view,
    summary_sentence,
)
from server.web.words import BAND_WORDS, DIMENSION_NAMES, PLATFORMS, flags_words, requester_page_path, sentence_case


async def load_platforms(session: AsyncSession, platforms: Iterable[str]) -> dict[str, Platform]:
    wanted = set(platforms)
    rows = {r.platform: r for r in await session.scalars(select(PlatformStats).where(PlatformStats.platform.in_(wanted)))}
    return {p: platform_from_row(p, rows.get(p)) for p in wanted}


async def load_imported(session: AsyncSession, requester_pks: Iterable[int]) -> dict[int, list[tuple[str, SourceRequesterStats]]]:
    """Other communities' aggregates of these requesters, by requester row id."""
    found: dict[int, list[tuple[str, SourceRequesterStats]]] = {}
    ids = list(set(requester_pks))
    if not ids:
        return found
    rows = await session.execute(
        select(Source.name, SourceRequesterStats).join(Source, Source.id == SourceRequesterStats.source_id)
        .where(SourceRequesterStats.requester_id.in_(ids)).order_by(Source.name))
    for name, row in rows.all():
        found.setdefault(row.requester_id, []).append((name, row))
    return found


async def summaries(session: AsyncSession, platform: str, ids: list[str],
                    weights: Weights = DEFAULT_WEIGHTS) -> dict[str, RequesterSummary]:
    """Summaries with other communities' ratings counted as `weights` say (all fully by default): the one
    definition of a requester's figures that /api/v1/requesters, /r and the Turkopticon routes show."""
    rows = list(await session.scalars(select(Requester).where(Requester.platform == platform,
                                                              Requester.external_id.in_(ids))))
    stats = {s.requester_id: s for s in await session.scalars(
        select(RequesterStats).where(RequesterStats.requester_id.in_([r.id for r in rows])))} if rows else {}
    imported = await load_imported(session, [r.id for r in rows])
    platforms = await load_platforms(session, [platform])
    return {r.external_id: summary_of(r, stats.get(r.id), platforms[platform], imported.get(r.id, ()), weights)
            for r in rows}


# ------------------------------------------------------------------------------------------------
# What the requester page shows


async def load_task_rows(session: AsyncSession, requester_pk: int, summary: RequesterSummary,
                         requester_prior: pay.Prior | None, platform_prior: pay.Prior) -> tuple[list[TaskRow], list[str]]:
    """The task types with the most evidence (timings, then reviews), at most MAX_TASK_TYPES; and their currencies.

    Each row's hourly and band are annotate's for the task with the default weights (docs/figures.md): other
    communities' evidence of the task type counts in them, as `summary` (the requester's, theirs included) and
    `requester_prior` do.
    """
    samples = func.coalesce(TaskTypeStats.samples, 0)
    reviews = func.coalesce(TaskTypeStats.reviews, 0)
    rows = (await session.execute(
        select(TaskType.title, TaskType.reward_cents, TaskType.currency, TaskType.stated_seconds,
               samples, reviews, TaskTypeStats.summary, TaskTypeStats.flag_counts, TaskType.id)
        .outerjoin(TaskTypeStats, TaskTypeStats.task_type_id == TaskType.id)
        .where(TaskType.requester_id == requester_pk)
        .order_by(samples.desc(), reviews.desc(), TaskType.title, TaskType.id)
        .limit(MAX_TASK_TYPES))).all()
    theirs: dict[int, list[tuple[dict[str, Any], dict[str, Any], int]]] = {}  # other communities', by task type
    for type_id, their_summary, their_flags, their_reviews in (await session.execute(
            select(SourceTaskTypeStats.task_type_id, SourceTaskTypeStats.summary, SourceTaskTypeStats.flag_counts,
                   SourceTaskTypeStats.reviews).join(Source, Source.id == SourceTaskTypeStats.source_id)
            .where(SourceTaskTypeStats.task_type_id.in_([row[-1] for row in rows])).order_by(Source.name))).all() \
            if rows else []:
        theirs.setdefault(type_id, []).append((their_summary, their_flags or {}, their_reviews))
    out = []
    for title, reward, currency, stated, n_samples, n_reviews, stats_summary, flag_counts, type_id in rows:
        ours = sample_summary(stats_summary)
        others = theirs.get(type_id, [])
        # Combined as annotate combines them (server/tasks/compute.py type_view), every community counted fully.
        known = [found for found in (ours, *(sample_summary(their[0]) for their in others)) if found is not None]
        measured = pay.combine_summaries((found, 1.0) for found in known) if others else ours
        # As annotate shows it: rounded once (server/domain/figures.py).
        hourly = shown_hourly(pay.effective_hourly(measured, reward, requester_prior, platform_prior,
                                                   stated_seconds=stated))
        own = ours.reviews if ours is not None else None  # reports weighed by who gave them
        flags, reports = weighted_flags([(own.flags, own.weight, 1.0) if own is not None
                                         else (flag_counts or {}, n_reviews, 1.0)]
                                        + [(their_flags, their_reviews, 1.0) for _, their_flags, their_reviews in others])
        avoid = should_avoid(flags, summary.evidence.blocks, reports)
        band = pay.band_for(hourly, TARGET, avoid=avoid)
        out.append(TaskRow(
            title=title, reward=format_cents(reward, currency),
            hourly=(" ".join(filter(None, [hourly_label(hourly, currency), bonus_words(hourly, currency)]))
                    if hourly.cents_per_hour is not None else "not known yet"),
            basis=basis_words(hourly), band=BAND_WORDS.get(band, band), reviews=int(n_reviews), samples=int(n_samples)))
    return out, [row[2] for row in rows]


async def count_task_types(session: AsyncSession, requester_pk: int) -> tuple[int, int]:
    """(task types, task types with timings)."""
    row = (await session.execute(
        select(func.count(TaskType.id), func.count(case((TaskTypeStats.samples > 0, 1))))
        .outerjoin(TaskTypeStats, TaskTypeStats.task_type_id == TaskType.id)
        .where(TaskType.requester_id == requester_pk))).one()
    return int(row[0]), int(row[1])


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
                n, mean = mean_words((row.ratings or {}).get(dimension))
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
    views = [review_view(f"review-{r.id}", r, author_words(handle, deleted_at), None, title, paid_in or currency)
             for r, handle, deleted_at, title, paid_in in local]
    views += [review_view(f"imported-{r.id}", r, f"a reviewer at {name}", name, title, paid_in or currency)
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


async def load_page(session: AsyncSession, platform: str, external_id: str, now: datetime) -> RequesterPage | None:
    found = (await session.execute(
        select(Requester, RequesterStats).outerjoin(RequesterStats, RequesterStats.requester_id == Requester.id)
        .where(Requester.platform == platform, Requester.external_id == external_id))).first()
    if found is None:
        return None
    requester, stats = found
    platform_info = (await load_platforms(session, [platform]))[platform]
    # One number (issue 18 item 5): the page's figures are /api/v1/requesters' and annotate's (default weights), so
    # other communities' imported aggregates count in them; "From other communities" shows each one's part apart.
    imported = (await load_imported(session, [requester.id])).get(requester.id, [])
    summary = summary_of(requester, stats, platform_info, imported)
    samples = combined_sample_summary(stats, imported)
    prior = pay.requester_prior(samples, platform_info.prior) if samples else None

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


MAX_SEARCH_CHARS = 100
SEARCH_RESULTS = 25


async def search_requesters(session: AsyncSession, text: str, platform: str | None,
                            limit: int = SEARCH_RESULTS) -> list[dict[str, Any]]:
    """Requesters whose name contains `text` or whose id starts with it (case-insensitively), the most reviewed
    first: {platform, id, name, reviews, path}. At most `limit`; `platform` None searches every platform."""
    needle = text.strip()[:MAX_SEARCH_CHARS].lower()
    if not needle:
        return []
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    reviews = func.coalesce(RequesterStats.reviews, 0)
    query = (select(Requester.platform, Requester.external_id, Requester.name, reviews.label("reviews"))
             .outerjoin(RequesterStats, RequesterStats.requester_id == Requester.id)
             .where(or_(func.lower(Requester.name).like(f"%{escaped}%", escape="\\"),
                        func.lower(Requester.external_id).like(f"{escaped}%", escape="\\")))
             .order_by(reviews.desc(), Requester.name, Requester.id).limit(limit))
    if platform:
        query = query.where(Requester.platform == platform)
    return [{"platform": row.platform, "id": row.external_id, "name": row.name or row.external_id,
             "reviews": int(row.reviews), "path": requester_page_path(row.platform, row.external_id),
             "platform_name": PLATFORMS.get(row.platform, row.platform)}
            for row in (await session.execute(query)).all()]
