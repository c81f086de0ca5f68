"""The moderation pages' words and views (pure): what a review, its flags, its author and its earlier versions
look like to a moderator, where a form goes back to, and the notices after a form.

Handles never appear in URLs: forms name the review, and the server looks up its author.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar.datastructures import FormMultiDict

from accessibility.speech import say_count, say_duration
from server.domain.moderation import is_moderator, is_muted, may_mute
from server.domain.money import format_cents
from server.domain.paging import cursor_row_id, cursor_time_and_id
from server.moderation.queries import AUTOMATIC, QUEUE_KINDS
from server.moderation.schemas import LogEntry, QueueItem
from server.web.words import PLATFORMS, flags_words, outcome_words, ratings_words, requester_page_path, sentence_case

MAX_CURSOR = 64
TABS = (("flagged", "Flagged"), ("held", "Held (bursts)"), ("hidden", "Hidden"), ("log", "Log"))
KIND_HEADINGS = {"flagged": "Flagged reviews", "held": "Held reviews", "hidden": "Hidden reviews"}
KIND_INTROS = {
    "flagged": "Reviews with open flags, whatever their status, the most recently flagged first. Any decision "
               "closes a review's open flags.",
    "held": "Bursts: low reviews of one requester from new accounts within a day, held until a moderator looks. "
            "They do not count in the requester's figures while held. Newest first.",
    "hidden": "Reviews hidden by flags or by a moderator. They do not count in the requester's figures. Newest first.",
}
KIND_EMPTY = {
    "flagged": "No review has open flags. Nothing waits for you here.",
    "held": "No review is held.",
    "hidden": "No review is hidden.",
}
STATUS_WORDS = {"visible": "Visible", "held": "Held: part of a burst", "hidden": "Hidden"}
REASON_WORDS = {"spam": "Spam", "abusive": "Abusive", "personal_data": "Personal data", "fake": "Fake",
                "off_topic": "Off topic", "other": "Other"}
ACTION_WORDS = {"hide": "Hidden", "restore": "Restored", "hold": "Held", "dismiss": "Flags dismissed",
                "mute": "Muted", "unmute": "Unmuted"}
ROLE_WORDS = {"worker": "worker", "moderator": "moderator", "admin": "admin"}
CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,64}$")




@dataclass(frozen=True)
class Viewer:
    """The signed-in person as the pages need them. A copy, not the ORM row: a refused write rolls the
    session back and expires its rows, and the page is rendered after that."""

    id: int
    handle: str
    role: str
    muted_until: datetime | None
    csrf: str

    @property
    def moderator(self) -> bool:
        return is_moderator(self.role)


@dataclass(frozen=True)
class Moment:
    text: str  # "3 March 2026, 14:05 UTC"
    iso: str


def moment(value: datetime) -> Moment:
    value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return Moment(f"{value.day} {value:%B %Y, %H:%M} UTC", value.isoformat(timespec="seconds"))


def age_words(created_at: datetime, now: datetime) -> str:
    """How old an account is: "less than a day", "5 days", "3 months", "2 years"."""
    days = max(0, (now - created_at).days)
    if days < 1:
        return "less than a day"
    if days < 60:
        return say_count(days, "day")
    if days < 730:
        return say_count(days // 30, "month")
    return say_count(days // 365, "year")


@dataclass
class FlagView:
    reason: str
    note: str
    flagger: str
    role: str
    when: Moment
    closed: Moment | None


@dataclass
class ItemView:
    id: int
    title: str
    status: str
    status_words: str
    requester: str
    requester_url: str
    task: str
    ratings: str
    outcome: str
    worked: str | None
    bonus: str | None
    warnings: str
    comment: str
    written: Moment
    edited: Moment | None
    edits: int
    flags: list[FlagView]
    open_flags: int
    last_action: str | None
    author: str
    author_role: str
    author_since: Moment
    author_age: str
    new_account: bool
    muted_until: Moment | None
    deleted: bool
    own: bool
    can_hide: bool
    can_restore: bool
    can_dismiss: bool
    can_mute: bool
    can_unmute: bool
    why_no_mute: str | None


def action_words(entry: LogEntry) -> str:
    """"Hidden by mod on 3 March 2026, 14:05 UTC: “slurs”"."""
    who = "automatically" if entry.moderator == AUTOMATIC else f"by {entry.moderator}"
    text = f"{ACTION_WORDS.get(entry.action, entry.action)} {who} on {moment(entry.created_at).text}"
    return text + (f": “{entry.note}”" if entry.note else "")


def item_view(item: QueueItem, viewer: Viewer, now: datetime) -> ItemView:
    review, author = item.review, item.author
    platform = PLATFORMS.get(review.platform, review.platform)
    name = review.requester_name.strip() or f"Requester {review.requester_id}"
    currency = review.task.currency if review.task else "USD"
    own = not author.deleted and author.handle == viewer.handle
    muted = is_muted(author.muted_until, now)
    why_no_mute = None
    if author.deleted:
        why_no_mute = "The author deleted their account."
    elif own:
        why_no_mute = None  # said once, with the decision form
    elif not may_mute(viewer.role, author.role):
        why_no_mute = ("Nobody mutes an admin." if author.role == "admin"
                       else "Only admins mute moderators.")
    may = why_no_mute is None and not own
    return ItemView(
        id=review.id, title=f"Review {review.id}: {name} on {platform}", status=review.status,
        status_words=STATUS_WORDS.get(review.status, review.status),
        requester=f"{name} ({review.requester_id})", requester_url=requester_page_path(review.platform, review.requester_id),
        task=(f"{review.task.title} ({format_cents(review.task.reward_cents, review.task.currency)} reward)"
              if review.task else "The requester as a whole"),
        ratings=ratings_words(msgspec.structs.asdict(review.ratings)),
        outcome=outcome_words(review.outcome, review.approval_seconds),
        worked=say_duration(review.worked_seconds) if review.worked_seconds else None,
        bonus=format_cents(review.bonus_cents, currency) if review.bonus_cents else None,
        warnings=sentence_case(flags_words(review.flags)), comment=review.comment,
        written=moment(review.created_at), edited=moment(review.updated_at) if item.edits else None,
        edits=item.edits,
        flags=[FlagView(reason=REASON_WORDS.get(f.reason, f.reason), note=f.note, flagger=f.flagger,
                        role=ROLE_WORDS.get(f.flagger_role, f.flagger_role), when=moment(f.created_at),
                        closed=moment(f.resolved_at) if f.resolved_at else None) for f in item.flags],
        open_flags=item.open_flags, last_action=action_words(item.last_action) if item.last_action else None,
        author=author.handle, author_role=ROLE_WORDS.get(author.role, author.role),
        author_since=moment(author.created_at), author_age=age_words(author.created_at, now),
        new_account=author.new_account, muted_until=moment(author.muted_until) if muted and author.muted_until else None,
        deleted=author.deleted, own=own,
        can_hide=not own and (review.status != "hidden" or item.open_flags > 0),
        can_restore=not own and review.status != "visible",
        can_dismiss=not own and item.open_flags > 0,
        can_mute=may, can_unmute=may and muted, why_no_mute=why_no_mute)


@dataclass
class VersionView:
    written: Moment | None  # when this version was written (it was current until `replaced`)
    replaced: Moment
    facts: list[tuple[str, str]]
    comment: str


def version_view(revised_at: datetime, snapshot: dict[str, Any], currency: str) -> VersionView:
    """An earlier version of a review, from the snapshot the edit kept (server/reviews/service.py _snapshot)."""
    written = None
    try:
        written = moment(datetime.fromisoformat(str(snapshot.get("updated_at"))))
    except ValueError:
        pass
    ratings: dict[str, Any] = snapshot["ratings"] if isinstance(snapshot.get("ratings"), dict) else {}
    facts = [("Ratings", ratings_words(ratings)),
             ("Outcome", outcome_words(snapshot.get("outcome"), snapshot.get("approval_seconds")))]
    if snapshot.get("worked_seconds"):
        facts.append(("Time worked", say_duration(snapshot["worked_seconds"])))
    if snapshot.get("bonus_cents"):
        facts.append(("Bonus", format_cents(snapshot["bonus_cents"], currency)))
    facts.append(("Warnings", sentence_case(flags_words(list(snapshot.get("flags") or [])))))
    return VersionView(written=written, replaced=moment(revised_at), facts=facts, comment=str(snapshot.get("comment") or ""))


# ------------------------------------------------------------------------------------------------
# Where a form came from (and goes back to), notices and errors


@dataclass(frozen=True)
class Place:
    kind: str  # flagged | held | hidden: a queue page; review: the review's own page
    cursor: str | None = None


def valid_cursor(value: str | None, kind: str = "flagged") -> str | None:
    """A cursor the server gave out for this list: the flagged queue's name a flag id; the held and hidden queues'
    and the log's a time and an id (they are newest first by time, server/moderation/queries.py)."""
    if not value or not CURSOR.match(value):
        return None
    by_time = kind != "flagged"
    if (cursor_time_and_id(value) if by_time else cursor_row_id(value)) is None:
        return None
    return value


