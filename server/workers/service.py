"""A worker's account: registering it (the API and the front door's form), everything stored about them as one
document, and deleting it.

`build_export` only reads; `register_worker` and `delete_account` run inside the caller's write transaction
(`delete_account` leaves the aggregates current; docs/privacy.md says what each mode removes).
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from typing import Any, Literal

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import hash_token, new_token, platform_id_hmac
from server.db.models import (
    AccountStanding,
    ModerationAction,
    Requester,
    RequesterNameVote,
    Review,
    ReviewFlag,
    ReviewRevision,
    SavedFilters,
    SignInLink,
    TaskType,
    Timing,
    Token,
    Tombstone,
    Worker,
    WorkerPlatformId,
    WorkHistoryItem,
    utcnow,
)
from server.domain.vocab import RATING_DIMENSIONS
from server.errors import ApiError
from server.history.schemas import history_item_out
from server.stats.settle import requester_changed
from server.workers.schemas import (
    ExportAccount,
    ExportFlag,
    ExportModeration,
    ExportReview,
    ExportRevision,
    ExportSavedFilters,
    ExportTask,
    ExportTiming,
    RegisterIn,
    TokenOut,
    WorkerExport,
)
from server.settings import Settings

DeleteMode = Literal["keep", "delete"]
# Handles of accounts deleted with their reviews kept. Registration refuses the prefix, so a
# "deleted-…" author is always a former member, never someone posing as one.
DELETED_HANDLE_PREFIX = "deleted-"

EXPORT_NOTES = [
    "Linked platform worker IDs are stored only as keyed hashes (HMAC-SHA256 with this server's secret). "
    "They cannot be turned back into the IDs, so only the platforms' names are listed.",
    "Tokens are listed without their values: a token is shown once when issued and only its hash is kept.",
    "Moderation entries never name the moderator.",
    "Reports (flags) other workers made about your reviews are theirs and are not included.",
]


def export_filename(handle: str, now: datetime) -> str:
    """fairfinder-<handle>-YYYYMMDD.json; the handle is reduced to characters safe in a header."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", handle)[:40] or "worker"
    return f"fairfinder-{safe}-{now.astimezone(timezone.utc):%Y%m%d}.json"


def anonymous_handle() -> str:
    return DELETED_HANDLE_PREFIX + secrets.token_hex(8)


def is_reserved_handle(handle: str) -> bool:
    return handle.lower().startswith(DELETED_HANDLE_PREFIX)


def handle_taken(handle: str) -> ApiError:
    return ApiError(409, "handle_taken", f"The handle '{handle}' is taken; choose another.", "handle")


async def register_worker(session: AsyncSession, settings: Settings, data: RegisterIn) -> tuple[Worker, str, Token]:
    """A new worker account with its first token (returned once, stored only as a hash). ApiError 422
    handle_reserved, 409 handle_taken or platform_id_taken; runs in the caller's write transaction."""
    if data.handle is not None and is_reserved_handle(data.handle):
        raise ApiError(422, "handle_reserved", "Handles starting with 'deleted-' are reserved; choose another.", "handle")
    handle = data.handle or f"worker-{secrets.token_hex(4)}"
    token = new_token()
    if await session.scalar(select(Worker.id).where(Worker.handle == handle)):
        raise handle_taken(handle)
    worker = Worker(handle=handle, role="worker")
    session.add(worker)
    try:
        await session.flush()
    except IntegrityError:  # taken by a concurrent registration since the check above
        raise handle_taken(handle) from None
    for link in data.platform_ids:
        session.add(WorkerPlatformId(worker_id=worker.id, platform=link.platform,
                                     id_hmac=platform_id_hmac(settings.secret, link.platform, link.worker_id)))
    token_row = Token(worker_id=worker.id, token_hash=hash_token(token), label=data.token_label)
    session.add(token_row)
    try:
        await session.flush()
    except IntegrityError:
        raise ApiError(409, "platform_id_taken", "One of these platform worker IDs is already linked to another "
                       "account.", "platform_ids") from None
    return worker, token, token_row


