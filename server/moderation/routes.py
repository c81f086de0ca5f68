"""The moderation API (docs/moderation.md): flagging a review, for any worker, and the queue, decisions and
mutes, for moderators and admins. Logic lives in queries.py (reads) and service.py (writes), which the HTML
moderation pages call too."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import ensure_not_muted, provide_moderator, provide_worker
from server.db.engine import write_transaction
from server.db.models import Worker
from server.errors import ApiError, error_responses
from server.moderation import service
from server.moderation.queries import load_log, load_queue
from server.moderation.schemas import DecisionIn, DecisionOut, FlagIn, FlagOut, LogPage, MuteIn, MuteOut, QueueKind, QueuePage

Cursor = Annotated[str | None, Parameter(max_length=64)]
Limit = Annotated[int, Parameter(ge=1, le=100)]
Handle = Annotated[str, Parameter(min_length=1, max_length=40)]


def mute_out(worker: Worker) -> MuteOut:
    return MuteOut(handle=worker.handle, role=worker.role, muted_until=worker.muted_until, mute_reason=worker.mute_reason)


class ModerationController(Controller):
    path = "/api/v1/moderation"
    tags = ["moderation"]
    dependencies = {"moderator": Provide(provide_moderator)}

    @get("/queue", responses=error_responses(401, 403), summary="Reviews waiting for a moderator (cursor pagination)",
         description="kind=flagged: reviews with open flags, most recently flagged first; held: bursts of low reviews "
                     "from new accounts; hidden: hidden reviews, newest first.")
    async def queue(self, moderator: Worker, db_session: AsyncSession, kind: QueueKind = "flagged",
                    cursor: Cursor = None, limit: Limit = 20) -> QueuePage:
        return await load_queue(db_session, kind, cursor, limit)

    @post("/reviews/{review_id:int}/decision", status_code=200, responses=error_responses(401, 403, 404, 409, 413, 422),
          summary="Hide, restore or dismiss: closes the review's open flags and is logged")
    async def decision(self, review_id: int, data: DecisionIn, moderator: Worker, db_session: AsyncSession) -> DecisionOut:
        ensure_not_muted(moderator)
        async with write_transaction(db_session):
            review, resolved, at = await service.decide(db_session, moderator, review_id, data.action, data.note)
        return DecisionOut(review_id=review.id, action=data.action, status=review.status,  # type: ignore[arg-type]  # the column holds only ReviewStatus values
                           resolved_flags=resolved, decided_at=at)

    @post("/workers/{handle:str}/mute", status_code=200, responses=error_responses(401, 403, 404, 413, 422),
          summary="Mute a worker for some days or hours: no reviews, edits or flags until then")
    async def mute(self, handle: Handle, data: MuteIn, moderator: Worker, db_session: AsyncSession) -> MuteOut:
        if (data.days is None) == (data.hours is None):
            raise ApiError(422, "invalid_field", "Give the length of the mute in `days` or in `hours` (one of them).", "days")
        ensure_not_muted(moderator)
        duration = timedelta(days=data.days) if data.days is not None else timedelta(hours=data.hours or 0)
        async with write_transaction(db_session):
            target = await service.mute(db_session, moderator, handle, duration, data.reason)
        return mute_out(target)

    @delete("/workers/{handle:str}/mute", status_code=200, responses=error_responses(401, 403, 404, 409),
            summary="End a worker's mute now")
    async def unmute(self, handle: Handle, moderator: Worker, db_session: AsyncSession) -> MuteOut:
        ensure_not_muted(moderator)
        async with write_transaction(db_session):
            target = await service.unmute(db_session, moderator, handle)
        return mute_out(target)

    @get("/log", responses=error_responses(401, 403), summary="The moderation log, newest first (cursor pagination)")
    async def log(self, moderator: Worker, db_session: AsyncSession, cursor: Cursor = None, limit: Limit = 50) -> LogPage:
        return await load_log(db_session, cursor, limit)


class ReviewFlagController(Controller):
    """POST /api/v1/reviews/{id}/flags: under the reviews' address and tag, the moderation feature's write."""

    path = "/api/v1/reviews"
    tags = ["reviews"]

    @post("/{review_id:int}/flags", status_code=201, responses=error_responses(401, 403, 404, 409, 413, 422),
          dependencies={"worker": Provide(provide_worker)}, summary="Flag a review that breaks the rules",
          description="One flag per worker per review. A review is hidden once two workers flagged it, one of them "
                      "a moderator, or at once when an admin flags it (docs/moderation.md).")
    async def flag(self, review_id: int, data: FlagIn, worker: Worker, db_session: AsyncSession) -> FlagOut:
        ensure_not_muted(worker)
        async with write_transaction(db_session):
            flag, review = await service.flag_review(db_session, worker, review_id, data.reason, data.note)
        return FlagOut(review_id=review.id, reason=flag.reason, note=flag.note, created_at=flag.created_at,
                       review_status=review.status)  # type: ignore[arg-type]  # the column holds only ReviewStatus values
