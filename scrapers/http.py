"""A polite HTTP fetcher for community imports (rating dumps, Turkopticon): one host is asked at most once
per `min_interval`, failures are retried with capped exponential backoff, and downloads are atomic.

Behaviour
---------
* Client: the `httpx.AsyncClient` given, or one made here with timeouts connect 10 s / read 30 s /
  write 30 s / pool 10 s (closed by `aclose()` / `async with`; a given client is the caller's to close).
  Every request carries `User-Agent: Fairfinder/<version> (+community import)`; redirects are followed.
* Politeness: requests to the same host (the URL's host name, any port) start at least `min_interval`
  seconds apart (default 1.0), retries and redirects' first hop included. An `asyncio.Lock` per host
  serializes the waiting, so concurrent tasks queue instead of racing; the requests themselves may
  overlap.
* Retries: up to `attempts` attempts in all (default 4). Retried: connect and read errors and timeouts,
  a connection dropped mid-body, 429 and every 5xx. Never retried: any other 4xx, other 3xx, a body
  over `max_bytes`. The wait before attempt k+1 is "full jitter" backoff, `random() * min(cap,
  base * 2**(k-1))` (base 1 s, cap 30 s), unless the response had a `Retry-After` (seconds or an
  HTTP-date), which is honoured up to the cap (waits min(Retry-After, cap)). After the last attempt a
  `FetchError(message, attempts, status)` is raised (`status` None when no response came back).
* Conditional requests: `etag=` sends `If-None-Match`; a 304 answer is a `Download` with
  `not_modified=True` and `dest` untouched.
* Downloads stream into a temporary file next to `dest` (same directory, so the final `os.replace` is
  atomic) that is removed on any failure, including a retried one; `dest` only ever holds a complete
  body. A declared `Content-Length` over `max_bytes`, or a body that grows past it, is an error (not
  retried). Sizes count the decoded body (after any Content-Encoding), so a compression bomb stops at
  `max_bytes` too.
* Tests and logs: `sleep` (default `asyncio.sleep`) does every wait, `clock` (default `time.monotonic`)
  times the per-host interval, `random` (default `random.random`) draws the jitter, and `on_attempt`
  receives an `Attempt` after each attempt (its outcome and the wait before the next one).
"""
from __future__ import annotations

import asyncio
import contextlib
import email.utils
import math
import os
import random as _random
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from scrapers.errors import FairfinderError

__all__ = ["Attempt", "Download", "FetchError", "PoliteFetcher", "parse_retry_after", "user_agent"]

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)
DEFAULT_MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_API_BYTES = 4 * 1024 * 1024
_CHUNK = 64 * 1024

RETRY_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,  # connect / read / write / pool timeouts
    httpx.NetworkError,  # ConnectError (refused, DNS), ReadError, WriteError, CloseError
    httpx.RemoteProtocolError,  # connection dropped mid-body, garbled response
)


def user_agent(version: str) -> str:
    return f"Fairfinder/{version} (+community import)"


