"""scrapers.http.PoliteFetcher against a real HTTP server on 127.0.0.1 (a ThreadingHTTPServer in a thread,
scripted per test). Waits go through an injected sleep that only records, except in the interval test."""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from scrapers.http import DEFAULT_TIMEOUT, Attempt, FetchError, PoliteFetcher, parse_retry_after

VERSION = "1.2.3"
BODY = bytes(range(256)) * 400  # 100 KiB


@dataclass
class Seen:
    at: float
    path: str
    headers: dict[str, str]


Script = Callable[[BaseHTTPRequestHandler, int], None]  # (handler, 1-based request number)


@dataclass
class Server:
    url: str
    requests: list[Seen] = field(default_factory=list)
    script: Script | None = None


def reply(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
    h.send_response(status)
    for name, value in (headers or {}).items():
        h.send_header(name, value)
    if status != 304:
        h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if body:
        h.wfile.write(body)


def drop_mid_body(h: BaseHTTPRequestHandler, declared: int = len(BODY)) -> None:
    h.send_response(200)
    h.send_header("Content-Length", str(declared))
    h.end_headers()
    h.wfile.write(BODY[:1000])
    h.wfile.flush()
    h.close_connection = True  # the server closes the socket when the handler returns


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            state.requests.append(Seen(time.monotonic(), self.path, {k.lower(): v for k, v in self.headers.items()}))
            assert state.script is not None
            state.script(self, len(state.requests))

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


class Sleeps:
    """An injected sleep: records the waits, never waits."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def fetcher(sleeps: Sleeps, reports: list[Attempt] | None = None, **kwargs) -> PoliteFetcher:
    client = httpx.AsyncClient(trust_env=False, timeout=5.0)
    options = {"version": VERSION, "min_interval": 0, "sleep": sleeps, "random": lambda: 1.0}
    options.update(kwargs)
    if reports is not None:
        options["on_attempt"] = reports.append
    return PoliteFetcher(client, **options)


def leftovers(directory: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)


# ---------------------------------------------------------------------------------------------


async def test_download_200_to_file(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server.script = lambda h, n: reply(h, 200, BODY, {"ETag": '"v1"', "Content-Type": "application/gzip"})
    dest = tmp_path / "dump.jsonl.gz"
    sleeps = Sleeps()
    async with PoliteFetcher(version=VERSION, min_interval=0, sleep=sleeps) as polite:  # its own client
        assert polite.client.timeout == DEFAULT_TIMEOUT
        assert polite.client.timeout.connect == 10.0 and polite.client.timeout.read == 30.0
        result = await polite.download(server.url + "/export/ratings", dest, params={"since": "C1"})
    assert polite.client.is_closed
    assert (result.status, result.etag, result.bytes_written, result.attempts) == (200, '"v1"', len(BODY), 1)
    assert not result.not_modified and result.path == dest
    assert dest.read_bytes() == BODY
    assert leftovers(tmp_path, {dest.name}) == []
    assert sleeps.calls == []
    [seen] = server.requests
    assert seen.path == "/export/ratings?since=C1"
    assert seen.headers["user-agent"] == "Fairfinder/1.2.3 (+community import)"
    assert "if-none-match" not in seen.headers


async def test_given_client_is_not_closed(server: Server) -> None:
    server.script = lambda h, n: reply(h, 200, b"{}")
    client = httpx.AsyncClient(trust_env=False)
    async with PoliteFetcher(client, version=VERSION, min_interval=0) as polite:
        assert await polite.get_bytes(server.url + "/api") == b"{}"
    assert not client.is_closed
    await client.aclose()
    assert server.requests[0].headers["user-agent"] == "Fairfinder/1.2.3 (+community import)"


async def test_etag_304_not_modified(server: Server, tmp_path: Path) -> None:
    def script(h: BaseHTTPRequestHandler, n: int) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            reply(h, 304, headers={"ETag": '"v1"'})
        else:
            reply(h, 200, BODY, {"ETag": '"v1"'})

    server.script = script
    dest = tmp_path / "dump"
    sleeps = Sleeps()
    async with fetcher(sleeps) as polite:
        first = await polite.download(server.url + "/d", dest)
        second = await polite.download(server.url + "/d", dest, etag=first.etag)
    assert first.status == 200 and first.etag == '"v1"'
    assert second.not_modified and second.status == 304
    assert (second.etag, second.bytes_written, second.attempts) == ('"v1"', 0, 1)
    assert dest.read_bytes() == BODY  # untouched
    assert server.requests[1].headers["if-none-match"] == '"v1"'
    assert leftovers(tmp_path, {"dump"}) == []


async def test_503_twice_then_200_is_retried_with_growing_waits(server: Server, tmp_path: Path) -> None:
    server.script = lambda h, n: reply(h, 503, b"busy") if n <= 2 else reply(h, 200, BODY)
    sleeps, reports = Sleeps(), []
    async with fetcher(sleeps, reports) as polite:
        result = await polite.download(server.url + "/d", tmp_path / "out")
    assert result.attempts == 3 and result.status == 200
    assert (tmp_path / "out").read_bytes() == BODY
    assert sleeps.calls == [1.0, 2.0]  # base 1 s doubling; the injected random() == 1.0 takes the full span
    assert [(r.attempt, r.status, r.retry_in) for r in reports] == [(1, 503, 1.0), (2, 503, 2.0), (3, 200, None)]
    assert reports[0].error == "HTTP 503 Service Unavailable" and reports[2].error is None
    assert len(server.requests) == 3


async def test_backoff_is_capped_and_jittered(server: Server) -> None:
    server.script = lambda h, n: reply(h, 500)
    sleeps = Sleeps()
    draws = iter([0.5, 0.25, 1.0, 1.0, 1.0])
    async with fetcher(sleeps, attempts=5, backoff_base=4.0, backoff_cap=10.0, random=lambda: next(draws)) as polite:
        with pytest.raises(FetchError) as info:
            await polite.get_bytes(server.url + "/api")
    # full spans 4, 8, 16->10, 32->10, scaled by the draws
    assert sleeps.calls == [2.0, 2.0, 10.0, 10.0]
    assert (info.value.attempts, info.value.status) == (5, 500)
    assert "gave up after 5 attempts" in str(info.value)


async def test_429_retry_after_seconds_is_honoured(server: Server) -> None:
    server.script = lambda h, n: reply(h, 429, headers={"Retry-After": "7"}) if n == 1 else reply(h, 200, b"ok")
    sleeps = Sleeps()
    async with fetcher(sleeps) as polite:
        assert await polite.get_bytes(server.url + "/api") == b"ok"
    assert sleeps.calls == [7.0]


async def test_429_retry_after_http_date_and_cap(server: Server) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)

    def script(h: BaseHTTPRequestHandler, n: int) -> None:
        if n == 1:
            reply(h, 429, headers={"Retry-After": when})
        elif n == 2:
            reply(h, 503, headers={"Retry-After": "3600"})  # more than the cap
        else:
            reply(h, 200, b"ok")

    server.script = script
    sleeps = Sleeps()
    async with fetcher(sleeps, backoff_cap=30.0) as polite:
        assert await polite.get_bytes(server.url + "/api") == b"ok"
    assert 15.0 <= sleeps.calls[0] <= 21.0
    assert sleeps.calls[1] == 30.0


async def test_404_is_not_retried(server: Server, tmp_path: Path) -> None:
    server.script = lambda h, n: reply(h, 404, b"nope")
    sleeps, reports = Sleeps(), []
    async with fetcher(sleeps, reports) as polite:
        with pytest.raises(FetchError) as info:
            await polite.download(server.url + "/missing", tmp_path / "out")
    assert (info.value.attempts, info.value.status) == (1, 404)
    assert "HTTP 404" in info.value.message
    assert len(server.requests) == 1 and sleeps.calls == []
    assert [(r.attempt, r.status, r.retry_in) for r in reports] == [(1, 404, None)]
    assert leftovers(tmp_path, set()) == []


@pytest.mark.parametrize("status", [400, 401, 403, 410, 451])
async def test_other_4xx_are_not_retried(server: Server, status: int) -> None:
    server.script = lambda h, n: reply(h, status)
    async with fetcher(Sleeps()) as polite:
        with pytest.raises(FetchError) as info:
            await polite.get_bytes(server.url + "/api")
    assert (info.value.attempts, info.value.status) == (1, status)


async def test_connection_refused_gives_up_after_n_attempts(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps, reports = Sleeps(), []
    async with fetcher(sleeps, reports, attempts=3) as polite:
        with pytest.raises(FetchError) as info:
            await polite.download(f"http://127.0.0.1:{port}/d", tmp_path / "out")
    assert (info.value.attempts, info.value.status) == (3, None)
    assert "ConnectError" in info.value.message
    assert sleeps.calls == [1.0, 2.0]
    assert [r.status for r in reports] == [None, None, None]
    assert leftovers(tmp_path, set()) == []


async def test_dropped_mid_body_is_retried_and_temp_file_removed(server: Server, tmp_path: Path) -> None:
    server.script = lambda h, n: drop_mid_body(h) if n == 1 else reply(h, 200, BODY, {"ETag": '"v2"'})
    dest = tmp_path / "dump"
    dest.write_bytes(b"old")
    sleeps, reports = Sleeps(), []
    async with fetcher(sleeps, reports) as polite:
        result = await polite.download(server.url + "/d", dest)
    assert result.attempts == 2 and result.etag == '"v2"'
    assert dest.read_bytes() == BODY
    assert reports[0].status == 200 and "RemoteProtocolError" in (reports[0].error or "")
    assert leftovers(tmp_path, {"dump"}) == []


async def test_dropped_every_time_leaves_old_file_and_no_temp(server: Server, tmp_path: Path) -> None:
    server.script = lambda h, n: drop_mid_body(h)
    dest = tmp_path / "dump"
    dest.write_bytes(b"old")
    async with fetcher(Sleeps(), attempts=2) as polite:
        with pytest.raises(FetchError) as info:
            await polite.download(server.url + "/d", dest)
    assert info.value.attempts == 2
    assert dest.read_bytes() == b"old"
    assert leftovers(tmp_path, {"dump"}) == []


async def test_get_bytes_dropped_mid_body_is_retried(server: Server) -> None:
    server.script = lambda h, n: drop_mid_body(h) if n == 1 else reply(h, 200, BODY)
    async with fetcher(Sleeps()) as polite:
        assert await polite.get_bytes(server.url + "/api") == BODY
    assert len(server.requests) == 2


async def test_over_size_declared_length_is_an_error_and_no_file(server: Server, tmp_path: Path) -> None:
    server.script = lambda h, n: reply(h, 200, BODY)
    sleeps = Sleeps()
    async with fetcher(sleeps) as polite:
        with pytest.raises(FetchError) as info:
            await polite.download(server.url + "/d", tmp_path / "out", max_bytes=1000)
    assert "over the limit" in info.value.message and info.value.attempts == 1
    assert len(server.requests) == 1 and sleeps.calls == []
    assert leftovers(tmp_path, set()) == []


async def test_over_size_undeclared_body_is_an_error_and_no_file(server: Server, tmp_path: Path) -> None:
    def close_delimited(h: BaseHTTPRequestHandler, n: int) -> None:
        h.send_response(200)
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(BODY)
        h.close_connection = True

    server.script = close_delimited
    async with fetcher(Sleeps()) as polite:
        with pytest.raises(FetchError) as info:
            await polite.download(server.url + "/d", tmp_path / "out", max_bytes=50_000)
        assert info.value.attempts == 1 and "over the limit" in info.value.message
        with pytest.raises(FetchError):
            await polite.get_bytes(server.url + "/d", max_bytes=50_000)
        # within the limit the same close-delimited body is fine
        result = await polite.download(server.url + "/d", tmp_path / "ok", max_bytes=len(BODY))
    assert result.bytes_written == len(BODY)
    assert leftovers(tmp_path, {"ok"}) == []


async def test_per_host_interval_is_respected(server: Server) -> None:
    server.script = lambda h, n: reply(h, 200, b"ok")
    interval = 0.2
    sent: list[float] = []

    async def note_send(request: httpx.Request) -> None:  # runs after the gate, as the request leaves
        sent.append(time.monotonic())

    async with fetcher(Sleeps(), min_interval=interval, sleep=asyncio.sleep) as polite:
        polite.client.event_hooks["request"].append(note_send)
        bodies = await asyncio.gather(*(polite.get_bytes(f"{server.url}/api?i={i}") for i in range(4)))
    assert bodies == [b"ok"] * 4 and len(server.requests) == 4
    # Measured where the pacing happens (the sender), so a slow machine can only widen the gaps.
    gaps = [b - a for a, b in zip(sent, sent[1:])]
    assert all(gap >= interval for gap in gaps), gaps


async def test_interval_applies_to_retries_and_uses_the_clock() -> None:
    """Pure timing logic: a fake clock, a recording sleep; no network."""
    now = [100.0]
    sleeps = Sleeps()
    polite = PoliteFetcher(httpx.AsyncClient(trust_env=False), version=VERSION, min_interval=1.0, sleep=sleeps,
                           clock=lambda: now[0])
    url = httpx.URL("http://example.invalid/x")
    await polite._wait_turn(url)  # first: no wait
    now[0] += 0.25
    await polite._wait_turn(url)
    await polite._wait_turn(httpx.URL("http://other.invalid/x"))  # another host: no wait
    assert sleeps.calls == [0.75]
    await polite.client.aclose()


def test_parse_retry_after() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(" 1.5 ", now) == 1.5
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after("-5", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("nan", now) is None


def test_fetch_error_fields() -> None:
    error = FetchError("boom", 3, 503)
    assert (str(error), error.message, error.attempts, error.status) == ("boom", "boom", 3, 503)
    with pytest.raises(ValueError):
        PoliteFetcher(httpx.AsyncClient(), version=VERSION, attempts=0)
