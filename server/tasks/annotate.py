"""POST /api/v1/annotate: a page of tasks in, one annotation per task out, in page order.

The expensive part happened at write time (server/stats): here we parse, record unseen tasks (group
commit, tasks/recorder.py), and look up stored aggregates — from the in-process cache (tasks/cache.py)
or, for what it lacks, in indexed queries — then do a few multiplications per task, memoized per task type.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Annotated, Any

import msgspec
from litestar import post
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers import mturk, prolific
from scrapers.model import PayloadError, Task
from server.domain import pay
from server.auth import provide_optional_worker
from server.domain.weights import Weights, weights_of
from server.db.models import Requester, RequesterStats, Source, SourceTaskTypeStats, TaskTypeStats, Worker
from server.errors import ApiError, error_responses
from server.domain.filters import FilterError, Filters, Verdict, filters_are_inert, validate_filters, verdict
from server.domain.money import format_hourly
from server.domain.summary import Platform, RequesterSummary, combined_sample_summary, sample_summary, summary_of
from server.requesters.queries import load_imported, load_platforms
from server.domain.vocab import active_flags, should_avoid
from server.tasks.cache import AnnotateCache, RequesterFacts, TaskRef, TypeFacts, clock
from server.domain.identity import task_key
from server.tasks.recorder import TaskRecorder
from server.tasks.records import record_tasks
from server.workers.queries import load_filters
from server.workers.schemas import FiltersIn
from server.workers.schemas import Platform as PlatformName

MAX_TASKS = 100
SHOWN = Verdict(hidden=False, reasons=[])  # the verdict of filters that hide nothing


class AnnotateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Give exactly one of `tasks` (normalized), `raw` (the platform's page JSON) or `raw_html`."""

    platform: PlatformName
    tasks: Annotated[list[Task], msgspec.Meta(max_length=MAX_TASKS)] | None = None
    raw: Any = None
    raw_html: Annotated[str, msgspec.Meta(max_length=1024 * 1024)] | None = None
    filters: FiltersIn | None = None  # e.g. an extension's local filters when not signed in


class HourlyOut(msgspec.Struct, kw_only=True):
    cents_per_hour: float | None
    label: str  # "$7.50/h", or "unknown"
    band: str  # good | ok | low | unknown | avoid
    basis: str  # task | requester | stated | unknown
    n: int
    low: float | None
    high: float | None
    duration_seconds: float | None
    p_approved: float | None
    median_rate: float | None
    pooled_rate: float | None


class Annotation(msgspec.Struct, kw_only=True):
    index: int
    task_type_id: int
    hit_set_id: str | None
    title: str
    requester_id: str
    reward_cents: int
    currency: str
    hourly: HourlyOut
    requester: RequesterSummary
    flags: list[str]
    verdict: Verdict


class AnnotateOut(msgspec.Struct, kw_only=True):
    platform: str
    target_cents_per_hour: int
    filters_from: str  # saved | request | default
    tasks: list[Annotation]


def parse_tasks(data: AnnotateIn) -> list[Task]:
    given = [name for name in ("tasks", "raw", "raw_html") if getattr(data, name) is not None]
    if len(given) != 1:
        raise ApiError(422, "invalid_field", "Give exactly one of tasks, raw or raw_html.", given[1] if given[1:] else "tasks")
    if data.tasks is not None:
        tasks = data.tasks
        for i, task in enumerate(tasks):
            if task.platform != data.platform:
                raise ApiError(422, "invalid_field", f"tasks[{i}].platform: differs from the request's platform.",
                               f"tasks[{i}].platform")
            # Stored stripped as part of the task's identity: a blank one would name no requester or task.
            for name in ("requester_id", "title"):
                if not getattr(task, name).strip():
                    raise ApiError(422, "invalid_field", f"tasks[{i}].{name}: must not be blank.", f"tasks[{i}].{name}")
        return tasks
    try:
        if data.platform == "mturk":
            tasks = mturk.parse_hitset_table_html(data.raw_html) if data.raw_html is not None else mturk.parse_search(data.raw)
        elif data.platform == "prolific" and data.raw is not None:
            tasks = prolific.parse_studies(data.raw)
        else:
            raise ApiError(422, "unsupported_payload",
                           f"No parser reads a raw {data.platform} {'page' if data.raw_html else 'payload'}; send tasks.",
                           "raw_html" if data.raw_html is not None else "raw")
    except PayloadError as error:
        source = "raw_html" if data.raw_html is not None else "raw"
        raise ApiError(422, "invalid_payload", f"{source}.{error.field}: {error.message}", f"{source}.{error.field}") from None
    if len(tasks) > MAX_TASKS:
        raise ApiError(422, "too_many_tasks", f"A page may hold at most {MAX_TASKS} tasks; got {len(tasks)}.", "raw")
    return tasks


