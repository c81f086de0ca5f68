"""Recording the requesters and task types a page showed us, so reviews and timings can attach to them."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple, cast

from sqlalchemy import Table, TextClause, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers.model import Task
from server.db.changed import note_changed_requester
from server.db.engine import write_transaction
from server.db.models import Base, Requester, RequesterNameVote, TaskType, utcnow
from server.db.upsert import rows_affected
from server.domain.identity import TaskKey, task_key
from server.domain.names import NameVote, chosen_name, clean_name


@dataclass(frozen=True)
class Source:
    """Who sent a page or a write: a signed-in account, or an anonymous client (worker_id None). Its names of
    requesters are votes (server/domain/names.py); only a signed-in source may move a known task's batch id."""

    worker_id: int | None

    @property
    def anonymous(self) -> bool:
        return self.worker_id is None


ANONYMOUS = Source(None)


@dataclass(frozen=True)
class Sighting:
    """A name a source gave a stored requester."""

    requester_pk: int
    name: str
    source: Source



async def find_requesters(session: AsyncSession, platform_ids: set[tuple[str, str]]) -> dict[tuple[str, str], Requester]:
    """Requesters by (platform, id). One `platform = ? AND external_id IN (…)` per platform: SQLite
    answers that from the unique index, where a row-value IN would scan it."""
    found: dict[tuple[str, str], Requester] = {}
    by_platform: dict[str, list[str]] = {}
    for platform, external_id in platform_ids:
        by_platform.setdefault(platform, []).append(external_id)
    for platform, ids in by_platform.items():
        rows = await session.scalars(
            select(Requester).where(Requester.platform == platform, Requester.external_id.in_(ids)))
        found.update({(r.platform, r.external_id): r for r in rows})
    return found


# Task types by their exact keys, with one statement of a fixed text whatever the number of keys: the keys go in
# as one JSON array (SQLite) or four arrays (PostgreSQL) and are joined to the unique index
# (requester_id, title_key, reward_cents, currency). A statement built per page (an OR of one term per
# requester) was a new SQL text for almost every page: SQLAlchemy built and compiled it afresh, ~30 ms of CPU
# for a page of 100 tasks nobody had shown this process yet (docs/benchmarks.md "Profiling", issue 16).
_TYPE_COLUMNS = "t.id, t.requester_id, t.title, t.title_key, t.reward_cents, t.currency, t.latest_hit_set_id, " \
                "t.stated_seconds, t.is_demo, t.first_seen_at"
# _TYPE_COLUMNS is a constant column list; every value is a bound parameter.
_TYPES_BY_KEY = {
    "sqlite": text(f"SELECT {_TYPE_COLUMNS} FROM json_each(:keys) AS k JOIN task_types AS t "  # noqa: S608
                   "ON t.requester_id = json_extract(k.value, '$[0]') AND t.title_key = json_extract(k.value, '$[1]') "
                   "AND t.reward_cents = json_extract(k.value, '$[2]') AND t.currency = json_extract(k.value, '$[3]')"),
    "postgresql": text(f"SELECT {_TYPE_COLUMNS} FROM unnest(CAST(:requesters AS bigint[]), CAST(:titles AS text[]), "  # noqa: S608
                       "CAST(:rewards AS integer[]), CAST(:currencies AS text[])) AS k(requester_id, title_key, reward_cents, "
                       "currency) JOIN task_types AS t ON t.requester_id = k.requester_id AND t.title_key = k.title_key "
                       "AND t.reward_cents = k.reward_cents AND t.currency = k.currency"),
}
KEYS_PER_QUERY = 5_000


def _types_by_key(session: AsyncSession, wanted: Sequence[tuple[int, str, int, str]]) -> tuple[TextClause, dict[str, object]]:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return _TYPES_BY_KEY[dialect], {"requesters": [k[0] for k in wanted], "titles": [k[1] for k in wanted],
                                        "rewards": [k[2] for k in wanted], "currencies": [k[3] for k in wanted]}
    return _TYPES_BY_KEY["sqlite"], {"keys": json.dumps(wanted)}


async def find_task_types(session: AsyncSession, keys: Sequence[tuple[int, TaskKey]]) -> dict[tuple[int, str, int, str], TaskType]:
    """Task types (ORM rows) by (requester row id, title_key, reward, currency)."""
    wanted = sorted({(rid, k.title_key, k.reward_cents, k.currency) for rid, k in keys})
    found: dict[tuple[int, str, int, str], TaskType] = {}
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        statement, params = _types_by_key(session, wanted[start:start + KEYS_PER_QUERY])
        rows = await session.scalars(select(TaskType).from_statement(statement), params)
        found.update({(t.requester_id, t.title_key, t.reward_cents, t.currency): t for t in rows})
    return found


