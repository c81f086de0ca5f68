"""The normalized task every platform parser produces and every feature consumes."""
from __future__ import annotations

import re
from datetime import date, datetime
import unicodedata
from typing import Annotated

import msgspec

from scrapers.errors import FairfinderError

_SPACES = re.compile(r"\s+")


def title_key(title: str) -> str:
    """The title as it identifies a task type (DESIGN §3): same words, whatever spacing or Unicode form
    the page used. Case is kept: requesters sometimes publish different tasks whose titles differ only in
    case. Here, not in server/domain/identity.py, so parsers (which never import the server) share it.
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFC", title)).strip()

# Bounds checked whenever a Task is decoded from a client (they also document the wire format). NUL is
# refused in every stored string (PostgreSQL text cannot hold it; server/domain/text.py has the whole rule).
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, msgspec.Meta(max_length=2000, pattern=NO_NUL)]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=NO_NUL)]


class Task(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """One task as a worker sees it in a platform's list, in platform-neutral terms.

    Money is integer minor units (cents, pence) plus an ISO currency code.
    """

    platform: Annotated[str, msgspec.Meta(min_length=2, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]
    requester_id: Id
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=NO_NUL)]
    reward_cents: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")] = "USD"
    requester_name: Annotated[str, msgspec.Meta(max_length=200, pattern=NO_NUL)] = ""
    hit_set_id: Annotated[str, msgspec.Meta(max_length=128, pattern=NO_NUL)] | None = None  # group/study id; changes between batches
    description: Text = ""
    stated_seconds: Annotated[int, msgspec.Meta(ge=1, le=7 * 24 * 3600)] | None = None  # the requester's own estimate
    time_allotted_seconds: Annotated[int, msgspec.Meta(ge=0)] | None = None
    available: Annotated[int, msgspec.Meta(ge=0)] | None = None  # HITs left in the group / places left in the study
    qualified: bool | None = None  # None: the page did not say
    masters_required: bool = False
    needs: Annotated[list[Annotated[str, msgspec.Meta(max_length=40)]], msgspec.Meta(max_length=20)] = []  # audio, camera, …
    url: Annotated[str, msgspec.Meta(max_length=2000)] | None = None  # absolute preview/accept link on the platform


class PayloadError(FairfinderError, ValueError):
    """A platform payload we cannot read. `field` names the bad field as a dotted path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# States of a task in a worker's own history, in platform-neutral terms (docs/earnings.md):
# pending (submitted, not yet decided), approved (MTurk Approved or Paid), rejected, returned (returned,
# abandoned or timed out: worked, never paid), screened_out (Prolific: screened out, maybe paid a little).
HISTORY_STATES = ("pending", "approved", "rejected", "returned", "screened_out")
HistoryState = Annotated[str, msgspec.Meta(pattern=r"^(pending|approved|rejected|returned|screened_out)$")]


class HistoryItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One task from a worker's own platform history (MTurk status_details, Prolific submissions)."""

    platform: Annotated[str, msgspec.Meta(min_length=2, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]
    assignment_id: Id  # MTurk assignment id, Prolific submission id: the key of idempotent re-import
    task_id: Annotated[str, msgspec.Meta(max_length=128, pattern=NO_NUL)] | None = None  # HIT id, study id
    requester_id: Id
    requester_name: Annotated[str, msgspec.Meta(max_length=200, pattern=NO_NUL)] = ""
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=NO_NUL)]
    reward_cents: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
    bonus_cents: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 0
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")] = "USD"
    state: HistoryState
    work_date: date  # the platform's day: MTurk's status_details date, Prolific's completion (else start) date in UTC
    started_at: datetime | None = None  # Prolific gives both; MTurk's history page gives neither
    ended_at: datetime | None = None
    requester_feedback: Text = ""  # what the requester wrote to the worker about this task, if anything


class HistoryPage(msgspec.Struct, kw_only=True):
    """One page of a history listing, with what the pager said (to know whether more pages follow)."""

    items: list[HistoryItem]
    page_number: int = 1
    total_results: int | None = None  # over all pages, when the platform says
    has_more: bool = False
