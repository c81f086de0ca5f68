"""Moderation reads: the queue of reviews waiting for a moderator, and the moderation log.

Plain async functions over a session, shared by the JSON API (routes.py) and the HTML moderation page.
Writes are in service.py.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import ModerationAction, Review, ReviewFlag, Worker, utcnow
from server.domain.moderation import is_new_account
from server.domain.paging import encode_cursor, is_row_id
from server.errors import ApiError
from server.moderation.schemas import LogEntry, LogPage, QueueAuthor, QueueFlag, QueueItem, QueuePage
from server.paging import decode_cursor, newest_first_by_time
from server.reviews.queries import author_name, load_review_outs

QUEUE_KINDS = ("flagged", "held", "hidden")
AUTOMATIC = "automatic"


async def load_queue(session: AsyncSession, kind: str, cursor: str | None, limit: int,
                     now: datetime | None = None) -> QueuePage:
    """One page of the queue.

    * flagged: reviews with open flags (whatever their status), the most recently flagged first;
    * held: reviews held as part of a burst, newest first;
    * hidden: hidden reviews, newest first.
    """
    if kind == "flagged":
        latest = func.max(ReviewFlag.id)
        query = (select(ReviewFlag.review_id, latest).where(ReviewFlag.resolved_at.is_(None))
                 .group_by(ReviewFlag.review_id))
        if cursor:
            query = query.having(latest < decode_cursor(cursor))
        pairs = (await session.execute(query.order_by(latest.desc()).limit(limit + 1))).all()
        more, pairs = len(pairs) > limit, pairs[:limit]
        by_id = {r.id: r for r in await session.scalars(select(Review).where(Review.id.in_([p[0] for p in pairs])))}
        reviews = [by_id[review_id] for review_id, _ in pairs if review_id in by_id]
        next_cursor = encode_cursor(pairs[-1][1]) if more and pairs else None
    elif kind in ("held", "hidden"):
        # By time, then id: a demo, imported or late-written review can be older than its id suggests.
        reviews, next_cursor = await newest_first_by_time(session, select(Review).where(Review.status == kind),
                                                          Review.created_at, Review.id, cursor, limit)
    else:
        raise ApiError(400, "invalid_parameter", f"kind must be one of {', '.join(QUEUE_KINDS)}.", "kind")
    return QueuePage(items=await queue_items(session, reviews, now), next_cursor=next_cursor)


async def queue_items(session: AsyncSession, reviews: list[Review], now: datetime | None = None) -> list[QueueItem]:
    """What a moderator needs to decide on each review: it, its flags, its author, its last moderation."""
    if not reviews:
        return []
    now = now or utcnow()
    ids = [r.id for r in reviews]
    outs = await load_review_outs(session, reviews)
    flags: dict[int, list[QueueFlag]] = defaultdict(list)
    for flag, handle, role, deleted_at in (await session.execute(
            select(ReviewFlag, Worker.handle, Worker.role, Worker.deleted_at).join(Worker, Worker.id == ReviewFlag.worker_id)
            .where(ReviewFlag.review_id.in_(ids)).order_by(ReviewFlag.id.desc()))).all():
        flags[flag.review_id].append(QueueFlag(
            reason=flag.reason, note=flag.note, flagger=author_name(handle, deleted_at), flagger_role=role,
            created_at=flag.created_at, resolved_at=flag.resolved_at))
    authors = {w.id: w for w in await session.scalars(select(Worker).where(Worker.id.in_({r.worker_id for r in reviews})))}
    last_actions: dict[int, ModerationAction] = {}
    for action in await session.scalars(select(ModerationAction).where(ModerationAction.review_id.in_(ids))
                                        .order_by(ModerationAction.id.desc())):
        last_actions.setdefault(action.review_id, action)  # type: ignore[arg-type]  # selected by review_id: never None
    entries = dict(zip(last_actions, await log_entries(session, list(last_actions.values())), strict=True))
    items = []
    for review, out in zip(reviews, outs, strict=True):
        author = authors[review.worker_id]
        items.append(QueueItem(
            review=out, flags=flags.get(review.id, []),
            open_flags=sum(1 for f in flags.get(review.id, []) if f.resolved_at is None),
            author=QueueAuthor(handle=author_name(author.handle, author.deleted_at), role=author.role,
                               created_at=author.created_at, new_account=is_new_account(author.created_at, now, author.role),
                               muted_until=author.muted_until, deleted=author.deleted_at is not None),
            edits=out.edits, last_action=entries.get(review.id)))
    return items


async def load_log(session: AsyncSession, cursor: str | None, limit: int) -> LogPage:
    """The moderation log, newest first."""
    actions, next_cursor = await newest_first_by_time(session, select(ModerationAction), ModerationAction.created_at,
                                                      ModerationAction.id, cursor, limit)
    return LogPage(items=await log_entries(session, actions), next_cursor=next_cursor)


async def log_entries(session: AsyncSession, actions: list[ModerationAction]) -> list[LogEntry]:
    people = {a.moderator_id for a in actions} | {a.worker_id for a in actions}
    people.discard(None)
    names = {worker_id: author_name(handle, deleted_at) for worker_id, handle, deleted_at in (await session.execute(
        select(Worker.id, Worker.handle, Worker.deleted_at).where(Worker.id.in_(people)))).all()} if people else {}
    return [LogEntry(id=a.id, action=a.action,
                     moderator=names.get(a.moderator_id, "") if a.moderator_id is not None else AUTOMATIC,
                     review_id=a.review_id, worker=names.get(a.worker_id) if a.worker_id is not None else None,
                     note=a.note, created_at=a.created_at)
            for a in actions]


async def author_handle(session: AsyncSession, review_id: int) -> str:
    """The handle of a review's author, for service.mute and service.unmute (which find workers by handle)."""
    review = await session.get(Review, review_id) if is_row_id(review_id) else None
    if review is None:
        raise ApiError(404, "not_found", "This review no longer exists.")
    author = await session.get(Worker, review.worker_id)
    if author is None or author.deleted_at is not None:
        raise ApiError(404, "not_found", "The author of this review deleted their account.")
    return author.handle