class TypeRow(NamedTuple):
    """A task type as annotate's lookups read it (a plain row, not an ORM object)."""

    id: int
    requester_id: int
    latest_hit_set_id: str | None
    stated_seconds: int | None


async def find_type_rows(session: AsyncSession, keys: Sequence[tuple[int, TaskKey]]) -> dict[tuple[int, str, int, str], TypeRow]:
    """Like find_task_types, as plain rows: for reads that need ids, not objects to change."""
    wanted = sorted({(rid, k.title_key, k.reward_cents, k.currency) for rid, k in keys})
    found: dict[tuple[int, str, int, str], TypeRow] = {}
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        statement, params = _types_by_key(session, wanted[start:start + KEYS_PER_QUERY])
        for row in await session.execute(statement, params):
            found[(row.requester_id, row.title_key, row.reward_cents, row.currency)] = TypeRow(
                row.id, row.requester_id, row.latest_hit_set_id, row.stated_seconds)
    return found


async def _lookup_objects(session: AsyncSession, keys: Sequence[TaskKey]
                          ) -> tuple[dict[tuple[str, str], Requester], dict[tuple[int, str, int, str], TaskType]]:
    requesters = await find_requesters(session, {(k.platform, k.requester_id) for k in keys})
    pairs = [(requesters[(k.platform, k.requester_id)].id, k) for k in keys if (k.platform, k.requester_id) in requesters]
    return requesters, await find_task_types(session, pairs)


class Recorded:
    """Requester and task type rows for each task of a page, in page order."""

    def __init__(self, requesters: list[Requester], task_types: list[TaskType]) -> None:
        self.requesters = requesters
        self.task_types = task_types


async def lookup_rows(session: AsyncSession, keys: Sequence[TaskKey]
                      ) -> tuple[dict[tuple[str, str], int], dict[tuple[int, str, int, str], TypeRow]]:
    """The stored requesters' row ids and task types of these keys, as plain rows (read only: what is not
    stored is not in them)."""
    requesters: dict[tuple[str, str], int] = {}
    by_platform: dict[str, set[str]] = {}
    for k in keys:
        by_platform.setdefault(k.platform, set()).add(k.requester_id)
    for platform, ids in by_platform.items():
        for pk, external_id in await session.execute(
                select(Requester.id, Requester.external_id).where(Requester.platform == platform,
                                                                  Requester.external_id.in_(sorted(ids)))):
            requesters[(platform, external_id)] = pk
    pairs = [(requesters[(k.platform, k.requester_id)], k) for k in keys if (k.platform, k.requester_id) in requesters]
    return requesters, await find_type_rows(session, pairs)


def _complete(keys: list[TaskKey], requesters: dict, task_types: dict) -> Recorded | None:
    found_requesters, found_types = [], []
    for k in keys:
        requester = requesters.get((k.platform, k.requester_id))
        if requester is None:
            return None
        task_type = task_types.get((requester.id, k.title_key, k.reward_cents, k.currency))
        if task_type is None:
            return None
        found_requesters.append(requester)
        found_types.append(task_type)
    return Recorded(found_requesters, found_types)


