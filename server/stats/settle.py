"""Aggregates of big requesters, settled a little after a write instead of in it.

Recomputing a requester reads all its reviews and timings: a few milliseconds for most, seconds for the
few that hold a tenth of all data (docs/benchmarks.md). So a write goes through `requester_changed`:

* a requester with fewer than `sync_refresh_rows` reviews + samples (its stored figures say how many) is
  recomputed in the write's own transaction, as before: the writer reads its change at once;
* a bigger one gets a durable marker in `dirty_requesters` instead, in the same transaction, and the
  scheduler's settle job (server/jobs.py, every FAIRFINDER_SETTLE_SECONDS) recomputes it. Meanwhile every
  read serves its last settled figures.

The settler reads and computes outside the write lock (a read transaction, the computing in a thread),
then writes the result in a short write transaction, removing the marker only if no write came since it
read: a write during settling leaves the requester dirty for the next pass. A requester that has a marker
stays on this path until it is settled, so that a settler's older snapshot never overwrites a fresher
synchronous result. `rebuild_all` removes every marker (it recomputed everything); markers left by a
crash are settled at the next start.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.engine import write_transaction
from server.db.models import DirtyRequester, Requester, RequesterStats, utcnow
from server.stats.refresh import compute_requester, refresh_requesters, store_requester

# session.info keys: reviews + samples from which a requester is settled later (0 or absent: never); while a group
# of writes is written (server/stats/queue.py), the requesters it touched, with their parts (None: all), which
# requester_changed notes there for one recompute at the end of the group instead of recomputing at once.
SYNC_REFRESH_ROWS = "fairfinder_sync_refresh_rows"
DEFERRED_CHANGES = "fairfinder_deferred_changes"


def configure_settling(sessionmaker: async_sessionmaker[AsyncSession], sync_refresh_rows: int) -> None:
    """Sessions of this sessionmaker leave requesters of at least `sync_refresh_rows` to the settler."""
    sessionmaker.configure(info={**sessionmaker.kw.get("info", {}), SYNC_REFRESH_ROWS: sync_refresh_rows})


def settles_later(stored_rows: int | None, limit: int) -> bool:
    """Pure: whether a requester with this many stored reviews + samples is left to the settler."""
    return limit > 0 and stored_rows is not None and stored_rows >= limit


async def requester_changed(session: AsyncSession, requester_id: int, parts: Collection[int] | None = None) -> None:
    """Keep a requester's aggregates current after a write to its reviews or timings (in that write's
    transaction): recompute them now, or mark the requester for the settler when it is big. `parts`: the task
    types the write touched (OWN for a review naming none), so that only those are recomputed; None: all.
    In a group of writes, only noted: the group recomputes each requester once, after its last write."""
    deferred: dict[int, set[int] | None] | None = session.info.get(DEFERRED_CHANGES)
    if deferred is None:
        await requesters_changed(session, {requester_id: parts})
    elif parts is None or deferred.get(requester_id, set()) is None:
        deferred[requester_id] = None
    else:
        deferred.setdefault(requester_id, set()).update(parts)  # type: ignore[union-attr]  # not None: checked above


async def requesters_changed(session: AsyncSession, changed: Mapping[int, Collection[int] | None]) -> None:
    """requester_changed for many requesters at once (a group of writes): one read of their stored sizes and
    markers, one write of the markers, one recompute of the small ones."""
    await session.flush()
    connection = await session.connection()
    limit = session.info.get(SYNC_REFRESH_ROWS) or 0
    now: dict[int, Collection[int] | None] = {}
    marks: list[dict[str, Any]] = []
    ids = sorted(changed)
    for start in range(0, len(ids), 5_000):
        rows = await connection.execute(
            select(Requester.id, RequesterStats.reviews, RequesterStats.summary, DirtyRequester.changes,
                   DirtyRequester.parts).select_from(Requester)
            .outerjoin(RequesterStats, RequesterStats.requester_id == Requester.id)
            .outerjoin(DirtyRequester, DirtyRequester.requester_id == Requester.id)
            .where(Requester.id.in_(ids[start:start + 5_000])))
        for requester_id, reviews, summary, changes, marked in rows:  # no row: no such requester (any more)
            parts = changed[requester_id]
            stored_rows = reviews + int((summary or {}).get("n", 0)) if reviews is not None else None
            big = settles_later(stored_rows, limit)
            if changes is not None:  # marked already: what the settler has not recomputed yet counts as touched
                parts = None if parts is None or marked is None else {*marked, *parts}
            if big or changes is not None:
                marks.append({"requester_id": requester_id, "marked_at": utcnow(), "changes": 1,
                              "parts": None if parts is None else sorted(parts)})
            if not big:
                # Small: recompute now. Should it still have a marker (it shrank, or no settler runs here), the
                # marker was counted up as well, so that a settler pass under way does not keep an older snapshot.
                now[requester_id] = parts
    if marks:
        await connection.execute(_mark_statement(connection.dialect.name), marks)
    if now:
        await refresh_requesters(session, now)


def _mark_statement(dialect: str) -> Any:
    """Insert a requester's marker, or count one more change on it (the settler compares the count) and take
    the parts it now waits for."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(DirtyRequester)
    return statement.on_conflict_do_update(index_elements=["requester_id"], set_={
        "changes": DirtyRequester.changes + 1, "parts": statement.excluded.parts})


