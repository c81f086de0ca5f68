"""Load on a real `fairfinder serve` process (issue 16): a burst of signed-in workers annotating pages nobody has
shown before, load shedding, abandoned requests. Outcomes and generous bounds only: speed is measured in
bench/annotate.py, never here (the machine is small and shared)."""
from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import LiveServer

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL

CLIENTS, PAGES, UNSEEN = 24, 8, 20
# Far above what any answer takes on an idle machine (milliseconds), far below the 30 s the deadlock cost.
GENEROUS_SECONDS = 20.0


def serve(tmp_path: Path, **env: str) -> LiveServer:
    server = LiveServer(tmp_path / "var", env={"FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_SCHEDULER": "off", **env})
    server.data_dir.mkdir()
    migrated = server.cli("migrate")
    assert migrated.returncode == 0, migrated.stderr
    server.start()
    return server


@pytest.fixture
def small_pool(tmp_path: Path) -> Iterator[LiveServer]:
    # Two connections and no overflow: the old design (a request holding its token lookup's connection while it
    # waited for the recorder's) deadlocked with two such requests at once.
    server = serve(tmp_path, FAIRFINDER_DB_POOL_SIZE="2", FAIRFINDER_DB_POOL_OVERFLOW="0")
    yield server
    server.stop()
    server.drop_database()


@pytest.fixture
def tight(tmp_path: Path) -> Iterator[LiveServer]:
    server = serve(tmp_path, FAIRFINDER_MAX_REQUESTS="2", FAIRFINDER_SHED_RETRY_AFTER="3")
    yield server
    server.stop()
    server.drop_database()


def unseen_page(client: int, page: int) -> dict[str, object]:
    return {"platform": "mturk", "tasks": [
        {"platform": "mturk", "requester_id": f"ABURST{client:02d}{'N' if i % 2 else 'K'}",
         "requester_name": f"Burst requester {client}", "title": f"Burst task {client}.{page}.{i} (~{i + 1} minutes)",
         "reward_cents": 10 + i, "hit_set_id": f"HB{client:02d}{page:02d}{i:02d}".ljust(30, "0"), "stated_seconds": 60 * (i + 1)}
        for i in range(UNSEEN)]}


def register(url: str, n: int) -> list[dict[str, str]]:
    with httpx.Client(base_url=url, timeout=30) as http:
        tokens = []
        for _ in range(n):
            response = http.post("/api/v1/workers", json={})
            assert response.status_code == 201, response.text
            tokens.append({"Authorization": f"Bearer {response.json()['token']}"})
    return tokens


def assert_shed(response: httpx.Response, retry_after: int | None = None) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "overloaded" and response.json()["status"] == 503
    assert int(response.headers["retry-after"]) == (retry_after or int(response.headers["retry-after"])) >= 1
    assert response.headers["cache-control"] == "no-store"


async def burst(url: str, tokens: list[dict[str, str]]) -> list[tuple[int, httpx.Response, float]]:
    results: list[tuple[int, httpx.Response, float]] = []

    async def worker(n: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=GENEROUS_SECONDS * 3) as http:
            for page in range(PAGES):
                started = time.monotonic()
                response = await http.post("/api/v1/annotate", json=unseen_page(n, page), headers=tokens[n])
                results.append((n, response, time.monotonic() - started))

    await asyncio.gather(*(worker(n) for n in range(CLIENTS)))
    return results


def ready_within(url: str, seconds: float) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = httpx.get(f"{url}/ready", timeout=seconds)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def count_task_types(sql: object) -> int:
    return sql.value("SELECT count(*) FROM task_types WHERE title LIKE 'Burst task %'")  # type: ignore[attr-defined]


def test_a_burst_of_signed_in_workers_on_unseen_pages_is_answered_and_every_task_recorded(small_pool: LiveServer) -> None:
    tokens = register(small_pool.url, CLIENTS)
    results = asyncio.run(burst(small_pool.url, tokens))
    assert len(results) == CLIENTS * PAGES
    statuses = Counter(response.status_code for _, response, _ in results)
    assert set(statuses) <= {200, 503}, statuses
    for n, response, seconds in results:
        if response.status_code == 503:
            assert_shed(response)
        else:
            body = response.json()
            assert body["filters_from"] == "saved" and len(body["tasks"]) == UNSEEN
            # First views are answered from what is known: the stated duration, nothing measured yet.
            assert {t["hourly"]["basis"] for t in body["tasks"]} == {"stated"}
        assert seconds < GENEROUS_SECONDS, (n, response.status_code, seconds)
    assert statuses[200] >= CLIENTS  # most of the burst is answered, not shed
    # Right after: ready (the database answers, the write queue is within its bound).
    ready = ready_within(small_pool.url, 10)
    assert ready.status_code == 200, ready.text
    # Nothing acknowledged is lost: every task of every answered page gets recorded, in the background.
    answered = {(n, t["title"]) for n, response, _ in results if response.status_code == 200
                for t in response.json()["tasks"]}
    sql = small_pool.sql()
    deadline = time.monotonic() + 60
    while count_task_types(sql) < len(answered) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert count_task_types(sql) >= len(answered)
    # A later view carries the recorded ids.
    again = httpx.post(f"{small_pool.url}/api/v1/annotate", json=unseen_page(0, 0), headers=tokens[0], timeout=30)
    assert again.status_code == 200 and None not in {t["task_type_id"] for t in again.json()["tasks"]}
    log = small_pool.log.read_text(errors="replace")
    assert "Traceback" not in log and "QueuePool limit" not in log


