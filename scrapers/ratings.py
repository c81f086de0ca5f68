"""What every community rating source is read into: one record type per kind of fact.

The parsers (`scrapers/fairfinder_dump.py`, `scrapers/turkopticon.py`, `scrapers/community_csv.py`) turn
bytes into these records; `server/community/importer.py` writes them. Nothing here does I/O.

A record names requesters and task types by the platform's identity (platform, requester id, title,
reward, currency), never by our database ids, so the same record means the same thing on every server.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from scrapers.errors import FairfinderError

SourceKind = Literal["fairfinder", "turkopticon1", "turkopticon2", "csv"]
SOURCE_KINDS: tuple[str, ...] = ("fairfinder", "turkopticon1", "turkopticon2", "csv")


class ImportError_(FairfinderError):  # noqa: N801 - the builtin ImportError means something else
    """The input cannot be imported. `where` says where (a line number, a field); nothing is applied."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.where = where


class TaskIdentity(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    reward_cents: int
    currency: str = "USD"


class RequesterRecord(msgspec.Struct, kw_only=True, tag="requester", tag_field="type"):
    """A source's aggregates of one requester: the same fields as our requester_stats."""

    platform: str
    requester_id: str
    name: str = ""
    reviews: int = 0
    ratings: dict[str, list[float]] = {}  # {pay|fairness|speed|communication: [n, sum]}
    rejections: int = 0
    blocks: int = 0
    approval_seconds: float | None = None
    median_hourly_cents: float | None = None
    recent: dict[str, int] = {}  # {reviews, rejections, blocks} over the last 90 days
    flag_counts: dict[str, int] = {}
    summary: dict[str, Any] = {}  # server.domain.pay.SampleSummary as builtins; {} when the source has no timings
    extra: dict[str, Any] = {}  # what the source said that we do not map (kept, shown nowhere yet)
    updated_at: datetime | None = None


class TaskTypeRecord(msgspec.Struct, kw_only=True, tag="task_type", tag_field="type"):
    platform: str
    requester_id: str
    requester_name: str = ""
    task: TaskIdentity
    hit_set_id: str | None = None
    stated_seconds: int | None = None
    samples: int = 0
    reviews: int = 0
    summary: dict[str, Any] = {}
    flag_counts: dict[str, int] = {}
    updated_at: datetime | None = None


class ReviewRecord(msgspec.Struct, kw_only=True, tag="review", tag_field="type"):
    """One review, anonymized: the source's own id for it, no author."""

    id: str  # unique within the source; re-importing the same id replaces the review
    platform: str
    requester_id: str
    requester_name: str = ""
    task: TaskIdentity | None = None  # None: a review of the requester as a whole
    ratings: dict[str, int | None] = {}  # {pay|fairness|speed|communication: 1..5 or None}
    worked_seconds: int | None = None
    outcome: str | None = None
    approval_seconds: int | None = None
    bonus_cents: int | None = None
    flags: list[str] = []
    comment: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


class DeletedRecord(msgspec.Struct, kw_only=True, tag="deleted", tag_field="type"):
    """Something the source published before and has since removed."""

    kind: Literal["review", "requester", "task_type"]
    id: str | None = None  # kind == review
    platform: str | None = None  # kind == requester | task_type
    requester_id: str | None = None
    task: TaskIdentity | None = None  # kind == task_type


Record = RequesterRecord | TaskTypeRecord | ReviewRecord | DeletedRecord


class ImportMeta(msgspec.Struct, kw_only=True):
    """About one input as a whole."""

    kind: SourceKind
    full: bool  # True: the input is everything the source has (what is missing was removed)
    cursor: str | None = None  # for a peer dump: the `since=` to ask for next time
    source_name: str | None = None  # what the input calls its community, when it says
    licence: str | None = None
