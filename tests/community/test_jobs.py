"""The scheduler's jobs on their own: aging the 90-day figures, purging old timings, recording runs."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from scrapers.ratings import ImportError_
from server.community.runner import Outcome
from server.db.engine import create_engine, session_factory
from server.jobs import purge_timings, record_run, refresh_recent
from server.settings import Settings
from tests.api.conftest import a_review, a_timing
from tests.conftest import register
from tests.database import Sql, json_value


def run(settings: Settings, job):
    async def go():
        engine = create_engine(settings.database_url)
        try:
            return await job(session_factory(engine))
        finally:
            await engine.dispose()
    return asyncio.run(go())


def sql(settings: Settings, query: str, *params) -> list[tuple]:
    return Sql(settings.database_url).execute(query, *params)


def recent_of(settings: Settings) -> dict:
    return json_value(sql(settings, "SELECT recent FROM requester_stats")[0][0])


def test_refresh_recent_ages_reviews_out_of_the_90_days(client, settings):
    assert client.post("/api/v1/reviews", headers=register(client), json=a_review(outcome="rejected")).status_code == 201
    assert recent_of(settings) == {"reviews": 1, "rejections": 1, "blocks": 0}
    old = (datetime.now(timezone.utc) - timedelta(days=100)).strftime("%Y-%m-%d %H:%M:%S.%f")
    sql(settings, "UPDATE reviews SET updated_at = ?", old)
    assert recent_of(settings)["reviews"] == 1  # nothing recomputed it yet: this is what the job is for

    outcome = run(settings, lambda sm: refresh_recent(sm, None))
    assert outcome.counts == {"requesters": 1}
    assert recent_of(settings) == {"reviews": 0, "rejections": 0, "blocks": 0}
    # A later run only looks at reviews that crossed the line since the last one.
    again = run(settings, lambda sm: refresh_recent(sm, datetime.now(timezone.utc)))
    assert again.counts == {"requesters": 0}


def test_purge_deletes_old_timings_and_recomputes_what_they_fed(client, settings):
    headers = register(client)
    for i, (start, end) in enumerate([("2024-01-10T10:00:00Z", "2024-01-10T10:10:00Z"),
                                      ("2026-11-01T10:00:00Z", "2026-11-01T10:05:00Z")]):
        body = a_timing(assignment_id=f"A{i}", accepted_at=start, ended_at=end)
        assert client.post("/api/v1/timings", headers=headers, json=body).status_code == 201
    assert sql(settings, "SELECT samples FROM task_type_stats") == [(2,)]

    outcome = run(settings, lambda sm: purge_timings(sm, 365))
    assert outcome.counts == {"timings": 1, "requesters": 1}
    assert sql(settings, "SELECT assignment_id FROM timings") == [("A1",)]
    assert sql(settings, "SELECT samples FROM task_type_stats") == [(1,)]
    off = run(settings, lambda sm: purge_timings(sm, 0))
    assert off.counts == {"timings": 0} and sql(settings, "SELECT count(*) FROM timings") == [(1,)]


@pytest.mark.parametrize("work, status, message", [
    (lambda: _ok(), "ok", "did it"),
    (lambda: _raise(ImportError_("line 3: bad", "")), "failed", "line 3: bad"),
    (lambda: _raise(RuntimeError("secret detail")), "failed", "internal error: RuntimeError"),
])
def test_every_run_is_recorded_with_its_outcome(client, settings, work, status, message):
    recorded = run(settings, lambda sm: record_run(sm, "import:x", work))
    assert recorded.status == status
    row = sql(settings, "SELECT job, status, message, finished_at IS NOT NULL FROM job_runs")
    assert row == [("import:x", status, message, 1)]


async def _ok() -> Outcome:
    return Outcome("ok", "did it", {"n": 1})


async def _raise(error: Exception) -> Outcome:
    raise error
