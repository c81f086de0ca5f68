"""Wire format of flags and of the moderation API (docs/moderation.md)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from server.domain.text import WRITTEN
from server.reviews.schemas import ReviewOut

# The same words as server/domain/moderation.py FLAG_REASONS (a test keeps them equal).
FlagReason = Literal["spam", "abusive", "personal_data", "fake", "off_topic", "other"]
ReviewStatus = Literal["visible", "held", "hidden"]
QueueKind = Literal["flagged", "held", "hidden"]
Note = Annotated[str, msgspec.Meta(max_length=500), WRITTEN]  # flag notes, moderation notes, mute reasons


def _described(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)  # shown in the OpenAPI document


_STATUS = "visible, held (part of a burst, waiting for a moderator) or hidden (by moderation)"
_REASON = "Why the review was flagged: spam, abusive, personal_data, fake, off_topic or other."
_ROLE = "worker, moderator or admin."
_CURSOR = "Opaque: pass it as `cursor` to get the next page; null on the last page."


class FlagIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Annotated[FlagReason, _described("What is wrong with the review: spam, abusive, personal_data, fake, "
                                              "off_topic or other.")]
    note: Annotated[Note, _described(  # needed (not blank) when the reason is "other"
        "More about it, plain text up to 500 characters; needed (not blank) when the reason is other.")] = ""


class FlagOut(msgspec.Struct, kw_only=True):
    review_id: Annotated[int, _described("The review flagged.")]
    reason: Annotated[str, _described(_REASON)]
    note: Annotated[str, _described("The note given with the flag, trimmed; may be empty.")]
    created_at: Annotated[datetime, _described("When the flag was made (UTC).")]
    review_status: Annotated[ReviewStatus, _described(  # after this flag: "hidden" when it completed a hiding set of flags
        f"The review's status after this flag: {_STATUS}; hidden when this flag completed a set that hides it.")]


class DecisionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    action: Annotated[Literal["hide", "restore", "dismiss"], _described(
        "hide the review, restore it (from hidden or held) or dismiss its flags (it stays or becomes visible); every "
        "decision closes the review's open flags.")]
    note: Annotated[Note, _described("Why, for the moderation log; plain text up to 500 characters.")] = ""


class DecisionOut(msgspec.Struct, kw_only=True):
    review_id: Annotated[int, _described("The review decided on.")]
    action: Annotated[str, _described("The decision: hide, restore or dismiss.")]
    status: Annotated[ReviewStatus, _described(f"The review's status after the decision: {_STATUS}.")]
    resolved_flags: Annotated[int, _described("How many open flags this decision closed.")]
    decided_at: Annotated[datetime, _described("When the decision was made (UTC).")]


class MuteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """How long: `days` or `hours`, exactly one."""

    days: Annotated[int, msgspec.Meta(ge=1, le=365, description=(
        "Mute for this many days (1 to 365); give this or `hours`."))] | None = None
    hours: Annotated[int, msgspec.Meta(ge=1, le=365 * 24, description=(
        "Mute for this many hours (1 to 8760); give this or `days`."))] | None = None
    reason: Annotated[Note, _described(
        "Why, shown to the worker and in the log; plain text up to 500 characters.")] = ""


class MuteOut(msgspec.Struct, kw_only=True):
    handle: Annotated[str, _described("The worker's handle.")]
    role: Annotated[str, _described("The worker's role: " + _ROLE)]
    muted_until: Annotated[datetime | None, _described("The end of the mute (UTC); null once unmuted.")]
    mute_reason: Annotated[str, _described("The reason given for the mute; empty when none or once unmuted.")]


class QueueFlag(msgspec.Struct, kw_only=True):
    reason: Annotated[str, _described(_REASON)]
    note: Annotated[str, _described("The flagger's note; may be empty.")]
    flagger: Annotated[str, _described(  # handle
        "The flagger's handle, or \"former member\" for a deleted account.")]
    flagger_role: Annotated[str, _described("The flagger's role: " + _ROLE)]
    created_at: Annotated[datetime, _described("When the flag was made (UTC).")]
    resolved_at: Annotated[datetime | None, _described(  # set once a moderator decided on the review
        "When a moderator's decision on the review closed the flag (UTC); null while open.")]


class QueueAuthor(msgspec.Struct, kw_only=True):
    handle: Annotated[str, _described(  # "former member" for a deleted account
        "The author's handle, or \"former member\" for a deleted account.")]
    role: Annotated[str, _described("The author's role: " + _ROLE)]
    created_at: Annotated[datetime, _described("When the author's account was created (UTC).")]
    new_account: Annotated[bool, _described(  # its ratings weigh less and count toward bursts
        "A worker account less than 7 days old: its ratings weigh less and count toward bursts.")]
    muted_until: Annotated[datetime | None, _described(
        "The end of the author's latest mute (UTC; it may lie in the past); null when never muted or unmuted.")]
    deleted: Annotated[bool, _described("Whether the author deleted their account (their reviews stay, anonymized).")]


class LogEntry(msgspec.Struct, kw_only=True):
    id: Annotated[int, _described("The log entry's id.")]
    action: Annotated[str, _described(  # hide | restore | hold | dismiss | mute | unmute
        "What was done: hide, restore, hold, dismiss (a review) or mute, unmute (a worker).")]
    moderator: Annotated[str, _described(  # handle, or "automatic" (flags by workers only never act; bursts do)
        "Who: a moderator's handle (\"former member\" once deleted), or automatic (a burst of reviews held).")]
    review_id: Annotated[int | None, _described("The review concerned; null for a mute or unmute.")]
    worker: Annotated[str | None, _described(  # the muted or unmuted worker's handle
        "The muted or unmuted worker's handle; null for a decision on a review.")]
    note: Annotated[str, _described(
        "The note: the moderator's words, the flag reasons of a hide by flags, a mute's end and reason; may be empty.")]
    created_at: Annotated[datetime, _described("When it was done (UTC).")]


class QueueItem(msgspec.Struct, kw_only=True):
    review: Annotated[ReviewOut, _described("The review, with its status.")]  # includes its status
    flags: Annotated[list[QueueFlag], _described(  # newest first; the open ones have resolved_at null
        "Every flag of the review, newest first; the open ones have resolved_at null.")]
    open_flags: Annotated[int, _described("How many of those flags are open.")]
    author: Annotated[QueueAuthor, _described("Who wrote the review.")]
    edits: Annotated[int, _described("How many times its author edited the review.")]
    last_action: Annotated[LogEntry | None, _described(  # the latest moderation of this review (why it is held or hidden)
        "The latest moderation of this review (why it is held or hidden); null when none.")]


class QueuePage(msgspec.Struct, kw_only=True):
    items: Annotated[list[QueueItem], _described(
        "Reviews waiting for a moderator: flagged ones the most recently flagged first, held or hidden ones newest "
        "first.")]
    next_cursor: Annotated[str | None, _described(_CURSOR)]


class LogPage(msgspec.Struct, kw_only=True):
    items: Annotated[list[LogEntry], _described("Moderation log entries, newest first.")]
    next_cursor: Annotated[str | None, _described(_CURSOR)]
