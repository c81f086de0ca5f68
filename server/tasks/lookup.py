"""Annotate's lookups: from a page's tasks to the facts server/tasks/compute.py needs, in the in-process
cache first (server/tasks/cache.py) and, for what it lacks, in indexed reads. Never a write: unseen tasks
and changed batch ids are handed to the background recorder (server/tasks/recorder.py)."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers.model import Task
from server.db.models import Requester, RequesterStats, Source, SourceTaskTypeStats, TaskTypeStats
from server.domain.summary import Platform, sample_summary
from server.requesters.queries import load_imported, load_platforms
from server.tasks.cache import AnnotateCache, ImportedType, RequesterFacts, RequesterIdent, StatsFacts, TaskRef, TypeFacts
from server.tasks.compute import unrecorded
from server.domain.identity import TaskKey, task_key
from server.tasks.records import lookup_rows


def spelling(task: Task) -> tuple[str, str, str, int, str]:
    """A task's fields as the page spelled them: the key of the cache's fastest lookup."""
    return (task.platform, task.requester_id, task.title, task.reward_cents, task.currency)


def needs_recording(tasks: Sequence[Task], refs: Sequence[TaskRef | None]) -> list[int]:
    """Tasks to hand to the recorder: unseen ones, and batches whose hit_set_id the page shows anew."""
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


def remember(cache: AnnotateCache, task: Task, key: TaskKey, ref: TaskRef) -> None:
    cache.tasks.put(key, ref)
    cache.as_spelled.put(spelling(task), ref)
    cache.requester_pks.put((key.platform, key.requester_id), ref.requester_pk)


async def resolve(session: AsyncSession, tasks: Sequence[Task], cache: AnnotateCache) -> list[TaskRef | None]:
    """Each task's recorded identity, None for tasks not recorded yet."""
    spelled = cache.as_spelled.data.get  # a plain dict read per task: this is annotate's hottest line
    refs: list[TaskRef | None] = [spelled((t.platform, t.requester_id, t.title, t.reward_cents, t.currency))
                                  for t in tasks]
    if None not in refs:
        return refs
    unknown: dict[int, TaskKey] = {}
    for i, task in enumerate(tasks):
        if refs[i] is None:
            key = task_key(task)
            ref = cache.tasks.get(key)
            if ref is not None:
                refs[i] = ref
                cache.as_spelled.put(spelling(task), ref)
            else:
                unknown[i] = key
    if unknown:
        # Rows this cache forgot or another process recorded: two indexed reads, no write lock.
        requesters, task_types = await lookup_rows(session, list(unknown.values()))
        for i, key in unknown.items():
            requester_pk = requesters.get((key.platform, key.requester_id))
            if requester_pk is None:
                continue
            cache.requester_pks.put((key.platform, key.requester_id), requester_pk)
            task_type = task_types.get((requester_pk, key.title_key, key.reward_cents, key.currency))
            if task_type is not None:
                refs[i] = ref = TaskRef(requester_pk, task_type.id, task_type.latest_hit_set_id,
                                        task_type.stated_seconds)
                remember(cache, tasks[i], key, ref)
    return refs


async def platform_facts(session: AsyncSession, name: str, cache: AnnotateCache, now: float) -> Platform:
    found = cache.platform(name, now)
    if found is None:
        found = (await load_platforms(session, [name]))[name]
        expired = cache.platforms.get(name)
        if expired is not None and expired[1] == found:
            found = expired[1]  # unchanged: keep the object the memoized figures were computed with
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


def _new_requester(task: Task) -> RequesterFacts:
    """A requester nobody has shown us yet: no reviews, no samples; its name as the page gives it."""
    return RequesterFacts(ident=RequesterIdent(task.platform, task.requester_id.strip(), (task.requester_name or "")[:200]),
                          stats=None)


async def page_facts(session: AsyncSession, tasks: Sequence[Task], refs: Sequence[TaskRef | None],
                     cache: AnnotateCache, now: float) -> list[TypeFacts]:
    """The facts of every task of a page, in page order (each holding its requester's)."""
    pks = {ref.requester_pk for ref in refs if ref is not None}
    unrecorded_pks: dict[int, int] = {}  # page index → requester row id, for unseen tasks of known requesters
    for i, ref in enumerate(refs):
        if ref is None:
            pk = cache.requester_pks.get((tasks[i].platform, tasks[i].requester_id.strip()))
            if pk is not None:
                unrecorded_pks[i] = pk
                pks.add(pk)
    facts = await _requester_facts(session, pks, cache, now)
    # One pass: each task's type facts where its requester's facts hold them; the rest are loaded, then filled in.
    out: list[TypeFacts | None] = []
    missing: dict[int, TaskRef] = {}
    for ref in refs:
        if ref is None:
            out.append(None)
        elif (found := facts[ref.requester_pk].types.get(ref.task_type_id)) is not None:
            found.used = True
            out.append(found)
        else:
            out.append(None)
            missing[ref.task_type_id] = ref
    loaded = await _type_facts(session, missing, facts, cache, now) if missing else {}
    if missing or unrecorded_pks or None in out:
        for i, (task, ref) in enumerate(zip(tasks, refs)):
            if out[i] is None:
                if ref is not None:
                    out[i] = loaded[ref.task_type_id]
                else:
                    pk = unrecorded_pks.get(i)
                    out[i] = unrecorded(facts[pk] if pk is not None and pk in facts else _new_requester(task))
    return out  # type: ignore[return-value]


