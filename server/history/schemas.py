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


def _described(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)  # shown in the OpenAPI document


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
    items: Annotated[list[HistoryItem], msgspec.Meta(max_length=MAX_ITEMS, description=(
        f"The third form: tasks already normalized (at most {MAX_ITEMS}), instead of platform, source and payload."))
    ] | None = None


class PageInfo(msgspec.Struct, kw_only=True):
    """What the uploaded page said about the pages around it (so a client knows whether to fetch the next)."""

    page_number: Annotated[int, _described("The number of the uploaded page, from 1.")]
    total_results: Annotated[int | None, _described(
        "How many tasks all pages hold together, when the platform says; else null.")]
    has_more: Annotated[bool, _described("Whether more pages follow this one.")]


class ImportResult(msgspec.Struct, kw_only=True):
    received: Annotated[int, _described(  # tasks read from the upload (Prolific submissions still in progress are not counted)
        "Tasks read from the upload (Prolific submissions still in progress are not counted).")]
    added: Annotated[int, _described("Tasks stored for the first time.")]
    updated: Annotated[int, _described("Tasks already stored that changed.")]
    unchanged: Annotated[int, _described("Tasks already stored that stayed exactly as they were.")]
    page: Annotated[PageInfo | None, _described(
        "What the uploaded page said about the pages around it; null for the `items` form.")]


class HistoryItemOut(msgspec.Struct, kw_only=True):
    """One stored task of the worker's history (also the form of the account export's `history`)."""

    id: Annotated[int, _described("The row's id on this server.")]
    platform: Annotated[str, _described("The platform (mturk or prolific).")]
    assignment_id: Annotated[str, _described("MTurk assignment id or Prolific submission id: the row's key.")]
    task_id: Annotated[str | None, _described("The MTurk HIT id or Prolific study id; null when not known.")]
    requester_id: Annotated[str, _described("The requester's id on the platform.")]
    requester_name: Annotated[str, _described("The requester's name as the history gave it; may be empty.")]
    title: Annotated[str, _described("The task's title.")]
    reward_cents: Annotated[int, _described("The task's reward, in whole cents (minor units) of `currency`.")]
    bonus_cents: Annotated[int, _described("Bonus paid for it, in whole cents of `currency`; 0 when none.")]
    currency: Annotated[str, _described("ISO 4217 code of the money amounts, e.g. USD.")]
    state: Annotated[str, _described(  # pending | approved | rejected | returned | screened_out
        "pending, approved, rejected, returned or screened_out.")]
    work_date: Annotated[Date, _described("The task's day on the platform (YYYY-MM-DD).")]
    started_at: Annotated[datetime | None, _described(
        "When the worker started the task (UTC), from the platform or the worker's own timing; null when not known.")]
    ended_at: Annotated[datetime | None, _described(
        "When the worker finished the task (UTC), from the platform or the worker's own timing; null when not known.")]
    requester_feedback: Annotated[str, _described(
        "What the requester wrote to the worker about this task; empty when nothing.")]
    imported_at: Annotated[datetime, _described("When the task was first imported (UTC).")]
    updated_at: Annotated[datetime, _described("When a re-import last changed it (UTC); else when it was imported.")]


class HistoryListPage(msgspec.Struct, kw_only=True):
    items: Annotated[list[HistoryItemOut], _described("Tasks of the imported history, newest day first.")]
    next_cursor: Annotated[str | None, _described(
        "Opaque: pass it as `cursor` to get the next page; null on the last page.")]


def history_item_out(row: Any) -> HistoryItemOut:
    return HistoryItemOut(
        id=row.id, platform=row.platform, assignment_id=row.assignment_id, task_id=row.task_id,
        requester_id=row.requester_id, requester_name=row.requester_name, title=row.title,
        reward_cents=row.reward_cents, bonus_cents=row.bonus_cents, currency=row.currency, state=row.state,
        work_date=row.work_date, started_at=row.started_at, ended_at=row.ended_at,
        requester_feedback=row.requester_feedback, imported_at=row.imported_at, updated_at=row.updated_at)
