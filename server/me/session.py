"""The /me cookie session: who is signed in on the worker's own pages (GET /me, /me/certificate, ...).

Signing in (POST /me/sign-in, the form field `token`) keeps the worker's API token in an HttpOnly,
SameSite=Lax cookie `ff_me` sent to /me and the paths under it only (Secure on https). The token is checked
through server/auth.py `use_token` like the bearer header; an unknown or revoked token is no session.

Cross-site requests: every form POST checks Origin/Referer (server/listen/routes.py `same_site`), and every
POST of a signed-in worker (except the sign-in itself, which has no session yet) must carry the session's
CSRF token: server/moderation/pages.py `csrf_token`, an HMAC of the token's hash keyed with the server secret.
`checked_form` does both for any /me page.

Pages under /me render with `render` (listen's, plus noindex) and extend `me_base.html`; `page_context`
gives the base template what it needs. Nothing here logs a worker id or a token.
"""
from __future__ import annotations

import hmac
import logging
import re
from pathlib import Path
from typing import Any

from litestar import Controller, MediaType, Request, Response, post
from litestar.datastructures import CacheControlHeader, FormMultiDict
from litestar.response.redirect import Redirect
from litestar.static_files import create_static_files_router
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import use_token
from server.db.models import Worker
from server.listen.routes import MAX_TOKEN_CHARS, same_site
from server.listen.routes import STATIC_DIR as LISTEN_STATIC_DIR
from server.listen.routes import render as listen_render
from server.moderation.pages import csrf_token
from server.web.errors import page_exception_handlers
from server.web.static import versioned_url

log = logging.getLogger("fairfinder.me")

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
STATIC_PATH = "/me/static"
STATIC_MAX_AGE = 365 * 24 * 3600

COOKIE = "ff_me"
COOKIE_PATH = "/me"
COOKIE_MAX_AGE = 30 * 24 * 3600  # earnings are private: sign in again each month
CSRF_FIELD = "csrf"
HOME = "/me"
# Where a sign-in may send the worker back to: a page under /me, nothing else (no open redirect).
_NEXT = re.compile(r"^/me(/[a-z0-9][a-z0-9/._-]{0,100})?$")
# The worker's own pages are never cached or indexed (listen's PAGE_HEADERS say no-store).
ROBOTS = {"X-Robots-Tag": "noindex, nofollow"}


def css_urls() -> list[str]:
    """The style sheets of every /me page: listen's base (colours, focus, fields, buttons), then ours."""
    urls = [versioned_url("/listen/static", LISTEN_STATIC_DIR, "listen.css")]
    if (STATIC_DIR / "me.css").exists():
        urls.append(versioned_url(STATIC_PATH, STATIC_DIR, "me.css"))
    return urls


CSS_URLS = css_urls()


# ------------------------------------------------------------------------------------------------
# Who


def session_token(request: Request) -> str | None:
    """The token in the cookie, when there is one of a plausible length (not yet checked)."""
    token = request.cookies.get(COOKIE)
    return token if token and len(token) <= MAX_TOKEN_CHARS else None


async def signed_in_worker(request: Request, db_session: AsyncSession) -> Worker | None:
    """The worker whose token is in the `ff_me` cookie; None without one, or for an unknown or revoked token."""
    token = session_token(request)
    return await use_token(db_session, token) if token else None


def csrf_for(request: Request) -> str | None:
    """The CSRF token the forms of this session carry in the field `csrf` (None when there is no cookie)."""
    token = session_token(request)
    return csrf_token(request.app.state.settings.secret, token, "me") if token else None


def csrf_ok(request: Request, form: FormMultiDict) -> bool:
    expected = csrf_for(request)
    return expected is not None and hmac.compare_digest(str(form.get(CSRF_FIELD) or "").encode(), expected.encode())


def safe_next(value: object) -> str:
    """A sign-in's way back: a path under /me, else /me."""
    text = str(value or "").strip()
    return text if _NEXT.match(text) and ".." not in text else HOME


# ------------------------------------------------------------------------------------------------
# Pages


