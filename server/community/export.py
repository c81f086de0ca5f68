"""The open ratings dump (docs/ratings-dump.md): what this community publishes for others to import.

`export_ratings` turns one read transaction of the database into gzip-compressed JSON Lines, page by page
(keyset pages of PAGE_SIZE rows by id), so memory stays flat however many reviews there are. The route
`GET /api/v1/export/ratings` and the command `fairfinder export` both send its bytes unchanged.

Only local, non-demo data leaves: requester and task-type aggregates, and visible reviews (not held or
hidden by moderation) without any trace of their authors (no worker ids or handles, no tokens, no
timings). `imported_reviews` and the per-source aggregates (other communities' ratings) are never read here.
"""
from __future__ import annotations

import hashlib
import logging
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, Unpack

import msgspec
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from server.db.models import (
    ImportedReview,
    Requester,
    RequesterStats,
    Review,
    TaskType,
    TaskTypeStats,
    Tombstone,
    utcnow,
)
from server.settings import Settings

SCHEMA = "fairfinder.ratings"
SCHEMA_VERSION = 1
PAGE_SIZE = 1000
# next_since is this much earlier than the moment the dump was read: writes that were committing while
# it was read are never missed (consecutive incremental dumps overlap a little; re-reading is harmless).
CURSOR_OVERLAP = timedelta(minutes=5)
# A `since` this far in the future is a mistake (a clock a little ahead is not).
FUTURE_SLACK = timedelta(minutes=1)
MAX_LINE_BYTES = 1 << 20  # readers refuse longer lines
MEDIA_TYPE = "application/gzip"
LICENCE_URLS = {
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "ODC-By-1.0": "https://opendatacommons.org/licenses/by/1-0/",
    "PDDL-1.0": "https://opendatacommons.org/licenses/pddl/1-0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
}
RATING_DIMENSIONS = ("pay", "fairness", "speed", "communication")

log = logging.getLogger("fairfinder.export")


# --- lines, field for field as docs/ratings-dump.md shows them ---------------------------------------


class TaskLine(msgspec.Struct):
    title: str
    reward_cents: int
    currency: str


class MetaLine(msgspec.Struct, tag="meta", tag_field="type"):
    schema: str
    schema_version: int
    licence: str
    licence_url: str | None
    community: str
    generated_at: str
    full: bool
    since: str | None
    next_since: str


class RequesterLine(msgspec.Struct, tag="requester", tag_field="type"):
    platform: str
    requester_id: str
    name: str
    reviews: int
    ratings: dict[str, Any]
    rejections: int
    blocks: int
    approval_seconds: float | None
    median_hourly_cents: float | None
    recent: dict[str, Any]
    flag_counts: dict[str, Any]
    summary: dict[str, Any]
    updated_at: datetime


class TaskTypeLine(msgspec.Struct, tag="task_type", tag_field="type"):
    platform: str
    requester_id: str
    requester_name: str
    task: TaskLine
    hit_set_id: str | None
    stated_seconds: int | None
    samples: int
    reviews: int
    summary: dict[str, Any]
    flag_counts: dict[str, Any]
    updated_at: datetime


class ReviewLine(msgspec.Struct, tag="review", tag_field="type"):
    id: str
    platform: str
    requester_id: str
    requester_name: str
    task: TaskLine | None
    ratings: dict[str, int | None]
    worked_seconds: int | None
    outcome: str | None
    approval_seconds: int | None
    bonus_cents: int | None
    flags: list[str]
    comment: str
    created_at: datetime
    updated_at: datetime


class DeletedReviewLine(msgspec.Struct, tag="deleted", tag_field="type"):
    kind: Literal["review"]
    id: str


class DeletedRequesterLine(msgspec.Struct, tag="deleted", tag_field="type"):
    kind: Literal["requester"]
    platform: str
    requester_id: str


class DeletedTaskTypeLine(msgspec.Struct, tag="deleted", tag_field="type"):
    kind: Literal["task_type"]
    platform: str
    requester_id: str
    task: TaskLine


class EndLine(msgspec.Struct, tag="end", tag_field="type"):
    records: int


# --- cursors ------------------------------------------------------------------------------------------


def format_cursor(moment: datetime) -> str:
    """ISO-8601 UTC with microseconds and Z: the form of `next_since` (and of `since` in the meta line)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """A `since` cursor as an aware UTC datetime. Raises ValueError with a message for people."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO-8601 date and time; send the next_since of the previous dump") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    if moment > (now or utcnow()) + FUTURE_SLACK:
        raise ValueError(f"{value!r} lies in the future; send the next_since of the previous dump")
    return moment


def dump_filename(generated_at: datetime, since: datetime | None) -> str:
    name = f"fairfinder-ratings-{generated_at.astimezone(timezone.utc):%Y%m%d}"
    if since is not None:
        name += f"-since-{since.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"
    return name + ".jsonl.gz"


