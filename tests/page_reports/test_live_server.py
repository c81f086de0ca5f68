"""Page reports on a real `fairfinder serve` process: stored as sent, the address and token limits with
Retry-After (on PostgreSQL through the shared counters), the 413 from the real HTTP server, nothing about the
sender in the row or in the log, and the scheduler's purge."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from server.page_reports.routes import MAX_REPORT_BYTES
from tests.conftest import LiveServer
from tests.page_reports.conftest import PATH, a_report

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL

REPORT_LIMIT = 3
EXTENSION = "moz-extension://4b1e7d2a-0c51-4c1d-9a7e-3f0e2d1c9b8a"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "var", env={"FAIRFINDER_RATE_LIMITS": "on", "FAIRFINDER_SCHEDULER": "off",
                                             "FAIRFINDER_RATE_LIMIT_REPORTS": f"{REPORT_LIMIT}/hour",
                                             "FAIRFINDER_LOG_LEVEL": "INFO"})
    live.data_dir.mkdir()
    assert live.cli("migrate").returncode == 0
    live.start()
    yield live
    live.stop()
    live.drop_database()


def rows(server: LiveServer) -> list[dict[str, object]]:
    names = ("day", "platform", "page", "problem", "extension_version", "browser", "schema_version", "counts",
             "probes", "elements")
    found = server.sql().rows(f"SELECT {', '.join(names)} FROM page_reports ORDER BY id")  # noqa: S608 - our names
    return [{name: json.loads(value) if isinstance(value, str) and name in names[7:] else value
             for name, value in zip(names, row)} for row in found]


def test_reports_are_stored_as_sent_and_limited_per_address(server: LiveServer):
    with httpx.Client(base_url=server.url, timeout=10, headers={"Origin": EXTENSION}) as http:
        token = http.post("/api/v1/workers", json={"handle": "reporter"}).json()["token"]
        sent = [a_report(browser=b) for b in ("firefox", "chromium", "other")]
        for report in sent:
            response = http.post(PATH, json=report, headers={"User-Agent": "Firefox/153.0 reporter-ua"})
            assert response.status_code == 201, response.text
            assert response.headers["access-control-allow-origin"] == EXTENSION
        refused = http.post(PATH, json=a_report())
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 3600 and refused.headers["ratelimit-policy"] == f"{REPORT_LIMIT};w=3600"
        assert refused.headers["access-control-allow-origin"] == EXTENSION  # the extension can read why
        assert http.post(PATH, json=a_report(), headers={"Authorization": f"Bearer {token}"}).status_code == 429
        # Annotate, from the same address, is not held up by it.
        assert http.post("/api/v1/annotate", json={"platform": "mturk", "tasks": []}).status_code == 200
    stored = rows(server)
    assert [{k: v for k, v in row.items() if k != "day"} for row in stored] == [
        {"platform": r["platform"], "page": r["page"], "problem": r["problem"], "extension_version": r["extension_version"],
         "browser": r["browser"], "schema_version": r["schema"], "counts": r["counts"], "probes": r["probes"],
         "elements": r["elements"]} for r in sent]
    # The access log names the route and status only: no body, token, browser string or address of the sender.
    server.stop()
    log = server.log.read_text()
    assert "POST /api/v1/page-reports 201" in log and "POST /api/v1/page-reports 429" in log
    for secret in ("hit-card", "study-#", token, "reporter-ua"):
        assert secret not in log, secret
    report_lines = [line for line in log.splitlines() if "page-reports" in line]
    assert report_lines and not any("127.0.0.1" in line for line in report_lines)


def test_an_oversized_report_is_refused_by_the_real_server(server: LiveServer):
    body = json.dumps(a_report()).encode() + b" " * MAX_REPORT_BYTES
    with httpx.Client(base_url=server.url, timeout=10) as http:
        response = http.post(PATH, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 413, response.text
        assert f"at most {MAX_REPORT_BYTES} bytes" in response.json()["message"]
        # Sent in chunks without a Content-Length, it is counted as it arrives.
        streamed = http.post(PATH, content=iter([body[i:i + 8192] for i in range(0, len(body), 8192)]),
                             headers={"content-type": "application/json"})
        assert streamed.status_code == 413, streamed.text
    assert server.sql().value("SELECT count(*) FROM page_reports") == 0


def test_the_scheduler_purges_old_reports(tmp_path: Path):
    live = LiveServer(tmp_path / "var", env={"FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_SCHEDULER": "on",
                                             "FAIRFINDER_PAGE_REPORTS_RETENTION_DAYS": "30",
                                             "FAIRFINDER_BACKUP_INTERVAL": "0"})
    live.data_dir.mkdir()
    try:
        assert live.cli("migrate").returncode == 0
        sql = live.sql()
        live.start()
        with httpx.Client(base_url=live.url, timeout=10) as http:
            day = date.fromisoformat(http.post(PATH, json=a_report()).json()["day"])
            assert http.post(PATH, json=a_report()).status_code == 201
        # Far on either side of the 30-day line, so a run crossing midnight decides the same.
        sql.run("UPDATE page_reports SET day = ? WHERE id = (SELECT min(id) FROM page_reports)",
                (day - timedelta(days=45)).isoformat())
        sql.run("UPDATE page_reports SET day = ? WHERE id = (SELECT max(id) FROM page_reports)",
                (day - timedelta(days=10)).isoformat())
        # Restart: the job's first run comes 2 s after the start (server/jobs.py), then daily.
        live.stop()
        live.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = sql.rows("SELECT status, counts FROM job_runs WHERE job = 'purge-page-reports'")
            if runs and runs[0][0] != "running":
                break
            time.sleep(0.2)
        assert runs and runs[0][0] == "ok", runs
        counts = runs[0][1] if isinstance(runs[0][1], dict) else json.loads(runs[0][1])
        assert counts == {"page_reports": 1}
        assert [str(d) for (d,) in sql.rows("SELECT day FROM page_reports")] == [(day - timedelta(days=10)).isoformat()]
    finally:
        live.stop()
        live.drop_database()
