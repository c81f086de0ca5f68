"""A worker's own MTurk history: one page of `status_details` for one day -> `HistoryPage`.

Input: the JSON of `GET https://worker.mturk.com/status_details/<YYYY-MM-DD>?page_number=<n>&format=json`
(20 results per page), as JSON bytes/str or already decoded; the shape is the `status_details` block of
/work/shared/fixtures/mturk/worker_mturk_json_shapes.json (transcribed from public typings, not captured):

    page_number         int, 1-based (default 1)
    num_results         int, results on this page (read for its type only: the list itself is counted)
    total_num_results   int, results of the day over all pages (optional)
    results[]           assignment_id (required)  -> assignment_id, the key of idempotent re-import
                        hit_id                    -> task_id
                        requester_id (required), requester_name
                        title (required)
                        reward {amount_in_dollars (required), currency_code (default USD)} (required)
                        state (required)          -> see STATES
                        requester_feedback        str | null -> requester_feedback
A bare list of result objects is accepted too (then nothing is known about other pages).

States: Submitted and Pending -> pending; Approved and Paid -> approved; Rejected -> rejected; Returned and
Abandoned (tracker scripts store these locally) -> returned. Case and surrounding spaces do not matter; any
other state is a `PayloadError` naming the field, because a state we do not know could be money we would
count wrongly.

More pages (`has_more`): only when the total is given, the page is full (at least PAGE_SIZE results: a short
page is the last one) and `page_number * results on this page < total`. Using the page's own length keeps
this right should MTurk ever serve longer pages. An empty page, a missing total or a short page: no more.

The day is the caller's (it is in the URL, not in the body): every item gets `work_date = day`. The page
carries no bonuses (bonus_cents 0) and no times (started_at/ended_at None).

Field rules (types, numeric strings, money in Decimal, ids of 1-128 letters, digits, '-', '_', text cleaning)
are those of `scrapers._payload`, described in `scrapers.mturk`. Titles longer than 500 characters and
requester names longer than 200 are truncated (with "…"), as the stored columns hold no more.
Unknown fields are ignored. Raises `PayloadError` (and nothing else) naming the first bad field.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from scrapers._payload import (
    describe_type,
    get_field,
    is_absent,
    join_path,
    load_json,
    optional_count,
    optional_currency,
    optional_id,
    optional_text,
    require_object,
    required_id,
    requester_id_of,
    required_text,
    task_list,
    to_minor_units,
)
from scrapers.model import HistoryItem, HistoryPage, PayloadError

__all__ = ["PAGE_SIZE", "STATES", "parse_status_details", "shorten"]

PAGE_SIZE = 20  # results per status_details page
MAX_TITLE_CHARS = 500
MAX_NAME_CHARS = 200

STATES = {
    "submitted": "pending",
    "pending": "pending",
    "approved": "approved",
    "paid": "approved",
    "rejected": "rejected",
    "returned": "returned",
    "abandoned": "returned",
}


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, the last one an ellipsis, when longer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _state(result: Mapping, path: str) -> str:
    value = get_field(result, "state")
    full = join_path(path, "state")
    if is_absent(value):
        raise PayloadError(full, "is required")
    if not isinstance(value, str):
        raise PayloadError(full, f"must be a string, not {describe_type(value)}")
    state = STATES.get(value.strip().lower())
    if state is None:
        known = ", ".join(sorted({k.capitalize() for k in STATES}))
        raise PayloadError(full, f"unknown state {value.strip()[:40]!r} (known: {known})")
    return state


def _reward(result: Mapping, path: str) -> tuple[int, str]:
    reward_path = join_path(path, "reward")
    reward = get_field(result, "reward")
    if is_absent(reward):
        raise PayloadError(reward_path, "is required")
    reward = require_object(reward, reward_path)
    amount_path = join_path(reward_path, "amount_in_dollars")
    amount = get_field(reward, "amount_in_dollars")
    if is_absent(amount):
        raise PayloadError(amount_path, "is required")
    return to_minor_units(amount, amount_path, scale=100), optional_currency(reward, "currency_code", reward_path, "USD")


def _parse_result(raw: Any, path: str, day: date) -> HistoryItem:
    result = require_object(raw, path)
    assignment_id = required_id(result, "assignment_id", path)
    requester_id = requester_id_of(result, "requester_id", path, "mturk")
    title = shorten(required_text(result, "title", path), MAX_TITLE_CHARS)
    reward_cents, currency = _reward(result, path)
    return HistoryItem(
        platform="mturk",
        assignment_id=assignment_id,
        task_id=optional_id(result, "hit_id", path),
        requester_id=requester_id,
        requester_name=shorten(optional_text(result, "requester_name", path), MAX_NAME_CHARS),
        title=title,
        reward_cents=reward_cents,
        currency=currency,
        state=_state(result, path),
        work_date=day,
        requester_feedback=optional_text(result, "requester_feedback", path),
    )


def _has_more(page_number: int, on_page: int, total: int | None) -> bool:
    if total is None or on_page < PAGE_SIZE:
        return False
    return page_number * on_page < total


def parse_status_details(payload: bytes | str | dict | list, day: date) -> HistoryPage:
    """The tasks of one status_details page of `day`, in page order, and what the pager says."""
    if not isinstance(day, date):
        raise PayloadError("date", "must be a date")
    data = load_json(payload)
    results, prefix = task_list(data, ("results",))
    items = [_parse_result(item, join_path(prefix, i), day) for i, item in enumerate(results)]
    if not isinstance(data, Mapping):
        return HistoryPage(items=items, page_number=1, total_results=None, has_more=False)
    page_number = optional_count(data, "page_number", "")
    if page_number is not None and page_number < 1:
        raise PayloadError("page_number", "must be 1 or more")
    optional_count(data, "num_results", "")  # type-checked only
    total = optional_count(data, "total_num_results", "")
    page_number = page_number or 1
    return HistoryPage(items=items, page_number=page_number, total_results=total,
                       has_more=_has_more(page_number, len(items), total))
