"""One error shape for every failure a client can see: {status, code, message, field?}.

Clients branch on `code`; people read `message`. Nothing internal (stack traces, SQL) ever leaves.
"""
from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from sqlalchemy.exc import OperationalError

from server.domain.errors import FairfinderError
from server.domain.text import explain

__all__ = ["ApiError", "ErrorBody", "FairfinderError", "error_response", "error_responses", "not_found"]

log = logging.getLogger("fairfinder.errors")


class ErrorBody(msgspec.Struct, omit_defaults=True):
    status: int
    code: str
    message: str
    field: str | None = None


class ApiError(HTTPException, FairfinderError):
    """Raise from handlers for a client error with a machine code."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(status_code=status, detail=message)
        self.code = code
        self.message = message
        self.field = field


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} was not found.")


# Default codes for errors raised by the framework itself.
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_field",
    429: "rate_limited",
}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> Response[ErrorBody]:
    return Response(ErrorBody(status, code, message, field), status_code=status,
                    media_type=MediaType.JSON, headers=headers)


_NAMED_FIELD = re.compile(r"(?:missing required field|contains unknown field) `([^`]+)`")
_MISSING_PARAMETER = re.compile(r"Missing required (\w+) parameter '([^']+)'")
# msgspec's decode errors for bodies that are not JSON at all (Litestar passes them on as 400s).
_NOT_JSON = ("JSON is malformed", "Input data was truncated")


def _field_from_key(key: str | None, message: str = "") -> str | None:
    """The dotted path of the bad value: Litestar's key plus the field msgspec names in its message."""
    base = None if not key or key == "data" else key.removeprefix("data.")
    named = _NAMED_FIELD.search(message)
    if named:
        return f"{base}.{named.group(1)}" if base else named.group(1)
    return base


def handle_validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[ErrorBody]:
    problems = exc.extra if isinstance(exc.extra, list) else []
    if problems and isinstance(problems[0], dict):
        first = problems[0]
        source = first.get("source")
        message = explain(str(first.get("message", "invalid value")))  # regex rules of server/domain/text.py in words
        if source == "body" and message == "'data'":  # Litestar's words for "no body at all"
            return error_response(400, "missing_body", "This request needs a JSON body.")
        field = _field_from_key(first.get("key"), message)
        if source in ("query", "path", "header", "cookie"):
            return error_response(400, "invalid_parameter", f"{field or 'parameter'}: {message}", field)
        return error_response(422, "invalid_field", f"{field}: {message}" if field else message, field)
    detail = str(exc.detail or "")
    missing = _MISSING_PARAMETER.search(detail)
    if missing:
        name = missing.group(2)
        return error_response(400, "invalid_parameter", f"{name}: this {missing.group(1)} parameter is required.", name)
    if "malformed" in detail.lower() or "json" in detail.lower():
        return error_response(400, "invalid_json", "The request body is not valid JSON.")
    return error_response(400, "bad_request", detail or "The request could not be read.")


def handle_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.code, exc.message, exc.field)
    status = exc.status_code
    detail = str(exc.detail or "")
    if status == 400 and "Number out of range" in detail:  # e.g. 1e400: past what a 64-bit float holds
        return error_response(400, "invalid_json", "A number in the request body is too large to read.")
    if status == 400 and any(words in detail for words in _NOT_JSON):
        return error_response(400, "invalid_json", "The request body is not valid JSON.")
    if status == 413:
        return error_response(413, "payload_too_large", "The request body is larger than this server accepts.")
    if status == 404:
        return error_response(404, "not_found", "There is nothing at this address.")
    if status == 405:  # keeps Litestar's Allow header: RFC 9110 requires it on a 405
        return error_response(405, "method_not_allowed", "This address does not accept that method.",
                              headers=dict(exc.headers or {}) or None)
    if status >= 500:
        log.error("server error %s: %s", status, detail)
        return error_response(status, "server_error", "The server could not complete the request.")
    headers = dict(exc.headers or {})
    return error_response(status, _CODES.get(status, "bad_request"), detail or "Bad request.", headers=headers or None)


def handle_recursion(_: Request[Any, Any, Any], _exc: RecursionError) -> Response[ErrorBody]:
    # A body nested past the interpreter's recursion limit ("[[[[…") fails while Litestar decodes it.
    return error_response(400, "invalid_json", "The request body is nested too deeply.")


def handle_unicode(request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[ErrorBody]:
    # msgspec raises this, not a DecodeError, for bytes that are not UTF-8 inside a JSON string of the body.
    body = getattr(getattr(request, "_connection_state", None), "body", None)
    if isinstance(body, bytes) and isinstance(exc.object, bytes) and exc.object in body:
        return error_response(400, "invalid_json", "The request body is not valid UTF-8.")
    return handle_unexpected(request, exc)


def handle_database(request: Request[Any, Any, Any], exc: OperationalError) -> Response[ErrorBody]:
    # Another process held SQLite's write lock past the busy timeout: nothing was written, try again.
    if "database is locked" in str(exc.orig) or "database is busy" in str(exc.orig):
        log.warning("database busy on %s %s", request.method, request.url.path)
        return error_response(503, "busy", "The database is busy; nothing was changed. Try again shortly.",
                              headers={"Retry-After": "1"})
    return handle_unexpected(request, exc)


def handle_unexpected(request: Request[Any, Any, Any], _exc: Exception) -> Response[ErrorBody]:
    # Logged with the route only: request bodies may hold worker data.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "Something went wrong on our side. It has been logged.")


EXCEPTION_HANDLERS = {
    ValidationException: handle_validation,
    HTTPException: handle_http,
    RecursionError: handle_recursion,
    UnicodeDecodeError: handle_unicode,
    OperationalError: handle_database,
    Exception: handle_unexpected,
}


_DESCRIPTIONS = {
    400: "The request could not be read (bad JSON, query parameter or cursor; `invalid_text`: a NUL in the address).",
    401: "No token, or an unknown or revoked one.",
    403: "Not allowed for this account.",
    404: "No such object.",
    409: "Conflicts with what is stored.",
    413: "The body is larger than the server accepts.",
    414: "`uri_too_long`: the path and query are longer than the server accepts (server/security.py).",
    415: "`unsupported_media_type`: the body was sent with a Content-Type other than JSON.",
    422: "A value is invalid; `field` names it.",
    429: "Rate limited (docs/security.md): retry after the Retry-After seconds; RateLimit-* headers tell the budget.",
    431: "`headers_too_large`: the request headers (or the whole request head) are larger than the server accepts.",
    503: ("`overloaded`: the server has more requests in hand than it takes (server/loadshed.py), or `busy`: the "
          "database is; nothing was changed. Retry after the Retry-After seconds."),
}


def error_responses(*statuses: int) -> dict[int, Any]:
    """OpenAPI entries for the errors a route can answer, all in the one error shape.

    400 is always among them: any parameter or body can be unreadable (and Litestar would otherwise
    document its own validation shape, which clients never receive). So is 429: every route is rate limited
    (server/security.py answers it before the route runs), and so are 414 and 431, which it answers for any
    address or head too large, and 503: any request can be shed at once when the server is overloaded
    (server/loadshed.py). A route that takes a body (it lists 413) can also answer 415.
    """
    from litestar.openapi import ResponseSpec  # noqa: PLC0415 - only needed when the app is built

    return {status: ResponseSpec(data_container=ErrorBody, description=_DESCRIPTIONS[status])
            for status in sorted({400, 414, 429, 431, 503, *statuses, *((415,) if 413 in statuses else ())})}
