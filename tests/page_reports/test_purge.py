"""Retention: reports of days more than FAIRFINDER_PAGE_REPORTS_RETENTION_DAYS ago are deleted by the scheduler's
`purge-page-reports` job; younger ones stay. (tests/page_reports/test_live_server.py runs the job in a real server.)"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from litestar.testing import TestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.engine import create_engine, session_factory
from server.jobs import PAGE_REPORTS_JOB, Scheduler, purge_page_reports, record_run
from server.page_reports.service import purge_reports
from server.settings import Settings
from tests.helpers import Db
from tests.page_reports.conftest import PATH, a_report, stored

TODAY = date(2027, 3, 15)  # the purge is given its day: no clock in this test


def run(settings: Settings, job: Callable[[async_sessionmaker[AsyncSession]], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        engine = create_engine(settings.database_url)
        try:
            return await job(session_factory(engine))
        finally:
            await engine.dispose()
    return asyncio.run(go())


def reports_on(client: TestClient, db: Db, days: list[date]) -> None:
    for day in days:
        assert client.post(PATH, json=a_report()).status_code == 201
        db.run("UPDATE page_reports SET day = ? WHERE id = (SELECT max(id) FROM page_reports)", day.isoformat())


def test_reports_older_than_the_retention_period_are_deleted(client: TestClient, db: Db, settings: Settings):
    days = [TODAY - timedelta(days=n) for n in (400, 91, 90, 89, 1, 0)]
    reports_on(client, db, days)
    deleted = run(settings, lambda sm: purge_reports(sm, 90, TODAY))
    assert deleted == 2
    assert [row["day"] for row in stored(db)] == [d.isoformat() for d in days[2:]]  # 90 days ago is kept
    assert run(settings, lambda sm: purge_reports(sm, 90, TODAY)) == 0  # nothing more to do
    assert run(settings, lambda sm: purge_reports(sm, 1, TODAY)) == 2  # a day's reports stay 1 full day
    assert [row["day"] for row in stored(db)] == [(TODAY - timedelta(days=1)).isoformat(), TODAY.isoformat()]


def test_the_job_purges_on_the_servers_day_and_is_recorded(client: TestClient, db: Db, settings: Settings):
    """The job takes today from the (test) clock: reports far on either side of the line, so a run that crosses
    midnight decides the same."""
    today = date.fromisoformat(client.post(PATH, json=a_report()).json()["day"])
    db.run("DELETE FROM page_reports")
    reports_on(client, db, [today - timedelta(days=200), today - timedelta(days=30)])
    run_row = run(settings, lambda sm: record_run(sm, PAGE_REPORTS_JOB, lambda: purge_page_reports(sm, 90)))
    assert run_row.status == "ok" and run_row.counts == {"page_reports": 1}
    assert run_row.message == "deleted page reports older than 90 days"
    assert [row["day"] for row in stored(db)] == [(today - timedelta(days=30)).isoformat()]
    assert db.rows("SELECT job, status FROM job_runs") == [(PAGE_REPORTS_JOB, "ok")]


def test_the_scheduler_plans_the_purge_daily(settings: Settings):
    async def planned() -> list[dict[str, object]]:
        engine = create_engine(settings.database_url)
        scheduler = Scheduler(settings, session_factory(engine))
        try:
            await scheduler.start()
            return scheduler.planned()
        finally:
            await scheduler.shutdown()
            await engine.dispose()
    jobs = {job["name"]: job for job in asyncio.run(planned())}
    assert jobs[PAGE_REPORTS_JOB]["interval_seconds"] == 24 * 3600
