"""Wire format of the history import (docs/history.md): one upload body in three forms, its answer, the listing."""
from __future__ import annotations

from datetime import date as Date  # noqa: N812 - a field is called `date`
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from scrapers.model import HistoryItem

MAX_ITEMS = 500

UploadPlatform = Literal["mturk", "prolific"]
UploadSource = Literal["status_details", "submissions"]


class HistoryUpload(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One of three forms (docs/history.md):

    * `{"platform": "mturk", "source": "status_details", "date": "YYYY-MM-DD", "payload": <page JSON>}`: one page
      of `https://worker.mturk.com/status_details/<date>?format=json` as the worker's browser received it;
    * `{"platform": "prolific", "source": "submissions", "payload": <submissions JSON>}`: a page of the worker's
      Prolific submissions;
    * `{"items": [HistoryItem, ...]}`: tasks already in the normalized form (at most 500).

    Raw payloads are read by the same parsers the server uses everywhere (scrapers/mturk_history.py,
    scrapers/prolific_history.py); a payload they cannot read is a 422 `invalid_payload` whose `field` is
    the dotted path inside the request body (e.g. `payload.results[3].state`), and nothing is stored.
    """

    platform: Annotated[UploadPlatform | None, msgspec.Meta(description="with `source` and `payload`")] = None
    source: Annotated[UploadSource | None, msgspec.Meta(
        description="`status_details` (MTurk, needs `date`) or `submissions` (Prolific)")] = None
    date: Annotated[Date | None, msgspec.Meta(
        description="MTurk only: the day of the status_details page (it is in the page's address, not its body)")] = None
    payload: Annotated[dict[str, Any] | list[Any] | str | None, msgspec.Meta(
        description="The platform's JSON as received (an object, a list, or the JSON text)")] = None
    items: Annotated[list[HistoryItem], msgspec.Meta(max_length=MAX_ITEMS)] | None = None


class PageInfo(msgspec.Struct, kw_only=True):
    """What the uploaded page said about the pages around it (so a client knows whether to fetch the next)."""

    page_number: int
    total_results: int | None
    has_more: bool


class ImportResult(msgspec.Struct, kw_only=True):
    received: int  # tasks read from the upload (Prolific submissions still in progress are not counted)
    added: int  # new rows
    updated: int  # rows that existed and changed
    unchanged: int  # rows that existed and stayed exactly as they were
    page: PageInfo | None  # null for the `items` form


class HistoryItemOut(msgspec.Struct, kw_only=True):
    """One stored task of the worker's history (also the form of the account export's `history`)."""

    id: int
    platform: str
    assignment_id: str
    task_id: str | None
    requester_id: str
    requester_name: str
    title: str
    reward_cents: int
    bonus_cents: int
    currency: str
    state: str  # pending | approved | rejected | returned | screened_out
    work_date: Date
    started_at: datetime | None
    ended_at: datetime | None
    requester_feedback: str
    imported_at: datetime
    updated_at: datetime


class HistoryListPage(msgspec.Struct, kw_only=True):
    items: list[HistoryItemOut]
    next_cursor: str | None


def history_item_out(row: Any) -> HistoryItemOut:
    return HistoryItemOut(
        id=row.id, platform=row.platform, assignment_id=row.assignment_id, task_id=row.task_id,
        requester_id=row.requester_id, requester_name=row.requester_name, title=row.title,
        reward_cents=row.reward_cents, bonus_cents=row.bonus_cents, currency=row.currency, state=row.state,
        work_date=row.work_date, started_at=row.started_at, ended_at=row.ended_at,
        requester_feedback=row.requester_feedback, imported_at=row.imported_at, updated_at=row.updated_at)
