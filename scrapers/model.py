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


def _described(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)  # shown in the OpenAPI document (merged with the bounds' own Meta)


_PLATFORM = "The platform's name, lower case: mturk or prolific."
_REQUESTER_ID = "The requester's id on the platform (1 to 128 characters)."
_REQUESTER_NAME = "The requester's name as the page shows it (up to 200 characters); may be empty."
_TITLE = "The task's title as the page shows it (1 to 500 characters)."
_CURRENCY = "ISO 4217 code of the money amounts, three capital letters (USD, GBP)."


class Task(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """One task as a worker sees it in a platform's list, in platform-neutral terms.

    Money is integer minor units (cents, pence) plus an ISO currency code.
    """

    platform: Annotated[str, msgspec.Meta(min_length=2, max_length=32, pattern=r"^[a-z][a-z0-9_]*$",
                                          description=_PLATFORM)]
    requester_id: Annotated[Id, _described(_REQUESTER_ID)]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=NO_NUL, description=_TITLE)]
    reward_cents: Annotated[int, msgspec.Meta(ge=0, le=1_000_000, description=(
        "Pay for one task, in whole cents (minor units) of `currency`, 0 to 1000000."))]
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", description=_CURRENCY)] = "USD"
    requester_name: Annotated[str, msgspec.Meta(max_length=200, pattern=NO_NUL, description=_REQUESTER_NAME)] = ""
    hit_set_id: Annotated[str, msgspec.Meta(max_length=128, pattern=NO_NUL, description=(  # group/study id; changes between batches
        "The platform's task group id (MTurk HIT group, Prolific study; it can change between batches), up to 128 "
        "characters; null when the page gave none."))] | None = None
    description: Annotated[Text, _described("The task's description as the page shows it (up to 2000 characters).")] = ""
    stated_seconds: Annotated[int, msgspec.Meta(ge=1, le=7 * 24 * 3600, description=(  # the requester's own estimate
        "How long the requester says the task takes, in whole seconds (1 to 604800); null when not stated."))
    ] | None = None
    time_allotted_seconds: Annotated[int, msgspec.Meta(ge=0, description=(
        "The time limit the platform gives to finish one task, in whole seconds; null when not given."))] | None = None
    available: Annotated[int, msgspec.Meta(ge=0, description=(  # HITs left in the group / places left in the study
        "How many more can take it: tasks left in the MTurk group, places left in the Prolific study; null when "
        "not given."))] | None = None
    qualified: Annotated[bool | None, _described(  # None: the page did not say
        "Whether the worker meets the task's requirements; null when the page did not say.")] = None
    masters_required: Annotated[bool, _described("Whether the task requires the MTurk Masters qualification.")] = False
    needs: Annotated[list[Annotated[str, msgspec.Meta(max_length=40)]], msgspec.Meta(max_length=20, description=(  # audio, camera, …
        "What the platform says the task needs (Prolific's peripheral requirements: audio, camera, microphone, "
        "download…), lower case; at most 20, each up to 40 characters."))] = []
    url: Annotated[str, msgspec.Meta(max_length=2000, description=(  # absolute preview/accept link on the platform
        "The task's absolute preview or accept link on the platform (up to 2000 characters); null when not known."))
    ] | None = None


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

    platform: Annotated[str, msgspec.Meta(min_length=2, max_length=32, pattern=r"^[a-z][a-z0-9_]*$",
                                          description=_PLATFORM)]
    assignment_id: Annotated[Id, _described(  # MTurk assignment id, Prolific submission id: the key of idempotent re-import
        "MTurk assignment id or Prolific submission id (1 to 128 characters): importing the same one again updates "
        "it instead of adding another.")]
    task_id: Annotated[str, msgspec.Meta(max_length=128, pattern=NO_NUL, description=(  # HIT id, study id
        "The MTurk HIT id or Prolific study id; null when not given."))] | None = None
    requester_id: Annotated[Id, _described(_REQUESTER_ID)]
    requester_name: Annotated[str, msgspec.Meta(max_length=200, pattern=NO_NUL, description=_REQUESTER_NAME)] = ""
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=NO_NUL, description=_TITLE)]
    reward_cents: Annotated[int, msgspec.Meta(ge=0, le=1_000_000, description=(
        "The task's reward, in whole cents (minor units) of `currency`, 0 to 1000000."))]
    bonus_cents: Annotated[int, msgspec.Meta(ge=0, le=1_000_000, description=(
        "Bonus paid for it, in whole cents of `currency`, 0 to 1000000; 0 when none."))] = 0
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", description=_CURRENCY)] = "USD"
    state: Annotated[HistoryState, _described(
        "pending (submitted, not decided), approved (MTurk Approved or Paid), rejected, returned (returned, "
        "abandoned or timed out) or screened_out (Prolific).")]
    work_date: Annotated[date, _described(  # the platform's day: MTurk's status_details date, Prolific's completion (else start) date in UTC
        "The task's day on the platform (YYYY-MM-DD): MTurk's status_details date, Prolific's completion (else "
        "start) date in UTC.")]
    started_at: Annotated[datetime | None, _described(  # Prolific gives both; MTurk's history page gives neither
        "When the worker started the task (ISO 8601); null when not known (MTurk's history gives "
        "none).")] = None
    ended_at: Annotated[datetime | None, _described(
        "When the worker finished the task (ISO 8601); null when not known.")] = None
    requester_feedback: Annotated[Text, _described(  # what the requester wrote to the worker about this task, if anything
        "What the requester wrote to the worker about this task (up to 2000 characters); empty when nothing.")] = ""


class HistoryPage(msgspec.Struct, kw_only=True):
    """One page of a history listing, with what the pager said (to know whether more pages follow)."""

    items: list[HistoryItem]
    page_number: int = 1
    total_results: int | None = None  # over all pages, when the platform says
    has_more: bool = False
