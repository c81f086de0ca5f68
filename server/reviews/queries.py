"""Reads of reviews: their wire form (ReviewOut, also in the moderation queue) and the reviews a caller may
see or change."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Requester, Review, ReviewRevision, TaskType, Worker
from server.domain.moderation import can_see
from server.domain.paging import is_row_id
from server.domain.vocab import FORMER_MEMBER, RATING_DIMENSIONS
from server.errors import ApiError, not_found
from server.reviews.schemas import Ratings, ReviewOut, TaskOut


def author_name(handle: str, deleted_at: datetime | None) -> str:
    """A deleted account's reviews stay, anonymized."""
    return FORMER_MEMBER if deleted_at is not None else handle


def review_out(review: Review, requester: Requester, task_type: TaskType | None, author: str, edits: int) -> ReviewOut:
    return ReviewOut(
        id=review.id,
        platform=requester.platform,
        requester_id=requester.external_id,
        requester_name=requester.name,
        task=TaskOut(title=task_type.title, reward_cents=task_type.reward_cents, currency=task_type.currency,
                     hit_set_id=task_type.latest_hit_set_id) if task_type else None,
        ratings=Ratings(**{d: getattr(review, f"rating_{d}") for d in RATING_DIMENSIONS}),
        worked_seconds=review.worked_seconds,
        outcome=review.outcome,
        approval_seconds=review.approval_seconds,
        bonus_cents=review.bonus_cents,
        flags=list(review.flags or []),
        comment=review.comment,
        author=author,
        created_at=review.created_at,
        updated_at=review.updated_at,
        edits=edits,
        status=review.status,  # type: ignore[arg-type]  # the column holds only ReviewStatus values
    )


async def load_review_outs(session: AsyncSession, reviews: list[Review]) -> list[ReviewOut]:
    if not reviews:
        return []
    requesters = {r.id: r for r in await session.scalars(
        select(Requester).where(Requester.id.in_({r.requester_id for r in reviews})))}
    type_ids = {r.task_type_id for r in reviews if r.task_type_id is not None}
    task_types = {t.id: t for t in await session.scalars(select(TaskType).where(TaskType.id.in_(type_ids)))} if type_ids else {}
    authors = {worker_id: author_name(handle, deleted_at) for worker_id, handle, deleted_at in (await session.execute(
        select(Worker.id, Worker.handle, Worker.deleted_at).where(Worker.id.in_({r.worker_id for r in reviews})))).all()}
    edits = dict((await session.execute(
        select(ReviewRevision.review_id, func.count()).where(ReviewRevision.review_id.in_([r.id for r in reviews]))
        .group_by(ReviewRevision.review_id))).all())
    return [
        review_out(r, requesters[r.requester_id], task_types.get(r.task_type_id) if r.task_type_id else None,
                   authors.get(r.worker_id, ""), edits.get(r.id, 0))
        for r in reviews
    ]


async def review_for(session: AsyncSession, viewer: Worker | None, review_id: int) -> Review:
    """A review the caller may see: held and hidden ones are a 404 except to their author and moderators."""
    review = await session.get(Review, review_id) if is_row_id(review_id) else None
    if review is None or not can_see(review, viewer):
        raise not_found("A review with this id")
    return review


async def existing_review(session: AsyncSession, worker_id: int, requester_id: int, task_type_id: int | None) -> int | None:
    return await session.scalar(select(Review.id).where(
        Review.worker_id == worker_id, Review.requester_id == requester_id,
        Review.task_type_id == task_type_id if task_type_id is not None else Review.task_type_id.is_(None)))


async def own_review(session: AsyncSession, worker: Worker, review_id: int) -> Review:
    review = await session.get(Review, review_id) if is_row_id(review_id) else None
    if review is None or not can_see(review, worker):
        raise not_found("A review with this id")
    if review.worker_id != worker.id:
        raise ApiError(403, "not_your_review", "You can only change your own reviews.")
    return review


def own_reviews_query(worker_id: int, platform: str | None, requester: str | None) -> Select[Review]:
    """A worker's own reviews, whatever their status, optionally of one platform or one requester."""
    query = select(Review).where(Review.worker_id == worker_id)
    if platform is not None:
        ids = select(Requester.id).where(Requester.platform == platform)
        if requester is not None:
            ids = ids.where(Requester.external_id == requester.strip())
        query = query.where(Review.requester_id.in_(ids))
    return query


def own_reviews_since(worker_id: int, requester_id: int, since: datetime) -> Select[int]:
    """How many reviews of this requester one account wrote since `since`: read on every review with evidence, so
    it must walk ix_reviews_worker_requester_time (migration 0013), never a busy requester's whole index."""
    return select(func.count()).select_from(Review).where(
        Review.worker_id == worker_id, Review.requester_id == requester_id, Review.updated_at >= since)


def requester_reviews_since(requester_id: int, since: datetime) -> Select[Review, datetime, str]:
    """A requester's reviews written since `since`, with their authors' age and role (ix_reviews_requester_updated)."""
    return (select(Review, Worker.created_at, Worker.role).join(Worker, Worker.id == Review.worker_id)
            .where(Review.requester_id == requester_id, Review.updated_at >= since))
