"""What a real server process writes to its log and disk: no tokens, no worker IDs, no secret."""
from __future__ import annotations

import stat
from pathlib import Path

import httpx

from tests.conftest import LiveServer

PLATFORM_WORKER_ID = "A3WORKERIDNEVERLOGGED"


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
    finally:
        server.stop()
    log = server.log.read_text()
    assert "GET /api/v1/me" in log  # the log was written at all
    secret_file = server.data_dir / "secret"
    secret = secret_file.read_text().strip()
    for private in (token, PLATFORM_WORKER_ID, secret, "ff_wrong"):
        assert private not in log
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    database = b"".join(path.read_bytes() for path in server.data_dir.glob("fairfinder.db*"))
    assert PLATFORM_WORKER_ID.encode() not in database and token.encode() not in database
