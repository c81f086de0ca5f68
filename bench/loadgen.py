"""An HTTP load generator for loopback benchmarks, run as its own process: closed loop, or open loop at a rate.

    python bench/loadgen.py --url http://127.0.0.1:PORT --path /api/v1/annotate --bodies pages.jsonl
                            [--concurrency 16] [--duration 20] [--max-requests 1000000] [--client raw|httpx]
                            [--rate 200 [--fresh fresh.jsonl --fresh-every 20]]

Closed loop (default): N connections (keep-alive, HTTP/1.1) each send one request, wait for the whole
response, and send the next, for a fixed duration; the bodies are taken in turn from a shared cycle over
the file (one JSON object per line: {"body": ..., "headers": {...}}).

Open loop (`--rate R`, raw client): request i is due at start + i/R whatever the server does, for
--duration seconds; up to --concurrency connections carry them (a due request waits for a free one).
Latency is measured from the request's *scheduled* time, not from when a connection was free to send
it, so a server that falls behind is charged for the queue it causes (no coordinated omission: a
closed-loop client would just send less). With `--fresh F --fresh-every K`, every K-th request takes the
next body of F (each once, e.g. pages nobody has shown yet) instead of the next of --bodies.

Prints one JSON object: requests, requests/s, latency percentiles in milliseconds, and the count of
every non-200 status.

Two clients: `raw` (default) writes prebuilt request bytes on asyncio streams and reads the response
by Content-Length/chunked framing, so one core sustains several thousand requests/s and the client
does not cap a fast route; `httpx` uses httpx.AsyncClient (simpler, but tops out much lower, which
flattens the baseline). Every loop is bounded by --duration, --max-requests and a per-request timeout.
Only loopback URLs are accepted.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

REQUEST_TIMEOUT = 30.0


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.first_view: list[float] = []  # latency of each body's first request in this run
        self.repeat_view: list[float] = []
        self.sent: set[int] = set()
        self.statuses: dict[int, int] = {}
        self.errors: dict[str, int] = {}
        self.response_bytes = 0
        self.schedule_lag: list[float] = []  # open loop: how late the client itself queued each request
        self.fresh_from: int | None = None  # open loop: body indices from here on are --fresh bodies
        self.fresh: list[float] = []

    def record(self, status: int, seconds: float, size: int, body: int) -> None:
        self.latencies.append(seconds)
        if self.fresh_from is not None and body >= self.fresh_from:
            self.fresh.append(seconds)
        if body in self.sent:
            self.repeat_view.append(seconds)
        else:
            self.sent.add(body)
            self.first_view.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.response_bytes += size

    def error(self, error: BaseException) -> None:
        name = type(error).__name__
        self.errors[name] = self.errors.get(name, 0) + 1


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def _percentiles(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    return {f"p{round(q * 100)}_ms": (round(v * 1000, 2) if (v := percentile(ordered, q)) is not None else None)
            for q in (0.5, 0.9, 0.99)}


def load_bodies(path: str) -> list[tuple[bytes, dict[str, str]]]:
    bodies = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                item = json.loads(line)
                bodies.append((json.dumps(item["body"], separators=(",", ":")).encode(), item.get("headers") or {}))
    if not bodies:
        raise SystemExit(f"no request bodies in {path}")
    return bodies


# --- raw asyncio client -------------------------------------------------------------------------


def build_request(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json", "Accept: application/json",
             f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """(status, body bytes, keep-alive) of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        size = int(headers["content-length"])
        await reader.readexactly(size)
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        size = 0
        while True:
            chunk = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if chunk == 0:
                await reader.readuntil(b"\r\n")  # no trailers expected
                break
            await reader.readexactly(chunk + 2)
            size += chunk
    else:
        raise ValueError("response without Content-Length or chunked framing")
    return status, size, headers.get("connection", "").lower() != "close"