@dataclass
class SettleReport:
    settled: int = 0  # recomputed and clean
    still_dirty: int = 0  # recomputed, but written again meanwhile: the next pass takes it
    skipped: int = 0  # settled or rebuilt by someone else meanwhile, or gone
    oldest_seconds: float = 0.0  # how long the oldest marker had waited when the pass began

    def message(self) -> str:
        return (f"settled {self.settled} requesters ({self.still_dirty} written again meanwhile, {self.skipped} "
                f"already settled); the oldest had waited {self.oldest_seconds:.1f} s")

    def counts(self) -> dict[str, Any]:
        return {"settled": self.settled, "still_dirty": self.still_dirty, "skipped": self.skipped,
                "oldest_seconds": round(self.oldest_seconds, 1)}


async def dirty_requesters(sessionmaker: async_sessionmaker[AsyncSession]) -> list[tuple[int, datetime]]:
    """(requester id, marked at) of every marker, oldest first."""
    async with sessionmaker() as session:
        return [(requester_id, marked_at) for requester_id, marked_at in await session.execute(
            select(DirtyRequester.requester_id, DirtyRequester.marked_at).order_by(DirtyRequester.marked_at))]


async def oldest_marker_age(sessionmaker: async_sessionmaker[AsyncSession]) -> float | None:
    """Seconds since the oldest unsettled write to a big requester; None when all are settled."""
    async with sessionmaker() as session:
        oldest = await session.scalar(select(func.min(DirtyRequester.marked_at)))
    return None if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())


async def settle(sessionmaker: async_sessionmaker[AsyncSession]) -> SettleReport:
    """One pass: recompute every requester marked when it began, oldest first, each on its own."""
    markers = await dirty_requesters(sessionmaker)
    report = SettleReport(oldest_seconds=(utcnow() - markers[0][1]).total_seconds() if markers else 0.0)
    for requester_id, _ in markers:
        outcome = await settle_requester(sessionmaker, requester_id)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


async def settle_requester(sessionmaker: async_sessionmaker[AsyncSession], requester_id: int) -> str:
    """Recompute one marked requester: "settled", "still_dirty" or "skipped" (see SettleReport)."""
    async with sessionmaker() as session:
        # The marker first: what is read after it includes every write it counts.
        seen = (await session.execute(select(DirtyRequester.marked_at, DirtyRequester.changes, DirtyRequester.parts)
                                      .where(DirtyRequester.requester_id == requester_id))).first()
        if seen is None:
            return "skipped"
        # Only the parts written since it was last settled (all of them when the marker does not say).
        computed = await compute_requester(session, requester_id, background=True, parts=seen.parts)
    async with sessionmaker() as session, write_transaction(session):
        now = (await session.execute(select(DirtyRequester.marked_at, DirtyRequester.changes)
                                     .where(DirtyRequester.requester_id == requester_id))).first()
        if now is None or now.marked_at != seen.marked_at:
            return "skipped"  # a rebuild (or another settler) recomputed it after we read
        if computed is not None:
            await store_requester(session, computed)
        if now.changes != seen.changes:
            return "still_dirty"
        await session.execute(delete(DirtyRequester).where(DirtyRequester.requester_id == requester_id,
                                                           DirtyRequester.changes == seen.changes))
        return "settled"
