"""The /me cookie session: who is signed in on the worker's own pages (GET /me, /me/certificate, ...).

Signing in (POST /me/sign-in, the form field `token`) keeps the worker's API token in the HttpOnly, SameSite=Lax
cookie `ff_me`, sent to /me and the paths under it only (ME_SESSION: server/web/session.py). Every form POST
of a signed-in worker carries the session's CSRF token (purpose "me", server/web/csrf.py); `ME_SESSION.
checked_form` checks it and the form's origin.

Pages under /me render with `render` (the web layer's, plus noindex) and extend `me_base.html`; `page_context`
gives the base template what it needs. A page that needs a signed-in worker asks for `worker`
(`provide_me_worker`), which raises SignInRequired: the exception handlers answer with the sign-in page.
Nothing here logs a worker id or a token.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from litestar import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Worker
from server.listen.assets import stylesheet_url
from server.web.errors import ErrorWords, SignInRequired, page_exception_handlers
from server.web.render import NOINDEX
from server.web.render import render as web_render
from server.web.session import ME_SESSION
from server.web.static import reflow_css_url, versioned_url

log = logging.getLogger("fairfinder.me")

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
STATIC_PATH = "/me/static"

HOME = "/me"
# Where a sign-in may send the worker back to: a page under /me, nothing else (no open redirect).
_NEXT = re.compile(r"^/me(/[a-z0-9][a-z0-9/._-]{0,100})?$")


def css_urls() -> list[str]:
    """The style sheets of every /me page: listen's base (colours, focus, fields, buttons), then ours."""
    urls = [stylesheet_url(), reflow_css_url()]
    if (STATIC_DIR / "me.css").exists():
        urls.append(versioned_url(STATIC_PATH, STATIC_DIR, "me.css"))
    return urls


CSS_URLS = css_urls()


def safe_next(value: object) -> str:
    """A sign-in's way back: a path under /me, else /me."""
    text = str(value or "").strip()
    return text if _NEXT.match(text) and ".." not in text else HOME


async def provide_me_worker(request: Request, db_session: AsyncSession) -> Worker:
    """The signed-in worker of a /me page; SignInRequired (the sign-in page) without one."""
    return await ME_SESSION.require_worker(request, db_session)


# ------------------------------------------------------------------------------------------------
# Pages


def page_context(request: Request, worker: Worker | None, **extra: Any) -> dict[str, Any]:
    """What me_base.html needs: the worker (or None), the session's CSRF token, the style sheets."""
    return {"worker": worker, "csrf": ME_SESSION.csrf(request) if worker is not None else None, "css_urls": CSS_URLS,
            "notice": None, **extra}


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response[str]:
    """The web layer's render (security headers, no-store) plus noindex."""
    return web_render(request, template, context, status, NOINDEX)


def sign_in_page(request: Request, *, next_path: str = HOME, error: str | None = None, notice: str | None = None,
                 status: int = 200) -> Response[str]:
    """The signed-out page: what /me is, and the sign-in form. Forgets a cookie that no longer signs in."""
    response = render(request, "me_sign_in.html", page_context(request, None, sign_in_error=error,
                                                                next_path=safe_next(next_path), notice=notice), status)
    ME_SESSION.forget_stale(request, response)
    return response


def message_page(request: Request, status: int, heading: str, message: str, worker: Worker | None = None
                 ) -> Response[str]:
    return render(request, "me_message.html", page_context(request, worker, status=status, heading=heading,
                                                           message=message), status)


def refused_page(request: Request, worker: Worker | None = None) -> Response[str]:
    return message_page(request, 403, "Form refused",
                        "This form was sent from another site, or from a page of an earlier sign-in, so nothing was "
                        "changed. Go back to your earnings page, reload it, and try again.", worker)


class MePages:
    """The /me answers for the web layer's exception handlers (server/web/errors.py)."""

    def message_page(self, request: Request, status: int, heading: str, message: str, viewer: Any = None
                     ) -> Response[str]:
        return message_page(request, status, heading, message, viewer)

    def sign_in_page(self, request: Request, required: SignInRequired) -> Response[str]:
        next_path = required.next_path or (required.form.get("next") if required.form is not None else None)
        return sign_in_page(request, next_path=safe_next(next_path), error=required.error, notice=required.notice,
                            status=required.status)

    def refused_page(self, request: Request, viewer: Any = None) -> Response[str]:
        return refused_page(request, viewer)


# Errors that reach a /me controller: an HTML page, never a stack trace.
EXCEPTION_HANDLERS = page_exception_handlers(MePages(), log, ErrorWords(
    page="a /me page", unreadable="The request could not be read. Go back to your earnings page and try again."))
