"""Rate limits and request size limits on a real `fairfinder serve` process (low limits set through the environment)."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import LiveServer

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL

IP_LIMIT, WRITE_LIMIT, REGISTER_LIMIT = 40, 3, 3
EXTENSION = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "var", env={
        "FAIRFINDER_RATE_LIMITS": "on", "FAIRFINDER_SCHEDULER": "off",
        "FAIRFINDER_RATE_LIMIT_IP": f"{IP_LIMIT}/minute", "FAIRFINDER_RATE_LIMIT_WRITES": f"{WRITE_LIMIT}/minute",
        "FAIRFINDER_RATE_LIMIT_REGISTER": f"{REGISTER_LIMIT}/hour"})
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    server.start()  # polls /health, which is never limited
    yield server
    server.stop()


def assert_refused(response: httpx.Response, limit: int, window: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == {"status": 429, "code": "rate_limited",
                               "message": f"Too many requests; try again in {response.headers['retry-after']} seconds."}
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= window
    assert response.headers["ratelimit-limit"] == str(limit)
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.headers["ratelimit-reset"] == str(retry_after)
    assert response.headers["ratelimit-policy"] == f"{limit};w={window}"


def test_limits_per_address_per_registration_and_per_token(limited: LiveServer) -> None:
    used = 0  # requests counted against this address (everything but /health, /ready, /metrics)
    with httpx.Client(base_url=limited.url, timeout=10) as http:
        def call(method: str, path: str, **kwargs: object) -> httpx.Response:
            nonlocal used
            used += 1
            return http.request(method, path, **kwargs)  # type: ignore[arg-type]

        # registrations: REGISTER_LIMIT per address per hour
        tokens = []
        for _ in range(REGISTER_LIMIT):
            response = call("POST", "/api/v1/workers", json={})
            assert response.status_code == 201, response.text
            tokens.append({"Authorization": f"Bearer {response.json()['token']}"})
        assert_refused(call("POST", "/api/v1/workers", json={}), REGISTER_LIMIT, 3600)

        # writes: WRITE_LIMIT per token per minute, whatever the address has left
        first, second = tokens[0], tokens[1]
        for _ in range(WRITE_LIMIT):
            response = call("PUT", "/api/v1/me/filters", json={}, headers=first)
            assert response.status_code == 200, response.text
            assert int(response.headers["ratelimit-remaining"]) < WRITE_LIMIT
        refused = call("PUT", "/api/v1/me/filters", json={}, headers={**first, "Origin": EXTENSION})
        assert_refused(refused, WRITE_LIMIT, 60)
        assert refused.headers["access-control-allow-origin"] == EXTENSION  # the extension can read why
        assert call("PUT", "/api/v1/me/filters", json={}, headers=second).status_code == 200  # another token
        assert call("GET", "/api/v1/me", headers=first).status_code == 200  # reads are not writes
        annotate = call("POST", "/api/v1/annotate", json={"platform": "mturk", "tasks": []}, headers=first)
        assert annotate.status_code == 200  # annotate only reads

        # probes and scrapes are never limited nor counted
        for path in ("/health", "/ready", "/metrics"):
            response = http.get(path)
            assert response.status_code == 200 and "ratelimit-limit" not in response.headers

        # everything else: IP_LIMIT per address per minute, tokens or not
        assert used < IP_LIMIT
        while used < IP_LIMIT:
            response = call("GET", "/api/v1/requesters/mturk/ANYONE")
            assert response.status_code == 404
        assert int(response.headers["ratelimit-remaining"]) == 0
        assert_refused(call("GET", "/api/v1/requesters/mturk/ANYONE"), IP_LIMIT, 60)
        assert_refused(call("PUT", "/api/v1/me/filters", json={}, headers=tokens[2]), IP_LIMIT, 60)
        assert_refused(call("GET", "/requesters/ANYONE"), IP_LIMIT, 60)
        assert http.get("/health").status_code == 200

        refusals = {sample.labels["limit"]: sample.value
                    for family in text_string_to_metric_families(http.get("/metrics").text)
                    for sample in family.samples if sample.name == "fairfinder_rate_limited_total"}
        assert refusals == {"register": 1.0, "writes": 1.0, "ip": 3.0}


def test_limits_can_be_switched_off(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "var", env={"FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_SCHEDULER": "off",
                                               "FAIRFINDER_RATE_LIMIT_IP": "2/minute"})
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            responses = [http.get("/api/v1/requesters/mturk/ANYONE") for _ in range(5)]
        assert [r.status_code for r in responses] == [404] * 5
        assert all("ratelimit-limit" not in r.headers for r in responses)
    finally:
        server.stop()


def test_the_server_stops_reading_an_endless_request_head(live_server: LiveServer) -> None:
    """httptools alone reads headers without limit; `serve` bounds the head (server/security.py)."""
    host, port = "127.0.0.1", live_server.port
    answer = b""
    with socket.create_connection((host, port), timeout=10) as connection:
        try:
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: ")
            for _ in range(64):  # 4 MiB of one header, never finished
                connection.sendall(b"a" * 65536)
        except OSError:
            pass  # the server closed the connection while we were still sending: refused early
        try:
            answer = connection.recv(65536)
        except OSError:
            pass
    assert not answer.startswith(b"HTTP/1.1 200"), answer[:100]
    if answer:
        assert answer.startswith(b"HTTP/1.1 431"), answer[:100]
    assert httpx.get(f"{live_server.url}/health", timeout=10).status_code == 200  # and it carries on
    live_server.stop()
    log = live_server.log.read_text()
    assert "Request head larger than" in log and "bytes refused" in log


def test_headers_over_the_app_limit_get_a_json_431_from_a_real_server(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/health", headers={"X-Padding": "a" * 20_000}, timeout=10)
    assert response.status_code == 431 and response.json()["code"] == "headers_too_large"
    long_url = httpx.get(f"{live_server.url}/api/v1/requesters?platform=mturk&ids=" + "A" * 20_000, timeout=10)
    assert long_url.status_code == 414 and long_url.json()["code"] == "uri_too_long"


def _serve(tmp_path: Path, name: str, env: dict[str, str]) -> LiveServer:
    server = LiveServer(tmp_path / name, env={"FAIRFINDER_SCHEDULER": "off", **env})
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    server.start()
    return server


def test_behind_a_trusted_proxy_each_client_address_has_its_own_budget(tmp_path: Path) -> None:
    limits = {"FAIRFINDER_RATE_LIMITS": "on", "FAIRFINDER_RATE_LIMIT_IP": "2/minute"}
    proxied = _serve(tmp_path, "proxied", {**limits, "FAIRFINDER_FORWARDED_ALLOW_IPS": "127.0.0.1"})
    direct = _serve(tmp_path, "direct", limits)
    try:
        def statuses(server: LiveServer, client: str) -> list[int]:
            return [httpx.get(f"{server.url}/api/v1/requesters/mturk/A1", headers={"X-Forwarded-For": client},
                              timeout=10).status_code for _ in range(3)]

        # the proxy (127.0.0.1) is trusted: the address it forwards is the client's
        assert statuses(proxied, "203.0.113.7") == [404, 404, 429]
        assert statuses(proxied, "203.0.113.8") == [404, 404, 429]
        # not trusted: X-Forwarded-For is ignored, so a client cannot pick a fresh address to dodge the limit
        assert statuses(direct, "203.0.113.7") == [404, 404, 429]
        assert statuses(direct, "203.0.113.8") == [429, 429, 429]
    finally:
        proxied.stop()
        direct.stop()
