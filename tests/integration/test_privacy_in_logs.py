"""What a real server process writes to its log and disk: no tokens, no worker IDs, no secret."""
from __future__ import annotations

import pytest
import json
import stat
from pathlib import Path

import httpx

from tests.conftest import LiveServer

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL

PLATFORM_WORKER_ID = "A3WORKERIDNEVERLOGGED"
PATH_MARKER, QUERY_MARKER = "APATHIDNEVERLOGGED", "QUERYNEVERLOGGED"


def test_logs_hold_no_tokens_worker_ids_or_secret(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "var", env={"FAIRFINDER_LOG_LEVEL": "DEBUG"})
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    server.start()
    try:
        registered = httpx.post(f"{server.url}/api/v1/workers", json={
            "handle": "private", "platform_ids": [{"platform": "mturk", "worker_id": PLATFORM_WORKER_ID}]})
        assert registered.status_code == 201
        token = registered.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{server.url}/api/v1/me", headers=headers).status_code == 200
        bad = httpx.post(f"{server.url}/api/v1/reviews", headers=headers, json={"platform": "mturk", "oops": 1})
        assert bad.status_code == 422
        assert httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": "Bearer ff_wrong"}).status_code == 401
        # ids in the path and the query string stay out of the access log: it names the route template
        lookup = httpx.get(f"{server.url}/api/v1/requesters/mturk/{PATH_MARKER}?who={QUERY_MARKER}")
        assert lookup.status_code == 404
    finally:
        server.stop()
    log = server.log.read_text()
    assert "GET /api/v1/me" in log  # the log was written at all
    records = [json.loads(line) for line in log.splitlines() if line.strip()]  # JSON lines (not a terminal)
    access = [r for r in records if r["logger"] == "fairfinder.access"]
    assert {(r["method"], r["route"], r["status"]) for r in access} >= {
        ("POST", "/api/v1/workers", 201), ("GET", "/api/v1/me", 200), ("GET", "/api/v1/me", 401),
        ("POST", "/api/v1/reviews", 422), ("GET", "/api/v1/requesters/{platform}/{requester_id}", 404)}
    assert all(set(r) == {"ts", "level", "logger", "message", "request_id", "method", "route", "status", "duration_ms"}
               for r in access)
    secret_file = server.data_dir / "secret"
    secret = secret_file.read_text().strip()
    for private in (token, PLATFORM_WORKER_ID, secret, "ff_wrong", PATH_MARKER, QUERY_MARKER, "private"):
        assert private not in log
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    database = b"".join(path.read_bytes() for path in server.data_dir.glob("fairfinder.db*"))
    assert PLATFORM_WORKER_ID.encode() not in database and token.encode() not in database