class FetchError(FairfinderError):
    """The request failed for good: after `attempts` attempts, or at once for a non-retryable answer."""

    def __init__(self, message: str, attempts: int, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.attempts = attempts
        self.status = status


@dataclass(frozen=True)
class Download:
    status: int  # 200 (or another 2xx), or 304 when not modified
    etag: str | None  # the response's ETag (for 304: the one sent, unless the server sent another)
    bytes_written: int  # 0 when not modified
    attempts: int
    path: Path

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class Attempt:
    """What one attempt did, for logging."""

    url: str
    attempt: int  # 1-based
    status: int | None  # None: no response (see error)
    error: str | None  # None: a usable answer (2xx/304)
    retry_in: float | None  # seconds until the next attempt; None: no further attempt
    elapsed: float  # seconds this attempt took


class _Retry(FairfinderError):
    def __init__(self, message: str, status: int | None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class _Fatal(FairfinderError):
    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None if absent/unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


class _HostGate:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.last: float | None = None


class PoliteFetcher:
    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        version: str,
        min_interval: float = 1.0,
        attempts: int = 4,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = _random.random,
        on_attempt: Callable[[Attempt], Any] | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._own_client = client is None
        self.client = client if client is not None else httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, follow_redirects=True)
        self.user_agent = user_agent(version)
        self.min_interval = min_interval
        self.attempts = attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self._clock = clock
        self._random = random
        self._on_attempt = on_attempt
        self._gates: dict[str, _HostGate] = {}

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    async def __aenter__(self) -> PoliteFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- politeness ------------------------------------------------------------------------------

    async def _wait_turn(self, url: httpx.URL) -> None:
        gate = self._gates.setdefault(url.host, _HostGate())
        async with gate.lock:
            if gate.last is not None and self.min_interval > 0:
                delay = gate.last + self.min_interval - self._clock()
                if delay > 0:
                    await self._sleep(delay)
            gate.last = self._clock()

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait after failed attempt `attempt` (1-based)."""
        if retry_after is not None:
            return min(self.backoff_cap, retry_after)
        return self._random() * min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))

    # -- the retry loop --------------------------------------------------------------------------

    async def _run(self, url: str, once: Callable[[], Awaitable[Any]]) -> tuple[Any, int]:
        for attempt in range(1, self.attempts + 1):
            started = self._clock()
            try:
                result = await once()
            except _Fatal as exc:
                self._report(url, attempt, exc.status, exc.message, None, started)
                raise FetchError(f"{url}: {exc.message}", attempt, exc.status) from None
            except _Retry as exc:
                if attempt == self.attempts:
                    self._report(url, attempt, exc.status, exc.message, None, started)
                    raise FetchError(f"{url}: {exc.message} (gave up after {attempt} attempts)", attempt, exc.status) from None
                delay = self.backoff(attempt, exc.retry_after)
                self._report(url, attempt, exc.status, exc.message, delay, started)
                await self._sleep(delay)
                continue
            self._report(url, attempt, result[0], None, None, started)
            return result, attempt
        raise AssertionError("unreachable")  # pragma: no cover

    def _report(self, url: str, attempt: int, status: int | None, error: str | None, retry_in: float | None,
                started: float) -> None:
        if self._on_attempt is not None:
            self._on_attempt(Attempt(url, attempt, status, error, retry_in, max(0.0, self._clock() - started)))

    def _headers(self, etag: str | None) -> dict[str, str]:
        headers = {"User-Agent": self.user_agent}
        if etag:
            headers["If-None-Match"] = etag
        return headers

    @staticmethod
    def _judge(response: httpx.Response, max_bytes: int) -> None:
        """Raise _Retry/_Fatal for answers that carry no usable body; return for 2xx (and 304)."""
        status = response.status_code
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise _Retry(f"HTTP {status} {response.reason_phrase}".rstrip(), status, retry_after)
        if status == 304 or 200 <= status < 300:
            length = response.headers.get("content-length")
            if status != 304 and length and length.strip().isdigit() and int(length) > max_bytes:
                raise _Fatal(f"body of {int(length)} bytes is over the limit of {max_bytes}", status)
            return
        raise _Fatal(f"HTTP {status} {response.reason_phrase}".rstrip(), status)

    async def _stream(self, url: str, params: Mapping[str, Any] | None, etag: str | None) -> httpx.Response:
        request_url = httpx.URL(url, params=params) if params else httpx.URL(url)
        await self._wait_turn(request_url)
        request = self.client.build_request("GET", request_url, headers=self._headers(etag))
        return await self.client.send(request, stream=True, follow_redirects=True)

    # -- public ------------------------------------------------------------------------------------

    async def get_bytes(self, url: str, *, params: Mapping[str, Any] | None = None,
                        max_bytes: int = DEFAULT_MAX_API_BYTES) -> bytes:
        """A small body (an API response) in memory. A 304 or any non-2xx answer is a FetchError."""

        async def once() -> tuple[int, bytes]:
            with _transport_errors(None):
                response = await self._stream(url, params, None)
            try:
                self._judge(response, max_bytes)
                if response.status_code == 304:
                    raise _Fatal("HTTP 304 without a conditional request", 304)
                body = bytearray()
                with _transport_errors(response.status_code):
                    async for chunk in response.aiter_bytes(_CHUNK):
                        body += chunk
                        if len(body) > max_bytes:
                            raise _Fatal(f"body is over the limit of {max_bytes} bytes", response.status_code)
                return response.status_code, bytes(body)
            finally:
                await response.aclose()

        (_, body), _ = await self._run(url, once)
        return body

    async def download(self, url: str, dest: Path, *, etag: str | None = None,
                       params: Mapping[str, Any] | None = None,
                       max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES) -> Download:
        """Stream the body into `dest` atomically (see the module docs)."""
        dest = Path(dest)

        async def once() -> tuple[int, str | None, int]:
            with _transport_errors(None):
                response = await self._stream(url, params, etag)
            try:
                self._judge(response, max_bytes)
                if response.status_code == 304:
                    return 304, response.headers.get("etag") or etag, 0
                written = await _write_atomically(response, dest, max_bytes)
                return response.status_code, response.headers.get("etag"), written
            finally:
                await response.aclose()

        (status, new_etag, written), attempts = await self._run(url, once)
        return Download(status=status, etag=new_etag, bytes_written=written, attempts=attempts, path=dest)


async def _write_atomically(response: httpx.Response, dest: Path, max_bytes: int) -> int:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            with _transport_errors(response.status_code):
                async for chunk in response.aiter_bytes(_CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise _Fatal(f"body is over the limit of {max_bytes} bytes", response.status_code)
                    out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return written


@contextlib.contextmanager
def _transport_errors(status: int | None) -> Iterator[None]:
    """httpx transport errors -> _Retry (connect/read/protocol errors, timeouts) or _Fatal (the rest)."""
    try:
        yield
    except RETRY_EXCEPTIONS as exc:
        raise _Retry(_describe(exc), status) from None
    except httpx.RequestError as exc:  # unsupported scheme, too many redirects, proxy errors, ...
        raise _Fatal(_describe(exc), status) from None


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text