async def record_tasks(session: AsyncSession, tasks: Sequence[Task], *, is_demo: bool = False,
                       in_transaction: bool = False, source: Source | None = None) -> Recorded:
    """Find or create the requester and task type of every task. Writes only when something is new.

    Reads first: a page of known tasks (the common case) costs two indexed SELECTs and no write lock;
    then only the rows the read did not find are written and read back.
    With `in_transaction`, the caller already holds a write transaction and commits it.

    `source`: who sent the tasks. Their requester names are its votes (server/domain/names.py); an anonymous
    source never moves a known task type's batch id (anonymous reads never rewrite shared facts). None (demo
    data, tools): no votes, batch ids move.
    """
    keys = [task_key(t) for t in tasks]
    requesters, task_types = await _lookup_objects(session, keys)
    recorded = _complete(keys, requesters, task_types)
    may_move_batches = source is None or not source.anonymous
    if recorded is not None and not (may_move_batches and _stale_hit_sets(tasks, recorded.task_types)):
        if source is not None and in_transaction:
            await vote_names(session, _sightings(tasks, recorded.requesters, source))
        return recorded

    async def write() -> Recorded:
        # Only what the read did not find is inserted and read back: a page with a few unseen tasks
        # costs a few rows, not a second pass over the whole page. ON CONFLICT DO NOTHING and the
        # read-back cover rows another writer added after our read.
        new_requesters = {(k.platform, k.requester_id) for k in keys} - requesters.keys()
        if new_requesters:
            await _insert_ignore_many(session, Requester, _dedupe([
                {"platform": k.platform, "external_id": k.requester_id, "name": clean_name(t.requester_name),
                 "is_demo": is_demo}
                for t, k in zip(tasks, keys) if (k.platform, k.requester_id) in new_requesters
            ], ("platform", "external_id")))
            requesters.update(await find_requesters(session, new_requesters))
        new_types = [(t, k, requesters[(k.platform, k.requester_id)].id) for t, k in zip(tasks, keys)
                     if (requesters[(k.platform, k.requester_id)].id, k.title_key, k.reward_cents, k.currency)
                     not in task_types]
        if new_types:
            await _insert_ignore_many(session, TaskType, _dedupe([
                {
                    "requester_id": requester_id,
                    "title": t.title[:500], "title_key": k.title_key[:500], "reward_cents": k.reward_cents,
                    "currency": k.currency, "latest_hit_set_id": t.hit_set_id, "stated_seconds": t.stated_seconds,
                    "is_demo": is_demo,
                }
                for t, k, requester_id in new_types
            ], ("requester_id", "title_key", "reward_cents", "currency")))
            task_types.update(await find_task_types(session, [(requester_id, k) for _, k, requester_id in new_types]))
        result = _complete(keys, requesters, task_types)
        assert result is not None
        if may_move_batches:
            for task_type, hit_set_id in _stale_hit_sets(tasks, result.task_types).items():
                await session.execute(update(TaskType).where(TaskType.id == task_type.id)
                                      .values(latest_hit_set_id=hit_set_id))
                task_type.latest_hit_set_id = hit_set_id
        if source is not None:
            await vote_names(session, _sightings(tasks, result.requesters, source))
        return result

    if in_transaction:
        return await write()
    async with write_transaction(session):
        return await write()


def _stale_hit_sets(tasks: Sequence[Task], task_types: Sequence[TaskType]) -> dict[TaskType, str]:
    """Task types whose stored hit_set_id is none of those the page shows for them (→ the page's last one).

    Two batches of the same task can be listed at once; as long as the stored id is one of them,
    nothing is rewritten, so annotate stays read-only for known tasks.
    """
    shown: dict[int, list[str]] = {}
    by_id: dict[int, TaskType] = {}
    for task, task_type in zip(tasks, task_types):
        if task.hit_set_id:
            shown.setdefault(task_type.id, []).append(task.hit_set_id)
            by_id[task_type.id] = task_type
    return {
        by_id[type_id]: ids[-1]
        for type_id, ids in shown.items()
        if by_id[type_id].latest_hit_set_id not in ids
    }


