"""The worker's own platform history: import (MTurk status_details pages, Prolific submissions, normalized items),
listing and deleting. Private: every route needs the worker's token and only ever touches their rows.
The request and answer shapes are documented in docs/history.md (the extension relies on them)."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Annotated

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers import ids
from scrapers.model import HISTORY_STATES, HistoryItem, HistoryPage, PayloadError
from scrapers.mturk_history import parse_status_details
from scrapers.prolific_history import parse_submissions
from server.auth import provide_worker
from server.db.engine import write_transaction
from server.db.models import Worker, WorkHistoryItem, utcnow
from server.domain.earnings import PLATFORM_PAGE, SELF_REPORTED
from server.domain.paging import is_row_id
from server.errors import ApiError, error_responses, not_found
from server.history.queries import filtered, newest_first
from server.history.schemas import HistoryListPage, HistoryUpload, ImportResult, PageInfo, history_item_out
from server.history.service import bonuses_changed, delete_history, import_items

# No platform existed before this (MTurk opened in November 2005). A platform's day may run up to a day
# ahead of UTC (time zones), so "today + 1" is the latest plausible day; anything later is a broken clock.
EARLIEST_DAY = date(2005, 1, 1)
EARLIEST = datetime(2005, 1, 1, tzinfo=timezone.utc)
AHEAD = timedelta(days=1)
SOURCES = {"mturk": "status_details", "prolific": "submissions"}
PLATFORM_PATTERN = r"^[a-z][a-z0-9_]*$"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
NO_STORE = {"Cache-Control": "no-store"}


def _day_parameter(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        if _DAY.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ApiError(400, "invalid_parameter", f"{name}: must be a day as YYYY-MM-DD.", name)


def _payload_field(path: str) -> str:
    """A parser's path (relative to the platform's JSON) as a path in the request body."""
    if path == "payload" or path.startswith(("payload.", "payload[")):
        return path
    return "payload" + path if path.startswith("[") else f"payload.{path}"


def _check_day(day: date, field: str, today: date, what: str = "") -> None:
    if day < EARLIEST_DAY:
        raise ApiError(422, "invalid_field", f"{field}: {what}lies before 2005; no platform history is that old.", field)
    if day > today + AHEAD:
        raise ApiError(422, "invalid_field", f"{field}: {what}lies in the future; check the device clock.", field)


def _utc(moment: datetime | None, field: str, now: datetime) -> datetime | None:
    if moment is None:
        return None
    if moment.utcoffset() is None:
        raise ApiError(422, "invalid_field", f"{field}: give a time zone (e.g. '2026-01-31T10:00:00Z').", field)
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:
        raise ApiError(422, "invalid_field", f"{field}: out of range.", field) from None
    if moment < EARLIEST:
        raise ApiError(422, "invalid_field", f"{field}: lies before 2005; check the device clock.", field)
    if moment > now + AHEAD:
        raise ApiError(422, "invalid_field", f"{field}: lies in the future; check the device clock.", field)
    return moment


def checked_items(items: list[HistoryItem], now: datetime, *, prefix: str | None) -> list[HistoryItem]:
    """Items with plausible days and aware UTC times, or a 422 naming the first bad one. `prefix` is the body
    path of the list ("items"); None for items parsed from a payload (the error names `payload` and the
    assignment then)."""
    today = now.date()
    out = []
    for i, item in enumerate(items):
        what = "" if prefix else f"{item.assignment_id} "
        if prefix:  # a parsed page was checked by its parser (scrapers/ids.py)
            if (problem := ids.platform_problem(item.platform)) is not None:
                raise ApiError(422, "invalid_field", f"{prefix}[{i}].platform: {problem}.", f"{prefix}[{i}].platform")
            if (problem := ids.requester_id_problem(item.platform, item.requester_id.strip())) is not None:
                raise ApiError(422, "invalid_requester_id", f"{prefix}[{i}].requester_id: {problem}.",
                               f"{prefix}[{i}].requester_id")
        paths = {name: f"{prefix}[{i}].{name}" if prefix else "payload" for name in ("work_date", "started_at", "ended_at")}
        _check_day(item.work_date, paths["work_date"], today, what)
        started = _utc(item.started_at, paths["started_at"], now)
        ended = _utc(item.ended_at, paths["ended_at"], now)
        if started is not None and ended is not None and ended < started:
            raise ApiError(422, "invalid_field", f"{paths['ended_at']}: {what}ends before it starts.", paths["ended_at"])
        out.append(msgspec.structs.replace(item, started_at=started, ended_at=ended))
    return out


def _parse(data: HistoryUpload, today: date) -> HistoryPage:
    """The page a raw upload holds (platform/source/payload form), or a 422 saying what is wrong."""
    if data.platform is None:
        raise ApiError(422, "invalid_field", "platform: is required (or send normalized `items`).", "platform")
    expected = SOURCES[data.platform]
    if data.source is not None and data.source != expected:
        raise ApiError(422, "invalid_field", f"source: {data.platform} history comes as '{expected}'.", "source")
    if data.payload is None:
        raise ApiError(422, "invalid_field", "payload: is required (the platform's JSON as received).", "payload")
    if data.platform == "prolific" and data.date is not None:
        raise ApiError(422, "invalid_field", "date: only MTurk pages need a date; Prolific submissions carry theirs.",
                       "date")
    try:
        if data.platform == "mturk":
            if data.date is None:
                raise ApiError(422, "invalid_field", "date: is required: the day of the status_details page.", "date")
            _check_day(data.date, "date", today)
            return parse_status_details(data.payload, data.date)
        return parse_submissions(data.payload)
    except PayloadError as error:
        field = _payload_field(error.field)
        raise ApiError(422, "invalid_payload", f"{field}: {error.message}", field) from None


class HistoryController(Controller):
    path = "/api/v1/me/history"
    tags = ["history"]
    dependencies = {"worker": Provide(provide_worker)}

    @post("/", status_code=200, responses=error_responses(401, 413, 422),
          summary="Import a page of your platform history (idempotent: re-importing never duplicates; docs/history.md)",
          description="Send one of three forms: a raw MTurk status_details page with its `date`, a raw Prolific "
                      "submissions page, or normalized `items` (at most 500). Rows are keyed by (platform, "
                      "assignment_id): a state only moves forward (pending -> decided), empty values never erase "
                      "stored ones. A payload the parsers cannot read is a 422 `invalid_payload` whose `field` is "
                      "the dotted path in the body; nothing is stored then.")
    async def upload(self, data: HistoryUpload, worker: Worker, db_session: AsyncSession) -> ImportResult:
        now = utcnow()
        if data.items is not None:
            stray = next((name for name in ("platform", "source", "date", "payload") if getattr(data, name) is not None),
                         None)
            if stray is not None:
                raise ApiError(422, "invalid_field", f"{stray}: send either normalized `items` or a raw `payload`, "
                                                     "not both.", stray)
            items, page = checked_items(data.items, now, prefix="items"), None
        else:
            parsed = _parse(data, now.date())
            items = checked_items(parsed.items, now, prefix=None)
            page = PageInfo(page_number=parsed.page_number, total_results=parsed.total_results,
                            has_more=parsed.has_more)
        async with write_transaction(db_session):
            counts = await import_items(db_session, worker.id, items, now,
                                        SELF_REPORTED if page is None else PLATFORM_PAGE)
        return ImportResult(received=counts.received, added=counts.added, updated=counts.updated,
                            unchanged=counts.unchanged, page=page)

    @get("/", responses=error_responses(401), summary="Your imported history, newest day first")
    async def list_own(
        self, worker: Worker, db_session: AsyncSession,
        from_: Annotated[str | None, Parameter(query="from", description="first day (YYYY-MM-DD), inclusive")] = None,
        to: Annotated[str | None, Parameter(description="last day (YYYY-MM-DD), inclusive")] = None,
        platform: Annotated[str | None, Parameter(max_length=32, pattern=PLATFORM_PATTERN,
                                                  description="mturk, prolific, …")] = None,
        state_: Annotated[str | None, Parameter(query="state", description=(
            "only tasks in this state: " + ", ".join(HISTORY_STATES)))] = None,
        cursor: Annotated[str | None, Parameter(max_length=64, description="next_cursor of the previous page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> Response[HistoryListPage]:
        start, end = _day_parameter(from_, "from"), _day_parameter(to, "to")
        if start is not None and end is not None and start > end:
            raise ApiError(400, "invalid_parameter", "to: must not lie before from.", "to")
        if state_ is not None and state_ not in HISTORY_STATES:
            raise ApiError(400, "invalid_parameter", f"state: must be one of {', '.join(HISTORY_STATES)}.", "state")
        query = filtered(worker.id, start=start, end=end, platform=platform, state=state_)
        rows, next_cursor = await newest_first(db_session, query, cursor, limit)
        return Response(HistoryListPage(items=[history_item_out(row) for row in rows], next_cursor=next_cursor),
                        headers=NO_STORE)

    @delete("/", status_code=204, responses=error_responses(401),
            summary="Delete your imported history (all of it, or one platform's)")
    async def remove_all(
        self, worker: Worker, db_session: AsyncSession,
        platform: Annotated[str | None, Parameter(max_length=32, pattern=PLATFORM_PATTERN,
                                                  description="only this platform's history")] = None,
    ) -> None:
        async with write_transaction(db_session):
            await delete_history(db_session, worker.id, platform)

    @delete("/{item_id:int}", status_code=204, responses=error_responses(401, 404),
            summary="Delete one task of your imported history")
    async def remove(self, item_id: int, worker: Worker, db_session: AsyncSession) -> None:
        async with write_transaction(db_session):
            row = await db_session.scalar(select(WorkHistoryItem).where(
                WorkHistoryItem.id == item_id, WorkHistoryItem.worker_id == worker.id)) if is_row_id(item_id) else None
            if row is None:
                raise not_found("A task of your history with this id")
            await db_session.delete(row)
            if row.source == PLATFORM_PAGE:  # its bonus no longer counts (server/domain/bonus.py)
                await bonuses_changed(db_session, [(row.platform, row.requester_id)])


HISTORY_ROUTES: list = [HistoryController]
