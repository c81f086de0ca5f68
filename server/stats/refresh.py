"""Keeping aggregates current. Every write that changes a requester's data calls
`server.stats.settle.requester_changed` in the same transaction, which runs `refresh_requester` at once
for a small requester and leaves a big one to the settler; `rebuild_all` recomputes everything the same
way (the two must always agree).

Both read rows with Core selects (not ORM objects) and hand them to the one pure function, `aggregate`
(server/domain/aggregate.py):
`refresh_requester` one requester at a time, `rebuild_all` requesters in chunks of bounded size, written
back with bulk inserts.
"""
from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, delete, func, insert, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from server.db.changed import note_changed_requester
from server.db.models import (
    DirtyRequester,
    PlatformStats,
    Requester,
    RequesterPart,
    RequesterStats,
    Review,
    TaskType,
    TaskTypePart,
    TaskTypeStats,
    Timing,
    Tombstone,
    Worker,
    utcnow,
)
from server.db.upsert import upsert_many
from server.domain import pay
from server.domain.aggregate import OUTCOMES, PlatformSums, ReviewRow, chunk_by_size, visible_reviews
from server.domain.parts import OWN, Combined, Part, Recomputed, combine, decode_part, encode_part, recompute_parts
from server.domain.vocab import RATING_DIMENSIONS

CHUNK_ROWS = 100_000  # reviews + timings read at once by rebuild_all (more only for one big requester)
WRITE_BATCH = 2_000  # rows per bulk insert
UPSERT_BATCH = 500  # rows per INSERT … ON CONFLICT statement (bound parameters stay under the drivers' limits)


# What aggregation reads of a review, with what its author's weight depends on. `flags` comes as the stored
# JSON text (decoded only when not empty: most reviews name no flag).
REVIEW_COLUMNS = (Review.id, Review.worker_id, Review.requester_id, Review.task_type_id, Review.rating_pay,
                  Review.rating_fairness, Review.rating_speed, Review.rating_communication, Review.worked_seconds,
                  Review.outcome, Review.approval_seconds, Review.bonus_cents, Review.updated_at, Review.status,
                  type_coerce(Review.flags, Text).label("flags_json"),
                  Worker.created_at.label("author_created_at"), Worker.role.label("author_role"))


def _reviews() -> Any:
    return select(*REVIEW_COLUMNS).join(Worker, Worker.id == Review.worker_id)


def _timings() -> Any:
    """(requester, task type, worker, seconds, outcome) of timings; order by ORDER_TIMINGS."""
    return (select(TaskType.requester_id, Timing.task_type_id, Timing.worker_id, Timing.seconds, Timing.outcome)
            .join(TaskType, TaskType.id == Timing.task_type_id))


# Oldest first within a report; this order also lets SQLite walk its indexes without sorting.
ORDER_TIMINGS = (TaskType.requester_id, TaskType.id, Timing.id)
ORDER_REVIEWS = (Review.requester_id, Review.id)


async def refresh_requester(session: AsyncSession, requester_id: int) -> None:
    """Recompute one requester's aggregates and those of all its task types (and all its parts), and move the
    platform sums."""
    await refresh_requesters(session, {requester_id: None})


async def refresh_requesters(session: AsyncSession, changed: Mapping[int, Collection[int] | None]) -> None:
    """Recompute what these writes touched: for each requester, the parts named (task type ids, OWN for its
    reviews naming no task type; None: all of them), and its requester row from all its parts. A requester whose
    parts are not complete yet is recomputed whole. The reads and writes are shared by all the requesters."""
    computed = await compute_requesters(session, changed)
    if computed:
        await store_requesters(session, computed)


@dataclass
class Computed:
    """One requester's aggregates as computed from what a session read (see store_requesters)."""

    requester_id: int
    platform: str
    is_demo: bool
    types: dict[int, Recomputed]  # the task types recomputed (every one with data, when `whole`)
    own: Part | None  # its own part, when recomputed
    combined: Combined
    whole: bool  # every part recomputed: stored rows and parts of other task types are gone