# --- what is exported ---------------------------------------------------------------------------------


def _requester_rows(since: datetime | None) -> Select[Unpack[tuple[Any, ...]]]:
    stmt = (
        select(Requester.id, Requester.platform, Requester.external_id, Requester.name, RequesterStats.reviews,
               RequesterStats.ratings, RequesterStats.rejections, RequesterStats.blocks, RequesterStats.approval_seconds,
               RequesterStats.median_hourly_cents, RequesterStats.recent, RequesterStats.flag_counts,
               RequesterStats.summary, RequesterStats.updated_at)
        .join(RequesterStats, RequesterStats.requester_id == Requester.id)
        .where(Requester.is_demo.is_(False))
    )
    return stmt.where(RequesterStats.updated_at >= since) if since is not None else stmt


def _task_type_rows(since: datetime | None) -> Select[Unpack[tuple[Any, ...]]]:
    stmt = (
        select(TaskType.id, Requester.platform, Requester.external_id, Requester.name, TaskType.title,
               TaskType.reward_cents, TaskType.currency, TaskType.latest_hit_set_id, TaskType.stated_seconds,
               TaskTypeStats.samples, TaskTypeStats.reviews, TaskTypeStats.summary, TaskTypeStats.flag_counts,
               TaskTypeStats.updated_at)
        .join(TaskTypeStats, TaskTypeStats.task_type_id == TaskType.id)
        .join(Requester, Requester.id == TaskType.requester_id)
        .where(TaskType.is_demo.is_(False), Requester.is_demo.is_(False))
    )
    return stmt.where(TaskTypeStats.updated_at >= since) if since is not None else stmt


def _review_rows(since: datetime | None) -> Select[Unpack[tuple[Any, ...]]]:
    # Never the worker: no worker_id, no handle. Only what the review says about the work.
    stmt = (
        select(Review.id, Requester.platform, Requester.external_id, Requester.name, TaskType.id.label("task_type_id"),
               TaskType.title, TaskType.reward_cents, TaskType.currency,
               Review.rating_pay, Review.rating_fairness, Review.rating_speed, Review.rating_communication,
               Review.worked_seconds, Review.outcome, Review.approval_seconds, Review.bonus_cents, Review.flags,
               Review.comment, Review.created_at, Review.updated_at)
        .join(Requester, Requester.id == Review.requester_id)
        .outerjoin(TaskType, TaskType.id == Review.task_type_id)
        .where(Review.is_demo.is_(False), Requester.is_demo.is_(False), Review.status == "visible",
               or_(Review.task_type_id.is_(None), TaskType.is_demo.is_(False)))
    )
    if since is None:
        return stmt
    # A review that came back to visible (a moderator restored it) is sent again: its hiding left a
    # tombstone in earlier dumps, and its text did not change.
    return stmt.where(or_(Review.updated_at >= since, Review.status_changed_at >= since))


def _deleted_rows(since: datetime) -> Select[Unpack[tuple[Any, ...]]]:
    """One row per thing deleted since `since` (its latest tombstone), in tombstone order, with the identity
    the dump names it by. Left out: demo things, things whose identity is gone, and aggregates that exist
    again (their record follows in the same dump)."""
    latest = (
        select(func.max(Tombstone.id).label("tombstone_id"), Tombstone.kind, Tombstone.ref_id)
        .where(Tombstone.deleted_at >= since)
        .group_by(Tombstone.kind, Tombstone.ref_id)
        .subquery()
    )
    owner = aliased(Requester)  # the requester of a deleted task type
    return (
        select(latest.c.tombstone_id, latest.c.kind, latest.c.ref_id, Requester.platform, Requester.external_id,
               TaskType.title, TaskType.reward_cents, TaskType.currency, owner.platform, owner.external_id)
        .outerjoin(Requester, and_(latest.c.kind == "requester", Requester.id == latest.c.ref_id))
        .outerjoin(TaskType, and_(latest.c.kind == "task_type", TaskType.id == latest.c.ref_id))
        .outerjoin(owner, owner.id == TaskType.requester_id)
        .outerjoin(RequesterStats, and_(latest.c.kind == "requester", RequesterStats.requester_id == latest.c.ref_id))
        .outerjoin(TaskTypeStats, and_(latest.c.kind == "task_type", TaskTypeStats.task_type_id == latest.c.ref_id))
        .where(or_(
            latest.c.kind == "review",
            and_(latest.c.kind == "requester", Requester.is_demo.is_(False), RequesterStats.requester_id.is_(None)),
            and_(latest.c.kind == "task_type", TaskType.is_demo.is_(False), owner.is_demo.is_(False),
                 TaskTypeStats.task_type_id.is_(None)),
        ))
        .order_by(latest.c.tombstone_id)
    )


