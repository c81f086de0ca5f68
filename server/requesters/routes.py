"""Requester summaries: one, or a batch of up to 100 for a page of tasks."""
from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.summary import RequesterSummary
from server.errors import ApiError, error_responses, not_found
from server.requesters.checks import check_platform_parameter
from server.requesters.queries import summaries

MAX_BATCH = 100


class RequesterController(Controller):
    path = "/api/v1/requesters"
    tags = ["requesters"]

    @get("/{platform:str}/{requester_id:str}", responses=error_responses(404), summary="One requester's summary")
    async def one(self, platform: str, requester_id: str, db_session: AsyncSession) -> RequesterSummary:
        requester_id = requester_id.strip()  # ids are stored stripped
        check_platform_parameter(platform)
        found = await summaries(db_session, platform, [requester_id])
        if requester_id not in found:
            raise not_found("This requester")
        return found[requester_id]

    @get("/", responses=error_responses(400), summary="Summaries of up to 100 requesters; unknown ids are left out")
    async def batch(
        self,
        db_session: AsyncSession,
        platform: Annotated[str, Parameter(min_length=2, max_length=32)],
        ids: Annotated[str, Parameter(min_length=1, max_length=100 * 130, description="comma-separated requester ids")],
    ) -> dict[str, RequesterSummary]:
        check_platform_parameter(platform)
        wanted = list(dict.fromkeys(i.strip() for i in ids.split(",") if i.strip()))
        if not wanted:
            raise ApiError(400, "invalid_parameter", "ids: give at least one requester id.", "ids")
        if len(wanted) > MAX_BATCH:
            raise ApiError(400, "too_many_ids", f"ids: at most {MAX_BATCH} requesters per request.", "ids")
        return await summaries(db_session, platform, wanted)
