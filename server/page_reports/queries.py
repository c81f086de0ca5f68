"""The page reports' reads: reports grouped by shape, with counts by day, extension version and browser, for the
admin route, the admin page and `fairfinder page-reports`. Counted in the database (one grouped select); only the
newest report of each listed shape is read whole."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import PageReport
from server.page_reports.schemas import (
    BrowserCount,
    DayCount,
    DayTotal,
    LatestReport,
    PageReportsOut,
    ShapeOut,
    VersionCount,
)

DEFAULT_DAYS = 7  # what the admin page and the CLI show unless told: a site change shows within hours
MAX_SHAPES = 200


def period_start(today: date, days: int) -> date:
    """The first day of the last `days` UTC days, today included."""
    return today - timedelta(days=max(1, days) - 1)


def _filters(platform: str | None, version: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if platform:
        conditions.append(PageReport.platform == platform)
    if version:
        conditions.append(PageReport.extension_version == version)
    return conditions


async def known_versions(session: AsyncSession) -> list[str]:
    """The extension versions of the reports kept (for the admin page's choice), newest version first."""
    rows = await session.scalars(select(PageReport.extension_version).distinct())
    return sorted(rows, key=lambda v: tuple(int(part) for part in v.split(".")), reverse=True)


async def load_reports(session: AsyncSession, *, today: date, since: date, platform: str | None = None,
                       version: str | None = None, limit: int = 50) -> PageReportsOut:
    """Reports from `since` to `today` (UTC days), grouped by shape: the most recently seen shapes first."""
    where = [*_filters(platform, version), PageReport.day >= since, PageReport.day <= today]
    grouped = await session.execute(
        select(PageReport.fingerprint, PageReport.platform, PageReport.page, PageReport.problem, PageReport.day,
               PageReport.extension_version, PageReport.browser, func.count(), func.max(PageReport.id))
        .where(*where)
        .group_by(PageReport.fingerprint, PageReport.platform, PageReport.page, PageReport.problem, PageReport.day,
                  PageReport.extension_version, PageReport.browser))
    per_day: Counter[tuple[date, str, str]] = Counter()
    shapes: dict[str, dict[str, object]] = {}
    days: defaultdict[str, Counter[date]] = defaultdict(Counter)
    versions: defaultdict[str, Counter[str]] = defaultdict(Counter)
    browsers: defaultdict[str, Counter[str]] = defaultdict(Counter)
    newest: dict[str, int] = {}
    for fingerprint, platform_, page, problem, day, extension_version, browser, reports, last_id in grouped:
        per_day[(day, platform_, extension_version)] += reports
        shapes.setdefault(fingerprint, {"platform": platform_, "page": page, "problem": problem})
        days[fingerprint][day] += reports
        versions[fingerprint][extension_version] += reports
        browsers[fingerprint][browser] += reports
        newest[fingerprint] = max(newest.get(fingerprint, 0), last_id)
    order = sorted(shapes, key=lambda f: (max(days[f]), sum(days[f].values()), newest[f]), reverse=True)
    listed = order[:limit]
    first_seen: dict[str, date] = {}
    latest: dict[str, PageReport] = {}
    if listed:
        first_seen = {fingerprint: day for fingerprint, day in await session.execute(
            select(PageReport.fingerprint, func.min(PageReport.day))
            .where(*_filters(platform, version), PageReport.fingerprint.in_(listed))
            .group_by(PageReport.fingerprint))}
        latest = {row.fingerprint: row for row in await session.scalars(
            select(PageReport).where(PageReport.id.in_([newest[f] for f in listed])))}
    return PageReportsOut(
        since=since, until=today, platform=platform, extension_version=version,
        reports=sum(per_day.values()),
        per_day=[DayTotal(day=day, platform=p, extension_version=v, reports=n)
                 for (day, p, v), n in sorted(per_day.items(), key=lambda item: (item[0][0], item[1]), reverse=True)],
        shapes=[_shape_out(f, shapes[f], days[f], versions[f], browsers[f], first_seen.get(f, min(days[f])), latest[f])
                for f in listed],
        more_shapes=len(order) - len(listed))


def _shape_out(fingerprint: str, facts: dict[str, object], days: Counter[date], versions: Counter[str],
               browsers: Counter[str], first_seen: date, latest: PageReport) -> ShapeOut:
    return ShapeOut(
        fingerprint=fingerprint, platform=str(facts["platform"]), page=str(facts["page"]),
        problem=str(facts["problem"]), reports=sum(days.values()), first_seen=min(first_seen, min(days)),
        last_seen=max(days), days=[DayCount(day=day, reports=n) for day, n in sorted(days.items())],
        versions=[VersionCount(extension_version=v, reports=n) for v, n in _most_first(versions)],
        browsers=[BrowserCount(browser=b, reports=n) for b, n in _most_first(browsers)],
        latest=LatestReport(day=latest.day, extension_version=latest.extension_version, browser=latest.browser,
                            counts=latest.counts, probes=latest.probes, elements=latest.elements))


def _most_first(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
