"""Two real Fairfinder servers on loopback: community B imports community A's open dump on a schedule.

B reaches A through a small TCP proxy, so the test can cut A's answer off halfway or make A unreachable,
the way a peer fails in the wild. Checked: the first import is full and later ones incremental; B's
aggregates reflect A's reviews with A as their source; a failed import (A down, or gone mid-download)
leaves B's data as it was, is retried with backoff, is visible in GET /api/v1/admin/jobs and the logs,
and the next run recovers.
"""
from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import a_review
from tests.conftest import ESTABLISHED_SINCE, LiveServer, free_port

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL

SOURCE = "community-a"


class FlakyProxy(socketserver.ThreadingTCPServer):
    """Forwards TCP to `upstream`. mode "ok": faithfully; "cut": the answer's headers and only its first
    `body_bytes` of body, then hangs up; "down": hangs up at once (as if nobody listened)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.mode = "ok"
        self.body_bytes = 20
        self.connections = 0
        super().__init__(("127.0.0.1", free_port()), _Pipe)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Pipe(socketserver.BaseRequestHandler):
    server: FlakyProxy

    def handle(self) -> None:
        self.server.connections += 1
        if self.server.mode == "down":
            return
        upstream = socket.create_connection(("127.0.0.1", self.server.upstream_port), timeout=10)
        threading.Thread(target=self.forward, args=(self.request, upstream), daemon=True).start()
        self.answer(upstream, self.request)
        for sock in (upstream, self.request):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    @staticmethod
    def forward(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            return

    def answer(self, source: socket.socket, target: socket.socket) -> None:
        """Answers go back as the mode says at the time they arrive (connections are kept alive)."""
        seen = b""
        try:
            while data := source.recv(65536):
                mode = self.server.mode
                if mode == "down":
                    return
                if mode == "cut":
                    seen += data
                    end = seen.find(b"\r\n\r\n")
                    if end >= 0:  # the headers, a little of the body, and then nothing
                        target.sendall(seen[: end + 4 + self.server.body_bytes])
                        return
                    continue
                target.sendall(data)
        except OSError:
            return


def wait_for(what: str, check: Callable[[], object], timeout: float = 40.0) -> object:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def register(base: str) -> tuple[str, dict[str, str]]:
    body = httpx.post(f"{base}/api/v1/workers", json={}).json()
    return body["worker"]["handle"], {"Authorization": f"Bearer {body['token']}"}


def establish(server: LiveServer, handle: str) -> None:
    """An account old enough for its reviews to count and be shared (new accounts' count from day 8, and a
    burst of them is held: docs/moderation.md)."""
    server.sql().run("UPDATE workers SET created_at = ? WHERE handle = ?", ESTABLISHED_SINCE, handle)


def review(base: str, headers: dict[str, str], **changes: object) -> dict:
    response = httpx.post(f"{base}/api/v1/reviews", headers=headers, json=a_review(**changes))
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def community_a(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "a", env={"FAIRFINDER_COMMUNITY_NAME": "Community A", "FAIRFINDER_SCHEDULER": "off"})
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    server.start()
    yield server
    server.stop()


@pytest.fixture
def proxy(community_a: LiveServer) -> Iterator[FlakyProxy]:
    server = FlakyProxy(community_a.port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def community_b(tmp_path: Path, proxy: FlakyProxy) -> Iterator[LiveServer]:
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[sources]]\nname = "{SOURCE}"\nkind = "fairfinder"\n'
                       f'url = "{proxy.url}/api/v1/export/ratings"\ninterval_minutes = 0.04\n')
    server = LiveServer(tmp_path / "b", env={
        "FAIRFINDER_SOURCES_FILE": str(sources), "FAIRFINDER_LOG_LEVEL": "INFO",
        "FAIRFINDER_FETCH_INTERVAL": "0", "FAIRFINDER_FETCH_ATTEMPTS": "3", "FAIRFINDER_FETCH_BACKOFF": "0.2",
    })
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    yield server
    server.stop()


def summary(base: str, requester: str = "APEER1") -> dict:
    response = httpx.get(f"{base}/api/v1/requesters/mturk/{requester}")
    return response.json() if response.status_code == 200 else {}


def runs(base: str, admin: dict[str, str]) -> list[dict]:
    response = httpx.get(f"{base}/api/v1/admin/jobs", headers=admin, params={"job": f"import:{SOURCE}"})
    assert response.status_code == 200, response.text
    return response.json()["runs"]


def test_community_b_imports_a_on_a_schedule_and_survives_a_failing_peer(community_a, proxy, community_b):
    a, b = community_a.url, community_b.url
    handles, workers = zip(*(register(a) for _ in range(3)))
    for handle in handles:
        establish(community_a, handle)
    for i, headers in enumerate(workers):
        review(a, headers, requester_id="APEER1", requester_name="Peer Lab", worked_seconds=400 + 100 * i,
               ratings={"pay": 2 + i, "fairness": 5, "speed": None, "communication": None})

    community_b.start()
    admin_handle, admin = register(b)
    assert community_b.cli("set-role", admin_handle, "admin").returncode == 0
    _, worker = register(b)
    assert httpx.get(f"{b}/api/v1/admin/jobs", headers=worker).status_code == 403
    assert httpx.get(f"{b}/api/v1/admin/jobs").status_code == 401

    # 1. The first scheduled run reads A's whole dump.
    first = wait_for("B to import A", lambda: summary(b).get("reviews") == 3 and summary(b))
    assert first["imported"] == {SOURCE: 3} and first["name"] == "Peer Lab"
    assert first["scores"]["pay"]["mean"] == summary(a)["scores"]["pay"]["mean"] == 3.0
    ok = [r for r in runs(b, admin) if r["status"] == "ok"]
    assert ok and ok[-1]["counts"]["full"] is True and ok[-1]["counts"]["reviews"] == 3
    jobs = httpx.get(f"{b}/api/v1/admin/jobs", headers=admin).json()
    assert jobs["scheduler_running"] is True
    assert {p["name"] for p in jobs["planned"]} >= {f"import:{SOURCE}", "refresh-recent", "purge-timings"}
    assert [s["name"] for s in jobs["sources"]] == [SOURCE] and jobs["sources"][0]["has_cursor"]

    # 2. Later runs ask only for what changed.
    fourth_handle, fourth = register(a)
    establish(community_a, fourth_handle)
    review(a, fourth, requester_id="APEER1", ratings={"pay": 5, "fairness": 5, "speed": None, "communication": None})
    wait_for("B to see A's new review", lambda: summary(b).get("reviews") == 4)
    latest_ok = next(r for r in runs(b, admin) if r["status"] == "ok" and r["counts"].get("reviews"))
    assert latest_ok["counts"]["full"] is False and latest_ok["counts"]["reviews"] >= 1
    before = summary(b)

    # 3. A's answer breaks off mid-download: retried, then failed; B's data as it was.
    proxy.mode = "cut"
    failed = wait_for("a failed import", lambda: [r for r in runs(b, admin) if r["status"] == "failed"])
    assert failed[0]["attempts"] == 3  # FAIRFINDER_FETCH_ATTEMPTS
    assert summary(b) == before

    # 4. A is unreachable: same.
    proxy.mode = "down"
    connections = proxy.connections
    wait_for("more failed runs", lambda: proxy.connections >= connections + 3
             and len([r for r in runs(b, admin) if r["status"] == "failed"]) >= 2)
    assert summary(b) == before

    # 5. A is back with more: the next run catches up.
    proxy.mode = "ok"
    review(a, workers[0], requester_id="APEER2", requester_name="Second Lab")
    wait_for("B to recover", lambda: summary(b, "APEER2").get("imported") == {SOURCE: 1})
    assert summary(b)["reviews"] == 4

    log = community_b.log.read_text()
    assert "job import:community-a ok" in log and "job import:community-a failed" in log
    for handle in (*handles, admin_handle):  # workers' handles never reach the logs
        assert handle not in log
