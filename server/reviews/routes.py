"""Create, edit (with history), delete, flag and list reviews. Aggregates move in the same transaction.

Trust and safety (docs/moderation.md): muted workers cannot write, a burst of low reviews from new
accounts is held for a moderator, and reviews that are not visible are shown only to their author and
to moderators.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers.model import Task
from server.auth import ensure_not_muted, provide_optional_worker, provide_worker
from server.db.engine import write_transaction
from server.db.models import Requester, Review, ReviewRevision, TaskType, Tombstone, Worker, utcnow
from server.errors import ApiError, error_responses, not_found
from server.moderation.actions import can_see, flag_review, hold_burst, review_is_low
from server.moderation.structs import FlagIn, FlagOut
from server.paging import is_row_id, newest_first
from server.reviews.structs import (FORMER_MEMBER, Ratings, ReviewIn, ReviewOut, ReviewPage, ReviewPatch, RevisionOut,
                                    TaskOut)
from server.reviews.vocab import RATING_DIMENSIONS
from server.stats.settle import requester_changed
from server.tasks.records import record_requester, record_tasks

EDITABLE = ("worked_seconds", "outcome", "approval_seconds", "bonus_cents", "flags", "comment")


def _seconds(worked_seconds: int | None, minutes_worked: float | None) -> int | None:
    if worked_seconds is not None and minutes_worked is not None:
        raise ApiError(422, "invalid_field", "Give worked_seconds or minutes_worked, not both.", "minutes_worked")
    if minutes_worked is not None:
        return max(1, round(minutes_worked * 60))
    return worked_seconds


def _snapshot(review: Review) -> dict[str, Any]:
    snapshot = {name: getattr(review, name) for name in EDITABLE}
    snapshot["ratings"] = {d: getattr(review, f"rating_{d}") for d in RATING_DIMENSIONS}
    snapshot["updated_at"] = review.updated_at.isoformat()
    return snapshot


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
        status=review.status,  # type: ignore[arg-type]
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


async def _review_for(session: AsyncSession, viewer: Worker | None, review_id: int) -> Review:
    """A review the caller may see: held and hidden ones are a 404 except to their author and moderators."""
    review = await session.get(Review, review_id) if is_row_id(review_id) else None
    if review is None or not can_see(review, viewer):
        raise not_found("A review with this id")
    return review


async def _existing_review(session: AsyncSession, worker_id: int, requester_id: int, task_type_id: int | None) -> int | None:
    return await session.scalar(select(Review.id).where(
        Review.worker_id == worker_id, Review.requester_id == requester_id,
        Review.task_type_id == task_type_id if task_type_id is not None else Review.task_type_id.is_(None)))


async def _own_review(session: AsyncSession, worker: Worker, review_id: int) -> Review:
    review = await session.get(Review, review_id) if is_row_id(review_id) else None
    if review is None or not can_see(review, worker):
        raise not_found("A review with this id")
    if review.worker_id != worker.id:
        raise ApiError(403, "not_your_review", "You can only change your own reviews.")
    return review


class ReviewController(Controller):
    path = "/api/v1/reviews"
    tags = ["reviews"]

    @post("/", status_code=201, responses=error_responses(400, 401, 403, 409, 413, 422), dependencies={"worker": Provide(provide_worker)},
          summary="Review a task type (or a requester as a whole); one review per worker per task type",
          description="A low review from a new account that completes a burst is stored with status \"held\" "
                      "and does not count until a moderator restores it (docs/moderation.md).")
    async def create(self, data: ReviewIn, worker: Worker, db_session: AsyncSession) -> ReviewOut:
        ensure_not_muted(worker)
        seconds = _seconds(data.worked_seconds, data.minutes_worked)
        worker_id, handle = worker.id, worker.handle
        reviewed: tuple[int, int | None] | None = None  # (requester, task type) once known
        try:
            async with write_transaction(db_session):
                task_type = None
                if data.task is not None:
                    task = Task(platform=data.platform, requester_id=data.requester_id,
                                requester_name=data.requester_name, title=data.task.title,
                                reward_cents=data.task.reward_cents, currency=data.task.currency,
                                hit_set_id=data.task.hit_set_id)
                    recorded = await record_tasks(db_session, [task], in_transaction=True)
                    requester, task_type = recorded.requesters[0], recorded.task_types[0]
                else:
                    requester = await record_requester(db_session, data.platform, data.requester_id,
                                                       data.requester_name)
                reviewed = (requester.id, task_type.id if task_type else None)
                review = Review(
                    worker_id=worker_id, requester_id=requester.id, task_type_id=reviewed[1],
                    worked_seconds=seconds, outcome=data.outcome, approval_seconds=data.approval_seconds,
                    bonus_cents=data.bonus_cents, flags=sorted(set(data.flags)), comment=data.comment,
                    **{f"rating_{d}": getattr(data.ratings, d) for d in RATING_DIMENSIONS},
                )
                db_session.add(review)
                # One review per worker per task type (or requester): the unique indexes check it as the row
                # goes in, which saves a query on every review; a second one is answered 409 below.
                await db_session.flush()
                # A held review must never have counted: hold before the aggregates are computed.
                if not await hold_burst(db_session, review, worker, created=True):
                    await requester_changed(db_session, requester.id)
        except IntegrityError:
            existing = await _existing_review(db_session, worker_id, *reviewed) if reviewed else None
            if existing is None:
                raise
            raise ApiError(409, "review_exists",
                           f"You already reviewed this; edit review {existing} instead (PATCH /api/v1/reviews/{existing}).") from None
        return review_out(review, requester, task_type, handle, 0)

    @get("/{review_id:int}", responses=error_responses(401, 404), dependencies={"viewer": Provide(provide_optional_worker)},
         summary="One review", description="Held and hidden reviews: only to their author and to moderators (token).")
    async def read(self, review_id: int, viewer: Worker | None, db_session: AsyncSession) -> ReviewOut:
        review = await _review_for(db_session, viewer, review_id)
        return (await load_review_outs(db_session, [review]))[0]

    @get("/{review_id:int}/history", responses=error_responses(401, 404), dependencies={"viewer": Provide(provide_optional_worker)},
         summary="Earlier versions of a review, newest first",
         description="Held and hidden reviews: only to their author and to moderators (token).")
    async def history(self, review_id: int, viewer: Worker | None, db_session: AsyncSession) -> list[RevisionOut]:
        await _review_for(db_session, viewer, review_id)
        rows = await db_session.scalars(select(ReviewRevision).where(ReviewRevision.review_id == review_id)
                                        .order_by(ReviewRevision.id.desc()))
        return [RevisionOut(revised_at=r.revised_at, before=r.snapshot) for r in rows]

    @patch("/{review_id:int}", responses=error_responses(400, 401, 403, 404, 413, 422), dependencies={"worker": Provide(provide_worker)}, summary="Edit your review")
    async def edit(self, review_id: int, data: ReviewPatch, worker: Worker, db_session: AsyncSession) -> ReviewOut:
        ensure_not_muted(worker)
        async with write_transaction(db_session):
            review = await _own_review(db_session, worker, review_id)
            was_low = review_is_low(review)
            changes = {f: getattr(data, f) for f in EDITABLE if getattr(data, f) is not msgspec.UNSET}
            if data.minutes_worked is not msgspec.UNSET:
                if "worked_seconds" in changes:
                    _seconds(1, 1.0)  # both given: the same clear error as on create
                changes["worked_seconds"] = _seconds(None, data.minutes_worked)
            if "flags" in changes:
                changes["flags"] = sorted(set(changes["flags"]))
            rating_changes = {}
            if data.ratings is not msgspec.UNSET:
                # Only the dimensions named change; null sets one to n/a.
                rating_changes = {f"rating_{d}": getattr(data.ratings, d) for d in RATING_DIMENSIONS
                                  if getattr(data.ratings, d) is not msgspec.UNSET}
            if not changes and not rating_changes:
                raise ApiError(422, "nothing_to_change", "The request names no field to change.")
            db_session.add(ReviewRevision(review_id=review.id, snapshot=_snapshot(review)))
            for name, value in {**changes, **rating_changes}.items():
                setattr(review, name, value)
            review.updated_at = utcnow()
            await db_session.flush()
            # An edit that turns a review low can complete a burst as well as a new review can.
            if was_low or not await hold_burst(db_session, review, worker, created=False):
                await requester_changed(db_session, review.requester_id)
        return (await load_review_outs(db_session, [review]))[0]

    @delete("/{review_id:int}", status_code=204, responses=error_responses(401, 403, 404), dependencies={"worker": Provide(provide_worker)},
            summary="Delete your review (and its history); muted workers may too")
    async def remove(self, review_id: int, worker: Worker, db_session: AsyncSession) -> None:
        async with write_transaction(db_session):
            review = await _own_review(db_session, worker, review_id)
            requester_id = review.requester_id
            # The open dump never published demo reviews; held and hidden ones got their tombstone already.
            if not review.is_demo and review.status == "visible":
                db_session.add(Tombstone(kind="review", ref_id=review.id))
            await db_session.delete(review)
            await db_session.flush()
            await requester_changed(db_session, requester_id)

    @post("/{review_id:int}/flags", status_code=201, responses=error_responses(401, 403, 404, 409, 413, 422),
          dependencies={"worker": Provide(provide_worker)}, summary="Flag a review that breaks the rules",
          description="One flag per worker per review. A review is hidden once two workers flagged it, one of them "
                      "a moderator, or at once when an admin flags it (docs/moderation.md).")
    async def flag(self, review_id: int, data: FlagIn, worker: Worker, db_session: AsyncSession) -> FlagOut:
        ensure_not_muted(worker)
        async with write_transaction(db_session):
            flag, review = await flag_review(db_session, worker, review_id, data.reason, data.note)
        return FlagOut(review_id=review.id, reason=flag.reason, note=flag.note, created_at=flag.created_at,
                       review_status=review.status)  # type: ignore[arg-type]

    @get("/", responses=error_responses(400, 404), summary="Reviews of a requester, newest first (cursor pagination)",
         description="Visible reviews only: held and hidden ones wait for, or were removed by, a moderator.")
    async def list_reviews(
        self,
        db_session: AsyncSession,
        platform: Annotated[str, Parameter(min_length=2, max_length=32)],
        requester: Annotated[str, Parameter(min_length=1, max_length=128, description="the platform's requester id")],
        cursor: Annotated[str | None, Parameter(max_length=64)] = None,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
    ) -> ReviewPage:
        requester_row = await db_session.scalar(select(Requester).where(
            Requester.platform == platform, Requester.external_id == requester.strip()))
        if requester_row is None:
            raise not_found("This requester")
        reviews, next_cursor = await newest_first(
            db_session, select(Review).where(Review.requester_id == requester_row.id, Review.status == "visible"),
            Review.id, cursor, limit)
        return ReviewPage(items=await load_review_outs(db_session, reviews), next_cursor=next_cursor)


class OwnReviewController(Controller):
    """The signed-in worker's own reviews, whatever their status: so a client can offer to edit one (after a 409
    `review_exists` too) and compare them with the worker's history."""

    path = "/api/v1/me/reviews"
    tags = ["reviews"]

    @get("/", responses=error_responses(400, 401), dependencies={"worker": Provide(provide_worker)},
         summary="Your own reviews, newest first (cursor pagination); held and hidden ones included",
         description="`platform` and `requester` narrow the list to your reviews of one requester (its task reviews "
                     "and the review of the requester as a whole, whose `task` is null); `requester` needs `platform`.")
    async def list_own(
        self,
        worker: Worker,
        db_session: AsyncSession,
        platform: Annotated[str | None, Parameter(min_length=2, max_length=32)] = None,
        requester: Annotated[str | None, Parameter(min_length=1, max_length=128,
                                                   description="the platform's requester id")] = None,
        cursor: Annotated[str | None, Parameter(max_length=64)] = None,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
    ) -> ReviewPage:
        if requester is not None and platform is None:
            raise ApiError(400, "invalid_parameter", "requester: give the platform too (platform=mturk, prolific, …).",
                           "platform")
        query = select(Review).where(Review.worker_id == worker.id)
        if platform is not None:
            ids = select(Requester.id).where(Requester.platform == platform)
            if requester is not None:
                ids = ids.where(Requester.external_id == requester.strip())
            query = query.where(Review.requester_id.in_(ids))
        reviews, next_cursor = await newest_first(db_session, query, Review.id, cursor, limit)
        return ReviewPage(items=await load_review_outs(db_session, reviews), next_cursor=next_cursor)