def stalled_request(server: LiveServer) -> socket.socket:
    """A request whose body never finishes arriving: it stays in progress until its client goes away."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(b"POST /api/v1/annotate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n{\"platform\": ")
    return sock


def in_progress(server: LiveServer) -> float:
    """Requests in progress besides the /metrics request that asks."""
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    family = next(f for f in text_string_to_metric_families(text) if f.name == "fairfinder_http_requests_in_progress")
    return family.samples[0].value - 1


def wait_for(condition, seconds: float = GENEROUS_SECONDS) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_past_the_bound_requests_are_shed_at_once_and_probes_still_answer(tight: LiveServer) -> None:
    stalled = [stalled_request(tight) for _ in range(2)]  # the bound: 2 requests in progress
    try:
        assert wait_for(lambda: in_progress(tight) >= 2)
        with httpx.Client(base_url=tight.url, timeout=GENEROUS_SECONDS) as http:
            started = time.monotonic()
            shed = http.post("/api/v1/annotate", json=unseen_page(0, 0))
            assert time.monotonic() - started < GENEROUS_SECONDS
            assert_shed(shed, retry_after=3)
            assert "Try again in 3 seconds" in shed.json()["message"]
            assert_shed(http.get("/api/v1/requesters/mturk/AX"), retry_after=3)  # every route, reads too
            # The probes are never shed: a load balancer still sees the process and its readiness.
            assert http.get("/health").status_code == 200
            assert http.get("/ready").status_code == 200
        # The stalled clients go away: their requests stop (the access log counts them as 499) and free the bound.
    finally:
        for sock in stalled:
            sock.close()
    assert wait_for(lambda: in_progress(tight) == 0)
    answered = httpx.post(f"{tight.url}/api/v1/annotate", json=unseen_page(1, 0), timeout=GENEROUS_SECONDS)
    assert answered.status_code == 200, answered.text
    metrics = httpx.get(f"{tight.url}/metrics", timeout=10).text
    shed_total = next(s.value for f in text_string_to_metric_families(metrics) if f.name == "fairfinder_load_shed"
                      for s in f.samples if s.name == "fairfinder_load_shed_total")
    assert shed_total == 2
    closed = [s for f in text_string_to_metric_families(metrics) if f.name == "fairfinder_http_requests"
              for s in f.samples if s.name == "fairfinder_http_requests_total" and s.labels.get("status") == "499"]
    assert sum(s.value for s in closed) == 2


def test_a_shed_answer_carries_cors_headers_so_the_extension_can_read_retry_after(tight: LiveServer) -> None:
    origin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    stalled = [stalled_request(tight) for _ in range(2)]
    try:
        assert wait_for(lambda: in_progress(tight) >= 2)
        shed = httpx.post(f"{tight.url}/api/v1/annotate", json=unseen_page(0, 0), headers={"Origin": origin},
                          timeout=GENEROUS_SECONDS)
        assert_shed(shed, retry_after=3)
        assert shed.headers["access-control-allow-origin"] == origin
        assert "Retry-After" in shed.headers["access-control-expose-headers"]
    finally:
        for sock in stalled:
            sock.close()


def test_a_request_that_finds_no_free_connection_in_time_is_answered_503_not_500(tmp_path: Path) -> None:
    """Overload, not a fault: while the pool's only connection is held, a request that needs one waits
    FAIRFINDER_DB_POOL_TIMEOUT and is answered with the shedding 503 and Retry-After (in-process app)."""
    from litestar.testing import TestClient  # noqa: PLC0415

    from server.app import create_app  # noqa: PLC0415
    from server.settings import Settings  # noqa: PLC0415

    url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    from server.db.migrate import upgrade  # noqa: PLC0415

    upgrade(url)
    settings = Settings(database_url=url, secret="s" * 32, data_dir=tmp_path, db_pool_size=1, db_pool_overflow=0,
                        db_pool_timeout_seconds=0.2)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        engine = client.app.state.engine

        async def hold_and_ask():  # type: ignore[no-untyped-def]
            async with engine.connect():  # the only connection, held while a request needs one
                return await asyncio.to_thread(client.post, "/api/v1/annotate",
                                               json={"platform": "mturk", "tasks": [unseen_page(0, 0)["tasks"][0]]})

        response = client.blocking_portal.call(hold_and_ask)
    assert_shed(response, retry_after=2)
