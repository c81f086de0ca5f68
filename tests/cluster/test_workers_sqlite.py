"""`fairfinder serve --workers 2` on SQLite: the file lock elects exactly one scheduler, another worker takes
over when it dies, and /metrics adds up both workers."""
from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.cluster.conftest import WorkersServer, jobs, make_admin, runner_of, wait_for
from tests.database import Sql


def runners(sql: Sql) -> list[str]:
    return [row[0] for row in sql.rows("SELECT runner FROM job_runs WHERE job = 'refresh-recent' ORDER BY id")]


def health_requests(text: str) -> float:
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "fairfinder_http_requests_total" and sample.labels.get("route") == "/health")


def test_one_worker_runs_the_scheduler_and_another_takes_over(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    server = WorkersServer(data_dir, workers=2, env={
        "DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'fairfinder.db'}", "FAIRFINDER_RATE_LIMITS": "off",
        "FAIRFINDER_REFRESH_INTERVAL": "1", "FAIRFINDER_SCHEDULER_RETRY": "0.5", "FAIRFINDER_LOG_LEVEL": "WARNING"})
    data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    sql = Sql(server.database_url)
    try:
        server.start()
        workers = server.worker_pids()
        admin = make_admin(server)
        wait_for("three refresh runs", lambda: len(runners(sql)) >= 3)
        assert len(set(runners(sql))) == 1
        leader = next(pid for pid in workers if runner_of(pid) == runners(sql)[0])
        answered_by = set()
        for _ in range(20):  # a new connection each time: either worker may answer
            answer = jobs(server, admin)
            assert answer["leader"]["pid"] == leader
            assert answer["scheduler_running"] is (answer["process"]["pid"] == leader)
            answered_by.add(answer["process"]["pid"])
        assert answered_by <= workers
        assert (data_dir / "fairfinder.db.scheduler.lock").read_text().split()[1] == str(leader)

        # Metrics: one scrape, whichever worker answers it, counts the requests of both.
        before = health_requests(httpx.get(f"{server.url}/metrics", timeout=10).text)
        for _ in range(30):
            assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200
        scraped = httpx.get(f"{server.url}/metrics", timeout=10).text
        assert health_requests(scraped) == before + 30
        assert "fairfinder_build_info" in scraped and "process_resident_memory_bytes" not in scraped

        os.kill(leader, signal.SIGKILL)
        taken_over = wait_for("another worker to run the job", lambda: {r for r in runners(sql) if r != runner_of(leader)})
        assert len(taken_over) == 1
        new_leader = int(taken_over.pop().rsplit(":", 1)[1])
        assert new_leader in server.worker_pids()
        wait_for("the new leader to be reported", lambda: jobs(server, admin)["leader"]["pid"] == new_leader)
    finally:
        server.stop()
    assert server.process is not None and server.process.returncode is not None