def hourly_out(hourly: pay.Hourly, currency: str, band: str) -> HourlyOut:
    value = hourly.cents_per_hour
    return HourlyOut(
        cents_per_hour=round(value, 1) if value is not None else None,
        label=format_hourly(value, currency) if value is not None else "unknown",
        band=band, basis=hourly.basis, n=hourly.n,
        low=_round(hourly.low), high=_round(hourly.high), duration_seconds=_round(hourly.duration_seconds),
        p_approved=round(hourly.p_approved, 4) if hourly.p_approved is not None else None,
        median_rate=_round(hourly.median_rate), pooled_rate=_round(hourly.pooled_rate),
    )


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _needs_recording(tasks: list[Task], refs: list[TaskRef | None]) -> list[int]:
    """Tasks to pass through the database: unseen ones, and batches whose hit_set_id the page shows anew."""
    # The common page: every task known and listed under the batch we know; then no type can be stale.
    if all(ref is not None and task.hit_set_id and ref.latest_hit_set_id == task.hit_set_id
           for task, ref in zip(tasks, refs)):
        return []
    shown: dict[int, set[str]] = {}
    for task, ref in zip(tasks, refs):
        if ref is not None and task.hit_set_id:
            shown.setdefault(ref.task_type_id, set()).add(task.hit_set_id)
    return [
        i for i, (task, ref) in enumerate(zip(tasks, refs))
        if ref is None or (ref.task_type_id in shown and ref.latest_hit_set_id not in shown[ref.task_type_id])
    ]


def _spelling(task: Task) -> tuple[str, str, str, int, str]:
    return (task.platform, task.requester_id, task.title, task.reward_cents, task.currency)


async def _resolve(session: AsyncSession, tasks: list[Task], cache: AnnotateCache,
                   recorder: TaskRecorder | None) -> list[TaskRef]:
    spelled = cache.as_spelled.data.get  # a plain dict read per task: this is annotate's hottest line
    refs: list[TaskRef | None] = [spelled((t.platform, t.requester_id, t.title, t.reward_cents, t.currency)) for t in tasks]
    for i, task in enumerate(tasks):
        if refs[i] is None:
            refs[i] = cache.tasks.get(task_key(task))
    todo = _needs_recording(tasks, refs)
    if todo:
        if recorder is not None:
            recorded = await recorder.record([tasks[i] for i in todo])
            # The rows were committed by the recorder's own session; a read transaction this session
            # opened earlier (the token check) would still see the database as it was before them.
            if session.in_transaction():
                await session.commit()
        else:
            rows = await record_tasks(session, [tasks[i] for i in todo])
            recorded = [TaskRef(r.id, t.id, t.latest_hit_set_id, t.stated_seconds)
                        for r, t in zip(rows.requesters, rows.task_types)]
        for i, ref in zip(todo, recorded):
            refs[i] = ref
            cache.tasks.put(task_key(tasks[i]), ref)
            cache.as_spelled.put(_spelling(tasks[i]), ref)
    return refs  # type: ignore[return-value]


def _requester_view(requester: RequesterFacts, platform: Platform, weights: Weights) -> tuple[RequesterSummary, pay.Prior | None]:
    """The requester's summary and prior as a worker with these weights sees them (memoized)."""
    found = requester.views.get(weights)
    if found is None or found[0] is not platform:
        summary = summary_of(requester.requester, requester.stats, platform, requester.imported, weights)
        samples = combined_sample_summary(requester.stats, requester.imported, weights)
        found = (platform, summary, pay.requester_prior(samples, platform.prior) if samples else None)
        requester.views[weights] = found
    return found[1], found[2]