async def _insert_ignore_many(session: AsyncSession, model: type[Base], rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING as one executemany of a fixed statement. A multi-row VALUES list
    (server/db/upsert.py) is a new SQL text for every row count, so SQLAlchemy compiles it afresh each
    time: ~5 ms of CPU per page with unseen tasks, the largest part of recording them (docs/benchmarks.md)."""
    if not rows:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # The Core table, not the ORM entity: an ORM insert of a list takes SQLAlchemy's slower bulk path.
    await session.execute(insert(cast(Table, model.__table__)).on_conflict_do_nothing(), rows)


def _dedupe(rows: list[dict], key_fields: tuple[str, ...]) -> list[dict]:
    seen: dict[tuple, dict] = {}
    for row in rows:
        seen.setdefault(tuple(row[f] for f in key_fields), row)
    return list(seen.values())


async def record_requester(session: AsyncSession, platform: str, external_id: str, name: str = "",
                           *, is_demo: bool = False, source: Source | None = None) -> Requester:
    """Find or create one requester; `name` is `source`'s vote. The caller holds the write transaction."""
    key = (platform, external_id.strip())
    await _insert_ignore_many(session, Requester, [{"platform": key[0], "external_id": key[1],
                                                    "name": clean_name(name), "is_demo": is_demo}])
    requester = (await find_requesters(session, {key}))[key]
    if source is not None and clean_name(name):
        await vote_names(session, [Sighting(requester.id, clean_name(name), source)])
    return requester


# --- names: votes, and the name they choose (server/domain/names.py) ----------------------------------------


def _sightings(tasks: Sequence[Task], requesters: Sequence[Requester], source: Source) -> list[Sighting]:
    return [Sighting(requester.id, name, source) for task, requester in zip(tasks, requesters)
            if (name := clean_name(task.requester_name))]


def _day(moment: datetime) -> date:
    return moment.date()


async def new_votes(session: AsyncSession, sightings: Iterable[Sighting], now: datetime) -> list[Sighting]:
    """The sightings that would change a stored vote (read only): an account's vote that is not yet this name, an
    anonymous name not yet seen today. The rest are votes already cast."""
    wanted = list({(s.requester_pk, s.source.worker_id, s.name): s for s in sightings}.values())
    if not wanted:
        return []
    signed = [s for s in wanted if not s.source.anonymous]
    anonymous = [s for s in wanted if s.source.anonymous]
    stored: set[tuple[int, int | None, str]] = set()
    by_worker: dict[int, set[int]] = {}
    for s in signed:
        assert s.source.worker_id is not None
        by_worker.setdefault(s.source.worker_id, set()).add(s.requester_pk)
    for worker_id, pks in by_worker.items():
        rows = await session.execute(select(RequesterNameVote.requester_id, RequesterNameVote.name).where(
            RequesterNameVote.worker_id == worker_id, RequesterNameVote.requester_id.in_(sorted(pks))))
        stored |= {(requester_id, worker_id, name) for requester_id, name in rows}
    if anonymous:
        rows = await session.execute(select(RequesterNameVote.requester_id, RequesterNameVote.name).where(
            RequesterNameVote.worker_id.is_(None), RequesterNameVote.day == _day(now),
            RequesterNameVote.requester_id.in_(sorted({s.requester_pk for s in anonymous}))))
        stored |= {(requester_id, None, name) for requester_id, name in rows}
    return [s for s in wanted if (s.requester_pk, s.source.worker_id, s.name) not in stored]


async def vote_names(session: AsyncSession, sightings: Iterable[Sighting], now: datetime | None = None) -> set[int]:
    """Store the votes these sightings cast and rename the requesters whose chosen name changes; the caller holds
    the write transaction. Returns the requesters renamed."""
    now = now or utcnow()
    votes = await new_votes(session, sightings, now)
    if not votes:
        return set()
    for vote in votes:
        if vote.source.anonymous:
            continue
        # An account has one vote per requester: its latest name.
        changed = await session.execute(update(RequesterNameVote).where(
            RequesterNameVote.requester_id == vote.requester_pk, RequesterNameVote.worker_id == vote.source.worker_id)
            .values(name=vote.name, seen_at=now).execution_options(synchronize_session=False))
        if not rows_affected(changed):
            await _insert_ignore_many(session, RequesterNameVote, [{
                "requester_id": vote.requester_pk, "worker_id": vote.source.worker_id, "day": None,
                "name": vote.name, "seen_at": now}])
    await _insert_ignore_many(session, RequesterNameVote, [
        {"requester_id": v.requester_pk, "worker_id": None, "day": _day(now), "name": v.name, "seen_at": now}
        for v in votes if v.source.anonymous])
    return await rename_by_votes(session, {v.requester_pk for v in votes})


async def rename_by_votes(session: AsyncSession, requester_pks: set[int]) -> set[int]:
    """Give each of these requesters the name its votes choose (server/domain/names.py); returns those renamed."""
    if not requester_pks:
        return set()
    current = dict((await session.execute(select(Requester.id, Requester.name)
                                          .where(Requester.id.in_(sorted(requester_pks))))).all())
    votes: dict[int, list[NameVote]] = {pk: [] for pk in current}
    for requester_id, worker_id, name, seen_at in await session.execute(
            select(RequesterNameVote.requester_id, RequesterNameVote.worker_id, RequesterNameVote.name,
                   RequesterNameVote.seen_at).where(RequesterNameVote.requester_id.in_(sorted(current)))):
        votes[requester_id].append(NameVote(name=name, signed=worker_id is not None, seen_at=seen_at))
    renamed = set()
    for pk, name in current.items():
        chosen = chosen_name(votes[pk], name)
        if chosen and chosen != name:
            await session.execute(update(Requester).where(Requester.id == pk).values(name=chosen)
                                  .execution_options(synchronize_session=False))
            note_changed_requester(session, pk)
            renamed.add(pk)
    return renamed
