"""Create, edit (with history), delete and list reviews: thin handlers over reviews/service.py (writes) and
reviews/queries.py (reads). Flags on reviews are the moderation feature's (server/moderation/routes.py).

Trust and safety (docs/moderation.md): muted workers cannot write, a burst of low reviews from new
accounts is held for a moderator, and reviews that are not visible are shown only to their author and
to moderators.
"""
from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import provide_optional_worker, provide_worker
from server.db.models import Requester, Review, ReviewRevision, Worker
from server.errors import ApiError, error_responses, not_found
from server.requesters.checks import check_platform_parameter
from server.paging import newest_first_by_time
from server.reviews.queries import load_review_outs, own_reviews_query, review_for
from server.reviews.schemas import ReviewIn, ReviewOut, ReviewPage, ReviewPatch, RevisionOut
from server.reviews.service import create_review, delete_review, edit_review


class ReviewController(Controller):
    path = "/api/v1/reviews"
    tags = ["reviews"]

    @post("/", status_code=201, responses=error_responses(400, 401, 403, 409, 413, 422), dependencies={"worker": Provide(provide_worker)},
          summary="Review a task type (or a requester as a whole); one review per worker per task type",
          description="A low review from a new account that completes a burst is stored with status \"held\" "
                      "and does not count until a moderator restores it (docs/moderation.md).")
    async def create(self, data: ReviewIn, worker: Worker, db_session: AsyncSession) -> ReviewOut:
        return await create_review(db_session, worker, data)

    @get("/{review_id:int}", responses=error_responses(401, 404), dependencies={"viewer": Provide(provide_optional_worker)},
         summary="One review", description="Held and hidden reviews: only to their author and to moderators (token).")
    async def read(self, review_id: int, viewer: Worker | None, db_session: AsyncSession) -> ReviewOut:
        review = await review_for(db_session, viewer, review_id)
        return (await load_review_outs(db_session, [review]))[0]

    @get("/{review_id:int}/history", responses=error_responses(401, 404), dependencies={"viewer": Provide(provide_optional_worker)},
         summary="Earlier versions of a review, newest first",
         description="Held and hidden reviews: only to their author and to moderators (token).")
    async def history(self, review_id: int, viewer: Worker | None, db_session: AsyncSession) -> list[RevisionOut]:
        await review_for(db_session, viewer, review_id)
        rows = await db_session.scalars(select(ReviewRevision).where(ReviewRevision.review_id == review_id)
                                        .order_by(ReviewRevision.id.desc()))
        return [RevisionOut(revised_at=r.revised_at, before=r.snapshot) for r in rows]

    @patch("/{review_id:int}", responses=error_responses(400, 401, 403, 404, 413, 422), dependencies={"worker": Provide(provide_worker)}, summary="Edit your review")
    async def edit(self, review_id: int, data: ReviewPatch, worker: Worker, db_session: AsyncSession) -> ReviewOut:
        return await edit_review(db_session, worker, review_id, data)

    @delete("/{review_id:int}", status_code=204, responses=error_responses(401, 403, 404), dependencies={"worker": Provide(provide_worker)},
            summary="Delete your review (and its history); muted workers may too")
    async def remove(self, review_id: int, worker: Worker, db_session: AsyncSession) -> None:
        await delete_review(db_session, worker, review_id)

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
        check_platform_parameter(platform)
        requester_row = await db_session.scalar(select(Requester).where(
            Requester.platform == platform, Requester.external_id == requester.strip()))
        if requester_row is None:
            raise not_found("This requester")
        reviews, next_cursor = await newest_first_by_time(
            db_session, select(Review).where(Review.requester_id == requester_row.id, Review.status == "visible"),
            Review.created_at, Review.id, cursor, limit)
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
        if platform is not None:
            check_platform_parameter(platform)
        if requester is not None and platform is None:
            raise ApiError(400, "invalid_parameter", "requester: give the platform too (platform=mturk, prolific, …).",
                           "platform")
        reviews, next_cursor = await newest_first_by_time(
            db_session, own_reviews_query(worker.id, platform, requester), Review.created_at, Review.id, cursor, limit)
        return ReviewPage(items=await load_review_outs(db_session, reviews), next_cursor=next_cursor)
