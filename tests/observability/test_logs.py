"""Structured logs: one JSON object per line from a real server, an access line per request with its route template
and request id, and nothing private (no tokens, handles, query strings or bodies)."""
from __future__ import annotations

import pytest
import json
import logging
import sys
from pathlib import Path

import httpx

from server.observability import REQUEST_ID, JsonFormatter, TextFormatter
from tests.conftest import LiveServer

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL

QUERY_MARKER = "QSMARKER7f3a"
HANDLE = "loghandle-private"


def test_a_real_server_writes_json_lines_and_one_access_line_per_request(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "var", env={"FAIRFINDER_LOG_LEVEL": "INFO", "FAIRFINDER_LOG_FORMAT": "json",
                                               "FAIRFINDER_SCHEDULER": "off"})
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            registered = http.post("/api/v1/workers", json={"handle": HANDLE})
            token = registered.json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            missing = http.get(f"/api/v1/reviews/424242?note={QUERY_MARKER}", headers=auth)
            nowhere = http.get(f"/nowhere/{QUERY_MARKER}")
            kept = http.get("/health", headers={"X-Request-ID": "0123456789abcdef0123456789abcdef"})
            replaced = http.get("/health", headers={"X-Request-ID": "not an id; DROP TABLE"})
            bad_body = http.post("/api/v1/reviews", headers=auth, json={"comment": QUERY_MARKER})
    finally:
        server.stop()
    assert missing.status_code == 404 and nowhere.status_code == 404 and bad_body.status_code == 422
    assert kept.headers["x-request-id"] == "0123456789abcdef0123456789abcdef"
    assert replaced.headers["x-request-id"] != "not an id; DROP TABLE" and len(replaced.headers["x-request-id"]) == 32

    lines = [line for line in server.log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"ts", "level", "logger", "message"} <= set(record) for record in records)
    assert any(record["logger"] == "uvicorn.error" for record in records)  # the server's own lines too
    access = [record for record in records if record["logger"] == "fairfinder.access"]
    by_id = {record["request_id"]: record for record in access}
    for response, method, route, status in ((registered, "POST", "/api/v1/workers", 201),
                                            (missing, "GET", "/api/v1/reviews/{review_id}", 404),
                                            (nowhere, "GET", "unmatched", 404),
                                            (kept, "GET", "/health", 200),
                                            (bad_body, "POST", "/api/v1/reviews", 422)):
        record = by_id[response.headers["x-request-id"]]
        assert (record["method"], record["route"], record["status"]) == (method, route, status)
        assert record["message"] == f"{method} {route} {status}"
        assert isinstance(record["duration_ms"], float) and record["duration_ms"] >= 0
        assert record["level"] == "INFO"
    text = server.log.read_text()
    for private in (token, HANDLE, QUERY_MARKER, "424242", "note="):
        assert private not in text, private


def test_json_formatter_keeps_extras_and_one_line_tracebacks() -> None:
    formatter = JsonFormatter()
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        record = logging.LogRecord("fairfinder.x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info())
    record.route = "/api/v1/x"
    token = REQUEST_ID.set("feedfacefeedface")
    try:
        stamped = logging.getLogRecordFactory()("fairfinder.y", logging.INFO, __file__, 2, "hello", (), None)
    finally:
        REQUEST_ID.reset(token)
    line = formatter.format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "failed here" and data["level"] == "ERROR" and data["route"] == "/api/v1/x"
    assert "ValueError: bad\nthing" in data["exception"]
    assert data["ts"].endswith("Z")
    assert json.loads(formatter.format(stamped))["request_id"] == "feedfacefeedface"


def test_text_formatter_is_for_people() -> None:
    record = logging.LogRecord("fairfinder.access", logging.INFO, __file__, 1, "GET /health 200", (), None)
    record.status = 200
    line = TextFormatter().format(record)
    assert line.startswith("INFO - ") and line.endswith("fairfinder.access - GET /health 200 status=200")