def _deleted_line(row: Any) -> msgspec.Struct:
    _, kind, ref_id, platform, external_id, title, reward_cents, currency, owner_platform, owner_external_id = row
    if kind == "review":
        return DeletedReviewLine(kind="review", id=str(ref_id))
    if kind == "requester":
        return DeletedRequesterLine(kind="requester", platform=platform, requester_id=external_id)
    return DeletedTaskTypeLine(kind="task_type", platform=owner_platform, requester_id=owner_external_id,
                               task=TaskLine(title=title, reward_cents=reward_cents, currency=currency))


def _requester_line(row: Any) -> RequesterLine:
    (_, platform, external_id, name, reviews, ratings, rejections, blocks, approval_seconds, median_hourly_cents,
     recent, flag_counts, summary, updated_at) = row
    return RequesterLine(platform=platform, requester_id=external_id, name=name, reviews=reviews, ratings=ratings or {},
                         rejections=rejections, blocks=blocks, approval_seconds=approval_seconds,
                         median_hourly_cents=median_hourly_cents, recent=recent or {}, flag_counts=flag_counts or {},
                         summary=summary or {}, updated_at=updated_at)


def _task_type_line(row: Any) -> TaskTypeLine:
    (_, platform, external_id, name, title, reward_cents, currency, hit_set_id, stated_seconds, samples, reviews,
     summary, flag_counts, updated_at) = row
    return TaskTypeLine(platform=platform, requester_id=external_id, requester_name=name,
                        task=TaskLine(title=title, reward_cents=reward_cents, currency=currency), hit_set_id=hit_set_id,
                        stated_seconds=stated_seconds, samples=samples, reviews=reviews, summary=summary or {},
                        flag_counts=flag_counts or {}, updated_at=updated_at)


def _review_line(row: Any) -> ReviewLine:
    (review_id, platform, external_id, name, task_type_id, title, reward_cents, currency, pay, fairness, speed,
     communication, worked_seconds, outcome, approval_seconds, bonus_cents, flags, comment, created_at, updated_at) = row
    return ReviewLine(
        id=str(review_id), platform=platform, requester_id=external_id, requester_name=name,
        task=TaskLine(title=title, reward_cents=reward_cents, currency=currency) if task_type_id is not None else None,
        ratings=dict(zip(RATING_DIMENSIONS, (pay, fairness, speed, communication))),
        worked_seconds=worked_seconds, outcome=outcome, approval_seconds=approval_seconds, bonus_cents=bonus_cents,
        flags=list(flags or []), comment=comment, created_at=created_at, updated_at=updated_at,
    )


# (rows, the id column to page by, line builder), in the order of the dump after the deleted records.
_KINDS: tuple[tuple[Callable[[datetime | None], Select[Unpack[tuple[Any, ...]]]], Any, Callable[[Any], msgspec.Struct]], ...] = (
    (_requester_rows, Requester.id, _requester_line),
    (_task_type_rows, TaskType.id, _task_type_line),
    (_review_rows, Review.id, _review_line),
)


async def left_out(session: AsyncSession) -> list[tuple[int, str, str]]:
    """What a dump never holds, and why: (how many, what, why), for the counts that are not zero (`fairfinder
    export` says so; docs/ratings-dump.md)."""
    async def count(stmt: Any) -> int:
        return int(await session.scalar(stmt) or 0)

    found = [
        (await count(select(func.count()).select_from(TaskType).where(TaskType.is_demo.is_(True))), "demo task types",
         "demo data is never exported"),
        (await count(select(func.count()).select_from(Review).where(Review.is_demo.is_(True))), "demo reviews",
         "demo data is never exported"),
        (await count(select(func.count()).select_from(Review).where(Review.is_demo.is_(False),
                                                                     Review.status != "visible")),
         "hidden or held reviews", "a moderator hid them, or holds them for a decision; they count nowhere until "
                                   "restored"),
        (await count(select(func.count()).select_from(ImportedReview)), "reviews imported from other communities",
         "they are theirs to publish, in their own dumps"),
    ]
    return [item for item in found if item[0]]


async def count_records(session: AsyncSession, since: datetime | None) -> int:
    """How many records a dump would hold now (for a progress bar; the dump itself may differ a little)."""
    statements = [make(since) for make, _, _ in _KINDS]
    if since is not None:
        statements.append(_deleted_rows(since))
    return sum([await session.scalar(select(func.count()).select_from(s.order_by(None).subquery())) or 0
                for s in statements])


# --- the dump -----------------------------------------------------------------------------------------


