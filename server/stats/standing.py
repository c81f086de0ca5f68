"""Account standing kept current: what each account's weight rests on beyond its age and role
(server/domain/weights.py `Standing`), and the recomputes its changes call for.

The scheduler's refresh-recent job (server/jobs.py) calls `standing_changes` every run:

* the standing facts of accounts that wrote evidence (reviews, timings) or imported platform history since
  the last run (of every account with any, the first time) are computed again and stored in
  `account_standing`: distinct requesters their visible evidence is about, distinct requesters in their
  history, and on how many task types their typical time met at least two other accounts' and agreed;
* when that changes an account's weight, every requester its evidence is about is recomputed;
* so is every requester reviewed or timed by an account whose age crossed a step since the last run
  (7, 30, 90, 365 days: weights.AGE_STEPS).

Aggregation reads the stored facts (server/stats/refresh.py), so what is kept current on every write and
what a rebuild computes always agree; weights change only here, in the job, and with the account's age.
A whole rebuild (`fairfinder recompute`, `migrate` after an upgrade, `restore`, the demo) goes through
`rebuild_with_standing`, which stores every account's standing first, as the job's first pass would.
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Text, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.engine import write_transaction
from server.db.models import AccountStanding, Review, TaskType, TaskTypeStats, Timing, Worker, WorkHistoryItem, utcnow
from server.db.upsert import upsert
from server.domain.weights import Standing, account_weight, agrees, steps_crossed
from server.stats.refresh import STANDING_COLUMNS, rebuild_all, refresh_requesters, standing_of

BATCH = 500  # accounts computed per round of queries
MAX_TIMINGS = 5_000  # of one account's newest timings compared with others' (enough to judge agreement)
MIN_OTHERS = 2  # other accounts a task type's figure must rest on for a comparison
REBUILD_ROUNDS = 3  # rounds after the rebuild while agreement on the new figures changes a weight


async def standing_changes(sessionmaker: async_sessionmaker[AsyncSession], since: datetime | None,
                           now: datetime | None = None) -> tuple[int, set[int]]:
    """Store the standing of accounts active since `since` (all, when None); return (accounts whose weight
    changed, requesters to recompute: theirs, and those of accounts whose age crossed a step)."""
    now = now or utcnow()
    async with sessionmaker() as session:
        accounts = await _active(session, since)
        stored, changed = await _new_standings(session, accounts, now)
        aged = set()
        if since is not None:
            ranges = steps_crossed(since, now)
            aged = set(await session.scalars(select(Worker.id).where(
                or_(*[Worker.created_at.between(start, end) for start, end in ranges]))))
        requesters = await requesters_of(session, changed | aged)
    if stored:
        async with sessionmaker() as session, write_transaction(session):
            await _store(session, stored)
    return len(changed), requesters


async def rebuild_with_standing(session: AsyncSession, progress: Callable[[int, int], None] | None = None,
                                now: datetime | None = None) -> int:
    """Rebuild every aggregate (server/stats/refresh.py `rebuild_all`) on every account's standing as the
    refresh-recent job would store it, in the caller's transaction. Returns requesters done.

    `fairfinder recompute` (so `migrate` after an upgrade, and `restore`) and the demo use it: aggregates computed
    on no stored standing (as migration 0009 leaves them) or a stale one weighed accounts by age alone, and the
    job's next pass stored their standing and moved figures by cents (issue 18 item 5: one number). Agreement is
    read from the task types' figures the weights make, so the standing is computed again on the new figures and
    the requesters of accounts whose weight that changes are recomputed, while there are any (at most
    REBUILD_ROUNDS times: a round or two in practice; should it not settle, the job carries on from there)."""
    now = now or utcnow()
    accounts = await _active(session, None)
    stored, _ = await _new_standings(session, accounts, now)
    await _store(session, stored)
    done = await rebuild_all(session, progress)
    for _ in range(REBUILD_ROUNDS):
        stored, changed = await _new_standings(session, accounts, now)
        await _store(session, stored)
        if not changed:
            break
        await refresh_requesters(session, await requesters_of(session, changed))  # as the job would
    return done


async def _new_standings(session: AsyncSession, accounts: Sequence[int], now: datetime
                         ) -> tuple[list[dict[str, Any]], set[int]]:
    """The standing rows of these accounts that differ from the stored ones (or are missing), and the accounts
    whose weight that changes."""
    changed: set[int] = set()
    stored: list[dict[str, Any]] = []
    for start in range(0, len(accounts), BATCH):
        batch = accounts[start:start + BATCH]
        old = {row[0]: standing_of(row) for row in await session.execute(_standings(batch))}
        new = await compute_facts(session, batch)
        for worker_id, standing in new.items():
            # No stored row: the account weighed what its age and role alone give.
            before = old.get(worker_id) or Standing(created_at=standing.created_at, role=standing.role)
            if before != standing or worker_id not in old:
                stored.append({"worker_id": worker_id, "requesters": standing.requesters,
                               "history_requesters": standing.history_requesters, "compared": standing.compared,
                               "agreed": standing.agreed, "computed_at": now})
                if account_weight(before, now) != account_weight(standing, now):
                    changed.add(worker_id)
    return stored, changed


async def _store(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 500):
        await upsert(session, AccountStanding, rows[start:start + 500], ["worker_id"])


def _standings(worker_ids: Sequence[int]) -> Any:
    return (select(*STANDING_COLUMNS).join(AccountStanding, AccountStanding.worker_id == Worker.id)
            .where(Worker.id.in_(worker_ids)))


async def _active(session: AsyncSession, since: datetime | None) -> list[int]:
    """Accounts that wrote reviews or timings, or imported history, since `since` (every one with any: None)."""
    queries = [select(Review.worker_id), select(Timing.worker_id), select(WorkHistoryItem.worker_id)]
    if since is not None:
        queries = [select(Review.worker_id).where(Review.updated_at >= since),
                   select(Timing.worker_id).where(Timing.created_at >= since),
                   select(WorkHistoryItem.worker_id).where(WorkHistoryItem.updated_at >= since)]
    found: set[int] = set()
    for query in queries:
        found.update(await session.scalars(query.distinct()))
    return sorted(found)


async def requesters_of(session: AsyncSession, worker_ids: Iterable[int]) -> set[int]:
    """Requesters these accounts' reviews or timings are about."""
    ids = sorted(set(worker_ids))
    out: set[int] = set()
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        out.update(await session.scalars(select(Review.requester_id).where(Review.worker_id.in_(batch)).distinct()))
        out.update(await session.scalars(select(TaskType.requester_id).join(Timing, Timing.task_type_id == TaskType.id)
                                         .where(Timing.worker_id.in_(batch)).distinct()))
    return out