async def raw_connection(host: str, port: int, requests: list[bytes], order: itertools.cycle, deadline: float,
                         budget: list[int], stats: Stats) -> None:
    reader = writer = None
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            index = next(order)
            request = requests[index]
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    if writer is None:
                        reader, writer = await asyncio.open_connection(host, port)
                    started = time.perf_counter()
                    writer.write(request)
                    assert reader is not None  # opened with the writer above
                    status, size, keep_alive = await read_response(reader)
                    stats.record(status, time.perf_counter() - started, size, index)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, TimeoutError) as error:
                stats.error(error)
                keep_alive = False
            if not keep_alive and writer is not None:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def run_raw(url: str, path: str, bodies: list[tuple[bytes, dict[str, str]]], concurrency: int,
                  duration: float, max_requests: int, stats: Stats) -> float:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [build_request(parts.netloc, path, body, headers) for body, headers in bodies]
    order = itertools.cycle(range(len(requests)))
    budget = [max_requests]
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(*(raw_connection(host, port, requests, order, deadline, budget, stats) for _ in range(concurrency)))
    return time.perf_counter() - started


# --- open loop at a fixed rate (raw client) ------------------------------------------------------


async def run_rate(url: str, path: str, bodies: list[tuple[bytes, dict[str, str]]], concurrency: int,
                   duration: float, max_requests: int, stats: Stats, rate: float,
                   fresh: list[tuple[bytes, dict[str, str]]], fresh_every: int) -> float:
    """Send request i at start + i/rate on the first free of `concurrency` connections; its latency
    counts from start + i/rate. Returns the time until the last response (or timeout)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [build_request(parts.netloc, path, body, headers) for body, headers in [*bodies, *fresh]]
    total = min(max_requests, int(duration * rate))
    due: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    # Connections are opened before the clock starts: the schedule measures requests, not TCP handshakes.
    opened = await asyncio.gather(*(asyncio.open_connection(host, port) for _ in range(concurrency)))
    started = time.perf_counter()

    async def schedule() -> None:
        cycle, fresh_next = itertools.cycle(range(len(bodies))), 0
        for i in range(total):
            at = started + i / rate
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            stats.schedule_lag.append(max(0.0, time.perf_counter() - at))
            if fresh_every and (i + 1) % fresh_every == 0 and fresh_next < len(fresh):
                index, fresh_next = len(bodies) + fresh_next, fresh_next + 1
            else:
                index = next(cycle)
            due.put_nowait((index, at))
        for _ in range(concurrency):
            due.put_nowait(None)

    async def connection(reader: asyncio.StreamReader | None, writer: asyncio.StreamWriter | None) -> None:
        try:
            while (item := await due.get()) is not None:
                index, at = item
                try:
                    async with asyncio.timeout(REQUEST_TIMEOUT):
                        if writer is None:
                            reader, writer = await asyncio.open_connection(host, port)
                        writer.write(requests[index])
                        assert reader is not None  # opened with the writer above
                        status, size, keep_alive = await read_response(reader)
                        stats.record(status, time.perf_counter() - at, size, index)
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, TimeoutError) as error:
                    stats.error(error)
                    keep_alive = False
                if not keep_alive and writer is not None:
                    writer.close()
                    reader = writer = None
        finally:
            if writer is not None:
                writer.close()

    await asyncio.gather(schedule(), *(connection(reader, writer) for reader, writer in opened))
    return time.perf_counter() - started


# --- httpx client -------------------------------------------------------------------------------


async def run_httpx(url: str, path: str, bodies: list[tuple[bytes, dict[str, str]]], concurrency: int,
                    duration: float, max_requests: int, stats: Stats) -> float:
    import httpx  # noqa: PLC0415

    order = itertools.cycle(range(len(bodies)))
    budget = [max_requests]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=REQUEST_TIMEOUT) as client:
        started = time.perf_counter()
        deadline = started + duration

        async def connection() -> None:
            while time.perf_counter() < deadline and budget[0] > 0:
                budget[0] -= 1
                index = next(order)
                body, headers = bodies[index]
                sent = time.perf_counter()
                try:
                    response = await client.post(path, content=body,
                                                 headers={"Content-Type": "application/json", **headers})
                    stats.record(response.status_code, time.perf_counter() - sent, len(response.content), index)
                except httpx.HTTPError as error:
                    stats.error(error)

        await asyncio.gather(*(connection() for _ in range(concurrency)))
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--bodies", required=True, help="JSON lines: {\"body\": ..., \"headers\": {...}}")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--rate", type=float, default=None,
                        help="open loop: requests per second on a fixed schedule (raw client); latency from the scheduled time")
    parser.add_argument("--fresh", default=None, help="open loop: JSON lines of bodies each sent once, every --fresh-every-th request")
    parser.add_argument("--fresh-every", type=int, default=0)
    args = parser.parse_args(argv)
    host = urlsplit(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("only loopback URLs are allowed")
    if not (1 <= args.concurrency <= 1024 and 0 < args.duration <= 3600):
        parser.error("--concurrency must be 1..1024 and --duration 0..3600 s")
    if args.rate is not None and not (0 < args.rate <= 100_000 and args.client == "raw"):
        parser.error("--rate must be 0..100000 requests/s, with the raw client")
    if (args.fresh is None) != (args.fresh_every == 0) or args.fresh_every < 0 or (args.fresh and args.rate is None):
        parser.error("--fresh and --fresh-every (> 0) go together, with --rate")
    bodies = load_bodies(args.bodies)
    fresh = load_bodies(args.fresh) if args.fresh else []
    stats = Stats()
    stats.fresh_from = len(bodies) if fresh else None
    if args.rate is not None:
        async def run(*common: Any) -> Any:
            return await run_rate(*common, rate=args.rate, fresh=fresh, fresh_every=args.fresh_every)  # type: ignore[misc]  # common: the 7 positional arguments before them
    else:
        run = run_raw if args.client == "raw" else run_httpx
    try:
        import uvloop  # noqa: PLC0415

        runner: Callable[..., Any] = uvloop.run
        loop_name = "uvloop"
    except ImportError:
        runner, loop_name = asyncio.run, "asyncio"
    cpu_started = time.process_time()
    elapsed = runner(run(args.url, args.path, bodies, args.concurrency, args.duration, args.max_requests, stats))
    latencies = sorted(stats.latencies)
    ms = lambda value: round(value * 1000, 2) if value is not None else None  # noqa: E731
    ok = stats.statuses.get(200, 0)
    lag = sorted(stats.schedule_lag)
    print(json.dumps({
        "path": args.path, "client": args.client, "loop": loop_name, "concurrency": args.concurrency,
        "mode": "open" if args.rate is not None else "closed", "rate": args.rate,
        "fresh_every": args.fresh_every or None, "fresh": {"requests": len(stats.fresh), **_percentiles(stats.fresh)},
        "schedule_lag_p99_ms": ms(percentile(lag, 0.99)) if lag else None,
        "duration_s": round(elapsed, 3), "client_cpu": round((time.process_time() - cpu_started) / elapsed, 3), "requests": len(latencies), "ok": ok,
        "requests_per_s": round(len(latencies) / elapsed, 1) if elapsed > 0 else None,
        "p50_ms": ms(percentile(latencies, 0.50)), "p90_ms": ms(percentile(latencies, 0.90)),
        "p99_ms": ms(percentile(latencies, 0.99)), "max_ms": ms(latencies[-1] if latencies else None),
        "first_view": {"requests": len(stats.first_view), **_percentiles(stats.first_view)},
        "repeat_view": {"requests": len(stats.repeat_view), **_percentiles(stats.repeat_view)},
        "mean_response_bytes": round(stats.response_bytes / len(latencies)) if latencies else None,
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())}, "errors": stats.errors,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