def place_of(form: FormMultiDict) -> Place:
    kind = str(form.get("kind") or "")
    if kind == "review":
        return Place("review")
    kind = kind if kind in QUEUE_KINDS else "flagged"
    return Place(kind, valid_cursor(str(form.get("cursor") or ""), kind))


def queue_url(kind: str, cursor: str | None = None, **notice: Any) -> str:
    params = [("kind", kind)] + ([("cursor", cursor)] if cursor else []) + list(notice.items())
    return "/moderation?" + urlencode(params)


def place_url(place: Place, review_id: int, **notice: Any) -> str:
    if place.kind == "review":
        return f"/moderation/reviews/{review_id}" + ("?" + urlencode(notice) if notice else "")
    return queue_url(place.kind, place.cursor, **notice)


def number(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 19 else None


def notice_text(params: Any) -> str | None:
    """The line shown after a form's redirect ("Review 12 hidden."), from fixed words and numbers only."""
    code = params.get("notice") or ""
    if code == "signed-in":
        return "You are signed in."
    if code == "signed-out":
        return "You are signed out."
    review_id, n = number(params.get("review")), number(params.get("n"))
    if review_id is None:
        return None
    closed = f" {say_count(n, 'open flag')} closed." if n else ""
    texts = {
        "hide": f"Review {review_id} hidden.{closed}",
        "restore": f"Review {review_id} restored: it is visible again.{closed}",
        "dismiss": f"Flags on review {review_id} dismissed: the review is visible.{closed}",
        "mute": f"The author of review {review_id} is muted for {say_count(n, 'day')}." if n else None,
        "unmute": f"The author of review {review_id} is no longer muted.",
    }
    return texts.get(code)


@dataclass(frozen=True)
class FormError:
    message: str
    review_id: int | None = None
    field: str | None = None  # note | days | reason: the control it is about


def error_href(error: FormError | None, shown: set[int]) -> str | None:
    """Where the error summary links: the control at fault, else its review, when that is on the page."""
    if error is None or error.review_id not in shown:
        return None
    return f"#{error.field}-{error.review_id}" if error.field else f"#review-{error.review_id}"
