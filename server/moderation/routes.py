"""The moderation API, for moderators and admins (docs/moderation.md). Logic lives in queue.py (reads)
and actions.py (writes), which the HTML moderation page calls too."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import ensure_not_muted, provide_moderator
from server.db.engine import write_transaction
from server.db.models import Worker
from server.errors import ApiError, error_responses
from server.moderation import actions
from server.moderation.queue import load_log, load_queue
from server.moderation.structs import DecisionIn, DecisionOut, LogPage, MuteIn, MuteOut, QueueKind, QueuePage

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
            review, resolved, at = await actions.decide(db_session, moderator, review_id, data.action, data.note)
        return DecisionOut(review_id=review.id, action=data.action, status=review.status,  # type: ignore[arg-type]
                           resolved_flags=resolved, decided_at=at)

    @post("/workers/{handle:str}/mute", status_code=200, responses=error_responses(401, 403, 404, 413, 422),
          summary="Mute a worker for some days or hours: no reviews, edits or flags until then")
    async def mute(self, handle: Handle, data: MuteIn, moderator: Worker, db_session: AsyncSession) -> MuteOut:
        if (data.days is None) == (data.hours is None):
            raise ApiError(422, "invalid_field", "Give the length of the mute in `days` or in `hours` (one of them).", "days")
        ensure_not_muted(moderator)
        duration = timedelta(days=data.days) if data.days is not None else timedelta(hours=data.hours or 0)
        async with write_transaction(db_session):
            target = await actions.mute(db_session, moderator, handle, duration, data.reason)
        return mute_out(target)

    @delete("/workers/{handle:str}/mute", status_code=200, responses=error_responses(401, 403, 404, 409),
            summary="End a worker's mute now")
    async def unmute(self, handle: Handle, moderator: Worker, db_session: AsyncSession) -> MuteOut:
        ensure_not_muted(moderator)
        async with write_transaction(db_session):
            target = await actions.unmute(db_session, moderator, handle)
        return mute_out(target)

    @get("/log", responses=error_responses(401, 403), summary="The moderation log, newest first (cursor pagination)")
    async def log(self, moderator: Worker, db_session: AsyncSession, cursor: Cursor = None, limit: Limit = 50) -> LogPage:
        return await load_log(db_session, cursor, limit)
