"""GET /api/v1/export/ratings: the open ratings dump (docs/ratings-dump.md); export.py makes it."""
from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from server.community.export import MEDIA_TYPE, dump_filename, etag_matches, export_with_new_session, full_dump_etag, parse_since
from server.db.models import utcnow
from server.errors import ApiError, error_responses
from server.settings import Settings

DESCRIPTION = """\
Everything this community publishes as open data: requester and task-type aggregates and reviews without
their authors (only visible ones: a held or hidden review leaves with a `deleted` record and comes back
when restored), never worker handles or ids, tokens, timings, demo data or ratings imported from elsewhere.
The body is gzip-compressed JSON Lines (`application/gzip`), streamed: a meta line (schema, licence,
`next_since`), the records (`deleted` records only with `since`, then `requester`, `task_type`, `review`),
and an end line with the record count. The format is the contract of docs/ratings-dump.md
(schema `fairfinder.ratings`, version 1).

Without `since` the dump is full and carries a strong `ETag`: send it back as `If-None-Match` to get
`304 Not Modified` while nothing changed. With `since` (the `next_since` of the previous dump) only what
changed since then is sent, deletions included.
"""


class ExportController(Controller):
    path = "/api/v1/export"
    tags = ["community"]

    @get(
        "/ratings",
        summary="The open ratings dump (gzip-compressed JSON Lines, docs/ratings-dump.md)",
        description=DESCRIPTION,
        media_type=MEDIA_TYPE,
        response_description="gzip-compressed JSON Lines: meta line, records, end line (docs/ratings-dump.md)",
        response_headers=[
            ResponseHeader(name="ETag", documentation_only=True, required=False,
                           description="Full dumps only: a strong validator for If-None-Match."),
            ResponseHeader(name="Content-Disposition", documentation_only=True,
                           description='attachment; filename="fairfinder-ratings-YYYYMMDD.jsonl.gz"'),
        ],
        responses={
            **error_responses(400),
            304: ResponseSpec(data_container=None, description="Nothing changed since the dump with this ETag."),
        },
    )
    async def ratings(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        settings: Settings,
        since: Annotated[str | None, Parameter(
            max_length=64, schema_extra={"format": "date-time"},
            description="A cursor: the `next_since` of the previous dump, to get only what changed since then. It is "
                        "an ISO-8601 date and time (`2026-11-24T09:55:00.000000Z`; one without an offset is read as "
                        "UTC), but treat it as opaque and send it back as you got it. One that is not a date and time, "
                        "or lies in the future, is a 400 `invalid_parameter`.")] = None,
    ) -> Response[Any]:
        started = utcnow()
        since_at = None
        if since is not None:
            try:
                since_at = parse_since(since, started)
            except ValueError as error:
                raise ApiError(400, "invalid_parameter", f"since: {error}", "since") from None
        headers = {
            "Content-Disposition": f'attachment; filename="{dump_filename(started, since_at)}"',
            "Cache-Control": "no-cache",
        }
        if since_at is None:
            headers["ETag"] = etag = await full_dump_etag(db_session, settings)
            if etag_matches(request.headers.get("if-none-match"), etag):
                return Response(content=b"", status_code=304, headers={"ETag": etag, "Cache-Control": "no-cache"})
        if db_session.in_transaction():
            await db_session.commit()  # read only; the dump reads in a transaction of its own
        chunks = export_with_new_session(
            request.app.state.sessionmaker, since=since_at, licence=settings.dump_licence,
            community=settings.community_name, started=started)
        return Stream(chunks, media_type=MEDIA_TYPE, headers=headers)


EXPORT_ROUTES = [ExportController]
