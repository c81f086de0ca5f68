"""Writing another community's ratings (records from scrapers/) into this database.

An import is all or nothing: the caller first reads the whole input once to check it (`check_record` on
every record, and the parser's own checks), then applies it in ONE write transaction. A failure at any
point leaves the database as it was, and the source's cursor and ETag unchanged, so the next run retries
the same input.

Imported data keeps its source: reviews go to `imported_reviews`, aggregates to `source_requester_stats`
and `source_task_type_stats`, all keyed by the source. This community's own aggregates never change;
each worker decides how much other sources count (server/domain/weights.py).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import msgspec
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers import ids
from scrapers.model import Task
from scrapers.ratings import (
    DeletedRecord,
    ImportError_,
    ImportMeta,
    Record,
    RequesterRecord,
    ReviewRecord,
    TaskIdentity,
    TaskTypeRecord,
)
from server.db.changed import note_changed_requester
from server.db.models import (
    ImportedReview,
    Requester,
    Source,
    SourceRequesterStats,
    SourceTaskTypeStats,
    TaskType,
    utcnow,
)
from server.db.upsert import insert_ignore, rows_affected, upsert
from server.domain import pay
from server.domain.aggregate import aggregate_reviews
from server.domain.identity import task_key
from server.domain.vocab import FLAGS, OUTCOMES, RATING_DIMENSIONS
from server.reviews.schemas import MAX_COMMENT
from server.tasks.records import find_requesters, find_task_types, record_tasks

BATCH = 500

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MAX_COUNT = 10**9
_MAX_SECONDS = 7 * 24 * 3600
_MAX_APPROVAL_SECONDS = 365 * 24 * 3600
_MAX_CENTS = 1_000_000


@dataclass
class ImportReport:
    """What an import did (also what the job log shows)."""

    requesters: int = 0
    task_types: int = 0
    reviews: int = 0
    deleted: int = 0
    unknown_flags_dropped: int = 0
    full: bool = False
    touched_requesters: set[int] = field(default_factory=set, repr=False)

    def counts(self) -> dict[str, int | bool]:
        return {"requesters": self.requesters, "task_types": self.task_types, "reviews": self.reviews,
                "deleted": self.deleted, "unknown_flags_dropped": self.unknown_flags_dropped, "full": self.full}


# --- checking (pure) ----------------------------------------------------------------------------------


def _where(record: Record) -> str:
    if isinstance(record, ReviewRecord):
        return f"review {record.id!r}"
    if isinstance(record, DeletedRecord):
        return f"deleted {record.kind} {record.id or record.requester_id!r}"
    kind = "requester" if isinstance(record, RequesterRecord) else "task_type"
    return f"{kind} {record.platform}/{record.requester_id}"


def _fail(record: Record, message: str) -> ImportError_:
    return ImportError_(message, _where(record))


def _check_identity(record: Record, platform: str | None, requester_id: str | None, task: TaskIdentity | None) -> None:
    if (problem := ids.platform_problem(platform)) is not None:
        raise _fail(record, f"platform: {problem}")
    assert platform is not None
    if requester_id is None or (problem := ids.requester_id_problem(platform, requester_id.strip())) is not None:
        raise _fail(record, f"requester_id: {problem or 'is required'}")
    if task is not None:
        if not task.title.strip() or len(task.title) > 500:
            raise _fail(record, "task.title must be 1 to 500 characters, not blank")
        if not 0 <= task.reward_cents <= _MAX_CENTS:
            raise _fail(record, f"task.reward_cents must be between 0 and {_MAX_CENTS}")
        if not _CURRENCY.match(task.currency):
            raise _fail(record, "task.currency must be a three-letter code such as USD")


def _check_count(record: Record, name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_COUNT:
        raise _fail(record, f"{name} must be a whole number from 0 to {_MAX_COUNT}")


def _check_optional(record: Record, name: str, value: float | None, upper: float) -> None:
    if value is not None and not 0 <= value <= upper:
        raise _fail(record, f"{name} must be between 0 and {upper:g}")


def _check_summary(record: Record, summary: dict) -> None:
    if not summary:
        return
    try:
        msgspec.convert(summary, pay.SampleSummary)
    except msgspec.ValidationError as error:
        raise _fail(record, f"summary: {error}") from None


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def check_record(record: Record) -> tuple[Record, int]:
    """The record as it will be stored, and how many unknown flags were dropped from it.

    Raises ImportError_ naming the record for anything we would not accept from a worker either.
    """
    if _holds_nul(msgspec.to_builtins(record)):  # no field of ours takes it, and PostgreSQL cannot store it
        raise _fail(record, "a text field contains the NUL character (\\u0000)")
    if isinstance(record, DeletedRecord):
        if record.kind == "review":
            if not record.id or len(record.id) > 128:
                raise _fail(record, "a deleted review needs its id")
        else:
            _check_identity(record, record.platform, record.requester_id,
                            record.task if record.kind == "task_type" else None)
            if record.kind == "task_type" and record.task is None:
                raise _fail(record, "a deleted task_type needs its task")
        return record, 0
    _check_identity(record, record.platform, record.requester_id, record.task if not isinstance(record, RequesterRecord) else None)
    if len(getattr(record, "name", "") or getattr(record, "requester_name", "")) > 200:
        raise _fail(record, "the requester name is longer than 200 characters")
    if isinstance(record, RequesterRecord):
        for name in ("reviews", "rejections", "blocks"):
            _check_count(record, name, getattr(record, name))
        for dimension, pair in record.ratings.items():
            if dimension not in RATING_DIMENSIONS:
                raise _fail(record, f"ratings.{dimension} is not a rating ({', '.join(RATING_DIMENSIONS)})")
            if len(pair) != 2 or not 0 <= pair[0] <= _MAX_COUNT or not pair[0] <= pair[1] <= 5 * pair[0]:
                raise _fail(record, f"ratings.{dimension} must be [n, sum] with sum between n and 5n")
        for name, value in {**record.recent, **record.flag_counts}.items():
            _check_count(record, name, value)
        _check_optional(record, "approval_seconds", record.approval_seconds, _MAX_APPROVAL_SECONDS)
        _check_optional(record, "median_hourly_cents", record.median_hourly_cents, 100 * _MAX_CENTS)
        _check_summary(record, record.summary)
        return record, 0
    if isinstance(record, TaskTypeRecord):
        _check_count(record, "samples", record.samples)
        _check_count(record, "reviews", record.reviews)
        for name, value in record.flag_counts.items():
            _check_count(record, f"flag_counts.{name}", value)
        _check_summary(record, record.summary)
        return record, 0
    # a review
    if not record.id or len(record.id) > 128:
        raise _fail(record, "a review needs an id of 1 to 128 characters")
    for dimension, rating in record.ratings.items():
        if dimension not in RATING_DIMENSIONS:
            raise _fail(record, f"ratings.{dimension} is not a rating ({', '.join(RATING_DIMENSIONS)})")
        if rating is not None and not 1 <= rating <= 5:
            raise _fail(record, f"ratings.{dimension} must be 1 to 5, or null for n/a")
    if record.outcome is not None and record.outcome not in OUTCOMES:
        raise _fail(record, f"outcome {record.outcome!r} is not one of {', '.join(OUTCOMES)}")
    if record.worked_seconds is not None and not 1 <= record.worked_seconds <= _MAX_SECONDS:
        raise _fail(record, f"worked_seconds must be between 1 and {_MAX_SECONDS}")
    _check_optional(record, "approval_seconds", record.approval_seconds, _MAX_APPROVAL_SECONDS)
    _check_optional(record, "bonus_cents", record.bonus_cents, _MAX_CENTS)
    if len(record.comment) > MAX_COMMENT:
        raise _fail(record, f"the comment is longer than {MAX_COMMENT} characters")
    known = [flag for flag in dict.fromkeys(record.flags) if flag in FLAGS]
    dropped = len(record.flags) - len(known)
    return msgspec.structs.replace(record, flags=known), dropped


def check_all(records: Iterable[Record], progress: Callable[[int], None] | None = None) -> int:
    """Read every record once (the parser's checks and ours) without writing. Returns how many."""
    count = 0
    for record in records:
        check_record(record)
        count += 1
        if progress and count % 1000 == 0:
            progress(count)
    if progress:
        progress(count)
    return count


# --- applying -----------------------------------------------------------------------------------------


async def find_or_add_source(session: AsyncSession, name: str, kind: str, url: str | None = None) -> Source:
    """The source row of this name (created on first use; kind and url follow the configuration)."""
    await insert_ignore(session, Source, [{"name": name, "kind": kind, "url": url, "created_at": utcnow()}])
    source = (await session.scalars(select(Source).where(Source.name == name))).one()
    if source.kind != kind or source.url != url:
        source.kind, source.url = kind, url
    return source


async def apply_import(session: AsyncSession, source: Source, meta: ImportMeta, records: Iterable[Record],
                       progress: Callable[[int], None] | None = None) -> ImportReport:
    """Write checked records. The caller holds the write transaction (and has checked the input)."""
    report = ImportReport(full=meta.full)
    if meta.full:
        # Everything the source has is in the input: what it no longer publishes goes.
        for query in (select(SourceRequesterStats.requester_id).where(SourceRequesterStats.source_id == source.id),
                      select(ImportedReview.requester_id).where(ImportedReview.source_id == source.id).distinct(),
                      select(TaskType.requester_id).join(SourceTaskTypeStats, SourceTaskTypeStats.task_type_id == TaskType.id)
                      .where(SourceTaskTypeStats.source_id == source.id).distinct()):
            report.touched_requesters.update(await session.scalars(query))
        for model in (SourceRequesterStats, SourceTaskTypeStats):
            await session.execute(delete(model).where(model.source_id == source.id))
        # Reviews are replaced in place (their row ids stay); those the input lacks go at the end.
    started = utcnow()
    batch: list[Record] = []
    done = 0
    for record in records:
        checked, dropped = check_record(record)
        report.unknown_flags_dropped += dropped
        batch.append(checked)
        if len(batch) >= BATCH:
            await _apply_batch(session, source, batch, report)
            done += len(batch)
            batch = []
            if progress:
                progress(done)
    if batch:
        await _apply_batch(session, source, batch, report)
        done += len(batch)
    if meta.full:
        await session.execute(delete(ImportedReview).where(ImportedReview.source_id == source.id,
                                                           ImportedReview.imported_at < started))
    if meta.kind == "csv":
        await derive_source_stats(session, source, report.touched_requesters)
    now = utcnow()
    source.last_import_at = now
    if meta.full:
        source.last_full_import_at = now
    if meta.cursor is not None:
        source.cursor = meta.cursor
    for requester_pk in report.touched_requesters:
        note_changed_requester(session, requester_pk)  # annotate caches drop them after the commit
    await session.flush()
    if progress:
        progress(done)
    return report


def _task(platform: str, requester_id: str, requester_name: str, task: TaskIdentity, hit_set_id: str | None = None,
          stated_seconds: int | None = None) -> Task:
    return Task(platform=platform, requester_id=requester_id.strip(), requester_name=requester_name[:200],
                title=task.title.strip(), reward_cents=task.reward_cents, currency=task.currency,
                hit_set_id=hit_set_id, stated_seconds=stated_seconds)


async def _apply_batch(session: AsyncSession, source: Source, batch: list[Record], report: ImportReport) -> None:
    deletions = [r for r in batch if isinstance(r, DeletedRecord)]
    requesters = [r for r in batch if isinstance(r, RequesterRecord)]
    types = [r for r in batch if isinstance(r, TaskTypeRecord)]
    reviews = [r for r in batch if isinstance(r, ReviewRecord)]
    if deletions:
        await _apply_deletions(session, source, deletions, report)

    # Requesters named without a task: make sure they exist (names fill in blanks, never overwrite).
    named: list[RequesterRecord | ReviewRecord] = [*requesters, *(r for r in reviews if r.task is None)]
    plain = [(r.platform, r.requester_id.strip(), getattr(r, "name", "") or getattr(r, "requester_name", ""))
             for r in named]
    if plain:
        await insert_ignore(session, Requester, [{"platform": p, "external_id": i, "name": n[:200], "is_demo": False,
                                                  "first_seen_at": utcnow()} for p, i, n in plain])
    known = await find_requesters(session, {(p, i) for p, i, _ in plain}) if plain else {}
    for p, i, n in plain:
        if n and not known[(p, i)].name:
            known[(p, i)].name = n[:200]

    with_task: list[TaskTypeRecord | ReviewRecord] = [*types, *(r for r in reviews if r.task is not None)]
    recorded = await record_tasks(session, [
        _task(r.platform, r.requester_id, r.requester_name, r.task,  # type: ignore[arg-type]  # not None: filtered above
              getattr(r, "hit_set_id", None), getattr(r, "stated_seconds", None)) for r in with_task
    ], in_transaction=True) if with_task else None
    type_of = {id(r): (recorded.requesters[k].id, recorded.task_types[k].id) for k, r in enumerate(with_task)} if recorded else {}

    now = utcnow()
    if requesters:
        rows = {known[(r.platform, r.requester_id.strip())].id: r for r in requesters}
        await session.execute(delete(SourceRequesterStats).where(
            SourceRequesterStats.source_id == source.id, SourceRequesterStats.requester_id.in_(list(rows))))
        await session.execute(insert(SourceRequesterStats), [{
            "source_id": source.id, "requester_id": pk, "reviews": r.reviews, "summary": r.summary,
            "ratings": r.ratings, "rejections": r.rejections, "blocks": r.blocks, "approval_seconds": r.approval_seconds,
            "median_hourly_cents": r.median_hourly_cents, "recent": r.recent, "flag_counts": r.flag_counts,
            "extra": r.extra, "updated_at": r.updated_at or now,
        } for pk, r in rows.items()])
        report.requesters += len(rows)
        report.touched_requesters.update(rows)
    if types:
        rows_t = {type_of[id(r)][1]: r for r in types}
        await session.execute(delete(SourceTaskTypeStats).where(
            SourceTaskTypeStats.source_id == source.id, SourceTaskTypeStats.task_type_id.in_(list(rows_t))))
        await session.execute(insert(SourceTaskTypeStats), [{
            "source_id": source.id, "task_type_id": type_id, "samples": r.samples, "reviews": r.reviews,
            "summary": r.summary, "flag_counts": r.flag_counts, "updated_at": r.updated_at or now,
        } for type_id, r in rows_t.items()])
        report.task_types += len(rows_t)
        report.touched_requesters.update(type_of[id(r)][0] for r in types)
    if reviews:
        by_id = {r.id: r for r in reviews}
        values = []
        for r in by_id.values():
            if r.task is not None:
                requester_pk, type_id = type_of[id(r)]
            else:
                requester_pk, type_id = known[(r.platform, r.requester_id.strip())].id, None
            report.touched_requesters.add(requester_pk)
            values.append({
                "source_id": source.id, "external_id": r.id, "requester_id": requester_pk, "task_type_id": type_id,
                **{f"rating_{d}": r.ratings.get(d) for d in RATING_DIMENSIONS},
                "worked_seconds": r.worked_seconds, "outcome": r.outcome, "approval_seconds": r.approval_seconds,
                "bonus_cents": r.bonus_cents, "flags": r.flags, "comment": r.comment,
                "created_at": r.created_at or r.updated_at or now, "updated_at": r.updated_at or r.created_at or now,
                "imported_at": now,
            })
        await upsert(session, ImportedReview, values, ["source_id", "external_id"])
        report.reviews += len(values)


async def _apply_deletions(session: AsyncSession, source: Source, deletions: list[DeletedRecord], report: ImportReport) -> None:
    review_ids = [d.id for d in deletions if d.kind == "review" and d.id]
    if review_ids:
        gone = await session.execute(delete(ImportedReview).where(
            ImportedReview.source_id == source.id, ImportedReview.external_id.in_(review_ids))
            .returning(ImportedReview.requester_id))
        pks = list(gone.scalars())
        report.touched_requesters.update(pks)
        report.deleted += len(pks)
    named = [d for d in deletions if d.kind != "review"]
    if not named:
        return
    found = await find_requesters(session, {(d.platform, (d.requester_id or "").strip()) for d in named})  # type: ignore[misc]  # deletions of requesters always name one
    type_keys = []
    for d in named:
        requester = found.get((d.platform, (d.requester_id or "").strip()))  # type: ignore[arg-type]  # as above
        if requester is None:
            continue  # never imported: nothing to delete
        if d.kind == "requester":
            result = await session.execute(delete(SourceRequesterStats).where(
                SourceRequesterStats.source_id == source.id, SourceRequesterStats.requester_id == requester.id))
            report.deleted += rows_affected(result)
            report.touched_requesters.add(requester.id)
        elif d.task is not None:
            type_keys.append((requester.id, task_key(_task(d.platform, d.requester_id, "", d.task))))  # type: ignore[arg-type]  # named: requester_id is set
    for key, task_type in (await find_task_types(session, type_keys)).items():
        result = await session.execute(delete(SourceTaskTypeStats).where(
            SourceTaskTypeStats.source_id == source.id, SourceTaskTypeStats.task_type_id == task_type.id))
        report.deleted += rows_affected(result)
        report.touched_requesters.add(key[0])


async def derive_source_stats(session: AsyncSession, source: Source, requester_pks: Iterable[int]) -> None:
    """Aggregates of a source that publishes only reviews (a CSV), computed from its imported reviews the
    way this community's own are computed from its reviews (server/domain/aggregate.py)."""
    for requester_pk in requester_pks:
        await session.execute(delete(SourceRequesterStats).where(
            SourceRequesterStats.source_id == source.id, SourceRequesterStats.requester_id == requester_pk))
        await session.execute(delete(SourceTaskTypeStats).where(
            SourceTaskTypeStats.source_id == source.id,
            SourceTaskTypeStats.task_type_id.in_(select(TaskType.id).where(TaskType.requester_id == requester_pk))))
        reviews = list(await session.scalars(select(ImportedReview).where(
            ImportedReview.source_id == source.id, ImportedReview.requester_id == requester_pk).order_by(ImportedReview.id)))
        if not reviews:
            continue
        type_ids = {r.task_type_id for r in reviews if r.task_type_id is not None}
        rewards = dict((await session.execute(select(TaskType.id, TaskType.reward_cents).where(TaskType.id.in_(type_ids)))).all()) \
            if type_ids else {}
        result = aggregate_reviews(reviews, rewards, datetime.now(timezone.utc))
        for type_id, values in result.task_types.items():
            session.add(SourceTaskTypeStats(source_id=source.id, task_type_id=type_id, **values))
        assert result.requester is not None  # it has reviews: aggregates always have a requester row then
        session.add(SourceRequesterStats(source_id=source.id, requester_id=requester_pk, extra={}, **result.requester))
    await session.flush()
