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

log = logging.getLogger("fairfinder.errors")


class ErrorBody(msgspec.Struct, omit_defaults=True):
    status: int
    code: str
    message: str
    field: str | None = None


class ApiError(HTTPException):
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
    429: "too_many_requests",
}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> Response[ErrorBody]:
    return Response(ErrorBody(status, code, message, field), status_code=status,
                    media_type=MediaType.JSON, headers=headers)


def _field_from_key(key: str | None) -> str | None:
    if not key or key == "data":
        return None
    return key.removeprefix("data.")


def handle_validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[ErrorBody]:
    problems = exc.extra if isinstance(exc.extra, list) else []
    if problems and isinstance(problems[0], dict):
        first = problems[0]
        field = _field_from_key(first.get("key"))
        source = first.get("source")
        message = str(first.get("message", "invalid value"))
        if source in ("query", "path", "header", "cookie"):
            return error_response(400, "invalid_parameter", f"{field or 'parameter'}: {message}", field)
        return error_response(422, "invalid_field", f"{field}: {message}" if field else message, field)
    detail = str(exc.detail or "")
    if "malformed" in detail.lower() or "json" in detail.lower():
        return error_response(400, "invalid_json", "The request body is not valid JSON.")
    return error_response(400, "bad_request", detail or "The request could not be read.")


_MSGSPEC_PATH = re.compile(r"- at `\$(?P<path>[^`]*)`")


def handle_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.code, exc.message, exc.field)
    status = exc.status_code
    detail = str(exc.detail or "")
    if status == 400 and "JSON is malformed" in detail:
        return error_response(400, "invalid_json", "The request body is not valid JSON.")
    if status == 413:
        return error_response(413, "payload_too_large", "The request body is larger than this server accepts.")
    if status == 404:
        return error_response(404, "not_found", "There is nothing at this address.")
    if status == 405:
        return error_response(405, "method_not_allowed", "This address does not accept that method.")
    if status >= 500:
        log.error("server error %s: %s", status, detail)
        return error_response(status, "server_error", "The server could not complete the request.")
    headers = dict(exc.headers or {})
    return error_response(status, _CODES.get(status, "bad_request"), detail or "Bad request.", headers=headers or None)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    # Logged with the route only: request bodies may hold worker data.
    log.exception("unhandled error on %s %s", request.method, request.scope.get("route_handler", None) and request.url.path)
    return error_response(500, "internal_error", "Something went wrong on our side. It has been logged.")


EXCEPTION_HANDLERS = {
    ValidationException: handle_validation,
    HTTPException: handle_http,
    Exception: handle_unexpected,
}
