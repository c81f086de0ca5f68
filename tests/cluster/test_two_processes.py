"""Two real server processes on one PostgreSQL database behave as one service (docs/deploying.md): the
scheduler runs in one of them and moves when it dies, tokens and rate limits hold across them, and a write
on one is seen by the other's annotate cache long before the cache's TTL."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import a_review
from tests.cluster.conftest import Servers, jobs, make_admin, runner_of, wait_for
from tests.database import Sql

pytestmark = pytest.mark.database

QUIET = {"FAIRFINDER_LOG_LEVEL": "WARNING", "FAIRFINDER_SCHEDULER_RETRY": "0.5"}


def refresh_runs(sql: Sql) -> list[tuple[Any, ...]]:
    return sql.rows("SELECT started_at, finished_at, runner, status FROM job_runs WHERE job = 'refresh-recent' "
                    "ORDER BY started_at")


def as_time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def test_the_scheduler_runs_in_one_process_and_moves_when_it_dies(tmp_path: Path, postgres_url: str) -> None:
    servers = Servers(tmp_path, postgres_url, {**QUIET, "FAIRFINDER_RATE_LIMITS": "off",
                                               "FAIRFINDER_REFRESH_INTERVAL": "1"})
    sql = Sql(postgres_url)
    try:
        a = servers.start("a")
        b = servers.start("b")
        assert a.process is not None and b.process is not None
        admin = make_admin(a)
        wait_for("four refresh runs", lambda: len([r for r in refresh_runs(sql) if r[1] is not None]) >= 4)

        runs = refresh_runs(sql)
        assert {runner for _, _, runner, _ in runs} == {runner_of(a.process.pid)}  # only the first process ran them
        assert all(status in ("ok", "running") for *_, status in runs), runs
        finished = [run for run in runs if run[1] is not None]
        for earlier, later in zip(finished, finished[1:]):
            assert as_time(earlier[1]) <= as_time(later[0]), "two runs of one job overlapped"
        for server, leads in ((a, True), (b, False)):
            answer = jobs(server, admin, job="refresh-recent")
            assert answer["leader"]["pid"] == a.process.pid, answer["leader"]
            assert answer["process"]["pid"] == server.process.pid  # type: ignore[union-attr]
            assert answer["scheduler_running"] is leads
            assert answer["runs"][0]["runner"] == runner_of(a.process.pid)
        assert {p["name"] for p in jobs(a, admin)["planned"]} >= {"refresh-recent", "purge-timings"}
        assert jobs(b, admin)["planned"] == []

        a.process.kill()  # no goodbye: its database connections just vanish
        a.process.wait(timeout=10)
        last_of_a = as_time(refresh_runs(sql)[-1][0])
        took_over = wait_for("the second process to run the job",
                             lambda: [r for r in refresh_runs(sql) if r[2] == runner_of(b.process.pid)], timeout=30)
        assert as_time(took_over[0][0]) >= last_of_a  # one interval after the last start, not at once
        answer = jobs(b, admin, job="refresh-recent")
        assert answer["leader"]["pid"] == b.process.pid and answer["scheduler_running"] is True
        assert {p["name"] for p in answer["planned"]} >= {"refresh-recent", "purge-timings"}
        # purge-timings runs daily: it ran once, in the first process; the hand-over did not run it again
        purges = sql.rows("SELECT runner FROM job_runs WHERE job = 'purge-timings'")
        assert purges == [(runner_of(a.process.pid),)]
        # a run the killed process left marked running is closed by the next run of that job
        wait_for("orphaned runs to be closed",
                 lambda: not sql.rows("SELECT id FROM job_runs WHERE job = 'refresh-recent' AND status = 'running' "
                                      "AND runner = ?", runner_of(a.process.pid)))
    finally:
        servers.stop_all()


def annotate(server: Any, requester_id: str) -> dict[str, Any]:
    task = {"platform": "mturk", "requester_id": requester_id, "requester_name": "Shared Lab", "title": "Shared survey",
            "reward_cents": 100}
    response = httpx.post(f"{server.url}/api/v1/annotate", json={"platform": "mturk", "tasks": [task]}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["tasks"][0]["requester"]


def test_tokens_rate_limits_and_caches_hold_across_processes(tmp_path: Path, postgres_url: str) -> None:
    # A day's window: the test never straddles its end (windows are aligned on the database's clock).
    servers = Servers(tmp_path, postgres_url, {**QUIET, "FAIRFINDER_SCHEDULER": "off", "FAIRFINDER_RATE_LIMITS": "on",
                                               "FAIRFINDER_RATE_LIMIT_IP": "10000/minute",
                                               "FAIRFINDER_RATE_LIMIT_WRITES": "4/day",
                                               "FAIRFINDER_CACHE_TTL": "600"})
    sql = Sql(postgres_url)
    try:
        a, b = servers.start("a"), servers.start("b")
        with httpx.Client(base_url=a.url, timeout=10) as on_a, httpx.Client(base_url=b.url, timeout=10) as on_b:
            # A token issued by A works on B; revoked on A, it fails on B at once.
            registered = on_a.post("/api/v1/workers", json={})
            assert registered.status_code == 201
            first = {"Authorization": f"Bearer {registered.json()['token']}"}
            assert on_b.get("/api/v1/me", headers=first).status_code == 200
            issued = on_a.post("/api/v1/me/tokens", headers=first, json={"label": "second"})
            assert issued.status_code == 201, issued.text
            second = {"Authorization": f"Bearer {issued.json()['token']}"}
            assert on_b.get("/api/v1/me", headers=second).status_code == 200
            assert on_a.delete(f"/api/v1/me/tokens/{issued.json()['token_info']['id']}", headers=first).status_code == 204
            refused = on_b.get("/api/v1/me", headers=second)
            assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"

            # One token's writes, counted together: 4 a day whichever process answers.
            fresh = on_b.post("/api/v1/workers", json={})
            writer = {"Authorization": f"Bearer {fresh.json()['token']}"}
            answers = [(on_a if i % 2 else on_b).put("/api/v1/me/filters", headers=writer, json={}) for i in range(4)]
            assert [r.status_code for r in answers] == [200] * 4, [r.text for r in answers]
            assert [int(r.headers["ratelimit-remaining"]) for r in answers] == [3, 2, 1, 0]
            for http in (on_a, on_b):
                over = http.put("/api/v1/me/filters", headers=writer, json={})
                assert over.status_code == 429 and over.json()["code"] == "rate_limited"
                assert 1 <= int(over.headers["retry-after"]) <= 86400
            assert on_a.put("/api/v1/me/filters", headers=first, json={}).status_code == 200  # another token
            # Each process asked the database once more; now each refuses from memory until the window ends.
            assert on_a.put("/api/v1/me/filters", headers=writer, json={}).status_code == 429
            assert sql.value("SELECT max(hits) FROM rate_limit_windows WHERE bucket LIKE 'writes:%'") == 6

            # B caches what annotate looked up; a review written on A reaches B's answers long before its 600 s TTL.
            before = annotate(b, "ASHARED1")
            assert before["reviews"] == 0 and annotate(b, "ASHARED1") == before  # now cached on B
            review = a_review(requester_id="ASHARED1", requester_name="Shared Lab",
                              task={"title": "Shared survey", "reward_cents": 100})
            assert on_a.post("/api/v1/reviews", headers=first, json=review).status_code == 201
            wait_for("B's annotate to count the review", lambda: annotate(b, "ASHARED1")["reviews"] == 1, timeout=5)
            assert on_b.get("/api/v1/requesters/mturk/ASHARED1").json()["reviews"] == 1

            # The listening connections are cut: each process listens again, starts from an empty cache, and keeps up.
            listeners = "SELECT pid FROM pg_stat_activity WHERE application_name = 'fairfinder-listen'"
            assert len(sql.rows(listeners)) == 2
            sql.rows("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fairfinder-listen'")
            wait_for("both listeners to be back", lambda: len(sql.rows(listeners)) == 2, timeout=20)
            annotate(b, "ASHARED1")  # cached again
            other = on_a.post("/api/v1/workers", json={})
            again = a_review(requester_id="ASHARED1", requester_name="Shared Lab", ratings={"pay": 1, "fairness": 1,
                             "speed": None, "communication": None}, task={"title": "Shared survey", "reward_cents": 100})
            posted = on_a.post("/api/v1/reviews", headers={"Authorization": f"Bearer {other.json()['token']}"}, json=again)
            assert posted.status_code == 201, posted.text
            wait_for("B to see the second review", lambda: annotate(b, "ASHARED1")["reviews"] == 2, timeout=5)
    finally:
        servers.stop_all()
