"""The page reports' writes: store a checked report (the shape and the UTC day, nothing about who sent it), and
purge old ones (the scheduler's `purge-page-reports` job)."""
from __future__ import annotations

from datetime import date, timedelta

import msgspec
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.engine import write_transaction
from server.db.models import PageReport
from server.db.upsert import rows_affected
from server.domain import page_shape as shape
from server.errors import ApiError
from server.page_reports.schemas import PageReportIn


def _refuse(field: str, message: str, code: str = "invalid_field") -> ApiError:
    return ApiError(422, code, f"{field}: {message}", field)


def check_report(report: PageReportIn) -> None:
    """What the patterns cannot say (server/domain/page_shape.py): ApiError 422 naming the first field at fault."""
    problem = shape.page_problem(report.platform, report.page)
    if problem:
        raise _refuse("page", problem)
    keys = []
    for i, element in enumerate(report.elements):
        names = [(f"elements[{i}].classes[{j}]", name) for j, name in enumerate(element.classes)]
        if element.testid is not None:
            names.append((f"elements[{i}].testid", element.testid))
        for field, name in names:
            words = shape.name_problem(name)
            if words:
                raise _refuse(field, words, "looks_identifying")
        twice = shape.duplicate(element.classes)
        if twice is not None:
            raise _refuse(f"elements[{i}].classes[{twice}]", "this class is listed twice in the same element")
        keys.append(shape.element_key(element.tag, element.classes, element.testid))
    twice = shape.duplicate(keys)
    if twice is not None:
        raise _refuse(f"elements[{twice}]", "an element with the same tag, classes and data-testid is listed "
                                            "before; list each kind once, with its count")


def report_fingerprint(report: PageReportIn) -> str:
    return shape.fingerprint(report.platform, report.page, report.problem, report.probes,
                             (shape.element_key(e.tag, e.classes, e.testid) for e in report.elements))


async def store_report(session: AsyncSession, report: PageReportIn, today: date) -> PageReport:
    """Check and store one report under the UTC day `today`. Only what the report says is kept, as it was sent."""
    check_report(report)
    row = PageReport(day=today, platform=report.platform, page=report.page, problem=report.problem,
                     extension_version=report.extension_version, browser=report.browser,
                     schema_version=report.schema, fingerprint=report_fingerprint(report),
                     counts=msgspec.to_builtins(report.counts), probes=dict(report.probes),
                     elements=msgspec.to_builtins(report.elements))
    async with write_transaction(session):
        session.add(row)
    return row


async def purge_reports(sessionmaker: async_sessionmaker[AsyncSession], retention_days: int, today: date) -> int:
    """Delete the reports of days more than `retention_days` before `today` (UTC); how many were deleted."""
    cutoff = today - timedelta(days=retention_days)
    async with sessionmaker() as session, write_transaction(session):
        result = await session.execute(delete(PageReport).where(PageReport.day < cutoff))
    return rows_affected(result)
