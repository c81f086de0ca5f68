"""Review writes and their orchestration: create (recording the task), edit (keeping the earlier version),
delete. Each runs in one write transaction and leaves the aggregates current; a low review from a new account
that completes a burst is held for a moderator (the rules: server/domain/moderation.py).

The moderation service (server/moderation/service.py) changes reviews' status through `set_status` too.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers.model import Task
from server.auth import ensure_not_muted
from server.db.engine import write_transaction
from server.db.models import ModerationAction, Requester, Review, ReviewRevision, TaskType, Tombstone, Worker, utcnow
from server.domain.moderation import (
    ACCOUNT_BURST_SIZE,
    BURST_WINDOW,
    BurstCandidate,
    burst_members,
    burst_to_hold,
    is_new_account,
    review_carries_evidence,
)
from server.domain.names import clean_name
from server.domain.vocab import RATING_DIMENSIONS, REVIEW_CONTENT, review_says_something
from server.errors import ApiError
from server.reviews.queries import (
    existing_review,
    load_review_outs,
    own_review,
    own_reviews_since,
    requester_reviews_since,
    review_out,
)
from server.reviews.schemas import ReviewIn, ReviewOut, ReviewPatch
from server.stats.queue import write
from server.stats.settle import requester_changed
from server.requesters.checks import check_group_id, check_requester_id
from server.tasks.records import Sighting, Source, record_requester, record_tasks, vote_names

EDITABLE = ("worked_seconds", "outcome", "approval_seconds", "bonus_cents", "flags", "comment")
# A moderator's restore or dismissal settles a review: later bursts count it but do not hold it again.
SETTLED = "restored"


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


def _check_says_something(ratings: dict[str, int | None], outcome: str | None, worked_seconds: int | None,
                          approval_seconds: int | None, bonus_cents: int | None, flags: Sequence[str], comment: str) -> None:
    if not review_says_something(ratings, outcome, worked_seconds, approval_seconds, bonus_cents, flags, comment):
        raise ApiError(422, "empty_review", f"A review must say something: give at least {REVIEW_CONTENT}.")


@dataclass
class NewReview:
    """A review to create, as the write queue carries it (server/stats/queue.py)."""

    author: Worker  # read only: its id, handle, account age and role
    data: ReviewIn
    seconds: int | None
    reviewed: tuple[int, int | None] | None = None  # (requester, task type) once known


async def create_review(session: AsyncSession, worker: Worker, data: ReviewIn) -> ReviewOut:
    """Store a worker's review of a task type (recorded on the way) or of a requester as a whole; 409 for a second
    one. A review that completes a burst is held before the aggregates are computed. Written in a group with the
    reviews and timings that arrive with it, and answered once that group is committed."""
    ensure_not_muted(worker)
    seconds = _seconds(data.worked_seconds, data.minutes_worked)
    check_requester_id(data.platform, data.requester_id, "requester_id")
    if data.task is not None:
        check_group_id(data.platform, data.task.hit_set_id, "task.hit_set_id")
    _check_says_something({d: getattr(data.ratings, d) for d in RATING_DIMENSIONS}, data.outcome, seconds,
                          data.approval_seconds, data.bonus_cents, data.flags, data.comment)
    item = NewReview(worker, data, seconds)
    try:
        return await write(session, create_reviews, item)
    except IntegrityError:
        # Written alone and refused by the unique indexes: a second review that came past the check in
        # create_reviews (from another process).
        existing = await existing_review(session, worker.id, *item.reviewed) if item.reviewed else None
        if existing is None:
            raise
        raise _exists(existing) from None


def _exists(review_id: int) -> ApiError:
    return ApiError(409, "review_exists",
                    f"You already reviewed this; edit review {review_id} instead (PATCH /api/v1/reviews/{review_id}).")


async def create_reviews(session: AsyncSession, items: Sequence[NewReview]) -> list[ReviewOut | Exception]:
    """Write new reviews in the session's write transaction (a batch writer of the write queue): their tasks
    recorded together, one check for reviews that exist already (409; also a second one in the same batch), the
    others inserted together; each is held if it completes a burst, and its requester is noted for the group's
    recompute. One result per item, in order."""
    results: list[ReviewOut | Exception | None] = [None] * len(items)
    tasks = [(index, Task(platform=item.data.platform, requester_id=item.data.requester_id,
                          requester_name=item.data.requester_name, title=item.data.task.title,
                          reward_cents=item.data.task.reward_cents, currency=item.data.task.currency,
                          hit_set_id=item.data.task.hit_set_id))
             for index, item in enumerate(items) if item.data.task is not None]
    targets: list[tuple[Requester, TaskType | None]] = [None] * len(items)  # type: ignore[list-item]  # all set below
    if tasks:
        recorded = await record_tasks(session, [task for _, task in tasks], in_transaction=True)
        for (index, _), found_requester, found_type in zip(tasks, recorded.requesters, recorded.task_types):
            targets[index] = (found_requester, found_type)
    for index, item in enumerate(items):
        if item.data.task is None:
            targets[index] = (await record_requester(session, item.data.platform, item.data.requester_id,
                                                     item.data.requester_name, source=Source(item.author.id)), None)
    # The name each reviewer gives the requester is their vote (server/domain/names.py); a batch has many authors.
    await vote_names(session, [Sighting(requester.id, name, Source(item.author.id))
                               for item, (requester, _) in zip(items, targets)
                               if item.data.task is not None and (name := clean_name(item.data.requester_name))])
    for item, (requester, task_type) in zip(items, targets):
        item.reviewed = (requester.id, task_type.id if task_type else None)
    # One review per worker per task type (or requester): the unique indexes refuse a second one, but a refused
    # row would fail the whole batch, so the batch looks first (under the write lock nobody adds one meanwhile).
    existing = await _existing_reviews(session, [(item.author.id, *item.reviewed) for item in items if item.reviewed])
    first: dict[tuple[int, int, int | None], int] = {}  # review key → index of the item that creates it
    fresh: list[tuple[int, Review]] = []
    for index, item in enumerate(items):
        assert item.reviewed is not None
        key = (item.author.id, *item.reviewed)
        if key in existing:
            results[index] = _exists(existing[key])
        elif key not in first:
            first[key] = index
            fresh.append((index, _new_review(item)))
    session.add_all([review for _, review in fresh])
    await session.flush()
    created = {index: review for index, review in fresh}
    for index, item in enumerate(items):
        assert item.reviewed is not None
        if results[index] is None and first[(item.author.id, *item.reviewed)] != index:
            results[index] = _exists(created[first[(item.author.id, *item.reviewed)]].id)  # its twin, just before
    new_ids = {review.id for _, review in fresh}
    for index, review in fresh:
        item = items[index]
        requester, task_type = targets[index]
        # A held review must never have counted: hold before the aggregates are computed.
        if not await hold_burst(session, review, item.author, created=new_ids):
            await requester_changed(session, requester.id)
        results[index] = review_out(review, requester, task_type, item.author.handle, 0)
    return [result if result is not None else RuntimeError("unanswered") for result in results]


def _new_review(item: NewReview) -> Review:
    data, (requester_id, task_type_id) = item.data, item.reviewed or (0, None)
    return Review(
        worker_id=item.author.id, requester_id=requester_id, task_type_id=task_type_id,
        worked_seconds=item.seconds, outcome=data.outcome, approval_seconds=data.approval_seconds,
        bonus_cents=data.bonus_cents, flags=sorted(set(data.flags)), comment=data.comment,
        **{f"rating_{d}": getattr(data.ratings, d) for d in RATING_DIMENSIONS},
    )


async def _existing_reviews(session: AsyncSession, keys: Sequence[tuple[int, int, int | None]]
                            ) -> dict[tuple[int, int, int | None], int]:
    """Stored reviews among these (worker, requester, task type) keys → their ids: one select for those naming
    a task type, one for those of a requester as a whole."""
    found: dict[tuple[int, int, int | None], int] = {}
    wanted = set(keys)
    typed = [k for k in wanted if k[2] is not None]
    whole = [k for k in wanted if k[2] is None]
    if typed:
        rows = await session.execute(select(Review.id, Review.worker_id, Review.requester_id, Review.task_type_id).where(
            Review.worker_id.in_({k[0] for k in typed}), Review.task_type_id.in_({k[2] for k in typed})))
        found |= {(w, r, t): i for i, w, r, t in rows if (w, r, t) in wanted}
    if whole:
        whole_rows = await session.execute(select(Review.id, Review.worker_id, Review.requester_id).where(
            Review.worker_id.in_({k[0] for k in whole}), Review.requester_id.in_({k[1] for k in whole}),
            Review.task_type_id.is_(None)))
        found |= {(w, r, None): i for i, w, r in whole_rows if (w, r, None) in wanted}
    return found


async def edit_review(session: AsyncSession, worker: Worker, review_id: int, data: ReviewPatch) -> ReviewOut:
    """Change the named fields of the worker's own review, keeping the version before as a revision."""
    ensure_not_muted(worker)
    async with write_transaction(session):
        review = await own_review(session, worker, review_id)
        had_evidence = review_carries_evidence(review)
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
        after = {**{name: getattr(review, name) for name in EDITABLE},
                 **{d: getattr(review, f"rating_{d}") for d in RATING_DIMENSIONS}}
        after.update(changes)
        after.update({name.removeprefix("rating_"): value for name, value in rating_changes.items()})
        _check_says_something({d: after[d] for d in RATING_DIMENSIONS}, after["outcome"], after["worked_seconds"],
                              after["approval_seconds"], after["bonus_cents"], after["flags"], after["comment"])
        session.add(ReviewRevision(review_id=review.id, snapshot=_snapshot(review)))
        for name, value in {**changes, **rating_changes}.items():
            setattr(review, name, value)
        review.updated_at = utcnow()
        await session.flush()
        # An edit that gives a review evidence can complete a burst as well as a new review can.
        if had_evidence or not await hold_burst(session, review, worker):
            await requester_changed(session, review.requester_id)
    return (await load_review_outs(session, [review]))[0]


