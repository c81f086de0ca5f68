"""Routes of the worker's own record: GET /api/v1/me/earnings (bearer), the /me page and its session."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import provide_worker
from server.db.models import Worker
from server.domain.period import DEFAULT_GAP_MINUTES, MAX_GAP_MINUTES, parse_period
from server.errors import Problem, error_responses, problems_error
from server.me.pages import PAGE_ROUTES
from server.me.queries import load_earnings
from server.me.schemas import EarningsOut

ME_TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

class EarningsController(Controller):
    path = "/api/v1/me"
    tags = ["me"]
    dependencies = {"worker": Provide(provide_worker)}

    @get("/earnings", responses=error_responses(400, 401),
         summary="Your earnings and effective hourly pay, with and without unpaid time (docs/earnings.md)")
    async def earnings(
        self, worker: Worker, db_session: AsyncSession,
        from_: Annotated[str | None, Parameter(
            query="from", max_length=40, description="first day, YYYY-MM-DD (default: 44 days before `to`)")] = None,
        to: Annotated[str | None, Parameter(max_length=40, description="last day, YYYY-MM-DD, inclusive "
                                                                       "(default: today in `tz`)")] = None,
        tz: Annotated[str | None, Parameter(max_length=200, description="IANA time zone of the days (default UTC)")]
        = None,
        gap_minutes: Annotated[str | None, Parameter(
            max_length=40, description=f"longest gap between tasks that counts as searching, 0 to {MAX_GAP_MINUTES} "
                                       f"minutes (default {DEFAULT_GAP_MINUTES}); longer gaps are breaks")] = None,
    ) -> Response[EarningsOut]:
        period, errors = parse_period(from_, to, tz, gap_minutes, datetime.now(timezone.utc))
        if period is None:
            # Query parameters: 400 invalid_parameter, every problem at once (server/errors.py).
            order = ("from", "to", "tz", "gap_minutes")
            raise problems_error(400, "invalid_parameter", [Problem(e.field, "invalid", e.message) for e in
                                                            sorted(errors, key=lambda e: order.index(e.field))])
        body = await load_earnings(db_session, worker.id, period)
        return Response(body, headers={"Cache-Control": "no-store"})


ME_ROUTES: list = [EarningsController, *PAGE_ROUTES]
