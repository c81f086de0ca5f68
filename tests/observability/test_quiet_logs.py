"""Quiet logs at INFO (issue 19 item 4): the scheduler's own "Running job" / "executed successfully" lines, two
for every run of every job (the settle job runs every few seconds), stay out; our one line per recorded job stays."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL


def test_the_scheduler_says_nothing_at_info_while_its_jobs_run(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "var", env={"FAIRFINDER_LOG_LEVEL": "INFO", "FAIRFINDER_LOG_FORMAT": "json",
                                               "FAIRFINDER_SETTLE_SECONDS": "0.5"})
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    server.start()
    try:
        sql = server.sql()
        deadline = time.monotonic() + 30
        # The refresh job runs about 3 s after start: proof the scheduler ran its jobs (the settle job many times).
        while not sql.value("select count(*) from job_runs where finished_at is not null"):
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.2)
        time.sleep(1.5)  # three more settle intervals
    finally:
        server.stop()
        server.drop_database()
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    loggers = [line["logger"] for line in lines]
    assert "fairfinder.jobs" in loggers, "the recorded job's own line"
    assert not [line for line in lines if line["logger"].startswith("apscheduler")], loggers
