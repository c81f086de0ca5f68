"""One error shape for every failure a client can see: {status, code, message, field?, errors?}.

Clients branch on `code`; people read `message`. A request with bad values lists every problem at once in
`errors` ([{field, code, message}], server/domain/problems.py words them), and `field`/`message` repeat the first,
as older clients read them. The rule for statuses: a request that cannot be read at all (not JSON, no body) and a
bad query, path or header parameter is a 400 (`invalid_parameter`); a body that reads but holds bad values is a 422
(`invalid_field`). Nothing internal (stack traces, SQL) ever leaves. docs/api.md lists every code.
"""
from __future__ import annotations

import logging
import re
from typing import Annotated, Any

import msgspec
import msgspec.inspect as mi
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from sqlalchemy.exc import OperationalError

from server.domain.errors import FairfinderError
from server.domain.problems import Problem, msgspec_words, problems_of, problems_of_info

__all__ = ["ApiError", "ErrorBody", "FairfinderError", "FieldProblem", "Problem", "error_response", "error_responses",
           "field_error", "not_found"]

log = logging.getLogger("fairfinder.errors")


class FieldProblem(msgspec.Struct):
    field: Annotated[str, msgspec.Meta(description="The dotted path of the value (`tasks[3].reward_cents`), or \"\" "
                                                   "for the request as a whole.")]
    code: Annotated[str, msgspec.Meta(description="The kind of problem: required, unknown_field, wrong_type, "
                                                  "not_allowed, too_short, too_long, too_small, too_large, "
                                                  "not_matching, invalid (docs/api.md).")]
    message: Annotated[str, msgspec.Meta(description="What is wrong and what is allowed, in words.")]


class ErrorBody(msgspec.Struct, omit_defaults=True):
    status: Annotated[int, msgspec.Meta(description="The HTTP status, repeated.")]
    code: Annotated[str, msgspec.Meta(description="What went wrong, for programs: one code per kind of problem "
                                                  "(docs/api.md lists them).")]
    message: Annotated[str, msgspec.Meta(description="What went wrong and what is allowed, in words for people.")]
    field: Annotated[str | None, msgspec.Meta(description="The value at fault (the first, when there are several).")
                     ] = None
    errors: Annotated[list[FieldProblem], msgspec.Meta(
        description="Every problem of the request's values at once (bad bodies and parameters).")] = []


class ApiError(HTTPException, FairfinderError):
    """Raise from handlers for a client error with a machine code; `problems` lists every bad value when there are
    several (each becomes an entry of `errors`)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 problems: list[Problem] | None = None) -> None:
        super().__init__(status_code=status, detail=message)
        self.code = code
        self.message = message
        self.field = field
        self.problems = problems


def problems_error(status: int, code: str, problems: list[Problem]) -> ApiError:
    """Several bad values found by a handler, all at once (the first in `field` and `message`)."""
    first = problems[0]
    message = first.sentence() + (f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''}: see "
                                  "`errors`)" if len(problems) > 1 else "")
    return ApiError(status, code, message, first.field or None, problems)


def field_error(field: str, message: str, code: str = "invalid", status: int = 422,
                top_code: str | None = None) -> ApiError:
    """One bad value found by a handler: "field: message", with its entry in `errors`."""
    problem = Problem(field, code, message)
    return ApiError(status, top_code or ("invalid_field" if status == 422 else "invalid_parameter"),
                    problem.sentence(), field, [problem])


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
                   headers: dict[str, str] | None = None, problems: list[Problem] | None = None) -> Response[ErrorBody]:
    errors = [FieldProblem(p.field, p.code, p.sentence()) for p in problems or []]
    if not errors and field is not None:
        errors = [FieldProblem(field, "invalid", message)]
    return Response(ErrorBody(status, code, message, field, errors), status_code=status,
                    media_type=MediaType.JSON, headers=headers)


# A limit passed by a list that has its own documented code (docs/api.md).
LIMIT_CODES = {"tasks": "too_many_tasks"}


def problems_response(status: int, code: str, problems: list[Problem]) -> Response[ErrorBody]:
    """Every problem at once; `field` and `message` name the first (what older clients read)."""
    first = problems[0]
    if first.code == "too_long" and first.field in LIMIT_CODES:
        code = LIMIT_CODES[first.field]
    message = first.sentence()
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''}: see `errors`)"
    return error_response(status, code, message, first.field or None, problems=problems)


def _body_problems(request: Request[Any, Any, Any]) -> list[Problem]:
    """Every problem of the request's JSON body against the route's `data` type (empty when it cannot tell)."""
    body = getattr(getattr(request, "_connection_state", None), "body", None)
    handler = request.scope.get("route_handler")
    kind = _body_type(handler) if handler is not None else None
    if not isinstance(body, bytes) or kind is None:
        return []
    try:
        value = msgspec.json.decode(body)
        return problems_of(kind, value)
    except (msgspec.DecodeError, TypeError, ValueError, RecursionError):
        return []


def _body_type(handler: Any) -> Any:
    """The route's `data` type; for a route that decodes its body itself (annotate), the `data` of the dependency
    that documents that body (server/tasks/routes.py: annotate_body)."""
    parameter = handler.parsed_fn_signature.parameters.get("data")
    if parameter is not None:
        return parameter.annotation
    for provide in handler.resolve_dependencies().values():
        signature = getattr(provide, "parsed_fn_signature", None)
        found = signature.parameters.get("data") if signature is not None else None
        if found is not None:
            return found.annotation
    return None


def _parameter_problems(request: Request[Any, Any, Any]) -> list[Problem]:
    """Every problem of the query, path and header parameters the request sent, against the route's signature."""
    handler = request.scope.get("route_handler")
    if handler is None:
        return []
    problems: list[Problem] = []
    try:
        fields = {f.name: f.type for f in mi.type_info(handler.signature_model).fields}  # type: ignore[attr-defined]  # a StructType
    except (TypeError, ValueError):
        return []
    for name, definition in handler.parsed_fn_signature.parameters.items():
        kind = fields.get(name)
        if kind is None:
            continue
        how = definition.kwarg_definition
        header = getattr(how, "header", None)
        if header:
            value: Any = request.headers.get(header)
            where = header
        elif name in request.path_params:
            value, where = request.path_params[name], name
        else:
            where = getattr(how, "query", None) or name
            values = request.query_params.getall(where, [])
            value = values if isinstance(_plain(kind), (mi.ListType, mi.SetType, mi.FrozenSetType)) else (
                values[0] if values else None)
            if not values:
                continue
        if value is None:
            continue
        walk = problems_of_info(kind, value, strict=False, path=where)
        problems.extend(walk)
    return problems


