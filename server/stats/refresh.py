"""Keeping aggregates current. Every write that changes a requester's data calls
`server.stats.settle.requester_changed` in the same transaction (a group of writes, server/stats/queue.py,
once per requester at the end of the group), which runs `refresh_requesters` at once for small requesters and
leaves big ones to the settler; `rebuild_all` recomputes everything the same way (the two must always agree).

A requester is always recomputed whole: its figures are not sums over its task types (one account counts once
across a requester, title families span task types, bursts are held across the requester:
server/domain/aggregate.py `requester_aggregates`), so no write can recompute only the task types it touched.

Both read rows with Core selects (not ORM objects; with the bonuses of history items captured from the platform's
pages, server/domain/bonus.py) and hand them to the one pure function,
`requester_aggregates`: `refresh_requesters` one requester at a time and writes all of a group's results with
shared statements, `rebuild_all` requesters in chunks of bounded size, written back with bulk inserts.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, and_, delete, func, insert, select, type_coerce, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from server.db.changed import note_changed_requester
from server.db.models import (
    AccountStanding,
    DirtyRequester,
    PlatformStats,
    Requester,
    RequesterStats,
    Review,
    TaskType,
    TaskTypeStats,
    Timing,
    Tombstone,
    Worker,
    WorkHistoryItem,
    utcnow,
)
from server.db.upsert import upsert_many
from server.domain import pay
from server.domain.aggregate import (
    OUTCOMES,
    Aggregates,
    PlatformSums,
    HistoryBonus,
    ReviewRow,
    chunk_by_size,
    requester_aggregates,
    visible_reviews,
)
from server.domain.bonus import BONUS_HISTORY_PLATFORMS, history_bonus_counts
from server.domain.identity import identity_title
from server.domain.vocab import RATING_DIMENSIONS
from server.domain.weights import Standing
from server.stats.background import compute as compute_apart

CHUNK_ROWS = 100_000  # reviews + timings read at once by rebuild_all (more only for one big requester)
WRITE_BATCH = 2_000  # rows per bulk insert
IN_LIST = 5_000  # ids per IN (…) list


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
    """(requester, task type, worker, seconds, outcome, created, bonus) of timings; order by ORDER_TIMINGS."""
    return (select(TaskType.requester_id, Timing.task_type_id, Timing.worker_id, Timing.seconds, Timing.outcome,
                   Timing.created_at, Timing.bonus_cents)
            .join(TaskType, TaskType.id == Timing.task_type_id))


# History items whose bonus may count toward a task's typical bonus (server/domain/bonus.py): captured from the
# platform's own pages, on a platform whose pages show bonuses. history_bonus_counts decides the rest.
_HISTORY_OF_REQUESTER = and_(WorkHistoryItem.platform == Requester.platform,
                             WorkHistoryItem.requester_id == Requester.external_id)


def _history() -> Any:
    """(requester, worker, platform, source, state, title, currency, bonus) of history items that may count."""
    return (select(Requester.id, WorkHistoryItem.worker_id, WorkHistoryItem.platform, WorkHistoryItem.source,
                   WorkHistoryItem.state, WorkHistoryItem.title, WorkHistoryItem.currency, WorkHistoryItem.bonus_cents)
            .join(Requester, _HISTORY_OF_REQUESTER)
            .where(WorkHistoryItem.platform.in_(sorted(BONUS_HISTORY_PLATFORMS)),
                   WorkHistoryItem.source == "platform_page"))


def history_bonuses(rows: Iterable[Any]) -> dict[int, list[HistoryBonus]]:
    """_history rows → per requester, the (family, worker, bonus) of the items whose bonus counts."""
    found: dict[int, list[HistoryBonus]] = defaultdict(list)
    for requester_id, worker_id, platform, source, state, title, currency, bonus in rows:
        if history_bonus_counts(platform, source, state):
            found[requester_id].append(((identity_title(title), currency), worker_id, bonus))
    return found


# What a task type's evidence depends on: its reward, and its family (the same title at other rewards shares
# its evidence about the work: server/domain/aggregate.py).
TYPE_COLUMNS = (TaskType.id, TaskType.reward_cents, TaskType.title_key, TaskType.currency)


# Who gave the evidence: what each account's weight rests on (server/domain/weights.py).
STANDING_COLUMNS = (Worker.id, Worker.created_at, Worker.role, AccountStanding.requesters,
                    AccountStanding.history_requesters, AccountStanding.compared, AccountStanding.agreed)


def _standings_of(worker_ids: Any) -> Any:
    return (select(*STANDING_COLUMNS).outerjoin(AccountStanding, AccountStanding.worker_id == Worker.id)
            .where(Worker.id.in_(worker_ids)))


def standing_of(row: Any) -> Standing:
    _id, created_at, role, requesters, history, compared, agreed = row
    return Standing(created_at=created_at, role=role, requesters=requesters or 0, history_requesters=history or 0,
                    compared=compared or 0, agreed=agreed or 0)


def _workers_of(first: int, last: int) -> Any:
    """The accounts with reviews or timings of requesters first..last (a subquery)."""
    return union(select(Review.worker_id).where(Review.requester_id.between(first, last)),
                 select(Timing.worker_id).join(TaskType, TaskType.id == Timing.task_type_id)
                 .where(TaskType.requester_id.between(first, last)),
                 _history().with_only_columns(WorkHistoryItem.worker_id).where(Requester.id.between(first, last)))


# Oldest first within a report; this order also lets SQLite walk its indexes without sorting.
ORDER_TIMINGS = (TaskType.requester_id, TaskType.id, Timing.id)
ORDER_REVIEWS = (Review.requester_id, Review.id)


async def refresh_requester(session: AsyncSession, requester_id: int) -> None:
    """Recompute one requester's aggregates and those of all its task types, and move the platform sums."""
    await refresh_requesters(session, {requester_id})


