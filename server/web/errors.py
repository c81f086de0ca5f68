"""Errors that reach a server-rendered page's controller, answered as that page's own HTML error page.

Shared by the /moderation and /me pages: a busy database is a 503 with Retry-After, a refused request (a form
too big, a bad query) its own 4xx, anything else a 500 logged with a stack trace for us and plain words for the
person. Log lines name the page, never the path or the form: they may carry notes, dates and choices.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from sqlalchemy.exc import OperationalError

MessagePage = Callable[[Request, int, str, str], Response[str]]


def page_exception_handlers(message_page: MessagePage, log: logging.Logger, *, page: str, back: str,
                            after_failure: str = "Try again in a moment.") -> dict[Any, Any]:
    """Litestar exception handlers for a page controller.

    `page` names it in log lines ("the moderation page"); `back` says where to go after a refused request
    ("Go back to the moderation page and try again."); `after_failure` follows the apology of a 500.
    """

    def handle_unexpected(request: Request, exc: Exception) -> Response[str]:
        log.exception("unhandled error on %s of %s", request.method, page)
        return message_page(request, 500, "Something went wrong",
                            f"Something went wrong on our side. It has been logged. {after_failure}")

    def handle_database(request: Request, exc: OperationalError) -> Response[str]:
        if "database is locked" in str(exc.orig) or "database is busy" in str(exc.orig):
            log.warning("database busy on %s of %s", request.method, page)
            response = message_page(request, 503, "The server is busy", "Fairfinder's database is busy right now. "
                                    "Nothing was changed. Try again in a moment.")
            response.headers["Retry-After"] = "1"
            return response
        return handle_unexpected(request, exc)

    def handle_http(request: Request, exc: HTTPException) -> Response[str]:
        if exc.status_code == 413:
            return message_page(request, 413, "Too much was sent", "The form sent more than this server accepts.")
        if exc.status_code < 500:
            return message_page(request, exc.status_code, "That did not work",
                                f"The request could not be read. {back}")
        return handle_unexpected(request, exc)

    return {OperationalError: handle_database, HTTPException: handle_http, Exception: handle_unexpected}