STREAM_ROWS = 5_000  # rows per partition when reading in the background (the event loop runs between them)
IN_LIST = 5_000  # ids per IN (…) list


async def compute_requester(session: AsyncSession, requester_id: int, *, background: bool = False,
                            parts: Collection[int] | None = None) -> Computed | None:
    """Read one requester's rows and compute its aggregates (only `parts`, when named and its parts are complete,
    else all); None when it does not exist.

    `background` (the settler): read in partitions and compute in a thread, so that a big requester
    (seconds of work) does not stop the event loop from answering requests meanwhile.
    """
    found = await compute_requesters(session, {requester_id: parts}, background=background)
    return found[0] if found else None


async def compute_requesters(session: AsyncSession, changed: Mapping[int, Collection[int] | None], *,
                             background: bool = False) -> list[Computed]:
    """compute_requester for many requesters at once: one read of each kind for all those recomputed in part."""
    await session.flush()  # the caller's pending changes are what we read
    connection = await session.connection()
    ids = sorted(changed)
    known: dict[int, tuple[str, bool, bytes | None]] = {}
    for chunk in _chunks(ids):
        for requester_id, platform, is_demo, own in await connection.execute(
                select(Requester.id, Requester.platform, Requester.is_demo, RequesterPart.data)
                .outerjoin(RequesterPart, RequesterPart.requester_id == Requester.id).where(Requester.id.in_(chunk))):
            known[requester_id] = (platform, is_demo, own)
    now = utcnow()
    results = []
    partial: dict[int, set[int]] = {}
    for requester_id in ids:
        if requester_id not in known:
            continue  # no such requester (any more)
        parts, stored_own = changed[requester_id], known[requester_id][2]
        if parts is None or stored_own is None:
            results.append(await _compute_whole(session, requester_id, *known[requester_id][:2], now, background))
        elif parts:
            partial[requester_id] = set(parts)
    if partial:
        results += await _compute_parts(session, partial, known, now, background)
    return results


async def _compute_whole(session: AsyncSession, requester_id: int, platform: str, is_demo: bool, now: datetime,
                         background: bool) -> Computed:
    connection = await session.connection()
    rewards = dict((await connection.execute(
        select(TaskType.id, TaskType.reward_cents).where(TaskType.requester_id == requester_id))).all())
    reviews_query = _reviews().where(Review.requester_id == requester_id).order_by(*ORDER_REVIEWS)
    timings_query = _timings().where(TaskType.requester_id == requester_id).order_by(*ORDER_TIMINGS)
    if not background:
        reviews = visible_reviews(await connection.execute(reviews_query))
        timings = [(type_id, worker_id, seconds, outcome)
                   for _, type_id, worker_id, seconds, outcome in await connection.execute(timings_query)]
        return _whole(requester_id, platform, is_demo, rewards, reviews, timings, now)
    review_rows: list[ReviewRow] = []
    async for part in (await connection.stream(reviews_query)).partitions(STREAM_ROWS):
        review_rows += visible_reviews(part)  # now, so that only the compact rows are held
    timing_rows: list[tuple[int, int, float, str]] = []
    async for part in (await connection.stream(timings_query)).partitions(STREAM_ROWS):
        timing_rows += [(type_id, worker_id, seconds, OUTCOMES.get(outcome, outcome))
                        for _, type_id, worker_id, seconds, outcome in part]
    return await asyncio.to_thread(_whole, requester_id, platform, is_demo, rewards, review_rows, timing_rows, now)


def _whole(requester_id: int, platform: str, is_demo: bool, rewards: Mapping[int, int], reviews: Sequence[ReviewRow],
           timings: Iterable[tuple[int, int, float, str]], now: datetime) -> Computed:
    types, own = recompute_parts(rewards, reviews, timings, now)
    assert own is not None
    combined = combine((r.part for r in types.values() if r.row is not None), own, now)
    return Computed(requester_id, platform, is_demo, types, own, combined, whole=True)


