"""Moderation writes: flags (and the automatic hides they cause), moderators' decisions, mutes.

Each function runs inside the caller's write transaction (`async with write_transaction(session)`) and
leaves the aggregates current. The JSON routes (server/moderation/routes.py) and the HTML moderation pages
call the same functions. The rules themselves are in server/domain/moderation.py; holding bursts is part of
the review write (server/reviews/service.py).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import ModerationAction, Review, ReviewFlag, Worker, utcnow
from server.db.upsert import rows_affected
from server.domain.moderation import can_see, is_moderator, is_muted, may_mute, should_hide
from server.domain.paging import is_row_id
from server.errors import ApiError, not_found
from server.reviews.service import set_status
from server.stats.settle import requester_changed

# --- flags ------------------------------------------------------------------------------------------


async def flag_review(session: AsyncSession, worker: Worker, review_id: int, reason: str, note: str
                      ) -> tuple[ReviewFlag, Review]:
    """Store a worker's flag; hide the review when its open flags say so (should_hide)."""
    note = note.strip()
    if reason == "other" and not note:
        raise ApiError(422, "note_required", "Say what is wrong in `note` when the reason is 'other'.", "note")
    review = await session.get(Review, review_id) if is_row_id(review_id) else None
    if review is None or not can_see(review, worker):
        raise not_found("A review with this id")
    if review.worker_id == worker.id:
        raise ApiError(403, "own_review", "You cannot flag your own review; edit or delete it instead.")
    if await session.scalar(select(ReviewFlag.id).where(ReviewFlag.review_id == review.id,
                                                         ReviewFlag.worker_id == worker.id)) is not None:
        raise ApiError(409, "already_flagged", "You already flagged this review.")
    flag = ReviewFlag(review_id=review.id, worker_id=worker.id, reason=reason, note=note, created_at=utcnow())
    session.add(flag)
    try:
        await session.flush()
    except IntegrityError:  # the unique (review, worker) pair: a concurrent duplicate
        raise ApiError(409, "already_flagged", "You already flagged this review.") from None

    open_flags = (await session.execute(
        select(ReviewFlag.worker_id, ReviewFlag.reason, Worker.role).join(Worker, Worker.id == ReviewFlag.worker_id)
        .where(ReviewFlag.review_id == review.id, ReviewFlag.resolved_at.is_(None)).order_by(ReviewFlag.id))).all()
    roles = {worker_id: role for worker_id, _, role in open_flags}  # one entry per distinct flagger
    if review.status in ("visible", "held") and should_hide(roles.values()):
        # The moderator or admin whose flag made the difference: this flagger, else the first one who flagged.
        decider = worker.id if is_moderator(worker.role) else next(
            (worker_id for worker_id, role in roles.items() if role == "admin"),
            next(worker_id for worker_id, role in roles.items() if is_moderator(role)))
        reasons = list(dict.fromkeys(r for _, r, _ in open_flags))
        now = utcnow()
        set_status(session, review, "hidden", now)
        session.add(ModerationAction(action="hide", moderator_id=decider, review_id=review.id,
                                     note=f"flags: {', '.join(reasons)}", created_at=now))
        await session.flush()
        await requester_changed(session, review.requester_id)
    return flag, review


# --- decisions --------------------------------------------------------------------------------------

DECISIONS = ("hide", "restore", "dismiss")


async def decide(session: AsyncSession, moderator: Worker, review_id: int, action: str, note: str = ""
                 ) -> tuple[Review, int, datetime]:
    """A moderator's decision on a review: hide it, restore it (from hidden or held), or dismiss its
    flags (it stays or becomes visible). Every decision closes the review's open flags and is logged.
    Returns the review, the number of flags closed and the time of the decision."""
    if action not in DECISIONS:
        raise ApiError(422, "invalid_field", f"action must be one of {', '.join(DECISIONS)}.", "action")
    review = await session.get(Review, review_id) if is_row_id(review_id) else None
    if review is None:
        raise not_found("A review with this id")
    if review.worker_id == moderator.id:
        raise ApiError(403, "own_review", "Another moderator decides on your own reviews.")
    if action == "restore" and review.status == "visible":
        raise ApiError(409, "already_visible", "This review is visible; there is nothing to restore.")
    now = utcnow()
    changed = set_status(session, review, "hidden" if action == "hide" else "visible", now)
    resolved = await session.execute(update(ReviewFlag).where(
        ReviewFlag.review_id == review.id, ReviewFlag.resolved_at.is_(None)).values(resolved_at=now))
    session.add(ModerationAction(action=action, moderator_id=moderator.id, review_id=review.id,
                                 note=note.strip(), created_at=now))
    await session.flush()
    if changed:
        await requester_changed(session, review.requester_id)
    return review, rows_affected(resolved), now


# --- mutes ------------------------------------------------------------------------------------------


async def _mute_target(session: AsyncSession, moderator: Worker, handle: str) -> Worker:
    target = await session.scalar(select(Worker).where(Worker.handle == handle, Worker.deleted_at.is_(None)))
    if target is None:
        raise not_found("A worker with this handle")
    if target.id == moderator.id or not may_mute(moderator.role, target.role):
        raise ApiError(403, "forbidden", "Moderators mute workers; only admins mute moderators, and nobody mutes an admin.")
    return target


async def mute(session: AsyncSession, moderator: Worker, handle: str, duration: timedelta, reason: str = "") -> Worker:
    """Mute a worker for `duration`: they can read, but not post reviews, edits or flags. A new mute
    replaces a running one (so a moderator can also shorten one)."""
    target = await _mute_target(session, moderator, handle)
    now = utcnow()
    target.muted_until = now + duration
    target.mute_reason = reason.strip()
    session.add(ModerationAction(action="mute", moderator_id=moderator.id, worker_id=target.id, created_at=now,
                                 note=f"until {target.muted_until:%Y-%m-%d %H:%M} UTC" + (f": {target.mute_reason}" if target.mute_reason else "")))
    await session.flush()
    return target


async def unmute(session: AsyncSession, moderator: Worker, handle: str) -> Worker:
    target = await _mute_target(session, moderator, handle)
    now = utcnow()
    if not is_muted(target.muted_until, now):
        raise ApiError(409, "not_muted", "This worker is not muted.")
    target.muted_until = None
    target.mute_reason = ""
    session.add(ModerationAction(action="unmute", moderator_id=moderator.id, worker_id=target.id, created_at=now))
    await session.flush()
    return target
