"""Requester summaries: one, or a batch of up to 100 for a page of tasks."""
from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Requester, RequesterStats
from server.domain.summary import RequesterSummary, summary_of
from server.domain.weights import DEFAULT_WEIGHTS, Weights
from server.errors import ApiError, error_responses, not_found
from server.requesters.checks import check_platform_parameter
from server.requesters.queries import load_imported, load_platforms

MAX_BATCH = 100


async def summaries(session: AsyncSession, platform: str, ids: list[str],
                    weights: Weights = DEFAULT_WEIGHTS) -> dict[str, RequesterSummary]:
    """Summaries with other communities' ratings counted as `weights` say (all fully by default)."""
    rows = list(await session.scalars(select(Requester).where(Requester.platform == platform,
                                                              Requester.external_id.in_(ids))))
    stats = {s.requester_id: s for s in await session.scalars(
        select(RequesterStats).where(RequesterStats.requester_id.in_([r.id for r in rows])))} if rows else {}
    imported = await load_imported(session, [r.id for r in rows])
    platforms = await load_platforms(session, [platform])
    return {r.external_id: summary_of(r, stats.get(r.id), platforms[platform], imported.get(r.id, ()), weights)
            for r in rows}


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