async def _compute_parts(session: AsyncSession, partial: Mapping[int, set[int]],
                         known: Mapping[int, tuple[str, bool, bytes | None]], now: datetime,
                         background: bool) -> list[Computed]:
    """Recompute the named parts of requesters whose parts are complete, and combine each with its other parts."""
    connection = await session.connection()
    type_ids = sorted({t for parts in partial.values() for t in parts if t != OWN})
    own_ids = sorted(r for r, parts in partial.items() if OWN in parts)
    rewards: dict[int, dict[int, int]] = defaultdict(dict)
    reviews: dict[int, list[ReviewRow]] = defaultdict(list)
    timings: dict[int, list[tuple[int, int, float, str]]] = defaultdict(list)
    for chunk in _chunks(type_ids):
        for type_id, requester_id, reward in await connection.execute(
                select(TaskType.id, TaskType.requester_id, TaskType.reward_cents).where(TaskType.id.in_(chunk))):
            rewards[requester_id][type_id] = reward
        for review in visible_reviews(await connection.execute(
                _reviews().where(Review.task_type_id.in_(chunk)).order_by(*ORDER_REVIEWS))):
            reviews[review.requester_id].append(review)
        for requester_id, type_id, worker_id, seconds, outcome in await connection.execute(
                _timings().where(Timing.task_type_id.in_(chunk)).order_by(*ORDER_TIMINGS)):
            timings[requester_id].append((type_id, worker_id, seconds, OUTCOMES.get(outcome, outcome)))
    for chunk in _chunks(own_ids):
        for review in visible_reviews(await connection.execute(
                _reviews().where(Review.requester_id.in_(chunk), Review.task_type_id.is_(None)).order_by(*ORDER_REVIEWS))):
            reviews[review.requester_id].append(review)
    stored: dict[int, list[tuple[int, bytes]]] = defaultdict(list)  # requester → (task type, part) kept as stored
    parts_query = (select(TaskTypePart.requester_id, TaskTypePart.task_type_id, TaskTypePart.data))
    for chunk in _chunks(sorted(partial)):
        query = parts_query.where(TaskTypePart.requester_id.in_(chunk))
        rows: Any = (await connection.stream(query)).partitions(STREAM_ROWS) if background else [await connection.execute(query)]
        async for part_rows in _aiter(rows):
            for requester_id, type_id, data in part_rows:
                if type_id not in partial[requester_id]:
                    stored[requester_id].append((type_id, data))
    jobs = [(requester_id, *known[requester_id][:2], rewards[requester_id],
             [r for r in reviews[requester_id] if r.task_type_id is None or r.task_type_id in parts],
             [t for t in timings[requester_id] if t[0] in parts], parts, stored[requester_id], known[requester_id][2])
            for requester_id, parts in partial.items()]
    if background:
        return await asyncio.to_thread(lambda: [_combine_parts(*job, now) for job in jobs])
    return [_combine_parts(*job, now) for job in jobs]


async def _aiter(rows: Any) -> AsyncIterator[Any]:
    if hasattr(rows, "__aiter__"):
        async for part in rows:
            yield part
    else:
        for part in rows:
            yield part


def _combine_parts(requester_id: int, platform: str, is_demo: bool, rewards: Mapping[int, int],
                   reviews: Sequence[ReviewRow], timings: Sequence[tuple[int, int, float, str]], parts: set[int],
                   stored: Sequence[tuple[int, bytes]], stored_own: bytes | None, now: datetime) -> Computed:
    types, own = recompute_parts(rewards, reviews, timings, now, types=parts - {OWN}, own=OWN in parts)
    kept = [decode_part(data) for _, data in stored]
    assert own is not None or stored_own is not None  # only requesters with complete parts come here
    combined = combine([*kept, *(r.part for r in types.values() if r.row is not None)],
                       own if own is not None else decode_part(stored_own or b""), now)
    return Computed(requester_id, platform, is_demo, types, own, combined, whole=False)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), IN_LIST):
        yield ids[start:start + IN_LIST]