def _type_view(type_facts: TypeFacts, weights: Weights) -> tuple[pay.SampleSummary | None, list[str]]:
    """The task type's samples and active flags, other communities' counted as the weights say (memoized)."""
    found = type_facts.views.get(weights)
    if found is None:
        counted = [(summary, flags, reviews, weights.of(name)) for name, summary, flags, reviews in type_facts.imported]
        counted = [part for part in counted if part[3] > 0]
        if not counted:
            found = (type_facts.summary, active_flags(type_facts.flag_counts, type_facts.reviews))
        else:
            parts = [(type_facts.summary, 1.0)] + [(summary, w) for summary, _, _, w in counted]
            flag_counts = Counter(type_facts.flag_counts)
            for _, flags, _, _ in counted:
                flag_counts.update(flags)
            found = (pay.combine_summaries((s, w) for s, w in parts if s is not None),
                     active_flags(flag_counts, type_facts.reviews + sum(reviews for _, _, reviews, _ in counted)))
        type_facts.views[weights] = found
    return found


def _hourly(task: Task, ref: TaskRef, requester: RequesterFacts, type_facts: TypeFacts, platform: Platform,
            weights: Weights) -> tuple[Any, pay.Hourly, dict[int, HourlyOut], bool, RequesterSummary, list[str]]:
    """The pay figures of one task, computed once per task type, inputs and weights and kept in
    `type_facts.computed` (annotate_tasks reads them there itself: it is lookups). The third item
    memoizes the answer's `hourly` per target wage: its band is the only part the target changes."""
    stated = task.stated_seconds or ref.stated_seconds
    summary, prior = _requester_view(requester, platform, weights)
    samples, flags = _type_view(type_facts, weights)
    hourly = pay.effective_hourly(samples, task.reward_cents, prior, platform.prior, stated_seconds=stated)
    found = (platform.prior, hourly, {}, should_avoid(flags, summary.blocks), summary, flags)
    type_facts.computed[(task.reward_cents, task.currency, stated, weights)] = found
    return found


def _banded(found: tuple[Any, pay.Hourly, dict[int, HourlyOut], bool, RequesterSummary, list[str]], currency: str,
            target: int) -> HourlyOut:
    hourly, avoid = found[1], found[3]
    out = found[2][target] = hourly_out(hourly, currency, pay.band(hourly.cents_per_hour, target, avoid=avoid))
    return out


async def _platform(session: AsyncSession, name: str, cache: AnnotateCache, now: float) -> Platform:
    found = cache.platform(name, now)
    if found is None:
        found = (await load_platforms(session, [name]))[name]
        cache.put_platform(name, now, found)
    return found


async def _sources_exist(session: AsyncSession, cache: AnnotateCache, now: float) -> bool:
    """Whether any other community is known; while none is, their figures need no query (tasks/cache.py)."""
    found = cache.has_sources(now)
    if found is None:
        changes = cache.changes  # before reading, as for the requesters' versions
        found = (await session.execute(select(Source.id).limit(1))).first() is not None
        cache.put_sources(changes, now, found)
    return found


async def _requester_facts(session: AsyncSession, refs: list[TaskRef], platform: Platform, cache: AnnotateCache,
                           now: float) -> dict[int, RequesterFacts]:
    facts: dict[int, RequesterFacts] = {}
    missing: set[int] = set()
    for pk in {ref.requester_pk for ref in refs}:
        cached = cache.requester(pk, now)
        if cached is None:
            missing.add(pk)
        else:
            facts[pk] = cached
    imported_exist = None
    if missing:
        versions = {pk: cache.version(pk) for pk in missing}  # taken before reading: see tasks/cache.py
        rows = (await session.execute(
            select(Requester, RequesterStats).outerjoin(RequesterStats, RequesterStats.requester_id == Requester.id)
            .where(Requester.id.in_(missing)))).all()
        imported_exist = await _sources_exist(session, cache, now)
        imported = await load_imported(session, missing) if imported_exist else {}
        for requester, stats in rows:
            loaded = RequesterFacts(requester=requester, stats=stats, imported=imported.get(requester.id, []))
            facts[requester.id] = loaded
            cache.put_requester(requester.id, versions[requester.id], now, loaded)
    missing_types = {ref.task_type_id for ref in refs if ref.task_type_id not in facts[ref.requester_pk].types}
    if missing_types:
        rows = (await session.execute(
            select(TaskTypeStats.task_type_id, TaskTypeStats.summary, TaskTypeStats.flag_counts, TaskTypeStats.reviews)
            .where(TaskTypeStats.task_type_id.in_(missing_types)))).all()
        stats_by_type = {row[0]: row for row in rows}
        imported_by_type: dict[int, list] = {}
        if imported_exist is None:
            imported_exist = await _sources_exist(session, cache, now)
        for name, type_id, summary, flag_counts, reviews in [] if not imported_exist else (await session.execute(
                select(Source.name, SourceTaskTypeStats.task_type_id, SourceTaskTypeStats.summary,
                       SourceTaskTypeStats.flag_counts, SourceTaskTypeStats.reviews)
                .join(Source, Source.id == SourceTaskTypeStats.source_id)
                .where(SourceTaskTypeStats.task_type_id.in_(missing_types)).order_by(Source.name))).all():
            imported_by_type.setdefault(type_id, []).append((name, sample_summary(summary), flag_counts or {}, reviews))
        found: dict[int, dict[int, TypeFacts]] = {}
        for ref in refs:
            if ref.task_type_id in missing_types:
                row = stats_by_type.get(ref.task_type_id)
                found.setdefault(ref.requester_pk, {})[ref.task_type_id] = TypeFacts(
                    summary=sample_summary(row[1]) if row else None,
                    flag_counts=(row[2] or {}) if row else {},
                    reviews=row[3] if row else 0,
                    imported=imported_by_type.get(ref.task_type_id, []),
                )
        for pk, types in found.items():
            cache.put_types(pk, facts[pk], types)
    return facts