async def refresh_requesters(session: AsyncSession, requester_ids: Collection[int]) -> None:
    """refresh_requester for the requesters a group of writes touched: each recomputed whole, once; the stored
    rows written with statements shared by all of them."""
    computed = await compute_requesters(session, requester_ids)
    if computed:
        await store_requesters(session, computed)


@dataclass
class Computed:
    """One requester's aggregates as computed from what a session read (see store_requester)."""

    requester_id: int
    platform: str
    is_demo: bool
    result: Aggregates


STREAM_ROWS = 5_000  # rows per partition when reading in the background (the event loop runs between them)


async def compute_requester(session: AsyncSession, requester_id: int, *, background: bool = False) -> Computed | None:
    """Read one requester's reviews and timings and compute its aggregates; None when it does not exist.

    `background` (the settler): read in partitions and compute in a thread, so that a big requester
    (seconds of work) does not stop the event loop from answering requests meanwhile.
    """
    found = await compute_requesters(session, {requester_id}, background=background)
    return found[0] if found else None


async def compute_requesters(session: AsyncSession, requester_ids: Collection[int], *,
                             background: bool = False) -> list[Computed]:
    """compute_requester for many requesters (a group of writes): each whole, in order of id; requesters that do
    not exist (any more) are left out."""
    await session.flush()  # the caller's pending changes are what we read
    connection = await session.connection()
    ids = sorted(set(requester_ids))
    known: dict[int, tuple[str, bool]] = {}
    for chunk in _chunks(ids):
        for requester_id, platform, is_demo in await connection.execute(
                select(Requester.id, Requester.platform, Requester.is_demo).where(Requester.id.in_(chunk))):
            known[requester_id] = (platform, is_demo)
    return [await _compute_whole(session, requester_id, *known[requester_id], background)
            for requester_id in ids if requester_id in known]


async def _compute_whole(session: AsyncSession, requester_id: int, platform: str, is_demo: bool,
                         background: bool) -> Computed:
    connection = await session.connection()
    rewards, families = _types(await connection.execute(select(*TYPE_COLUMNS).where(TaskType.requester_id == requester_id)))
    standings = {row[0]: standing_of(row) for row in await connection.execute(_standings_of(_workers_of(requester_id, requester_id)))}
    reviews_query = _reviews().where(Review.requester_id == requester_id).order_by(*ORDER_REVIEWS)
    timings_query = _timings().where(TaskType.requester_id == requester_id).order_by(*ORDER_TIMINGS)
    history = history_bonuses(await connection.execute(_history().where(Requester.id == requester_id)))
    if not background:
        reviews = visible_reviews(await connection.execute(reviews_query))
        timings = await connection.execute(timings_query)
        result = requester_aggregates(rewards, reviews, (row[1:] for row in timings), utcnow(), standings, families,
                                      history=history.get(requester_id, ()))
        return Computed(requester_id, platform, is_demo, result)
    review_rows: list[ReviewRow] = []
    async for part in (await connection.stream(reviews_query)).partitions(STREAM_ROWS):
        review_rows += visible_reviews(part)  # now, so that only the compact rows are held
    timing_rows: list[tuple[int, int, float, str, Any, int | None]] = []
    async for part in (await connection.stream(timings_query)).partitions(STREAM_ROWS):
        timing_rows += [(type_id, worker_id, seconds, OUTCOMES.get(outcome, outcome), created, bonus)
                        for _, type_id, worker_id, seconds, outcome, created, bonus in part]
    # in a niced worker process, not a thread: seconds of computing would hold the server's GIL (background.py)
    result = await compute_apart(requester_aggregates, rewards, review_rows, timing_rows, utcnow(), standings,
                                 families, history=history.get(requester_id, ()))
    return Computed(requester_id, platform, is_demo, result)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), IN_LIST):
        yield ids[start:start + IN_LIST]


def _types(rows: Iterable[Any]) -> tuple[dict[int, int], dict[int, tuple[str, str]]]:
    """Rewards and families ((title key, currency)) of task types, from TYPE_COLUMNS rows."""
    rewards: dict[int, int] = {}
    families: dict[int, tuple[str, str]] = {}
    for type_id, reward, title_key, currency in rows:
        rewards[type_id] = reward
        families[type_id] = (title_key, currency)
    return rewards, families


async def store_requester(session: AsyncSession, computed: Computed) -> None:
    await store_requesters(session, [computed])


