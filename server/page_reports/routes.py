"""POST /api/v1/page-reports (anonymous: any extension, signed in or not) and GET /api/v1/admin/page-reports (an
admin token). Thin handlers over service.py (the write) and queries.py (the read); docs/page-reports.md."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from server.admin import provide_admin
from server.auth import provide_worker
from server.db.models import Worker, utcnow
from server.domain import page_shape as shape
from server.errors import ErrorBody, error_response, error_responses
from server.errors import handle_http as default_handle_http
from server.page_reports.queries import DEFAULT_DAYS, MAX_SHAPES, load_reports, period_start
from server.page_reports.schemas import PageReportIn, PageReportsOut, PageReportStored, Platform
from server.page_reports.service import store_report

# The largest report the extension can make (150 kinds of element, each with 8 classes and a data-testid of 48
# characters) is about 82 KB as compact JSON; tests/page_reports/test_api.py builds it and checks it fits.
MAX_REPORT_BYTES = 96 * 1024
REPORTS_PATH = "/api/v1/page-reports"
ADMIN_PATH = "/api/v1/admin/page-reports"


def handle_too_large(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    """A report over the route's own limit: say the limit (the app-wide handler knows only the app's)."""
    if exc.status_code == 413:
        return error_response(413, "payload_too_large", f"A page report can be at most {MAX_REPORT_BYTES} bytes "
                                                         "of JSON; this one is larger, so nothing was stored.")
    return default_handle_http(request, exc)


@post(REPORTS_PATH, status_code=201, tags=["page reports"], request_max_body_size=MAX_REPORT_BYTES,
      exception_handlers={HTTPException: handle_too_large}, responses=error_responses(413, 422),
      summary="Report the shape of a platform page the extension could not read (anonymous; no token needed)",
      description="Tag names, class and data-testid names and counts only (extension/README.md). Nothing about "
                  "the sender is kept: no address, token or account; only the UTC day. Rate limited per address "
                  "and per token (FAIRFINDER_RATE_LIMIT_REPORTS).")
async def create_page_report(data: PageReportIn, db_session: AsyncSession) -> PageReportStored:
    row = await store_report(db_session, data, utcnow().date())
    return PageReportStored(stored=True, fingerprint=row.fingerprint, day=row.day)


class PageReportAdminController(Controller):
    path = ADMIN_PATH
    tags = ["admin"]
    dependencies = {"worker": Provide(provide_worker), "admin": Provide(provide_admin)}

    @get("/", responses=error_responses(401, 403),
         summary="Page-shape reports grouped by shape, with counts by day, extension version and browser")
    async def list_reports(
        self, admin: Worker, db_session: AsyncSession,
        platform: Annotated[Platform | None, Parameter(description="only this platform's reports")] = None,
        version: Annotated[str | None, Parameter(pattern=shape.VERSION_PATTERN,
                                                 description="only this extension version's reports")] = None,
        since: Annotated[date | None, Parameter(description=f"the first UTC day; default: the last {DEFAULT_DAYS} "
                                                            "days, today included")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_SHAPES, description="shapes listed at most")] = 50,
    ) -> PageReportsOut:
        today = utcnow().date()
        return await load_reports(db_session, today=today, since=since or period_start(today, DEFAULT_DAYS),
                                  platform=platform, version=version, limit=limit)
