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


class FlagIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: FlagReason
    note: Note = ""  # needed (not blank) when the reason is "other"


class FlagOut(msgspec.Struct, kw_only=True):
    review_id: int
    reason: str
    note: str
    created_at: datetime
    review_status: ReviewStatus  # after this flag: "hidden" when it completed a hiding set of flags


class DecisionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    action: Literal["hide", "restore", "dismiss"]
    note: Note = ""


class DecisionOut(msgspec.Struct, kw_only=True):
    review_id: int
    action: str
    status: ReviewStatus  # the review's status after the decision
    resolved_flags: int  # open flags this decision closed
    decided_at: datetime


class MuteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """How long: `days` or `hours`, exactly one."""

    days: Annotated[int, msgspec.Meta(ge=1, le=365)] | None = None
    hours: Annotated[int, msgspec.Meta(ge=1, le=365 * 24)] | None = None
    reason: Note = ""


class MuteOut(msgspec.Struct, kw_only=True):
    handle: str
    role: str
    muted_until: datetime | None
    mute_reason: str


class QueueFlag(msgspec.Struct, kw_only=True):
    reason: str
    note: str
    flagger: str  # handle
    flagger_role: str
    created_at: datetime
    resolved_at: datetime | None  # set once a moderator decided on the review


class QueueAuthor(msgspec.Struct, kw_only=True):
    handle: str  # "former member" for a deleted account
    role: str
    created_at: datetime
    new_account: bool  # its ratings weigh less and count toward bursts
    muted_until: datetime | None
    deleted: bool


class LogEntry(msgspec.Struct, kw_only=True):
    id: int
    action: str  # hide | restore | hold | dismiss | mute | unmute
    moderator: str  # handle, or "automatic" (flags by workers only never act; bursts do)
    review_id: int | None
    worker: str | None  # the muted or unmuted worker's handle
    note: str
    created_at: datetime


class QueueItem(msgspec.Struct, kw_only=True):
    review: ReviewOut  # includes its status
    flags: list[QueueFlag]  # newest first; the open ones have resolved_at null
    open_flags: int
    author: QueueAuthor
    edits: int
    last_action: LogEntry | None  # the latest moderation of this review (why it is held or hidden)


class QueuePage(msgspec.Struct, kw_only=True):
    items: list[QueueItem]
    next_cursor: str | None


class LogPage(msgspec.Struct, kw_only=True):
    items: list[LogEntry]
    next_cursor: str | None
