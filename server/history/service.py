"""Storing a worker's history: the merge rule of re-import (pure), the batched upsert and deleting (reads: queries.py).

The rule (docs/history.md): rows are keyed by (worker, platform, assignment_id). A state only moves forward:
pending -> any decided state (approved, rejected, returned, screened_out); a decided state is never set back
to pending by an older page, but may change to another decided state (a requester can reverse a rejection).
Bonuses only grow (MTurk's status pages carry none, so a page must not erase one). Times, the task id, the
requester's name and feedback are never erased by an empty value; everything else takes the uploaded value.
`updated_at` moves only when something changed. Times measured by one of the worker's own timings with the
same (platform, assignment_id) fill started_at/ended_at when both are empty.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers.model import HistoryItem
from server.db.models import Requester, TaskType, Timing, WorkHistoryItem
from server.db.upsert import rows_affected
from server.domain.bonus import BONUS_HISTORY_PLATFORMS
from server.domain.earnings import PLATFORM_PAGE, SELF_REPORTED
from server.stats.settle import requesters_changed

# The columns an upload sets; id, worker_id, platform, assignment_id (the key) and the two stamps are not among them.
VALUE_FIELDS = ("task_id", "requester_id", "requester_name", "title", "reward_cents", "bonus_cents", "currency",
                "state", "work_date", "started_at", "ended_at", "requester_feedback")
Key = tuple[str, str]  # (platform, assignment_id)
Times = tuple[datetime, datetime]  # (started_at, ended_at) of a measured timing


def merge(current: Mapping[str, Any] | None, item: HistoryItem) -> dict[str, Any]:
    """The values a row holds after `item` arrives on top of `current` (None: there is no row yet)."""
    new = {name: getattr(item, name) for name in VALUE_FIELDS}
    if current is None:
        return new
    if new["state"] == "pending" and current["state"] != "pending":
        new["state"] = current["state"]  # an older page never undoes a decision
    new["bonus_cents"] = max(new["bonus_cents"], current["bonus_cents"])
    for name in ("task_id", "started_at", "ended_at"):
        if new[name] is None:
            new[name] = current[name]
    for name in ("requester_name", "requester_feedback"):
        if not new[name]:
            new[name] = current[name]
    return new


def fill_times(values: dict[str, Any], measured: Times | None) -> dict[str, Any]:
    """`values` with the measured times of a matching timing when the row has no times of its own."""
    if measured is not None and values["started_at"] is None and values["ended_at"] is None:
        return {**values, "started_at": measured[0], "ended_at": measured[1]}
    return values


def changes(current: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in new.items() if current[name] != value}


@dataclass
class Counts:
    received: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0


def _values(row: WorkHistoryItem) -> dict[str, Any]:
    return {name: getattr(row, name) for name in VALUE_FIELDS}


def _by_platform(keys: Iterable[Key]) -> dict[str, list[str]]:
    grouped: dict[str, set[str]] = defaultdict(set)
    for platform, assignment_id in keys:
        grouped[platform].add(assignment_id)
    return {platform: sorted(ids) for platform, ids in sorted(grouped.items())}


async def _existing(session: AsyncSession, worker_id: int, keys: set[Key]) -> dict[Key, WorkHistoryItem]:
    """The worker's rows for these keys, in one query."""
    grouped = _by_platform(keys)
    query = select(WorkHistoryItem).where(WorkHistoryItem.worker_id == worker_id, or_(*(
        and_(WorkHistoryItem.platform == platform, WorkHistoryItem.assignment_id.in_(ids))
        for platform, ids in grouped.items())))
    return {(row.platform, row.assignment_id): row for row in await session.scalars(query)}


async def _measured(session: AsyncSession, worker_id: int, keys: set[Key]) -> dict[Key, Times]:
    """Times of the worker's own timings for these keys, in one query (a timing's platform is its requester's)."""
    query = (select(Requester.platform, Timing.assignment_id, Timing.accepted_at, Timing.ended_at)
             .join(TaskType, TaskType.id == Timing.task_type_id)
             .join(Requester, Requester.id == TaskType.requester_id)
             .where(Timing.worker_id == worker_id, Timing.assignment_id.in_(sorted({a for _, a in keys}))))
    return {(platform, assignment_id): (accepted, ended)
            for platform, assignment_id, accepted, ended in (await session.execute(query)).all()
            if assignment_id is not None
            if (platform, assignment_id) in keys}