async def annotate_tasks(session: AsyncSession, platform: str, tasks: list[Task], filters: Filters, now: datetime,
                         cache: AnnotateCache | None = None, recorder: TaskRecorder | None = None) -> list[Annotation]:
    """The one code path from tasks to annotations (the API and, later, the voice view use it).

    Without a cache (one-off callers) everything is read from the database; without a recorder unseen
    tasks are recorded in the caller's session.
    """
    cache = cache if cache is not None else AnnotateCache(ttl=0.0)
    refs = await _resolve(session, tasks, cache, recorder)
    moment = clock()
    platform_info = await _platform(session, platform, cache, moment)
    facts = await _requester_facts(session, refs, platform_info, cache, moment)
    inert = filters_are_inert(filters)
    weights = weights_of(filters)
    target, prior = filters.target_cents_per_hour, platform_info.prior
    annotations = []
    # Per task: two dict reads for memoized figures (see _hourly); the function calls are inlined here
    # because this loop runs 100 times per request.
    for index, (task, ref) in enumerate(zip(tasks, refs)):
        requester = facts[ref.requester_pk]
        type_facts = requester.types[ref.task_type_id]
        found = type_facts.computed.get((task.reward_cents, task.currency, task.stated_seconds or ref.stated_seconds, weights))
        if found is None or found[0] is not prior:
            found = _hourly(task, ref, requester, type_facts, platform_info, weights)
        hourly, flags, out = found[1], found[5], found[2].get(target)
        if out is None:
            out = _banded(found, task.currency, target)
        annotations.append(Annotation(
            index=index, task_type_id=ref.task_type_id, hit_set_id=task.hit_set_id, title=task.title,
            requester_id=task.requester_id, reward_cents=task.reward_cents, currency=task.currency,
            hourly=out, requester=found[4], flags=flags,
            verdict=SHOWN if inert else verdict(task, hourly.cents_per_hour, hourly.duration_seconds,
                                                flags, filters, now),
        ))
    return annotations


@post("/api/v1/annotate", status_code=200, responses=error_responses(400, 401, 413, 422), tags=["tasks"], dependencies={"worker": Provide(provide_optional_worker)},
      summary="Annotate a page of tasks: effective hourly, requester summary, flags and filter verdict, in page order")
async def annotate(data: AnnotateIn, db_session: AsyncSession, worker: Worker | None, state: State) -> AnnotateOut:
    tasks = parse_tasks(data)
    if data.filters is not None:
        try:
            validate_filters(data.filters)
        except FilterError as error:
            raise ApiError(422, "invalid_field", f"filters.{error.field}: {error.message}", f"filters.{error.field}") from None
        filters, source = data.filters, "request"
    elif worker is not None:
        filters, source = await load_filters(db_session, worker), "saved"
    else:
        filters, source = Filters(), "default"
    annotations = await annotate_tasks(db_session, data.platform, tasks, filters, datetime.now(timezone.utc),
                                       state.annotate_cache, state.task_recorder) if tasks else []
    return AnnotateOut(platform=data.platform, target_cents_per_hour=filters.target_cents_per_hour,
                       filters_from=source, tasks=annotations)
