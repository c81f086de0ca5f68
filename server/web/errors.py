"""The pages' error answers: what a page's dependencies raise for it to answer, and the exception handlers
that answer everything else with the page's own HTML message page (never a stack trace).

A busy database is a 503 with Retry-After, a refused request (a form too big, a bad query) its own 4xx,
anything else a 500 logged with a stack trace for us and plain words for the person. Log lines name the
page, never the path or the form: they may carry notes, dates and choices.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from litestar import Request, Response
from litestar.datastructures import FormMultiDict
from litestar.exceptions import HTTPException
from sqlalchemy.exc import OperationalError

from server.domain.errors import FairfinderError


class PageAnswer(FairfinderError):
    """Raised by a page's session checks: its controller's exception handlers answer with the page for it."""


class SignInRequired(PageAnswer):
    """No session, or one that ended: the page's sign-in form, with why (`error`, `notice`) and the status."""

    def __init__(self, *, status: int = 200, error: str | None = None, notice: str | None = None,
                 next_path: str | None = None, form: FormMultiDict | None = None) -> None:
        super().__init__(error or notice or "sign in")
        self.status, self.error, self.notice, self.next_path, self.form = status, error, notice, next_path, form


class FormRefused(PageAnswer):
    """A form sent from another site, or without this session's CSRF token: 403, nothing changed."""

    def __init__(self, viewer: Any = None) -> None:
        super().__init__("form refused")
        self.viewer = viewer


class NotAllowed(PageAnswer):
    """Signed in, but not allowed here (a worker on the moderation page): a message page."""

    def __init__(self, status: int, heading: str, message: str, viewer: Any = None) -> None:
        super().__init__(message)
        self.status, self.heading, self.message, self.viewer = status, heading, message, viewer


class Pages(Protocol):
    """What a page feature renders for the web layer's answers."""

    def message_page(self, request: Request[Any, Any, Any], status: int, heading: str, message: str,
                     viewer: Any = None) -> Response[str]: ...

    def sign_in_page(self, request: Request[Any, Any, Any], required: SignInRequired) -> Response[str]: ...

    def refused_page(self, request: Request[Any, Any, Any], viewer: Any = None) -> Response[str]: ...


@dataclass(frozen=True)
class ErrorWords:
    """The words of one page's error answers."""

    page: str  # how log lines name it: "the moderation page"
    unreadable: str  # a 4xx: "The request could not be read. Go back to … and try again."
    failure: str = "Something went wrong on our side. It has been logged. Try again in a moment."
    busy_heading: str = "The server is busy"
    busy: str = "Fairfinder's database is busy right now. Nothing was changed. Try again in a moment."
    too_large: bool = True  # a 413 says "Too much was sent" (pages with forms)
    not_found: tuple[str, str] | None = None  # (heading, message) of a 404, else the 4xx words


def is_busy(exc: OperationalError) -> bool:
    """Another process held SQLite's write lock past the busy timeout (nothing was written)."""
    return "database is locked" in str(exc.orig) or "database is busy" in str(exc.orig)


def page_exception_handlers(pages: Pages, log: logging.Logger, words: ErrorWords) -> dict[Any, Any]:
    """Litestar exception handlers for a page controller: its session answers and every error, as its pages."""

    def handle_unexpected(request: Request[Any, Any, Any], _exc: Exception) -> Response[str]:
        log.exception("unhandled error on %s of %s", request.method, words.page)
        return pages.message_page(request, 500, "Something went wrong", words.failure)

    def handle_database(request: Request[Any, Any, Any], exc: OperationalError) -> Response[str]:
        if is_busy(exc):
            log.warning("database busy on %s of %s", request.method, words.page)
            response = pages.message_page(request, 503, words.busy_heading, words.busy)
            response.headers["Retry-After"] = "1"
            return response
        return handle_unexpected(request, exc)

    def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[str]:
        if exc.status_code == 413 and words.too_large:
            return pages.message_page(request, 413, "Too much was sent", "The form sent more than this server accepts.")
        if exc.status_code == 404 and words.not_found:
            return pages.message_page(request, 404, *words.not_found)
        if exc.status_code < 500:
            return pages.message_page(request, exc.status_code, "That did not work", words.unreadable)
        return handle_unexpected(request, exc)

    def handle_sign_in(request: Request[Any, Any, Any], exc: SignInRequired) -> Response[str]:
        return pages.sign_in_page(request, exc)

    def handle_refused(request: Request[Any, Any, Any], exc: FormRefused) -> Response[str]:
        return pages.refused_page(request, exc.viewer)

    def handle_not_allowed(request: Request[Any, Any, Any], exc: NotAllowed) -> Response[str]:
        return pages.message_page(request, exc.status, exc.heading, exc.message, exc.viewer)

    return {SignInRequired: handle_sign_in, FormRefused: handle_refused, NotAllowed: handle_not_allowed,
            OperationalError: handle_database, HTTPException: handle_http, Exception: handle_unexpected}