async def import_items(session: AsyncSession, worker_id: int, items: list[HistoryItem], now: datetime,
                       source: str = SELF_REPORTED) -> Counts:
    """Upsert `items` into the worker's history; runs in the caller's write transaction. Whatever the number of
    items: two reads, one batched INSERT (executemany) and the changed rows' UPDATEs batched at the flush.

    `source` is how they arrived (WorkHistoryItem.source): a platform page marks every row it holds
    "platform_page"; self-reported items mark a row "self_reported" when they change it."""
    counts = Counts(received=len(items))
    if not items:
        return counts
    keys = {(item.platform, item.assignment_id) for item in items}
    rows = await _existing(session, worker_id, keys)
    measured = await _measured(session, worker_id, keys)
    added: dict[Key, dict[str, Any]] = {}  # new rows of this upload, as the values they will be inserted with
    touched: set[tuple[str, str]] = set()  # (platform, requester) whose captured bonuses may have changed
    for item in items:
        key = (item.platform, item.assignment_id)
        row = rows.get(key)
        current = _values(row) if row is not None else added.get(key)
        if current is None:
            added[key] = fill_times(merge(None, item), measured.get(key))
            counts.added += 1
            if source == PLATFORM_PAGE:
                touched.add((item.platform, item.requester_id))
            continue
        changed = changes(current, fill_times(merge(current, item), measured.get(key)))
        if PLATFORM_PAGE in (source, row.source if row is not None else source) and (
                changed or (row is not None and row.source != source)):
            touched |= {(item.platform, current["requester_id"]), (item.platform, item.requester_id)}
        if row is not None and (source == PLATFORM_PAGE or changed) and row.source != source:
            row.source = source
        if not changed:
            counts.unchanged += 1
            continue
        counts.updated += 1
        if row is None:  # the same key earlier in this upload
            current.update(changed)
            continue
        for name, value in changed.items():
            setattr(row, name, value)
        row.updated_at = now
    if added:
        await session.execute(insert(WorkHistoryItem), [
            {"worker_id": worker_id, "platform": platform, "assignment_id": assignment_id, "imported_at": now,
             "updated_at": now, "source": source, **values} for (platform, assignment_id), values in added.items()])
    await session.flush()
    await bonuses_changed(session, touched)
    return counts


async def bonuses_changed(session: AsyncSession, touched: Iterable[tuple[str, str]]) -> None:
    """Captured history items count toward their task's typical bonus (server/domain/bonus.py): their requesters'
    aggregates are recomputed like after a timing (only on platforms whose history pages show bonuses)."""
    wanted = sorted({(platform, requester) for platform, requester in touched if platform in BONUS_HISTORY_PLATFORMS})
    ids: set[int] = set()
    for start in range(0, len(wanted), 500):
        ids |= set(await session.scalars(select(Requester.id).where(or_(*(
            and_(Requester.platform == platform, Requester.external_id == requester)
            for platform, requester in wanted[start:start + 500])))))
    if ids:
        await requesters_changed(session, ids)


# --- listing -----------------------------------------------------------------------------------------------


async def delete_history(session: AsyncSession, worker_id: int, platform: str | None = None) -> int:
    """Remove the worker's history (of one platform, or all); returns the number of rows removed."""
    query = delete(WorkHistoryItem).where(WorkHistoryItem.worker_id == worker_id)
    captured = select(WorkHistoryItem.platform, WorkHistoryItem.requester_id).distinct().where(
        WorkHistoryItem.worker_id == worker_id, WorkHistoryItem.source == PLATFORM_PAGE,
        WorkHistoryItem.platform.in_(sorted(BONUS_HISTORY_PLATFORMS)))
    if platform is not None:
        query = query.where(WorkHistoryItem.platform == platform)
        captured = captured.where(WorkHistoryItem.platform == platform)
    touched = [(p, r) for p, r in (await session.execute(captured)).all()]
    result = await session.execute(query.execution_options(synchronize_session=False))
    await bonuses_changed(session, touched)  # their bonuses no longer count
    return rows_affected(result)