def _task(task_type: TaskType | None) -> ExportTask | None:
    if task_type is None:
        return None
    return ExportTask(title=task_type.title, reward_cents=task_type.reward_cents, currency=task_type.currency,
                      hit_set_id=task_type.latest_hit_set_id)


async def build_export(session: AsyncSession, worker: Worker, now: datetime | None = None) -> WorkerExport:
    """Every row this server keeps about `worker`, and nothing of anyone else's."""
    worker_id = worker.id
    own_reviews = select(Review.id).where(Review.worker_id == worker_id)

    platforms = sorted(set(await session.scalars(
        select(WorkerPlatformId.platform).where(WorkerPlatformId.worker_id == worker_id))))
    tokens = [TokenOut(id=t.id, label=t.label, created_at=t.created_at, last_used_at=t.last_used_at,
                       revoked_at=t.revoked_at)
              for t in await session.scalars(select(Token).where(Token.worker_id == worker_id).order_by(Token.id))]

    revisions: dict[int, list[ExportRevision]] = {}
    for revision in await session.scalars(
            select(ReviewRevision).where(ReviewRevision.review_id.in_(own_reviews)).order_by(ReviewRevision.id)):
        revisions.setdefault(revision.review_id, []).append(
            ExportRevision(revised_at=revision.revised_at, before=dict(revision.snapshot or {})))
    reviews = [
        ExportReview(
            id=review.id, platform=requester.platform, requester_id=requester.external_id,
            requester_name=requester.name, task=_task(task_type),
            ratings={d: getattr(review, f"rating_{d}") for d in RATING_DIMENSIONS},
            worked_seconds=review.worked_seconds, outcome=review.outcome, approval_seconds=review.approval_seconds,
            bonus_cents=review.bonus_cents, flags=list(review.flags or []), comment=review.comment,
            status=review.status, status_changed_at=review.status_changed_at, created_at=review.created_at,
            updated_at=review.updated_at, revisions=revisions.get(review.id, []))
        for review, requester, task_type in (await session.execute(
            select(Review, Requester, TaskType).join(Requester, Requester.id == Review.requester_id)
            .outerjoin(TaskType, TaskType.id == Review.task_type_id)
            .where(Review.worker_id == worker_id).order_by(Review.id))).all()
    ]
    timings = [
        ExportTiming(
            id=timing.id, platform=requester.platform, requester_id=requester.external_id,
            requester_name=requester.name, task=_task(task_type),  # type: ignore[arg-type]  # every timing has a task type (inner join)
            assignment_id=timing.assignment_id, accepted_at=timing.accepted_at, ended_at=timing.ended_at,
            seconds=timing.seconds, outcome=timing.outcome, created_at=timing.created_at,
            bonus_cents=timing.bonus_cents)
        for timing, task_type, requester in (await session.execute(
            select(Timing, TaskType, Requester).join(TaskType, TaskType.id == Timing.task_type_id)
            .join(Requester, Requester.id == TaskType.requester_id)
            .where(Timing.worker_id == worker_id).order_by(Timing.id))).all()
    ]
    history = [history_item_out(row) for row in await session.scalars(
        select(WorkHistoryItem).where(WorkHistoryItem.worker_id == worker_id)
        .order_by(WorkHistoryItem.work_date, WorkHistoryItem.id))]
    saved = await session.get(SavedFilters, worker_id)
    flags = [ExportFlag(id=f.id, review_id=f.review_id, reason=f.reason, note=f.note, created_at=f.created_at,
                        resolved_at=f.resolved_at)
             for f in await session.scalars(
                 select(ReviewFlag).where(ReviewFlag.worker_id == worker_id).order_by(ReviewFlag.id))]
    # About them: mutes name them as the worker; hides, holds and restores name one of their reviews.
    moderation = [
        ExportModeration(action=a.action, by="automatic" if a.moderator_id is None else "moderator",
                         review_id=a.review_id, note=a.note, created_at=a.created_at)
        for a in await session.scalars(
            select(ModerationAction)
            .where(or_(ModerationAction.worker_id == worker_id, ModerationAction.review_id.in_(own_reviews)))
            .order_by(ModerationAction.id))
    ]
    return WorkerExport(
        generated_at=now or utcnow(), notes=EXPORT_NOTES,
        account=ExportAccount(id=worker.id, handle=worker.handle, role=worker.role, created_at=worker.created_at,
                              muted_until=worker.muted_until, mute_reason=worker.mute_reason or ""),
        platforms=platforms, tokens=tokens, reviews=reviews, timings=timings, history=history,
        saved_filters=ExportSavedFilters(filters=dict(saved.filters or {}), updated_at=saved.updated_at) if saved else None,
        flags=flags, moderation=moderation)