async def store_requesters(session: AsyncSession, computed: Sequence[Computed]) -> None:
    """Write computed aggregates over the stored ones (tombstones for task types and requesters that lost all
    data) and move the platform sums by the difference. Every statement is shared by all the requesters."""
    for c in computed:
        note_changed_requester(session, c.requester_id)
    requester_ids = [c.requester_id for c in computed]
    connection = await session.connection()
    # Task types: every one with data gets its row; stored rows of the others go (with a tombstone).
    had: dict[int, int] = {}  # task type → requester, of the stored rows
    owner = select(TaskTypeStats.task_type_id, TaskType.requester_id).join(TaskType, TaskType.id == TaskTypeStats.task_type_id)
    for chunk in _chunks(requester_ids):
        had |= dict((await connection.execute(owner.where(TaskType.requester_id.in_(chunk)))).all())
    kept = {type_id for c in computed for type_id in c.result.task_types}
    gone = sorted(had.keys() - kept)
    demo = {c.requester_id for c in computed if c.is_demo}  # the open dump never published theirs
    for chunk in _chunks(gone):
        await connection.execute(delete(TaskTypeStats).where(TaskTypeStats.task_type_id.in_(chunk)))
    session.add_all([Tombstone(kind="task_type", ref_id=type_id) for type_id in gone if had[type_id] not in demo])
    await upsert_many(session, TaskTypeStats, [{"task_type_id": type_id, **values} for c in computed
                                               for type_id, values in c.result.task_types.items()], ["task_type_id"])
    _forget(session, TaskTypeStats, kept | had.keys())

    # Requesters: their rows, and the platform sums moved by each one's difference.
    old: dict[int, tuple[Any, Any]] = {}
    for chunk in _chunks(requester_ids):
        old |= {requester_id: (summary, ratings) for requester_id, summary, ratings in await connection.execute(
            select(RequesterStats.requester_id, RequesterStats.summary, RequesterStats.ratings)
            .where(RequesterStats.requester_id.in_(chunk)))}
    emptied = [c for c in computed if c.result.requester is None and c.requester_id in old]
    for chunk in _chunks([c.requester_id for c in emptied]):
        await connection.execute(delete(RequesterStats).where(RequesterStats.requester_id.in_(chunk)))
    session.add_all([Tombstone(kind="requester", ref_id=c.requester_id) for c in emptied if not c.is_demo])
    await upsert_many(session, RequesterStats, [{"requester_id": c.requester_id, **c.result.requester}
                                                for c in computed if c.result.requester is not None], ["requester_id"])
    _forget(session, RequesterStats, requester_ids)
    for c in computed:
        summary, ratings = old.get(c.requester_id, (None, None))
        await _move_platform_sums(session, c.platform, pay.SampleSummary(**summary) if summary else pay.SampleSummary(),
                                  ratings or {}, c.result.summary, c.result.ratings)
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
    for model in (TaskTypeStats, RequesterStats, PlatformStats, DirtyRequester):
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
        families: dict[int, dict[int, tuple[str, str]]] = defaultdict(dict)
        for type_id, requester_id, reward, title_key, currency in await connection.execute(
                select(TaskType.id, TaskType.requester_id, TaskType.reward_cents, TaskType.title_key, TaskType.currency)
                .where(TaskType.requester_id.between(first, last))):
            rewards[requester_id][type_id] = reward
            families[requester_id][type_id] = (title_key, currency)
        standings = {row[0]: standing_of(row) for row in await connection.execute(_standings_of(_workers_of(first, last)))}
        reviews: dict[int, list[ReviewRow]] = defaultdict(list)
        for review in visible_reviews(await connection.execute(
                _reviews().where(Review.requester_id.between(first, last)).order_by(*ORDER_REVIEWS))):
            reviews[review.requester_id].append(review)
        timings: dict[int, list[tuple[int, int, float, str, Any, int | None]]] = defaultdict(list)
        for requester_id, type_id, worker_id, seconds, outcome, created, bonus in await connection.execute(
                _timings().where(TaskType.requester_id.between(first, last)).order_by(*ORDER_TIMINGS)):
            timings[requester_id].append((type_id, worker_id, seconds, OUTCOMES.get(outcome, outcome), created, bonus))
        history = history_bonuses(await connection.execute(_history().where(Requester.id.between(first, last))))

        type_rows: list[dict[str, Any]] = []
        requester_rows: list[dict[str, Any]] = []
        for requester_id, platform in chunk:
            note_changed_requester(session, requester_id)
            result = requester_aggregates(rewards.pop(requester_id, {}), reviews.pop(requester_id, []),
                                          timings.pop(requester_id, []), now, standings, families.pop(requester_id, {}),
                                          history=history.pop(requester_id, ()))
            type_rows += [{"task_type_id": type_id, **values} for type_id, values in result.task_types.items()]
            if result.requester is not None:
                requester_rows.append({"requester_id": requester_id, **result.requester})
            platforms[platform].add(result.summary, result.ratings)
        await _insert_all(session, TaskTypeStats, type_rows)
        await _insert_all(session, RequesterStats, requester_rows)
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