async def store_requester(session: AsyncSession, computed: Computed) -> None:
    await store_requesters(session, [computed])


async def store_requesters(session: AsyncSession, computed: Sequence[Computed]) -> None:
    """Write computed aggregates and parts over the stored ones (tombstones for task types and requesters that
    lost all data) and move the platform sums by the difference. Every statement is shared by all requesters."""
    for c in computed:
        note_changed_requester(session, c.requester_id)
    requester_ids = [c.requester_id for c in computed]
    connection = await session.connection()
    # Task types: rows and parts of those with data; the others lose theirs (with a tombstone if they had a row).
    recomputed = {type_id: (c, r) for c in computed for type_id, r in c.types.items()}
    whole = [c.requester_id for c in computed if c.whole]
    emptied = sorted(type_id for type_id, (_, r) in recomputed.items() if r.row is None)
    had: dict[int, int] = {}  # task type → requester, of the stored rows that may go
    owner = select(TaskTypeStats.task_type_id, TaskType.requester_id).join(TaskType, TaskType.id == TaskTypeStats.task_type_id)
    for chunk in _chunks(whole):
        had |= dict((await connection.execute(owner.where(TaskType.requester_id.in_(chunk)))).all())
    for chunk in _chunks(emptied):
        had |= dict((await connection.execute(owner.where(TaskTypeStats.task_type_id.in_(chunk)))).all())
    gone = sorted(type_id for type_id in had if type_id not in recomputed or recomputed[type_id][1].row is None)
    demo = {c.requester_id for c in computed if c.is_demo}  # the open dump never published theirs
    for chunk in _chunks(gone):
        await connection.execute(delete(TaskTypeStats).where(TaskTypeStats.task_type_id.in_(chunk)))
    session.add_all([Tombstone(kind="task_type", ref_id=type_id) for type_id in gone if had[type_id] not in demo])
    for chunk in _chunks(whole):
        await connection.execute(delete(TaskTypePart).where(TaskTypePart.requester_id.in_(chunk)))
    for chunk in _chunks(emptied):
        await connection.execute(delete(TaskTypePart).where(TaskTypePart.task_type_id.in_(chunk)))
    rows = [{"task_type_id": type_id, **r.row} for type_id, (_, r) in recomputed.items() if r.row is not None]
    await upsert_many(session, TaskTypeStats, rows, ["task_type_id"])
    await upsert_many(session, TaskTypePart, [
        {"task_type_id": type_id, "requester_id": c.requester_id, "data": encode_part(r.part)}
        for type_id, (c, r) in recomputed.items() if r.row is not None], ["task_type_id"])
    _forget(session, TaskTypeStats, recomputed.keys() | had)
    await upsert_many(session, RequesterPart, [{"requester_id": c.requester_id, "data": encode_part(c.own)}
                                               for c in computed if c.own is not None], ["requester_id"])

    # Requesters: their rows, and the platform sums moved by each one's difference.
    old: dict[int, tuple[Any, Any]] = {}
    for chunk in _chunks(requester_ids):
        old |= {requester_id: (summary, ratings) for requester_id, summary, ratings in await connection.execute(
            select(RequesterStats.requester_id, RequesterStats.summary, RequesterStats.ratings)
            .where(RequesterStats.requester_id.in_(chunk)))}
    emptied_requesters = [c for c in computed if c.combined.requester is None and c.requester_id in old]
    for chunk in _chunks([c.requester_id for c in emptied_requesters]):
        await connection.execute(delete(RequesterStats).where(RequesterStats.requester_id.in_(chunk)))
    session.add_all([Tombstone(kind="requester", ref_id=c.requester_id) for c in emptied_requesters if not c.is_demo])
    await upsert_many(session, RequesterStats, [{"requester_id": c.requester_id, **c.combined.requester}
                                                for c in computed if c.combined.requester is not None], ["requester_id"])
    _forget(session, RequesterStats, requester_ids)
    for c in computed:
        summary, ratings = old.get(c.requester_id, (None, None))
        await _move_platform_sums(session, c.platform, pay.SampleSummary(**summary) if summary else pay.SampleSummary(),
                                  ratings or {}, c.combined.summary, c.combined.ratings)
    await session.flush()