async def delete_account(session: AsyncSession, worker: Worker, mode: DeleteMode) -> set[int]:
    """Delete `worker` (mode "delete") or anonymize them and leave their reviews (mode "keep").

    Runs in the caller's write transaction. Every row is removed explicitly rather than by ON DELETE
    rules, so the outcome does not depend on the database enforcing foreign keys. Returns the ids of the
    requesters whose aggregates were recomputed.
    """
    worker_id = worker.id
    now = utcnow()
    own_reviews = select(Review.id).where(Review.worker_id == worker_id)
    requesters = set(await session.scalars(select(Review.requester_id).where(Review.worker_id == worker_id)))
    requesters |= set(await session.scalars(
        select(TaskType.requester_id).join(Timing, Timing.task_type_id == TaskType.id)
        .where(Timing.worker_id == worker_id)))

    await session.execute(delete(ReviewFlag).where(ReviewFlag.worker_id == worker_id))
    if mode == "delete":
        published = list(await session.scalars(
            select(Review.id).where(Review.worker_id == worker_id, Review.is_demo.is_(False)).order_by(Review.id)))
        session.add_all([Tombstone(kind="review", ref_id=review_id, deleted_at=now) for review_id in published])
        await session.execute(update(ModerationAction).where(ModerationAction.review_id.in_(own_reviews))
                              .values(review_id=None).execution_options(synchronize_session=False))
        await session.execute(update(ModerationAction).where(ModerationAction.worker_id == worker_id)
                              .values(worker_id=None).execution_options(synchronize_session=False))
        await session.execute(update(ModerationAction).where(ModerationAction.moderator_id == worker_id)
                              .values(moderator_id=None).execution_options(synchronize_session=False))
        await session.execute(delete(ReviewFlag).where(ReviewFlag.review_id.in_(own_reviews))
                              .execution_options(synchronize_session=False))
        await session.execute(delete(ReviewRevision).where(ReviewRevision.review_id.in_(own_reviews))
                              .execution_options(synchronize_session=False))
        await session.execute(delete(Review).where(Review.worker_id == worker_id)
                              .execution_options(synchronize_session=False))
    # Name votes say which requesters' pages the worker saw: they go with the timings. Standing stays while the
    # kept reviews do (it is how much they count).
    gone: tuple[Any, ...] = (Timing, WorkHistoryItem, Token, SignInLink, WorkerPlatformId, SavedFilters,
                             RequesterNameVote, *((AccountStanding,) if mode == "delete" else ()))
    for model in gone:
        await session.execute(delete(model).where(model.worker_id == worker_id)
                              .execution_options(synchronize_session=False))
    if mode == "delete":
        await session.execute(delete(Worker).where(Worker.id == worker_id).execution_options(synchronize_session=False))
        if worker in session:
            session.expunge(worker)  # gone from the database; keep the session from ever flushing it
    else:
        # The row stays only as the author of the kept reviews: no name, no role, no mute.
        await session.execute(update(Worker).where(Worker.id == worker_id).values(
            handle=anonymous_handle(), deleted_at=now, role="worker", muted_until=None, mute_reason="")
            .execution_options(synchronize_session=False))
    await session.flush()
    for requester_id in sorted(requesters):
        await requester_changed(session, requester_id)
    return requesters
