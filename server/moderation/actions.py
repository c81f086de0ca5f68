"""Moderation writes: flags, automatic hides and holds, moderators' decisions, mutes.

Each function runs inside the caller's write transaction (`async with write_transaction(session)`) and
leaves the aggregates current. The JSON routes (server/moderation/routes.py, server/reviews/routes.py)
and the HTML moderation page call the same functions. The rules themselves are in rules.py.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import ModerationAction, Review, ReviewFlag, Tombstone, Worker, utcnow
from server.errors import ApiError, not_found
from server.domain.moderation import (
    BURST_WINDOW,
    BurstCandidate,
    burst_members,
    burst_to_hold,
    is_low,
    is_moderator,
    is_muted,
    is_new_account,
    may_mute,
    should_hide,
)
from server.domain.paging import is_row_id
from server.domain.vocab import RATING_DIMENSIONS
from server.stats.settle import requester_changed

# A moderator's restore or dismissal settles a review: later bursts count it but do not hold it again.
SETTLED = "restored"


def can_see(review: Review, viewer: Worker | None) -> bool:
    """Visible reviews are public; held and hidden ones only to their author and to moderators."""
    if review.status == "visible":
        return True
    return viewer is not None and (viewer.id == review.worker_id or is_moderator(viewer.role))


def set_status(session: AsyncSession, review: Review, status: str, now: datetime, *, published: bool = True) -> bool:
    """Move a review to `status` following the shared status semantics; the caller refreshes its requester.

    Leaving "visible" leaves a tombstone so that importers of the open dump drop it (unless it was never
    published: a demo review, or one created in this very transaction). Returns whether it changed.
    """
    if review.status == status:
        return False
    if review.status == "visible" and published and not review.is_demo:
        session.add(Tombstone(kind="review", ref_id=review.id))
    review.status = status
    review.status_changed_at = now
    return True


def review_is_low(review: Review) -> bool:
    return is_low([getattr(review, f"rating_{d}") for d in RATING_DIMENSIONS], review.outcome)


# --- flags ------------------------------------------------------------------------------------------


async def flag_review(session: AsyncSession, worker: Worker, review_id: int, reason: str, note: str
                      ) -> tuple[ReviewFlag, Review]:
    """Store a worker's flag; hide the review when its open flags say so (rules.should_hide)."""
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


# --- bursts -----------------------------------------------------------------------------------------


async def hold_burst(session: AsyncSession, review: Review, author: Worker, *, created: bool) -> set[int]:
    """After `review` was written low by `author`: hold the requester's burst of low reviews from new
    accounts, if there is one (rules.burst_to_hold). Refreshes the requester when anything was held.

    `created`: the review was created in this transaction, so the open dump never saw it (no tombstone).
    A review's time in the window is when it was last written (created or edited to be low).
    """
    now = utcnow()
    if not is_new_account(author.created_at, now, author.role) or not review_is_low(review):
        return set()
    rows = (await session.execute(
        select(Review, Worker.created_at, Worker.role).join(Worker, Worker.id == Review.worker_id)
        .where(Review.requester_id == review.requester_id, Review.updated_at >= now - BURST_WINDOW))).all()
    settled = set(await session.scalars(select(ModerationAction.review_id).where(
        ModerationAction.review_id.in_([row[0].id for row in rows]),
        ModerationAction.action.in_(("restore", "dismiss")))))
    candidates = [
        BurstCandidate(review_id=r.id, created_at=r.updated_at, new_account=is_new_account(created_at, now, role),
                       low=review_is_low(r), status=SETTLED if r.status == "visible" and r.id in settled else r.status)
        for r, created_at, role in rows
    ]
    to_hold = burst_to_hold(candidates, now)
    if not to_hold:
        return set()
    members = len(burst_members(candidates, now))
    hours = round(BURST_WINDOW.total_seconds() / 3600)
    for r, _, _ in rows:
        if r.id in to_hold:
            set_status(session, r, "held", now, published=not (created and r.id == review.id))
            session.add(ModerationAction(action="hold", moderator_id=None, review_id=r.id, created_at=now,
                                         note=f"burst: {members} low reviews from new accounts in {hours} h"))
    await session.flush()
    await requester_changed(session, review.requester_id)
    return to_hold


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
    return review, resolved.rowcount or 0, now


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