def _forget(session: AsyncSession, model: Any, keys: Iterable[int]) -> None:
    """Stats rows were written with Core: objects of them the session loaded earlier are stale."""
    for key in keys:
        stale = session.identity_map.get(identity_key(model, key))
        if stale is not None:
            session.expunge(stale)


async def _move_platform_sums(session: AsyncSession, platform: str, old: pay.SampleSummary, old_ratings: dict,
                              new: pay.SampleSummary, new_ratings: dict) -> None:
    """Platform sums = Σ over its requesters; apply this requester's change as a difference."""
    row = await session.get(PlatformStats, platform)
    if row is None:
        row = PlatformStats(platform=platform, n_completed=0, sum_log_seconds=0.0, approved=0, decided=0, ratings={})
        session.add(row)
    row.n_completed += new.n_completed - old.n_completed
    row.sum_log_seconds += new.sum_log_seconds - old.sum_log_seconds
    row.approved += new.approved - old.approved
    row.decided += new.decided - old.decided
    ratings = {k: list(v) for k, v in (row.ratings or {}).items()}
    for dimension in RATING_DIMENSIONS:
        n_old, s_old = old_ratings.get(dimension, [0, 0.0])
        n_new, s_new = new_ratings.get(dimension, [0, 0.0])
        n, s = ratings.get(dimension, [0, 0.0])
        ratings[dimension] = [n + n_new - n_old, s + s_new - s_old]
    row.ratings = ratings
    row.updated_at = utcnow()