def page_context(request: Request, worker: Worker | None, **extra: Any) -> dict[str, Any]:
    """What me_base.html needs: the worker (or None), the session's CSRF token, the style sheets."""
    return {"worker": worker, "csrf": csrf_for(request) if worker is not None else None, "css_urls": CSS_URLS,
            "notice": None, **extra}


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response[str]:
    """listen's render (its security headers and no-store) plus noindex."""
    response = listen_render(request, template, context, status)
    response.headers.update(ROBOTS)
    return response


def sign_in_page(request: Request, *, next_path: str = HOME, error: str | None = None, notice: str | None = None,
                 status: int = 200) -> Response[str]:
    """The signed-out page: what /me is, and the sign-in form. Forgets a cookie that no longer signs in."""
    response = render(request, "me_sign_in.html", page_context(request, None, sign_in_error=error,
                                                                next_path=safe_next(next_path), notice=notice), status)
    if request.cookies.get(COOKIE):
        response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


def message_page(request: Request, status: int, heading: str, message: str, worker: Worker | None = None
                 ) -> Response[str]:
    return render(request, "me_message.html", page_context(request, worker, status=status, heading=heading,
                                                           message=message), status)


def refused_page(request: Request, worker: Worker | None = None) -> Response[str]:
    return message_page(request, 403, "Form refused",
                        "This form was sent from another site, or from a page of an earlier sign-in, so nothing was "
                        "changed. Go back to your earnings page, reload it, and try again.", worker)


async def checked_form(request: Request, db_session: AsyncSession) -> tuple[Worker, FormMultiDict] | Response[str]:
    """A signed-in worker's form POST under /me, or the page refusing it: cross-site (403), no session (401),
    a missing or wrong CSRF token (403). Nothing is read from the form before these checks pass."""
    if not same_site(request):
        return refused_page(request)
    worker = await signed_in_worker(request, db_session)
    if worker is None:
        return sign_in_page(request, status=401, error="Your sign-in has ended, so nothing was changed. "
                                                       "Sign in again and repeat what you did.")
    form = await request.form()
    if not csrf_ok(request, form):
        return refused_page(request, worker)
    return worker, form


# ------------------------------------------------------------------------------------------------
# Errors that reach a /me controller: an HTML page, never a stack trace


EXCEPTION_HANDLERS = page_exception_handlers(message_page, log, page="a /me page",
                                             back="Go back to your earnings page and try again.")


# ------------------------------------------------------------------------------------------------
# Routes


class MeSessionController(Controller):
    path = "/me"
    tags = ["me page"]
    include_in_schema = False
    exception_handlers = EXCEPTION_HANDLERS

    @post("/sign-in", media_type=MediaType.HTML, status_code=303)
    async def sign_in(self, request: Request, db_session: AsyncSession) -> Response[Any]:
        # No session yet, so no CSRF token: the Origin/Referer check and the SameSite cookie stop other sites.
        if not same_site(request):
            return refused_page(request)
        form = await request.form()
        next_path = safe_next(form.get("next"))
        token = str(form.get("token") or "").strip()
        if not token:
            return sign_in_page(request, next_path=next_path, error="Enter your Fairfinder token.", status=400)
        worker = await use_token(db_session, token) if len(token) <= MAX_TOKEN_CHARS else None
        if worker is None:
            return sign_in_page(request, next_path=next_path, status=401,
                                error="This token is unknown or has been revoked. Check it and try again.")
        response: Redirect = Redirect(next_path, status_code=303)
        response.headers.update({"Cache-Control": "no-store"})
        response.set_cookie(COOKIE, token, path=COOKIE_PATH, max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")
        return response

    @post("/sign-out", media_type=MediaType.HTML, status_code=303)
    async def sign_out(self, request: Request, db_session: AsyncSession) -> Response[Any]:
        if not same_site(request):
            return refused_page(request)
        worker = await signed_in_worker(request, db_session)
        if worker is not None and not csrf_ok(request, await request.form()):
            return refused_page(request, worker)
        response: Redirect = Redirect(HOME, status_code=303)
        response.delete_cookie(COOKIE, path=COOKIE_PATH)
        return response


me_static = create_static_files_router(
    path=STATIC_PATH, directories=[STATIC_DIR], name="me-static", include_in_schema=False,
    cache_control=CacheControlHeader(max_age=STATIC_MAX_AGE, public=True))

SESSION_ROUTES = [MeSessionController, me_static]