async def compute_facts(session: AsyncSession, worker_ids: Sequence[int]) -> dict[int, Standing]:
    """The standing of these accounts as their stored evidence shows it now."""
    base = {worker_id: Standing(created_at=created_at, role=role) for worker_id, created_at, role in
            await session.execute(select(Worker.id, Worker.created_at, Worker.role).where(Worker.id.in_(worker_ids)))}
    evidence = (select(Review.worker_id.label("worker_id"), Review.requester_id.label("requester_id"))
                .where(Review.worker_id.in_(worker_ids), Review.status == "visible")
                .union(select(Timing.worker_id, TaskType.requester_id).join(TaskType, TaskType.id == Timing.task_type_id)
                       .where(Timing.worker_id.in_(worker_ids)))).subquery()
    requesters: dict[int, int] = dict((await session.execute(
        select(evidence.c.worker_id, func.count()).group_by(evidence.c.worker_id))).all())
    history: dict[int, int] = dict((await session.execute(
        select(WorkHistoryItem.worker_id, func.count(func.distinct(WorkHistoryItem.platform + ":" + WorkHistoryItem.requester_id)))
        .where(WorkHistoryItem.worker_id.in_(worker_ids)).group_by(WorkHistoryItem.worker_id))).all())
    compared, agreed = await _agreement(session, worker_ids)
    return {worker_id: Standing(created_at=standing.created_at, role=standing.role,
                                requesters=int(requesters.get(worker_id, 0)), history_requesters=int(history.get(worker_id, 0)),
                                compared=compared.get(worker_id, 0), agreed=agreed.get(worker_id, 0))
            for worker_id, standing in base.items()}


async def _agreement(session: AsyncSession, worker_ids: Sequence[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Per account: task types where its typical time (median) could be set beside the task type's figure
    resting on at least MIN_OTHERS other accounts, and those where it agreed (server/domain/weights.py agrees)."""
    logs: dict[tuple[int, int], list[float]] = defaultdict(list)
    for worker_id in worker_ids:
        for type_id, seconds in await session.execute(
                select(Timing.task_type_id, Timing.seconds).where(Timing.worker_id == worker_id, Timing.outcome != "returned")
                .order_by(Timing.id.desc()).limit(MAX_TIMINGS)):
            if seconds and seconds > 0:
                logs[(worker_id, type_id)].append(math.log(seconds))
    types = sorted({type_id for _, type_id in logs})
    others: dict[int, tuple[float, int]] = {}
    for start in range(0, len(types), BATCH):
        for type_id, stored in await session.execute(
                select(TaskTypeStats.task_type_id, type_coerce(TaskTypeStats.summary, Text))
                .where(TaskTypeStats.task_type_id.in_(types[start:start + BATCH]))):
            found = _median_and_accounts(stored)
            if found is not None:
                others[type_id] = found
    compared: dict[int, int] = defaultdict(int)
    agreed: dict[int, int] = defaultdict(int)
    for (worker_id, type_id), values in logs.items():
        figure = others.get(type_id)
        if figure is None or figure[1] - 1 < MIN_OTHERS:
            continue
        compared[worker_id] += 1
        agreed[worker_id] += agrees(statistics.median(values), figure[0])
    return compared, agreed


def _median_and_accounts(stored: Any) -> tuple[float, int] | None:
    if not stored:
        return None
    data = msgspec.json.decode(stored) if isinstance(stored, (str, bytes)) else stored
    if not isinstance(data, dict):
        return None
    median_log, accounts = data.get("median_log_seconds"), data.get("accounts")
    if not isinstance(median_log, (int, float)) or not isinstance(accounts, int):
        return None
    return float(median_log), accounts