class _Writer:
    """Encodes lines into a buffer and hands out gzip bytes, flushed at page boundaries."""

    def __init__(self) -> None:
        self.encoder = msgspec.json.Encoder()
        self.compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip member
        self.buffer = bytearray()
        self.records = 0

    def line(self, obj: msgspec.Struct, *, record: bool = True) -> None:
        start = len(self.buffer)
        self.encoder.encode_into(obj, self.buffer, start)
        if len(self.buffer) - start > MAX_LINE_BYTES:  # cannot happen with our field limits; never break readers
            del self.buffer[start:]
            log.warning("left a %s record out of the dump: its line is longer than %d bytes",
                        obj.__struct_config__.tag, MAX_LINE_BYTES)
            return
        self.buffer.extend(b"\n")
        self.records += record

    def flush(self) -> bytes:
        chunk = self.compressor.compress(self.buffer) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        self.buffer.clear()
        return chunk

    def finish(self) -> bytes:
        chunk = self.compressor.compress(self.buffer) + self.compressor.flush(zlib.Z_FINISH)
        self.buffer.clear()
        return chunk


async def export_ratings(
    session: AsyncSession,
    *,
    since: datetime | None = None,
    licence: str = "ODbL-1.0",
    community: str = "Fairfinder",
    page_size: int = PAGE_SIZE,
    progress: Callable[[int], None] | None = None,
    started: datetime | None = None,
) -> AsyncIterator[bytes]:
    """The dump as gzip chunks: meta, deleted (only with `since`), requester, task_type, review, end.

    Reads in one transaction of `session` (a consistent snapshot: SQLite WAL readers see the database as
    it was at their first read; PostgreSQL gets REPEATABLE READ), which it ends when done. `progress` is
    called with the number of records of each page written.
    """
    started = started or utcnow()  # before the snapshot: next_since never skips a write
    if session.in_transaction():
        await session.commit()
    if session.get_bind().dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    writer = _Writer()
    writer.line(MetaLine(
        schema=SCHEMA, schema_version=SCHEMA_VERSION, licence=licence, licence_url=LICENCE_URLS.get(licence),
        community=community, generated_at=started.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        full=since is None, since=format_cursor(since) if since is not None else None,
        next_since=format_cursor(started - CURSOR_OVERLAP),
    ), record=False)
    try:
        if since is not None:
            # Tombstones are few next to records; one streamed query (grouped, so no keyset over it).
            result = await session.stream(_deleted_rows(since).execution_options(yield_per=page_size))
            async for rows in result.partitions():
                before = writer.records
                for row in rows:
                    writer.line(_deleted_line(row))
                if progress:
                    progress(writer.records - before)
                yield writer.flush()
            await result.close()
        for make, id_column, build in _KINDS:
            stmt = make(since).order_by(id_column).limit(page_size)
            after = 0
            while True:
                rows = (await session.execute(stmt.where(id_column > after))).all()
                if not rows:
                    break
                before = writer.records
                for row in rows:
                    writer.line(build(row))
                after = rows[-1][0]
                if progress:
                    progress(writer.records - before)
                yield writer.flush()
                if len(rows) < page_size:
                    break
        writer.line(EndLine(records=writer.records), record=False)
        yield writer.finish()
    finally:
        if session.in_transaction():
            await session.rollback()  # read only: nothing to keep


async def export_with_new_session(sessionmaker: async_sessionmaker[AsyncSession], **options: Any) -> AsyncIterator[bytes]:
    """`export_ratings` on a session of its own, closed when the dump ends (or the client goes away)."""
    async with sessionmaker() as session:
        async for chunk in export_ratings(session, **options):
            yield chunk


async def full_dump_etag(session: AsyncSession, settings: Settings) -> str:
    """A strong ETag for the full dump, from a few MAX/COUNT queries: it changes whenever a record of the
    dump can have changed (or the licence, community name or schema)."""
    parts: list[Any] = [SCHEMA, SCHEMA_VERSION, settings.dump_licence, settings.community_name]
    for statement in (
        select(func.count(), func.max(RequesterStats.updated_at)).select_from(RequesterStats),
        select(func.count(), func.max(TaskTypeStats.updated_at)).select_from(TaskTypeStats),
        # status_changed_at: a restored review comes back without a tombstone or a new updated_at.
        select(func.count(), func.max(Review.updated_at), func.max(Review.id), func.max(Review.status_changed_at))
        .select_from(Review),
        select(func.count(), func.max(Requester.id)).select_from(Requester),
        select(func.count(), func.max(TaskType.id)).select_from(TaskType),
        select(func.max(Tombstone.id)).select_from(Tombstone),
    ):
        row = (await session.execute(statement)).one()
        parts.extend(value.isoformat() if isinstance(value, datetime) else value for value in row)
    return '"' + hashlib.sha256(msgspec.json.encode(parts)).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))