_STATS_COLUMNS = (RequesterStats.reviews, RequesterStats.summary, RequesterStats.ratings, RequesterStats.rejections,
                  RequesterStats.blocks, RequesterStats.approval_seconds, RequesterStats.median_hourly_cents,
                  RequesterStats.recent, RequesterStats.flag_counts)  # StatsFacts' fields, in order


async def _requester_facts(session: AsyncSession, pks: set[int], cache: AnnotateCache,
                           now: float) -> dict[int, RequesterFacts]:
    facts: dict[int, RequesterFacts] = {}
    missing: set[int] = set()
    # cache.requester() inlined (a page names up to 100 requesters): a commit that changes a requester drops
    # its entry at once (AnnotateCache.changed), so only the ttl is left to check here.
    entries, oldest_valid = cache.requesters.data, now - cache.ttl
    for pk in pks:
        entry = entries.get(pk)
        if entry is None or entry[1] < oldest_valid:
            missing.add(pk)
        else:
            facts[pk] = found = entry[2]
            found.used = True
    if missing:
        versions = {pk: cache.version(pk) for pk in missing}  # taken before reading: see tasks/cache.py
        # Plain columns, not ORM objects: loading a page's ~100 requesters is a first view's largest cost.
        rows = (await session.execute(
            select(Requester.id, Requester.platform, Requester.external_id, Requester.name, RequesterStats.requester_id,
                   *_STATS_COLUMNS)
            .outerjoin(RequesterStats, RequesterStats.requester_id == Requester.id)
            .where(Requester.id.in_(sorted(missing))))).all()
        imported = await load_imported(session, missing) if await _sources_exist(session, cache, now) else {}
        for pk, platform, external_id, name, has_stats, *stats in rows:
            loaded = RequesterFacts(ident=RequesterIdent(platform, external_id, name),
                                    stats=StatsFacts.of_columns(stats) if has_stats is not None else None,
                                    imported=[(source, StatsFacts.of(row)) for source, row in imported.get(pk, [])])
            expired = entries.get(pk)
            if expired is not None and expired[0] == versions[pk] and _unchanged(expired[2], loaded):
                loaded = expired[2]  # its ttl ran out, its figures did not change: keep what was computed from them
            facts[pk] = loaded
            cache.put_requester(pk, versions[pk], now, loaded)
    return facts


def _unchanged(cached: RequesterFacts, loaded: RequesterFacts) -> bool:
    """Whether facts reloaded after their ttl are what the cache already holds, so that its memos (views, task
    types' facts and figures) still hold. A task type's stored statistics change only with its requester's (the
    refresh recomputes both from the same rows); other communities' figures are not compared: with any, reload."""
    a, b = cached.stats, loaded.stats
    return (cached.ident == loaded.ident and not cached.imported and not loaded.imported
            and (a is b is None or (a is not None and b is not None and a.reviews == b.reviews and a.summary == b.summary
                                    and a.ratings == b.ratings and a.rejections == b.rejections and a.blocks == b.blocks
                                    and a.approval_seconds == b.approval_seconds
                                    and a.median_hourly_cents == b.median_hourly_cents and a.recent == b.recent
                                    and a.flag_counts == b.flag_counts)))


async def _type_facts(session: AsyncSession, missing: dict[int, TaskRef], facts: dict[int, RequesterFacts],
                      cache: AnnotateCache, now: float) -> dict[int, TypeFacts]:
    """Add the stored statistics of these task types to their requesters' facts; returns them by task type."""
    rows = (await session.execute(
        select(TaskTypeStats.task_type_id, TaskTypeStats.summary, TaskTypeStats.flag_counts, TaskTypeStats.reviews)
        .where(TaskTypeStats.task_type_id.in_(sorted(missing))))).all()
    stats_by_type = {row[0]: row for row in rows}
    imported_by_type: dict[int, list[ImportedType]] = {}
    if await _sources_exist(session, cache, now):
        for name, type_id, summary, flag_counts, reviews in (await session.execute(
                select(Source.name, SourceTaskTypeStats.task_type_id, SourceTaskTypeStats.summary,
                       SourceTaskTypeStats.flag_counts, SourceTaskTypeStats.reviews)
                .join(Source, Source.id == SourceTaskTypeStats.source_id)
                .where(SourceTaskTypeStats.task_type_id.in_(missing)).order_by(Source.name))).all():
            imported_by_type.setdefault(type_id, []).append(
                ImportedType(name, sample_summary(summary), flag_counts or {}, reviews))
    found: dict[int, dict[int, TypeFacts]] = {}
    for type_id, ref in missing.items():
        row = stats_by_type.get(type_id)
        found.setdefault(ref.requester_pk, {})[type_id] = TypeFacts(
            requester=facts[ref.requester_pk], task_type_id=type_id, stated_seconds=ref.stated_seconds,
            summary=sample_summary(row[1]) if row else None,
            flag_counts=(row[2] or {}) if row else {},
            reviews=row[3] if row else 0,
            imported=imported_by_type.get(type_id, []),
        )
    for pk, types in found.items():
        cache.put_types(pk, facts[pk], types)
    return {type_id: type_facts for types in found.values() for type_id, type_facts in types.items()}
