"""Load shedding and abandoned requests: one plain ASGI layer (installed in server/app.py).

* **Shedding.** A process answers at most `max_in_progress` requests at once (FAIRFINDER_MAX_REQUESTS).
  One more is answered at once with `503 overloaded` and `Retry-After` instead of queueing behind the
  others until it times out: a client (the extension backs off and keeps its last overlay) learns within
  a millisecond that it should come back, and the requests already taken finish in bounded time. The
  probes (/health, /ready, /metrics) are never shed, so a load balancer sees a busy server as alive and
  can read /ready.
* **Abandoned requests.** When the client disconnects before the answer has started, the request's work
  is cancelled (its transaction rolls back; nothing it would have acknowledged was acknowledged). A
  watcher task reads the connection's messages for the app, one at a time, and notices the disconnect.

The 503 is the one error shape: `{"status": 503, "code": "overloaded", "message": "…"}` with headers
`Retry-After: <seconds>` and `Cache-Control: no-store` (and CORS headers from server/security.py, which
sits outside this layer).
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec
from litestar import MediaType, Request, Response

from server.errors import ErrorBody

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PROBE_PATHS = frozenset({"/health", "/ready", "/metrics"})
DISCONNECTED = "fairfinder.disconnected"  # scope key: the client left before an answer started (access log: 499)


class LoadShedder:
    def __init__(self, app: ASGIApp, max_in_progress: int, retry_after_seconds: int = 2,
                 on_shed: Callable[[], None] | None = None) -> None:
        self.app = app
        self.max_in_progress = max_in_progress  # 0: never shed
        self.retry_after = str(retry_after_seconds).encode()
        self.on_shed = on_shed or (lambda: None)
        self.in_progress = 0
        self.shed = 0  # requests answered 503 so far
        self.abandoned = 0  # requests whose work stopped because their client left
        self._body = msgspec.json.encode(ErrorBody(
            503, "overloaded", f"The server is busy; nothing was done. Try again in {retry_after_seconds} seconds."))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["path"].rstrip("/") or "/") in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        if self.max_in_progress and self.in_progress >= self.max_in_progress:
            self.shed += 1
            self.on_shed()
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(self._body)).encode()),
                (b"retry-after", self.retry_after), (b"cache-control", b"no-store")]})
            await send({"type": "http.response.body", "body": self._body})
            return
        self.in_progress += 1
        try:
            await self._watched(scope, receive, send)
        finally:
            self.in_progress -= 1

    async def _watched(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; cancel it when the client disconnects before its answer has started."""
        request_task = asyncio.current_task()
        assert request_task is not None
        inbox: asyncio.Queue[Message] = asyncio.Queue(maxsize=1)  # at most one body chunk read ahead
        started = cancelled = False

        async def watch() -> None:
            nonlocal cancelled
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    with contextlib.suppress(asyncio.QueueFull):
                        inbox.put_nowait(message)
                    if not started:
                        cancelled = True
                        scope[DISCONNECTED] = True
                        request_task.cancel()
                    return
                await inbox.put(message)

        async def app_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            await self.app(scope, inbox.get, app_send)
        except asyncio.CancelledError:
            if not cancelled or request_task.uncancel() > 0:
                raise  # cancelled by someone else too (server shutdown): let it through
            self.abandoned += 1
        finally:
            watcher.cancel()


def pool_exhausted(retry_after_seconds: int) -> Callable[[Request[Any, Any, Any], Exception], Response[ErrorBody]]:
    """An exception handler for SQLAlchemy's pool timeout: no connection came free within
    FAIRFINDER_DB_POOL_TIMEOUT. It is overload, not a fault: the same 503 as shedding, never a 500."""
    def handle(_request: Request[Any, Any, Any], _exc: Exception) -> Response[ErrorBody]:
        return Response(ErrorBody(503, "overloaded", f"The server is busy; nothing was done. Try again in "
                                                     f"{retry_after_seconds} seconds."),
                        status_code=503, media_type=MediaType.JSON,
                        headers={"Retry-After": str(retry_after_seconds), "Cache-Control": "no-store"})
    return handle
