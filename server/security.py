"""Web security around the whole app: request size limits, rate limits, CORS, security headers and CSP.

It is one plain ASGI layer outside Litestar's router (installed in server/app.py), so it sees every request —
unrouted paths, preflights and errors included — and every response, whoever built it. See docs/security.md
for what each part does and why.
"""
from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import msgspec

from server.errors import ErrorBody
from server.feature import Feature
from server.settings import Settings

# --- the paths the features declare (server/feature.py) -------------------------------------------

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class PathPolicy:
    """What the features declare about their paths: open to any web page (open data, never a token), POSTs that
    only read, never rate limited (probes: a load balancer must see a busy server as alive), registration,
    anonymous reports."""

    open_paths: frozenset[str] = frozenset()
    open_prefixes: tuple[str, ...] = ()
    read_posts: frozenset[str] = frozenset()
    exempt_paths: frozenset[str] = frozenset()
    register_paths: frozenset[str] = frozenset()
    report_paths: frozenset[str] = frozenset()

    @classmethod
    def of(cls, features: Iterable[Feature]) -> PathPolicy:
        features = list(features)
        return cls(open_paths=frozenset().union(*(f.open_paths for f in features)),
                   open_prefixes=tuple(prefix for f in features for prefix in f.open_prefixes),
                   read_posts=frozenset().union(*(f.read_posts for f in features)),
                   exempt_paths=frozenset().union(*(f.exempt_paths for f in features)),
                   register_paths=frozenset().union(*(f.register_paths for f in features)),
                   report_paths=frozenset().union(*(f.report_paths for f in features)))

    def is_open(self, path: str) -> bool:
        return path in self.open_paths or path.startswith(self.open_prefixes)

    def is_write(self, method: str, path: str) -> bool:
        return method in WRITE_METHODS and path not in self.read_posts

    def is_registration(self, method: str, path: str) -> bool:
        return method == "POST" and path in self.register_paths

    def is_report(self, method: str, path: str) -> bool:
        return method == "POST" and path in self.report_paths

    def is_limited(self, path: str) -> bool:
        return path not in self.exempt_paths

CORS_METHODS = "DELETE, GET, HEAD, PATCH, POST, PUT"
CORS_HEADERS = frozenset({"authorization", "content-type", "if-none-match", "if-match", "x-request-id",
                          "accept", "accept-language", "content-language"})
# What scripts may read from a cross-origin answer beyond the CORS-safelisted headers.
EXPOSED_HEADERS = "ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, X-Request-ID"
PREFLIGHT_MAX_AGE = "600"
OPEN_PREFLIGHT_MAX_AGE = "86400"
_HEADER_LIST = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$")
_EXTENSION_ORIGIN = re.compile(r"^(chrome-extension|moz-extension)://([a-z0-9-]{1,64})$")

# --- headers on every answer ---------------------------------------------------------------------

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)
# HTML pages (/listen, /r/..., error pages, /moderation) use files from /…/static only: no inline script or
# style, no external host. A route that sets its own Content-Security-Policy keeps it.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# The API documentation (/schema, /schema/swagger: server/apidocs) is Swagger UI served from this server and started
# by a file, so nothing comes from elsewhere and no inline script runs. The viewer sets styles from its script
# (element styles), hence 'unsafe-inline' for styles only; its icons are data: images.
DOCS_PREFIX = "/schema"
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")


PAGE_CSP_BYTES = PAGE_CSP.encode()
DOCS_CSP_BYTES = DOCS_CSP.encode()
# No referrer leaves the site either way; but under no-referrer browsers send `Origin: null` on a page's own form
# posts, which the pages' CSRF check (listen's same_site) must refuse. So HTML answers say same-origin.
REFERRER_POLICY, PAGE_REFERRER_POLICY = b"no-referrer", b"same-origin"


# --- pure decisions --------------------------------------------------------------------------------


def origin_allowed(origin: str, settings: Settings) -> bool:
    """Extension origins (the configured ids, or any id when none are configured) and FAIRFINDER_CORS_ORIGINS."""
    origin = origin.lower()
    extension = _EXTENSION_ORIGIN.match(origin)
    if extension:
        return not settings.extension_ids or extension.group(2) in settings.extension_ids
    return origin in settings.cors_origins


class Decision(NamedTuple):
    allowed: bool
    limit: int
    remaining: int
    reset: int  # whole seconds until the window ends (the Retry-After of a refusal)
    window: float