_NAMED_FIELD = re.compile(r"(?:missing required field|contains unknown field) `([^`]+)`")
_MISSING_PARAMETER = re.compile(r"Missing required (\w+) parameter '([^']+)'")
# msgspec's decode errors for bodies that are not JSON at all (Litestar passes them on as 400s).
_NOT_JSON = ("JSON is malformed", "Input data was truncated")


def _plain(kind: Any) -> Any:
    return kind.type if isinstance(kind, mi.Metadata) else kind


def _field_from_key(key: str | None, message: str = "") -> str | None:
    """The dotted path of the bad value: Litestar's key plus the field msgspec names in its message."""
    base = None if not key or key == "data" else key.removeprefix("data.")
    named = _NAMED_FIELD.search(message)
    if named:
        return f"{base}.{named.group(1)}" if base else named.group(1)
    return base


def handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[ErrorBody]:
    reported = exc.extra if isinstance(exc.extra, list) else []
    if reported and isinstance(reported[0], dict):
        first = reported[0]
        source = first.get("source")
        if source == "body" and str(first.get("message")) == "'data'":  # Litestar's words for "no body at all"
            return error_response(400, "missing_body", "This request needs a JSON body.")
        message = msgspec_words(str(first.get("message", "invalid value")))
        field = _field_from_key(first.get("key"), str(first.get("message", "")))
        if source in ("query", "path", "header", "cookie"):
            problems = _parameter_problems(request) or [Problem(field or "", "invalid", message)]
            return problems_response(400, "invalid_parameter", problems)
        problems = _body_problems(request) or [Problem(field or "", "invalid", message)]
        return problems_response(422, "invalid_field", problems)
    detail = str(exc.detail or "")
    missing = _MISSING_PARAMETER.search(detail)
    if missing:
        name = missing.group(2)
        return problems_response(400, "invalid_parameter",
                                 [Problem(name, "required", f"this {missing.group(1)} parameter is required")])
    if "malformed" in detail.lower() or "json" in detail.lower():
        return error_response(400, "invalid_json", "The request body is not valid JSON.")
    return error_response(400, "bad_request", detail or "The request could not be read.")


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.code, exc.message, exc.field, problems=exc.problems)
    status = exc.status_code
    detail = str(exc.detail or "")
    if status == 400 and "Number out of range" in detail:  # e.g. 1e400: past what a 64-bit float holds
        return error_response(400, "invalid_json", "A number in the request body is too large to read.")
    if status == 400 and any(words in detail for words in _NOT_JSON):
        return error_response(400, "invalid_json", "The request body is not valid JSON.")
    if status == 413:
        limit = request.app.state.settings.max_body_bytes
        return error_response(413, "payload_too_large", f"The request body is larger than this server accepts: at "
                              f"most {limit:,} bytes ({limit / 1024 / 1024:g} MiB). Send less at a time.")
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
    400: "The request could not be read (not JSON, no body, a NUL in the address: `invalid_json`, `missing_body`, "
         "`invalid_text`), or a query, path or header parameter is bad (`invalid_parameter`, `invalid_cursor`; "
         "`errors` lists every bad parameter).",
    401: "No token, or an unknown or revoked one.",
    403: "Not allowed for this account.",
    404: "No such object.",
    409: "Conflicts with what is stored.",
    413: "`payload_too_large`: the body is larger than the server accepts; the message states the limit.",
    414: "`uri_too_long`: the path and query are longer than the server accepts (server/security.py).",
    415: "`unsupported_media_type`: the body was sent with a Content-Type other than JSON.",
    422: "The body reads, but values in it are bad (`invalid_field`, or a code of its own such as `too_many_tasks`): "
         "`errors` lists every one with its field, and `field`/`message` repeat the first.",
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