async def rebuild_all(session: AsyncSession, progress: Callable[[int, int], None] | None = None) -> int:
    """Throw all aggregates away and recompute them from reviews and timings. Returns requesters done.

    The caller owns the transaction, so readers see the old aggregates until the new ones are complete.
    The bulk delete leaves no tombstones (nearly every row comes back); only aggregates that existed
    before and are not rebuilt get one, so incremental dumps still learn that they are gone.

    Set-based: requesters are read in chunks of consecutive ids holding about CHUNK_ROWS reviews and
    timings (a bigger requester is a chunk of its own), with three Core selects per chunk, and the results
    are written with bulk inserts. Memory is bounded by the chunk (or the biggest requester), not the database.
    """
    await session.flush()
    before_types = set(await session.scalars(select(TaskTypeStats.task_type_id)))
    before_requesters = set(await session.scalars(select(RequesterStats.requester_id)))
    # Markers of requesters waiting for the settler go too: everything is recomputed here.
    for model in (TaskTypeStats, RequesterStats, PlatformStats, DirtyRequester, TaskTypePart, RequesterPart):
        await session.execute(delete(model).execution_options(synchronize_session=False))
    session.expunge_all()  # stats objects loaded before are gone from the database: never flush them
    requesters = (await session.execute(select(Requester.id, Requester.platform).order_by(Requester.id))).all()
    sizes: Counter[int] = Counter(dict((await session.execute(
        select(Review.requester_id, func.count()).group_by(Review.requester_id))).all()))
    sizes.update(dict((await session.execute(
        select(TaskType.requester_id, func.count()).join(Timing, Timing.task_type_id == TaskType.id)
        .group_by(TaskType.requester_id))).all()))

    now = utcnow()
    platforms = {platform: PlatformSums() for _, platform in requesters}
    done = 0
    for chunk in chunk_by_size([(row, sizes[row[0]]) for row in requesters], CHUNK_ROWS):
        first, last = chunk[0][0], chunk[-1][0]
        connection = await session.connection()
        rewards: dict[int, dict[int, int]] = defaultdict(dict)
        for type_id, requester_id, reward in await connection.execute(
                select(TaskType.id, TaskType.requester_id, TaskType.reward_cents)
                .where(TaskType.requester_id.between(first, last))):
            rewards[requester_id][type_id] = reward
        reviews: dict[int, list[ReviewRow]] = defaultdict(list)
        for review in visible_reviews(await connection.execute(
                _reviews().where(Review.requester_id.between(first, last)).order_by(*ORDER_REVIEWS))):
            reviews[review.requester_id].append(review)
        timings: dict[int, list[tuple[int, int, float, str]]] = defaultdict(list)
        for requester_id, type_id, worker_id, seconds, outcome in await connection.execute(
                _timings().where(TaskType.requester_id.between(first, last)).order_by(*ORDER_TIMINGS)):
            timings[requester_id].append((type_id, worker_id, seconds, OUTCOMES.get(outcome, outcome)))

        type_rows: list[dict[str, Any]] = []
        type_parts: list[dict[str, Any]] = []
        requester_rows: list[dict[str, Any]] = []
        own_parts: list[dict[str, Any]] = []
        for requester_id, platform in chunk:
            note_changed_requester(session, requester_id)
            # Parts, and the figures combined from them: what the write path keeps current (server/domain/parts.py).
            result = _whole(requester_id, platform, False, rewards.pop(requester_id, {}), reviews.pop(requester_id, []),
                            timings.pop(requester_id, []), now)
            for type_id, recomputed in result.types.items():
                if recomputed.row is not None:
                    type_rows.append({"task_type_id": type_id, **recomputed.row})
                    type_parts.append({"task_type_id": type_id, "requester_id": requester_id,
                                       "data": encode_part(recomputed.part)})
            assert result.own is not None
            own_parts.append({"requester_id": requester_id, "data": encode_part(result.own)})
            if result.combined.requester is not None:
                requester_rows.append({"requester_id": requester_id, **result.combined.requester})
            platforms[platform].add(result.combined.summary, result.combined.ratings)
        await _insert_all(session, TaskTypeStats, type_rows)
        await _insert_all(session, TaskTypePart, type_parts)
        await _insert_all(session, RequesterStats, requester_rows)
        await _insert_all(session, RequesterPart, own_parts)
        done += len(chunk)
        if progress:
            progress(done, len(requesters))
    await _insert_all(session, PlatformStats, [sums.row(platform, now) for platform, sums in platforms.items()])
    await _tombstone_vanished(session, before_types, before_requesters)
    return len(requesters)


async def _insert_all(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), WRITE_BATCH):
        await session.execute(insert(model.__table__), rows[start:start + WRITE_BATCH])


async def _tombstone_vanished(session: AsyncSession, before_types: set[int], before_requesters: set[int]) -> None:
    """Tombstones for the aggregates a rebuild did not recreate (of non-demo requesters)."""
    gone_types = before_types - set(await session.scalars(select(TaskTypeStats.task_type_id)))
    gone_requesters = before_requesters - set(await session.scalars(select(RequesterStats.requester_id)))
    if gone_types:
        gone_types = set(await session.scalars(
            select(TaskType.id).join(Requester, Requester.id == TaskType.requester_id)
            .where(TaskType.id.in_(gone_types), Requester.is_demo.is_(False))))
    if gone_requesters:
        gone_requesters = set(await session.scalars(
            select(Requester.id).where(Requester.id.in_(gone_requesters), Requester.is_demo.is_(False))))
    session.add_all([Tombstone(kind="task_type", ref_id=i) for i in sorted(gone_types)]
                    + [Tombstone(kind="requester", ref_id=i) for i in sorted(gone_requesters)])
    await session.flush()