class RateLimiter:
    """Fixed-window counters in this process's memory: `limit` hits per key per `window` seconds.
    With several processes each counts for itself; server/cluster/ratelimit.py shares them (PostgreSQL)."""

    MAX_KEYS = 100_000  # past this, expired windows are swept; a flood of fresh keys resets the table

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> Decision:
        now = self.clock()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        count += 1
        if len(self._windows) >= self.MAX_KEYS and key not in self._windows:
            self._sweep(now)
        self._windows[key] = (start, count)
        reset = max(1, math.ceil(start + self.window - now))
        return Decision(count <= self.limit, self.limit, max(0, self.limit - count), reset, self.window)

    def _sweep(self, now: float) -> None:
        self._windows = {k: v for k, v in self._windows.items() if now - v[0] < self.window}
        if len(self._windows) >= self.MAX_KEYS:
            self._windows.clear()  # fail open rather than grow without bound


class Limits:
    """The limits of docs/security.md, applied in order: per address, registrations, anonymous reports (per
    address, then per token), writes per token."""

    def __init__(self, settings: Settings, policy: PathPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.ip = RateLimiter(*settings.rate_limit_ip, clock=clock)
        self.register = RateLimiter(*settings.rate_limit_register, clock=clock)
        self.reports = RateLimiter(*settings.rate_limit_reports, clock=clock)
        self.writes = RateLimiter(*settings.rate_limit_writes, clock=clock)

    def check(self, method: str, path: str, address: str, token: str | None) -> tuple[str, Decision]:
        """(name, decision) of the first limit refused, else of the tightest one applied."""
        applied = [("ip", self.ip.hit(address))]
        if applied[-1][1].allowed and self.policy.is_registration(method, path):
            applied.append(("register", self.register.hit(address)))
        if applied[-1][1].allowed and self.policy.is_report(method, path):
            applied.append(("reports", self.reports.hit(f"ip:{address}")))
            if applied[-1][1].allowed and token:
                applied.append(("reports", self.reports.hit(f"token:{token_key(token)}")))
        if applied[-1][1].allowed and token and self.policy.is_write(method, path):
            applied.append(("writes", self.writes.hit(token_key(token))))
        refused = [item for item in applied if not item[1].allowed]
        if refused:
            return refused[0]
        return min(applied, key=lambda item: (item[1].remaining / item[1].limit, item[1].remaining))


def token_key(token: str) -> str:
    """The key a token's write limit is counted under (here and in server/cluster/ratelimit.py): only a digest is
    kept, so a heap dump, a debugger or the shared counters' table shows no live tokens."""
    return hashlib.blake2b(token.encode(), digest_size=16).hexdigest()


def rate_headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    """RateLimit-* headers (draft-ietf-httpapi-ratelimit-headers) for the limit that binds this request."""
    return [(b"ratelimit-limit", str(decision.limit).encode()),
            (b"ratelimit-remaining", str(decision.remaining).encode()),
            (b"ratelimit-reset", str(decision.reset).encode()),
            (b"ratelimit-policy", f"{decision.limit};w={round(decision.window)}".encode())]


# --- the ASGI layer --------------------------------------------------------------------------------


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def bearer_token(scope: dict[str, Any]) -> str | None:
    value = _header(scope, b"authorization")
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


def client_address(scope: dict[str, Any]) -> str:
    # With FAIRFINDER_FORWARDED_ALLOW_IPS uvicorn has already put the proxy's X-Forwarded-For client here.
    client = scope.get("client")
    return client[0] if client else "unknown"


def _merge_vary(headers: list[tuple[bytes, bytes]], value: bytes) -> None:
    for index, (key, existing) in enumerate(headers):
        if key.lower() == b"vary":
            if value.lower() not in [part.strip().lower() for part in existing.split(b",")]:
                headers[index] = (key, existing + b", " + value)
            return
    headers.append((b"vary", value))


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def has_nul(scope: dict[str, Any]) -> bool:
    """A NUL in the path (decoded) or in the query string (raw or %-encoded)."""
    query = scope.get("query_string") or b""
    return "\x00" in scope["path"] or b"\x00" in query or b"%00" in query


def is_json_type(content_type: str | None) -> bool:
    """No declared type (the body is read as JSON), application/json or application/<something>+json."""
    if content_type is None or not content_type.strip():
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class SharedCounters(Protocol):
    """Rate-limit counters every process sees (server/cluster/ratelimit.py SharedLimits)."""

    async def check(self, method: str, path: str, address: str, token: str | None) -> tuple[str, Decision]: ...


class SecurityLayer:
    """ASGI: size limits → rate limits → CORS preflight → the app, adding CORS and security headers on the way out."""

    def __init__(self, app: Callable[..., Any], settings: Settings, policy: PathPolicy,
                 on_refusal: Callable[[str], None] | None = None, shared_limits: SharedCounters | None = None) -> None:
        self.app = app
        self.settings = settings
        self.policy = policy
        # shared_limits: counters every process sees (server/cluster/ratelimit.py); else this process's memory.
        self.shared_limits = shared_limits if settings.rate_limits_enabled else None
        self.limits = (Limits(settings, policy) if settings.rate_limits_enabled and self.shared_limits is None
                       else None)
        self.on_refusal = on_refusal or (lambda _name: None)

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        path = scope["path"].rstrip("/") or "/"  # as the router matches it: /health/ is /health
        origin = _header(scope, b"origin")
        open_path = self.policy.is_open(path)
        allowed_origin = origin if origin and not open_path and origin_allowed(origin, self.settings) else None
        extra: list[tuple[bytes, bytes]] = []
        send = self._wrap(send, path, open_path, allowed_origin, extra)

        raw_path = (scope.get("raw_path") or path.encode()).split(b"?", 1)[0]  # some servers include the query
        url_bytes = len(raw_path) + len(scope.get("query_string") or b"")
        if url_bytes > self.settings.max_url_bytes:
            await _reply(send, 414, "uri_too_long",
                         f"The address is longer than this server accepts ({self.settings.max_url_bytes} bytes).")
            return
        if sum(len(k) + len(v) + 4 for k, v in scope.get("headers", ())) > self.settings.max_header_bytes:
            await _reply(send, 431, "headers_too_large",
                         f"The request headers are larger than this server accepts ({self.settings.max_header_bytes} bytes).")
            return
        if has_nul(scope) and not open_path:
            # No id, name or query value holds NUL, and PostgreSQL refuses it in text: say so, before any lookup.
            # (The Turkopticon routes and the dump keep their own documented answers: they parse ids strictly.)
            await _reply(send, 400, "invalid_text", "The address must not contain the NUL character (%00).")
            return
        if (self.limits is not None or self.shared_limits is not None) and self.policy.is_limited(path):
            if self.shared_limits is not None:
                name, decision = await self.shared_limits.check(method, path, client_address(scope), bearer_token(scope))
            else:
                assert self.limits is not None  # one of the two is set (the condition above)
                name, decision = self.limits.check(method, path, client_address(scope), bearer_token(scope))
            extra.extend(rate_headers(decision))
            if not decision.allowed:
                self.on_refusal(name)
                await _reply(send, 429, "rate_limited",
                             f"Too many requests; try again in {decision.reset} seconds.",
                             [(b"retry-after", str(decision.reset).encode())])
                return
        if method == "OPTIONS" and origin and _header(scope, b"access-control-request-method"):
            await self._preflight(scope, send, open_path, allowed_origin)
            return
        if method in BODY_METHODS and path.startswith("/api/") and not is_json_type(_header(scope, b"content-type")):
            # The API reads JSON only. Refusing other declared types also stops cross-site "simple" posts
            # (text/plain, forms), which browsers send without a CORS preflight.
            await _reply(send, 415, "unsupported_media_type",
                         "Send the body as JSON, with 'Content-Type: application/json'.")
            return
        await self.app(scope, receive, send)

    async def _preflight(self, scope: dict[str, Any], send: Callable[..., Any], open_path: bool,
                         allowed_origin: str | None) -> None:
        requested = (_header(scope, b"access-control-request-headers") or "").strip()
        if requested and (len(requested) > 1000 or not _HEADER_LIST.match(requested)):
            await _reply(send, 400, "bad_request", "Access-Control-Request-Headers is not a list of header names.")
            return
        if open_path:
            headers = [(b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
                       (b"access-control-max-age", OPEN_PREFLIGHT_MAX_AGE.encode())]
            if requested:
                headers.append((b"access-control-allow-headers", requested.encode()))
            await _empty(send, headers)
            return
        method = (_header(scope, b"access-control-request-method") or "").upper()
        names = {name.strip().lower() for name in requested.split(",") if name.strip()}
        if allowed_origin is None or method not in CORS_METHODS.split(", ") or not names <= CORS_HEADERS:
            await _reply(send, 403, "cors_refused", "This origin, method or header is not allowed to call this server.")
            return
        await _empty(send, [(b"access-control-allow-methods", CORS_METHODS.encode()),
                            (b"access-control-allow-headers", b", ".join(sorted(n.encode() for n in CORS_HEADERS))),
                            (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode())])

    def _wrap(self, send: Callable[..., Any], path: str, open_path: bool, allowed_origin: str | None,
              extra: list[tuple[bytes, bytes]]) -> Callable[..., Any]:
        docs = path == DOCS_PREFIX or path.startswith(DOCS_PREFIX + "/")

        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                html = _is_html(headers)
                viewer = docs and html and message["status"] == 200
                self._decorate(headers, open_path, allowed_origin, extra, html, html and not viewer)
                if viewer:
                    _set_default(headers, b"content-security-policy", DOCS_CSP_BYTES)
                message = {**message, "headers": headers}
            await send(message)

        return wrapped

    def _decorate(self, headers: list[tuple[bytes, bytes]], open_path: bool, allowed_origin: str | None,
                  extra: Iterable[tuple[bytes, bytes]], html: bool, page: bool) -> None:
        """Security and CORS headers; `page`: an HTML answer that gets the page CSP unless it has one."""
        present = {key.lower() for key, _ in headers}
        for key, value in (*SECURITY_HEADERS, *extra):
            if key not in present:
                headers.append((key, value))
        if b"referrer-policy" not in present:
            headers.append((b"referrer-policy", PAGE_REFERRER_POLICY if html else REFERRER_POLICY))
        if page and b"content-security-policy" not in present:
            headers.append((b"content-security-policy", PAGE_CSP_BYTES))
        if open_path:
            if b"access-control-allow-origin" not in present:
                headers.append((b"access-control-allow-origin", b"*"))
            headers.append((b"access-control-expose-headers", EXPOSED_HEADERS.encode()))
            return
        # The answer depends on Origin whether or not this one was allowed: caches must keep them apart.
        _merge_vary(headers, b"Origin")
        if allowed_origin is not None:
            headers.append((b"access-control-allow-origin", allowed_origin.encode("latin-1")))
            headers.append((b"access-control-expose-headers", EXPOSED_HEADERS.encode()))


def _is_html(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    return any(key.lower() == b"content-type" and value.lower().startswith(b"text/html") for key, value in headers)


def _set_default(headers: list[tuple[bytes, bytes]], name: bytes, value: bytes) -> None:
    if all(key.lower() != name for key, _ in headers):
        headers.append((name, value))


async def _reply(send: Callable[..., Any], status: int, code: str, message: str,
                 headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = msgspec.json.encode(ErrorBody(status, code, message))
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


async def _empty(send: Callable[..., Any], headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


# --- the HTTP server's own bound on request heads ---------------------------------------------------


def head_limit(settings: Settings) -> int:
    """Bytes of request line and headers uvicorn reads before refusing: above the app's own 414/431 checks,
    which answer first in our error shape; this only stops a client that streams headers without end."""
    return settings.max_url_bytes + settings.max_header_bytes + 1024


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn without httptools falls back to h11, which has its own bound
    HTTP_PROTOCOL = "h11"
else:
    HTTP_PROTOCOL = "server.security:BoundedHttpToolsProtocol"
    _TOO_LARGE = msgspec.json.encode(ErrorBody(431, "headers_too_large", "The request headers are larger than this "
                                                                          "server accepts."))

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's fast parser (httptools) keeps reading headers without limit (a 20 MB header was accepted):
        count each request head's bytes and refuse past uvicorn's h11_max_incomplete_event_size, as h11 does."""

        def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(config, *args, **kwargs)
            self._head_limit = config.h11_max_incomplete_event_size or 64 * 1024
            self._in_head, self._head_bytes, self._tail, self._refused = True, 0, b"", False

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            if self._in_head:
                window = self._tail + data  # the blank line that ends the head may straddle two reads
                end = window.find(b"\r\n\r\n")
                self._head_bytes += len(data) if end < 0 else max(0, end + 4 - len(self._tail))
                self._tail = window[-3:]
                if self._head_bytes > self._head_limit:
                    self._refused = True
                    self.logger.warning("Request head larger than %d bytes refused.", self._head_limit)
                    if self.cycle is not None and not self.cycle.response_complete:
                        # Bytes after a request still being answered: its answer goes out first, then the
                        # connection closes (a 431 written now would come before that answer).
                        self.cycle.keep_alive = False
                        return
                    self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
                                         b"content-length: " + str(len(_TOO_LARGE)).encode() + b"\r\nconnection: close\r\n\r\n"
                                         + _TOO_LARGE)
                    self.transport.close()
                    return
            super().data_received(data)

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_head, self._head_bytes, self._tail = True, 0, b""
            super().on_message_complete()