async def delete_review(session: AsyncSession, worker: Worker, review_id: int) -> None:
    """Delete the worker's own review and its history (muted workers may too)."""
    async with write_transaction(session):
        review = await own_review(session, worker, review_id)
        requester_id = review.requester_id
        # The open dump never published demo reviews; held and hidden ones got their tombstone already.
        if not review.is_demo and review.status == "visible":
            session.add(Tombstone(kind="review", ref_id=review.id))
        await session.delete(review)
        await session.flush()
        await requester_changed(session, requester_id)


# --- status and bursts ------------------------------------------------------------------------------


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


async def hold_burst(session: AsyncSession, review: Review, author: Worker, *, created: Collection[int] = ()) -> set[int]:
    """After `review` was written with evidence by `author`: hold the requester's burst, if there is one
    (server/domain/moderation.py burst_to_hold: reviews of new accounts, or one account's many reviews, in
    24 hours). Refreshes the requester when anything was held.

    `created`: the reviews created in this transaction (a group's new reviews, server/stats/queue.py): the open
    dump never saw them, so holding one leaves no tombstone.
    A review's time in the window is when it was last written (created or edited to carry evidence).
    """
    now = utcnow()
    if not review_carries_evidence(review):
        return set()
    since = now - BURST_WINDOW
    if not is_new_account(author.created_at, now, author.role):
        # An established account makes a burst only alone, with many reviews: count its own first (cheap).
        own = await session.scalar(own_reviews_since(author.id, review.requester_id, since))
        if (own or 0) < ACCOUNT_BURST_SIZE:
            return set()
    rows = (await session.execute(requester_reviews_since(review.requester_id, since))).all()
    settled = set(await session.scalars(select(ModerationAction.review_id).where(
        ModerationAction.review_id.in_([row[0].id for row in rows]),
        ModerationAction.action.in_(("restore", "dismiss")))))
    candidates = [
        BurstCandidate(review_id=r.id, created_at=r.updated_at, new_account=is_new_account(created_at, now, role),
                       evidence=review_carries_evidence(r),
                       status=SETTLED if r.status == "visible" and r.id in settled else r.status, worker_id=r.worker_id)
        for r, created_at, role in rows
    ]
    to_hold = burst_to_hold(candidates, now)
    if not to_hold:
        return set()
    members = burst_members(candidates, now)
    hours = round(BURST_WINDOW.total_seconds() / 3600)
    fresh = sum(1 for c in members if c.new_account)
    what = (f"{fresh} reviews from new accounts" if fresh >= len(members) - fresh
            else f"{len(members)} reviews, {ACCOUNT_BURST_SIZE} or more from one account")
    for r, _, _ in rows:
        if r.id in to_hold:
            set_status(session, r, "held", now, published=r.id not in created)
            session.add(ModerationAction(action="hold", moderator_id=None, review_id=r.id, created_at=now,
                                         note=f"burst: {what} in {hours} h"))
    await session.flush()
    await requester_changed(session, review.requester_id)
    return to_hold
